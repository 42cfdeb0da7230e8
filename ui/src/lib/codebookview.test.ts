import { describe, expect, it } from "vitest";
import { codeRows, mergeTargets } from "./codebookview";
import type { Code, Dimension } from "./generated/types";

const code = (id: string, parent: string | null = null, status: Code["status"] = "active"): Code => ({
  id,
  name: id.toUpperCase(),
  definition: "",
  include: "",
  exclude: "",
  example: "",
  parent,
  status,
});
const dim: Dimension = {
  id: "purpose",
  name: "Purpose",
  unit: "dockerfile",
  cardinality: "many",
  description: "",
  codes: [code("a"), code("b"), code("a1", "a"), code("old", null, "retired"), code("b1", "b")],
};

describe("codebook screen rules", () => {
  it("lists parents then their sub-codes, with uses", () => {
    const rows = codeRows(dim, [
      { dimension: "purpose", code: "a1", count: 3, proposed_by: "ana" },
      { dimension: "kind", code: "a", count: 9, proposed_by: null },
    ]);
    expect(rows.map((r) => [r.code.id, r.depth, r.uses, r.proposedBy])).toEqual([
      ["a", 0, 0, null],
      ["a1", 1, 3, "ana"],
      ["b", 0, 0, null],
      ["b1", 1, 0, null],
      ["old", 0, 0, null],
    ]);
  });

  it("offers the other live codes as merge targets", () => {
    expect(mergeTargets(dim, "a").map((c) => c.id)).toEqual(["b", "a1", "b1"]);
  });
});
