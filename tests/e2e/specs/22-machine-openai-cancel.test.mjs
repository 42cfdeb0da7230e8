// Issue 16 in the app: an OpenAI-compatible machine rater (a chat-completions server on
// 127.0.0.1) runs in the background with progress; Cancel stops it midway, the run is listed
// unfinished, and Run again resumes it without asking again any unit whose answer was recorded. A broken answer is a
// recorded failure (no decision) shown with its reason; the run's provenance names the
// endpoint, the model and the version the server reported, and the tokens it counted. The
// routing list names the units to code first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startChatMock } from "../chat-mock.mjs";
import { choose, cli, freshStudy, openMachineScreen, setValue, shot, until, withApp } from "../lib.mjs";

const BROKEN = "greenrow/cropwatch";

test("an openai machine rater: progress, Cancel, resume, failures and provenance", async () => {
  const study = freshStudy("machine-openai");
  cli(["--study", study, "raters", "add", "ana"]);
  const projects = cli(["--study", study, "units"]).split("\n").filter((l) => l.startsWith("project")).length;
  const mock = await startChatMock({ delayMs: 400, broken: [BROKEN] });
  try {
    await withApp(["--study", study], async (browser) => {
      await openMachineScreen(browser);

      await setValue(browser, "#machine-name", "llm");
      await choose(browser, "#machine-backend", "openai");
      await until(browser, async () => (await browser.$("#machine-url").isExisting()), "the endpoint fields");
      await setValue(browser, "#machine-url", mock.url);
      await setValue(browser, "#machine-model", "e2e-model");
      await setValue(browser, "#machine-temperature", "0");
      await setValue(browser, "#machine-seed", "7");
      await browser.$("#machine-add-button").click();
      await until(browser, async () => (await browser.$("#machine-list tr[data-machine='llm']").isExisting()), "llm listed");
      assert.match(await browser.$("#machine-list tr[data-machine='llm'] td:nth-child(2)").getText(), new RegExp(`openai e2e-model at ${mock.url.replace(/[.]/g, "\\.")} \\(temperature 0, seed 7\\)$`));
      assert.equal(await browser.$("#machine-list tr[data-machine='llm'] .machine-evaluate").isExisting(), false, "only a local model is cross-validated");

      // No dimension configured: Run waits for one to be chosen.
      assert.equal(await browser.$("#machine-list tr[data-machine='llm'] .machine-run").isEnabled(), false);
      await choose(browser, "#machine-list tr[data-machine='llm'] .machine-run-dimension", "kind");
      // Run, watch the progress, cancel midway.
      await browser.$("#machine-list tr[data-machine='llm'] .machine-run").click();
      await until(browser, async () => (await browser.$("#machine-progress").isExisting()), "the progress");
      await until(browser, async () => /^[2-9] \/ \d+/.test(await browser.$("#machine-count").getText()), "two answers");
      assert.match(await browser.$("#machine-count").getText(), new RegExp(` / ${projects}`));
      // The run is on record from its start, unfinished.
      await until(browser, async () => (await browser.$("#machine-runs tbody tr td:last-child").isExisting()) && (await browser.$("#machine-runs tbody tr td:last-child").getText()) === "unfinished", "the run listed while it runs");
      await shot(browser, "22-machine-running");
      await browser.$("#machine-cancel").click();
      await until(browser, async () => (await browser.$("#machine-said").isExisting()) && /cancelled/.test(await browser.$("#machine-said").getText()), "the cancel", 15000);
      assert.match(await browser.$("#machine-said").getText(), /^Run \d+ cancelled \(run it again to go on\)/);
      await until(browser, async () => (await browser.$("#machine-runs tbody tr td:last-child").getText()) === "unfinished", "the run listed unfinished");
      const before = [...mock.asked().values()].reduce((a, b) => a + b, 0);
      assert.ok(before < projects, `stopped before the end: ${before} of ${projects}`);

      // Run again: the run resumes, and no unit is asked twice.
      await browser.$("#machine-list tr[data-machine='llm'] .machine-run").click();
      await until(browser, async () => /\(resumed\) done/.test((await browser.$("#machine-said").isExisting()) ? await browser.$("#machine-said").getText() : ""), "the resumed run's end", 30000);
      const said = await browser.$("#machine-said").getText();
      assert.match(said, /1 failed/, said);
      // Every answer recorded before Cancel stays: only the one request in flight when Cancel
      // came (its answer never recorded) may be asked again.
      const counts = [...mock.asked().values()];
      assert.equal(mock.asked().size, projects);
      assert.ok(counts.reduce((a, b) => a + b, 0) <= projects + 1, `asked ${JSON.stringify([...mock.asked()])}`);
      assert.ok(counts.every((n) => n <= 2));

      const run = await browser.execute(() => [...document.querySelectorAll("#machine-runs tbody tr:first-child td")].map((td) => td.textContent.trim()));
      assert.equal(run[2], `openai · ${mock.url}`);
      assert.equal(run[3], "e2e-model (fp_e2e_mock)");
      assert.equal(run[5], `${projects} / ${projects}`);
      assert.equal(run[6], "1");
      assert.equal(run[7], `${projects * 100} / ${projects * 20}`);
      assert.equal(run[11], "done");
      await until(browser, async () => (await browser.$(`#machine-answers tr[data-unit='${BROKEN}']`).isExisting()), "the answers");
      const failed = await browser.$(`#machine-answers tr[data-unit='${BROKEN}']`).getText();
      assert.match(failed, /failed/);
      const ok = await browser.$("#machine-answers tr[data-status='ok']").getText();
      assert.match(ok, /the README of .+ says so/);
      await browser.$("#machine-run-detail summary").click();
      assert.match(await browser.$("#machine-parameters").getText(), /"seed": 7/);
      await shot(browser, "22-machine-resumed");
      // The routing list: with every label at confidence 0.8, only the failed unit is routed;
      // at a threshold of 0.9 every unit is.
      await browser.$("#machine-route-button").click();
      await until(browser, async () => (await browser.$("#machine-route-head").isExisting()), "the routing list");
      assert.equal(await browser.$("#machine-route-head").getText(), `kind: 1 of ${projects} units answered by llm to code first (confidence below 0.6)`);
      assert.equal(await browser.$(`#machine-route tr[data-unit='${BROKEN}']`).getAttribute("data-reasons"), "failed");
      await setValue(browser, "#machine-route-below", "0.9");
      await browser.$("#machine-route-button").click();
      await until(browser, async () => (await browser.$$("#machine-route tbody tr")).length === projects, "every unit routed at 0.9");
      await setValue(browser, "#machine-route-below", "2");
      await browser.$("#machine-route-button").click();
      await until(browser, async () => (await browser.$("#machine-route-said").isExisting()), "the threshold refused");
      await shot(browser, "22-machine-routing");
      // The failure is no decision: the study holds one fewer than the units.
      const decisions = JSON.parse(cli(["--study", study, "decisions", "--rater", "llm", "--format", "json"]));
      assert.equal(decisions.length, projects - 1);
      assert.ok(!decisions.some((d) => d.unit === BROKEN));
    });
  } finally {
    await mock.stop();
  }
});
