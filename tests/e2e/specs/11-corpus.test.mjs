// (k) The corpus screen: an import from a GitHub look-alike on 127.0.0.1 (the project's
// github-mock) with a progress bar and a result per repository, then an image reference
// added and removed by hand; the project list with its filters and removal; local checkouts,
// a codings CSV and a labels CSV imported in the app.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { CLI, cli, freshStudy, KEY, shot, until, withApp, WORK, setValue } from "../lib.mjs";

/** Starts github-mock on a free port with one repository per name; resolves to its URL. */
function startMock(names) {
  const list = join(mkdtempSync(join(WORK, "mock-")), "repos.txt");
  writeFileSync(list, names.join("\n") + "\n");
  const mock = spawn(join(dirname(CLI), "github-mock"), [list], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    mock.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/at (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve({ url: m[1], stop: () => mock.kill() });
    });
    mock.on("error", reject);
    mock.on("exit", (code) => reject(new Error(`github-mock exited with ${code}: ${out}`)));
  });
}

test("importing from GitHub in the app, then editing image references", async () => {
  const study = freshStudy("corpus");
  cli(["--study", study, "raters", "add", "ana"]);
  const mock = await startMock(["acme/one", "acme/two"]);
  try {
    await withApp(["--study", study], async (browser) => {
      await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
      await browser.$("button.rater[data-rater='ana']").click();
      await until(browser, async () => (await browser.$("#tab-corpus").isExisting()), "the coding screen");
      await browser.$("#tab-corpus").click();
      await until(browser, async () => (await browser.$("#github-names").isExisting()), "the import form");
      await setValue(browser, "#github-names", "acme/one\nhttps://github.com/acme/two\nacme/missing\n# not this one\n");
      await setValue(browser, "#github-api", mock.url);
      // The token is kept in the OS keyring (keyutils here), never in the study.
      await setValue(browser, "#github-token", "ghp_e2e_token_not_stored");
      await browser.$("#github-remember").click();
      assert.equal(await browser.$("#github-start").getText(), "Import 3 repositories");
      await browser.$("#github-start").click();
      await until(browser, async () => /^Imported: /.test(await browser.$("#corpus-notice").getText().catch(() => "")), "the import");
      assert.equal(await browser.$("#corpus-notice").getText(), "Imported: 2 new, 0 updated, 0 unchanged, 1 failed; " + (await browser.$("#corpus-notice").getText()).split("; ")[1]);
      assert.equal(await browser.$("#github-count").getText(), "3 / 3");
      const outcomes = await browser.execute(() =>
        Object.fromEntries([...document.querySelectorAll("#github-results tr[data-repo]")].map((r) => [r.getAttribute("data-repo"), r.getAttribute("data-outcome")])),
      );
      assert.deepEqual(outcomes, { "acme/one": "new", "acme/two": "new", "acme/missing": "failed" });
      await until(browser, async () => (await browser.$("#token-kept").isExisting()), "the kept token");
      await shot(browser, "18-github-import");
      await browser.$("#github-forget").click();
      await until(browser, async () => !(await browser.$("#token-kept").isExisting()), "the token forgotten");

      // An image reference by hand, then removed.
      await browser.execute(() => {
        const s = document.querySelector("#ref-project");
        s.value = "acme/one";
        s.dispatchEvent(new Event("change", { bubbles: true }));
      });
      await setValue(browser, "#ref-new", "acme/one-server:1.0");
      await browser.$("#ref-add").click();
      await until(browser, async () => (await browser.$("#ref-list tr[data-ref='acme/one-server:1.0']").isExisting()), "the added reference");
      await browser.$("#ref-new").click();
      await setValue(browser, "#ref-new", "not a reference!");
      await browser.$("#ref-add").click();
      await until(browser, async () => (await browser.$("#corpus-error").isExisting()), "the refusal");
      assert.match(await browser.$("#corpus-error").getText(), /not a reference!/);
      assert.match(cli(["--study", study, "images", "--project", "acme/one"]), /acme\/one-server:1\.0/);
      await browser.$("#ref-list tr[data-ref='acme/one-server:1.0'] button.remove").click();
      await until(browser, async () => !(await browser.$("#ref-list tr[data-ref='acme/one-server:1.0']").isExisting()), "the removal");
    });
  } finally {
    mock.stop();
  }
  assert.ok(!readFileSync(study).includes("ghp_e2e_token_not_stored"), "the token is not in the study file");
  // Both repositories are in the study with their units; the failure is recorded on its project.
  const units = cli(["--study", study, "units"]);
  assert.match(units, /^project +acme\/one$/m);
  assert.match(units, /^dockerfile +acme\/two:docker\/Dockerfile$/m);
  assert.match(cli(["--study", study, "status"]), /1 with problems/);
});

/** Chooses an option of a select as a person would (a change event). */
async function choose(browser, selector, value) {
  await browser.execute(
    (s, v) => {
      const el = document.querySelector(s);
      el.value = v;
      el.dispatchEvent(new Event("change", { bubbles: true }));
    },
    selector,
    value,
  );
}

