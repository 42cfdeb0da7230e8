// The rounds screen's rules: the create form into the core's request (checked as far as the
// form can: the core checks the rest), and rounds and their progress in words.

import type { CreateRound, JsonValue, RoundInfo } from "./generated/types";

/** How the size of a new round is given. */
export type SizeBy = "fraction" | "size" | "plan";

/** The create form as typed. */
export interface RoundForm {
  name: string;
  sizeBy: SizeBy;
  /** A share: `0.5`, `.5` or `50%`. */
  fraction: string;
  size: string;
  /** The planned width of the κ confidence interval. */
  width: string;
  /** The κ the raters are expected to reach. */
  kappa: string;
  /** The interval's confidence level ("" for the core's 0.95). */
  confidence: string;
  dimension: string;
  stratify: string;
  seed: string;
  extend: string;
}

export const emptyForm = (): RoundForm => ({
  name: "",
  sizeBy: "fraction",
  fraction: "50%",
  size: "",
  width: "0.3",
  kappa: "0.7",
  confidence: "",
  dimension: "",
  stratify: "",
  seed: "",
  extend: "",
});

/** A share as typed (`50%`, `0.5`), or null. */
export function parseShare(text: string): number | null {
  const t = text.trim();
  const pct = t.endsWith("%");
  const n = Number(pct ? t.slice(0, -1).trim() : t);
  if (t === "" || !Number.isFinite(n)) return null;
  return pct ? n / 100 : n;
}

function parseNumber(text: string): number | null {
  const t = text.trim();
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function parseWhole(text: string): number | null {
  const n = parseNumber(text);
  return n !== null && Number.isInteger(n) && n >= 0 ? n : null;
}

/** The request the form asks for, or what is wrong with it. */
export function createRequest(f: RoundForm, by: string): { request: CreateRound } | { error: string } {
  const name = f.name.trim();
  if (name === "") return { error: "Name the round (e.g. r50)" };
  const request: CreateRound = { name, by };
  if (f.sizeBy === "fraction") {
    const x = parseShare(f.fraction);
    if (x === null || x <= 0 || x > 1) return { error: `The share “${f.fraction}” is not between 0 and 100%` };
    request.fraction = x;
  } else if (f.sizeBy === "size") {
    const n = parseWhole(f.size);
    if (n === null || n === 0) return { error: `The size “${f.size}” is not a whole number of units` };
    request.size = n;
  } else {
    const w = parseNumber(f.width);
    const k = parseNumber(f.kappa);
    if (w === null || w <= 0) return { error: `The interval width “${f.width}” is not a positive number` };
    if (k === null) return { error: `The expected κ “${f.kappa}” is not a number` };
    if (f.dimension === "") return { error: "Planning by interval width needs the round's dimension" };
    request.plan_width = w;
    request.expected_kappa = k;
    if (f.confidence.trim() !== "") {
      const c = parseShare(f.confidence);
      if (c === null || c <= 0 || c >= 1) return { error: `The confidence “${f.confidence}” is not between 0 and 100%` };
      request.confidence = c;
    }
  }
  if (f.dimension !== "") request.dimension = f.dimension;
  if (f.stratify !== "") request.stratify = f.stratify;
  if (f.extend !== "") request.extend = f.extend;
  if (f.seed.trim() !== "") {
    const s = parseWhole(f.seed);
    if (s === null || s > Number.MAX_SAFE_INTEGER) return { error: `The seed “${f.seed}” is not a whole number` };
    request.seed = s;
  }
  return { request };
}

/** Each assigned rater's progress, e.g. "alice 3/6 · bob 0/6". */
export function progressLine(r: Pick<RoundInfo, "raters">): string {
  return r.raters.map((p) => `${p.rater} ${p.decided}/${p.total}`).join(" · ") || "no raters assigned";
}

/** Whether every assigned rater decided everything (a round can then be revealed). */
export function complete(r: Pick<RoundInfo, "raters">): boolean {
  return r.raters.length > 0 && r.raters.every((p) => p.decided >= p.total);
}

/** How the size was chosen, from the stored plan, in words (empty when it says nothing). */
export function planLine(plan: JsonValue): string {
  const obj = (v: JsonValue | undefined): { [k in string]: JsonValue } | null =>
    v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v) ? v : null;
  const p = obj(plan);
  if (p === null) return "";
  const parts: string[] = [];
  if (typeof p.fraction === "number") parts.push(`${Math.round(p.fraction * 1000) / 10}% of the units`);
  if (typeof p.size === "number") parts.push(`${p.size} units asked for`);
  const planned = obj(p.plan);
  if (planned !== null) {
    const c = typeof planned.confidence === "number" ? ` (${Math.round(planned.confidence * 100)}% confidence)` : "";
    parts.push(`sized for a κ interval ${String(planned.width)} wide at κ ${String(planned.expected_kappa)}${c}: ${String(planned.planned)} units`);
  }
  const strata = obj(p.strata);
  if (strata !== null && typeof strata.by === "string") parts.push(`stratified by ${strata.by}`);
  if (typeof p.pool === "number") parts.push(`drawn from ${p.pool}`);
  return parts.join(", ");
}
