import { describe, expect, it } from "vitest";
import { agreementExport, agreementFile, byDimension, cellTitle, confusionTable, num, statisticName, valueText, warningGroups } from "./agreement";
import type { StatResult } from "./generated/types";

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

describe("confusionTable", () => {
  it("keeps the categories either rater used, with totals and the diagonal", () => {
    const t = confusionTable({
      dimension: "kind",
      level: "leaf",
      raters: ["alice", "bob"],
      categories: ["model", "toolkit", "unused", "app"],
      counts: [
        [3, 1, 0, 0],
        [0, 2, 0, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      n_units: 7,
    });
    expect(t.rows.map((r) => r.category)).toEqual(["model", "toolkit", "app"]);
    expect(t.rows.map((r) => r.cells.map((c) => c.count))).toEqual([
      [3, 1, 0],
      [0, 2, 1],
      [0, 0, 0],
    ]);
    expect(t.rows[0]?.cells[0]?.agree).toBe(true);
    expect(t.rows[0]?.cells[1]?.agree).toBe(false);
    expect(t.rows.map((r) => r.total)).toEqual([4, 3, 0]);
    expect(t.columnTotals).toEqual([3, 3, 1]);
    expect(t.agreed).toBe(5);
    expect(t.total).toBe(7);
  });

  it("tolerates a ragged matrix without throwing", () => {
    const t = confusionTable({ dimension: "d", level: "leaf", raters: ["a", "b"], categories: ["x", "y"], counts: [[1]], n_units: 1 });
    expect(t.total).toBe(1);
    expect(t.rows.map((r) => r.category)).toEqual(["x"]);
  });
});

describe("warning groups", () => {
  it("groups by kind in the core's order", () => {
    const w = (kind: "prevalence" | "rater_bias" | "few_units", code: string) => ({ dimension: "purpose", level: "leaf" as const, kind, code, raters: [], message: code });
    const groups = warningGroups([w("prevalence", "a"), w("few_units", "b"), w("prevalence", "c")]);
    expect(groups.map((g) => [g.kind, g.warnings.map((x) => x.code)])).toEqual([
      ["prevalence", ["a", "c"]],
      ["few_units", ["b"]],
    ]);
    expect(groups[0]?.title).toMatch(/^Kappa paradox/);
  });
});

describe("agreementExport", () => {
  it("puts agreement.csv in the folder", () => {
    expect(agreementFile(" /out/ ")).toBe("/out/agreement.csv");
    expect(agreementFile("/out")).toBe("/out/agreement.csv");
    expect(agreementFile("/out/", "png")).toBe("/out/agreement.png");
  });
  it("names the file, its rows and what it holds", () => {
    expect(agreementExport({ path: "/out/agreement.csv", rows: 7 }, false)).toBe("Agreement in /out/agreement.csv (7 rows): every dimension and rater of the study.");
    expect(agreementExport({ path: "/out/agreement.csv", rows: 1 }, true)).toBe("Agreement in /out/agreement.csv (1 row): the dimensions, raters and round shown here.");
    expect(agreementExport({ path: "/out/agreement.png", rows: 4 }, false)).toBe("Agreement in /out/agreement.png (a figure of 4 results): every dimension and rater of the study.");
  });
});

describe("cellTitle", () => {
  it("names whose code is the row and the column, and counts the units", () => {
    expect(cellTitle(["ana", "ben"], "Model", "Toolkit", 1)).toBe("ana: Model × ben: Toolkit: 1 unit");
    expect(cellTitle(["ana", "ben"], "Model", "Model", 3)).toBe("ana: Model × ben: Model: 3 units");
  });
});
