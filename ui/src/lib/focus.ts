// A unit one screen asks another to open: the agreement screen's confusion cells open their
// units on the reconcile screen. Taken once, so a later visit opens the queue as usual.

/** The unit (and its dimension) the reconcile screen should open next. */
export interface ReconcileFocus {
  dimension: string;
  unit: string;
}

let pending: ReconcileFocus | null = null;

/** Asks the reconcile screen to open `focus` when it is shown next. */
export function focusReconcile(focus: ReconcileFocus): void {
  pending = focus;
}

/** The unit asked for, once; `null` when none was. */
export function takeReconcileFocus(): ReconcileFocus | null {
  const f = pending;
  pending = null;
  return f;
}
