// Issue 16's must-show in the app: in a blind round, a rater never sees the machine's codes
// before deciding. A machine rater labels every unit, three of them in ana's unrevealed round:
// its answers there are withheld on the Machine screen, the routing list only counts them, and
// on the coding screen "Show machine suggestions" is refused as blind for a round unit. Outside
// the round ana asks for the suggestion (never shown unasked), sees the code, confidence and
// rationale, and the decision she then records says it was suggested by the machine.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startChatMock } from "../chat-mock.mjs";
import { choose, chord, cli, currentUnit, freshStudy, KEY, pickRater, setValue, shot, until, withApp } from "../lib.mjs";

const bodyText = (browser) => browser.execute(() => document.body.innerText);
const rationale = (unit) => `the README of ${unit} says so`;

test("blind round: no machine code before deciding; outside it, assist is asked for and recorded", async () => {
  const study = freshStudy("machine-blind-assist");
  cli(["--study", study, "raters", "add", "ana"]);
  cli(["--study", study, "round", "create", "r1", "--size", "3", "--dimension", "kind", "--seed", "1"]);
  cli(["--study", study, "round", "assign", "r1", "--raters", "ana"]);
  const round = JSON.parse(cli(["--study", study, "round", "show", "r1", "--format", "json"])).units;
  const projects = cli(["--study", study, "units"]).split("\n").filter((l) => l.startsWith("project")).map((l) => l.split(/\s+/)[1]);
  const outside = projects.find((p) => !round.includes(p));
  const mock = await startChatMock({ delayMs: 10 });
  try {
    await withApp(["--study", study], async (browser) => {
      await pickRater(browser, "ana");
      // No machine rater yet: the coding screen offers no suggestions at all.
      assert.equal(await browser.$("#suggestions").isExisting(), false);
      await browser.$("#tab-machine").click();
      await until(browser, async () => (await browser.$("#machine-none").isExisting()), "the machine screen");
      await setValue(browser, "#machine-name", "llm");
      await choose(browser, "#machine-backend", "openai");
      await until(browser, async () => (await browser.$("#machine-url").isExisting()), "the endpoint fields");
      await choose(browser, "#machine-dimension", "kind");
      await setValue(browser, "#machine-url", mock.url);
      await setValue(browser, "#machine-model", "e2e-model");
      await browser.$("#machine-add-button").click();
      await until(browser, async () => (await browser.$("#machine-list tr[data-machine='llm']").isExisting()), "llm listed");
      await browser.$("#machine-list tr[data-machine='llm'] .machine-run").click();
      await until(browser, async () => / done: /.test(await browser.$("#machine-said").getText().catch(() => "")), "the run done", 30000);
      assert.match(await browser.$("#machine-said").getText(), new RegExp(`done: ${projects.length} labelled`));

      // The Machine screen withholds the round's answers and the routing list only counts them.
      await until(browser, async () => (await browser.$("#machine-withheld").isExisting()), "the answers listed");
      assert.match(await browser.$("#machine-withheld").getText(), /^3 answers on units of rounds not revealed yet left out/);
      await browser.$("#machine-route-button").click();
      await until(browser, async () => (await browser.$("#machine-route-withheld").isExisting()), "the routing list");
      assert.match(await browser.$("#machine-route-withheld").getText(), /^3 units in rounds not revealed yet left out/);
      let seen = await bodyText(browser);
      for (const u of round) assert.ok(!seen.includes(rationale(u)), `no answer on ${u} shown`);
      assert.ok(seen.includes(rationale(outside)), "answers outside the round are listed");

      // Coding: a round unit comes first; its suggestions are refused as blind.
      await browser.$("#tab-coding").click();
      await until(browser, async () => (await browser.$("#suggest-button").isExisting()), "the suggestions button");
      const first = await currentUnit(browser);
      assert.ok(round.includes(first), `the round's unit ${first} first`);
      assert.equal(await browser.$(".suggestion-line").isExisting(), false, "nothing shown unasked");
      await browser.$("#suggest-button").click();
      await until(browser, async () => (await browser.$(".suggestion[data-dimension='kind'] .suggestion-none").isExisting()), "the answer on the round unit");
      assert.match(await browser.$(".suggestion[data-dimension='kind'] .suggestion-none").getText(), /blind until round r1 is revealed/);
      seen = await bodyText(browser);
      for (const u of round) assert.ok(!seen.includes(rationale(u)), `no suggestion on ${u} shown`);
      await shot(browser, "26-suggestion-blind");

      // Outside the round: asked for with Ctrl+G, shown, and recorded on the decision.
      await browser.$(`#queue [data-unit="${outside}"]`).click();
      await until(browser, async () => (await currentUnit(browser)) === outside, `${outside} open`);
      await until(browser, async () => (await browser.$("#suggest-button").isExisting()), "the button again");
      await chord(browser, KEY.Control, "g");
      await until(browser, async () => (await browser.$(".suggestion-line[data-machine='llm']").isExisting()), "llm's suggestion");
      const line = await browser.$(".suggestion-line[data-machine='llm']").getText();
      assert.match(line, /^llm: .+ \(0\.80\)/);
      assert.ok(line.includes(rationale(outside)), line);
      assert.match(await browser.$("#suggest-recorded").getText(), /recorded as suggested by llm/);
      await shot(browser, "26-suggestion-shown");
      await until(browser, async () => (await browser.$$("#codes button.code").length) > 0, "the codes");
      await browser.keys("1");
      await until(
        browser,
        async () => JSON.parse(cli(["--study", study, "decisions", "--rater", "ana", "--format", "json"])).some((d) => d.unit === outside),
        "ana's decision saved",
      );
      const mine = JSON.parse(cli(["--study", study, "decisions", "--rater", "ana", "--format", "json"]));
      assert.deepEqual(mine.find((d) => d.unit === outside).suggested_by, ["llm"]);
    });
  } finally {
    await mock.stop();
  }
});
