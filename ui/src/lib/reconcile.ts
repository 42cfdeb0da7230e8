// The reconcile screen's rules: whether chosen codes override every rater (then a rationale is
// needed), the keys that take one rater's codes, and one-line summaries of bulk acceptance,
// merges and stored consensus.

import type { AcceptReport, Choice, Conflict, Consensus, MergeReport, ReconcileItem, Take } from "./generated/types";

/** Whether two code lists hold the same codes. */
export function sameCodes(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((c) => s.has(c));
}

/** Whether `codes` equal no rater's codes: the core then requires a rationale. */
export function overridesEveryone(item: ReconcileItem, codes: readonly string[]): boolean {
  return !item.decisions.some((d) => sameCodes(d.codes, codes));
}

/** The key that takes the codes of the rater at `index` (1–9), or null past nine. The final
 * codes start empty, so the adjudicator is not anchored on anyone; each rater's set is one
 * key away. */
export function raterKey(index: number): string | null {
  return index >= 0 && index < 9 ? String(index + 1) : null;
}

/** The index of the rater a key takes, or null. */
export function raterForKey(key: string, raters: number): number | null {
  if (!/^[1-9]$/.test(key)) return null;
  const i = Number(key) - 1;
  return i < raters ? i : null;
}

/** One line about a bulk acceptance. */
export function acceptSummary(r: AcceptReport): string {
  const parts = [`${r.accepted.length} accepted`];
  if (r.not_met > 0) parts.push(`${r.not_met} where the rule does not hold`);
  if (r.already_decided > 0) parts.push(`${r.already_decided} already decided`);
  if (r.blinded > 0) parts.push(`${r.blinded} in unrevealed rounds`);
  return parts.join(", ");
}

/** One line about a merge (or, for a dry run, what it would do). */
export function mergeSummary(r: MergeReport): string {
  const parts: string[] = [];
  if (r.raters_added.length > 0) parts.push(`raters added: ${r.raters_added.join(", ")}`);
  if (r.projects_added.length > 0) parts.push(`${r.projects_added.length} projects added`);
  parts.push(`${r.decisions_added} decisions added`);
  if (r.decisions_replaced > 0) parts.push(`${r.decisions_replaced} replaced`);
  if (r.decisions_same > 0) parts.push(`${r.decisions_same} already here`);
  if (r.evidence_added > 0) parts.push(`${r.evidence_added} evidence added`);
  if (r.consensus_added > 0) parts.push(`${r.consensus_added} consensus decisions added`);
  if (r.codes_added.length > 0) parts.push(`codes added: ${r.codes_added.join(", ")}`);
  if (r.codes_updated.length > 0) parts.push(`codes updated: ${r.codes_updated.join(", ")}`);
  if (r.rounds_added.length > 0) parts.push(`rounds added: ${r.rounds_added.join(", ")}`);
  if (r.rounds_revealed.length > 0) parts.push(`rounds revealed: ${r.rounds_revealed.join(", ")}`);
  if (r.image_refs_added > 0) parts.push(`${r.image_refs_added} image references added`);
  if (r.metrics_added > 0) parts.push(`${r.metrics_added} metrics added`);
  if (r.machine_runs_added > 0) parts.push(`${r.machine_runs_added} machine runs added`);
  if (r.machine_answers_added > 0) parts.push(`${r.machine_answers_added} machine answers added`);
  if (r.machine_runs_left_out > 0) parts.push(`${r.machine_runs_left_out} machine runs left out (the copy was handed out for ${r.handed_out_for ?? "a rater"})`);
  if (r.auto_consensus > 0) parts.push(`${r.auto_consensus} automatic consensus (all raters agree)`);
  if (r.flagged.length > 0) parts.push(`${r.flagged.length} decisions of other raters left out (the copy was handed out for ${r.handed_out_for ?? "another rater"})`);
  const settled = r.conflicts.filter((c) => c.taken !== null).length;
  if (settled > 0) parts.push(`${settled} conflict${settled === 1 ? "" : "s"} settled`);
  return parts.join(", ");
}

/** The conflicts a merge left unsettled (it merged nothing then). */
export function unsettled(r: MergeReport): Conflict[] {
  return r.conflicts.filter((c) => c.taken === null);
}

/** The choices to send for the conflicts picked one by one (those not picked are left out). */
export function choicesOf(picked: Readonly<Record<string, Take | undefined>>): Choice[] {
  return Object.entries(picked)
    .filter((e): e is [string, Take] => e[1] === "mine" || e[1] === "theirs")
    .map(([id, take]) => ({ id, take }));
}

/** A stored consensus in words: who decided what, and how. */
export function consensusLine(c: Consensus, codeName: (id: string) => string = (id) => id): string {
  const how = c.method === "decided" ? `decided by ${c.adjudicator}` : c.adjudicator === "auto" ? "automatic (all raters agree)" : `${c.method}, accepted by ${c.adjudicator}`;
  return `${c.codes.map(codeName).join(", ")} — ${how}${c.rationale !== "" ? `: ${c.rationale}` : ""}`;
}
