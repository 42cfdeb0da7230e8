import { describe, expect, it } from "vitest";
import { forgetStudy, MAX_RECENT, RECENT_KEY, recentStudies, rememberStudy } from "./recent";

function store() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}

describe("recent studies", () => {
  it("keeps the newest first, once, at most ten", () => {
    const s = store();
    expect(recentStudies(s)).toEqual([]);
    rememberStudy(s, "/a");
    rememberStudy(s, "/b");
    expect(rememberStudy(s, "/a")).toEqual(["/a", "/b"]);
    for (let i = 0; i < 20; i++) rememberStudy(s, `/s${i}`);
    expect(recentStudies(s)).toHaveLength(MAX_RECENT);
    expect(recentStudies(s)[0]).toBe("/s19");
    expect(forgetStudy(s, "/s19")[0]).toBe("/s18");
  });

  it("reads a damaged list as empty", () => {
    const s = store();
    s.setItem(RECENT_KEY, "{not json");
    expect(recentStudies(s)).toEqual([]);
    s.setItem(RECENT_KEY, JSON.stringify(["/ok", 3, null]));
    expect(recentStudies(s)).toEqual(["/ok"]);
  });
});
