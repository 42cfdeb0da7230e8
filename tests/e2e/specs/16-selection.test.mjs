// (p) Issue 15 in the app: the corpus selection run from the Selection tab against a local
// GitHub (github-mock --topic, 1,800 repositories, so the search is split past the 1,000 cap):
// search (query by keyboard, the created: range), a filter chain of three criteria, a
// seeded stratified sample, accept — each a background step with progress — then the funnel's
// counts, excluded repositories with reasons, the methods paragraph, the figure and the export.
// The counts the app shows must equal those of the same selection run by the CLI on the same
// server, and the record the app wrote must read back the same.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { choose, chord, cli, KEY, setValue, shot, startGithubMock, typeText, until, withApp, WORK } from "../lib.mjs";

const QUERY = "topic:mlops fork:true";
const FROM = "2013-06-01";
const UNTIL = "2020-12-31";

/** A new, empty study with one rater. */
function emptyStudy(name) {
  const file = join(mkdtempSync(join(WORK, `${name}-`)), "study.codebench");
  cli(["--study", file, "init"]);
  cli(["--study", file, "raters", "add", "ana"]);
  return file;
}

/** The funnel as the app shows it: step → { kind, status, in, out }. */
const shownFunnel = (browser) =>
  browser.execute(() =>
    [...document.querySelectorAll("#funnel tr[data-step]")].map((r) => ({
      step: Number(r.getAttribute("data-step")),
      kind: r.getAttribute("data-kind"),
      status: r.getAttribute("data-status"),
      in: r.querySelector("td.in").textContent.replace(/,/g, "").trim(),
      out: r.querySelector("td.out").textContent.replace(/,/g, "").trim(),
    })),
  );

/** Waits until the funnel has `n` steps and the last one is done (no step running). */
async function stepDone(browser, n, what) {
  await until(
    browser,
    async () => {
      const f = await shownFunnel(browser);
      const running = await browser.$("#sel-running").isExisting();
      return !running && f.length === n && f[n - 1].status === "done";
    },
    what,
    60000,
  );
}

