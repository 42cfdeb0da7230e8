// (g) The reconcile screen: the raters' codes and memos side by side, a consensus that
// overrides both raters refused without a rationale and stored with one, bulk acceptance.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { chord, cli, codeTwoRaters, freshStudy, KEY, shot, typeText, until, withApp, WORK, setValue } from "../lib.mjs";

/** The final codes chosen on the reconcile screen. */
const chosen = (browser) =>
  browser.execute(() => [...document.querySelectorAll(".final-codes [aria-checked='true']")].map((b) => b.getAttribute("data-code")));

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

    // The final codes start empty (nobody's set preselected); each rater's set is one key away.
    assert.deepEqual(await chosen(browser), []);
    await browser.$("#reconcile-unit").click();
    await browser.keys("2");
    await until(browser, async () => JSON.stringify(await chosen(browser)) === '["toolkit"]', "ben's codes on key 2");
    await browser.keys("1");
    await until(browser, async () => JSON.stringify(await chosen(browser)) === '["mlops-aiops"]', "ana's codes on key 1");

    // Someone other than the rater at the keyboard adjudicates.
    await browser.execute(() => {
      const s = document.querySelector("#adjudicator");
      s.value = "ben";
      s.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await until(browser, async () => /Decide consensus as ben/.test(await browser.$("#decide").getText()), "ben as the adjudicator");

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

    // Reopen it: the decided units are listed on request, the consensus says who decided it.
    await browser.$("#show-resolved").click();
    await until(browser, async () => (await browser.$(".reconcile-queue [data-unit='lumen-labs/tinyserve']").isExisting()), "the decided units");
    await browser.$(".reconcile-queue [data-unit='lumen-labs/tinyserve']").click();
    await until(browser, async () => (await browser.$("#consensus-now").isExisting()), "the consensus at hand");
    assert.match(await browser.$("#consensus-now").getText(), /Model — decided by ben: ships trained weights/);
    await browser.$("#reopen").click();
    await until(browser, async () => (await browser.$("#reopen-why").isExisting()), "the reopen form");
    await browser.keys(KEY.Escape);
    await until(browser, async () => !(await browser.$("#reopen-why").isExisting()), "Escape to close the form");
    await browser.$("#reopen").click();
    await until(browser, async () => (await browser.$("#reopen-why").isFocused()), "the reason field");
    await typeText(browser, "ben's reading holds");
    await browser.$("#reopen-confirm").click();
    await until(browser, async () => /^Reopened lumen-labs\/tinyserve/.test(await browser.$("#reconcile-notice").getText().catch(() => "")), "the reopening");
    assert.equal(await browser.$("#consensus-now").isExisting(), false);
    // Decided again, with ben's codes (key 2) and Ctrl+Enter: no rationale needed.
    await browser.$("#reconcile-unit").click();
    await browser.keys("2");
    await until(browser, async () => JSON.stringify(await chosen(browser)) === '["toolkit"]', "ben's codes");
    await chord(browser, KEY.Control, KEY.Enter);
    await until(browser, async () => (await browser.$("#reconcile-notice").getText().catch(() => "")) === "Consensus on lumen-labs/tinyserve: toolkit", "the new consensus");
    await shot(browser, "13a-reconcile-reopened");

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
  assert.match(text, /lumen-labs\/tinyserve,kind,toolkit,ben/);
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
