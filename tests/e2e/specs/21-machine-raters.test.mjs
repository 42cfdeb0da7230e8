// Issue 16 in the app: a local machine rater (no network) learns from ana's kind labels, reports
// its cross-validated agreement, runs in the background and labels the project units; the run's
// provenance and each unit's answer are listed; in Agreement the model is one more rater, and
// "include machine raters" off compares the people only (the CLI's --no-machine numbers).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { choose, cli, freshStudy, openMachineScreen, setValue, shot, until, withApp, WORK } from "../lib.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** ana labels every project's kind as the sample's expected codes say; ben labels three. */
function prepare(study) {
  for (const r of ["ana", "ben"]) cli(["--study", study, "raters", "add", r]);
  const lines = readFileSync(join(ROOT, "sample", "expected-codes.csv"), "utf8").trim().split("\n").slice(1);
  const kinds = lines.map((l) => l.split(",")).filter((f) => f.length === 3 && f[1] === "kind");
  for (const [unit, , code] of kinds) cli(["--study", study, "code", "--rater", "ana", "--unit", unit, "--dimension", "kind", "--code", code]);
  for (const [unit, , code] of kinds.slice(0, 3)) cli(["--study", study, "code", "--rater", "ben", "--unit", unit, "--dimension", "kind", "--code", code]);
  return kinds.length;
}

/** The text of the Cohen's kappa rows of the kind dimension, by raters. */
const kappaRows = (browser) =>
  browser.execute(() =>
    [...document.querySelectorAll(".agreement-dimension[data-dimension='kind'] > table tr[data-statistic='cohen_kappa'][data-level='leaf']")].map((tr) =>
      [...tr.querySelectorAll("td")].map((td) => td.textContent.trim()),
    ),
  );

