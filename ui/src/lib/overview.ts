// The overview screen's rules: the core's overview and the chart data drawn from it.

import type { RoundInfo } from "./types";

/** One rater's progress (`codebench::overview::RaterOverview`). */
export interface RaterOverview {
  rater: string;
  coded_units: number;
  decisions: number;
  flagged: number;
}

/** How often a code was given (`codebench::overview::CodeCount`). */
export interface CodeCount {
  dimension: string;
  code: string;
  name: string;
  parent: string | null;
  count: number;
}

/** The study at a glance (`codebench::overview::Overview`). */
export interface Overview {
  units: number;
  raters: RaterOverview[];
  rounds: RoundInfo[];
  distribution: CodeCount[];
  hidden: number;
}

/** Labels and counts of one dimension's bar chart: codes in codebook order, sub-codes named
 * "parent › code"; codes never given are left out unless `all`. */
export function chartData(o: Overview, dimension: string, all = false): { labels: string[]; counts: number[] } {
  const codes = o.distribution.filter((c) => c.dimension === dimension);
  const name = new Map(codes.map((c) => [c.code, c.name]));
  const shown = codes.filter((c) => all || c.count > 0);
  return {
    labels: shown.map((c) => (c.parent === null ? c.name : `${name.get(c.parent) ?? c.parent} › ${c.name}`)),
    counts: shown.map((c) => c.count),
  };
}

/** A share as a whole percent ("37%"), 0% of nothing. */
export function percent(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${Math.round((100 * part) / whole)}%`;
}

/** A round's state in words. */
export function roundState(r: RoundInfo): string {
  return r.revealed_at === null ? "blind (not revealed)" : `revealed ${r.revealed_at.slice(0, 10)}`;
}
