// The coding queue as the core gives it (codingQueue: every unit in reading order, the rater's
// state on each, which ones the filter and search show, counts and round progress), and the
// presentation rules the panel adds: which entries to list, stepping, and the lines it shows.

import type { CodingQueue, FilterCount, QueueEntry, QueueFilter, RoundProgress } from "./generated/types";

/**
 * The entries the queue panel lists: those the core shows, and those in `keep` (the open unit,
 * and the units coded in this view) even when they no longer match, e.g. right after they were
 * coded under "To code by me", so the rater sees where they are and can go back with `k`.
 */
export function listed(items: readonly QueueEntry[], keep: ReadonlySet<string> | string | null = null): QueueEntry[] {
  const kept = typeof keep === "string" ? new Set([keep]) : (keep ?? new Set<string>());
  return items.filter((i) => i.shown || kept.has(i.unit.name));
}

/**
 * The unit `delta` steps (+1 next, -1 previous) from `current` among the shown entries.
 * `current` need not be shown itself (it may just have left the filter): stepping starts from
 * its place in the whole queue. With no current unit (or one not in the queue), +1 gives the
 * first shown unit and -1 the last. Units in `also` count as shown (those coded in this view,
 * so `k` goes back to the unit just coded). `null` when there is none in that direction.
 */
export function step(items: readonly QueueEntry[], current: string | null, delta: 1 | -1, also: ReadonlySet<string> = new Set()): string | null {
  const at = current === null ? -1 : items.findIndex((i) => i.unit.name === current);
  let i = at === -1 ? (delta === 1 ? -1 : items.length) : at;
  for (i += delta; i >= 0 && i < items.length; i += delta) {
    const item = items[i];
    if (item !== undefined && (item.shown || also.has(item.unit.name))) return item.unit.name;
  }
  return null;
}

/** The filter buttons: the core's counts, plus the active filter when the core left it out
 * (an optional filter that just emptied). */
export function filterButtons(q: CodingQueue | null, active: QueueFilter): FilterCount[] {
  const list = q?.filters ?? [];
  if (list.some((f) => f.filter === active)) return list;
  return [...list, { filter: active, label: FALLBACK_LABELS[active], count: 0 }];
}

const FALLBACK_LABELS: Record<QueueFilter, string> = {
  todo: "To code by me",
  done: "Coded by me",
  flagged: "Flagged",
  changed: "Changed upstream",
  disagree: "Disagreements",
  all: "All",
};

/** A round's progress as the coding screen shows it: "Round r50: 12 of 50 by you". */
export function roundLine(p: RoundProgress): string {
  const state = p.revealed ? " (revealed)" : "";
  return `Round ${p.round}: ${p.decided} of ${p.total} by you${state}`;
}

/** What to say when stepping finds no next unit in the active filter: the end, and how many
 * units are still to code and where. */
export function endOfQueue(q: CodingQueue, filter: QueueFilter, search: string): string {
  if (q.coded === q.total) return "Every unit is coded. Well done.";
  const todo = q.total - q.coded;
  const units = `${todo} unit${todo === 1 ? "" : "s"}`;
  if (filter === "todo" && search.trim() === "") return `End of the queue: ${units} still to code above`;
  // In a filtered or searched view: what is left in it (above), and what is left elsewhere.
  const here = q.items.filter((i) => i.shown && !i.coded).length;
  const elsewhere = todo - here;
  const view = search.trim() === "" ? "this list" : `the units matching “${search.trim()}”`;
  const left = here === 0 ? "none left to code in it" : `${here} still to code in it, above`;
  const rest = elsewhere === 0 ? "" : `; ${elsewhere} unit${elsewhere === 1 ? "" : "s"} to code elsewhere (“To code by me”)`;
  return `End of ${view}: ${left}${rest}`;
}

/**
 * A Dockerfile's label split where it starts to differ from its listed siblings' (the other
 * Dockerfiles of its project): `head` is the shared part, which the panel may cut short, and
 * `tail` the part that tells them apart, which stays readable — so fifteen
 * `docker/hvd/Dockerfile.hvd-…` read as fifteen different names. A unit with no listed sibling
 * is all tail.
 */
export function splitLabel(label: string, siblings: readonly string[]): { head: string; tail: string } {
  const others = siblings.filter((s) => s !== label);
  if (others.length === 0) return { head: "", tail: label };
  let n = 0;
  for (const o of others) {
    let i = 0;
    while (i < label.length && i < o.length && label[i] === o[i]) i++;
    n = Math.max(n, i);
  }
  // The tail starts at the beginning of the word that differs (after a / . - or _).
  let start = Math.min(n, label.length);
  while (start > 0 && !"/.-_".includes(label[start - 1] ?? "")) start--;
  if (start >= label.length) start = label.lastIndexOf("/") + 1;
  return { head: label.slice(0, start), tail: label.slice(start) };
}

/** One line of the queue's list: a unit, or the name of a project whose Dockerfile follows
 * without the project above it (filtered out). */
export type QueueRow = { kind: "group"; project: string; at: number } | { kind: "unit"; item: QueueEntry; index: number };

/** The list's lines in order: each shown entry, preceded by its project's name where the
 * project itself is not the line above. */
export function queueRows(shown: readonly QueueEntry[]): QueueRow[] {
  const rows: QueueRow[] = [];
  shown.forEach((item, index) => {
    const prev = shown[index - 1];
    if (item.unit.kind === "dockerfile" && (prev === undefined || prev.unit.project !== item.unit.project)) rows.push({ kind: "group", project: item.unit.project, at: rows.length });
    rows.push({ kind: "unit", item, index });
  });
  return rows;
}

/** Lists longer than this many lines are drawn in part: the lines in view and `overscan`
 * lines either side, with the rest's height kept, so moving on stays fast at study scale. */
export const WINDOW_FROM = 300;

/** The lines `[start, end)` to draw of `count` lines of `row` pixels each, scrolled to
 * `scrollTop` in a viewport `viewport` pixels high. */
export function windowOf(count: number, scrollTop: number, viewport: number, row: number, overscan = 40): { start: number; end: number } {
  if (count <= WINDOW_FROM || row <= 0) return { start: 0, end: count };
  const first = Math.floor(Math.max(0, scrollTop) / row);
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + Math.ceil(Math.max(0, viewport) / row) + overscan);
  return { start, end: Math.max(start, end) };
}
