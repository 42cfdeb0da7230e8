import { describe, expect, it } from "vitest";
import { chartData, countedWhat, percent, roundState } from "./overview";
import type { Overview } from "./generated/types";

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
    const r = { revealed_at: null, revealed_by: null };
    expect(roundState(r)).toBe("blind (not revealed)");
    expect(roundState({ ...r, revealed_at: "2026-11-24T10:00:00.000Z" })).toBe("revealed 2026-11-24");
    expect(roundState({ revealed_at: "2026-11-24T10:00:00.000Z", revealed_by: "lead" })).toBe("revealed 2026-11-24 by lead");
  });

  it("says whose codes are counted", () => {
    expect(countedWhat("", "")).toBe("every decision you may see, all raters pooled");
    expect(countedWhat("consensus", "r50")).toBe("the consensus, units of round r50");
    expect(countedWhat("bob", "")).toBe("bob's decisions");
  });
});
