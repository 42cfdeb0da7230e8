//! READMEs rendered for a rater: Markdown through pulldown-cmark, reStructuredText through
//! [`rst`], then sanitised by ammonia. Scripts, event handlers, frames, forms, `javascript:` and
//! `data:` URLs never survive. Relative links point at the repository's files at the pinned
//! commit, relative images at its raw files; other formats are shown as text.

mod rst;

use std::borrow::Cow;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

/// Where relative links and images of a README point.
#[derive(Debug, Clone)]
pub struct LinkBase {
    /// Base for links to files, e.g. `https://github.com/o/n/blob/<sha>/`.
    pub blob: String,
    /// Base for images, e.g. `https://raw.githubusercontent.com/o/n/<sha>/`.
    pub raw: String,
}

impl LinkBase {
    /// The bases of a GitHub repository at a commit (or its default branch when unknown).
    pub fn github(full_name: &str, commit: Option<&str>) -> LinkBase {
        let rev = commit.unwrap_or("HEAD");
        LinkBase {
            blob: format!("https://github.com/{full_name}/blob/{rev}/"),
            raw: format!("https://raw.githubusercontent.com/{full_name}/{rev}/"),
        }
    }
}

/// Renders a README to sanitised HTML. Markdown (`.md`, `.markdown`, or no extension) and
/// reStructuredText (`.rst`, `.rest`, `.rst.txt`) are rendered; anything else is shown as
/// preformatted text.
pub fn render(path: &str, text: &str, base: &LinkBase) -> String {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if [".rst", ".rest", ".rst.txt"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return sanitize(&rst::to_html(text), base);
    }
    let markdown = name.ends_with(".md") || name.ends_with(".markdown") || !name.contains('.');
    if !markdown {
        return format!(
            "<pre class=\"readme-text\">{}</pre>",
            ammonia::clean_text(text)
        );
    }
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let events = Parser::new_ext(text, opts).map(|ev| match ev {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: resolve(dest_url, &base.blob),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: resolve(dest_url, &base.raw),
            title,
            id,
        }),
        other => other,
    });
    let mut html = String::with_capacity(text.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    sanitize(&html, base)
}

fn resolve<'a>(url: CowStr<'a>, base: &str) -> CowStr<'a> {
    let u: &str = &url;
    let has_scheme = u.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if u.is_empty() || u.starts_with('#') || u.starts_with("//") || has_scheme {
        return url;
    }
    CowStr::from(format!(
        "{base}{}",
        u.trim_start_matches("./").trim_start_matches('/')
    ))
}

/// Sanitises HTML with ammonia's allow-list: only http(s) and mailto URLs, links marked
/// `noopener noreferrer`, relative URLs left in HTML resolved against the repository: an
/// image's `src` to the raw file (what a browser can show), any other to the file's page.
pub fn sanitize(html: &str, base: &LinkBase) -> String {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("td", ["align"])
        .add_tag_attributes("th", ["align"])
        .add_tag_attributes("ol", ["type"])
        .add_allowed_classes("div", ["admonition"])
        .add_allowed_classes("p", ["admonition-title"]);
    let raw = base.raw.clone();
    // Runs before `url_relative`, which then sees the image's URL as absolute.
    b.attribute_filter(move |element, attribute, value| {
        if element == "img" && attribute == "src" && is_relative(value) {
            return Some(Cow::Owned(join(&raw, value)));
        }
        Some(Cow::Borrowed(value))
    });
    b.url_relative(ammonia::UrlRelative::Custom(Box::new(RelativeTo(
        base.blob.clone(),
    ))));
    b.clean(html).to_string()
}

