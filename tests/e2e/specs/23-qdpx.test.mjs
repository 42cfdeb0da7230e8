// Issue 17 in the app: "Export .qdpx…" on the Report screen writes the study as a REFI-QDA
// project; "Import .qdpx…" on another study's Corpus screen checks it first (a dry run that
// writes nothing and says what would come), then imports it: the same raters' decisions and
// memos, as the CLI reads them.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, codeTwoRaters, freshStudy, setValue, shot, until, WORK, withApp } from "../lib.mjs";

/** A rater's decisions as [unit, dimension, codes, memo], sorted. */
function decisions(study, rater) {
  return JSON.parse(cli(["--study", study, "decisions", "--rater", rater, "--format", "json"]))
    .map((d) => [d.unit, d.dimension, d.codes.join(";"), d.memo])
    .sort((a, b) => a.join("|").localeCompare(b.join("|")));
}

test("a study exported to .qdpx from the app is imported into another, dry run first", async () => {
  const from = freshStudy("qdpx-from");
  codeTwoRaters(from);
  const file = join(mkdtempSync(join(WORK, "qdpx-")), "study.qdpx");

  await withApp(["--study", from], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater[data-rater='ana']").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-report").isExisting()), "the coding screen");
    await browser.$("#tab-report").click();
    await until(browser, async () => (await browser.$("#qdpx-file").isExisting()), "the report screen");
    assert.equal(await browser.$("#qdpx-file-browse").getText(), "Browse…");
    assert.equal(await browser.$("#qdpx-export-button").isEnabled(), false, "no file yet");
    await setValue(browser, "#qdpx-file", file);
    await browser.$("#qdpx-export-button").click();
    await until(browser, async () => (await browser.$("#qdpx-said").isExisting()), "the export");
    assert.match(await browser.$("#qdpx-said").getText(), new RegExp(`^Wrote ${file.replace(/[.]/g, "\\.")}: [23] users, \\d+ codes, \\d+ sources, 12 cases, \\d+ codings`));
    assert.ok(existsSync(file));
    await shot(browser, "23-qdpx-exported");
  });

  const into = freshStudy("qdpx-into");
  cli(["--study", into, "raters", "add", "carl"]);
  await withApp(["--study", into], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater[data-rater='carl']").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='carl']").click();
    await until(browser, async () => (await browser.$("#tab-corpus").isExisting()), "the coding screen");
    await browser.$("#tab-corpus").click();
    await until(browser, async () => (await browser.$("#qdpx-import-file").isExisting()), "the corpus screen");
    await setValue(browser, "#qdpx-import-file", file);
    await browser.$("#qdpx-check").click();
    await until(browser, async () => (await browser.$("#qdpx-dry-run").isExisting()), "the dry run");
    const dry = await browser.$("#qdpx-dry-run").getText();
    assert.match(dry, /^The import would bring: \d+ new decisions, 0 changed, 0 unchanged, .*new raters: ana, ben/);
    assert.deepEqual(decisions(into, "carl"), [], "carl has none");
    assert.deepEqual(decisions(into, "ana"), [], "the dry run wrote nothing");
    assert.doesNotMatch(cli(["--study", into, "raters", "list"]), /\bana\b/, "ana is no rater yet");
    await shot(browser, "23-qdpx-dry-run");

    await browser.$("#qdpx-import").click();
    await until(browser, async () => (await browser.$("#qdpx-imported").isExisting()), "the import");
    assert.match(await browser.$("#qdpx-imported").getText(), /^Imported: \d+ new decisions/);
    assert.equal(await browser.$("#qdpx-import").isExisting(), false, "imported once");
    await shot(browser, "23-qdpx-imported");
  });
  for (const r of ["ana", "ben"]) assert.deepEqual(decisions(into, r), decisions(from, r), `${r}'s decisions and memos came through`);
});
