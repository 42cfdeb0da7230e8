import { describe, expect, it } from "vitest";
import { byDimension, num, statisticName, valueText, type StatResult } from "./agreement";

const stat = (over: Partial<StatResult>): StatResult => ({
  dimension: "kind",
  level: "leaf",
  code: null,
  statistic: "cohen_kappa",
  raters: ["ana", "ben"],
  value: 0.5,
  se: 0.1,
  ci_low: 0.3,
  ci_high: 0.7,
  n_units: 10,
  p_o: 0.8,
  p_e: 0.6,
  interpretation: "moderate",
  undefined_reason: null,
  note: null,
  ...over,
});

describe("byDimension", () => {
  it("groups results and warnings by dimension, overall apart from per code", () => {
    const groups = byDimension({
      results: [
        stat({}),
        stat({ dimension: "purpose", statistic: "prevalence" }),
        stat({ dimension: "purpose", code: "hosting" }),
        stat({ statistic: "percent_agreement" }),
      ],
      confusion: [],
      warnings: [{ dimension: "purpose", level: "leaf", kind: "few_units", code: null, raters: [], message: "only 1 unit" }],
    });
    expect(groups.map((g) => [g.dimension, g.overall.length, g.perCode.length, g.warnings.length])).toEqual([
      ["kind", 2, 0, 0],
      ["purpose", 1, 1, 1],
    ]);
  });
});

describe("formatting", () => {
  it("shows a value with its interval, or why there is none", () => {
    expect(valueText(stat({}))).toBe("0.500 [0.300, 0.700]");
    expect(valueText(stat({ ci_low: null, ci_high: null }))).toBe("0.500");
    expect(valueText(stat({ value: null }))).toBe("undefined");
    expect(num(null)).toBe("–");
    expect(num(Number.NaN)).toBe("–");
    expect(statisticName("cohen_kappa")).toBe("Cohen's kappa");
    expect(statisticName("new_stat")).toBe("new_stat");
  });
});