/// Whether a URL is relative to the page, as ammonia reads it (no scheme; not a fragment).
fn is_relative(url: &str) -> bool {
    let u = url.trim();
    let has_scheme = u.split_once(':').is_some_and(|(s, _)| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    !u.is_empty() && !u.starts_with('#') && !has_scheme
}

/// A path inside the repository joined to a base that ends in `/`.
fn join(base: &str, url: &str) -> String {
    format!(
        "{base}{}",
        url.trim().trim_start_matches("./").trim_start_matches('/')
    )
}

/// Resolves relative URLs left in raw HTML against a base; fragments stay as they are.
struct RelativeTo(String);

impl ammonia::UrlRelativeEvaluate<'_> for RelativeTo {
    fn evaluate<'u>(&self, url: &'u str) -> Option<Cow<'u, str>> {
        if url.starts_with('#') {
            return Some(Cow::Borrowed(url));
        }
        Some(Cow::Owned(join(&self.0, url)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> LinkBase {
        LinkBase::github("o/n", Some("abc"))
    }

    #[test]
    fn hostile_html_is_inert() {
        let md = r#"# Hi

<script>alert(1)</script>

<img src=x onerror="alert(1)">

[click](javascript:alert(1)) and [Click](JaVaScRiPt:alert(1))

<iframe src="https://example.invalid"></iframe>

<svg><script>alert(1)</script></svg>

<a href="data:text/html,<script>alert(1)</script>">d</a>

<form action="https://example.invalid"><input></form>

<div style="position:fixed" onclick="x()">s</div>
"#;
        let html = render("README.md", md, &base()).to_lowercase();
        for bad in [
            "<script",
            "onerror",
            "href=\"javascript",
            "<iframe",
            "<svg",
            "href=\"data:",
            "<form",
            "<input",
            "onclick",
            "style=",
        ] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
        assert!(html.contains("click"), "link text stays: {html}");
        assert!(html.contains("<h1>hi</h1>"));
    }

    #[test]
    fn relative_links_point_at_the_pinned_commit() {
        let html = render(
            "README.md",
            "[doc](docs/x.md) ![p](./img/a.png) [abs](https://e.org/) [top](#usage)",
            &base(),
        );
        assert!(
            html.contains("href=\"https://github.com/o/n/blob/abc/docs/x.md\""),
            "{html}"
        );
        assert!(
            html.contains("src=\"https://raw.githubusercontent.com/o/n/abc/img/a.png\""),
            "{html}"
        );
        assert!(html.contains("href=\"https://e.org/\""), "{html}");
        assert!(html.contains("href=\"#usage\""), "{html}");
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
    }

    #[test]
    fn rst_is_rendered_not_shown_as_text() {
        let rst =
            "Title\n=====\n\n* one\n* two\n\nSee `docs <docs/index.rst>`_ and https://e.org/.\n";
        let html = render("README.rst", rst, &base());
        assert!(!html.contains("<pre"), "{html}");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
        assert!(
            html.contains("href=\"https://github.com/o/n/blob/abc/docs/index.rst\""),
            "{html}"
        );
        assert!(html.contains("href=\"https://e.org/\""), "{html}");
        for path in ["docs/README.rest", "README.rst.txt", "Readme.RST"] {
            assert!(render(path, rst, &base()).contains("<h1>"), "{path}");
        }
    }

    #[test]
    fn other_formats_are_text() {
        let html = render("README.txt", "Title\n=====\n<script>x</script>", &base());
        assert!(html.starts_with("<pre"));
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn hostile_rst_is_inert() {
        let rst = r#"<script>alert(1)</script>
===========================

Text <script>alert(2)</script> and <img src=x onerror=alert(3)>.

`click <javascript:alert(4)>`_, `data <data:text/html,<script>alert(5)</script>>`_, evil_

.. _evil: javascript:alert(6)

.. image:: javascript:alert(7)
   :target: javascript:alert(8)
   :alt: " onerror="alert(9)

.. |badge| image:: vbscript:x
   :target: JaVaScRiPt:alert(10)

|badge|

.. raw:: html

   <script>alert(11)</script><iframe src="https://e.invalid"></iframe>
   <a href="javascript:alert(12)" onclick="x()">raw</a><div style="position:fixed">s</div>

.. code-block:: html

   <script>alert(13)</script>

.. mystery::

   <script>alert(14)</script>
"#;
        let html = render("README.rst", rst, &base());
        let lower = html.to_lowercase();
        // Text may say anything (escaped); no tag or attribute may carry it.
        for bad in [
            "<script",
            "onerror=\"",
            "=\"javascript:",
            "=\"vbscript:",
            "=\"data:",
            "<iframe",
            "onclick=\"",
            "style=\"",
        ] {
            assert!(!lower.contains(bad), "{bad} survived in {html}");
        }
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(13)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("click"), "the link text stays: {html}");
    }

    #[test]
    fn raw_html_images_point_at_raw_files_and_links_at_pages() {
        let md = r##"<p align="center"><a href="docs/guide.md"><img src="./img/logo.png" alt="logo"></a></p>

<img src="/assets/a.svg"> <img src="https://e.org/b.png"> <a href="#top">top</a> <a href="LICENSE">l</a>
"##;
        let html = render("README.md", md, &base());
        for want in [
            "src=\"https://raw.githubusercontent.com/o/n/abc/img/logo.png\"",
            "src=\"https://raw.githubusercontent.com/o/n/abc/assets/a.svg\"",
            "src=\"https://e.org/b.png\"",
            "href=\"https://github.com/o/n/blob/abc/docs/guide.md\"",
            "href=\"https://github.com/o/n/blob/abc/LICENSE\"",
            "href=\"#top\"",
        ] {
            assert!(html.contains(want), "{want} in {html}");
        }
        assert!(!html.contains("blob/abc/img"), "{html}");
        let rst = ".. image:: img/logo.png\n   :target: docs/guide.rst\n\n|b|\n\n.. |b| image:: ./badge.svg\n";
        let html = render("README.rst", rst, &base());
        for want in [
            "src=\"https://raw.githubusercontent.com/o/n/abc/img/logo.png\"",
            "href=\"https://github.com/o/n/blob/abc/docs/guide.rst\"",
            "src=\"https://raw.githubusercontent.com/o/n/abc/badge.svg\"",
        ] {
            assert!(html.contains(want), "{want} in {html}");
        }
    }

    #[test]
    fn rst_admonitions_keep_their_label() {
        let html = render("README.rst", ".. note:: Mind the gap.\n", &base());
        assert!(
            html.contains("<div class=\"admonition\"><p class=\"admonition-title\">Note</p>"),
            "{html}"
        );
        let html = render("README.md", "<div class=\"evil\" id=\"x\">a</div>", &base());
        assert!(!html.contains("evil") && !html.contains("id="), "{html}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// No input panics the reStructuredText reader, and its output is sanitised HTML.
        #[test]
        fn rst_never_panics(parts in proptest::collection::vec(proptest::prop_oneof![
            proptest::string::string_regex(r"[ \t\n*`|_:.<>=+#()\\\-\[\]a-z0-9]{0,12}").unwrap(),
            proptest::prelude::Just("\n\n".to_string()),
            proptest::prelude::Just(".. ".to_string()),
            proptest::prelude::Just(":: ".to_string()),
            proptest::prelude::Just("\n   ".to_string()),
            proptest::prelude::Just("\n=====\n".to_string()),
            proptest::prelude::Just("+---+---+\n| a | b |\n".to_string()),
            proptest::prelude::Just("===  ===\n".to_string()),
            proptest::prelude::Just(".. |x| image:: y\n".to_string()),
            proptest::prelude::Just("* ".to_string()),
            proptest::prelude::Just("#. ".to_string()),
            proptest::prelude::Just("(iv) ".to_string()),
            proptest::prelude::Just("\u{e9}\u{2022}\u{3000}".to_string()),
            proptest::prelude::any::<String>(),
        ], 0..40)) {
            let text: String = parts.concat();
            let html = render("README.rst", &text, &base());
            proptest::prop_assert!(!html.contains("<script"));
        }

        /// Arbitrary bytes (read lossily, as a README that is not quite UTF-8 might be).
        #[test]
        fn rst_never_panics_on_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = render("README.rst", &text, &base());
        }
    }

    #[test]
    fn huge_table_renders() {
        let mut md = String::from("|a|b|\n|-|-|\n");
        for i in 0..5000 {
            md.push_str(&format!("|{i}|x|\n"));
        }
        let html = render("README.md", &md, &base());
        assert_eq!(html.matches("<tr>").count(), 5001);
    }
}
