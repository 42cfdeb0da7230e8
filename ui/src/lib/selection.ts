// The selection screen's rules: the recorded funnel as shown (steps, parameters, counts,
// excluded repositories), the criteria a researcher adds to a filter, a running step's
// progress events, and one-line summaries of what a step did.

import type { Finished } from "./generated/commands";
import type { Accepted, Criterion, DriftReport, Excluded, Selection, SelectProgress, Step } from "./generated/types";

/** The fields a sample can be stratified by (the core's list; it refuses any other). */
export const STRATA: readonly { value: string; label: string }[] = [
  { value: "language", label: "language" },
  { value: "created_year", label: "year created" },
  { value: "pushed_year", label: "year last pushed" },
  { value: "stars", label: "stars (bands)" },
  { value: "owner", label: "owner" },
  { value: "archived", label: "archived or not" },
  { value: "fork", label: "fork or not" },
];

/** The criteria of a filter, as the form offers them. */
export type CriterionName = Criterion["criterion"];

/** Each criterion: its words, and what parameter it takes. */
export const CRITERIA: readonly { name: CriterionName; label: string; takes: "number" | "date" | "text" | null }[] = [
  { name: "min_commits", label: "at least N commits", takes: "number" },
  { name: "min_releases", label: "at least N releases", takes: "number" },
  { name: "not_archived", label: "not archived", takes: null },
  { name: "not_fork", label: "not a fork", takes: null },
  { name: "min_stars", label: "at least N stars", takes: "number" },
  { name: "pushed_after", label: "pushed after a date", takes: "date" },
  { name: "language", label: "language", takes: "text" },
  { name: "has_dockerfile", label: "has a Dockerfile", takes: null },
  { name: "has_hub_image", label: "has a Docker Hub image", takes: null },
];

