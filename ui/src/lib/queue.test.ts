import { describe, expect, it } from "vitest";
import { endOfQueue, filterButtons, listed, queueRows, roundLine, splitLabel, step, WINDOW_FROM, windowOf } from "./queue";
import type { CodingQueue, QueueEntry } from "./generated/types";

const entry = (name: string, shown: boolean, coded = false): QueueEntry => {
  const [project, path] = name.split(":");
  return {
    unit: { name, kind: path === undefined ? "project" : "dockerfile", project: project ?? name, path: path ?? null },
    label: path ?? name,
    dimensions: [path === undefined ? "kind" : "purpose"],
    coded,
    flagged: false,
    changed: false,
    disagreement: false,
    blind_rounds: [],
    assigned: false,
    shown,
  };
};

// As the core orders them; the "to code" filter shows those not coded.
const items = [
  entry("a/b", true),
  entry("o/n", false, true),
  entry("o/n:Dockerfile", true),
  entry("o/n:docker/Dockerfile", true),
  entry("o/n-x", false, true),
];

const queue = (over: Partial<CodingQueue> = {}): CodingQueue => ({
  items,
  coded: 2,
  total: 5,
  filters: [
    { filter: "todo", label: "To code by me", count: 3 },
    { filter: "done", label: "Coded by me", count: 2 },
    { filter: "flagged", label: "Flagged", count: 0 },
    { filter: "all", label: "All", count: 5 },
  ],
  rounds: [],
  ...over,
});

describe("listed", () => {
  it("lists what the core shows, in its order", () => {
    expect(listed(items).map((i) => i.unit.name)).toEqual(["a/b", "o/n:Dockerfile", "o/n:docker/Dockerfile"]);
  });

  it("keeps units coded in this view listed, and steps back to them", () => {
    expect(listed(items, new Set(["o/n"])).map((i) => i.unit.name)).toEqual(["a/b", "o/n", "o/n:Dockerfile", "o/n:docker/Dockerfile"]);
    expect(step(items, "o/n:Dockerfile", -1, new Set(["o/n"]))).toBe("o/n");
    expect(step(items, "o/n:Dockerfile", -1)).toBe("a/b");
  });

  it("keeps the open unit listed when it stops matching", () => {
    expect(listed(items, "o/n").map((i) => i.unit.name)).toEqual(["a/b", "o/n", "o/n:Dockerfile", "o/n:docker/Dockerfile"]);
  });
});

describe("step", () => {
  it("moves through the shown units", () => {
    expect(step(items, "a/b", 1)).toBe("o/n:Dockerfile");
    expect(step(items, "o/n:Dockerfile", -1)).toBe("a/b");
    expect(step(items, "a/b", -1)).toBeNull();
    expect(step(items, "o/n:docker/Dockerfile", 1)).toBeNull();
  });

  it("starts from the current unit's place even when it is no longer shown", () => {
    expect(step(items, "o/n", 1)).toBe("o/n:Dockerfile");
    expect(step(items, "o/n", -1)).toBe("a/b");
    expect(step(items, "o/n-x", -1)).toBe("o/n:docker/Dockerfile");
  });

  it("starts at either end without a current unit", () => {
    expect(step(items, null, 1)).toBe("a/b");
    expect(step(items, null, -1)).toBe("o/n:docker/Dockerfile");
    expect(step(items, "gone/unit", 1)).toBe("a/b");
    expect(step([], null, 1)).toBeNull();
  });
});

describe("filterButtons", () => {
  it("offers the core's filters, and the active one even when the core left it out", () => {
    expect(filterButtons(queue(), "todo").map((f) => f.filter)).toEqual(["todo", "done", "flagged", "all"]);
    const withDisagree = filterButtons(queue(), "disagree");
    expect(withDisagree.at(-1)).toEqual({ filter: "disagree", label: "Disagreements", count: 0 });
    expect(filterButtons(null, "all")).toEqual([{ filter: "all", label: "All", count: 0 }]);
  });
});

