import { describe, expect, it } from "vitest";
import { focusReconcile, takeReconcileFocus } from "./focus";

describe("reconcile focus", () => {
  it("is taken once", () => {
    expect(takeReconcileFocus()).toBeNull();
    focusReconcile({ dimension: "kind", unit: "o/n" });
    expect(takeReconcileFocus()).toEqual({ dimension: "kind", unit: "o/n" });
    expect(takeReconcileFocus()).toBeNull();
  });
});
