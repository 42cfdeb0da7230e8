// Issue 14 (agreement): "Export CSV" on the agreement screen writes agreement.csv into a folder
// (typed, or chosen with Browse…): exactly the table shown, the same as `codebench agreement
// --format csv` (and `--out FILE`) with the same selection. Narrowed to one dimension, the file
// holds that dimension only.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, codeTwoRaters, freshStudy, setValue, shot, until, WORK, withApp } from "../lib.mjs";

test("the agreement screen exports agreement.csv", async () => {
  const study = freshStudy("agreement-export");
  codeTwoRaters(study);
  const out = join(mkdtempSync(join(WORK, "agreement-csv-")), "tables");
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-agreement").isExisting()), "the coding screen");
    await browser.$("#tab-agreement").click();
    await until(browser, async () => (await browser.$(".agreement-dimension[data-dimension='kind']").isExisting()), "the kind table");
    assert.equal(await browser.$("#agreement-export").isEnabled(), false, "no folder yet");
    assert.equal(await browser.$("#agreement-export-folder-browse").getText(), "Browse…");

    await setValue(browser, "#agreement-export-folder", out);
    await browser.$("#agreement-export").click();
    await until(browser, async () => (await browser.$("#agreement-exported").isExisting()), "the export");
    const said = await browser.$("#agreement-exported").getText();
    const file = join(out, "agreement.csv");
    assert.ok(said.startsWith(`Agreement in ${file} (`), said);
    assert.match(said, /every dimension and rater of the study\.$/);
    assert.ok(existsSync(file));
    const csv = readFileSync(file, "utf8");
    assert.equal(csv, cli(["--study", study, "agreement", "--format", "csv"]), "the CLI's agreement table");
    const viaCli = join(out, "cli.csv");
    assert.match(cli(["--study", study, "agreement", "--out", viaCli]), /^wrote .*cli\.csv \(\d+ rows\)/);
    assert.equal(readFileSync(viaCli, "utf8"), csv, "codebench agreement --out writes the same file");
    const rows = csv.trim().split("\n").length - 1;
    assert.ok(said.includes(`(${rows} rows)`), `the screen counts ${rows} rows: ${said}`);
    await shot(browser, "20-agreement-exported");

    // Only the purpose dimension on screen: the file holds that dimension, as the CLI gives it.
    await browser.$("input[data-dimension='kind']").click();
    await browser.$("#compute-agreement").click();
    await until(browser, async () => !(await browser.$(".agreement-dimension[data-dimension='kind']").isExisting()), "kind left out");
    await browser.$("#agreement-export").click();
    await until(browser, async () => /shown here\.$/.test(await browser.$("#agreement-exported").getText()), "the scope note");
    const narrowed = readFileSync(file, "utf8");
    assert.equal(narrowed, cli(["--study", study, "agreement", "--dimension", "purpose", "--format", "csv"]), "the CLI's purpose table");
    assert.notEqual(narrowed, csv);
    await shot(browser, "20-agreement-exported-narrowed");

    // A folder that cannot be made is refused, in the screen.
    await setValue(browser, "#agreement-export-folder", join(file, "inside-a-file"));
    await browser.$("#agreement-export").click();
    await until(browser, async () => (await browser.$("#agreement-exported.error").isExisting()), "the refusal");
  });
});
