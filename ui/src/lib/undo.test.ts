import { describe, expect, it } from "vitest";
import { planRedo, planUndo, UndoStack, type Change } from "./undo";
import type { Decision } from "./generated/types";

const d = (codes: string[], memo = "", flagged = false): Decision => ({
  rater: "ana",
  unit: "o/n",
  dimension: "kind",
  codes,
  memo,
  flagged,
  coded_at: "t",
  suggested_by: [],
});
const change = (before: Decision | null, after: Decision, merge?: string, unit = "o/n"): Change => ({
  rater: "ana",
  unit,
  dimension: "kind",
  before,
  after,
  merge,
});

describe("planUndo", () => {
  it("clears a decision the change created", () => {
    expect(planUndo(change(null, d(["model"])))).toEqual({
      kind: "clear",
      rater: "ana",
      unit: "o/n",
      dimension: "kind",
    });
  });

  it("re-records the previous value, memo and flag included", () => {
    expect(planUndo(change(d(["toolkit"], "m", true), d(["model"])))).toEqual({
      kind: "record",
      input: { rater: "ana", unit: "o/n", dimension: "kind", codes: ["toolkit"], memo: "m", flagged: true },
    });
  });
});

describe("UndoStack", () => {
  it("undoes newest first", () => {
    const s = new UndoStack();
    s.push(change(null, d(["model"])));
    s.push(change(d(["model"]), d(["toolkit"])));
    expect(s.size).toBe(2);
    expect(s.pop()?.after.codes).toEqual(["toolkit"]);
    expect(s.pop()?.after.codes).toEqual(["model"]);
    expect(s.pop()).toBeUndefined();
  });

  it("ignores changes that changed nothing", () => {
    const s = new UndoStack();
    s.push(change(d(["model"]), d(["model"])));
    expect(s.size).toBe(0);
  });

  it("merges a run of memo saves on one decision, keeping the first value before", () => {
    const s = new UndoStack();
    s.push(change(d(["model"]), d(["model"], "h"), "memo"));
    s.push(change(d(["model"], "h"), d(["model"], "he"), "memo"));
    s.push(change(d(["model"], "he"), d(["model"], "hello"), "memo"));
    expect(s.size).toBe(1);
    expect(s.peek()?.before?.memo).toBe("");
    expect(s.peek()?.after.memo).toBe("hello");
  });

  it("a memo typed and erased again leaves nothing to undo", () => {
    const s = new UndoStack();
    s.push(change(d(["model"]), d(["model"], "x"), "memo"));
    s.push(change(d(["model"], "x"), d(["model"]), "memo"));
    expect(s.size).toBe(0);
  });

  it("does not merge across decisions or with other kinds of change", () => {
    const s = new UndoStack();
    s.push(change(d(["model"]), d(["model"], "a"), "memo"));
    s.push(change(d(["model"]), d(["model"], "b"), "memo", "o/other"));
    s.push(change(d(["model"], "b"), d(["toolkit"], "b")));
    s.push(change(d(["toolkit"], "b"), d(["toolkit"], "bc"), "memo"));
    expect(s.size).toBe(4);
  });

  it("forgets the oldest beyond its limit, and can be cleared", () => {
    const s = new UndoStack(2);
    s.push(change(null, d(["a"])));
    s.push(change(d(["a"]), d(["b"])));
    s.push(change(d(["b"]), d(["c"])));
    expect(s.size).toBe(2);
    expect(s.pop()?.after.codes).toEqual(["c"]);
    expect(s.pop()?.after.codes).toEqual(["b"]);
    s.push(change(null, d(["a"])));
    s.clear();
    expect(s.size).toBe(0);
  });
});

describe("redo", () => {
  it("re-records what was undone, and a new change forgets it", () => {
    const s = new UndoStack();
    const c = change(null, d(["model"]));
    s.push(c);
    const undone = s.pop();
    expect(undone).toBeDefined();
    s.pushUndone(undone as Change);
    expect(s.redoable).toBe(1);
    const again = s.popUndone() as Change;
    expect(planRedo(again)).toEqual({ rater: "ana", unit: "o/n", dimension: "kind", codes: ["model"], memo: "", flagged: false });
    s.pushRedone({ ...again, before: null });
    expect(s.size).toBe(1);
    s.pushUndone(s.pop() as Change);
    s.push(change(null, d(["data"])));
    expect(s.redoable).toBe(0);
  });

  it("a redo keeps older undone changes redoable", () => {
    const s = new UndoStack();
    s.push(change(null, d(["model"])));
    s.push(change(d(["model"]), d(["data"])));
    s.pushUndone(s.pop() as Change);
    s.pushUndone(s.pop() as Change);
    s.pushRedone(s.popUndone() as Change);
    expect(s.redoable).toBe(1);
    expect(s.size).toBe(1);
  });
});
