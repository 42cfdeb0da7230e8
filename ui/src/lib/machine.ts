// The machine raters screen's rules: the add form's fields as a configuration (numbers parsed,
// empty fields left to the core's defaults), a run's progress from its events, and the words for
// a run's end and a local model's cross-validation. What a configuration may hold, and whether
// it may be used, is the core's to say when it is added or run.

import type { Finished } from "./generated/commands";
import type { Evaluation, MachineConfig, MachineProgress, MachineRun, MachineRunSummary, RouteAnswer, RouteReason, RoutedUnit, Routing } from "./generated/types";

/** The add form, as typed. */
export interface MachineForm {
  name: string;
  backend: "openai" | "local";
  dimension: string;
  url: string;
  model: string;
  temperature: string;
  seed: string;
  allowRemote: boolean;
  trainOn: string;
  folds: string;
}

/** An empty form: a local model, learning from the consensus. */
export function emptyForm(): MachineForm {
  return { name: "", backend: "local", dimension: "", url: "", model: "", temperature: "0", seed: "", allowRemote: false, trainOn: "consensus", folds: "" };
}

function number(field: string, text: string, integer: boolean): number | undefined | { error: string } {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return { error: `${field}: “${t}” is not ${integer ? "a whole number" : "a number"}` };
  return n;
}

/** The configuration the form asks for, or the field that is not a number. */
export function configFrom(f: MachineForm): { config: MachineConfig } | { error: string } {
  const config: MachineConfig = { backend: f.backend, allow_remote: false };
  if (f.dimension !== "") config.dimension = f.dimension;
  if (f.backend === "openai") {
    if (f.url.trim() !== "") config.url = f.url.trim();
    if (f.model.trim() !== "") config.model = f.model.trim();
    const t = number("Temperature", f.temperature, false);
    if (typeof t === "object") return t;
    if (t !== undefined) config.temperature = t;
    const s = number("Seed", f.seed, true);
    if (typeof s === "object") return s;
    if (s !== undefined) config.seed = s;
    config.allow_remote = f.allowRemote;
  } else {
    if (f.trainOn.trim() !== "") config.train_on = f.trainOn.trim();
    const k = number("Folds", f.folds, true);
    if (typeof k === "object") return k;
    if (k !== undefined) config.folds = k;
  }
  return { config };
}

/** Whether an optional field of a stored configuration is set (the core sends `null` for none). */
function set<T>(x: T | null | undefined): x is T {
  return x !== undefined && x !== null;
}

/** The dimension a machine rater is configured for, or `null` when each run names one. */
export function configuredDimension(c: MachineConfig): string | null {
  return set(c.dimension) ? c.dimension : null;
}

/** One line about a configuration, for the list of machine raters. */
export function configText(c: MachineConfig): string {
  const dim = set(c.dimension) ? ` · ${c.dimension}` : "";
  if (c.backend === "local") return `local classifier, learns from ${set(c.train_on) ? c.train_on : "consensus"}${set(c.folds) ? `, ${c.folds} folds` : ""}${dim}`;
  const params = [set(c.temperature) ? `temperature ${c.temperature}` : null, set(c.seed) ? `seed ${c.seed}` : null].filter((x) => x !== null);
  return `openai ${set(c.model) ? c.model : "?"} at ${set(c.url) ? c.url : "?"}${params.length > 0 ? ` (${params.join(", ")})` : ""}${c.allow_remote ? " · remote allowed" : ""}${dim}`;
}

/** A run's progress as the screen shows it. */
export interface RunState {
  run: number | null;
  total: number;
  done: number;
  failed: number;
  waiting: string | null;
}

/** The progress before the first event. */
export function idle(): RunState {
  return { run: null, total: 0, done: 0, failed: 0, waiting: null };
}

/** The progress after one event of `run_machine`. */
export function applyMachineEvent(s: RunState, e: MachineProgress): RunState {
  switch (e.event) {
    case "planned":
      return { run: e.run, total: e.units, done: e.answered_before, failed: 0, waiting: null };
    case "waiting":
      return { ...s, waiting: `Waiting ${Math.round(e.wait_seconds)} s before asking again about ${e.unit}` };
    case "answered":
      return { ...s, done: s.done + 1, failed: s.failed + (e.ok ? 0 : 1), waiting: null };
  }
}

function num(x: number | null, digits = 2): string {
  return x === null ? "–" : x.toFixed(digits);
}

/** A local model's cross-validation in one sentence. */
export function evaluationText(e: Evaluation): string {
  const kappa = e.kappa === null ? `κ undefined (${e.kappa_undefined ?? "no variation"})` : `κ ${num(e.kappa)}${e.kappa_ci === null ? "" : ` [${num(e.kappa_ci[0])}, ${num(e.kappa_ci[1])}]`}`;
  return `${e.folds}-fold cross-validation over ${e.units} labelled units: accuracy ${num(e.accuracy)} (always “${e.majority.join(", ")}”: ${num(e.baseline_accuracy)}), ${kappa} · ${e.classifier}`;
}

/** The words for a run's end. */
export function runSummary(f: Finished<MachineRunSummary>): { ok: boolean; text: string } {
  if (f.error !== null) return { ok: false, text: `The run stopped: ${f.error.message}` };
  const s = f.result;
  const parts = [`${s.labelled} labelled`, `${s.failed} failed`];
  if (s.skipped > 0) parts.push(`${s.skipped} answered before`);
  if (s.requests > 0) parts.push(`${s.requests} requests`);
  const head = s.cancelled ? `Run ${s.run} cancelled (run it again to go on)` : `Run ${s.run}${s.resumed ? " (resumed)" : ""} done`;
  return { ok: !s.cancelled && s.failed === 0, text: `${head}: ${parts.join(", ")} of ${s.units} units` };
}

/** The short form of a hash, for tables (the full one is in the title and the export). */
export function short(hash: string): string {
  return hash.slice(0, 12);
}

/** The cross-validation a local run began with, when the run recorded one. */
export function runEvaluation(r: MachineRun): Evaluation | null {
  const e = r.evaluation;
  if (e === null || typeof e !== "object" || Array.isArray(e)) return null;
  const o = e as Record<string, unknown>;
  return typeof o.accuracy === "number" && typeof o.units === "number" && typeof o.folds === "number" ? (e as unknown as Evaluation) : null;
}

const REASONS: Record<RouteReason, string> = {
  disagree: "machines disagree",
  low_confidence: "low confidence",
  failed: "a machine failed",
};

/** Why a unit is routed to people, in words. */
export function reasonsText(u: RoutedUnit): string {
  return u.reasons.map((r) => REASONS[r]).join(", ");
}

/** One machine's latest answer on a routed unit. */
export function routeAnswerText(a: RouteAnswer): string {
  if (a.status !== "ok") return `${a.rater}: failed`;
  return `${a.rater}: ${a.codes.length === 0 ? "(no code)" : a.codes.join(", ")} (${num(a.confidence)})`;
}

/** The routing list's heading. */
export function routingHead(r: Routing): string {
  const who = r.raters.length === 0 ? "no machine rater" : r.raters.join(", ");
  return `${r.units.length} of ${r.considered} units answered by ${who} to code first (confidence below ${r.below})`;
}

/** The typed confidence threshold, or why it is not one. */
export function thresholdFrom(text: string): { below: number } | { error: string } {
  const t = text.trim();
  const n = Number(t);
  if (t === "" || !Number.isFinite(n) || n < 0 || n > 1) return { error: `The confidence threshold must be a number from 0 to 1, not “${t}”` };
  return { below: n };
}
