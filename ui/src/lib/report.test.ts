import { describe, expect, it } from "vitest";
import { fileName, numericColumn, svgSource, writtenSummary, type ReportTable } from "./report";

describe("report helpers", () => {
  it("makes an SVG into an image address with everything encoded", () => {
    const src = svgSource('<svg xmlns="http://www.w3.org/2000/svg"><text>a & "b" #</text></svg>');
    expect(src.startsWith("data:image/svg+xml;charset=utf-8,%3Csvg")).toBe(true);
    expect(src).not.toContain("<");
    expect(src).not.toContain("#");
    expect(decodeURIComponent(src.slice(src.indexOf(",") + 1))).toContain('a & "b" #');
  });

  it("sums what an export wrote", () => {
    expect(writtenSummary([{ path: "/o/a.csv", rows: 3 }, { path: "/o/b.csv", rows: 0 }], "/o")).toBe("2 tables (3 rows) written to /o");
    expect(writtenSummary([{ path: "/o/a.csv", rows: 1 }], "/o")).toBe("1 table (1 rows) written to /o");
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
});
