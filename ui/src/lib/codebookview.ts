// The codebook screen's rules: codes of a dimension in reading order (sub-codes under their
// parent) with their use counts and who proposed them.

import type { Code, CodeUse, Dimension } from "./generated/types";

/** A code as the codebook screen lists it. */
export interface CodeRow {
  code: Code;
  /** 0 for a top-level code, 1 for a sub-code. */
  depth: number;
  /** Decisions that give it (of those the viewer may see). */
  uses: number;
  /** Who proposed it while coding (null for a code of the codebook as shipped or imported). */
  proposedBy: string | null;
}

/** The dimension's codes, each parent followed by its sub-codes, with use counts. */
export function codeRows(dim: Dimension, uses: readonly CodeUse[]): CodeRow[] {
  const use = new Map(uses.filter((u) => u.dimension === dim.id).map((u) => [u.code, u]));
  const row = (code: Code, depth: number): CodeRow => ({
    code,
    depth,
    uses: use.get(code.id)?.count ?? 0,
    proposedBy: use.get(code.id)?.proposed_by ?? null,
  });
  const rows: CodeRow[] = [];
  const ids = new Set(dim.codes.map((c) => c.id));
  for (const c of dim.codes) {
    if (c.parent !== undefined && c.parent !== null && ids.has(c.parent)) continue;
    rows.push(row(c, 0));
    for (const s of dim.codes.filter((x) => x.parent === c.id)) {
      rows.push(row(s, 1));
    }
  }
  return rows;
}

/** Codes a code can be merged into: the dimension's other codes that are not retired. */
export function mergeTargets(dim: Dimension, from: string): Code[] {
  return dim.codes.filter((c) => c.id !== from && c.status !== "retired");
}
