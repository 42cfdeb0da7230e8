// (o) Issue 12's must-show: a lead and two raters run a blind 50 % round entirely in the app —
// create, assign, code, reveal, agreement, reconcile, report on the consensus. While the round
// is not revealed, bob's Agreement, Overview, Reconcile, Report (and export) and queue show
// nothing of alice's codes.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { addRaterByKeyboard, chord, cli, currentUnit, freshStudy, KEY, progress, setValue, shot, until, WORK, withApp } from "../lib.mjs";

/** Chooses an option of a select as a person would (a change event). */
async function choose(browser, selector, value) {
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

/** Leaves for "Who is coding?" from any screen and picks `name`. */
async function switchTo(browser, name) {
  await browser.$("#tab-coding").click();
  await until(browser, async () => (await browser.$("#switch-rater").isExisting()), "the coding screen");
  await browser.$("#switch-rater").click();
  await until(browser, async () => (await browser.$(`button.rater[data-rater='${name}']`).isExisting()), "the rater screen");
  await browser.$(`button.rater[data-rater='${name}']`).click();
  await until(browser, async () => (await browser.$("#progress").isExisting()) && (await browser.$("#switch-rater").getText()) === name, `${name} coding`);
}

/** The units of the queue in order, with what the panel marks on them. */
const queueUnits = (browser) =>
  browser.execute(() =>
    [...document.querySelectorAll("#queue [data-unit]")].map((e) => ({
      unit: e.getAttribute("data-unit"),
      assigned: e.getAttribute("data-assigned") === "true",
      coded: e.getAttribute("data-coded") === "true",
    })),
  );

/** Codes the open unit with `key` and moves on (Enter), waiting for the save. */
async function codeWith(browser, unit, key, n) {
  await until(browser, async () => (await currentUnit(browser)) === unit, `${unit} to open`);
  await until(browser, async () => (await browser.$$("#codes button.code").length) > 0, "the codes");
  await browser.keys(key);
  await until(browser, async () => (await progress(browser)) === `${n} / 49`, `${n} coded`);
  await browser.keys(KEY.Enter);
}

const text = (browser, selector) => browser.$(selector).getText().catch(() => "");

test("a blind 50 % round run entirely in the app, blind for bob until revealed", async () => {
  const study = freshStudy("blind-round");
  const bobsExport = join(mkdtempSync(join(WORK, "bob-export-")), "out");
  let round = [];
  await withApp(["--study", study], async (browser) => {
    // The lead starts the study and adds the two raters.
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen");
    await addRaterByKeyboard(browser, "lead");
    await browser.$("#tab-rounds").click();
    await until(browser, async () => (await browser.$("#rater-add-name").isExisting()), "the rounds & raters screen");
    for (const name of ["alice", "bob"]) {
      await setValue(browser, "#rater-add-name", name);
      await browser.$("#rater-add-go").click();
      await until(browser, async () => (await text(browser, "#rounds-notice")) === `Added ${name}`, `${name} added`);
    }

    // A 50 % round of the kind dimension, seeded, assigned to alice and bob.
    await browser.$("#round-new").click();
    await until(browser, async () => (await browser.$("#round-name").isExisting()), "the round form");
    await setValue(browser, "#round-name", "r50");
    assert.equal(await browser.$("#round-dimension").getValue(), "kind");
    assert.equal(await browser.$("#round-fraction").getValue(), "50%");
    await setValue(browser, "#round-seed", "7");
    await browser.$("#round-form input[data-rater='alice']").click();
    await browser.$("#round-form input[data-rater='bob']").click();
    await shot(browser, "22-round-form");
    await browser.$("#round-create").click();
    await until(browser, async () => /^Round r50: 6 units sampled \(seed 7\), assigned to alice and bob$/.test(await text(browser, "#rounds-notice")), "the round");
    assert.equal(await text(browser, "#round-list tr[data-round='r50'] td.progress"), "alice 0/6 · bob 0/6");
    assert.equal(await text(browser, "#round-list tr[data-round='r50'] td.state"), "blind (not revealed)");

    // Revealing before the raters are done is refused, with what each still owes.
    await browser.$("#round-list tr[data-round='r50'] button.reveal").click();
    await until(browser, async () => (await browser.$("#reveal-refused").isExisting()), "the refusal");
    assert.match(await text(browser, "#reveal-refused li[data-rater='alice']"), /^alice still owes 6:/);
    assert.match(await text(browser, "#reveal-refused li[data-rater='bob']"), /^bob still owes 6:/);
    assert.ok(await browser.$("#reveal-anyway").isExisting());
    await shot(browser, "23-reveal-refused");
    await browser.keys(KEY.Escape);
    await until(browser, async () => !(await browser.$("#reveal-refused").isExisting()), "Escape to cancel");

    // alice codes the round first: her six assigned units lead her queue.
    await switchTo(browser, "alice");
    await until(browser, async () => (await text(browser, "#round-progress li[data-round='r50']")) === "Round r50: 0 of 6 by you", "alice's round progress");
    const aliceQueue = await queueUnits(browser);
    round = aliceQueue.slice(0, 6).map((u) => u.unit);
    assert.ok(aliceQueue.slice(0, 6).every((u) => u.assigned) && !aliceQueue[6].assigned, "the round's units come first");
    assert.equal(round.length, 6);
    assert.ok(round.every((u) => !u.includes(":")), "a kind round holds project units");
    assert.equal(await text(browser, "#blind-badge"), "blind: round r50");
    for (const [i, unit] of round.entries()) await codeWith(browser, unit, "1", i + 1);
    await until(browser, async () => (await text(browser, "#round-progress li[data-round='r50']")) === "Round r50: 6 of 6 by you", "alice done");
    await shot(browser, "24-alice-coded-round");

    // bob: nothing of alice's shows, before and after he codes.
    await switchTo(browser, "bob");
    await until(browser, async () => (await text(browser, "#round-progress li[data-round='r50']")) === "Round r50: 0 of 6 by you", "bob's round progress");
    assert.equal(await progress(browser), "0 / 49");
    const bobQueue = await queueUnits(browser);
    assert.deepEqual(bobQueue.slice(0, 6).map((u) => u.unit), round, "the same round units first");
    assert.ok(bobQueue.every((u) => !u.coded), "alice's decisions do not mark bob's queue");
    assert.equal(await browser.$("button[data-filter='disagree']").isExisting(), false, "no disagreements while blind");
    // bob agrees with alice on three units and not on three.
    for (const [i, unit] of round.entries()) await codeWith(browser, unit, i < 3 ? "1" : "2", i + 1);
    await until(browser, async () => (await text(browser, "#round-progress li[data-round='r50']")) === "Round r50: 6 of 6 by you", "bob done");
    await browser.$("[data-filter='all']").click();
    await until(browser, async () => (await browser.$$("#queue [data-unit]").length) === 49, "every unit listed");
    assert.equal(await browser.$("button[data-filter='disagree']").isExisting(), false, "still no disagreements while blind");
    await browser.$(`#queue [data-unit='${round[3]}']`).click();
    await until(browser, async () => (await currentUnit(browser)) === round[3], "a unit alice coded otherwise");
    await until(browser, async () => (await browser.$("#codes [data-code='application-system']").getAttribute("aria-checked")) === "true", "bob's own code");
    assert.equal(await browser.$("#codes [data-code='model']").getAttribute("aria-checked"), "false", "alice's code is not shown");
    await shot(browser, "25-bob-queue-blind");

    // Agreement: nothing to compute while the round is blind; the round is not offered.
    await browser.$("#tab-agreement").click();
    await until(browser, async () => (await browser.$("#agreement-error").isExisting()), "the agreement screen's answer");
    assert.match(await text(browser, "#agreement-error"), /two raters who decided the same units/);
    assert.equal(await browser.$$(".agreement-dimension").length, 0);
    assert.equal(await browser.$("#agreement-round option[value='r50']").isExisting(), false);
    assert.match(await text(browser, "#agreement-blind"), /r50/);
    await shot(browser, "26-bob-agreement-blind");

    // Overview: alice's codes are not counted (pooled they are withheld; hers alone: none).
    await browser.$("#tab-overview").click();
    await until(browser, async () => (await browser.$("#overview-hidden").isExisting()), "the overview");
    assert.match(await text(browser, "#overview-hidden"), /^6 decisions of other raters in blind rounds are not counted/);
    // Pooled: bob's own six decisions only (model ×3, application system ×3).
    assert.equal(await browser.$("section.overview-chart[data-dimension='kind']").getAttribute("data-bars"), "2");
    await choose(browser, "#overview-labels", "alice");
    await until(browser, async () => /alice's decisions/.test(await text(browser, "#overview-counted")), "alice's view");
    assert.equal(await browser.$("section.overview-chart[data-dimension='kind']").getAttribute("data-bars"), "0");
    await choose(browser, "#overview-labels", "consensus");
    await until(browser, async () => /the consensus/.test(await text(browser, "#overview-counted")), "the consensus view");
    assert.equal(await browser.$("section.overview-chart[data-dimension='kind']").getAttribute("data-bars"), "0");
    await shot(browser, "27-bob-overview-blind");

    // Reconcile: the round's units are left out.
    await browser.$("#tab-reconcile").click();
    await until(browser, async () => (await browser.$("#reconcile-empty").isExisting()), "the reconcile screen");
    assert.equal(await text(browser, "#reconcile-blinded"), "6 in rounds not revealed yet");
    assert.equal(await browser.$$(".rater-card").length, 0);
    await shot(browser, "28-bob-reconcile-blind");

    // Report: alice's labels are none to bob, and there is no consensus yet; the export too
    // leaves her decisions out.
    await browser.$("#tab-report").click();
    await until(browser, async () => (await browser.$("#report-source").isExisting()), "the report");
    await choose(browser, "#report-rater", "alice");
    await until(browser, async () => /alice's labels/.test(await text(browser, "#report-source")), "alice's report");
    assert.equal(await text(browser, "#report-unlabelled details[data-dimension='kind'] summary"), "Project kind: 12 of 12 project units have no label from alice");
    const aliceKinds = await browser.execute(() =>
      [...document.querySelectorAll("section.report-table[data-table='kinds'] tbody tr")].map((tr) => tr.querySelectorAll("td")[1]?.textContent.trim()),
    );
    assert.ok(aliceKinds.every((n) => n === "0" || n === undefined), `alice's kinds as bob sees them: ${aliceKinds.join(", ")}`);
    await choose(browser, "#report-rater", "consensus");
    await until(browser, async () => /the consensus/.test(await text(browser, "#report-source")), "the consensus report");
    assert.equal(await text(browser, "#report-unlabelled details[data-dimension='kind'] summary"), "Project kind: 12 of 12 project units have no consensus yet");
    await setValue(browser, "#export-folder", bobsExport);
    await browser.$("#export-tables").click();
    await until(browser, async () => /written to/.test(await text(browser, "#report-notice")), "bob's export");
    assert.match(await text(browser, "#report-notice"), /; 6 decisions and evidence of other raters left out \(round not revealed yet\)$/);
    await shot(browser, "29-bob-report-blind");

    // The lead reveals the round: everyone is done now.
    await switchTo(browser, "lead");
    await browser.$("#tab-rounds").click();
    await until(browser, async () => (await text(browser, "#round-list tr[data-round='r50'] td.progress")) === "alice 6/6 · bob 6/6", "the round complete");
    await browser.$("#round-list tr[data-round='r50'] button.reveal").click();
    await until(browser, async () => /^Round r50 revealed: everyone now sees everyone's decisions on its 6 units$/.test(await text(browser, "#rounds-notice")), "the reveal");
    assert.match(await text(browser, "#round-list tr[data-round='r50'] td.state"), /^revealed \d{4}-\d\d-\d\d by lead$/);
    await shot(browser, "30-round-revealed");

    // Agreement on the round: alice and bob, six units, three agreed.
    await browser.$("#tab-agreement").click();
    await until(browser, async () => (await browser.$("#agreement-round option[value='r50']").isExisting()), "the round offered");
    await choose(browser, "#agreement-round", "r50");
    await browser.$("#compute-agreement").click();
    await until(browser, async () => (await browser.$(".agreement-dimension[data-dimension='kind'] tr[data-statistic='cohen_kappa']").isExisting()), "the round's kappa");
    const kappa = await browser.execute(() =>
      [...document.querySelector(".agreement-dimension[data-dimension='kind'] tr[data-statistic='cohen_kappa']").querySelectorAll("td")].map((td) => td.textContent.trim()),
    );
    assert.equal(kappa[2], "alice · bob");
    assert.equal(kappa[4], "6");
    assert.equal(
      await browser.execute(() => document.querySelector(".agreement-dimension[data-dimension='kind'] tr[data-statistic='percent_agreement'] td.value")?.textContent),
      "0.500",
    );
    assert.equal(await browser.$(".agreement-dimension[data-dimension='purpose']").isExisting(), false, "the round's dimension only");
    await shot(browser, "31-round-agreement");

    // Reconcile the three disagreements as the lead: final codes start empty, alice's set is
    // one key away, Ctrl+Enter decides.
    await browser.$("#tab-reconcile").click();
    await until(browser, async () => (await browser.$("#reconcile-unit").isExisting()), "the first disagreement");
    assert.equal(await browser.$("#adjudicator").getValue(), "lead");
    const toReconcile = await browser.execute(() => [...document.querySelectorAll(".reconcile-queue [data-unit]")].map((b) => b.getAttribute("data-unit")));
    assert.deepEqual([...toReconcile].sort(), round.slice(3).sort());
    for (let i = 0; i < 3; i++) {
      const unit = await text(browser, "#reconcile-unit");
      assert.deepEqual(await browser.$$(".final-codes [aria-checked='true']").length, 0, "nothing preselected");
      const cards = await browser.execute(() => [...document.querySelectorAll(".rater-card")].map((c) => c.getAttribute("data-rater")));
      assert.deepEqual([...cards].sort(), ["alice", "bob"]);
      await browser.$("#reconcile-unit").click();
      await browser.keys(String(cards.indexOf("alice") + 1));
      await until(browser, async () => (await browser.$(".final-codes [data-code='model']").getAttribute("aria-checked")) === "true", "alice's codes taken");
      if (i === 0) await shot(browser, "32-reconcile-round");
      await chord(browser, KEY.Control, KEY.Enter);
      await until(browser, async () => (await text(browser, "#reconcile-notice")) === `Consensus on ${unit}: model`, `the consensus on ${unit}`);
    }
    await until(browser, async () => (await browser.$("#reconcile-empty").isExisting()), "nothing left to reconcile");
    // Where both agreed: accepted (if automatic consensus has not taken them already).
    await browser.$("#accept-unanimous").click();
    await until(browser, async () => /^Unanimous: \d+ accepted/.test(await text(browser, "#reconcile-notice")), "the unanimous units");

    // The paper's tables from the consensus: six models, six project units still without one.
    await browser.$("#tab-report").click();
    await until(browser, async () => (await browser.$("#report-rater").isExisting()), "the report screen");
    await choose(browser, "#report-rater", "consensus");
    await until(browser, async () => /the consensus/.test(await text(browser, "#report-source")), "the consensus report");
    await until(browser, async () => (await browser.$("section.report-table[data-table='kinds'] table").isExisting()), "the kinds table");
    assert.equal(await text(browser, "#report-unlabelled details[data-dimension='kind'] summary"), "Project kind: 6 of 12 project units have no consensus yet");
    const kinds = await browser.execute(() =>
      [...document.querySelectorAll("section.report-table[data-table='kinds'] tbody tr")].map((tr) =>
        [...tr.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent.trim()),
      ),
    );
    assert.deepEqual(kinds.filter(([, n]) => n !== "0"), [
      ["Model", "6"],
      ["Total", "6"],
    ]);
    await shot(browser, "33-report-consensus");
  });

  // bob's export while blind held only his own decisions.
  const bobCodings = readFileSync(join(bobsExport, "codings.csv"), "utf8");
  assert.doesNotMatch(bobCodings, /^alice,/m, "no decision of alice in bob's export");
  assert.equal(bobCodings.split(/\r?\n/).filter((l) => l.startsWith("bob,")).length, 6);
  // The study says the same to the CLI: six consensus labels on the round's units.
  const out = mkdtempSync(join(WORK, "round-export-"));
  cli(["--study", study, "export", "--out", out]);
  const consensus = readFileSync(join(out, "consensus.csv"), "utf8").split(/\r?\n/).filter((l) => /,kind,model,/.test(l));
  assert.equal(consensus.length, 6);
  for (const u of round) assert.ok(consensus.some((l) => l.startsWith(`${u},`)), `${u} has a consensus`);
  assert.match(cli(["--study", study, "round", "list"]), /r50/);
});
