// (h) The report & export screen: the paper's tables and figures from one rater's labels, the
// published figures beside, and the CSV tables and figures written to a folder typed as a path.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { codeTwoRaters, freshStudy, shot, until, withApp, WORK, setValue } from "../lib.mjs";

test("the report screen shows the tables and figures and exports them", async () => {
  const study = freshStudy("report");
  codeTwoRaters(study);
  const out = join(mkdtempSync(join(WORK, "out-")), "paper");
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ben']").click();
    await until(browser, async () => (await browser.$("#tab-report").isExisting()), "the coding screen");
    await browser.$("#tab-report").click();
    await until(browser, async () => (await browser.$("section.report-table[data-table='kinds'] table").isExisting()), "the kinds table");
    assert.equal(await browser.$("#report-rater").getValue(), "ben");
    // ben coded model, toolkit, application-system: one project each.
    const kinds = await browser.execute(() =>
      [...document.querySelectorAll("section.report-table[data-table='kinds'] tbody tr")].map((tr) =>
        [...tr.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent.trim()),
      ),
    );
    assert.deepEqual(kinds.filter(([, n]) => n !== "0").map(([k]) => k), ["Model", "Application System", "Toolkit", "Total"]);
    // Seven figures, drawn as images (an <img> of SVG cannot run anything).
    await until(browser, async () => (await browser.$$(".figures figure img")).length === 7, "seven figures");
    await until(
      browser,
      async () => browser.execute(() => [...document.querySelectorAll(".figures img")].every((i) => i.complete && i.getBoundingClientRect().width > 400)),
      "every figure drawn",
    );
    // The published figures beside: a column more in the kinds table.
    await browser.$("#report-ease2022").click();
    await until(
      browser,
      async () => (await browser.$("section.report-table[data-table='kinds'] thead").getText()).includes("ease2022_projects"),
      "the EASE 2022 columns",
    );
    await shot(browser, "15-report");

    // The consensus as the label source: the two kinds both raters agree on are automatic
    // consensus; the screen lists the ten project units without one.
    await browser.execute(() => {
      const s = document.querySelector("#report-rater");
      s.value = "consensus";
      s.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await until(browser, async () => /the consensus/.test(await browser.$("#report-source").getText().catch(() => "")), "the consensus report");
    assert.match(await browser.$("#report-unlabelled details[data-dimension='kind'] summary").getText(), /^Project kind: 10 of 12 project units have no consensus yet$/);
    const consensusKinds = await browser.execute(() =>
      [...document.querySelectorAll("section.report-table[data-table='kinds'] tbody tr")].map((tr) =>
        [...tr.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent.trim()),
      ),
    );
    assert.deepEqual(consensusKinds.filter(([, n]) => n !== "0").map(([k]) => k), ["Model", "Application System", "Total"]);
    await shot(browser, "15a-report-consensus");

    await setValue(browser, "#export-folder", "paper");
    await browser.$("#export-tables").click();
    await until(browser, async () => /not an absolute path/.test(await browser.$("#report-error").getText().catch(() => "")), "the refusal");
    await setValue(browser, "#export-folder", out);
    await browser.$("#export-tables").click();
    await until(browser, async () => /\d+ tables \(\d+ rows\) written to/.test(await browser.$("#report-notice").getText().catch(() => "")), "the export");
    await browser.$("#export-figures").click();
    await until(browser, async () => /7 figures \(SVG and PNG\) of the consensus written to/.test(await browser.$("#report-notice").getText().catch(() => "")), "the figures");
  });
  const files = readdirSync(out).sort();
  for (const f of ["codings.csv", "consensus.csv", "images.csv", "layers.csv", "kinds.svg", "kinds.png", "image_files.png"]) {
    assert.ok(files.includes(f), `${f} in ${files.join(", ")}`);
  }
  assert.ok(existsSync(join(out, "purposes.svg")));
  assert.match(readFileSync(join(out, "codings.csv"), "utf8"), /^rater,unit,dimension,code,memo,evidence,flagged,coded_at,suggested_by\r\n/);
  assert.ok(readFileSync(join(out, "kinds.png")).subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])));
});
