import { describe, expect, it } from "vitest";
import { assignKeys } from "./codes";
import { MAX_QUOTE_CHARS, quoteOf, targets, where } from "./evidence";
import type { Codebook, Decision } from "./generated/types";

const c = (id: string) => ({ id, name: id.toUpperCase(), definition: "", include: "", exclude: "", example: "", status: "active" as const });
const book: Codebook = {
  id: "b",
  name: "b",
  version: "1",
  description: "",
  source: "",
  dimensions: [
    { id: "kind", name: "Kind", unit: "project", cardinality: "one", description: "", codes: [c("model"), c("toolkit")] },
    { id: "purpose", name: "Purpose", unit: "dockerfile", cardinality: "many", description: "", codes: [c("hosting"), c("build"), c("test")] },
  ],
};
const dec = (unit: string, dimension: string, codes: string[]): Decision => ({
  rater: "ana",
  unit,
  dimension,
  codes,
  memo: "",
  flagged: false,
  coded_at: "",
  suggested_by: [],
});

describe("targets", () => {
  it("lists the stored codes of the unit in codebook order", () => {
    const ds = [dec("o/n:Dockerfile", "purpose", ["test", "hosting"]), dec("o/n", "kind", ["model"])];
    expect(targets(book, ds, "o/n:Dockerfile").map((t) => [t.dimension, t.code, t.codeName])).toEqual([
      ["purpose", "hosting", "HOSTING"],
      ["purpose", "test", "TEST"],
    ]);
    expect(targets(book, ds, "o/n").map((t) => t.code)).toEqual(["model"]);
    expect(targets(book, ds, "x/y")).toEqual([]);
  });

  it("carries the codes panel's key of each code, so the dialog picks with the same key", () => {
    const ds = [dec("o/n:Dockerfile", "purpose", ["test", "hosting"])];
    const purpose = book.dimensions[1];
    if (purpose === undefined) throw new Error("no purpose dimension");
    const keys = assignKeys([purpose]);
    expect(targets(book, ds, "o/n:Dockerfile", keys).map((t) => [t.code, t.key])).toEqual([
      ["hosting", "1"],
      ["test", "3"],
    ]);
    expect(targets(book, ds, "o/n:Dockerfile").map((t) => t.key)).toEqual([null, null]);
  });
});

describe("quoteOf", () => {
  it("trims the quote and orders the lines", () => {
    expect(quoteOf({ file: "Dockerfile", text: "  RUN a\r\nRUN b \n", lines: [9, 8] })).toEqual({
      quote: "RUN a\nRUN b",
      lineStart: 8,
      lineEnd: 9,
    });
    expect(quoteOf({ file: "README.md", text: "serves models", lines: null })).toEqual({
      quote: "serves models",
      lineStart: null,
      lineEnd: null,
    });
  });
  it("refuses an empty or too long selection", () => {
    expect(quoteOf({ file: "README.md", text: " \n ", lines: null })).toHaveProperty("error");
    expect(quoteOf({ file: "README.md", text: "x".repeat(MAX_QUOTE_CHARS + 1), lines: null })).toHaveProperty("error");
  });
});

describe("where", () => {
  it("names the file and lines", () => {
    expect(where({ file: "Dockerfile", line_start: 3, line_end: 5 })).toBe("Dockerfile:3-5");
    expect(where({ file: "Dockerfile", line_start: 3, line_end: 3 })).toBe("Dockerfile:3");
    expect(where({ file: "README.md", line_start: null, line_end: null })).toBe("README.md");
  });
});
