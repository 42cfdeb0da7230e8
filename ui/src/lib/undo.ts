// The undo stack of the coding screen: each entry is one change to one decision with the value
// before it, so undoing re-records that value, or clears the decision when there was none. What
// was undone waits on a redo stack: redoing re-records the value after the change. A new change
// made by the rater forgets what could be redone (as in every editor).

import type { Decision, DecisionInput } from "./generated/types";

/** One change to a decision. */
export interface Change {
  rater: string;
  unit: string;
  dimension: string;
  /** The decision before the change; `null` when the change created it. */
  before: Decision | null;
  /** The decision after the change. */
  after: Decision;
  /**
   * Changes with the same tag on the same decision, one right after the other, merge into one
   * entry (typing a memo is saved many times but undone at once).
   */
  merge?: string;
}

/** How to undo a change: the call to make. */
export type UndoPlan =
  | { kind: "clear"; rater: string; unit: string; dimension: string }
  | { kind: "record"; input: DecisionInput };

/** The plan that restores the state before `change`. */
export function planUndo(change: Change): UndoPlan {
  const { rater, unit, dimension, before } = change;
  if (before === null) return { kind: "clear", rater, unit, dimension };
  return {
    kind: "record",
    input: { rater, unit, dimension, codes: [...before.codes], memo: before.memo, flagged: before.flagged },
  };
}

/** How to redo an undone change: record the value it had made. */
export function planRedo(change: Change): DecisionInput {
  const { rater, unit, dimension, after } = change;
  return { rater, unit, dimension, codes: [...after.codes], memo: after.memo, flagged: after.flagged };
}

function sameDecision(a: Change, b: Change): boolean {
  return a.rater === b.rater && a.unit === b.unit && a.dimension === b.dimension;
}

function sameValue(a: Decision | null, b: Decision): boolean {
  return (
    a !== null &&
    a.memo === b.memo &&
    a.flagged === b.flagged &&
    a.codes.length === b.codes.length &&
    a.codes.every((c, i) => c === b.codes[i])
  );
}

/** A bounded stack of changes, newest last. */
export class UndoStack {
  private entries: Change[] = [];
  private undone: Change[] = [];

  constructor(private readonly limit = 500) {}

  /**
   * Adds a change the rater made; a change that changed nothing is ignored, a mergeable one
   * merges. Anything undone before it can no longer be redone.
   */
  push(change: Change): void {
    if (sameValue(change.before, change.after)) return;
    this.undone = [];
    this.add(change);
  }

  /** Puts back a change whose undo failed, keeping what can be redone. */
  restore(change: Change): void {
    this.entries.push(change);
  }

  /** Remembers a change that was just undone, for redo. */
  pushUndone(change: Change): void {
    this.undone.push(change);
    if (this.undone.length > this.limit) this.undone.shift();
  }

  /** Removes and returns the newest undone change. */
  popUndone(): Change | undefined {
    return this.undone.pop();
  }

  /** Adds a change made by redo: it can be undone again, and older undone changes stay. */
  pushRedone(change: Change): void {
    if (sameValue(change.before, change.after)) return;
    this.add({ ...change, merge: undefined });
  }

  /** How many undone changes can be redone. */
  get redoable(): number {
    return this.undone.length;
  }

  private add(change: Change): void {
    const top = this.entries[this.entries.length - 1];
    if (top !== undefined && change.merge !== undefined && top.merge === change.merge && sameDecision(top, change)) {
      top.after = change.after;
      if (sameValue(top.before, top.after)) this.entries.pop();
      return;
    }
    this.entries.push({ ...change });
    if (this.entries.length > this.limit) this.entries.shift();
  }

  /** The newest change, without removing it. */
  peek(): Change | undefined {
    return this.entries[this.entries.length - 1];
  }

  /** Removes and returns the newest change. */
  pop(): Change | undefined {
    return this.entries.pop();
  }

  /** How many changes can be undone. */
  get size(): number {
    return this.entries.length;
  }

  /** Forgets every change (another rater starts coding). */
  clear(): void {
    this.entries = [];
    this.undone = [];
  }
}
