// The jobs screen's rules: the core's metrics jobs, their progress events, and what can be
// done to each.

import type { Finished } from "./generated/commands";
import type { Enqueued, Job, JobEvent, RunSummary } from "./generated/types";

/** The list with one job replaced by its newer state (added when new). */
export function applyEvent(list: readonly Job[], e: JobEvent): Job[] {
  const i = list.findIndex((j) => j.id === e.job.id);
  if (i < 0) return [...list, e.job];
  const out = [...list];
  out[i] = e.job;
  return out;
}

/** Jobs per state, for the header ("12 done, 1 failed"). */
export function tally(list: readonly Job[]): string {
  const order: Job["state"][] = ["running", "queued", "done", "failed", "cancelled"];
  const n = (s: Job["state"]) => list.filter((j) => j.state === s).length;
  const parts = order.filter((s) => n(s) > 0).map((s) => `${n(s)} ${s}`);
  return parts.length === 0 ? "no jobs yet" : parts.join(", ");
}

/** Whether a job can be cancelled (queued, running or failed) or retried (failed, cancelled). */
export const canCancel = (j: Job) => j.state === "queued" || j.state === "running" || j.state === "failed";
export const canRetry = (j: Job) => j.state === "failed" || j.state === "cancelled";

/** A kind in words. */
export function kindName(k: Job["kind"]): string {
  return k === "dockerfile_metrics" ? "Dockerfile metrics" : "Image metrics";
}

/** One line about what queuing metrics did. */
export function enqueuedSummary(e: Enqueued): string {
  const parts: string[] = [];
  if (e.dockerfiles_analysed > 0) parts.push(`${e.dockerfiles_analysed} Dockerfile${e.dockerfiles_analysed === 1 ? "" : "s"} analysed`);
  parts.push(`${e.jobs_queued} job${e.jobs_queued === 1 ? "" : "s"} queued`);
  return parts.join(", ");
}

/** One line about a finished run. */
export function finishedSummary(f: Finished<RunSummary>): string {
  if (f.error !== null) return `The run stopped: ${f.error.message}`;
  const s = f.result;
  const counts: [string, number][] = [
    ["done", s.done],
    ["failed", s.failed],
    ["cancelled", s.cancelled],
    ["waiting", s.waiting],
  ];
  const parts = counts.filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  return `Run finished: ${parts.length === 0 ? "nothing to do" : parts.join(", ")}`;
}
