// The overview screen's rules: the chart data drawn from the core's overview, and the words
// for progress and rounds.

import type { Overview, RoundInfo } from "./generated/types";

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
export function roundState(r: Pick<RoundInfo, "revealed_at" | "revealed_by">): string {
  if (r.revealed_at === null) return "blind (not revealed)";
  return `revealed ${r.revealed_at.slice(0, 10)}${r.revealed_by === null ? "" : ` by ${r.revealed_by}`}`;
}

/** Whose codes the distribution counts, in words. */
export function countedWhat(labels: string, round: string): string {
  const who = labels === "" ? "every decision you may see, all raters pooled" : labels === "consensus" ? "the consensus" : `${labels}'s decisions`;
  return round === "" ? who : `${who}, units of round ${round}`;
}
