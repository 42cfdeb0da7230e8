// The jobs screen's rules: the core's metrics jobs, their progress events, and what can be
// done to each.

/** A metrics job (`codebench::jobs::Job`). */
export interface Job {
  id: number;
  kind: "dockerfile_metrics" | "image_metrics";
  target: string;
  state: "queued" | "running" | "done" | "failed" | "cancelled";
  progress: number;
  attempts: number;
  error: string | null;
  retryable: boolean;
  not_before: string | null;
  created_at: string;
  updated_at: string;
}

/** A progress event of a run (`codebench::jobs::JobEvent`). */
export interface JobEvent {
  job: Job;
  layers_analysed: number;
  layers_reused: number;
  note: string;
}

/** What a run did (`codebench::jobs::RunSummary`), or why it stopped. */
export interface JobsFinished {
  summary: Record<string, number> | null;
  error: string | null;
}

/** The list with one job replaced by its newer state (added when new). */
export function applyEvent(list: Job[], e: JobEvent): Job[] {
  const i = list.findIndex((j) => j.id === e.job.id);
  if (i < 0) return [...list, e.job];
  const out = [...list];
  out[i] = e.job;
  return out;
}

/** Jobs per state, for the header ("12 done, 1 failed"). */
export function tally(list: Job[]): string {
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

/** One line about a finished run. */
export function finishedSummary(f: JobsFinished): string {
  if (f.error !== null) return `The run stopped: ${f.error}`;
  const s = f.summary ?? {};
  const parts = ["done", "failed", "cancelled", "waiting"].filter((k) => (s[k] ?? 0) > 0).map((k) => `${s[k]} ${k}`);
  return `Run finished: ${parts.length === 0 ? "nothing to do" : parts.join(", ")}`;
}
