// The codebook panel's logic: which codes a dimension offers, nested under their parents, the
// key that picks each, filtering by typing, and what picking a code does to a selection.

import type { Code, Codebook, Dimension, UnitKind } from "./generated/types";

/**
 * Keys that pick codes, in order: digits, then letters except j and k (they move through the
 * queue). 34 keys cover the 6 kinds and the 33 purposes of the shipped codebook.
 */
export const CODE_KEYS = "1234567890abcdefghilmnopqrstuvwxyz".split("");

/** A code's name in a dimension, for display (its id when the codebook lacks it). */
export function codeName(book: Codebook | null, dimension: string, id: string): string {
  return book?.dimensions.find((d) => d.id === dimension)?.codes.find((c) => c.id === id)?.name ?? id;
}

/** The dimensions decided on units of `kind`, in codebook order. */
export function dimensionsFor(book: Codebook, kind: UnitKind | string): Dimension[] {
  return book.dimensions.filter((d) => d.unit === kind);
}

/** The key of one decision of one rater: unit and dimension (a map key). */
export function decisionKey(unit: string, dimension: string): string {
  return `${unit}\u0000${dimension}`;
}

/** One line of the codebook panel. */
export interface CodeRow {
  code: Code;
  /** 0 for a top-level code, 1 for a sub-code. */
  depth: number;
  /** The key that picks it, if any is left. */
  key: string | null;
  /** Shown only for context: its parent of a matching sub-code, not a match itself. */
  context: boolean;
}

/** Codes of a dimension that can be picked now (retired ones only if already chosen), parents first. */
export function offered(dim: Dimension, selected: readonly string[] = []): { code: Code; depth: number }[] {
  const usable = dim.codes.filter((c) => c.status !== "retired" || selected.includes(c.id));
  const ids = new Set(usable.map((c) => c.id));
  const out: { code: Code; depth: number }[] = [];
  const placed = new Set<string>();
  for (const c of usable) {
    const parent = c.parent ?? null;
    if (parent !== null && ids.has(parent)) continue;
    out.push({ code: c, depth: 0 });
    placed.add(c.id);
    for (const child of usable) {
      if (child.parent === c.id) {
        out.push({ code: child, depth: 1 });
        placed.add(child.id);
      }
    }
  }
  return out;
}

/**
 * The key of every code of the dimensions shown for one unit, in display order: keys run on
 * from one dimension to the next so that no two codes on screen share a key.
 */
export function assignKeys(dims: readonly Dimension[], selected: (dim: string) => readonly string[] = () => []): Map<string, string> {
  const keys = new Map<string, string>();
  let n = 0;
  for (const d of dims) {
    for (const { code } of offered(d, selected(d.id))) {
      const key = CODE_KEYS[n++];
      if (key !== undefined) keys.set(codeRef(d.id, code.id), key);
    }
  }
  return keys;
}

/** The reference of a code of a dimension (a map key). */
export function codeRef(dimension: string, code: string): string {
  return `${dimension}\u0000${code}`;
}

function matchesText(c: Code, q: string): boolean {
  return (
    c.name.toLowerCase().includes(q) ||
    c.id.toLowerCase().includes(q) ||
    (c.aliases ?? []).some((a) => a.toLowerCase().includes(q))
  );
}

/**
 * The rows of a dimension's panel for a filter text. A sub-code that matches brings its parent
 * along as context; a parent that matches brings no children. Keys are those of `keys`, so they
 * stay the same while filtering.
 */
export function codeRows(
  dim: Dimension,
  filter: string,
  keys: Map<string, string>,
  selected: readonly string[] = [],
): CodeRow[] {
  const q = filter.trim().toLowerCase();
  const all = offered(dim, selected);
  const row = (code: Code, depth: number, context: boolean): CodeRow => ({
    code,
    depth,
    key: keys.get(codeRef(dim.id, code.id)) ?? null,
    context,
  });
  if (q === "") return all.map(({ code, depth }) => row(code, depth, false));
  const hit = new Set(all.filter(({ code }) => matchesText(code, q)).map(({ code }) => code.id));
  const out: CodeRow[] = [];
  for (const { code, depth } of all) {
    if (hit.has(code.id)) {
      out.push(row(code, depth, false));
    } else if (depth === 0 && all.some((o) => o.code.parent === code.id && hit.has(o.code.id))) {
      out.push(row(code, depth, true));
    }
  }
  return out;
}

/** The first code a filter text matches (what Enter in the filter box toggles). */
export function firstMatch(rows: readonly CodeRow[]): Code | null {
  return rows.find((r) => !r.context)?.code ?? null;
}

/**
 * The selection after picking `code`: a one-code dimension takes it (picking the chosen code
 * again keeps it); a many-code dimension toggles it. The result is in codebook order.
 */
export function pick(dim: Dimension, selected: readonly string[], code: string): string[] {
  if (dim.cardinality === "one") return [code];
  const set = new Set(selected);
  if (set.has(code)) set.delete(code);
  else set.add(code);
  const order = new Map(dim.codes.map((c, i) => [c.id, i] as const));
  return [...set].sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9));
}

/** Which dimension and code a key picks, given the keys shown. */
export function codeForKey(keys: Map<string, string>, key: string): { dimension: string; code: string } | null {
  for (const [ref, k] of keys) {
    if (k === key) {
      const [dimension, code] = ref.split("\u0000");
      if (dimension !== undefined && code !== undefined) return { dimension, code };
    }
  }
  return null;
}
