// (k) The corpus screen: an import from a GitHub look-alike on 127.0.0.1 (the project's
// github-mock) with a progress bar and a result per repository, then an image reference
// added and removed by hand.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { CLI, cli, freshStudy, shot, until, withApp, WORK, setValue } from "../lib.mjs";

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
