// The reconcile screen's rules: the core's queue types, whether chosen codes override every
// rater (then a rationale is needed), and one-line summaries of bulk acceptance and merges.

/** One rater's codes on a unit (`codebench::reconcile::RaterCodes`). */
export interface RaterCodes {
  rater: string;
  codes: string[];
  memo: string;
  flagged: boolean;
}

/** A consensus as stored. */
export interface Consensus {
  unit: string;
  dimension: string;
  codes: string[];
  adjudicator: string;
  rationale: string;
  method: string;
  decided_at: string;
}

/** One unit to reconcile. */
export interface QueueItem {
  unit: string;
  dimension: string;
  decisions: RaterCodes[];
  agree: boolean;
  consensus: Consensus | null;
}

/** The reconciliation queue. */
export interface ReconcileQueue {
  items: QueueItem[];
  blinded: number;
}

/** What is sent to decide a consensus. */
export interface ConsensusInput {
  unit: string;
  dimension: string;
  codes: string[];
  adjudicator: string;
  rationale: string;
}

/** What a bulk acceptance did. */
export interface AcceptReport {
  accepted: Consensus[];
  already_decided: number;
  not_met: number;
  blinded: number;
}

/** What a merge brought in. */
export interface MergeReport {
  raters_added: string[];
  projects_added: string[];
  snapshots_added: number;
  units_added: number;
  decisions_added: number;
  decisions_same: number;
  consensus_added: number;
  history_added: number;
  rounds_added: string[];
  rounds_revealed: string[];
  auto_consensus: number;
}

/** Whether two code lists hold the same codes. */
export function sameCodes(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((c) => s.has(c));
}

/** Whether `codes` equal no rater's codes: the core then requires a rationale. */
export function overridesEveryone(item: QueueItem, codes: string[]): boolean {
  return !item.decisions.some((d) => sameCodes(d.codes, codes));
}

/** The codes a rater chose, offered as the starting point: the first rater's. */
export function startingCodes(item: QueueItem): string[] {
  return item.consensus?.codes ?? item.decisions[0]?.codes ?? [];
}

/** One line about a bulk acceptance. */
export function acceptSummary(r: AcceptReport): string {
  const parts = [`${r.accepted.length} accepted`];
  if (r.not_met > 0) parts.push(`${r.not_met} where the rule does not hold`);
  if (r.already_decided > 0) parts.push(`${r.already_decided} already decided`);
  if (r.blinded > 0) parts.push(`${r.blinded} in unrevealed rounds`);
  return parts.join(", ");
}

/** One line about a merge. */
export function mergeSummary(r: MergeReport): string {
  const parts: string[] = [];
  if (r.raters_added.length > 0) parts.push(`raters added: ${r.raters_added.join(", ")}`);
  if (r.projects_added.length > 0) parts.push(`${r.projects_added.length} projects added`);
  parts.push(`${r.decisions_added} decisions added`);
  if (r.decisions_same > 0) parts.push(`${r.decisions_same} already here`);
  if (r.consensus_added > 0) parts.push(`${r.consensus_added} consensus decisions added`);
  if (r.rounds_added.length > 0) parts.push(`rounds added: ${r.rounds_added.join(", ")}`);
  if (r.rounds_revealed.length > 0) parts.push(`rounds revealed: ${r.rounds_revealed.join(", ")}`);
  if (r.auto_consensus > 0) parts.push(`${r.auto_consensus} automatic consensus (all raters agree)`);
  return parts.join(", ");
}

/** The core's refusal of a consensus, worded for this screen (the core names the CLI flag). */
export function consensusError(message: string): string {
  return message.replace(/give the reason with --why\s*$/, "write the reason in the Rationale box");
}
