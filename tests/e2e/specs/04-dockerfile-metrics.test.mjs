// (d) The Dockerfile's metrics beside it: stages with base image and type, the RUN share, and
// a line number that jumps to its line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addRaterByKeyboard, freshStudy, shot, until, withApp } from "../lib.mjs";

test("the metrics panel summarises the open Dockerfile", async () => {
  const study = freshStudy("metrics");
  await withApp(["--study", study, "--open", "lumen-labs/tinyserve:Dockerfile"], async (browser) => {
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen");
    await addRaterByKeyboard(browser, "ana");
    await until(browser, async () => (await browser.$("#dockerfile-summary").isExisting()), "the metrics panel");
    assert.equal(await browser.$("#dockerfile-path").getText(), "Dockerfile");
    const stages = await browser.execute(() =>
      [...document.querySelectorAll("#dockerfile-summary .stages li")].map((li) => [
        li.querySelector(".lineref")?.textContent,
        li.querySelector(".base")?.textContent,
        li.querySelector(".base-type")?.textContent,
      ]),
    );
    assert.deepEqual(stages, [
      ["3", "python:3.11-slim", "Language Runtime"],
      ["14", "python:3.11-slim", "Language Runtime"],
    ]);
    const metrics = (await browser.$("#instruction-metrics").getText()).replace(/\s+/g, " ");
    assert.equal(metrics, "20 instructions · 5 RUN (25%) · 13 commands");
    assert.equal(await browser.$("#partial-badge").isExisting(), false);

    // The second stage's line number scrolls to and highlights line 14.
    await browser.$("#dockerfile-summary .stages li[data-stage='1'] .lineref").click();
    await until(
      browser,
      async () => (await browser.execute(() => document.querySelector("#dockerfile .line.hl")?.getAttribute("data-line"))) === "14",
      "line 14 to be highlighted",
    );
    const hlText = await browser.execute(() => document.querySelector("#dockerfile .line.hl .lt")?.textContent);
    assert.equal(hlText, "FROM python:3.11-slim");
    await shot(browser, "08-dockerfile-metrics");
  });
});
