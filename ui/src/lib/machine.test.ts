import { describe, expect, it } from "vitest";
import { applyMachineEvent, configFrom, configText, configuredDimension, emptyForm, evaluationText, idle, reasonsText, routeAnswerText, routingHead, runSummary, thresholdFrom } from "./machine";
import type { Evaluation, MachineConfig, Routing } from "./generated/types";

describe("configFrom", () => {
  it("a local model: learns from the named labels, folds parsed, empty fields left out", () => {
    const r = configFrom({ ...emptyForm(), dimension: "kind", trainOn: "ana", folds: "3" });
    expect(r).toEqual({ config: { backend: "local", allow_remote: false, dimension: "kind", train_on: "ana", folds: 3 } });
  });
  it("an openai endpoint: URL, model, temperature, seed, the remote opt-in", () => {
    const r = configFrom({ ...emptyForm(), backend: "openai", url: " http://127.0.0.1:11434/v1 ", model: "llama3", temperature: "0.2", seed: "7", allowRemote: true });
    expect(r).toEqual({ config: { backend: "openai", allow_remote: true, url: "http://127.0.0.1:11434/v1", model: "llama3", temperature: 0.2, seed: 7 } });
  });
  it("names the field that is not a number", () => {
    expect(configFrom({ ...emptyForm(), backend: "openai", seed: "1.5" })).toEqual({ error: "Seed: “1.5” is not a whole number" });
    expect(configFrom({ ...emptyForm(), backend: "openai", temperature: "warm" })).toEqual({ error: "Temperature: “warm” is not a number" });
    expect(configFrom({ ...emptyForm(), folds: "x" })).toEqual({ error: "Folds: “x” is not a whole number" });
  });
});

describe("configText", () => {
  it("says what each backend is", () => {
    expect(configText({ backend: "local", allow_remote: false, train_on: "ana", folds: 3, dimension: "kind" })).toBe("local classifier, learns from ana, 3 folds · kind");
    expect(configText({ backend: "openai", allow_remote: false, url: "http://127.0.0.1:9/v1", model: "m", temperature: 0, seed: 7 })).toBe(
      "openai m at http://127.0.0.1:9/v1 (temperature 0, seed 7)",
    );
  });
  it("reads the core's nulls as fields not set", () => {
    const stored = { backend: "openai", allow_remote: false, url: "http://127.0.0.1:9/v1", model: "m", temperature: null, seed: null, dimension: null } as unknown as MachineConfig;
    expect(configText(stored)).toBe("openai m at http://127.0.0.1:9/v1");
    expect(configuredDimension(stored)).toBeNull();
    expect(configuredDimension({ backend: "local", allow_remote: false, dimension: "kind" })).toBe("kind");
  });
});

describe("applyMachineEvent", () => {
  it("counts answers and failures from the plan on", () => {
    let s = applyMachineEvent(idle(), { event: "planned", run: 4, units: 3, answered_before: 1, resumed: true });
    expect(s).toEqual({ run: 4, total: 3, done: 1, failed: 0, waiting: null });
    s = applyMachineEvent(s, { event: "waiting", unit: "o/n", wait_seconds: 2.2 });
    expect(s.waiting).toBe("Waiting 2 s before asking again about o/n");
    s = applyMachineEvent(s, { event: "answered", unit: "o/n", ok: false, error: "429" });
    expect(s).toEqual({ run: 4, total: 3, done: 2, failed: 1, waiting: null });
  });
});

describe("evaluationText and runSummary", () => {
  const e: Evaluation = {
    units: 12,
    folds: 3,
    seed: 1,
    accuracy: 0.75,
    kappa: 0.6,
    kappa_ci: [0.3, 0.9],
    kappa_undefined: null,
    baseline_accuracy: 0.5,
    majority: ["model"],
    per_code: [],
    classifier: "naive Bayes",
  };
  it("puts accuracy beside the majority baseline, and kappa with its interval", () => {
    expect(evaluationText(e)).toBe("3-fold cross-validation over 12 labelled units: accuracy 0.75 (always “model”: 0.50), κ 0.60 [0.30, 0.90] · naive Bayes");
    expect(evaluationText({ ...e, kappa: null, kappa_ci: null, kappa_undefined: "one label only" })).toMatch(/κ undefined \(one label only\)/);
  });
  it("says how a run ended", () => {
    const s = { run: 2, resumed: false, units: 5, labelled: 4, failed: 1, skipped: 0, requests: 0, cancelled: false, evaluation: null };
    expect(runSummary({ result: s, error: null })).toEqual({ ok: false, text: "Run 2 done: 4 labelled, 1 failed of 5 units" });
    expect(runSummary({ result: { ...s, cancelled: true }, error: null }).text).toMatch(/^Run 2 cancelled \(run it again to go on\)/);
    expect(runSummary({ result: null, error: { kind: "invalid_input", message: "no labels" } as never })).toEqual({ ok: false, text: "The run stopped: no labels" });
  });
});

describe("the routing list's words", () => {
  const r: Routing = {
    dimension: "kind",
    raters: ["m1", "m2"],
    below: 0.6,
    considered: 12,
    withheld: 0,
    units: [
      {
        unit: "o/a",
        reasons: ["disagree", "low_confidence"],
        code_sets: 2,
        min_confidence: 0.2,
        answers: [
          { rater: "m1", status: "ok", codes: ["model"], confidence: 0.2 },
          { rater: "m2", status: "failed", codes: [], confidence: null },
        ],
      },
    ],
  };
  it("says why and what each machine answered", () => {
    expect(routingHead(r)).toBe("1 of 12 units answered by m1, m2 to code first (confidence below 0.6)");
    const first = r.units[0]!;
    expect(reasonsText(first)).toBe("machines disagree, low confidence");
    expect(first.answers.map(routeAnswerText)).toEqual(["m1: model (0.20)", "m2: failed"]);
  });
  it("takes a threshold from 0 to 1 only", () => {
    expect(thresholdFrom(" 0.5 ")).toEqual({ below: 0.5 });
    expect(thresholdFrom("1.5")).toHaveProperty("error");
    expect(thresholdFrom("")).toHaveProperty("error");
  });
});