describe("lines", () => {
  it("says a round's progress", () => {
    expect(roundLine({ round: "r50", dimension: "kind", revealed: false, decided: 12, total: 50 })).toBe("Round r50: 12 of 50 by you");
    expect(roundLine({ round: "r1", dimension: null, revealed: true, decided: 3, total: 3 })).toBe("Round r1: 3 of 3 by you (revealed)");
  });

  it("says where the units still to code are", () => {
    expect(endOfQueue(queue(), "todo", "")).toBe("End of the queue: 3 units still to code above");
    // items: a/b, o/n:Dockerfile and o/n:docker/Dockerfile are shown and not coded.
    expect(endOfQueue(queue(), "todo", " o/n ")).toBe("End of the units matching “o/n”: 3 still to code in it, above");
    const none = [entry("a/b", false), entry("o/n", true, true)];
    expect(endOfQueue(queue({ items: none, coded: 1, total: 2 }), "flagged", "")).toBe("End of this list: none left to code in it; 1 unit to code elsewhere (“To code by me”)");
    expect(endOfQueue(queue({ items: none, coded: 1, total: 3 }), "todo", "o/n")).toBe("End of the units matching “o/n”: none left to code in it; 2 units to code elsewhere (“To code by me”)");
    expect(endOfQueue(queue({ coded: 5 }), "all", "")).toBe("Every unit is coded. Well done.");
  });
});

describe("splitLabel", () => {
  it("keeps the part that tells siblings apart", () => {
    const sib = ["docker/hvd/Dockerfile.hvd-cpu", "docker/hvd/Dockerfile.hvd-gpu", "docker/hvd/Dockerfile.hvd-gpu-nightly"];
    expect(splitLabel(sib[0] ?? "", sib)).toEqual({ head: "docker/hvd/Dockerfile.hvd-", tail: "cpu" });
    expect(splitLabel(sib[1] ?? "", sib)).toEqual({ head: "docker/hvd/Dockerfile.hvd-", tail: "gpu" });
    expect(splitLabel(sib[2] ?? "", sib)).toEqual({ head: "docker/hvd/Dockerfile.hvd-", tail: "gpu-nightly" });
    expect(splitLabel("docker/a/Dockerfile", ["docker/a/Dockerfile", "docker/b/Dockerfile"])).toEqual({ head: "docker/", tail: "a/Dockerfile" });
    expect(splitLabel("Dockerfile", ["Dockerfile", "Dockerfile.dev"])).toEqual({ head: "", tail: "Dockerfile" });
    expect(splitLabel("Dockerfile", ["Dockerfile"])).toEqual({ head: "", tail: "Dockerfile" });
  });
});

describe("queueRows", () => {
  it("names a project above a Dockerfile listed without it", () => {
    const rows = queueRows([entry("a/b", true), entry("a/b:Dockerfile", true), entry("c/d:Dockerfile", true), entry("c/d:gpu/Dockerfile", true)]);
    expect(rows.map((r) => (r.kind === "group" ? `[${r.project}]` : r.item.unit.name))).toEqual(["a/b", "a/b:Dockerfile", "[c/d]", "c/d:Dockerfile", "c/d:gpu/Dockerfile"]);
    expect(rows.filter((r) => r.kind === "group").map((r) => (r.kind === "group" ? r.at : -1))).toEqual([2]);
  });
});

describe("windowOf", () => {
  it("draws every line of a short list", () => {
    expect(windowOf(WINDOW_FROM, 5000, 600, 26)).toEqual({ start: 0, end: WINDOW_FROM });
  });
  it("draws the lines in view and some either side of a long one", () => {
    expect(windowOf(2000, 0, 520, 26, 40)).toEqual({ start: 0, end: 60 });
    expect(windowOf(2000, 26 * 1000, 520, 26, 40)).toEqual({ start: 960, end: 1060 });
    expect(windowOf(2000, 26 * 1995, 520, 26, 40)).toEqual({ start: 1955, end: 2000 });
    expect(windowOf(2000, -50, 520, 26, 0)).toEqual({ start: 0, end: 20 });
  });
});
