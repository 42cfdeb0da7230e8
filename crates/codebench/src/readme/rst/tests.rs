//! Tests of the conversion: each construct's HTML, escaping, and the bounds on nesting, output
//! and time.

use super::to_html;

fn html(rst: &str) -> String {
    to_html(rst)
}

#[test]
fn section_levels_follow_first_use() {
    let h = html("=====\nTitle\n=====\n\nIntro.\n\nPart\n----\n\nSub\n~~~\n\nOther\n----\n");
    assert!(h.contains("<h1>Title</h1>"), "{h}");
    assert!(h.contains("<h2>Part</h2>"), "{h}");
    assert!(h.contains("<h3>Sub</h3>"), "{h}");
    assert!(h.contains("<h2>Other</h2>"), "{h}");
    assert!(h.contains("<p>Intro.</p>"), "{h}");
}

#[test]
fn numbered_title_is_a_title_not_a_list() {
    let h = html("1. Introduction\n===============\n\ntext\n");
    assert!(h.contains("<h1>1. Introduction</h1>"), "{h}");
}

#[test]
fn lists_nest_by_indentation() {
    let h =
        html("* one *em*\n* two\n\n  * inner\n  * inner2\n\n* three\n\n#. a\n#. b\n\n3) c\n4) d\n");
    assert!(
        h.contains("<ul>\n<li>one <em>em</em></li>\n<li><p>two</p>\n<ul>\n<li>inner</li>\n<li>inner2</li>\n</ul>\n</li>\n<li>three</li>\n</ul>"),
        "{h}"
    );
    assert!(h.contains("<ol>\n<li>a</li>\n<li>b</li>\n</ol>"), "{h}");
    assert!(h.contains("<ol start=\"3\">\n<li>c</li>"), "{h}");
}

#[test]
fn literal_blocks() {
    let h = html("Run this::\n\n    pip install x\n      --flag\n\nThen ::\n\n  a < b\n\n.. code-block:: bash\n\n   echo hi\n\n.. code:: python\n   :number-lines:\n\n   print(1)\n\n>>> 1 + 1\n2\n");
    assert!(
        h.contains("<p>Run this:</p>\n<pre><code>pip install x\n  --flag</code></pre>"),
        "{h}"
    );
    assert!(
        h.contains("<p>Then</p>\n<pre><code>a &lt; b</code></pre>"),
        "{h}"
    );
    assert!(h.contains("<pre><code>echo hi</code></pre>"), "{h}");
    assert!(h.contains("<pre><code>print(1)</code></pre>"), "{h}");
    assert!(
        h.contains("<pre><code>&gt;&gt;&gt; 1 + 1\n2</code></pre>"),
        "{h}"
    );
}

#[test]
fn inline_markup() {
    let h = html("Use ``pip install`` with **care** and *style*, `cite`, :code:`x()`, :func:`~a.b.run`, 2*3*4, \\*not\\*.");
    assert!(h.contains("<code>pip install</code>"), "{h}");
    assert!(h.contains("<strong>care</strong>"), "{h}");
    assert!(h.contains("<em>style</em>"), "{h}");
    assert!(h.contains("<cite>cite</cite>"), "{h}");
    assert!(h.contains("<code>x()</code>"), "{h}");
    assert!(h.contains("<code>run</code>"), "{h}");
    assert!(h.contains("2*3*4"), "{h}");
    assert!(h.contains("*not*"), "{h}");
}

#[test]
fn links_and_targets() {
    let h = html(
        "See `the docs <https://docs.example/>`_, the docs_, `Read Me`_, `anon <https://a.example/>`__, other__, \
         `via <docs_>`_, https://bare.example/x. and (http://p.example/a).\n\n\
         .. _docs: https://docs.example/\n.. _read me: https://readme.example/\n\n__ https://anon.example/\n",
    );
    assert!(
        h.contains("<a href=\"https://docs.example/\">the docs</a>"),
        "{h}"
    );
    assert!(
        h.contains("<a href=\"https://docs.example/\">docs</a>"),
        "{h}"
    );
    assert!(
        h.contains("<a href=\"https://readme.example/\">Read Me</a>"),
        "{h}"
    );
    assert!(h.contains("<a href=\"https://a.example/\">anon</a>"), "{h}");
    assert!(
        h.contains("<a href=\"https://anon.example/\">other</a>"),
        "{h}"
    );
    assert!(
        h.contains("<a href=\"https://docs.example/\">via</a>"),
        "{h}"
    );
    assert!(
        h.contains("<a href=\"https://bare.example/x\">https://bare.example/x</a>."),
        "{h}"
    );
    assert!(
        h.contains("(<a href=\"http://p.example/a\">http://p.example/a</a>)"),
        "{h}"
    );
    assert!(!h.contains(".. _docs"), "targets are not shown: {h}");
}

