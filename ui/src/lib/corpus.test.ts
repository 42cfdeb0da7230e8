import { describe, expect, it } from "vitest";
import {
  applyImportEvent,
  codesByProject,
  codingsSummary,
  filterProjects,
  idle,
  importSummary,
  labelsSummary,
  localSummary,
  noFilter,
  pastedNames,
  refCounts,
} from "./corpus";
import type { ProjectSummary, RepoImport } from "./generated/types";

const repo = (requested: string, outcome: string): RepoImport => ({
  requested,
  project: requested,
  outcome,
  renamed_from: null,
  problems: [],
  failure: outcome === "failed" ? "404" : null,
  image_refs: 0,
});

const project = (name: string, over: Partial<ProjectSummary> = {}): ProjectSummary => ({
  name,
  source: "github",
  commit: "abc",
  dockerfiles: 1,
  has_readme: true,
  changed: false,
  problem: null,
  ...over,
});

describe("GitHub import", () => {
  it("reads pasted names", () => {
    expect(pastedNames("acme/alpha\n\n# a comment\nhttps://github.com/Acme/Beta, acme/ALPHA  other/x # trailing\n")).toEqual([
      "acme/alpha",
      "https://github.com/Acme/Beta",
      "other/x",
    ]);
    expect(pastedNames("  \n#only\n")).toEqual([]);
  });

  it("follows an import's events", () => {
    let s = applyImportEvent(idle(), { step: "planned", to_fetch: 2, skipped: 1 });
    s = applyImportEvent(s, { step: "started", repo: "a/b" });
    expect(s.current).toBe("a/b");
    s = applyImportEvent(s, { step: "waiting", repo: "a/b", reason: "rate limit", wait_seconds: 2 });
    expect(s.waiting).toBe("waiting 2.0 s: rate limit (a/b)");
    s = applyImportEvent(s, { step: "done", result: repo("a/b", "new") });
    expect([s.total, s.done, s.skipped, s.waiting, s.results.length]).toEqual([2, 1, 1, null, 1]);
  });

  it("summarises the end", () => {
    const result = { requested: 3, skipped: ["c/d"], repos: [repo("a/b", "new"), repo("x/y", "failed")], requests: 9, waited_ms: 0, cancelled: false };
    expect(importSummary({ result, error: null })).toBe("Imported: 1 new, 0 updated, 0 unchanged, 1 failed, 1 skipped as already imported; 9 requests");
    expect(importSummary({ result: { ...result, cancelled: true }, error: null })).toMatch(/^Cancelled: /);
    expect(importSummary({ result: null, error: { kind: "invalid", message: "bad token" } })).toBe("The import stopped: bad token");
  });
});

describe("project list", () => {
  const projects = [
    project("a/one"),
    project("a/two", { changed: true }),
    project("local/three", { source: "local", problem: "README too large" }),
  ];
  const refs = refCounts([
    { project: "a/one", reference: "a/one:1", found_in: "README.md", how: "docker-pull", added_at: "" },
    { project: "a/one", reference: "a/one:1", found_in: "docker-compose.yml", how: "compose-image", added_at: "" },
    { project: "a/two", reference: "a/two:latest", found_in: "manual", how: "manual", added_at: "" },
  ]);
  const kinds = codesByProject(
    [
      { rater: "ana", unit: "a/one", dimension: "kind", codes: ["model"], memo: "", flagged: false, coded_at: "", suggested_by: [] },
      { rater: "ana", unit: "a/one:Dockerfile", dimension: "purpose", codes: ["hosting"], memo: "", flagged: false, coded_at: "", suggested_by: [] },
    ],
    "kind",
  );
  const names = (f: Partial<ReturnType<typeof noFilter>>) => filterProjects(projects, refs, kinds, { ...noFilter(), ...f }).map((p) => p.name);

  it("counts distinct image references per project", () => {
    expect(refs.get("a/one")).toBe(1);
    expect(refs.get("a/two")).toBe(1);
    expect(refs.get("local/three")).toBeUndefined();
  });

  it("filters by name, source, changes, problems, images and the rater's kind", () => {
    expect(names({})).toEqual(["a/one", "a/two", "local/three"]);
    expect(names({ search: " TWO " })).toEqual(["a/two"]);
    expect(names({ source: "local" })).toEqual(["local/three"]);
    expect(names({ changed: true })).toEqual(["a/two"]);
    expect(names({ problems: true })).toEqual(["local/three"]);
    expect(names({ images: "with" })).toEqual(["a/one", "a/two"]);
    expect(names({ images: "without" })).toEqual(["local/three"]);
    expect(names({ kind: "model" })).toEqual(["a/one"]);
    expect(names({ kind: "-" })).toEqual(["a/two", "local/three"]);
  });
});

describe("import summaries", () => {
  it("says what each import did", () => {
    const stored = (project: string, outcome: string, skipped: string[] = []) => ({
      dir: `/src/${project}`,
      stored: { project, outcome, commit: null, dockerfiles: 1, readme: true, skipped },
    });
    expect(localSummary([stored("local/a", "new"), stored("local/b", "unchanged", ["README.md: too large"])])).toBe(
      "Imported 2 folders: 1 new, 0 updated, 1 unchanged, 1 file kept without text (local/a, local/b)",
    );
    expect(codingsSummary({ created: 4, updated: 1, unchanged: 0, raters_added: ["cy"], evidence_added: 0 })).toBe(
      "Codings imported: 4 new, 1 changed, 0 unchanged, raters added: cy",
    );
    expect(labelsSummary({ recorded: 10, unchanged: 2, skipped_empty: 1 }, "ease2022")).toBe(
      "Labels imported for ease2022: 10 recorded, 2 unchanged, 1 rows without a label skipped",
    );
  });
});
