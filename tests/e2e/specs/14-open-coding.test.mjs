// (n) Open coding while coding: a new code written beside the codebook enters it as proposed
// and is given to the decision at hand.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, freshStudy, progress, shot, typeText, until, withApp, WORK } from "../lib.mjs";

const UNIT = "basalt-ai/autotune:Dockerfile";

test("a code proposed while coding is given to the decision", async () => {
  const study = freshStudy("open-coding");
  cli(["--study", study, "raters", "add", "ana"]);
  await withApp(["--study", study, "--open", UNIT], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#codes button.new-code[data-dimension='purpose']").isExisting()), "the code panel");
    await browser.$("#codes button.new-code[data-dimension='purpose']").click();
    await browser.$("#codes .propose-name").click();
    await typeText(browser, "GPU Benchmarking");
    await browser.$("#codes .propose-definition").click();
    await typeText(browser, "Measures training or inference speed on GPUs.");
    await browser.keys("Enter");
    await until(browser, async () => /Added “GPU Benchmarking” to the codebook as proposed/.test(await browser.$("#notice").getText().catch(() => "")), "the proposal");
    await until(browser, async () => (await browser.$("#codes [data-code='gpu-benchmarking']").getAttribute("aria-checked")) === "true", "the code given");
    await until(browser, async () => (await progress(browser)) === "1 / 49", "the decision saved");
    await shot(browser, "21-open-coding");
  });
  const out = mkdtempSync(join(WORK, "open-coding-"));
  cli(["--study", study, "export", "--out", out]);
  assert.match(readFileSync(join(out, "codings.csv"), "utf8"), /ana,basalt-ai\/autotune:Dockerfile,purpose,gpu-benchmarking,/);
  assert.match(readFileSync(join(out, "codebook.csv"), "utf8"), /purpose,[^\r\n]*,gpu-benchmarking,GPU Benchmarking,,[^\r\n]*,proposed,/);
});

test("a unit in an unrevealed round says it is coded blind", async () => {
  const study = freshStudy("blind");
  cli(["--study", study, "raters", "add", "ana"]);
  cli(["--study", study, "round", "create", "r1", "--fraction", "1", "--dimension", "kind", "--seed", "7"]);
  await withApp(["--study", study, "--open", "basalt-ai/autotune"], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#blind-badge").isExisting()), "the blind badge");
    assert.equal(await browser.$("#blind-badge").getText(), "blind: round r1");
  });
  cli(["--study", study, "round", "reveal", "r1", "--force"]);
  await withApp(["--study", study, "--open", "basalt-ai/autotune"], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#unit-title").isExisting()), "the unit");
    assert.equal(await browser.$("#blind-badge").isExisting(), false, "revealed: no longer blind");
  });
});