test("search, filter, sample and accept in the Selection tab, with the CLI's counts", async () => {
  const mock = await startGithubMock(["--topic", "mlops:1800"]);
  try {
    // The oracle: the same selection by the CLI against the same server.
    const oracle = emptyStudy("select-cli");
    cli(["--study", oracle, "select", "search", `${QUERY} created:>=${FROM}`, "--api-url", mock.url, "--created-until", UNTIL]);
    cli(["--study", oracle, "select", "filter", "--not-archived", "--min-commits", "100", "--has-dockerfile", "--api-url", mock.url]);
    cli(["--study", oracle, "select", "sample", "--size", "25", "--seed", "7", "--stratify", "language"]);
    const expected = JSON.parse(cli(["--study", oracle, "select", "show", "--format", "json"])).steps.map((s) => ({
      step: s.step,
      kind: s.kind,
      status: "done",
      in: s.in === null ? "" : String(s.in),
      out: s.out === null ? "" : String(s.out),
    }));
    assert.equal(expected.length, 5);
    assert.ok(Number(expected[0].out) > 1000, "the search found more than one page cap's worth");

    const study = emptyStudy("select-app");
    const out = mkdtempSync(join(WORK, "select-export-"));
    await withApp(["--study", study], async (browser) => {
      await until(browser, async () => (await browser.$("button.rater[data-rater='ana']").isExisting()), "the rater screen");
      await browser.$("button.rater[data-rater='ana']").click();
      await until(browser, async () => (await browser.$("#tab-selection").isExisting()), "the coding screen");
      await browser.$("#tab-selection").click();
      await until(browser, async () => (await browser.$("#sel-empty").isExisting()), "the empty selection");

      // 1. Search: the query typed, the end of the created: range, Enter.
      await setValue(browser, "#sel-api", mock.url);
      await browser.$("#sel-from").click();
      await typeText(browser, FROM);
      await browser.$("#sel-until").click();
      await typeText(browser, UNTIL);
      await browser.$("#sel-query").click();
      await typeText(browser, QUERY);
      await browser.keys("Enter");
      await until(browser, async () => (await browser.$("#sel-running").isExisting()) || (await browser.$("#funnel").isExisting()), "the search to start");
      await stepDone(browser, 1, "the search");
      assert.match(await browser.$("#sel-notice").getText(), /^Step 1, .*repositories found$/);
      const search = await browser.$("#funnel tr[data-step='1'] td.params").getText();
      assert.match(search, /query: topic:mlops fork:true created:>=2013-06-01/);
      assert.match(search, /created until: 2020-12-31/);

      // 2. Filter: three criteria, each its own step, in the order added.
      await choose(browser, "#sel-criterion", "not_archived");
      await browser.$("#sel-criterion-add").click();
      await choose(browser, "#sel-criterion", "min_commits");
      await browser.$("#sel-criterion-add").click();
      assert.equal(await browser.$("#sel-criterion-problem").getText(), "give a whole number (0 or more)");
      await browser.$("#sel-criterion-param").click();
      await typeText(browser, "100");
      await browser.keys("Enter");
      await choose(browser, "#sel-criterion", "has_dockerfile");
      await browser.$("#sel-criterion-add").click();
      const chain = await browser.execute(() => [...document.querySelectorAll("#sel-chain li")].map((l) => l.getAttribute("data-criterion")));
      assert.deepEqual(chain, ["not_archived", "min_commits", "has_dockerfile"]);
      await browser.$("#sel-filter").click();
      await stepDone(browser, 4, "the three filter steps");

      // 3. Sample: 25, seed 7, stratified by language; Enter in the seed field.
      await setValue(browser, "#sel-sample-size", "25");
      await choose(browser, "#sel-stratify", "language");
      await browser.$("#sel-sample-seed").click();
      await chord(browser, KEY.Control, "a");
      await typeText(browser, "7");
      await browser.keys("Enter");
      await stepDone(browser, 5, "the sample");

      assert.deepEqual(await shownFunnel(browser), expected, "the app's funnel equals the CLI's on the same server");

      // The excluded repositories of the commits filter, with their reasons.
      await browser.$("#funnel tr[data-step='3'] button.excluded-toggle").click();
      await until(browser, async () => (await browser.$("#excluded[data-step='3']").isExisting()), "the excluded list");
      const reasons = await browser.execute(() => [...document.querySelectorAll("#excluded tr[data-repo] td:nth-child(2)")].map((t) => t.textContent));
      assert.ok(reasons.length > 0 && reasons.every((r) => /commit/.test(r)), `reasons name the commits: ${reasons.slice(0, 3)}`);
      await shot(browser, "30-selection-funnel");

      // 4. Accept: the sample becomes the corpus (imported from the same server).
      await browser.$("#sel-accept").click();
      await stepDone(browser, 6, "the accept step");
      const funnel = await shownFunnel(browser);
      assert.deepEqual(funnel[5], { step: 6, kind: "accept", status: "done", in: "25", out: "25" });
      assert.match(await browser.$("#sel-notice").getText(), /imported 25 new/);
      assert.match(await browser.$("#funnel-population").getText(), /^25 repositories in after the last step; accepted as the corpus\.$/);
      assert.ok(!(await browser.$("#sel-filter").isExisting()), "no more steps after accept");
      assert.ok(await browser.$("#sel-rerun").isEnabled(), "a re-run still can be");

      // The methods paragraph, the figure, and the export.
      assert.match(await browser.$("#sel-methods").getText(), /topic:mlops fork:true/);
      assert.match(await browser.$("#sel-methods").getText(), /\b7\b/, "the seed is stated");
      assert.ok(await browser.$("#funnel-figure img").isExisting());
      await setValue(browser, "#sel-export-folder", out);
      await browser.$("#sel-export").click();
      await until(browser, async () => /^selection\.csv \(6 steps\)/.test(await browser.$("#sel-notice").getText().catch(() => "")), "the export");
      await shot(browser, "31-selection-accepted");

      // Re-run against the same server, up to today: nothing vanished or changed; those created
      // after the recorded end of the range are new.
      await browser.$("#sel-rerun").click();
      await until(browser, async () => (await browser.$("#sel-drift").isExisting()) && !(await browser.$("#sel-running").isExisting()), "the re-run", 60000);
      const then = Number(expected[0].out);
      const now = Number(cli(["--study", oracle, "select", "rerun", "--api-url", mock.url, "--format", "json"]).match(/"found_now":\s*(\d+)/)[1]);
      assert.ok(now > then, `more are found up to today (${now}) than up to ${UNTIL} (${then})`);
      assert.match(await browser.$("#sel-drift p").getText(), new RegExp(`: ${then} found then, ${now} now, 0 vanished, ${now - then} new, 0 changed$`));
    });

    // What the app recorded reads back the same through the CLI.
    const recorded = JSON.parse(cli(["--study", study, "select", "show", "--format", "json"])).steps;
    assert.deepEqual(
      recorded.slice(0, 5).map((s) => [s.in, s.out]),
      expected.map((s) => [Number(s.in), Number(s.out)]),
    );
    assert.match(cli(["--study", study, "status"]), /25 projects?/);
    const files = readdirSync(out);
    for (const f of ["selection.csv", "excluded.csv"]) assert.ok(files.includes(f), `${f} written (${files})`);
    assert.ok(files.some((f) => f.endsWith(".svg")), `the funnel figure written (${files})`);
    assert.equal(readFileSync(join(out, "selection.csv"), "utf8").trim().split("\n").length, 7, "a header and one row per step");
    assert.ok(existsSync(study));
  } finally {
    mock.stop();
  }
});
