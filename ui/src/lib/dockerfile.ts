// The compact summary of a Dockerfile's analysis shown beside it: stages and their base images,
// instruction counts, the RUN share and categories, hygiene findings and parse problems.

import type { Analysis, BaseImage, Stage } from "./generated/types";

/** The parts of the core's analysis the summary reads. */
export type SummaryInput = Pick<
  Analysis,
  "counts" | "run_categories" | "errors" | "warnings" | "hygiene" | "partial" | "multi_stage" | "exposed_ports" | "non_root_user"
> & {
  run: Pick<Analysis["run"], "instructions" | "commands">;
  stages: Array<Pick<Stage, "index" | "name" | "line" | "base_type"> & { base: Pick<BaseImage, "resolved" | "text"> }>;
};

/** One stage as summarised: its base image and the base image's type. */
export interface StageRow {
  index: number;
  name: string | null;
  line: number;
  base: string;
  baseType: string;
}

/** One finding or problem with the line it is on (null when it concerns the whole file). */
export interface LineNote {
  kind: "error" | "warning" | "hygiene";
  line: number | null;
  label: string;
  message: string;
}

/** What the panel shows. */
export interface Summary {
  stages: StageRow[];
  instructions: number;
  runInstructions: number;
  /** RUN instructions over all instructions, 0 to 1 (0 when there are no instructions). */
  runShare: number;
  runCommands: number;
  /** RUN categories with a count above zero, most frequent first, then by name. */
  runCategories: [string, number][];
  notes: LineNote[];
  partial: boolean;
  multiStage: boolean;
  exposedPorts: string[];
  nonRootUser: boolean;
}

/** The type shown for a base image the type table does not know. */
export const UNKNOWN_TYPE = "unclassified";

/** Summarises an analysis for the panel. */
export function summarize(a: SummaryInput): Summary {
  const instructions = Object.values(a.counts).reduce((s, n) => s + n, 0);
  const runInstructions = a.run.instructions;
  const runCategories = Object.entries(a.run_categories)
    .filter(([, n]) => n > 0)
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  const notes: LineNote[] = [
    ...a.errors.map((d): LineNote => ({ kind: "error", line: d.line, label: "error", message: d.message })),
    ...a.warnings.map((d): LineNote => ({ kind: "warning", line: d.line, label: "warning", message: d.message })),
    ...a.hygiene.map((f): LineNote => ({ kind: "hygiene", line: f.line, label: f.rule, message: f.message })),
  ];
  const rank = { error: 0, warning: 1, hygiene: 2 };
  notes.sort((x, y) => rank[x.kind] - rank[y.kind] || (x.line ?? 0) - (y.line ?? 0));
  return {
    stages: a.stages.map((s) => ({
      index: s.index,
      name: s.name,
      line: s.line,
      base: s.base.resolved || s.base.text,
      baseType: s.base_type ?? UNKNOWN_TYPE,
    })),
    instructions,
    runInstructions,
    runShare: instructions === 0 ? 0 : runInstructions / instructions,
    runCommands: a.run.commands,
    runCategories,
    notes,
    partial: a.partial,
    multiStage: a.multi_stage,
    exposedPorts: a.exposed_ports,
    nonRootUser: a.non_root_user,
  };
}

/** A share as a whole percentage, e.g. 0.3125 → "31%". */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
