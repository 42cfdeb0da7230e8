// The codebook screen's rules: codes of a dimension in reading order (sub-codes under their
// parent) with their use counts.

import type { Code, Dimension } from "./types";

/** A code as the codebook screen lists it. */
export interface CodeRow {
  code: Code;
  /** 0 for a top-level code, 1 for a sub-code. */
  depth: number;
  /** Decisions that give it. */
  uses: number;
}

/** The dimension's codes, each parent followed by its sub-codes, with use counts. */
export function codeRows(dim: Dimension, uses: { dimension: string; code: string; count: number }[]): CodeRow[] {
  const count = new Map(uses.filter((u) => u.dimension === dim.id).map((u) => [u.code, u.count]));
  const rows: CodeRow[] = [];
  const ids = new Set(dim.codes.map((c) => c.id));
  for (const c of dim.codes) {
    if (c.parent !== undefined && c.parent !== null && ids.has(c.parent)) continue;
    rows.push({ code: c, depth: 0, uses: count.get(c.id) ?? 0 });
    for (const s of dim.codes.filter((x) => x.parent === c.id)) {
      rows.push({ code: s, depth: 1, uses: count.get(s.id) ?? 0 });
    }
  }
  return rows;
}

/** Codes a code can be merged into: the dimension's other codes that are not retired. */
export function mergeTargets(dim: Dimension, from: string): Code[] {
  return dim.codes.filter((c) => c.id !== from && c.status !== "retired");
}
