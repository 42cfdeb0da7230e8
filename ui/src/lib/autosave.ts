// Debounced saving: the memo is saved a moment after the last keystroke, and at once when the
// rater moves on, so nothing typed is lost.

/** A debounced call of an async function. */
export interface Debounced<A extends unknown[]> {
  /** Schedules a call with these arguments, replacing any scheduled one. */
  schedule(...args: A): void;
  /** Runs the scheduled call now, if any, and waits for it (and for one already running). */
  flush(): Promise<void>;
  /** Drops the scheduled call. */
  cancel(): void;
  /** Whether a call is scheduled. */
  readonly pending: boolean;
}

/** Timer functions, injectable for tests. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Debounces `fn` by `ms`. Calls never overlap: a call scheduled while one runs waits for it.
 * A failing call is reported to `onError` and does not stop later ones.
 */
export function debounce<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
  ms: number,
  onError: (e: unknown) => void,
  timers: Timers = realTimers,
): Debounced<A> {
  let handle: unknown = null;
  let args: A | null = null;
  let running: Promise<void> = Promise.resolve();

  const run = (): Promise<void> => {
    if (handle !== null) timers.clear(handle);
    handle = null;
    const a = args;
    args = null;
    if (a === null) return running;
    running = running.then(() => fn(...a)).catch(onError);
    return running;
  };

  return {
    schedule(...a: A) {
      args = a;
      if (handle !== null) timers.clear(handle);
      handle = timers.set(() => void run(), ms);
    },
    flush: run,
    cancel() {
      if (handle !== null) timers.clear(handle);
      handle = null;
      args = null;
    },
    get pending() {
      return args !== null;
    },
  };
}
