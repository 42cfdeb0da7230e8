import { describe, expect, it } from "vitest";
import { assistedBy, emptyText, suggestionText } from "./suggest";
import type { Codebook, Suggestions } from "./generated/types";

const book = { dimensions: [{ id: "kind", codes: [{ id: "model", name: "Model" }] }] } as unknown as Codebook;
const shown: Suggestions = {
  unit: "o/a",
  dimension: "kind",
  rater: "ana",
  suggestions: [{ rater: "llm", run: 1, codes: ["model"], rationale: "it trains one", confidence: 0.8 }],
  failed: [],
  recorded: true,
};

describe("suggestions", () => {
  it("names the codes and the confidence", () => {
    expect(suggestionText(book, "kind", shown.suggestions[0]!)).toBe("llm: Model (0.80)");
    expect(suggestionText(book, "kind", { rater: "nb", run: 2, codes: ["other"], rationale: "", confidence: null })).toBe("nb: other");
  });
  it("says why there is nothing to show", () => {
    expect(emptyText(shown)).toBeNull();
    expect(emptyText({ ...shown, suggestions: [], failed: ["llm"], recorded: false })).toBe("llm failed on this unit: nothing to suggest");
    expect(emptyText({ ...shown, suggestions: [], recorded: false })).toBe("no machine rater has answered on this unit");
  });
  it("lists who a decision is assisted by, only where the showing was recorded", () => {
    expect(assistedBy([{ dimension: "kind", result: shown }, { dimension: "purpose", error: "blind" }])).toEqual(["llm"]);
    expect(assistedBy([{ dimension: "kind", result: { ...shown, recorded: false } }])).toEqual([]);
  });
});
