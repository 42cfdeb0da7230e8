// (e) Evidence: select a Dockerfile line, attach it to a code of the decision, see it listed
// under the decision, and find it in the CLI export's codings.csv.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { addRaterByKeyboard, chord, cli, freshStudy, KEY, progress, shot, until, WORK, withApp } from "../lib.mjs";

const UNIT = "lumen-labs/tinyserve:Dockerfile";

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


/** Selects the text of Dockerfile lines `from`..`to` as a rater would with the mouse. */
async function selectLines(browser, from, to) {
  await browser.execute(
    (a, b) => {
      const first = document.querySelector(`#dockerfile .line[data-line="${a}"] .lt`);
      const last = document.querySelector(`#dockerfile .line[data-line="${b}"] .lt`);
      const range = document.createRange();
      // The line's text may sit in several highlighted spans: select from the first text
      // node to the end of the last one.
      const texts = (el) => {
        const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        const out = [];
        for (let n = w.nextNode(); n !== null; n = w.nextNode()) out.push(n);
        return out;
      };
      const start = texts(first)[0];
      const end = texts(last).at(-1);
      range.setStart(start, 0);
      range.setEnd(end, end.length);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    },
    from,
    to,
  );
  await browser.pause(100); // selectionchange is dispatched asynchronously
}

test("a selected Dockerfile line becomes evidence for a code", async () => {
  const study = freshStudy("evidence");
  await withApp(["--study", study, "--open", UNIT], async (browser) => {
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen");
    await addRaterByKeyboard(browser, "ana");
    await until(browser, async () => (await browser.$("#dockerfile .line[data-line='38']").isExisting()), "the Dockerfile");

    // Before any code is chosen there is nothing to attach to.
    await selectLines(browser, 38, 38);
    await chord(browser, KEY.Control, "e");
    await until(browser, async () => /Choose a code/.test(await browser.$("#notice").getText().catch(() => "")), "the refusal");

    await browser.$("#codes [data-code='hosting']").click();
    await until(browser, async () => (await progress(browser)) === "1 / 49", "the decision to be saved");
    await selectLines(browser, 38, 38);
    await browser.$("#codes [data-evidence-for='purpose'] .attach-button").click();
    await until(browser, async () => (await browser.$("#attach").isExisting()), "the picker");
    assert.equal(await browser.$("#attach .quote").getText(), "EXPOSE 8080 8081 9090");
    await shot(browser, "09-attach-evidence");
    await browser.$("#attach button.target[data-code='hosting']").click();
    await until(browser, async () => (await browser.$$("#codes .evidence-list li").length) === 1, "the evidence listed");
    assert.equal(await browser.$("#codes .evidence-list .ev-where").getText(), "Dockerfile:38");

    // Two lines, with the keyboard this time.
    await selectLines(browser, 43, 44);
    await chord(browser, KEY.Control, "e");
    await until(browser, async () => (await browser.$("#attach").isExisting()), "the picker again");
    // The dialog's key for a code is the codes panel's key for it (not a renumbering).
    const panelKey = await browser.$("#codes [data-code='hosting'] kbd").getText();
    assert.equal(await browser.$("#attach button.target[data-code='hosting'] kbd").getText(), panelKey);
    await browser.keys(panelKey);
    await until(browser, async () => (await browser.$$("#codes .evidence-list li").length) === 2, "the second evidence");
    await shot(browser, "10-evidence-listed");

    // Remove the second one.
    await browser.$$("#codes .evidence-list li")[1].$(".remove-evidence").click();
    await until(browser, async () => (await browser.$$("#codes .evidence-list li").length) === 1, "the removal");
  });

  const out = mkdtempSync(join(WORK, "export-"));
  cli(["--study", study, "export", "--out", out]);
  const rows = parseCsv(readFileSync(join(out, "codings.csv"), "utf8"));
  const row = rows.find((r) => r.unit === UNIT && r.code === "hosting");
  assert.ok(row, "the decision is exported");
  // The export keeps each quote with its file and lines (a JSON list in the cell).
  assert.deepEqual(JSON.parse(row.evidence), [{ file: "Dockerfile", line_start: 38, line_end: 38, quote: "EXPOSE 8080 8081 9090" }]);
});
