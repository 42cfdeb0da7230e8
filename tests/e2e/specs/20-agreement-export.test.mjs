// Issue 14 (agreement): "Export CSV" on the agreement screen writes agreement.csv into a folder
// (typed, or chosen with Browse…): exactly the table shown, the same as `codebench agreement
// --format csv` (and `--out FILE`) with the same selection. Narrowed to one dimension, the file
// holds that dimension only. "Export PNG" draws the overall results shown as a figure, the
// same bytes as `codebench agreement --out FILE.png`. A confusion-matrix cell opens its units
// (the same list as `codebench agreement --cell ROW,COLUMN`), and a disagreement opens on the
// reconcile screen.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, codeTwoRaters, freshStudy, setValue, shot, until, WORK, withApp } from "../lib.mjs";

test("the agreement screen exports agreement.csv", async () => {
  const study = freshStudy("agreement-export");
  codeTwoRaters(study);
  // A second disagreement on kind, so the reconcile screen has two units to choose from.
  for (const [r, c] of [["ana", "model"], ["ben", "toolkit"]]) {
    cli(["--study", study, "code", "--rater", r, "--unit", "orchard-ml/sprout", "--dimension", "kind", "--code", c]);
  }
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

    // Back to every dimension: the PNG export, then kind's confusion cell model × toolkit
    // lists its one unit, as the CLI does, and opens it on the reconcile screen.
    await browser.$("input[data-dimension='kind']").click();
    await browser.$("#compute-agreement").click();
    await until(browser, async () => (await browser.$(".agreement-dimension[data-dimension='kind']").isExisting()), "kind back");
    // The figure of what is shown: the same PNG as the CLI draws.
    await browser.$("#agreement-export-png").click();
    await until(browser, async () => /agreement\.png \(a figure of \d+ results?\)/.test(await browser.$("#agreement-exported").getText()), "the PNG export");
    const png = readFileSync(join(out, "agreement.png"));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG file");
    const viaCliPng = join(out, "cli.png");
    cli(["--study", study, "agreement", "--out", viaCliPng]);
    assert.ok(png.equals(readFileSync(viaCliPng)), "codebench agreement --out FILE.png draws the same bytes");

    await browser.$(".agreement-dimension[data-dimension='kind'] details.confusions summary").click();
    const cell = ".agreement-dimension[data-dimension='kind'] figure.confusion[data-level='leaf'] button.cell-open[data-row='model'][data-column='toolkit']";
    await until(browser, async () => (await browser.$(cell).isExisting()), "the model × toolkit cell");
    assert.equal(await browser.$(cell).getText(), "1");
    await browser.$(cell).click();
    const unitsOf = ".agreement-dimension[data-dimension='kind'] .cell-units li[data-unit]";
    await until(browser, async () => (await browser.$(unitsOf).isExisting()), "the cell's units");
    const listed = await browser.execute((s) => [...document.querySelectorAll(s)].map((li) => li.getAttribute("data-unit")), unitsOf);
    const viaCliUnits = cli(["--study", study, "agreement", "--dimension", "kind", "--cell", "model,toolkit", "--pair", "ana,ben"]).trim().split("\n");
    assert.deepEqual(listed, viaCliUnits);
    assert.deepEqual(listed, ["orchard-ml/sprout"]);
    assert.match(await browser.$(".agreement-dimension[data-dimension='kind'] .cell-units .cell-title").getText(), /ana: .* × ben: .*: 1 unit$/);
    await shot(browser, "20-agreement-cell-units");
    await browser.$(`${unitsOf} button.cell-reconcile`).click();
    await until(browser, async () => (await browser.$("#reconcile-unit").isExisting()), "the reconcile screen");
    // The cell's unit is opened, not the queue's first (lumen-labs/tinyserve).
    await until(browser, async () => (await browser.$("#reconcile-unit").getText()) === "orchard-ml/sprout", "the cell's unit opened");
    await shot(browser, "20-agreement-cell-reconcile");
    await browser.$("#tab-agreement").click();
    await until(browser, async () => (await browser.$("#agreement-export-folder").isExisting()), "the agreement screen again");

    // A folder that cannot be made is refused, in the screen.
    await setValue(browser, "#agreement-export-folder", join(file, "inside-a-file"));
    await browser.$("#agreement-export").click();
    await until(browser, async () => (await browser.$("#agreement-exported.error").isExisting()), "the refusal");
  });
});
