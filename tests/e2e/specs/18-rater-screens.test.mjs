// (r) Issue 14's rater screens at 1280 px: the top bar keeps the rater and "?" in view; README
// and Dockerfile wrap long lines (no sideways scrolling) and scroll with PageDown / Space /
// PageUp; a project unit's README takes the height; the codes panel starts at the top on each
// unit with the memo in view under 33 purposes; sibling Dockerfiles are told apart by the part
// of their name that differs; `k` goes back to the unit just coded; a memo the core refuses
// says "Not saved" at the field and in the header, never "Saved"; the agreement warnings are
// grouped and can be folded.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cli, codeTwoRaters, currentUnit, freshStudy, setValue, shot, until, withApp, WORK } from "../lib.mjs";

/** A checkout with long lines, a long Dockerfile and two sibling Dockerfiles. */
function longCheckout() {
  const dir = join(mkdtempSync(join(WORK, "long-")), "longlines");
  mkdirSync(join(dir, "docker", "hvd"), { recursive: true });
  const word = "verylongtokenwithoutanyspaces".repeat(20);
  writeFileSync(
    join(dir, "README.md"),
    ["# longlines", "", `A paragraph with ${word} in it.`, "", "```", `python train.py --flag ${"x".repeat(600)}`, "```", "", ...Array.from({ length: 120 }, (_, i) => `Line ${i} of the README.\n`)].join("\n"),
  );
  const run = `RUN pip install ${Array.from({ length: 60 }, (_, i) => `package-number-${i}==1.0.${i}`).join(" ")}`;
  writeFileSync(join(dir, "Dockerfile"), ["FROM python:3.12-slim", run, ...Array.from({ length: 200 }, (_, i) => `RUN echo step ${i}`), 'CMD ["python"]', ""].join("\n"));
  writeFileSync(join(dir, "docker", "hvd", "Dockerfile.hvd-cpu"), "FROM python:3.12-slim\nRUN pip install horovod\n");
  writeFileSync(join(dir, "docker", "hvd", "Dockerfile.hvd-gpu"), "FROM nvidia/cuda:12.4.0-runtime-ubuntu22.04\nRUN pip install horovod\n");
  return dir;
}

/** Whether an element scrolls sideways (a line cut off rather than wrapped). */
const sideways = (browser, sel) => browser.execute((s) => {
  const e = document.querySelector(s);
  return e === null ? null : e.scrollWidth > e.clientWidth + 1;
}, sel);

