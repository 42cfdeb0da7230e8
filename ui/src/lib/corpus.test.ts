import { describe, expect, it } from "vitest";
import { applyImportEvent, idle, importSummary, pastedNames, type GithubEvent, type RepoImport } from "./corpus";

const ev = (e: Partial<GithubEvent>): GithubEvent => ({
  step: "started",
  repo: "",
  to_fetch: 0,
  skipped: 0,
  reason: "",
  wait_seconds: 0,
  result: null,
  ...e,
});
const repo = (requested: string, outcome: string): RepoImport => ({
  requested,
  project: requested,
  outcome,
  renamed_from: null,
  problems: [],
  failure: outcome === "failed" ? "404" : null,
  image_refs: 0,
});

describe("corpus rules", () => {
  it("reads pasted names", () => {
    expect(pastedNames("acme/alpha\n\n# a comment\nhttps://github.com/Acme/Beta, acme/ALPHA  other/x # trailing\n")).toEqual([
      "acme/alpha",
      "https://github.com/Acme/Beta",
      "other/x",
    ]);
    expect(pastedNames("  \n#only\n")).toEqual([]);
  });

  it("follows an import's events", () => {
    let s = applyImportEvent(idle(), ev({ step: "planned", to_fetch: 2, skipped: 1 }));
    s = applyImportEvent(s, ev({ step: "started", repo: "a/b" }));
    expect(s.current).toBe("a/b");
    s = applyImportEvent(s, ev({ step: "waiting", repo: "a/b", reason: "rate limit", wait_seconds: 2 }));
    expect(s.waiting).toBe("waiting 2.0 s: rate limit (a/b)");
    s = applyImportEvent(s, ev({ step: "done", repo: "a/b", result: repo("a/b", "new") }));
    expect([s.total, s.done, s.skipped, s.waiting, s.results.length]).toEqual([2, 1, 1, null, 1]);
  });

  it("summarises the end", () => {
    const summary = { requested: 3, skipped: ["c/d"], repos: [repo("a/b", "new"), repo("x/y", "failed")], requests: 9, waited_ms: 0, cancelled: false };
    expect(importSummary({ summary, error: null })).toBe("Imported: 1 new, 0 updated, 0 unchanged, 1 failed, 1 skipped as already imported; 9 requests");
    expect(importSummary({ summary: { ...summary, cancelled: true }, error: null })).toMatch(/^Cancelled: /);
    expect(importSummary({ summary: null, error: "bad token" })).toBe("The import stopped: bad token");
  });
});
