import { describe, expect, it } from "vitest";
import { applyEvent, canCancel, canRetry, enqueuedSummary, finishedSummary, kindName, tally } from "./jobs";
import type { Job, RunSummary } from "./generated/types";

const job = (id: number, state: Job["state"], progress = 0): Job => ({
  id,
  kind: "dockerfile_metrics",
  target: `o/p${id}`,
  state,
  progress,
  attempts: 0,
  error: null,
  retryable: false,
  not_before: null,
  created_at: "",
  updated_at: "",
});

const run = (over: Partial<RunSummary>): RunSummary => ({
  done: 0,
  failed: 0,
  cancelled: 0,
  waiting: 0,
  resumed: 0,
  layers_analysed: 0,
  layers_reused: 0,
  ...over,
});

describe("jobs rules", () => {
  it("applies a progress event to the list", () => {
    const list = [job(1, "queued"), job(2, "queued")];
    const next = applyEvent(list, { job: job(2, "running", 0.5), layers_analysed: 1, layers_reused: 0, note: "layer" });
    expect(next.map((j) => [j.id, j.state, j.progress])).toEqual([
      [1, "queued", 0],
      [2, "running", 0.5],
    ]);
    expect(list[1]?.state).toBe("queued");
    expect(applyEvent(list, { job: job(3, "running"), layers_analysed: 0, layers_reused: 0, note: "started" })).toHaveLength(3);
  });

  it("tallies states and says what can be done", () => {
    expect(tally([])).toBe("no jobs yet");
    expect(tally([job(1, "done"), job(2, "failed"), job(3, "done"), job(4, "running")])).toBe("1 running, 2 done, 1 failed");
    expect([canCancel(job(1, "running")), canCancel(job(1, "done")), canRetry(job(1, "failed")), canRetry(job(1, "queued"))]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(kindName("image_metrics")).toBe("Image metrics");
  });

  it("says what queuing did", () => {
    expect(enqueuedSummary({ dockerfiles_analysed: 37, jobs_queued: 2, kinds: ["image_metrics"], project: null, held: false })).toBe(
      "37 Dockerfiles analysed, 2 jobs queued",
    );
    expect(enqueuedSummary({ dockerfiles_analysed: 0, jobs_queued: 1, kinds: [], project: null, held: false })).toBe("1 job queued");
  });

  it("summarises a finished run", () => {
    expect(finishedSummary({ result: run({ done: 12 }), error: null })).toBe("Run finished: 12 done");
    expect(finishedSummary({ result: run({}), error: null })).toBe("Run finished: nothing to do");
    expect(finishedSummary({ result: null, error: { kind: "io", message: "database is locked" } })).toBe("The run stopped: database is locked");
  });
});
