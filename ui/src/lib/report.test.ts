import { describe, expect, it } from "vitest";
import { fileName, labelSources, numericColumn, svgSource, unlabelledLines, writtenSummary } from "./report";
import type { Table as ReportTable } from "./generated/types";
import type { Codebook } from "./generated/types";

describe("report helpers", () => {
  it("makes an SVG into an image address with everything encoded", () => {
    const src = svgSource('<svg xmlns="http://www.w3.org/2000/svg"><text>a & "b" #</text></svg>');
    expect(src.startsWith("data:image/svg+xml;charset=utf-8,%3Csvg")).toBe(true);
    expect(src).not.toContain("<");
    expect(src).not.toContain("#");
    expect(decodeURIComponent(src.slice(src.indexOf(",") + 1))).toContain('a & "b" #');
  });

  it("sums what an export wrote, and says what blind rounds kept out", () => {
    expect(writtenSummary([{ path: "/o/a.csv", rows: 3 }, { path: "/o/b.csv", rows: 0 }], "/o")).toBe("2 tables (3 rows) written to /o");
    expect(writtenSummary([{ path: "/o/a.csv", rows: 1 }], "/o")).toBe("1 table (1 rows) written to /o");
    expect(writtenSummary([{ path: "/o/a.csv", rows: 1 }], "/o", 4)).toBe(
      "1 table (1 rows) written to /o; 4 decisions and evidence of other raters left out (round not revealed yet)",
    );
  });

  it("names files and finds numeric columns", () => {
    expect(fileName("/a/b/kinds.svg")).toBe("kinds.svg");
    expect(fileName("C:\\x\\kinds.png")).toBe("kinds.png");
    expect(fileName("plain")).toBe("plain");
    const t: ReportTable = {
      id: "kinds",
      title: "",
      columns: ["kind", "projects", "share_pct", "median_stars"],
      rows: [
        ["Model", "1", "8.3", ""],
        ["Toolkit", "3", "25.0", ""],
      ],
      note: "",
    };
    expect([0, 1, 2, 3].map((i) => numericColumn(t, i))).toEqual([false, true, true, false]);
  });

  it("says which units lack a label, per dimension", () => {
    const book: Codebook = {
      id: "b",
      name: "B",
      version: "1",
      description: "",
      source: "",
      dimensions: [{ id: "kind", name: "Kind", unit: "project", cardinality: "one", description: "", codes: [] }],
    };
    const u = [
      { dimension: "kind", units_total: 12, units: ["a/b", "c/d"] },
      { dimension: "purpose", units_total: 37, units: [] },
    ];
    expect(unlabelledLines(u, book, "consensus")).toEqual([
      { dimension: "kind", text: "Kind: 2 of 12 project units have no consensus yet", units: ["a/b", "c/d"] },
    ]);
    expect(unlabelledLines(u, null, "bob")[0]?.text).toBe("kind: 2 of 12 units have no label from bob");
  });

  it("offers the consensus before the raters", () => {
    expect(labelSources(["alice", "bob"]).map((s) => s.value)).toEqual(["consensus", "alice", "bob"]);
  });
});
