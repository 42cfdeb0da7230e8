// Issue 16 in the app: an endpoint's API key is kept in the OS keyring from the Machine screen,
// a run sends it (the chat-completions server on 127.0.0.1 answers 401 to anything else), it
// never enters the study file, and Forget removes it: the next run is refused by the server.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { startChatMock } from "../chat-mock.mjs";
import { choose, cli, freshStudy, openMachineScreen, setValue, shot, until, withApp } from "../lib.mjs";

const KEY = "sk-e2e-kept-in-the-keyring";

async function addRater(browser, name, url) {
  await setValue(browser, "#machine-name", name);
  await choose(browser, "#machine-dimension", "kind");
  await setValue(browser, "#machine-url", url);
  await setValue(browser, "#machine-model", "e2e-model");
  await browser.$("#machine-add-button").click();
  await until(browser, async () => (await browser.$(`#machine-list tr[data-machine='${name}']`).isExisting()), `${name} listed`);
}

async function runAndWait(browser, name) {
  await browser.$(`#machine-list tr[data-machine='${name}'] .machine-run`).click();
  await until(browser, async () => (await browser.$("#machine-said").isExisting()) && / done: /.test(await browser.$("#machine-said").getText()), `${name}'s run done`, 30000);
  return browser.$("#machine-said").getText();
}

test("an endpoint's API key is kept in the keyring, sent, never stored, and forgotten", async () => {
  const study = freshStudy("machine-key");
  cli(["--study", study, "raters", "add", "ana"]);
  const projects = cli(["--study", study, "units"]).split("\n").filter((l) => l.startsWith("project")).length;
  const mock = await startChatMock({ delayMs: 10, key: KEY });
  try {
    await withApp(["--study", study], async (browser) => {
      await openMachineScreen(browser);
      await choose(browser, "#machine-backend", "openai");
      await until(browser, async () => (await browser.$("#machine-key").isExisting()), "the key field");

      // Keep: the key leaves the screen, the keyring has it.
      await setValue(browser, "#machine-url", mock.url);
      assert.equal(await browser.$("#machine-key-keep").isEnabled(), false, "nothing to keep yet");
      await setValue(browser, "#machine-key", KEY);
      await browser.$("#machine-key-keep").click();
      await until(browser, async () => (await browser.$("#machine-key-said").isExisting()), "the key kept");
      assert.equal(await browser.$("#machine-key-said").getText(), `The key for ${mock.url} is kept in the OS keyring`);
      assert.equal(await browser.$("#machine-key").getValue(), "");
      await shot(browser, "25-machine-key-kept");

      // A run sends it: every unit labelled, nothing denied.
      await addRater(browser, "llm", mock.url);
      assert.match(await runAndWait(browser, "llm"), new RegExp(`done: ${projects} labelled, 0 failed`));
      assert.equal(mock.denied(), 0);
      assert.ok(!readFileSync(study).includes(Buffer.from(KEY)), "the key is not in the study file");

      // Forget: removed once, then there is none; the next run is refused by the server.
      await setValue(browser, "#machine-url", mock.url);
      await browser.$("#machine-key-forget").click();
      await until(browser, async () => /removed/.test(await browser.$("#machine-key-said").getText()), "the key forgotten");
      assert.equal(await browser.$("#machine-key-said").getText(), `The key for ${mock.url} was removed from the OS keyring`);
      await browser.$("#machine-key-forget").click();
      await until(browser, async () => /^No key/.test(await browser.$("#machine-key-said").getText()), "no key left");
      await addRater(browser, "llm2", mock.url);
      assert.match(await runAndWait(browser, "llm2"), new RegExp(`done: 0 labelled, ${projects} failed`));
      assert.ok(mock.denied() >= projects, `the server refused every unit (denied ${mock.denied()})`);
    });
  } finally {
    await mock.stop();
  }
});
