// (f) The agreement screen: after two raters code through the CLI, Cohen's kappa per dimension.
import assert from "node:assert/strict";
import { test } from "node:test";
import { codeTwoRaters, freshStudy, shot, until, withApp } from "../lib.mjs";

test("the agreement screen shows Cohen's kappa of two raters", async () => {
  const study = freshStudy("agreement");
  codeTwoRaters(study);
  await withApp(["--study", study], async (browser) => {
    await until(browser, async () => (await browser.$("button.rater").isExisting()), "the rater screen");
    await browser.$("button.rater[data-rater='ana']").click();
    await until(browser, async () => (await browser.$("#tab-agreement").isExisting()), "the coding screen");
    // No round keeps them blind: the queue offers ana the two units where ben decided otherwise.
    await until(browser, async () => (await browser.$("button[data-filter='disagree']").isExisting()), "the disagreements filter");
    assert.equal(await browser.$("button[data-filter='disagree'] .count").getText(), "2");
    assert.equal(await browser.$("button[data-filter='changed']").isExisting(), false, "nothing changed upstream");
    await browser.$("button[data-filter='disagree']").click();
    const listed = () => browser.execute(() => [...document.querySelectorAll("#queue [data-unit]")].map((b) => b.getAttribute("data-unit")));
    await until(
      browser,
      async () => {
        const l = await listed();
        return l.includes("lumen-labs/tinyserve") && l.includes("lumen-labs/tinyserve:Dockerfile") && !l.includes("greenrow/cropwatch");
      },
      "the two disagreements listed",
    );
    await browser.$("#tab-agreement").click();
    await until(browser, async () => (await browser.$(".agreement-dimension[data-dimension='kind']").isExisting()), "the kind table");
    const rows = await browser.execute(() =>
      [...document.querySelectorAll(".agreement-dimension[data-dimension='kind'] > table tr[data-statistic='cohen_kappa']")].map((tr) =>
        [...tr.querySelectorAll("td")].map((td) => td.textContent.trim()),
      ),
    );
    assert.ok(rows.length >= 1, "a Cohen's kappa row for kind");
    const [level, stat, raters, , n] = rows[0];
    assert.equal(level, "leaf");
    assert.equal(stat, "Cohen's kappa");
    assert.equal(raters, "ana · ben");
    assert.equal(n, "3");
    const pa = await browser.execute(
      () => document.querySelector(".agreement-dimension[data-dimension='kind'] tr[data-statistic='percent_agreement'] td.value")?.textContent,
    );
    assert.equal(pa, "0.667");
    // Three units are far too few: the screen says so.
    assert.match(await browser.$(".agreement-dimension[data-dimension='kind'] .warnings").getText(), /few|fewer|unit/i);
    assert.ok(await browser.$(".agreement-dimension[data-dimension='purpose']").isExisting());
    // The confusion matrix of the pair: rows ana, columns ben; two of three on the diagonal.
    await browser.$(".agreement-dimension[data-dimension='kind'] details.confusions summary").click();
    const caption = await browser.$(".agreement-dimension[data-dimension='kind'] figure.confusion[data-level='leaf'] figcaption").getText();
    assert.match(caption, /ana \(rows\) × ben \(columns\), leaf: 2 of 3 units on the diagonal/);
    await shot(browser, "11-agreement");
    // One rater alone cannot agree with anyone: the screen asks for two.
    await browser.$("input[data-rater='ben']").click();
    await browser.$("#compute-agreement").click();
    await until(browser, async () => (await browser.$("#agreement-error").isExisting()), "the refusal");
    assert.equal(await browser.$("#agreement-error").getText(), "Choose at least two raters");
  });
});
