import { describe, expect, it } from "vitest";
import { complete, createRequest, emptyForm, parseShare, planLine, progressLine } from "./rounds";

describe("the create form", () => {
  it("reads shares as fractions or percents", () => {
    expect(parseShare("50%")).toBe(0.5);
    expect(parseShare(" 0.25 ")).toBe(0.25);
    expect(parseShare("")).toBeNull();
    expect(parseShare("half")).toBeNull();
  });

  it("asks for a 50% round of one dimension, seeded", () => {
    expect(createRequest({ ...emptyForm(), name: " r50 ", dimension: "kind", seed: "7" }, "lead")).toEqual({
      request: { name: "r50", by: "lead", fraction: 0.5, dimension: "kind", seed: 7 },
    });
  });

  it("asks for a size, or a planned interval width", () => {
    expect(createRequest({ ...emptyForm(), name: "r", sizeBy: "size", size: "20", stratify: "kind", extend: "r0" }, "l")).toEqual({
      request: { name: "r", by: "l", size: 20, stratify: "kind", extend: "r0" },
    });
    expect(createRequest({ ...emptyForm(), name: "r", sizeBy: "plan", width: "0.2", kappa: "0.8", confidence: "90%", dimension: "kind" }, "l")).toEqual({
      request: { name: "r", by: "l", plan_width: 0.2, expected_kappa: 0.8, confidence: 0.9, dimension: "kind" },
    });
  });

  it("says what is wrong before asking", () => {
    const bad = (over: Partial<ReturnType<typeof emptyForm>>) => {
      const r = createRequest({ ...emptyForm(), name: "r", ...over }, "l");
      return "error" in r ? r.error : null;
    };
    expect(bad({ name: "" })).toMatch(/Name the round/);
    expect(bad({ fraction: "150%" })).toMatch(/not between/);
    expect(bad({ sizeBy: "size", size: "2.5" })).toMatch(/whole number/);
    expect(bad({ sizeBy: "plan", dimension: "" })).toMatch(/needs the round's dimension/);
    expect(bad({ sizeBy: "plan", dimension: "kind", kappa: "x" })).toMatch(/expected κ/);
    expect(bad({ seed: "-1" })).toMatch(/seed/);
  });
});

describe("rounds in words", () => {
  const r = { raters: [{ rater: "alice", decided: 6, total: 6 }, { rater: "bob", decided: 2, total: 6 }] };

  it("says each rater's progress and whether it is complete", () => {
    expect(progressLine(r)).toBe("alice 6/6 · bob 2/6");
    expect(progressLine({ raters: [] })).toBe("no raters assigned");
    expect(complete(r)).toBe(false);
    expect(complete({ raters: [{ rater: "a", decided: 1, total: 1 }] })).toBe(true);
    expect(complete({ raters: [] })).toBe(false);
  });

  it("reads the stored plan", () => {
    expect(planLine({ fraction: 0.5, strata: { by: "kind", sampled: { model: 3 } }, pool: 12 })).toBe(
      "50% of the units, stratified by kind, drawn from 12",
    );
    expect(planLine({ plan: { width: 0.3, expected_kappa: 0.7, confidence: 0.95, planned: 40 }, pool: 406 })).toBe(
      "sized for a κ interval 0.3 wide at κ 0.7 (95% confidence): 40 units, drawn from 406",
    );
    expect(planLine({ size: 20 })).toBe("20 units asked for");
    expect(planLine(null)).toBe("");
    expect(planLine([1, 2])).toBe("");
  });
});
