// The coding queue: every unit in reading order (a project, then its Dockerfiles), what the
// current rater has done on each, the filters and search of the queue panel, and stepping.

import type { Codebook, Decision, Dimension, UnitInfo } from "./types";

/** Which units the queue shows. */
export type QueueFilter = "all" | "todo" | "done" | "flagged" | "changed" | "disagree";

/** The filters in the order the queue panel offers them, with their labels. "Changed
 * upstream" and "Disagreements" are offered only when some unit is so (disagreements appear
 * once a round is revealed: the core keeps other raters' decisions hidden until then). */
export const FILTERS: { id: QueueFilter; label: string; optional?: boolean }[] = [
  { id: "todo", label: "To code by me" },
  { id: "done", label: "Coded by me" },
  { id: "flagged", label: "Flagged" },
  { id: "changed", label: "Changed upstream", optional: true },
  { id: "disagree", label: "Disagreements", optional: true },
  { id: "all", label: "All" },
];

/** What the queue knows beyond the rater's own decisions. */
export interface QueueContext {
  /** Projects whose upstream moved since they were first imported. */
  changed: Set<string>;
  /** Units where the rater's codes differ from another rater's (revealed, not reconciled). */
  disagreements: Set<string>;
}

/** One unit in the queue, with the current rater's state on it. */
export interface QueueItem {
  unit: UnitInfo;
  /** Ids of the dimensions decided on this kind of unit. */
  dimensions: string[];
  /** The rater has a decision in every dimension of the unit. */
  coded: boolean;
  /** Some decision of the rater on the unit is flagged for discussion. */
  flagged: boolean;
  /** The unit's project changed upstream (a newer snapshot was imported). */
  changed: boolean;
  /** The rater decided the unit differently from another rater (round revealed). */
  disagreement: boolean;
}

/** The key of a decision of one rater: unit and dimension. */
export function decisionKey(unit: string, dimension: string): string {
  return `${unit}\u0000${dimension}`;
}

/** The dimensions decided on units of `kind`, in codebook order. */
export function dimensionsFor(book: Codebook, kind: UnitInfo["kind"]): Dimension[] {
  return book.dimensions.filter((d) => d.unit === kind);
}

/** The queue in reading order: each project followed by its Dockerfiles by path. */
export function buildQueue(
  units: UnitInfo[],
  book: Codebook,
  mine: Decision[],
  context: QueueContext = { changed: new Set(), disagreements: new Set() },
): QueueItem[] {
  const byKey = new Map<string, Decision>();
  for (const d of mine) byKey.set(decisionKey(d.unit, d.dimension), d);
  const sorted = [...units].sort((a, b) => {
    if (a.project !== b.project) return a.project < b.project ? -1 : 1;
    if ((a.path === null) !== (b.path === null)) return a.path === null ? -1 : 1;
    const pa = a.path ?? "";
    const pb = b.path ?? "";
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
  return sorted.map((unit) => {
    const dims = dimensionsFor(book, unit.kind).map((d) => d.id);
    const decided = dims.map((d) => byKey.get(decisionKey(unit.name, d)));
    return {
      unit,
      dimensions: dims,
      coded: dims.length > 0 && decided.every((d) => d !== undefined),
      flagged: decided.some((d) => d?.flagged === true),
      changed: context.changed.has(unit.project),
      disagreement: context.disagreements.has(unit.name) && decided.some((d) => d !== undefined),
    };
  });
}

/** Whether an item passes the filter and the search (a case-insensitive part of its name). */
export function matches(item: QueueItem, filter: QueueFilter, search: string): boolean {
  const s = search.trim().toLowerCase();
  if (s !== "" && !item.unit.name.toLowerCase().includes(s)) return false;
  switch (filter) {
    case "all":
      return true;
    case "todo":
      return !item.coded;
    case "done":
      return item.coded;
    case "flagged":
      return item.flagged;
    case "changed":
      return item.changed;
    case "disagree":
      return item.disagreement;
  }
}

/**
 * The items the queue panel lists. `keep` (the open unit) stays listed even when it no longer
 * matches, e.g. right after it was coded under the "to code" filter, so the rater sees where
 * they are.
 */
export function visible(queue: QueueItem[], filter: QueueFilter, search: string, keep: string | null = null): QueueItem[] {
  return queue.filter((i) => i.unit.name === keep || matches(i, filter, search));
}

/** How many units the rater has coded, of all units. */
export function progress(queue: QueueItem[]): { coded: number; total: number } {
  return { coded: queue.filter((i) => i.coded).length, total: queue.length };
}

/**
 * The unit `delta` steps (+1 next, -1 previous) from `current` among the units the panel
 * shows. `current` need not be shown itself (it may just have left the "to code" filter):
 * stepping starts from its place in the whole queue. With no current unit, +1 gives the
 * first shown unit and -1 the last. `null` when there is none in that direction.
 */
export function step(
  queue: QueueItem[],
  current: string | null,
  delta: 1 | -1,
  filter: QueueFilter,
  search: string,
): string | null {
  const at = current === null ? -1 : queue.findIndex((i) => i.unit.name === current);
  let i = at === -1 ? (delta === 1 ? -1 : queue.length) : at;
  for (i += delta; i >= 0 && i < queue.length; i += delta) {
    const item = queue[i];
    if (item !== undefined && matches(item, filter, search)) return item.unit.name;
  }
  return null;
}

/** The unrevealed rounds each unit is in (by unit name), from the study's rounds: while a
 * round is blind the rater sees only their own decisions there (the core enforces it). */
export function blindRounds(rounds: { name: string; units: string[]; revealed_at: string | null }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rounds) {
    if (r.revealed_at !== null) continue;
    for (const u of r.units) out.set(u, [...(out.get(u) ?? []), r.name]);
  }
  return out;
}
