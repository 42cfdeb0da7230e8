// (j) The overview: raters' progress and the codes given so far as bar charts, pooled, per
// rater and from the consensus.
import assert from "node:assert/strict";
import { test } from "node:test";
import { codeTwoRaters, freshStudy, shot, until, withApp } from "../lib.mjs";

test("the overview shows progress and the code distribution", async () => {
  const study = freshStudy("overview");
  codeTwoRaters(study);
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-overview").isExisting()), "the coding screen");
    await browser.$("#tab-overview").click();
    await until(browser, async () => (await browser.$("#overview-raters tr[data-rater='ana']").isExisting()), "the raters table");
    // Three project kinds and one Dockerfile's purposes each: four units coded.
    assert.equal(await browser.$("#overview-raters tr[data-rater='ana'] td.coded").getText(), "4");
    assert.equal(await browser.$("#overview-raters tr[data-rater='ben'] td.coded").getText(), "4");
    // Kinds given: model ×2, application-system ×2, mlops-aiops, toolkit.
    assert.equal(await browser.$("section.overview-chart[data-dimension='kind']").getAttribute("data-bars"), "4");
    await until(
      browser,
      async () =>
        browser.execute(() => {
          const c = document.querySelector("section.overview-chart[data-dimension='kind'] canvas");
          if (!(c instanceof HTMLCanvasElement)) return false;
          const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          // Some pixel of the bar colour (#0072B2) was drawn.
          for (let i = 0; i < px.length; i += 4) if (px[i] === 0 && px[i + 1] === 114 && px[i + 2] === 178) return true;
          return false;
        }),
      "the kind chart drawn",
    );
    await shot(browser, "17-overview");

    // One rater's codes, then the consensus (the two kinds both agree on became automatic
    // consensus).
    const view = async (labels) => {
      await browser.execute((v) => {
        const s = document.querySelector("#overview-labels");
        s.value = v;
        s.dispatchEvent(new Event("change", { bubbles: true }));
      }, labels);
    };
    const bars = () => browser.$("section.overview-chart[data-dimension='kind']").getAttribute("data-bars");
    await view("ben");
    await until(browser, async () => /ben's decisions/.test(await browser.$("#overview-counted").getText()), "ben's view");
    // ben: model, toolkit, application-system.
    assert.equal(await bars(), "3");
    await view("consensus");
    await until(browser, async () => /the consensus/.test(await browser.$("#overview-counted").getText()), "the consensus view");
    assert.equal(await bars(), "2");
    await shot(browser, "17a-overview-consensus");
  });
});
