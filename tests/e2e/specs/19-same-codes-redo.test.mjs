// Issue 14 (codes panel): "=" gives a Dockerfile the codes the rater gave the project's previous
// Dockerfile (read again from the study, recorded as an ordinary decision), and what Ctrl+Z
// undid comes back with Ctrl+Shift+Z (or Ctrl+Y). Both are listed in "?" and the footer; the
// study holds exactly what the screen shows, as the CLI reads it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addRaterByKeyboard, chord, cli, currentUnit, freshStudy, KEY, progress, shot, until, withApp } from "../lib.mjs";

const SHIFT = "\uE008";
const FIRST = "basalt-ai/autotune:Dockerfile";
const SECOND = "basalt-ai/autotune:benchmarks/Dockerfile";

/** The codes checked in the codes panel, in panel order. */
const checked = (browser) =>
  browser.execute(() => [...document.querySelectorAll("#codes [aria-checked='true']")].map((e) => e.getAttribute("data-code")));

/** The rater's decisions on a unit, as the CLI reads them. */
function stored(study, unit) {
  const all = JSON.parse(cli(["--study", study, "decisions", "--rater", "ana", "--format", "json"]));
  return all.filter((d) => d.unit === unit).map((d) => [d.dimension, d.codes]);
}

test("= copies the previous Dockerfile's codes; redo brings back what undo took", async () => {
  const study = freshStudy("same-codes");
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen");
    await addRaterByKeyboard(browser, "ana");
    await until(browser, async () => (await currentUnit(browser)) === "basalt-ai/autotune", "the project unit");
    await until(browser, async () => (await browser.$$("#codes button.code").length) > 0, "the codes");

    // The footer names both keys; "?" lists them.
    const footer = await browser.$("footer.statusbar").getText();
    assert.match(footer, /Ctrl\+Shift\+Z/);
    assert.match(footer, /=: same codes as previous Dockerfile/);
    await browser.keys("?");
    await until(browser, async () => (await browser.$("#help").isExisting()), "the help");
    const help = await browser.$("#help").getText();
    assert.match(help, /Ctrl\+Shift\+Z \/ Ctrl\+Y\s*redo what was undone/);
    assert.match(help, /=\s*same codes as the previous Dockerfile of this project/);
    await shot(browser, "19-help-same-codes-redo");
    await browser.keys(KEY.Escape);

    // A project unit has no previous Dockerfile: "=" says so and records nothing.
    await browser.keys("=");
    await until(browser, async () => /open a Dockerfile unit/.test(await browser.$("#notice").getText()), "the refusal");
    assert.equal(await progress(browser), "0 / 49");

    await browser.keys("1");
    await until(browser, async () => (await progress(browser)) === "1 / 49", "the kind");
    await browser.keys(KEY.Enter);
    await until(browser, async () => (await currentUnit(browser)) === FIRST, "the first Dockerfile");
    // The first Dockerfile of the project: nothing earlier to copy.
    await browser.keys("=");
    await until(browser, async () => /No earlier Dockerfile of basalt-ai\/autotune/.test(await browser.$("#notice").getText()), "no earlier one");
    await browser.keys("1");
    await browser.keys("4");
    await until(browser, async () => JSON.stringify(await checked(browser)) === JSON.stringify(["manage-services", "hosting"]), "two purposes");
    await until(browser, async () => (await progress(browser)) === "2 / 49", "the first Dockerfile coded");
    await browser.keys(KEY.Enter);
    await until(browser, async () => (await currentUnit(browser)) === SECOND, "the second Dockerfile");
    assert.deepEqual(await checked(browser), []);

    // One key: the same codes as the previous Dockerfile.
    await browser.keys("=");
    await until(browser, async () => (await progress(browser)) === "3 / 49", "the copied decision");
    assert.deepEqual(await checked(browser), ["manage-services", "hosting"]);
    assert.match(await browser.$("#notice").getText(), /Same codes as Dockerfile: Purpose/);
    assert.deepEqual(stored(study, SECOND), [["purpose", ["manage-services", "hosting"]]]);
    await shot(browser, "19-same-codes-as-previous");

    // Undo takes it back; redo records it again; undo and Ctrl+Y once more.
    await chord(browser, KEY.Control, "z");
    await until(browser, async () => (await progress(browser)) === "2 / 49", "the undo");
    assert.deepEqual(await checked(browser), []);
    assert.match(await browser.$("#notice").getText(), /Undone: purpose of basalt-ai\/autotune:benchmarks\/Dockerfile/);
    assert.deepEqual(stored(study, SECOND), []);
    await chord(browser, KEY.Control, SHIFT, "z");
    await until(browser, async () => (await progress(browser)) === "3 / 49", "the redo");
    assert.deepEqual(await checked(browser), ["manage-services", "hosting"]);
    assert.match(await browser.$("#notice").getText(), /Redone: purpose of basalt-ai\/autotune:benchmarks\/Dockerfile/);
    assert.deepEqual(stored(study, SECOND), [["purpose", ["manage-services", "hosting"]]]);
    await shot(browser, "19-redone");
    await chord(browser, KEY.Control, "z");
    await until(browser, async () => (await progress(browser)) === "2 / 49", "the second undo");
    await chord(browser, KEY.Control, "y");
    await until(browser, async () => (await progress(browser)) === "3 / 49", "Ctrl+Y");

    // A new change forgets what could be redone.
    await chord(browser, KEY.Control, "z");
    await until(browser, async () => (await progress(browser)) === "2 / 49", "the third undo");
    await browser.keys("4");
    await until(browser, async () => (await progress(browser)) === "3 / 49", "a new change");
    await chord(browser, KEY.Control, SHIFT, "z");
    await until(browser, async () => /Nothing to redo/.test(await browser.$("#notice").getText()), "nothing to redo");
    assert.deepEqual(await checked(browser), ["hosting"]);
    assert.deepEqual(stored(study, SECOND), [["purpose", ["hosting"]]]);
  });
});
