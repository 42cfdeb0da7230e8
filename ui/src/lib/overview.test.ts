import { describe, expect, it } from "vitest";
import { chartData, percent, roundState, type Overview } from "./overview";

const o: Overview = {
  units: 10,
  raters: [],
  rounds: [],
  hidden: 0,
  distribution: [
    { dimension: "kind", code: "model", name: "Model", parent: null, count: 3 },
    { dimension: "kind", code: "toolkit", name: "Toolkit", parent: null, count: 0 },
    { dimension: "purpose", code: "mm", name: "Model Management", parent: null, count: 1 },
    { dimension: "purpose", code: "train", name: "Model Training", parent: "mm", count: 2 },
  ],
};

describe("overview rules", () => {
  it("draws one dimension's given codes, sub-codes under their parent's name", () => {
    expect(chartData(o, "kind")).toEqual({ labels: ["Model"], counts: [3] });
    expect(chartData(o, "kind", true)).toEqual({ labels: ["Model", "Toolkit"], counts: [3, 0] });
    expect(chartData(o, "purpose").labels).toEqual(["Model Management", "Model Management › Model Training"]);
    expect(chartData(o, "nope")).toEqual({ labels: [], counts: [] });
  });

  it("words shares and rounds", () => {
    expect(percent(37, 406)).toBe("9%");
    expect(percent(0, 0)).toBe("0%");
    const r = { name: "r", dimension: null, seed: 1, extends: null, units: [], raters: [], created_at: "", revealed_at: null, revealed_by: null };
    expect(roundState(r)).toBe("blind (not revealed)");
    expect(roundState({ ...r, revealed_at: "2026-11-24T10:00:00.000Z" })).toBe("revealed 2026-11-24");
  });
});