test("the project list, local checkouts, a codings CSV and a labels CSV in the app", async () => {
  const study = freshStudy("corpus-local");
  cli(["--study", study, "raters", "add", "ana"]);
  cli(["--study", study, "code", "--rater", "ana", "--unit", "basalt-ai/autotune", "--dimension", "kind", "--code", "model"]);
  // A checkout on disk (no git): its README and Dockerfile.
  const checkout = join(mkdtempSync(join(WORK, "checkout-")), "weatherbot");
  mkdirSync(checkout);
  writeFileSync(join(checkout, "README.md"), "# weatherbot\n\nForecasts rain with a small model.\n");
  writeFileSync(join(checkout, "Dockerfile"), "FROM python:3.12-slim\nRUN pip install weatherbot\nCMD [\"weatherbot\"]\n");
  // Codings from a rater's copy, as the CLI exports them (ana's decision is in it too).
  const copy = join(mkdtempSync(join(WORK, "copy-")), "cy.codebench");
  copyFileSync(study, copy);
  cli(["--study", copy, "raters", "add", "cy"]);
  cli(["--study", copy, "code", "--rater", "cy", "--unit", "greenrow/cropwatch", "--dimension", "kind", "--code", "toolkit"]);
  const exported = mkdtempSync(join(WORK, "cy-export-"));
  cli(["--study", copy, "export", "--out", exported]);
  // A published study's spreadsheet: one column of labels.
  const labels = join(mkdtempSync(join(WORK, "labels-")), "published.csv");
  writeFileSync(labels, "repo,label,stars\ngreenrow/cropwatch,Application System,10\nlumen-labs/tinyserve,Toolkit,3\nfernhollow/petalnet,,1\n");

  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-corpus").isExisting()), "the coding screen");
    await browser.$("#tab-corpus").click();
    await until(browser, async () => (await browser.$$("#project-list tr[data-project]").length) === 12, "the twelve projects");
    const notice = () => browser.$("#corpus-notice").getText().catch(() => "");
    const error = () => browser.$("#corpus-error").getText().catch(() => "");
    const rows = () => browser.execute(() => [...document.querySelectorAll("#project-list tr[data-project]")].map((r) => r.getAttribute("data-project")));

    // A local checkout, typed as a path.
    await setValue(browser, "#local-dirs", checkout);
    assert.equal(await browser.$("#local-import").getText(), "Import 1 folder");
    await browser.$("#local-import").click();
    await until(browser, async () => /^Imported 1 folder: 1 new, 0 updated, 0 unchanged \(local\/weatherbot\)$/.test(await notice()), "the local import");
    await until(browser, async () => (await rows()).includes("local/weatherbot"), "the new project listed");
    assert.equal(await browser.$("#project-list tr[data-project='local/weatherbot']").getAttribute("data-source"), "local");

    // Filters: by source, and by the rater's own kind code.
    await choose(browser, "#project-source", "local");
    await until(browser, async () => JSON.stringify(await rows()) === '["local/weatherbot"]', "the local projects only");
    await browser.$("#project-filters-clear").click();
    await choose(browser, "#project-kind", "model");
    await until(browser, async () => JSON.stringify(await rows()) === '["basalt-ai/autotune"]', "ana's models only");
    await browser.$("#project-filters-clear").click();
    await shot(browser, "18a-project-list");

    // Removing a project with a decision is refused; one without is removed (after a confirmation).
    await browser.$("#project-list tr[data-project='basalt-ai/autotune'] button.remove-project").click();
    await browser.$("#project-list tr[data-project='basalt-ai/autotune'] button.remove-confirm").click();
    await until(browser, async () => (await error()) !== "", "the refusal");
    assert.ok((await rows()).includes("basalt-ai/autotune"));
    await browser.$("#project-list tr[data-project='local/weatherbot'] button.remove-project").click();
    await browser.keys(KEY.Escape);
    await until(browser, async () => !(await browser.$("#project-list tr[data-project='local/weatherbot'] button.remove-confirm").isExisting()), "Escape to cancel");
    await browser.$("#project-list tr[data-project='local/weatherbot'] button.remove-project").click();
    await browser.$("#project-list tr[data-project='local/weatherbot'] button.remove-confirm").click();
    await until(browser, async () => /^Removed local\/weatherbot: 2 units, 1 snapshot$/.test(await notice()), "the removal");
    assert.ok(!(await rows()).includes("local/weatherbot"));

    // A codings CSV (all or nothing), then a labels CSV recorded as a new rater's decisions.
    await setValue(browser, "#codings-file", join(exported, "codings.csv"));
    await browser.$("#codings-import").click();
    await until(browser, async () => /^Codings imported: 1 new, 0 changed, 1 unchanged, raters added: cy$/.test(await notice()), "the codings");
    await setValue(browser, "#labels-file", labels);
    await setValue(browser, "#labels-rater", "ease2022");
    await choose(browser, "#labels-dimension", "kind");
    await setValue(browser, "#labels-unit-column", "repo");
    await setValue(browser, "#labels-code-column", "label");
    await browser.$("#labels-import").click();
    await until(browser, async () => /^Labels imported for ease2022: 2 recorded, 0 unchanged, 1 rows without a label skipped$/.test(await notice()), "the labels");
    await shot(browser, "18b-imports");
  });
  const raters = cli(["--study", study, "raters", "list"]);
  assert.match(raters, /cy/);
  assert.match(raters, /ease2022/);
  assert.doesNotMatch(cli(["--study", study, "units"]), /weatherbot/);
});
