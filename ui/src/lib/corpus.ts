// The corpus screen's rules: a GitHub import's progress events and results, and the names a
// researcher pastes.

/** What the import did with one repository (`codebench::corpus::github::RepoImport`). */
export interface RepoImport {
  requested: string;
  project: string;
  outcome: "new" | "updated" | "unchanged" | "failed" | string;
  renamed_from: string | null;
  problems: string[];
  failure: string | null;
  image_refs: number;
}

/** One step of an import (the app's `GithubEvent`). */
export interface GithubEvent {
  step: "planned" | "started" | "waiting" | "done";
  repo: string;
  to_fetch: number;
  skipped: number;
  reason: string;
  wait_seconds: number;
  result: RepoImport | null;
}

/** The end of an import (the app's `GithubFinished`). */
export interface GithubFinished {
  summary: { requested: number; skipped: string[]; repos: RepoImport[]; requests: number; waited_ms: number; cancelled: boolean } | null;
  error: string | null;
}

/** A Docker image reference of a project (`codebench::corpus::github::ImageRefInfo`). */
export interface ImageRefInfo {
  project: string;
  reference: string;
  found_in: string;
  how: string;
  added_at: string;
}

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

/** The state after one event. */
export function applyImportEvent(s: ImportState, e: GithubEvent): ImportState {
  switch (e.step) {
    case "planned":
      return { ...idle(), total: e.to_fetch, skipped: e.skipped };
    case "started":
      return { ...s, current: e.repo, waiting: null };
    case "waiting":
      return { ...s, waiting: `waiting ${e.wait_seconds.toFixed(1)} s: ${e.reason} (${e.repo})` };
    case "done":
      return { ...s, done: s.done + 1, waiting: null, results: e.result === null ? s.results : [...s.results, e.result] };
  }
}

/** One line about a finished import. */
export function importSummary(f: GithubFinished): string {
  if (f.error !== null) return `The import stopped: ${f.error}`;
  const s = f.summary;
  if (s === null) return "The import ended";
  const n = (o: string) => s.repos.filter((r) => r.outcome === o).length;
  const parts = [`${n("new")} new`, `${n("updated")} updated`, `${n("unchanged")} unchanged`, `${n("failed")} failed`];
  if (s.skipped.length > 0) parts.push(`${s.skipped.length} skipped as already imported`);
  return `${s.cancelled ? "Cancelled" : "Imported"}: ${parts.join(", ")}; ${s.requests} requests`;
}
