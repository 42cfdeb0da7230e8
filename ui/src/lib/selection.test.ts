import { describe, expect, it } from "vitest";
import type { DriftReport, Selection, Step } from "./generated/types";
import {
  applyProgress,
  criterionOf,
  criterionText,
  driftLine,
  excludedView,
  finishedLine,
  funnelRows,
  idleRun,
  methodsParts,
  nextSteps,
  parameterPairs,
  progressText,
  reasonCounts,
  searchApi,
  searchQuery,
  stepLabel,
} from "./selection";

const step = (n: number, over: Partial<Step>): Step => ({
  step: n,
  kind: "filter",
  criterion: null,
  label: "",
  parameters: {},
  api_url: null,
  hub_url: null,
  started_at: "2026-12-02T10:00:00Z",
  finished_at: "2026-12-02T10:01:00Z",
  status: "done",
  in: null,
  out: null,
  excluded: [],
  requests: 0,
  error: null,
  ...over,
});

const search = step(1, { kind: "search", label: "search topic:ml", parameters: { query: "topic:ml fork:true", created_from: "2008-01-01T00:00:00Z" }, api_url: "http://127.0.0.1:9/", in: 300, out: 300 });
const sel = (steps: Step[], over: Partial<Selection> = {}): Selection => ({ steps, population: steps.at(-1)?.out ?? 0, accepted: false, drift: null, ...over });

describe("criteria", () => {
  it("reads numbers, dates and languages, and says what is wrong", () => {
    expect(criterionOf("min_commits", " 100 ")).toEqual({ ok: { criterion: "min_commits", min: 100 } });
    expect(criterionOf("min_stars", "-1")).toEqual({ problem: "give a whole number (0 or more)" });
    expect(criterionOf("min_releases", "1e3")).toHaveProperty("problem");
    expect(criterionOf("pushed_after", "2024-02-29")).toEqual({ ok: { criterion: "pushed_after", date: "2024-02-29" } });
    expect(criterionOf("pushed_after", "2023-02-29")).toHaveProperty("problem");
    expect(criterionOf("pushed_after", "2024-13-01")).toHaveProperty("problem");
    expect(criterionOf("pushed_after", "yesterday")).toHaveProperty("problem");
    expect(criterionOf("language", "  ")).toHaveProperty("problem");
    expect(criterionOf("language", "Jupyter Notebook")).toEqual({ ok: { criterion: "language", language: "Jupyter Notebook" } });
    expect(criterionOf("has_dockerfile", "ignored")).toEqual({ ok: { criterion: "has_dockerfile" } });
  });

  it("adds the start of the created range to the query", () => {
    expect(searchQuery(" topic:ml fork:true ", "")).toBe("topic:ml fork:true");
    expect(searchQuery("topic:ml", " 2014-01-01 ")).toBe("topic:ml created:>=2014-01-01");
  });

  it("says each in words", () => {
    expect(criterionText({ criterion: "min_commits", min: 1 })).toBe("at least 1 commit");
    expect(criterionText({ criterion: "min_releases", min: 2 })).toBe("at least 2 releases");
    expect(criterionText({ criterion: "has_hub_image" })).toBe("has a Docker Hub image");
  });
});

