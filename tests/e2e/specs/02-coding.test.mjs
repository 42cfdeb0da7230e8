// (b) Code five units with the keyboard only, undo one, quit, reopen: the four decisions (and a
// memo) are in the study, as the app shows them and as the CLI exports them.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  addRaterByKeyboard,
  chord,
  cli,
  currentUnit,
  freshStudy,
  KEY,
  progress,
  shot,
  typeText,
  until,
  WORK,
  withApp,
} from "../lib.mjs";

const FIRST_FIVE = [
  "basalt-ai/autotune",
  "basalt-ai/autotune:Dockerfile",
  "basalt-ai/autotune:benchmarks/Dockerfile",
  "basalt-ai/autotune:docker/Dockerfile.worker",
  "cobalt-notes/ml-handbook",
];
const MEMO = "worker image: runs the tuning jobs, one per core";

/** Parses a CSV of simple quoted fields (what `codebench export` writes). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

test("keyboard coding, undo and reopening keep exactly the decisions made", async () => {
  const study = freshStudy("coding");
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen");
    await addRaterByKeyboard(browser, "ana");
    for (const [i, unit] of FIRST_FIVE.entries()) {
      await until(browser, async () => (await currentUnit(browser)) === unit, `unit ${unit} to open`);
      await until(browser, async () => (await browser.$$("#codes button.code").length) > 0, "the codes");
      await browser.keys("1");
      await until(browser, async () => (await progress(browser)) === `${i + 1} / 49`, `${i + 1} coded`);
      if (unit === "basalt-ai/autotune:docker/Dockerfile.worker") {
        // A memo typed and left at once (no pause for the autosave) is still saved.
        await chord(browser, KEY.Control, "m");
        await until(browser, async () => (await browser.$("#codes textarea.memo").isFocused()), "the memo");
        await typeText(browser, MEMO);
        await browser.keys(KEY.Escape);
        await shot(browser, "05-coding-with-memo");
      }
      await browser.keys(KEY.Enter);
    }
    await until(browser, async () => (await currentUnit(browser)) === "cobalt-notes/ml-handbook:Dockerfile", "the sixth unit");

    await chord(browser, KEY.Control, "z");
    await until(browser, async () => (await progress(browser)) === "4 / 49", "the undo");
    assert.equal(await currentUnit(browser), "cobalt-notes/ml-handbook", "undo shows the unit it changed");
    const checked = await browser.$$("#codes [aria-checked='true']").length;
    assert.equal(checked, 0, "the undone kind is no longer chosen");
  });

  // Start again on the same study: the last rater is remembered and focused.
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater.last").isExisting()), "the remembered rater");
    assert.equal(await browser.$("button.rater.last").getAttribute("data-rater"), "ana");
    await until(browser, async () => (await browser.$("button.rater.last").isFocused()), "the rater to be focused");
    await browser.keys(KEY.Enter);
    await until(browser, async () => (await browser.$("#progress").isExisting()), "the coding screen");
    assert.equal(await progress(browser), "4 / 49");
    await browser.$("[data-filter='done']").click();
    const listed = () =>
      browser.execute(() =>
        [...document.querySelectorAll("#queue [data-unit]")].map((e) => [e.getAttribute("data-unit"), e.getAttribute("data-coded")]),
      );
    // The coded units, and the open one (the first left to code), which stays listed: the
    // core answers the filter.
    const expected = [...FIRST_FIVE.slice(0, 4).map((u) => [u, "true"]), ["cobalt-notes/ml-handbook", "false"]];
    await until(browser, async () => JSON.stringify(await listed()) === JSON.stringify(expected), "the coded units listed");
    assert.deepEqual(await listed(), expected);
    await browser.$(`[data-unit='${FIRST_FIVE[0]}']`).click();
    await until(
      browser,
      async () => (await browser.$("#codes [data-code='model']").getAttribute("aria-checked")) === "true",
      "the stored kind to show",
    );
    await browser.$(`[data-unit='${FIRST_FIVE[3]}']`).click();
    await until(
      browser,
      async () => (await browser.$("#codes textarea.memo").getValue()) === MEMO,
      "the stored memo to show",
    );
    await shot(browser, "06-reopened-coded-by-me");
  });

  // The study file says the same to any other reader.
  const out = mkdtempSync(join(WORK, "export-"));
  cli(["--study", study, "export", "--out", out]);
  const rows = parseCsv(readFileSync(join(out, "codings.csv"), "utf8"));
  const got = rows.map((r) => [r.rater, r.unit, r.dimension, r.code, r.memo]);
  assert.deepEqual(got, [
    ["ana", "basalt-ai/autotune", "kind", "model", ""],
    ["ana", "basalt-ai/autotune:Dockerfile", "purpose", "manage-services", ""],
    ["ana", "basalt-ai/autotune:benchmarks/Dockerfile", "purpose", "manage-services", ""],
    ["ana", "basalt-ai/autotune:docker/Dockerfile.worker", "purpose", "manage-services", MEMO],
  ]);
});