test("a local machine rater is cross-validated, run, listed with its answers, and measured in Agreement", async () => {
  const study = freshStudy("machine");
  const labelled = prepare(study);
  await withApp(["--study", study], async (browser) => {
    await openMachineScreen(browser);

    // A number that is not one is refused at the field, before the core.
    await setValue(browser, "#machine-name", "nb");
    await choose(browser, "#machine-dimension", "kind");
    await until(browser, async () => (await browser.$("#machine-train-on option[value='ana']").isExisting()), "ana among the labels");
    await choose(browser, "#machine-train-on", "ana");
    await setValue(browser, "#machine-folds", "three");
    await browser.$("#machine-add-button").click();
    await until(browser, async () => /Folds: “three” is not a whole number/.test(await browser.$("#machine-said").getText()), "the refusal");
    await setValue(browser, "#machine-folds", "3");
    await browser.$("#machine-add-button").click();
    await until(browser, async () => (await browser.$("#machine-list tr[data-machine='nb']").isExisting()), "nb listed");
    assert.match(await browser.$("#machine-said").getText(), /Added machine rater nb: local classifier, learns from ana, 3 folds · kind/);
    // The labels a local model may learn from are offered as people's and the consensus: nb is
    // not among them (the core refuses a machine as labels anyway).
    await until(browser, async () => (await browser.$("#machine-train-on option[value='nb']").isExisting()) === false, "nb not offered as labels");

    // Its cross-validation, before it labels anything.
    await browser.$("#machine-list tr[data-machine='nb'] .machine-evaluate").click();
    await until(browser, async () => (await browser.$(".machine-evaluation[data-machine='nb']").isExisting()), "the evaluation");
    const evaluation = await browser.$(".machine-evaluation[data-machine='nb']").getText();
    assert.match(evaluation, new RegExp(`3-fold cross-validation over ${labelled} labelled units: accuracy \\d\\.\\d\\d \\(always “[^”]+”: \\d\\.\\d\\d\\), κ`));
    await shot(browser, "21-machine-evaluated");

    // The run, in the background; its end is reported and its answers listed.
    await browser.$("#machine-list tr[data-machine='nb'] .machine-run").click();
    await until(browser, async () => /^Run \d+ done: \d+ labelled, 0 failed/.test((await browser.$("#machine-said").isExisting()) ? await browser.$("#machine-said").getText() : ""), "the run's end", 30000);
    const said = await browser.$("#machine-said").getText();
    const n = Number(/done: (\d+) labelled/.exec(said)[1]);
    assert.ok(n >= labelled, `every project unit labelled: ${said}`);
    await until(browser, async () => (await browser.$$("#machine-answers tbody tr[data-status='ok']").length) === n, "the answers listed");
    const runRow = await browser.execute(() => [...document.querySelectorAll("#machine-runs tbody tr:first-child td")].map((td) => td.textContent.trim()));
    assert.equal(runRow[1], "nb");
    assert.equal(runRow[2], "local");
    assert.match(runRow[3], /naive Bayes/, "the classifier is named");
    assert.equal(runRow[5], `${n} / ${n}`);
    assert.equal(runRow[11], "done");
    assert.match(await browser.$("#machine-run-evaluation").getText(), /3-fold cross-validation/);
    assert.equal(await browser.$("#machine-list tr[data-machine='nb'] td:nth-child(3)").getText(), String(n));
    // What the screen lists is what the study holds.
    const decisions = JSON.parse(cli(["--study", study, "decisions", "--rater", "nb", "--format", "json"]));
    assert.equal(decisions.length, n);
    const first = decisions[0];
    const row = await browser.$(`#machine-answers tr[data-unit='${first.unit}']`).getText();
    assert.ok(row.includes(first.codes.join(", ")), `${row} shows ${first.codes}`);
    await shot(browser, "21-machine-run");

    // Agreement: nb is one more rater, marked as a machine; left out, only the people remain.
    await browser.$("#tab-agreement").click();
    await until(browser, async () => (await kappaRows(browser)).some((r) => r[2] === "ana · nb"), "ana · nb measured");
    assert.match(await browser.$("label:has(input[data-rater='nb'])").getText(), /nb \(machine\)/);
    await shot(browser, "21-agreement-with-machine");
    await browser.$("#agreement-include-machine").click();
    await browser.$("#compute-agreement").click();
    await until(browser, async () => (await kappaRows(browser)).every((r) => !r[2].includes("nb")), "people only");
    const people = await kappaRows(browser);
    assert.deepEqual(people.map((r) => r[2]), ["ana · ben"]);
    const cliPeople = cli(["--study", study, "agreement", "--dimension", "kind", "--no-machine", "--format", "csv"]);
    assert.ok(cliPeople.includes("ana"), "the CLI's people-only table");
    assert.ok(!/\bnb\b/.test(cliPeople), "the CLI leaves nb out too");
    await shot(browser, "21-agreement-people-only");

    // Report: the tables of people only, as `codebench export --no-machine` writes them.
    const out = join(mkdtempSync(join(WORK, "people-")), "tables");
    await browser.$("#tab-report").click();
    await until(browser, async () => (await browser.$("#export-people-only").isExisting()), "the report screen");
    await browser.$("#export-people-only").click();
    await setValue(browser, "#export-folder", out);
    await browser.$("#export-tables").click();
    await until(browser, async () => /tables \(\d+ rows\) written to/.test(await browser.$("#report-notice").getText().catch(() => "")), "the export");
    const codings = readFileSync(join(out, "codings.csv"), "utf8").trim().split("\r\n");
    assert.ok(codings.length > 1 && codings.slice(1).every((l) => !l.startsWith("nb,")), "no nb row");
    assert.equal(readFileSync(join(out, "machine_answers.csv"), "utf8").trim().split("\r\n").length, 1, "no machine answer");
    const viaCli = join(mkdtempSync(join(WORK, "people-cli-")), "tables");
    cli(["--study", study, "export", "--out", viaCli, "--no-machine"]);
    assert.equal(readFileSync(join(viaCli, "codings.csv"), "utf8"), readFileSync(join(out, "codings.csv"), "utf8"));
  });
});
