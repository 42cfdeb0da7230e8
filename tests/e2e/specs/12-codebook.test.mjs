// (l) The codebook screen: open coding by the team — propose, rename, agree, merge (decisions
// remapped, none dropped) and split (units to recode listed), each kept in the history.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, freshStudy, KEY, shot, until, withApp, WORK, setValue } from "../lib.mjs";

test("open coding on the codebook screen", async () => {
  const study = freshStudy("codebook");
  cli(["--study", study, "raters", "add", "ana"]);
  cli(["--study", study, "code", "--rater", "ana", "--unit", "basalt-ai/autotune", "--dimension", "kind", "--code", "toolkit"]);
  cli(["--study", study, "code", "--rater", "ana", "--unit", "greenrow/cropwatch", "--dimension", "kind", "--code", "application-system"]);
  const qdc = join(mkdtempSync(join(WORK, "codebook-qdc-")), "codebook.qdc");
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-codebook").isExisting()), "the coding screen");
    await browser.$("#tab-codebook").click();
    await until(browser, async () => (await browser.$("tr[data-code='toolkit']").isExisting()), "the kind codes");
    assert.equal(await browser.$("tr[data-code='toolkit'] td.uses").getText(), "1");
    const notice = () => browser.$("#codebook-notice").getText().catch(() => "");

    // Propose, rename, agree.
    await setValue(browser, "#new-code-name", "Edge Device");
    await setValue(browser, "#new-code-definition", "Runs a model on a device at the edge.");
    await browser.$("#new-code-propose").click();
    await until(browser, async () => /^Proposed “Edge Device” \(edge-device\)$/.test(await notice()), "the proposal");
    assert.equal(await browser.$("tr[data-code='edge-device'] td.status").getText(), "proposed");
    await browser.$("tr[data-code='edge-device'] button.rename").click();
    await setValue(browser, "tr[data-code='edge-device'] input.rename-to", "Edge Deployment");
    await browser.$("tr[data-code='edge-device'] button.do-rename").click();
    await until(browser, async () => /Renamed “Edge Device” to “Edge Deployment”/.test(await notice()), "the rename");
    await browser.$("tr[data-code='edge-device'] button.activate").click();
    await until(browser, async () => (await browser.$("tr[data-code='edge-device'] td.status").getText()) === "active", "the agreement");

    // Merge toolkit into model: ana's decision follows.
    await browser.$("tr[data-code='toolkit'] button.merge").click();
    await browser.execute(() => {
      const s = document.querySelector("tr[data-code='toolkit'] select.merge-into");
      s.value = "model";
      s.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await browser.$("tr[data-code='toolkit'] button.do-merge").click();
    await until(browser, async () => /Merged “Toolkit” into model: 1 decision remapped/.test(await notice()), "the merge");
    assert.equal(await browser.$("tr[data-code='toolkit']").isExisting(), false, "a merged code leaves the codebook");
    assert.equal(await browser.$("tr[data-code='model'] td.uses").getText(), "1");

    // Split application-system: cropwatch is to be coded again.
    await browser.$("tr[data-code='application-system'] button.split").click();
    await setValue(browser, "tr[data-code='application-system'] input.split-a", "Web Application");
    await setValue(browser, "tr[data-code='application-system'] input.split-b", "Embedded System");
    await browser.$("tr[data-code='application-system'] button.do-split").click();
    await until(browser, async () => /Split “Application System” into Web Application, Embedded System; to recode: greenrow\/cropwatch/.test(await notice()), "the split");
    await shot(browser, "19-codebook");

    // Who proposed a code is shown.
    assert.equal(await browser.$("tr[data-code='edge-device'] td.proposer").getText(), "ana");

    // Editing a definition; Escape cancels the form first.
    await browser.$("tr[data-code='model'] button.edit").click();
    await until(browser, async () => (await browser.$("tr[data-code='model'] textarea.edit-definition").isExisting()), "the edit form");
    await browser.keys(KEY.Escape);
    await until(browser, async () => !(await browser.$("tr[data-code='model'] textarea.edit-definition").isExisting()), "Escape to close it");
    await browser.$("tr[data-code='model'] button.edit").click();
    await setValue(browser, "tr[data-code='model'] textarea.edit-definition", "Ships a trained model for others to use.");
    await browser.$("tr[data-code='model'] button.do-edit").click();
    await until(browser, async () => /Edited the definition of “Model”/.test(await notice()), "the edit");
    assert.match(await browser.$("tr[data-code='model'] td.definition").getText(), /^Ships a trained model for others to use\./);

    // Export as REFI-QDA; importing over a codebook in use is refused.
    await setValue(browser, "#codebook-export-file", qdc);
    await browser.execute(() => {
      const s = document.querySelector("#codebook-export-format");
      s.value = "qdc";
      s.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await browser.$("#codebook-export-go").click();
    await until(browser, async () => /^Codebook written to /.test(await notice()), "the export");
    await setValue(browser, "#codebook-import-file", qdc);
    await browser.$("#codebook-import-go").click();
    await until(browser, async () => (await browser.$("#codebook-error").getText().catch(() => "")) !== "", "the refusal");
    await shot(browser, "19a-codebook-edit-export");
  });
  assert.match(readFileSync(qdc, "utf8"), /^<\?xml[^>]*>\s*<CodeBook/);
  const out = mkdtempSync(join(WORK, "codebook-export-"));
  cli(["--study", study, "export", "--out", out]);
  assert.match(readFileSync(join(out, "codings.csv"), "utf8"), /ana,basalt-ai\/autotune,kind,model,/);
  const history = readFileSync(join(out, "history.csv"), "utf8");
  for (const action of ["codebook.propose", "codebook.rename", "codebook.status", "codebook.merge", "codebook.split"]) assert.ok(history.includes(action), `${action} in the history`);
});