#[test]
fn unknown_reference_is_text() {
    let h = html("a `missing`_ b nothere_ c snake_case");
    assert_eq!(h, "<p>a missing b nothere c snake_case</p>\n");
}

#[test]
fn substitution_badges() {
    let h = html(
        "|build| |docs|_ |v|\n\n.. |build| image:: https://ci.example/b.svg\n   :target: https://ci.example/\n\
         .. |docs| image:: docs.svg\n   :alt: Docs\n.. |v| replace:: version **2**\n.. _docs: https://docs.example/\n",
    );
    assert!(
        h.contains("<a href=\"https://ci.example/\"><img src=\"https://ci.example/b.svg\" alt=\"build\"></a>"),
        "{h}"
    );
    assert!(
        h.contains("<a href=\"https://docs.example/\"><img src=\"docs.svg\" alt=\"Docs\"></a>"),
        "{h}"
    );
    assert!(h.contains("version <strong>2</strong>"), "{h}");
    // A reference may break across lines; names match in any case.
    let h = html(
        "|Docker\nPulls| |pypi|\n\n.. |Docker Pulls| image:: p.svg\n.. |PyPI| image:: v.svg\n",
    );
    assert!(
        h.contains("<img src=\"p.svg\" alt=\"Docker Pulls\"> <img src=\"v.svg\" alt=\"PyPI\">"),
        "{h}"
    );
}

#[test]
fn numbering_resumes_after_a_code_block() {
    let h = html("1. one\n2. two\n\n.. code-block:: bash\n\n    $ pip install x\n\n4. four\n");
    assert!(h.contains("<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n<pre><code>$ pip install x</code></pre>\n<ol start=\"4\">\n<li>four</li>"), "{h}");
}

#[test]
fn images_and_figures() {
    let h = html(
        ".. image:: img/logo.png\n   :alt: the logo\n   :width: 320\n   :align: center\n   :target: https://e.example/\n\n\
         .. figure:: fig.png\n   :height: 50px\n\n   The caption.\n",
    );
    assert!(
        h.contains("<a href=\"https://e.example/\"><img src=\"img/logo.png\" alt=\"the logo\" width=\"320\"></a>"),
        "{h}"
    );
    assert!(h.contains("<figure><img src=\"fig.png\" height=\"50\"><figcaption>The caption.</figcaption></figure>"), "{h}");
}

#[test]
fn directives_admonitions_comments() {
    let h = html(
        ".. note:: Mind\n   the gap.\n\n.. warning::\n\n   Hot.\n\n.. admonition:: Custom\n\n   Body.\n\n\
         .. This is a comment\n   spanning lines.\n\n..\n   Also a comment.\n\n.. mystery:: arg\n   :opt: 1\n\n   content <b>\n\n.. contents::\n\nEnd.\n",
    );
    assert!(h.contains("<div class=\"admonition\"><p class=\"admonition-title\">Note</p>\n<p>Mind\nthe gap.</p>\n</div>"), "{h}");
    assert!(
        h.contains("<p class=\"admonition-title\">Warning</p>\n<p>Hot.</p>"),
        "{h}"
    );
    assert!(
        h.contains("<p class=\"admonition-title\">Custom</p>\n<p>Body.</p>"),
        "{h}"
    );
    assert!(!h.contains("comment"), "{h}");
    assert!(
        h.contains("<pre>.. mystery:: arg\n   :opt: 1\n\n   content &lt;b&gt;</pre>"),
        "{h}"
    );
    assert!(!h.contains("contents"), "{h}");
    assert!(h.contains("<p>End.</p>"), "{h}");
}

