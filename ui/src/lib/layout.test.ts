import { describe, expect, it } from "vitest";
import { defaultLayout, loadLayout, saveLayout } from "./layout";

const store = () => {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
};

describe("reader layout", () => {
  it("defaults to the README on projects and both on Dockerfiles", () => {
    expect(defaultLayout("project")).toBe("readme");
    expect(defaultLayout("dockerfile")).toBe("split");
    expect(loadLayout(store(), "project")).toBe("readme");
  });

  it("is remembered per kind, and an unknown value is the default", () => {
    const s = store();
    saveLayout(s, "dockerfile", "dockerfile");
    expect(loadLayout(s, "dockerfile")).toBe("dockerfile");
    expect(loadLayout(s, "project")).toBe("readme");
    s.setItem("codebench.layout.project", "sideways");
    expect(loadLayout(s, "project")).toBe("readme");
  });
});
