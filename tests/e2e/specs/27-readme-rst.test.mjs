// (s) Issue 14: a README.rst is rendered (headings, lists, links, code, a labelled note, a
// table), not shown as raw text; its long lines wrap; a relative image points at the pinned
// raw file (raw.githubusercontent.com/<owner>/<name>/<sha>/...), not at the repository's page;
// an image that does not load is a one-line labelled placeholder, not a large blank box.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, currentUnit, shot, until, withApp, WORK } from "../lib.mjs";

const SHA = "0123456789abcdef0123456789abcdef01234567";

/** A checkout of rst-demo/pyrst at SHA (a .git folder as git leaves it) whose README is README.rst. */
function rstCheckout() {
  const dir = join(mkdtempSync(join(WORK, "rst-")), "pyrst");
  mkdirSync(join(dir, ".git"), { recursive: true });
  writeFileSync(join(dir, ".git", "config"), '[remote "origin"]\n\turl = https://github.com/rst-demo/pyrst.git\n');
  writeFileSync(join(dir, ".git", "HEAD"), `${SHA}\n`);
  const word = "averyveryverylongidentifierwithoutspaces".repeat(12);
  writeFileSync(
    join(dir, "README.rst"),
    [
      "=====",
      "pyrst",
      "=====",
      "",
      "|build| |docs|",
      "",
      ".. |build| image:: https://img.shields.io/badge/build-passing-green.svg",
      "   :target: https://ci.example/pyrst",
      ".. |docs| image:: https://img.shields.io/badge/docs-latest-blue.svg",
      "   :target: https://docs.example/pyrst",
      "",
      ".. image:: docs/img/logo.png",
      "   :alt: the pyrst logo",
      "   :width: 512",
      "   :height: 512",
      "",
      `A fitting library. Read the \`documentation <https://docs.example/pyrst>\`_ or the guide_. ${word} ends here.`,
      "",
      ".. _guide: docs/guide.rst",
      "",
      "Installation",
      "------------",
      "",
      "* Install with pip",
      "* Or from source:",
      "",
      "  * clone it",
      "  * run ``pip install .``",
      "",
      ".. code-block:: bash",
      "",
      `   python -m pip install pyrst --extra-index-url https://example.invalid/${"x".repeat(400)}`,
      "",
      ".. note::",
      "",
      "   Needs Python 3.9 or newer.",
      "",
      "=======  ======",
      "Backend  Status",
      "=======  ======",
      "NumPy    yes",
      "JAX      yes",
      "=======  ======",
      "",
      ".. This comment is not shown.",
      "",
    ].join("\n"),
  );
  return dir;
}

test("a README.rst renders as a document that wraps, with raw image URLs and small placeholders", async () => {
  const study = join(mkdtempSync(join(WORK, "rst-study-")), "study.codebench");
  cli(["--study", study, "init"]);
  cli(["--study", study, "raters", "add", "ana"]);
  cli(["--study", study, "import", "local", rstCheckout()]);
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater[data-rater='ana']").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await currentUnit(browser)) === "rst-demo/pyrst", "the project unit");
    await until(browser, async () => (await browser.$("#readme h1").isExisting()), "the rendered README");

    // A document, not raw text.
    const doc = await browser.execute(() => {
      const r = document.querySelector("#readme");
      const text = (s) => [...r.querySelectorAll(s)].map((e) => e.textContent.trim());
      return {
        rawText: r.querySelector("pre.readme-text") !== null,
        h1: text("h1"),
        h2: text("h2"),
        items: text("li").length,
        nested: r.querySelectorAll("li ul li").length,
        links: [...r.querySelectorAll("a")].map((a) => a.getAttribute("href")),
        code: text("pre code").length,
        note: text(".admonition .admonition-title"),
        cells: text("table td"),
        comment: r.textContent.includes("This comment"),
        directive: r.textContent.includes(".. "),
      };
    });
    assert.equal(doc.rawText, false, "not shown as raw text");
    assert.deepEqual(doc.h1, ["pyrst"]);
    assert.deepEqual(doc.h2, ["Installation"]);
    assert.equal(doc.items, 4);
    assert.equal(doc.nested, 2);
    assert.ok(doc.links.includes("https://docs.example/pyrst"), `links: ${doc.links}`);
    assert.ok(doc.links.includes(`https://github.com/rst-demo/pyrst/blob/${SHA}/docs/guide.rst`), `a relative link goes to the file's page: ${doc.links}`);
    assert.ok(doc.links.includes("https://ci.example/pyrst"), `the badge links to its target: ${doc.links}`);
    assert.equal(doc.code, 1);
    assert.deepEqual(doc.note, ["Note"]);
    assert.deepEqual(doc.cells, ["NumPy", "yes", "JAX", "yes"]);
    assert.equal(doc.comment, false, "comments are dropped");
    assert.equal(doc.directive, false, "no directive is left as text");

    // Long lines wrap: nothing scrolls sideways.
    const widths = await browser.execute(() => {
      const r = document.querySelector("#readme");
      return { scroll: r.scrollWidth, client: r.clientWidth, pre: [...r.querySelectorAll("pre")].map((p) => p.scrollWidth - p.clientWidth) };
    });
    assert.ok(widths.scroll <= widths.client + 1, `the README wraps: ${JSON.stringify(widths)}`);
    assert.ok(widths.pre.every((d) => d <= 1), `code blocks wrap: ${JSON.stringify(widths)}`);

    // The relative image points at the pinned raw file (as an image, or as the placeholder that
    // remembers its URL when it could not load, offline here).
    const raw = `https://raw.githubusercontent.com/rst-demo/pyrst/${SHA}/docs/img/logo.png`;
    const sources = () => browser.execute(() => [...document.querySelectorAll("#readme img, #readme .img-missing")].map((e) => e.getAttribute("src") ?? e.getAttribute("title")));
    assert.ok((await sources()).includes(raw), `the logo's URL: ${await sources()}`);
    assert.ok(!(await sources()).some((s) => s.includes("/blob/")), "no image points at a page");

    // Badges from hosts the policy refuses, and the logo that cannot load offline, are small
    // labelled placeholders, not 512 x 512 blank boxes.
    await until(browser, async () => (await browser.$$("#readme .img-missing")).length === 3, "three placeholders", 20000);
    const holders = await browser.execute(() =>
      [...document.querySelectorAll("#readme .img-missing")].map((e) => ({
        text: e.textContent,
        label: e.getAttribute("aria-label"),
        height: e.getBoundingClientRect().height,
        width: e.getBoundingClientRect().width,
        inLink: e.closest("a")?.getAttribute("href") ?? null,
      })),
    );
    assert.deepEqual(
      holders.map((h) => h.text),
      ["image: build (not loaded)", "image: docs (not loaded)", "image: the pyrst logo (not loaded)"],
    );
    for (const h of holders) {
      assert.equal(h.label, h.text);
      assert.ok(h.height > 0 && h.height < 40, `a placeholder is one line high: ${JSON.stringify(h)}`);
      assert.ok(h.width < 400, `and not the image's width: ${JSON.stringify(h)}`);
    }
    assert.equal(holders[0].inLink, "https://ci.example/pyrst", "a badge's placeholder keeps its link");
    assert.equal(await browser.$$("#readme img").length, 0);
    await shot(browser, "35-readme-rst");
  });
});
