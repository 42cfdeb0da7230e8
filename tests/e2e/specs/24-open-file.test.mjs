// (x) A study opened the way the desktop entry opens a double-clicked *.codebench: the file's
// path as the only argument (Exec=codebench-app %f). `make test` also runs this spec against
// the app installed from the .deb (scripts/package-smoke.sh).
import assert from "node:assert/strict";
import { renameSync } from "node:fs";
import { join, dirname } from "node:path";
import { test } from "node:test";
import { cli, freshStudy, until, withApp } from "../lib.mjs";

test("a study given as a bare path opens in the app", async () => {
  const made = freshStudy("open-file");
  // A name with a space, as files in a researcher's Documents folder often have.
  const study = join(dirname(made), "My study.codebench");
  renameSync(made, study);
  cli(["--study", study, "raters", "add", "ana"]);
  await withApp([study], async (browser) => {
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen");
    assert.ok((await browser.$("#rater-screen .path").getText()).endsWith("My study.codebench"));
    await until(
      browser,
      async () => (await browser.$("#rater-screen").getText()).includes("ana"),
      "the study's rater",
    );
  });
});