#[test]
fn definition_and_field_lists() {
    let h = html("Implemented:\n  - HistoSys\n  - OverallSys\nterm two\n    def\n\n:Author: Ana\n:Version: 1\n");
    assert!(h.contains("<dl>\n<dt>Implemented:</dt>\n<dd><ul>\n<li>HistoSys</li>\n<li>OverallSys</li>\n</ul>\n</dd>\n<dt>term two</dt>\n<dd>def</dd>\n</dl>"), "{h}");
    assert!(
        h.contains("<dt>Author</dt>\n<dd>Ana</dd>\n<dt>Version</dt>\n<dd>1</dd>"),
        "{h}"
    );
}

#[test]
fn simple_and_grid_tables() {
    let h = html("=====  ======\nA      B\n=====  ======\n1      two\n       more\n3      4\n=====  ======\n\n+-----+-------+\n| a   | b     |\n+=====+=======+\n| 1   | * x   |\n|     | * y   |\n+-----+-------+\n");
    assert!(h.contains("<thead>\n<tr><th>A</th><th>B</th></tr>\n</thead>\n<tbody>\n<tr><td>1</td><td>two\nmore</td></tr>\n<tr><td>3</td><td>4</td></tr>"), "{h}");
    assert!(h.contains("<tr><th>a</th><th>b</th></tr>"), "{h}");
    assert!(
        h.contains("<tr><td>1</td><td><ul>\n<li>x</li>\n<li>y</li>\n</ul>\n</td></tr>"),
        "{h}"
    );
}

#[test]
fn spanning_grid_table_is_preformatted() {
    let h = html("+-----+-----+\n| a spanning  |\n+-----+-----+\n| 1   | 2   |\n+-----+-----+\n");
    assert!(h.starts_with("<pre>+-----+-----+"), "{h}");
}

#[test]
fn list_and_csv_tables() {
    let h = html(".. list-table:: T\n   :header-rows: 1\n\n   * - h1\n     - h2\n   * - a\n     - b\n\n.. csv-table::\n   :header: \"x\", \"y\"\n\n   1, \"two, three\"\n");
    assert!(h.contains("<thead>\n<tr><th>h1</th><th>h2</th></tr>\n</thead>\n<tbody>\n<tr><td>a</td><td>b</td></tr>"), "{h}");
    assert!(h.contains("<tr><th>x</th><th>y</th></tr>"), "{h}");
    assert!(h.contains("<tr><td>1</td><td>two, three</td></tr>"), "{h}");
}

#[test]
fn transition_and_quote() {
    let h = html("a\n\n----------\n\nb\n\n    quoted\n");
    assert!(h.contains("<hr>"), "{h}");
    assert!(
        h.contains("<blockquote>\n<p>quoted</p>\n</blockquote>"),
        "{h}"
    );
}

#[test]
fn text_is_escaped() {
    let h = html("<script>alert(1)</script> & \"q\"\n\n``<b>``\n");
    assert!(
        h.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"),
        "{h}"
    );
    assert!(h.contains("<code>&lt;b&gt;</code>"), "{h}");
}

#[test]
fn deep_nesting_is_bounded() {
    let mut s = String::new();
    for k in 0..200 {
        s.push_str(&" ".repeat(k * 2));
        s.push_str("- x\n\n");
    }
    let h = html(&s);
    assert!(h.contains("<pre>"), "deep lists end as text");
    let q: String = (0..1000).map(|k| format!("{}q\n", " ".repeat(k))).collect();
    let _ = html(&q);
}

#[test]
fn output_is_bounded() {
    let target = format!(".. _x: https://e.example/{}\n\n", "a".repeat(60_000));
    let body = "x_ ".repeat(300_000);
    let h = html(&format!("{body}\n\n{target}"));
    assert!(h.len() < super::MAX_OUTPUT + 4 * body.len(), "{}", h.len());
    assert!(h.contains("too long") || h.len() < super::MAX_OUTPUT * 2);
}

#[test]
fn hostile_markup_takes_linear_time() {
    let s = "*a `b |c ``d ".repeat(50_000);
    let t = std::time::Instant::now();
    let _ = html(&s);
    assert!(t.elapsed().as_secs() < 10);
}
