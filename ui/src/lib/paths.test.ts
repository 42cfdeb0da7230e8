import { describe, expect, it } from "vitest";
import { addPaths, pathLines } from "./paths";

describe("paths", () => {
  it("reads one path per line", () => {
    expect(pathLines("  /a/b \n\n/c d/e\r\n")).toEqual(["/a/b", "/c d/e"]);
    expect(pathLines("")).toEqual([]);
  });

  it("adds picked paths once, after those typed", () => {
    expect(addPaths("/a\n", ["/b", "/a", "/c"])).toBe("/a\n/b\n/c");
    expect(addPaths("", ["/x"])).toBe("/x");
  });
});
