// The coding queue as the core gives it (codingQueue: every unit in reading order, the rater's
// state on each, which ones the filter and search show, counts and round progress), and the
// presentation rules the panel adds: which entries to list, stepping, and the lines it shows.

import type { CodingQueue, FilterCount, QueueEntry, QueueFilter, RoundProgress } from "./generated/types";

/**
 * The entries the queue panel lists: those the core shows, and `keep` (the open unit) even
 * when it no longer matches, e.g. right after it was coded under "To code by me", so the rater
 * sees where they are.
 */
export function listed(items: readonly QueueEntry[], keep: string | null = null): QueueEntry[] {
  return items.filter((i) => i.shown || i.unit.name === keep);
}

/**
 * The unit `delta` steps (+1 next, -1 previous) from `current` among the shown entries.
 * `current` need not be shown itself (it may just have left the filter): stepping starts from
 * its place in the whole queue. With no current unit (or one not in the queue), +1 gives the
 * first shown unit and -1 the last. `null` when there is none in that direction.
 */
export function step(items: readonly QueueEntry[], current: string | null, delta: 1 | -1): string | null {
  const at = current === null ? -1 : items.findIndex((i) => i.unit.name === current);
  let i = at === -1 ? (delta === 1 ? -1 : items.length) : at;
  for (i += delta; i >= 0 && i < items.length; i += delta) {
    const item = items[i];
    if (item !== undefined && item.shown) return item.unit.name;
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
  return `End of this list: ${units} still to code in “To code by me”`;
}
