// Evidence: a quote of the README or a Dockerfile attached to a code of the rater's decision.
// The DOM-free rules: what can be attached to, how a selection becomes a quote and lines.

import { codeRef } from "./codes";
import type { Codebook, Decision, Evidence } from "./generated/types";

/** Most characters in one quote (the core's limit). */
export const MAX_QUOTE_CHARS = 2000;

/** A code of the current decision that a quote can be attached to. */
export interface Target {
  dimension: string;
  dimensionName: string;
  code: string;
  codeName: string;
  /** The key that picks it in the codes panel (the same picks it in the dialog), if any. */
  key: string | null;
}

/** What was selected, as the app read it from the page. */
export interface Selected {
  /** README or Dockerfile path. */
  file: string;
  /** The selected text. */
  text: string;
  /** For a Dockerfile: the lines at either end of the selection (in any order). */
  lines: [number, number] | null;
}

/** The codes of the rater's stored decisions on `unit`, in codebook order, each with the key
 * the codes panel gives it (`keys`: code reference → key, as `assignKeys` makes them). */
export function targets(book: Codebook, decisions: Decision[], unit: string, keys: ReadonlyMap<string, string> = new Map()): Target[] {
  const out: Target[] = [];
  for (const d of book.dimensions) {
    const dec = decisions.find((x) => x.unit === unit && x.dimension === d.id);
    if (dec === undefined) continue;
    for (const c of d.codes) {
      if (dec.codes.includes(c.id)) out.push({ dimension: d.id, dimensionName: d.name, code: c.id, codeName: c.name, key: keys.get(codeRef(d.id, c.id)) ?? null });
    }
  }
  return out;
}

/** The quote and line range of a selection, or why it cannot be attached. */
export function quoteOf(s: Selected): { quote: string; lineStart: number | null; lineEnd: number | null } | { error: string } {
  const quote = s.text.replace(/\r\n?/g, "\n").trim();
  if (quote === "") return { error: "Select some text in the README or a Dockerfile first" };
  if ([...quote].length > MAX_QUOTE_CHARS) return { error: `A quote is at most ${MAX_QUOTE_CHARS} characters; select less` };
  if (s.lines === null) return { quote, lineStart: null, lineEnd: null };
  const [a, b] = s.lines;
  return { quote, lineStart: Math.min(a, b), lineEnd: Math.max(a, b) };
}

/** Where a piece of evidence comes from, e.g. `Dockerfile:3-5` or `README.md`. */
export function where(e: Pick<Evidence, "file" | "line_start" | "line_end">): string {
  if (e.line_start === null) return e.file;
  if (e.line_end === null || e.line_end === e.line_start) return `${e.file}:${e.line_start}`;
  return `${e.file}:${e.line_start}-${e.line_end}`;
}
