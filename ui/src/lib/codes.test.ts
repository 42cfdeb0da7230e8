import { describe, expect, it } from "vitest";
import { assignKeys, CODE_KEYS, codeForKey, codeRows, decisionKey, dimensionsFor, firstMatch, offered, pick } from "./codes";
import type { Code, Dimension } from "./generated/types";

const code = (id: string, parent: string | null = null, status: Code["status"] = "active"): Code => ({
  id,
  name: id.replace(/-/g, " "),
  definition: `def of ${id}`,
  include: "",
  exclude: "",
  example: "",
  parent,
  status,
});

const kind: Dimension = {
  id: "kind",
  name: "Kind",
  unit: "project",
  cardinality: "one",
  description: "",
  codes: ["model", "toolkit", "application-system"].map((c) => code(c)),
};

// Sub-codes listed after other codes, and one retired code.
const purpose: Dimension = {
  id: "purpose",
  name: "Purpose",
  unit: "dockerfile",
  cardinality: "many",
  description: "",
  codes: [
    code("hosting"),
    code("model-management"),
    code("data-management"),
    code("old-thing", null, "retired"),
    code("model-training", "model-management"),
    code("data-processing", "data-management"),
    code("model-export", "model-management"),
  ],
};

describe("offered", () => {
  it("nests sub-codes under their parent and hides retired codes", () => {
    expect(offered(purpose).map((r) => `${r.depth}:${r.code.id}`)).toEqual([
      "0:hosting",
      "0:model-management",
      "1:model-training",
      "1:model-export",
      "0:data-management",
      "1:data-processing",
    ]);
  });

  it("keeps a retired code that is already chosen", () => {
    expect(offered(purpose, ["old-thing"]).map((r) => r.code.id)).toContain("old-thing");
  });
});

describe("keys", () => {
  it("never uses the navigation keys j and k, and has enough for the shipped codebook", () => {
    expect(CODE_KEYS).not.toContain("j");
    expect(CODE_KEYS).not.toContain("k");
    expect(new Set(CODE_KEYS).size).toBe(CODE_KEYS.length);
    expect(CODE_KEYS.length).toBeGreaterThanOrEqual(33);
  });

  it("numbers the kinds 1 to n in display order, and runs on across dimensions", () => {
    const keys = assignKeys([kind, purpose]);
    expect(codeForKey(keys, "1")).toEqual({ dimension: "kind", code: "model" });
    expect(codeForKey(keys, "3")).toEqual({ dimension: "kind", code: "application-system" });
    expect(codeForKey(keys, "4")).toEqual({ dimension: "purpose", code: "hosting" });
    expect(codeForKey(keys, "6")).toEqual({ dimension: "purpose", code: "model-training" });
    expect(codeForKey(keys, "z")).toBeNull();
  });
});

describe("codeRows", () => {
  const keys = assignKeys([purpose]);

  it("shows every offered code with its key when not filtering", () => {
    const rows = codeRows(purpose, "", keys);
    expect(rows.map((r) => r.key)).toEqual(["1", "2", "3", "4", "5", "6"]);
    expect(rows.every((r) => !r.context)).toBe(true);
  });

  it("filters by name or id and keeps keys stable", () => {
    const rows = codeRows(purpose, "EXPORT", keys);
    expect(rows.map((r) => [r.code.id, r.key, r.context])).toEqual([
      ["model-management", "2", true],
      ["model-export", "4", false],
    ]);
    expect(firstMatch(rows)?.id).toBe("model-export");
  });

  it("a matching parent brings no children", () => {
    const rows = codeRows(purpose, "data management", keys);
    expect(rows.map((r) => r.code.id)).toEqual(["data-management"]);
  });

  it("no match gives no rows", () => {
    const rows = codeRows(purpose, "zzz", keys);
    expect(rows).toEqual([]);
    expect(firstMatch(rows)).toBeNull();
  });
});

describe("pick", () => {
  it("replaces the code of a one-code dimension", () => {
    expect(pick(kind, [], "toolkit")).toEqual(["toolkit"]);
    expect(pick(kind, ["toolkit"], "model")).toEqual(["model"]);
    expect(pick(kind, ["model"], "model")).toEqual(["model"]);
  });

  it("toggles codes of a many-code dimension, kept in codebook order", () => {
    let s = pick(purpose, [], "model-export");
    s = pick(purpose, s, "hosting");
    expect(s).toEqual(["hosting", "model-export"]);
    expect(pick(purpose, s, "hosting")).toEqual(["model-export"]);
  });
});

describe("dimensions and decision keys", () => {
  it("gives a unit kind its dimensions in codebook order", () => {
    const book = { id: "t", name: "T", version: "1", description: "", source: "", dimensions: [kind, purpose] };
    expect(dimensionsFor(book, "project").map((d) => d.id)).toEqual(["kind"]);
    expect(dimensionsFor(book, "dockerfile").map((d) => d.id)).toEqual(["purpose"]);
  });

  it("keys decisions by unit and dimension without collisions", () => {
    expect(decisionKey("o/n", "kind")).not.toBe(decisionKey("o/n:kind", ""));
  });
});
