// (m) The start screen: a study that does not open leads to it; a new study is created there;
// recent studies and the sample study are a click away; "Studies…" comes back to it.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, shot, until, withApp, WORK, setValue } from "../lib.mjs";

test("new, open and recent studies from the start screen", async () => {
  const dir = mkdtempSync(join(WORK, "start-"));
  const junk = join(dir, "notes.txt");
  writeFileSync(junk, "not a study");
  const created = join(dir, "mine.codebench");
  await withApp(["--study", junk], async (browser) => {
    await until(browser, async () => (await browser.$("#start-screen").isExisting()), "the start screen");
    assert.match(await browser.$("#start-problem").getText(), /not a Codebench study/);
    // Creating over an existing file is refused.
    await setValue(browser, "#study-path", junk);
    await browser.$("#new-study").click();
    await until(browser, async () => /already exists/.test(await browser.$("#start-error").getText().catch(() => "")), "the refusal");
    await setValue(browser, "#study-path", created);
    await browser.$("#new-study").click();
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen of the new study");
    assert.ok(existsSync(created));
    await browser.$("#other-study").click();
    await until(browser, async () => (await browser.$(`#recent-studies button[data-path='${created}']`).isExisting()), "the recent list");
    await shot(browser, "20-start");
    await browser.$("#open-sample").click();
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the sample's rater screen");
    await browser.$("#other-study").click();
    await until(browser, async () => (await browser.$(`#recent-studies button[data-path='${created}']`).isExisting()), "the recent list again");
    await browser.$(`#recent-studies button[data-path='${created}']`).click();
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the recent study");
  });
  assert.match(cli(["--study", created, "status"]), /projects +0/);
});
