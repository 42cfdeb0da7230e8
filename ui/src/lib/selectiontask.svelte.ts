// The selection's background steps (search, filter, accept, rerun) as the app sees them: which
// one runs, its progress, and what the last one said. Kept here, outside the screen, so leaving
// the Selection tab and coming back shows a step still running with its progress; the core's
// events are listened to once for the app's life.

import * as cmd from "./generated/commands";
import type { DriftReport, SelectProgress } from "./generated/types";
import { applyProgress, finishedLine, idleRun, type RunState } from "./selection";

/** The selection's background steps. */
export type SelectTask = "select_search" | "select_filter" | "select_accept" | "rerun_selection";

/** What runs and what the last step said; `finished` counts ends, so a screen reloads on it. */
export const selectionTask = $state<{
  running: SelectTask | null;
  progress: RunState;
  last: { ok: boolean; text: string } | null;
  drift: DriftReport | null;
  finished: number;
}>({ running: null, progress: idleRun(), last: null, drift: null, finished: 0 });

let listening: Promise<void> | null = null;

/** Listens to the four tasks' events (once; later calls wait for the same subscription). */
export function listenSelection(): Promise<void> {
  listening ??= (async () => {
    const progress = (task: SelectTask) => (e: SelectProgress) => {
      selectionTask.running = task;
      selectionTask.progress = applyProgress(selectionTask.progress, e);
    };
    const end = (kind: "search" | "filter" | "accept" | "rerun") => (f: Parameters<typeof finishedLine>[1]) => {
      selectionTask.running = null;
      selectionTask.last = finishedLine(kind, f);
      selectionTask.finished += 1;
    };
    await cmd.onSelectSearchProgress(progress("select_search"));
    await cmd.onSelectFilterProgress(progress("select_filter"));
    await cmd.onSelectAcceptProgress(progress("select_accept"));
    await cmd.onRerunSelectionProgress(progress("rerun_selection"));
    await cmd.onSelectSearchFinished(end("search"));
    await cmd.onSelectFilterFinished(end("filter"));
    await cmd.onSelectAcceptFinished(end("accept"));
    await cmd.onRerunSelectionFinished((f) => {
      if (f.error === null) selectionTask.drift = f.result;
      end("rerun")(f);
    });
  })();
  return listening;
}

/** Starts one step in the background: marks it running first (its own events may arrive
 * before the command's answer); says so when one of its kind already runs. */
export async function startSelectionTask(task: SelectTask, start: () => Promise<boolean>): Promise<void> {
  await listenSelection();
  selectionTask.running = task;
  selectionTask.progress = idleRun();
  selectionTask.last = null;
  try {
    if (!(await start())) selectionTask.last = { ok: false, text: "That step is already running" };
  } catch (e) {
    selectionTask.running = null;
    throw e;
  }
}
