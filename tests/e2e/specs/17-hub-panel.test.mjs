// (q) Issue 15's Docker Hub evidence beside the README: on a project unit whose README and
// compose file name images, the panel says they are not fetched, fetches them from a Docker
// Hub look-alike on 127.0.0.1 (the namespaces API, never the deprecated one), and shows each
// repository's description, pulls, tags with their last push, and its full description
// rendered and sanitised as READMEs are; an image Docker Hub does not have says so. A project
// naming no image says how to get one. The reader's layout: a project unit's README takes the
// full height, and the README / both / Dockerfile choice is kept per unit kind. The Corpus
// screen fetches every reference's page at once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cli, freshStudy, openedUrls, setValue, shot, until, withApp } from "../lib.mjs";
import { startHubMock, tags } from "../hub-mock.mjs";

const OVERVIEW = [
  "# flowgauge",
  "",
  "Measures river flow from gauge photos. See [the docs](https://example.org/flowgauge-docs).",
  "",
  "<script>window.hubPwned = true</script>",
  '<img src="x" onerror="window.hubPwned = true">',
  "",
  "```",
  "docker run --rm tidepoolops/flowgauge:1.8.0 --station " + "x".repeat(300),
  "```",
].join("\n");

async function openAs(browser, rater) {
  await until(browser, async () => (await browser.$(`button.rater[data-rater='${rater}']`).isExisting()), "the rater screen");
  await browser.$(`button.rater[data-rater='${rater}']`).click();
  await until(browser, async () => (await browser.$("#unit-title").isExisting()), "the coding screen");
}

