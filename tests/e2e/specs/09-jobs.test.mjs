// (i) The jobs screen: study-wide Dockerfile metrics computed at once, a project's metrics
// queued as a job that runs in the background as soon as it is queued, with a progress bar;
// the study file holds the results (checked through the CLI). With the study holding jobs
// (the screen's setting, the same as `codebench jobs hold`), a queued job waits for "Run
// queued jobs".
import assert from "node:assert/strict";
import { test } from "node:test";
import { cli, freshStudy, shot, until, withApp } from "../lib.mjs";

test("metrics: every Dockerfile analysed at once, a project's job run with a progress bar", async () => {
  const study = freshStudy("jobs");
  cli(["--study", study, "raters", "add", "ana"]);
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-jobs").isExisting()), "the coding screen");
    await browser.$("#tab-jobs").click();
    await until(browser, async () => (await browser.$("#jobs-tally").isExisting()), "the jobs screen");
    assert.equal(await browser.$("#jobs-tally").getText(), "no jobs yet");
    const notice = () => browser.$("#jobs-notice").getText().catch(() => "");

    // Study-wide Dockerfile metrics need no job: recomputed at once.
    await browser.$("#jobs-recompute").click();
    await browser.$("#jobs-queue").click();
    await until(browser, async () => /^37 Dockerfiles analysed, 0 jobs queued$/.test(await notice()), "the Dockerfiles analysed");
    assert.equal(await browser.$("#jobs-tally").getText(), "no jobs yet");

    // One project's Dockerfile metrics: a job, run at once in the background.
    await browser.execute(() => {
      const s = document.querySelector("#jobs-project");
      s.value = "lumen-labs/tinyserve";
      s.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await browser.$("#jobs-queue-project").click();
    await until(browser, async () => /Run finished: 1 done/.test(await notice()), "the run");
    assert.equal(await browser.$("#jobs-tally").getText(), "1 done");
    const bars = await browser.execute(() => [...document.querySelectorAll("tr[data-job] progress")].map((p) => p.value));
    assert.deepEqual(bars, [1]);
    assert.equal(await browser.$("tr[data-job] td.target").getText(), "lumen-labs/tinyserve");
    await shot(browser, "16-jobs");

    // Hold queued jobs: the next project's job waits, as the CLI reads the setting.
    assert.equal(await browser.$("#jobs-hold").isSelected(), false);
    await browser.$("#jobs-hold").click();
    await until(browser, async () => /are held/.test(cli(["--study", study, "jobs", "hold"])), "the setting stored");
    await browser.execute(() => {
      const s = document.querySelector("#jobs-project");
      s.value = "greenrow/cropwatch";
      s.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await browser.$("#jobs-queue-project").click();
    await until(browser, async () => /held until you press Run queued jobs$/.test(await notice()), "the job held");
    assert.equal(await browser.$("#jobs-tally").getText(), "1 queued, 1 done");
    await shot(browser, "16a-jobs-held");
    await browser.$("#jobs-run").click();
    await until(browser, async () => /Run finished: 1 done/.test(await notice()), "the held job run");
    assert.equal(await browser.$("#jobs-tally").getText(), "2 done");
  });
  const jobs = JSON.parse(cli(["--study", study, "jobs", "list", "--format", "json"]));
  assert.equal(jobs.length, 2);
  assert.ok(jobs.every((j) => j.state === "done" && j.kind === "dockerfile_metrics"), JSON.stringify(jobs));
  assert.deepEqual(jobs.map((j) => j.target), ["lumen-labs/tinyserve", "greenrow/cropwatch"]);
});
