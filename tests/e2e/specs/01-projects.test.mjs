// (a) The app opens a fresh copy of the sample study and lists its 12 projects.
import assert from "node:assert/strict";
import { test } from "node:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { addRaterByKeyboard, freshStudy, shot, until, WORK, withApp } from "../lib.mjs";

const PROJECTS = [
  "basalt-ai/autotune",
  "cobalt-notes/ml-handbook",
  "driftwood-robotics/lanekeeper",
  "fernhollow/petalnet",
  "greenrow/cropwatch",
  "harbor-fox/receipt-scanner",
  "hostile-demo/readme-payloads",
  "lumen-labs/tinyserve",
  "orchard-ml/sprout",
  "pebble-audio/murmur",
  "quarry-data/siftkit",
  "tidepool-ops/flowgauge",
];

test("lists the 12 sample projects and shows a project's README and Dockerfiles", async () => {
  const study = freshStudy("projects");
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen");
    const title = await browser.$("#rater-screen h1").getText();
    assert.equal(title, "Who is coding?");
    assert.ok((await browser.$("#rater-screen .path").getText()).endsWith("study.codebench"));
    await shot(browser, "01-who-is-coding");

    await addRaterByKeyboard(browser, "ana");
    const projects = await browser.execute(() =>
      [...document.querySelectorAll("#queue [data-kind='project']")].map((e) => e.getAttribute("data-unit")),
    );
    assert.deepEqual(projects, PROJECTS);
    const dockerfiles = await browser.$$("#queue [data-kind='dockerfile']").length;
    assert.equal(dockerfiles, 37);
    assert.equal(await browser.$("#progress").getText(), "0 / 49 coded by you");

    // The first unit is open: its README rendered over the full height, its Dockerfiles (with
    // line numbers) one click away.
    await until(browser, async () => (await browser.$("#readme h1").isExisting()), "the README");
    assert.equal(await browser.$("#unit-title").getText(), "basalt-ai/autotune");
    assert.equal(await browser.$("section.reader").getAttribute("data-layout"), "readme");
    await browser.$("#show-dockerfile").click();
    await until(browser, async () => (await browser.$("#dockerfile .line").isExisting()), "the Dockerfile shown");
    assert.equal(await browser.$("#dockerfile-path").getText(), "Dockerfile");
    const options = await browser.execute(() =>
      [...document.querySelectorAll("#dockerfile-select option")].map((o) => o.textContent),
    );
    assert.deepEqual(options, ["Dockerfile", "benchmarks/Dockerfile", "docker/Dockerfile.worker"]);
    const firstLine = await browser.execute(() => {
      const l = document.querySelector("#dockerfile .line");
      return [l?.querySelector(".ln")?.textContent, l?.querySelector(".lt")?.textContent];
    });
    assert.equal(firstLine[0], "1");
    const kinds = await browser.execute(() =>
      [...document.querySelectorAll("#codes [data-dimension='kind'] button.code")].map((b) => [
        b.querySelector(".key")?.textContent,
        b.getAttribute("data-code"),
      ]),
    );
    assert.equal(kinds.length, 6);
    assert.deepEqual(kinds.map((k) => k[0]), ["1", "2", "3", "4", "5", "6"]);
    await shot(browser, "02-project-unit");
    // The choice is kept per unit kind (in the webview's storage): back to the default.
    await browser.$("#layout-readme").click();

    // A Dockerfile unit: the Dockerfile first, the purpose codes with sub-codes nested.
    await browser.keys("j");
    await until(
      browser,
      async () => (await browser.$("#codes [data-dimension='purpose']").isExisting()),
      "the purpose codes",
    );
    const nested = await browser.$$("#codes [data-dimension='purpose'] li.child").length;
    assert.equal(nested, 12);
    await browser.$("#codes [data-code='model-training']").moveTo();
    await until(browser, async () => (await browser.$("#definition h3").isExisting()), "a code definition");
    await shot(browser, "03-dockerfile-unit");

    await browser.keys("?");
    await until(browser, async () => (await browser.$("#help").isExisting()), "the help");
    await shot(browser, "04-keyboard-help");
  });
});

test("without --study the sample study is created in the app's data folder (a scratch one here)", async () => {
  await withApp([], async (browser) => {
    await until(browser, async () => (await browser.$("#rater-screen .path").isExisting()), "the rater screen");
    const path = await browser.$("#rater-screen .path").getText();
    assert.equal(path, join(WORK, "data", "org.codebench.app", "sample.codebench"));
    assert.match(await browser.$("#rater-screen").getText(), /the sample study/);
  });
  assert.ok(existsSync(join(WORK, "data", "org.codebench.app", "sample.codebench")));
});
