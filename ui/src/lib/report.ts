// The report screen's rules: the core's tables and figures as shown, what an export wrote, and
// the units a table's counts leave out.

import type { Table as ReportTable, Written as TableWritten, Unlabelled } from "./generated/types";
import type { Codebook } from "./generated/types";

/** The SVG as an image address: shown in an `<img>`, so nothing in it can run (the SVG comes
 * from our renderer, which escapes labels; an image cannot run script either way). */
export function svgSource(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** One line about an export: how many files, rows and where, and what blind rounds kept out. */
export function writtenSummary(w: readonly TableWritten[], dir: string, withheld = 0): string {
  const rows = w.reduce((a, x) => a + x.rows, 0);
  const out = `${w.length} table${w.length === 1 ? "" : "s"} (${rows} rows) written to ${dir}`;
  if (withheld === 0) return out;
  return `${out}; ${withheld} decision${withheld === 1 ? "" : "s"} and evidence of other raters left out (round not revealed yet)`;
}

/** The last path component, for lists of written files. */
export function fileName(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? path : path.slice(i + 1);
}

/** Whether a column holds numbers (every non-empty cell parses), to right-align it. */
export function numericColumn(t: ReportTable, i: number): boolean {
  let any = false;
  for (const r of t.rows) {
    const c = r[i] ?? "";
    if (c === "") continue;
    if (!/^-?\d+(\.\d+)?$/.test(c)) return false;
    any = true;
  }
  return any;
}

/** One line per dimension about the units without a label from the source, e.g.
 * "Kind: 6 of 12 project units have no consensus label". Dimensions with none left out. */
export function unlabelledLines(u: readonly Unlabelled[], book: Codebook | null, source: string): { dimension: string; text: string; units: string[] }[] {
  const what = source === "consensus" ? "no consensus yet" : `no label from ${source}`;
  return u
    .filter((x) => x.units.length > 0)
    .map((x) => {
      const d = book?.dimensions.find((y) => y.id === x.dimension);
      const kind = d === undefined ? "units" : `${d.unit} units`;
      return { dimension: x.dimension, text: `${d?.name ?? x.dimension}: ${x.units.length} of ${x.units_total} ${kind} have ${what}`, units: x.units };
    });
}

/** The label sources a report can use: the consensus, then every rater. */
export function labelSources(raters: readonly string[]): { value: string; label: string }[] {
  return [{ value: "consensus", label: "consensus (reconciled)" }, ...raters.map((r) => ({ value: r, label: r }))];
}