describe("the funnel", () => {
  it("shows counts and the share kept, none for the search", () => {
    const f = step(2, { label: "at least 100 commits", in: 300, out: 96, excluded: [{ repository: "a/b", repo_id: 1, reason: "12 commits" }] });
    const rows = funnelRows(sel([search, f]));
    expect(rows.map((r) => [r.inText, r.outText, r.kept, r.excluded])).toEqual([
      ["300", "300", "", 0],
      ["300", "96", "32.0%", 1],
    ]);
    expect(funnelRows(sel([step(1, { kind: "search", in: 3000, out: null, status: "unfinished" })]))[0]).toMatchObject({ inText: "3,000", outText: "", kept: "" });
  });

  it("lists parameters in their recorded order", () => {
    expect(parameterPairs(search)).toEqual([
      ["query", "topic:ml fork:true"],
      ["created from", "2008-01-01T00:00:00Z"],
    ]);
    expect(parameterPairs(step(3, { parameters: { size: 50, seed: 7, stratify: null, slices: [1, 2] } }))).toEqual([
      ["size", "50"],
      ["seed", "7"],
      ["stratify", "none"],
      ["slices", "[1,2]"],
    ]);
  });

  it("allows the steps the core allows", () => {
    expect(nextSteps(null)).toMatchObject({ search: true, filter: false, sample: false, accept: false, rerun: false });
    expect(nextSteps(sel([]))).toMatchObject({ search: true, restart: false, filter: false });
    expect(nextSteps(sel([search]))).toMatchObject({ search: false, restart: true, filter: true, sample: true, accept: true, rerun: true });
    const stuck = step(2, { status: "unfinished", in: 300, out: 10 });
    expect(nextSteps(sel([search, stuck]))).toMatchObject({ filter: true, sample: false, accept: false });
    const unfinishedSearch = step(1, { kind: "search", status: "unfinished" });
    expect(nextSteps(sel([unfinishedSearch]))).toMatchObject({ search: true, filter: false, rerun: false });
    const accepted = sel([search, step(2, { kind: "accept", in: 300, out: 300 })], { accepted: true });
    expect(nextSteps(accepted)).toMatchObject({ search: false, restart: false, filter: false, sample: false, accept: false, rerun: true });
    expect(nextSteps(sel([search], { population: 0 }))).toMatchObject({ sample: false, accept: false, filter: true });
  });

  it("defaults later steps to the search's API", () => {
    expect(searchApi(sel([search]))).toBe("http://127.0.0.1:9/");
    expect(searchApi(null)).toBe("");
  });

  it("filters and bounds the excluded list, and counts reasons", () => {
    const list = Array.from({ length: 250 }, (_, i) => ({ repository: `o/r${i}`, repo_id: i, reason: i % 5 === 0 ? "archived" : "a fork" }));
    expect(excludedView(list, "", 200)).toMatchObject({ matching: 250 });
    expect(excludedView(list, "", 200).shown).toHaveLength(200);
    expect(excludedView(list, "ARCHIVED", 200).matching).toBe(50);
    expect(excludedView(list, "o/r249", 200).shown.map((e) => e.repo_id)).toEqual([249]);
    expect(reasonCounts(list)).toEqual([
      ["a fork", 200],
      ["archived", 50],
    ]);
    const counts = [47, 99, 1].map((n, i) => ({ repository: `o/c${i}`, repo_id: i, reason: `${n} commits, fewer than 100` }));
    expect(reasonCounts(counts)).toEqual([["N commits, fewer than 100", 3]]);
    expect(stepLabel(step(1, { kind: "search", label: "search topic:ml" }))).toBe("topic:ml");
    expect(stepLabel(step(2, { label: "at least 100 commits" }))).toBe("at least 100 commits");
  });

  it("splits the methods paragraph at backticks", () => {
    expect(methodsParts("We searched `topic:ml` on GitHub.")).toEqual([
      { code: false, text: "We searched " },
      { code: true, text: "topic:ml" },
      { code: false, text: " on GitHub." },
    ]);
  });
});

describe("progress", () => {
  it("follows a filter's checks", () => {
    let s = applyProgress(idleRun(), { event: "step", step: 2, label: "at least 100 commits", to_do: 3, done_before: 1 });
    s = applyProgress(s, { event: "checked", step: 2, repository: "a/b", kept: true, reason: null });
    s = applyProgress(s, { event: "waiting", repo: "a/c", reason: "rate limit", wait_seconds: 4.2 });
    expect(s.waiting).toBe("waiting 4 s: rate limit (a/c)");
    s = applyProgress(s, { event: "checked", step: 2, repository: "a/c", kept: false, reason: "12 commits" });
    expect(s.waiting).toBeNull();
    expect(progressText(s)).toBe("2 / 3 checked (1 kept, 1 left out, 1 done before)");
  });

  it("follows a search's pages", () => {
    let s = applyProgress(idleRun(), { event: "step", step: 1, label: "search", to_do: 0, done_before: 0 });
    s = applyProgress(s, { event: "planned", slices: 4, total: 3000 });
    s = applyProgress(s, { event: "page", slice: 0, page: 2, found: 200 });
    expect(progressText(s)).toBe("200 of 3,000 found in 4 slices");
    expect(s.current).toBe("slice 1, page 2");
  });

  it("sums up what finished", () => {
    expect(finishedLine("search", { result: null, error: { kind: "invalid", message: "bad query", what: null } as never })).toEqual({ ok: false, text: "The search stopped: bad query" });
    expect(finishedLine("search", { result: { ...search, label: "search" }, error: null })).toEqual({ ok: true, text: "Step 1, search: 300 repositories found" });
    const cut = step(2, { label: "at least 100 commits", in: 300, out: 40, status: "unfinished", error: "rate limited" });
    expect(finishedLine("filter", { result: [cut], error: null })).toEqual({
      ok: false,
      text: "Step 2, at least 100 commits: 300 in, 40 out — unfinished: rate limited (run it again to go on)",
    });
  });

  it("says what drifted", () => {
    const d: DriftReport = {
      ran_at: "",
      query: "q",
      created_until: "2027-01-05T00:00:00Z",
      found_before: 300,
      found_now: 302,
      vanished: [{ repository: "a/b", repo_id: 1, reason: null }],
      new: [],
      changed: [],
      steps: [],
      requests: 4,
      complete: true,
      note: null,
    };
    expect(driftLine(d)).toBe("Re-run of 2027-01-05: 300 found then, 302 now, 1 vanished, 0 new, 0 changed");
  });
});
