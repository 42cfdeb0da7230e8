// (i) The jobs screen: metrics queued for every project and run in the background, each with
// a progress bar; the study file holds the results (checked through the CLI).
import assert from "node:assert/strict";
import { test } from "node:test";
import { cli, freshStudy, shot, until, withApp } from "../lib.mjs";

test("metrics jobs queued, run with progress bars, done", async () => {
  const study = freshStudy("jobs");
  cli(["--study", study, "raters", "add", "ana"]);
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-jobs").isExisting()), "the coding screen");
    await browser.$("#tab-jobs").click();
    await until(browser, async () => (await browser.$("#jobs-tally").isExisting()), "the jobs screen");
    assert.equal(await browser.$("#jobs-tally").getText(), "no jobs yet");
    await browser.$("#jobs-queue").click();
    await until(browser, async () => /^12 jobs queued$/.test(await browser.$("#jobs-notice").getText().catch(() => "")), "twelve jobs queued");
    assert.equal(await browser.$("#jobs-tally").getText(), "12 queued");
    await browser.$("#jobs-run").click();
    await until(browser, async () => /Run finished: 12 done/.test(await browser.$("#jobs-notice").getText().catch(() => "")), "the run");
    assert.equal(await browser.$("#jobs-tally").getText(), "12 done");
    const bars = await browser.execute(() => [...document.querySelectorAll("tr[data-job] progress")].map((p) => p.value));
    assert.deepEqual(bars, Array(12).fill(1));
    await shot(browser, "16-jobs");
  });
  const listed = cli(["--study", study, "jobs", "list", "--format", "json"]);
  const jobs = JSON.parse(listed);
  assert.equal(jobs.length, 12);
  assert.ok(jobs.every((j) => j.state === "done" && j.kind === "dockerfile_metrics"), listed);
});
