// Memo drafts kept in the webview's storage the moment they are typed: a memo on a unit whose
// code is not chosen yet (a one-code dimension cannot be saved without its code) waits here,
// and any memo survives a crash between a keystroke and its save.

/** The storage the drafts live in (`localStorage` in the app, a map in tests). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function key(study: string, rater: string, unit: string, dimension: string): string {
  return `codebench.memo\u0000${study}\u0000${rater}\u0000${unit}\u0000${dimension}`;
}

/** Drafts of memos for one study and rater. */
export class Drafts {
  constructor(
    private readonly store: KeyValue,
    private readonly study: string,
    private readonly rater: string,
  ) {}

  /** The unsaved memo of a decision, if any. */
  get(unit: string, dimension: string): string | null {
    return this.store.getItem(key(this.study, this.rater, unit, dimension));
  }

  /** Keeps a memo until it is saved. */
  set(unit: string, dimension: string, memo: string): void {
    this.store.setItem(key(this.study, this.rater, unit, dimension), memo);
  }

  /** Forgets a memo once the study holds it. */
  saved(unit: string, dimension: string): void {
    this.store.removeItem(key(this.study, this.rater, unit, dimension));
  }
}

/** The key under which the last rater of a study is remembered. */
export function lastRaterKey(study: string): string {
  return `codebench.lastRater\u0000${study}`;
}
