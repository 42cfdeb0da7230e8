// (g) The reconcile screen: the raters' codes and memos side by side, a consensus that
// overrides both raters refused without a rationale and stored with one, bulk acceptance.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, codeTwoRaters, freshStudy, shot, typeText, until, withApp, WORK, setValue } from "../lib.mjs";

test("deciding a consensus on the reconcile screen", async () => {
  const study = freshStudy("reconcile");
  // Automatic consensus off while the raters code: the units they agree on wait for the switch.
  cli(["--study", study, "reconcile", "automatic", "off", "--by", "ana"]);
  codeTwoRaters(study);
  cli([
    "--study", study, "evidence", "add", "--rater", "ben", "--unit", "lumen-labs/tinyserve", "--dimension", "kind",
    "--code", "toolkit", "--file", "README.md", "--quote", "versioned HTTP and gRPC endpoint", "--lines", "8",
  ]);
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-reconcile").isExisting()), "the coding screen");
    await browser.$("#tab-reconcile").click();
    await until(browser, async () => (await browser.$("#reconcile-unit").isExisting()), "the first unit to reconcile");
    assert.equal(await browser.$("#reconcile-unit").getText(), "lumen-labs/tinyserve");
    const queue = await browser.execute(() => [...document.querySelectorAll(".reconcile-queue [data-unit]")].map((b) => b.getAttribute("data-unit")));
    assert.deepEqual(queue, ["lumen-labs/tinyserve"]);
    const cards = await browser.execute(() =>
      [...document.querySelectorAll(".rater-card")].map((c) => [c.getAttribute("data-rater"), c.querySelector(".memo-text")?.textContent]),
    );
    assert.deepEqual(cards, [
      ["ana", "ana: mlops-aiops"],
      ["ben", "ben: toolkit"],
    ]);
    // Each rater's evidence beside their codes.
    const quotes = await browser.execute(() =>
      [...document.querySelectorAll(".rater-card")].map((c) => [c.getAttribute("data-rater"), c.querySelector(".evidence-quotes q")?.textContent ?? null]),
    );
    assert.deepEqual(quotes, [
      ["ana", null],
      ["ben", "versioned HTTP and gRPC endpoint"],
    ]);

    // A code neither rater chose, without a rationale: the core refuses and the screen says why.
    await browser.$(".final-codes [data-code='model']").click();
    await until(browser, async () => (await browser.$("label[for='rationale'] .warn").isExisting()), "the rationale hint");
    await browser.$("#decide").click();
    await until(browser, async () => (await browser.$("#reconcile-error").isExisting()), "the refusal");
    assert.match(await browser.$("#reconcile-error").getText(), /overrides every rater .*write the reason in the Rationale box/);
    await shot(browser, "12-reconcile-refused");

    await browser.$("#rationale").click();
    await typeText(browser, "ships trained weights");
    await browser.$("#decide").click();
    await until(browser, async () => (await browser.$("#reconcile-notice").isExisting()), "the consensus");
    assert.equal(await browser.$("#reconcile-notice").getText(), "Consensus on lumen-labs/tinyserve: model");
    assert.ok(await browser.$("#reconcile-empty").isExisting(), "the kind queue is empty");

    assert.equal(await browser.$("#auto-consensus").isSelected(), false);
    await browser.$("#auto-consensus").click();
    await until(
      browser,
      async () => /Automatic consensus on: 2 units where all raters agree became consensus/.test(await browser.$("#reconcile-notice").getText()),
      "automatic consensus catching up",
    );
    assert.equal(await browser.$("#auto-consensus").isSelected(), true);
    await browser.$("#accept-unanimous").click();
    await until(browser, async () => /Unanimous: 0 accepted, 3 already decided/.test(await browser.$("#reconcile-notice").getText()), "bulk acceptance");
    await shot(browser, "13-reconcile-accepted");
  });

  const out = mkdtempSync(join(WORK, "export-"));
  cli(["--study", study, "export", "--out", out]);
  const text = readFileSync(join(out, "consensus.csv"), "utf8");
  assert.match(text, /lumen-labs\/tinyserve,kind,model,ana/);
  assert.match(text, /basalt-ai\/autotune,kind,model,auto,all raters chose these codes/);
  assert.match(cli(["--study", study, "reconcile", "automatic"]), /automatic consensus is on/);
});

test("merging a rater's copy typed as a path", async () => {
  const study = freshStudy("merge");
  const other = join(mkdtempSync(join(WORK, "copy-")), "cy.codebench");
  copyFileSync(study, other);
  cli(["--study", other, "raters", "add", "cy"]);
  cli(["--study", other, "code", "--rater", "cy", "--unit", "basalt-ai/autotune", "--dimension", "kind", "--code", "model"]);
  cli(["--study", study, "raters", "add", "ana"]);
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-reconcile").isExisting()), "the coding screen");
    await browser.$("#tab-reconcile").click();
    await until(browser, async () => (await browser.$("#merge-path").isExisting()), "the merge field");
    await setValue(browser, "#merge-path", "cy.codebench");
    await browser.$("#merge").click();
    await until(browser, async () => /not an absolute path/.test(await browser.$("#reconcile-error").getText().catch(() => "")), "the refusal");
    await setValue(browser, "#merge-path", other);
    await browser.$("#merge").click();
    await until(browser, async () => /raters added: cy, 1 decisions added/.test(await browser.$("#reconcile-notice").getText().catch(() => "")), "the merge");
    await shot(browser, "14-merged");
  });
  assert.match(cli(["--study", study, "raters", "list"]), /cy/);
});
