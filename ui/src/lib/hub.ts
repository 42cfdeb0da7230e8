// The Docker Hub panel's rules: what a project's Hub evidence amounts to, counts and dates as
// shown, and one line about a finished fetch.

import type { Finished } from "./generated/commands";
import type { HubFetchSummary, HubImage, HubProgress, ProjectHub } from "./generated/types";

/** Where a project's Docker Hub evidence stands: no image reference at all, references not
 * fetched yet (some or all), or everything fetched. */
export function hubState(h: ProjectHub | null): "none" | "unfetched" | "fetched" {
  if (h === null || h.images.length === 0) return "none";
  return h.images.some((i) => !i.fetched) ? "unfetched" : "fetched";
}

/** A count as people read it: 950, 12.3k, 4.1M, 2.0B. */
export function shortCount(n: number | null): string {
  if (n === null) return "–";
  const units: [number, string][] = [
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toFixed(1)}${u}`;
  return String(n);
}

/** An ISO 8601 time as its day (`2024-03-01`), "–" when unknown. */
export function day(t: string | null): string {
  return t === null ? "–" : t.slice(0, 10);
}

/** The line under an image's name: pulls, stars, last update. */
export function imageFacts(i: HubImage): string {
  if (!i.fetched) return "not fetched yet";
  if (!i.found) return "not on Docker Hub (404)";
  return [`${shortCount(i.pull_count)} pulls`, `${shortCount(i.star_count)} stars`, `updated ${day(i.last_updated)}`].join(" · ");
}

/** How many tags are listed of how many Docker Hub has. */
export function tagsNote(i: HubImage): string {
  const total = i.tag_count ?? i.tags.length;
  if (i.tags_complete || total <= i.tags.length) return `${i.tags.length} tag${i.tags.length === 1 ? "" : "s"}`;
  return `${i.tags.length} of ${total} tags (the most recently updated)`;
}

/** Where a fetch stands, for its progress line. */
export interface FetchState {
  total: number;
  done: number;
  waiting: string | null;
}

/** The state after one progress event. */
export function applyHubEvent(s: FetchState, e: HubProgress): FetchState {
  switch (e.event) {
    case "planned":
      return { total: e.to_fetch, done: 0, waiting: null };
    case "waiting":
      return { ...s, waiting: `waiting ${e.wait_seconds.toFixed(0)} s: ${e.reason} (${e.name})` };
    case "done":
      return { ...s, done: s.done + 1, waiting: null };
  }
}

/** One line about a finished fetch. */
export function fetchSummary(f: Finished<HubFetchSummary>): { ok: boolean; text: string } {
  if (f.error !== null) return { ok: false, text: `The fetch stopped: ${f.error.message}` };
  const s = f.result;
  const parts = [`${s.fetched} fetched`];
  if (s.not_found.length > 0) parts.push(`${s.not_found.length} not on Docker Hub`);
  if (s.skipped.length > 0) parts.push(`${s.skipped.length} fetched before`);
  if (s.failed.length > 0) parts.push(`${s.failed.length} failed (${s.failed.map((x) => `${x.name}: ${x.message}`).join("; ")})`);
  return { ok: s.failed.length === 0 && !s.cancelled, text: `${s.cancelled ? "Fetch cancelled" : "Docker Hub"}: ${parts.join(", ")}` };
}
