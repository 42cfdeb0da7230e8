// The corpus screen's rules: a GitHub import's progress events and results, the names a
// researcher pastes, the project list's filters, and one-line summaries of the imports.

import type { Finished } from "./generated/commands";
import type {
  CodingsImport,
  Decision,
  GithubImportSummary,
  GithubProgress,
  ImageRefInfo,
  LabelsImport,
  LocalImport,
  ProjectSummary,
  RepoImport,
} from "./generated/types";

/** The repositories named in pasted text: one per line or separated by spaces or commas;
 * blank lines and `#` comments skipped; repeats (any case) once. */
export function pastedNames(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const body = line.replace(/#.*$/, "");
    for (const word of body.split(/[\s,]+/)) {
      const w = word.trim();
      if (w === "" || seen.has(w.toLowerCase())) continue;
      seen.add(w.toLowerCase());
      out.push(w);
    }
  }
  return out;
}

/** Where an import stands, for its progress bar. */
export interface ImportState {
  total: number;
  done: number;
  skipped: number;
  current: string;
  waiting: string | null;
  results: RepoImport[];
}

export const idle = (): ImportState => ({ total: 0, done: 0, skipped: 0, current: "", waiting: null, results: [] });

/** The state after one progress event. */
export function applyImportEvent(s: ImportState, e: GithubProgress): ImportState {
  switch (e.step) {
    case "planned":
      return { ...idle(), total: e.to_fetch, skipped: e.skipped };
    case "started":
      return { ...s, current: e.repo, waiting: null };
    case "waiting":
      return { ...s, waiting: `waiting ${e.wait_seconds.toFixed(1)} s: ${e.reason} (${e.repo})` };
    case "done":
      return { ...s, done: s.done + 1, waiting: null, results: [...s.results, e.result] };
  }
}

/** One line about a finished import. */
export function importSummary(f: Finished<GithubImportSummary>): string {
  if (f.error !== null) return `The import stopped: ${f.error.message}`;
  const s = f.result;
  const n = (o: string) => s.repos.filter((r) => r.outcome === o).length;
  const parts = [`${n("new")} new`, `${n("updated")} updated`, `${n("unchanged")} unchanged`, `${n("failed")} failed`];
  if (s.skipped.length > 0) parts.push(`${s.skipped.length} skipped as already imported`);
  return `${s.cancelled ? "Cancelled" : "Imported"}: ${parts.join(", ")}; ${s.requests} requests`;
}

/** The project list's filters. */
export interface ProjectFilter {
  /** Part of the name (any case); "" for all. */
  search: string;
  /** `local`, `github`, `sample`; "" for any. */
  source: string;
  /** The rater's own code in the kind dimension; "" any, "-" none yet. */
  kind: string;
  changed: boolean;
  problems: boolean;
  /** With or without image references; "" either. */
  images: "" | "with" | "without";
}

export const noFilter = (): ProjectFilter => ({ search: "", source: "", kind: "", changed: false, problems: false, images: "" });

/** How many image references each project has. */
export function refCounts(refs: readonly ImageRefInfo[]): Map<string, number> {
  const seen = new Map<string, Set<string>>();
  for (const r of refs) {
    const s = seen.get(r.project) ?? new Set<string>();
    s.add(r.reference);
    seen.set(r.project, s);
  }
  return new Map([...seen].map(([p, s]) => [p, s.size]));
}

/** The rater's own codes of one project dimension, by project (their decisions only). */
export function codesByProject(mine: readonly Decision[], dimension: string): Map<string, string[]> {
  return new Map(mine.filter((d) => d.dimension === dimension).map((d) => [d.unit, d.codes]));
}

/** The projects that pass the filters, in the core's order. */
export function filterProjects(
  projects: readonly ProjectSummary[],
  refs: ReadonlyMap<string, number>,
  kinds: ReadonlyMap<string, string[]>,
  f: ProjectFilter,
): ProjectSummary[] {
  const q = f.search.trim().toLowerCase();
  return projects.filter((p) => {
    if (q !== "" && !p.name.toLowerCase().includes(q)) return false;
    if (f.source !== "" && p.source !== f.source) return false;
    if (f.changed && !p.changed) return false;
    if (f.problems && p.problem === null) return false;
    const n = refs.get(p.name) ?? 0;
    if (f.images === "with" && n === 0) return false;
    if (f.images === "without" && n > 0) return false;
    const k = kinds.get(p.name) ?? [];
    if (f.kind === "-" && k.length > 0) return false;
    if (f.kind !== "" && f.kind !== "-" && !k.includes(f.kind)) return false;
    return true;
  });
}

/** One line about an import of local checkouts. */
export function localSummary(r: readonly LocalImport[]): string {
  const n = (o: string) => r.filter((x) => x.stored.outcome === o).length;
  const skipped = r.reduce((a, x) => a + x.stored.skipped.length, 0);
  const parts = [`${n("new")} new`, `${n("updated")} updated`, `${n("unchanged")} unchanged`];
  if (skipped > 0) parts.push(`${skipped} file${skipped === 1 ? "" : "s"} kept without text`);
  return `Imported ${r.length} folder${r.length === 1 ? "" : "s"}: ${parts.join(", ")} (${r.map((x) => x.stored.project).join(", ")})`;
}

/** One line about an import of codings. */
export function codingsSummary(r: CodingsImport): string {
  const parts = [`${r.created} new`, `${r.updated} changed`, `${r.unchanged} unchanged`];
  if (r.raters_added.length > 0) parts.push(`raters added: ${r.raters_added.join(", ")}`);
  return `Codings imported: ${parts.join(", ")}`;
}

/** One line about an import of labels. */
export function labelsSummary(r: LabelsImport, rater: string): string {
  const parts = [`${r.recorded} recorded`, `${r.unchanged} unchanged`];
  if (r.skipped_empty > 0) parts.push(`${r.skipped_empty} rows without a label skipped`);
  return `Labels imported for ${rater}: ${parts.join(", ")}`;
}
