// Helpers shared by the specs: paths, a fresh sample study, one app session at a time.
// Run through ./run.sh, which starts Xvfb and tauri-driver and sets the environment below.

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { remote } from "webdriverio";

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the specs through tests/e2e/run.sh`);
  return v;
};

/** The app binary under test. */
export const APP = need("CODEBENCH_APP");
/** The codebench CLI, to make studies and read them back. */
export const CLI = need("CODEBENCH_CLI");
/** A scratch folder for this run (HOME and XDG dirs of the app point inside it). */
export const WORK = need("CODEBENCH_E2E_WORK");
/** Where the fake `xdg-open` writes each URL it is asked to open, one per line. */
export const OPENED = need("CODEBENCH_E2E_OPENED");
/** Where screenshots go. */
export const ARTIFACTS = need("CODEBENCH_E2E_ARTIFACTS");
const PORT = Number(process.env.TAURI_DRIVER_PORT ?? "4444");

/** A new copy of the sample study (12 projects, 37 Dockerfiles) in its own folder. */
export function freshStudy(name) {
  const dir = mkdtempSync(join(WORK, `${name}-`));
  const file = join(dir, "study.codebench");
  cli(["--study", file, "init", "--sample"]);
  return file;
}

/** Runs the CLI, returning its standard output; throws with its stderr on failure. */
export function cli(args) {
  return execFileSync(CLI, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The URLs the app handed to the system browser so far. */
export function openedUrls() {
  try {
    return readFileSync(OPENED, "utf8").split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

/**
 * Starts the app with `args`, runs `fn(browser)`, and always ends the session (which closes
 * the app): WebKitWebDriver serves one session at a time.
 */
export async function withApp(args, fn) {
  const browser = await remote({
    hostname: "127.0.0.1",
    port: PORT,
    logLevel: "silent",
    connectionRetryCount: 0,
    // The app starts in about a second; fail fast rather than after the default two minutes.
    connectionRetryTimeout: 60000,
    capabilities: {
      browserName: "wry",
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application: APP, args },
    },
  });
  try {
    await fn(browser);
  } finally {
    await browser.deleteSession().catch(() => {});
  }
}

/** Saves a screenshot of the window as ARTIFACTS/<name>.png. */
export async function shot(browser, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Let the webview paint the latest state first (two frames, then a moment for compositing).
  await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  await browser.pause(150);
  await browser.saveScreenshot(join(ARTIFACTS, `${name}.png`));
}

/** Waits until `fn` returns a truthy value (polling the app), or fails with `what`. */
export async function until(browser, fn, what, timeout = 10000) {
  await browser.waitUntil(fn, { timeout, interval: 100, timeoutMsg: `timed out waiting for ${what}` });
}

/** The text of the progress counter, e.g. "3 / 49". */
export async function progress(browser) {
  const t = await browser.$("#progress strong").getText();
  return t.trim();
}

/** The name of the unit open in the coding screen. */
export async function currentUnit(browser) {
  return browser.execute(() => document.querySelector("#queue [aria-current='true']")?.getAttribute("data-unit") ?? null);
}

/** Adds a rater with the keyboard only, from the "who is coding?" screen with no raters. */
export async function addRaterByKeyboard(browser, name) {
  await until(browser, async () => (await browser.$("#new-rater").isFocused()), "the rater name field to be focused");
  await typeText(browser, name);
  await browser.keys("Enter");
  await until(browser, async () => (await browser.$("#progress").isExisting()), "the coding screen");
}

/** Presses keys together (e.g. Control+z) and releases them. */
export async function chord(browser, ...keys) {
  await browser.performActions([
    {
      type: "key",
      id: "keyboard",
      actions: [...keys.map((value) => ({ type: "keyDown", value })), ...[...keys].reverse().map((value) => ({ type: "keyUp", value }))],
    },
  ]);
  await browser.releaseActions();
}

/** WebDriver's key values for the modifier keys. */
export const KEY = { Control: "\uE009", Enter: "\uE007", Escape: "\uE00C" };

/**
 * Types text into the focused element, one key per WebDriver call: WebKitWebDriver drops every
 * space after the first within one key sequence.
 */
export async function typeText(browser, text) {
  for (const ch of text) await browser.keys(ch);
}

/** Two raters code three projects' kind (agreeing on two) and two Dockerfiles' purpose. */
export function codeTwoRaters(study) {
  for (const r of ["ana", "ben"]) cli(["--study", study, "raters", "add", r]);
  const kinds = [
    ["basalt-ai/autotune", "model", "model"],
    ["lumen-labs/tinyserve", "mlops-aiops", "toolkit"],
    ["greenrow/cropwatch", "application-system", "application-system"],
  ];
  for (const [unit, a, b] of kinds) {
    cli(["--study", study, "code", "--rater", "ana", "--unit", unit, "--dimension", "kind", "--code", a, "--memo", `ana: ${a}`]);
    cli(["--study", study, "code", "--rater", "ben", "--unit", unit, "--dimension", "kind", "--code", b, "--memo", `ben: ${b}`]);
  }
  for (const [r, codes] of [
    ["ana", ["hosting"]],
    ["ben", ["hosting", "manage-services"]],
  ]) {
    cli(["--study", study, "code", "--rater", r, "--unit", "lumen-labs/tinyserve:Dockerfile", "--dimension", "purpose", ...codes.flatMap((c) => ["--code", c])]);
  }
}

/** Sets a text field's value as typing would end (an input event), for values a test
 * cannot type key by key (paths, URLs, several lines). */
export async function setValue(browser, selector, value) {
  await browser.execute(
    (s, v) => {
      const field = document.querySelector(s);
      field.value = v;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    },
    selector,
    value,
  );
}

/** Chooses an option of a select as a person would (a change event). */
export async function choose(browser, selector, value) {
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

/**
 * Starts the project's github-mock (built beside the CLI) with `args` (a list file, or
 * `--topic NAME:N`) on a free port of 127.0.0.1; resolves to its URL and a stop function.
 */
export function startGithubMock(args) {
  const mock = spawn(join(dirname(CLI), "github-mock"), args, { stdio: ["ignore", "pipe", "inherit"] });
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

/** From "Who is coding?", works as `name` and opens the Machine screen of a study with no machine rater yet. */
export async function openMachineScreen(browser, name = "ana") {
  await pickRater(browser, name);
  await browser.$("#tab-machine").click();
  await until(browser, async () => (await browser.$("#machine-none").isExisting()), "the machine screen");
}

/** From "Who is coding?", works as `name` (the coding screen opens). */
export async function pickRater(browser, name) {
  await until(browser, async () => (await browser.$(`button.rater[data-rater='${name}']`).isExisting()), "the rater screen");
  await browser.$(`button.rater[data-rater='${name}']`).click();
  await until(browser, async () => (await browser.$("#tab-machine").isExisting()), "the coding screen");
}