test("reading and coding at 1280 px: top bar, wrapping, scrolling, codes panel, queue, save state", async () => {
  const study = join(mkdtempSync(join(WORK, "rater-")), "study.codebench");
  cli(["--study", study, "init"]);
  cli(["--study", study, "raters", "add", "ana"]);
  cli(["--study", study, "import", "local", longCheckout()]);
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater[data-rater='ana']").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await currentUnit(browser)) === "local/longlines", "the project unit");

    // The top bar fits the window: the rater and "?" are on screen.
    const bar = await browser.execute(() => {
      const right = (s) => document.querySelector(s)?.getBoundingClientRect().right ?? Infinity;
      return { width: window.innerWidth, rater: right("#switch-rater"), help: right("#help-button"), bar: document.querySelector(".topbar").scrollWidth };
    });
    assert.ok(bar.width <= 1280, `the window is at most 1280 px (${bar.width})`);
    assert.ok(bar.rater <= bar.width && bar.help <= bar.width && bar.bar <= bar.width, `top bar fits: ${JSON.stringify(bar)}`);

    // A project unit: the README takes the height, and wraps its long lines.
    assert.equal(await browser.$("section.reader").getAttribute("data-layout"), "readme");
    const heights = await browser.execute(() => ({ readme: document.querySelector("#readme").clientHeight, reader: document.querySelector("section.reader").clientHeight }));
    assert.ok(heights.readme > heights.reader * 0.6, `README height ${heights.readme} of ${heights.reader}`);
    assert.equal(await sideways(browser, "#readme"), false, "the README wraps");
    await shot(browser, "33-readme-full-height");
    // PageDown and Space scroll it; PageUp goes back.
    const top = () => browser.execute(() => document.querySelector("#readme").scrollTop);
    await browser.keys("PageDown");
    await until(browser, async () => (await top()) > 100, "PageDown to scroll the README");
    const afterPage = await top();
    await browser.keys(" ");
    await until(browser, async () => (await top()) > afterPage, "Space to scroll on");
    await browser.keys("PageUp");
    await until(browser, async () => (await top()) < afterPage + 50, "PageUp to scroll back");

    // Code the project, Enter: the next unit is its Dockerfile; k goes back to the coded unit.
    await browser.keys("1");
    await until(browser, async () => (await browser.$("#progress strong").getText()) === "1 / 4", "the kind saved");
    await browser.keys("Enter");
    await until(browser, async () => (await currentUnit(browser)) === "local/longlines:Dockerfile", "the Dockerfile unit");
    assert.ok(await browser.$("#queue [data-unit='local/longlines']").isExisting(), "the unit just coded stays listed");
    await browser.keys("k");
    await until(browser, async () => (await currentUnit(browser)) === "local/longlines", "k back to the unit just coded");
    await browser.keys("j");
    await until(browser, async () => (await currentUnit(browser)) === "local/longlines:Dockerfile", "j to the Dockerfile again");

    // The Dockerfile wraps its 1,500-character RUN line and scrolls with PageDown.
    await until(browser, async () => (await browser.$("#dockerfile .line[data-line='2']").isExisting()), "the Dockerfile");
    assert.equal(await sideways(browser, "#dockerfile"), false, "the Dockerfile wraps");
    assert.ok((await browser.$("#dockerfile .line[data-line='2']").getSize("height")) > 40, "line 2 wraps onto several rows");
    await browser.keys("PageDown");
    await until(browser, async () => (await browser.execute(() => document.querySelector("#dockerfile").scrollTop)) > 100, "PageDown to scroll the Dockerfile");

    // Sibling Dockerfiles: the part that tells them apart is shown whole.
    const tails = await browser.execute(() =>
      [...document.querySelectorAll("#queue [data-kind='dockerfile'] .label")].map((l) => [l.querySelector(".tail")?.textContent, l.querySelector(".tail").getBoundingClientRect().width >= l.querySelector(".tail").scrollWidth - 1]),
    );
    assert.deepEqual(tails, [["Dockerfile", true], ["cpu", true], ["gpu", true]]);

    // 33 purposes: the memo is in view; the panel starts at the top on the next unit.
    const memoInView = () => browser.execute(() => {
      const c = document.querySelector("#codes").getBoundingClientRect();
      const m = document.querySelector("#codes textarea.memo").getBoundingClientRect();
      return m.top >= c.top && m.bottom <= c.bottom;
    });
    assert.ok(await memoInView(), "the memo is in view with 33 purpose codes");
    await browser.execute(() => document.querySelector("#codes").scrollTo({ top: 10000 }));
    await browser.keys("j");
    await until(browser, async () => (await currentUnit(browser)) === "local/longlines:docker/hvd/Dockerfile.hvd-cpu", "the next Dockerfile");
    await until(browser, async () => (await browser.execute(() => document.querySelector("#codes").scrollTop)) === 0, "the codes panel at the top");

    // A memo the core refuses (over 64 KiB): "Not saved" at the field and atop, never "Saved".
    await browser.keys("1");
    await until(browser, async () => (await browser.$("#progress strong").getText()) === "2 / 4", "the purpose saved");
    await until(browser, async () => (await browser.$("#save-state").getText()) === "Saved", "Saved");
    await setValue(browser, "#codes textarea.memo", "m".repeat(70 * 1024));
    await until(browser, async () => (await browser.$("#codes .field-problem").isExisting()), "the refusal at the field", 15000);
    assert.match(await browser.$("#codes .field-problem").getText(), /^Not saved: /);
    assert.equal(await browser.$("#save-state").getText(), "Not saved");
    await shot(browser, "34-memo-not-saved");
    await setValue(browser, "#codes textarea.memo", "short again");
    await until(browser, async () => (await browser.$("#save-state").getText()) === "Saved", "saved once the memo is accepted", 15000);
    assert.ok(!(await browser.$("#codes .field-problem").isExisting()));
  });
  const decided = JSON.parse(cli(["--study", study, "decisions", "--rater", "ana", "--format", "json"]));
  assert.ok(decided.some((d) => d.memo === "short again"), "the accepted memo is stored");
});

test("agreement warnings are grouped by kind and fold", async () => {
  const study = freshStudy("warnings");
  codeTwoRaters(study);
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater[data-rater='ana']").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-agreement").isExisting()), "the coding screen");
    await browser.$("#tab-agreement").click();
    await until(browser, async () => (await browser.$(".agreement-dimension").isExisting()), "the agreement report");
    const groups = await browser.execute(() =>
      [...document.querySelectorAll("details.warning-group")].map((d) => ({ kind: d.getAttribute("data-kind"), open: d.open, n: d.querySelectorAll("li").length })),
    );
    const loose = await browser.execute(() => [...document.querySelectorAll(".warnings li")].filter((l) => l.closest("details.warning-group") === null).length);
    assert.equal(loose, 0, "every warning sits in a group");
    for (const g of groups) assert.equal(g.open, g.n <= 3, `${g.kind}: folded when more than three`);
    if (groups.length > 0) {
      const first = browser.$("details.warning-group summary");
      const was = groups[0].open;
      await first.click();
      await until(browser, async () => (await browser.execute(() => document.querySelector("details.warning-group").open)) === !was, "the group to toggle");
    }
  });
});
