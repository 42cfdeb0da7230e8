import { describe, expect, it } from "vitest";
import { blindRounds, buildQueue, decisionKey, progress, step, visible } from "./queue";
import type { Codebook, Decision, UnitInfo } from "./types";

const book: Codebook = {
  id: "t",
  name: "T",
  version: "1",
  description: "",
  source: "",
  dimensions: [
    { id: "kind", name: "Kind", unit: "project", cardinality: "one", description: "", codes: [] },
    { id: "purpose", name: "Purpose", unit: "dockerfile", cardinality: "many", description: "", codes: [] },
  ],
};

const project = (p: string): UnitInfo => ({ name: p, kind: "project", project: p, path: null });
const dockerfile = (p: string, path: string): UnitInfo => ({
  name: `${p}:${path}`,
  kind: "dockerfile",
  project: p,
  path,
});
const decision = (unit: string, dimension: string, flagged = false): Decision => ({
  rater: "ana",
  unit,
  dimension,
  codes: ["x"],
  memo: "",
  flagged,
  coded_at: "2026-01-01T00:00:00.000Z",
});

// Deliberately out of order, with a project whose name extends another's (`o/n-x`).
const units = [
  dockerfile("o/n", "docker/Dockerfile"),
  project("o/n-x"),
  dockerfile("o/n", "Dockerfile"),
  project("o/n"),
  project("a/b"),
];

describe("buildQueue", () => {
  it("puts each project before its Dockerfiles", () => {
    const q = buildQueue(units, book, []);
    expect(q.map((i) => i.unit.name)).toEqual([
      "a/b",
      "o/n",
      "o/n:Dockerfile",
      "o/n:docker/Dockerfile",
      "o/n-x",
    ]);
    expect(q[0]?.dimensions).toEqual(["kind"]);
    expect(q[2]?.dimensions).toEqual(["purpose"]);
  });

  it("marks coded and flagged units of the rater", () => {
    const q = buildQueue(units, book, [decision("o/n", "kind"), decision("o/n:Dockerfile", "purpose", true)]);
    const by = new Map(q.map((i) => [i.unit.name, i]));
    expect(by.get("o/n")?.coded).toBe(true);
    expect(by.get("o/n:Dockerfile")?.coded).toBe(true);
    expect(by.get("o/n:Dockerfile")?.flagged).toBe(true);
    expect(by.get("a/b")?.coded).toBe(false);
    expect(progress(q)).toEqual({ coded: 2, total: 5 });
  });

  it("keys decisions by unit and dimension", () => {
    expect(decisionKey("o/n", "kind")).not.toBe(decisionKey("o/n:kind", ""));
  });
});

describe("filters and search", () => {
  const q = buildQueue(units, book, [decision("o/n", "kind"), decision("o/n:Dockerfile", "purpose", true)]);
  const names = (f: Parameters<typeof visible>[1], s = "") => visible(q, f, s).map((i) => i.unit.name);

  it("filters by what the rater did", () => {
    expect(names("todo")).toEqual(["a/b", "o/n:docker/Dockerfile", "o/n-x"]);
    expect(names("done")).toEqual(["o/n", "o/n:Dockerfile"]);
    expect(names("flagged")).toEqual(["o/n:Dockerfile"]);
    expect(names("all")).toHaveLength(5);
  });

  it("keeps the open unit listed when it stops matching", () => {
    expect(visible(q, "todo", "", "o/n").map((i) => i.unit.name)).toEqual([
      "a/b",
      "o/n",
      "o/n:docker/Dockerfile",
      "o/n-x",
    ]);
    expect(visible(q, "todo", "", null)).toHaveLength(3);
  });

  it("searches by repository, ignoring case and spaces around", () => {
    expect(names("all", "  O/N-X ")).toEqual(["o/n-x"]);
    expect(names("todo", "o/n")).toEqual(["o/n:docker/Dockerfile", "o/n-x"]);
    expect(names("all", "nothing")).toEqual([]);
  });
});

describe("step", () => {
  const q = buildQueue(units, book, [decision("o/n", "kind")]);

  it("moves through the shown units", () => {
    expect(step(q, "a/b", 1, "all", "")).toBe("o/n");
    expect(step(q, "o/n", -1, "all", "")).toBe("a/b");
    expect(step(q, "a/b", -1, "all", "")).toBeNull();
    expect(step(q, "o/n-x", 1, "all", "")).toBeNull();
  });

  it("starts from the current unit's place even when it is no longer shown", () => {
    // o/n is coded, so the "to code" filter hides it; next is the unit after it.
    expect(step(q, "o/n", 1, "todo", "")).toBe("o/n:Dockerfile");
    expect(step(q, "o/n", -1, "todo", "")).toBe("a/b");
  });

  it("starts at either end without a current unit", () => {
    expect(step(q, null, 1, "todo", "")).toBe("a/b");
    expect(step(q, null, -1, "todo", "")).toBe("o/n-x");
    expect(step(q, "gone/unit", 1, "all", "")).toBe("a/b");
  });

  it("respects the search", () => {
    expect(step(q, "a/b", 1, "all", "n-x")).toBe("o/n-x");
  });
});

describe("changed upstream and disagreements", () => {
  it("marks units of changed projects and the rater's decided disagreements", () => {
    const mine = [decision("o/n", "kind"), decision("o/n:Dockerfile", "purpose")];
    const q = buildQueue(units, book, mine, {
      changed: new Set(["o/n"]),
      // a/b differs between two other raters: not this rater's disagreement.
      disagreements: new Set(["o/n", "a/b"]),
    });
    expect(visible(q, "changed", "").map((i) => i.unit.name)).toEqual(["o/n", "o/n:Dockerfile", "o/n:docker/Dockerfile"]);
    expect(visible(q, "disagree", "").map((i) => i.unit.name)).toEqual(["o/n"]);
    // Without context nothing is changed or disputed.
    const plain = buildQueue(units, book, mine);
    expect(visible(plain, "changed", "")).toEqual([]);
    expect(visible(plain, "disagree", "")).toEqual([]);
  });
});

describe("blindRounds", () => {
  it("lists the unrevealed rounds of each unit", () => {
    const m = blindRounds([
      { name: "r1", units: ["a/b", "c/d"], revealed_at: null },
      { name: "r0", units: ["a/b"], revealed_at: "2026-01-01T00:00:00.000Z" },
      { name: "r2", units: ["a/b"], revealed_at: null },
    ]);
    expect(m.get("a/b")).toEqual(["r1", "r2"]);
    expect(m.get("c/d")).toEqual(["r1"]);
    expect(m.has("e/f")).toBe(false);
  });
});