test("Docker Hub descriptions and tags beside the README, fetched in the app", async () => {
  const study = freshStudy("hub");
  cli(["--study", study, "raters", "add", "ana"]);
  // The references its README and compose file name (the sample study records none itself).
  for (const ref of ["tidepoolops/flowgauge:1.8.0", "tidepoolops/flowgauge-migrate:1.8.0", "postgres:16-alpine"]) {
    cli(["--study", study, "images", "add", "--project", "tidepool-ops/flowgauge", ref]);
  }
  const hub = await startHubMock([
    {
      namespace: "tidepoolops",
      name: "flowgauge",
      description: "Flow gauges from photos",
      full_description: OVERVIEW,
      star_count: 42,
      pull_count: 1_234_567,
      last_updated: "2024-03-01T10:00:00.000000Z",
      tags: tags(30),
    },
    { namespace: "library", name: "postgres", description: "The PostgreSQL object-relational database system", full_description: "# Postgres\n", star_count: 14000, pull_count: 1_000_000_000, last_updated: "2024-03-02T10:00:00.000000Z", tags: tags(3) },
  ]);
  try {
    await withApp(["--study", study, "--open", "tidepool-ops/flowgauge"], async (browser) => {
      await openAs(browser, "ana");
      assert.equal(await browser.$("#unit-title").getText(), "tidepool-ops/flowgauge");
      // A project unit: the README takes the height, the Dockerfiles wait behind "Show".
      assert.equal(await browser.$("section.reader").getAttribute("data-layout"), "readme");
      assert.ok(!(await browser.$("#dockerfile").isExisting()));
      await until(browser, async () => (await browser.$("#hub-unfetched").isExisting()), "the not-fetched state");
      assert.match(await browser.$("#hub-unfetched").getText(), /^Not fetched yet: 3 of 3\./);

      // Fetch from the look-alike: the URL typed, Enter.
      await setValue(browser, "#hub-url", hub.url);
      await browser.$("#hub-url").click();
      await browser.keys("Enter");
      const flow = "#hub-panel .hub-image[data-image='tidepoolops/flowgauge']";
      await until(browser, async () => /pulls/.test(await browser.$(`${flow} .facts`).getText().catch(() => "")), "the fetched evidence", 20000);
      assert.equal(await browser.$(`${flow} .facts`).getText(), "1.2M pulls · 42 stars · updated 2024-03-01");
      assert.equal(await browser.$(`${flow} .hub-description`).getText(), "Flow gauges from photos");
      assert.match(await browser.$("#hub-said").getText(), /^Docker Hub: 3 fetched, 1 not on Docker Hub$/);
      // Tags, newest first, with their last push; the rest one click away.
      const shownTags = await browser.execute((s) => [...document.querySelectorAll(`${s} tr[data-tag]`)].map((r) => [r.getAttribute("data-tag"), r.querySelector("td.num").textContent]), flow);
      assert.equal(shownTags.length, 12);
      assert.deepEqual(shownTags[0], ["latest", "2024-03-01"]);
      assert.deepEqual(shownTags[1], ["v29", "2024-02-29"]);
      assert.match(await browser.$(`${flow} .hub-tags summary`).getText(), /^30 tags$/);
      // The full description is rendered like a README, sanitised: no script, no handler.
      assert.equal(await browser.$(`${flow} .hub-overview h1`).getText(), "flowgauge");
      const hostile = await browser.execute((s) => ({
        scripts: document.querySelectorAll(`${s} script`).length,
        handlers: [...document.querySelectorAll(`${s} .hub-overview *`)].filter((e) => [...e.attributes].some((a) => a.name.startsWith("on"))).length,
        pwned: window.hubPwned === true,
      }), flow);
      assert.deepEqual(hostile, { scripts: 0, handlers: 0, pwned: false });
      // A link in it goes to the system browser.
      await browser.$(`${flow} .hub-overview a`).click();
      await until(browser, async () => openedUrls().includes("https://example.org/flowgauge-docs"), "the link in the browser");
      // The official image and the one Docker Hub does not have.
      assert.match(await browser.$("#hub-panel .hub-image[data-image='library/postgres'] .facts").getText(), /^1\.0B pulls/);
      assert.equal(await browser.$("#hub-panel .hub-image[data-image='tidepoolops/flowgauge-migrate'] .facts").getText(), "not on Docker Hub (404)");
      await shot(browser, "32-hub-panel");

      // Both panes on request; a Dockerfile unit keeps its own layout.
      await browser.$("#show-dockerfile").click();
      await until(browser, async () => (await browser.$("#dockerfile").isExisting()), "the Dockerfile shown");
      assert.equal(await browser.$("section.reader").getAttribute("data-layout"), "split");
      await browser.$("#layout-readme").click();
      await browser.$("#readme").click();
      await browser.keys("j");
      await until(browser, async () => (await browser.$("#unit-title").getText()) === "tidepool-ops/flowgauge" && (await browser.$(".unit-kind").getText()).toLowerCase() === "dockerfile unit", "the project's Dockerfile unit");
      assert.equal(await browser.$("section.reader").getAttribute("data-layout"), "split");
      assert.ok(!(await browser.$("#hub-panel").isExisting()), "the Hub panel sits beside a project unit's README");
      await browser.keys("k");
      await until(browser, async () => (await browser.$(".unit-kind").getText()).toLowerCase() === "project unit", "back on the project unit");
      assert.equal(await browser.$("section.reader").getAttribute("data-layout"), "readme");
    });
    assert.equal(hub.stats().deprecated, 0, "the deprecated /v2/repositories API is never asked");
    assert.match(cli(["--study", study, "hub", "show", "tidepool-ops/flowgauge"]), /Flow gauges from photos/);

    // A project that names no image: the panel says how to get one.
    const none = cli(["--study", study, "images", "list", "--project", "basalt-ai/autotune"]);
    assert.doesNotMatch(none, /basalt/i);
    await withApp(["--study", study, "--open", "basalt-ai/autotune"], async (browser) => {
      await openAs(browser, "ana");
      await until(browser, async () => (await browser.$("#hub-empty").isExisting()), "the empty state");
      assert.match(await browser.$("#hub-empty").getText(), /Corpus → Docker image references/);

      // Corpus: every reference's page fetched again at once, in the background.
      await browser.$("#tab-corpus").click();
      await until(browser, async () => (await browser.$("#hub-all-fetch").isExisting()), "the corpus screen");
      await setValue(browser, "#hub-all-url", hub.url);
      await browser.$("#hub-all-refresh").click();
      const before = hub.stats().requests;
      await browser.$("#hub-all-fetch").click();
      await until(browser, async () => /^Docker Hub: /.test(await browser.$("#hub-all-said").getText().catch(() => "")), "the study-wide fetch", 20000);
      assert.equal(await browser.$("#hub-all-said").getText(), "Docker Hub: 3 fetched, 1 not on Docker Hub");
      assert.ok(hub.stats().requests > before, "asked again");
    });
  } finally {
    await hub.stop();
  }
});
