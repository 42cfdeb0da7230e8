import { describe, expect, it } from "vitest";
import { isApiError, kindOf, message } from "./errors";

describe("errors", () => {
  it("reads the core's ApiError", () => {
    const e = { kind: "incomplete", message: "bob has not decided 3 units" };
    expect(isApiError(e)).toBe(true);
    expect(message(e)).toBe("bob has not decided 3 units");
    expect(kindOf(e)).toBe("incomplete");
    expect(kindOf({ kind: "not_found", message: "no rater 'x'", what: "rater" })).toBe("not_found");
  });

  it("treats anything else as a plain failure", () => {
    expect(isApiError("boom")).toBe(false);
    expect(message("boom")).toBe("boom");
    expect(message(new Error("bad"))).toBe("bad");
    expect(message(null)).toBe("null");
    expect(kindOf({ kind: "weird", message: "x" })).toBeNull();
    expect(kindOf({ message: "x" })).toBeNull();
  });
});
