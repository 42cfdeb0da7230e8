// The agreement screen's rules: grouping the core's report by dimension and formatting values.

import type { Confusion, AgreementReport as Report, StatResult, Warning } from "./generated/types";

/** One dimension's part of the report. */
export interface DimensionReport {
  dimension: string;
  /** Results about all codes together, in the core's order. */
  overall: StatResult[];
  /** Results about one code each (many-code dimensions). */
  perCode: StatResult[];
  warnings: Warning[];
  confusion: Confusion[];
}

const NAMES: Record<string, string> = {
  percent_agreement: "Percent agreement",
  cohen_kappa: "Cohen's kappa",
  fleiss_kappa: "Fleiss' kappa",
  krippendorff_alpha: "Krippendorff's alpha",
  gwet_ac1: "Gwet's AC1",
  prevalence: "Prevalence",
  exact_set_agreement: "Exact set agreement",
  mean_cohen_kappa: "Mean Cohen's kappa",
  mean_fleiss_kappa: "Mean Fleiss' kappa",
  krippendorff_alpha_masi: "Krippendorff's alpha (MASI)",
  krippendorff_alpha_jaccard: "Krippendorff's alpha (Jaccard)",
};

/** The display name of a statistic (its snake_case id when unknown). */
export function statisticName(id: string): string {
  return NAMES[id] ?? id;
}

/** Groups a report by dimension, in the order the dimensions first appear. */
export function byDimension(r: Report): DimensionReport[] {
  const out = new Map<string, DimensionReport>();
  const get = (d: string) => {
    let x = out.get(d);
    if (x === undefined) {
      x = { dimension: d, overall: [], perCode: [], warnings: [], confusion: [] };
      out.set(d, x);
    }
    return x;
  };
  for (const s of r.results) (s.code === null ? get(s.dimension).overall : get(s.dimension).perCode).push(s);
  for (const w of r.warnings) get(w.dimension).warnings.push(w);
  for (const c of r.confusion) get(c.dimension).confusion.push(c);
  return [...out.values()];
}

/** A confusion matrix's cells with row and column totals, and which cells are on the
 * diagonal (the two raters agree). */
export interface ConfusionTable {
  rows: { category: string; cells: { count: number; agree: boolean }[]; total: number }[];
  columnTotals: number[];
  agreed: number;
  total: number;
}

/** Lays out a confusion matrix for display, dropping categories neither rater used. */
export function confusionTable(c: Confusion): ConfusionTable {
  const at = (i: number, j: number) => c.counts[i]?.[j] ?? 0;
  const all = c.categories.map((_, i) => i);
  const used = all.filter((i) => all.some((j) => at(i, j) > 0 || at(j, i) > 0));
  const rows = used.map((i) => {
    const cells = used.map((j) => ({ count: at(i, j), agree: i === j }));
    return { category: c.categories[i] ?? "", cells, total: cells.reduce((a, x) => a + x.count, 0) };
  });
  const columnTotals = used.map((j) => used.reduce((a, i) => a + at(i, j), 0));
  const agreed = used.reduce((a, i) => a + at(i, i), 0);
  const total = rows.reduce((a, r) => a + r.total, 0);
  return { rows, columnTotals, agreed, total };
}

/** A number with three decimals, or "–". */
export function num(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "–" : x.toFixed(3);
}

/** The value with its confidence interval, e.g. `0.720 [0.512, 0.928]`, or `undefined`. */
export function valueText(s: StatResult): string {
  if (s.value === null) return "undefined";
  if (s.ci_low === null || s.ci_high === null) return num(s.value);
  return `${num(s.value)} [${num(s.ci_low)}, ${num(s.ci_high)}]`;
}

/** Warnings of one kind, for a collapsible group ("Kappa paradox (prevalence): 12"). */
export interface WarningGroup {
  kind: Warning["kind"];
  title: string;
  warnings: Warning[];
}

const WARNING_TITLES: Record<Warning["kind"], string> = {
  prevalence: "Kappa paradox: one code dominates (prevalence)",
  rater_bias: "Raters use codes at different rates (bias)",
  few_units: "Too few units for a stable value",
};

/** The warnings grouped by kind, in the order the core first gives each kind. */
export function warningGroups(ws: readonly Warning[]): WarningGroup[] {
  const out: WarningGroup[] = [];
  for (const w of ws) {
    let g = out.find((x) => x.kind === w.kind);
    if (g === undefined) {
      g = { kind: w.kind, title: WARNING_TITLES[w.kind] ?? w.kind, warnings: [] };
      out.push(g);
    }
    g.warnings.push(w);
  }
  return out;
}

/** The agreement.csv in a folder given by the user (a trailing separator is dropped). */
export function agreementFile(dir: string, ext: "csv" | "png" = "csv"): string {
  return `${dir.trim().replace(/[\\/]+$/, "")}/agreement.${ext}`;
}

/** What an export from the agreement screen says: where the table is, how many rows, and that
 * it holds what the screen shows (`export_agreement` writes exactly the request shown). */
export function agreementExport(w: { path: string; rows: number }, narrowed: boolean): string {
  const png = w.path.toLowerCase().endsWith(".png");
  const rows = png ? `a figure of ${w.rows} result${w.rows === 1 ? "" : "s"}` : `${w.rows} row${w.rows === 1 ? "" : "s"}`;
  return `Agreement in ${w.path} (${rows})${narrowed ? ": the dimensions, raters and round shown here" : ": every dimension and rater of the study"}.`;
}

/** What an opened confusion cell says: whose codes, and how many units. */
export function cellTitle(raters: string[], row: string, column: string, units: number): string {
  const n = `${units} unit${units === 1 ? "" : "s"}`;
  return `${raters[0] ?? ""}: ${row} × ${raters[1] ?? ""}: ${column}: ${n}`;
}
