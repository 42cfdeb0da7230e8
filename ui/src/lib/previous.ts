// "Same codes as the previous Dockerfile of this project": near-identical Dockerfile variants
// (Dockerfile, Dockerfile.gpu, docker/hvd/Dockerfile.hvd-…) are often coded alike, so one key
// copies the rater's own decisions on the project's previous Dockerfile to the current one.
// Which unit is "previous" is a matter of reading order only (the study's unit list); what may
// be recorded is the core's to say when the decision is recorded.

import type { Decision, UnitInfo } from "./generated/types";

/** The unit to copy from and the decisions to copy, by dimension. */
export interface Previous {
  unit: UnitInfo;
  decisions: Decision[];
}

/**
 * The nearest Dockerfile unit of `current`'s project before it in `units` (the study's order)
 * on which the rater has a decision in one of `dimensions`, with those decisions. `null` when
 * `current` is not a Dockerfile unit or no earlier Dockerfile of the project is coded.
 */
export function previousDockerfile(units: UnitInfo[], current: UnitInfo, mine: Decision[], dimensions: string[]): Previous | null {
  if (current.kind !== "dockerfile") return null;
  const at = units.findIndex((u) => u.name === current.name);
  if (at < 0) return null;
  const wanted = new Set(dimensions);
  for (let i = at - 1; i >= 0; i--) {
    const u = units[i];
    if (u === undefined || u.kind !== "dockerfile" || u.project !== current.project) continue;
    const ds = mine.filter((d) => d.unit === u.name && wanted.has(d.dimension));
    if (ds.length > 0) return { unit: u, decisions: ds };
  }
  return null;
}

/** The dimensions whose codes differ between the current work and the decisions to copy. */
export function changedBy(prev: Previous, codesNow: (dimension: string) => string[]): Decision[] {
  return prev.decisions.filter((d) => {
    const now = codesNow(d.dimension);
    return now.length !== d.codes.length || now.some((c, i) => c !== d.codes[i]);
  });
}