/** Whether `YYYY-MM-DD` names a day of the calendar (not 2024-02-30). */
function realDate(p: string): boolean {
  const t = Date.parse(`${p}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === p;
}

/** A criterion from the form's choice and its typed parameter, or why it cannot be one. */
export function criterionOf(name: CriterionName, param: string): { ok: Criterion } | { problem: string } {
  const p = param.trim();
  switch (name) {
    case "min_commits":
    case "min_releases":
    case "min_stars": {
      if (!/^\d+$/.test(p)) return { problem: "give a whole number (0 or more)" };
      const min = Number(p);
      if (!Number.isSafeInteger(min)) return { problem: "the number is too large" };
      return { ok: { criterion: name, min } };
    }
    case "pushed_after":
      if (!/^\d{4}-\d{2}-\d{2}$/.test(p) || !realDate(p)) return { problem: "give a date as YYYY-MM-DD" };
      return { ok: { criterion: name, date: p } };
    case "language":
      if (p === "") return { problem: "name a language as GitHub does (Python, Jupyter Notebook…)" };
      return { ok: { criterion: name, language: p } };
    case "not_archived":
    case "not_fork":
    case "has_dockerfile":
    case "has_hub_image":
      return { ok: { criterion: name } };
  }
}

/** A criterion in words, as the chain being built shows it. */
export function criterionText(c: Criterion): string {
  switch (c.criterion) {
    case "min_commits":
      return `at least ${c.min} commit${c.min === 1 ? "" : "s"}`;
    case "min_releases":
      return `at least ${c.min} release${c.min === 1 ? "" : "s"}`;
    case "min_stars":
      return `at least ${c.min} star${c.min === 1 ? "" : "s"}`;
    case "pushed_after":
      return `pushed after ${c.date}`;
    case "language":
      return `language ${c.language}`;
    case "not_archived":
      return "not archived";
    case "not_fork":
      return "not a fork";
    case "has_dockerfile":
      return "has a Dockerfile";
    case "has_hub_image":
      return "has a Docker Hub image";
  }
}

/** The query a search sends: the typed query, and a `created:>=DATE` qualifier when a start
 * of the created range is given (the core splits the range from there to "created until"). */
export function searchQuery(query: string, createdFrom: string): string {
  const q = query.trim();
  const from = createdFrom.trim();
  return from === "" ? q : `${q} created:>=${from}`;
}

/** A recorded parameter's value as text (numbers and words as they are, the rest as JSON). */
function valueText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === null || v === undefined) return "none";
  return JSON.stringify(v);
}

/** A step's recorded parameters as `name: value` pairs, in their recorded order. */
export function parameterPairs(step: Step): [string, string][] {
  return Object.entries(step.parameters).map(([k, v]) => [k.replace(/_/g, " "), valueText(v)]);
}

/** One row of the funnel as the table shows it. */
export interface FunnelRow {
  step: Step;
  /** Repositories in, out and left out ("" while unknown). */
  inText: string;
  outText: string;
  excluded: number;
  /** Share of the step's input it kept, e.g. "31.2%" ("" while unknown). */
  kept: string;
}

/** The funnel's rows: each step with its counts. */
export function funnelRows(s: Selection): FunnelRow[] {
  return s.steps.map((step) => ({
    step,
    inText: step.in === null ? "" : step.in.toLocaleString("en-US"),
    outText: step.out === null ? "" : step.out.toLocaleString("en-US"),
    excluded: step.excluded.length,
    kept: step.in === null || step.out === null || step.in === 0 || step.kind === "search" ? "" : `${((100 * step.out) / step.in).toFixed(1)}%`,
  }));
}

/** What the selection allows next: a search first; filters and samples while repositories are
 * in and nothing is accepted; accept once; rerun after a search. */
export function nextSteps(s: Selection | null): { search: boolean; restart: boolean; filter: boolean; sample: boolean; accept: boolean; rerun: boolean } {
  const searched = s !== null && s.steps.some((x) => x.kind === "search" && x.status === "done");
  const accepted = s?.accepted ?? false;
  const unfinished = s?.steps.find((x) => x.status !== "done") ?? null;
  const open = searched && !accepted && unfinished === null;
  return {
    search: s === null || s.steps.length === 0 || (unfinished?.kind === "search" && !accepted),
    restart: s !== null && s.steps.length > 0 && !accepted,
    filter: open || (unfinished?.kind === "filter" && !accepted),
    sample: open && s.population > 0,
    accept: (open && s.population > 0) || (unfinished?.kind === "accept" && !accepted),
    rerun: searched,
  };
}

/** The API a later step should ask by default: the one the search asked. */
export function searchApi(s: Selection | null): string {
  return s?.steps.find((x) => x.kind === "search")?.api_url ?? "";
}

/** The excluded repositories matching a filter (part of the name or reason, any case), at most
 * `limit` of them, and how many match in all. */
export function excludedView(list: readonly Excluded[], filter: string, limit: number): { shown: Excluded[]; matching: number } {
  const f = filter.trim().toLowerCase();
  const matching = f === "" ? list : list.filter((e) => e.repository.toLowerCase().includes(f) || e.reason.toLowerCase().includes(f));
  return { shown: matching.slice(0, limit), matching: matching.length };
}

/** A step's label without the kind it repeats ("search topic:x" under kind "search": "topic:x"). */
export function stepLabel(s: Step): string {
  const l = s.label.trim();
  return l.toLowerCase().startsWith(`${s.kind} `) ? l.slice(s.kind.length + 1) : l;
}

/** The excluded repositories' reasons, most frequent first, for a step's summary; a reason
 * that starts with the repository's own count ("47 commits, fewer than 100") is counted as
 * one kind ("N commits, fewer than 100"). */
export function reasonCounts(list: readonly Excluded[]): [string, number][] {
  const m = new Map<string, number>();
  for (const e of list) {
    const r = e.reason.replace(/^\d[\d,]*(\.\d+)?(?= )/, "N");
    m.set(r, (m.get(r) ?? 0) + 1);
  }
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The methods paragraph as text and code parts (the core writes the query in backticks). */
export function methodsParts(text: string): { code: boolean; text: string }[] {
  return text
    .split("`")
    .map((t, i) => ({ code: i % 2 === 1, text: t }))
    .filter((p) => p.text !== "");
}

/** Where a running step stands, for its progress line. */
export interface RunState {
  /** The step being run (its label), "" before the first event. */
  label: string;
  /** Repositories (or slices) to do, and done so far in this run. */
  toDo: number;
  done: number;
  doneBefore: number;
  kept: number;
  left: number;
  /** A search: slices planned, GitHub's total, repositories found. */
  slices: number;
  total: number;
  found: number;
  /** The last repository checked or imported. */
  current: string;
  /** A wait for a rate limit, in words. */
  waiting: string | null;
}

export const idleRun = (): RunState => ({ label: "", toDo: 0, done: 0, doneBefore: 0, kept: 0, left: 0, slices: 0, total: 0, found: 0, current: "", waiting: null });

/** The state after one progress event. */
export function applyProgress(s: RunState, e: SelectProgress): RunState {
  switch (e.event) {
    case "step":
      return { ...idleRun(), label: e.label, toDo: e.to_do, doneBefore: e.done_before };
    case "counted":
      return { ...s, total: Math.max(s.total, e.total), waiting: null };
    case "planned":
      return { ...s, slices: e.slices, total: e.total, waiting: null };
    case "page":
      return { ...s, found: e.found, current: `slice ${e.slice + 1}, page ${e.page}`, waiting: null };
    case "checked":
      return { ...s, done: s.done + 1, kept: s.kept + (e.kept ? 1 : 0), left: s.left + (e.kept ? 0 : 1), current: e.repository, waiting: null };
    case "waiting":
      return { ...s, waiting: `waiting ${e.wait_seconds.toFixed(0)} s: ${e.reason} (${e.repo})` };
    case "imported":
      return { ...s, done: s.done + 1, current: e.result.project, waiting: null };
  }
}

/** The progress line of a running step: "3 / 120 checked (2 kept)". */
export function progressText(s: RunState): string {
  if (s.label === "" && s.total === 0) return "starting…";
  if (s.slices > 0 || s.found > 0) return `${s.found.toLocaleString("en-US")} of ${s.total.toLocaleString("en-US")} found${s.slices > 0 ? ` in ${s.slices} slice${s.slices === 1 ? "" : "s"}` : ""}`;
  const before = s.doneBefore > 0 ? `, ${s.doneBefore} done before` : "";
  if (s.kept + s.left > 0) return `${s.done} / ${s.toDo} checked (${s.kept} kept, ${s.left} left out${before})`;
  return `${s.done} / ${s.toDo}${before}`;
}

/** A finished step: is it done, and its line ("Search: 300 repositories found"). */
function stepLine(st: Step): string {
  const counts = st.kind === "search" ? `${st.out ?? 0} repositories found` : `${st.in ?? 0} in, ${st.out ?? 0} out`;
  const state = st.status === "done" ? "" : ` — ${st.status}${st.error === null ? "" : `: ${st.error}`} (run it again to go on)`;
  return `Step ${st.step}, ${st.label}: ${counts}${state}`;
}

/** One line about a finished search, filter, accept or rerun. */
export function finishedLine(kind: "search" | "filter" | "accept" | "rerun", f: Finished<Step> | Finished<Step[]> | Finished<Accepted> | Finished<DriftReport>): { ok: boolean; text: string } {
  if (f.error !== null) return { ok: false, text: `The ${kind} stopped: ${f.error.message}` };
  const r = f.result as Step | Step[] | Accepted | DriftReport;
  if (kind === "search") {
    const st = r as Step;
    return { ok: st.status === "done", text: stepLine(st) };
  }
  if (kind === "filter") {
    const steps = r as Step[];
    return { ok: steps.every((x) => x.status === "done"), text: steps.length === 0 ? "No criterion was applied" : steps.map(stepLine).join("; ") };
  }
  if (kind === "accept") {
    const a = r as Accepted;
    const n = (o: string) => a.import.repos.filter((x) => x.outcome === o).length;
    const failed = n("failed");
    return {
      ok: a.step.status === "done",
      text: `${stepLine(a.step)}; imported ${n("new")} new, ${n("updated")} updated, ${n("unchanged")} unchanged${failed > 0 ? `, ${failed} failed` : ""}`,
    };
  }
  return { ok: (r as DriftReport).complete, text: driftLine(r as DriftReport) };
}

/** One line about a re-run: what the search finds today against what it found. */
export function driftLine(d: DriftReport): string {
  const parts = [`${d.found_before} found then, ${d.found_now} now`, `${d.vanished.length} vanished`, `${d.new.length} new`, `${d.changed.length} changed`];
  return `Re-run of ${d.created_until.slice(0, 10)}: ${parts.join(", ")}${d.complete ? "" : ` (incomplete: ${d.note ?? "some could not be checked"})`}`;
}
