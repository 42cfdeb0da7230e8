import { describe, expect, it } from "vitest";
import { actionFor, type KeyPress } from "./keys";

const codeKeys = new Set(["1", "2", "3", "a"]);
const press = (key: string, more: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  inText: false,
  ...more,
});

describe("actionFor", () => {
  it("scrolls the pane by a page with PageDown, PageUp and Space, not on a button", () => {
    expect(actionFor(press("PageDown"), codeKeys)).toEqual({ type: "scroll", pages: 1 });
    expect(actionFor(press("PageUp"), codeKeys)).toEqual({ type: "scroll", pages: -1 });
    expect(actionFor(press(" "), codeKeys)).toEqual({ type: "scroll", pages: 1 });
    expect(actionFor(press(" ", { shiftKey: true }), codeKeys)).toEqual({ type: "scroll", pages: -1 });
    expect(actionFor(press(" ", { onControl: true }), codeKeys)).toBeNull();
    expect(actionFor(press(" ", { inText: true }), codeKeys)).toBeNull();
    expect(actionFor(press("PageDown", { inText: true }), codeKeys)).toBeNull();
  });

  it("maps the navigation keys", () => {
    expect(actionFor(press("ArrowDown"), codeKeys)).toEqual({ type: "next" });
    expect(actionFor(press("j"), codeKeys)).toEqual({ type: "next" });
    expect(actionFor(press("ArrowUp"), codeKeys)).toEqual({ type: "prev" });
    expect(actionFor(press("k"), codeKeys)).toEqual({ type: "prev" });
    expect(actionFor(press("Enter"), codeKeys)).toEqual({ type: "saveNext" });
  });

  it("maps code keys only when shown", () => {
    expect(actionFor(press("2"), codeKeys)).toEqual({ type: "code", key: "2" });
    expect(actionFor(press("a"), codeKeys)).toEqual({ type: "code", key: "a" });
    expect(actionFor(press("9"), codeKeys)).toBeNull();
    expect(actionFor(press("2", { altKey: true }), codeKeys)).toBeNull();
  });

  it("Ctrl+E attaches the selection as evidence, even from a text field", () => {
    expect(actionFor(press("e", { ctrlKey: true }), codeKeys)).toEqual({ type: "evidence" });
    expect(actionFor(press("e", { ctrlKey: true, inText: true }), codeKeys)).toEqual({ type: "evidence" });
    expect(actionFor(press("e"), codeKeys)).toBeNull();
  });

  it("undo is Ctrl+Z or Cmd+Z, but a text field keeps its own undo", () => {
    expect(actionFor(press("z", { ctrlKey: true }), codeKeys)).toEqual({ type: "undo" });
    expect(actionFor(press("Z", { metaKey: true }), codeKeys)).toEqual({ type: "undo" });
    expect(actionFor(press("z", { ctrlKey: true, inText: true }), codeKeys)).toBeNull();
  });

  it("redo is Ctrl+Shift+Z or Ctrl+Y, but a text field keeps its own redo", () => {
    expect(actionFor(press("Z", { ctrlKey: true, shiftKey: true }), codeKeys)).toEqual({ type: "redo" });
    expect(actionFor(press("y", { ctrlKey: true }), codeKeys)).toEqual({ type: "redo" });
    expect(actionFor(press("Z", { ctrlKey: true, shiftKey: true, inText: true }), codeKeys)).toBeNull();
    expect(actionFor(press("y", { ctrlKey: true, inText: true }), codeKeys)).toBeNull();
  });

  it("= copies the previous Dockerfile's codes, but is typed in a text field", () => {
    expect(actionFor(press("="), codeKeys)).toEqual({ type: "samePrevious" });
    expect(actionFor(press("=", { inText: true }), codeKeys)).toBeNull();
  });

  it("leaves typing in text fields alone", () => {
    for (const k of ["1", "j", "k", "/", "?", "Enter", "ArrowDown"]) {
      expect(actionFor(press(k, { inText: true }), codeKeys)).toBeNull();
    }
  });

  it("Escape, Ctrl+Enter and the Ctrl shortcuts work everywhere", () => {
    for (const inText of [false, true]) {
      expect(actionFor(press("Escape", { inText }), codeKeys)).toEqual({ type: "escape" });
      expect(actionFor(press("Enter", { ctrlKey: true, inText }), codeKeys)).toEqual({ type: "saveNext" });
      expect(actionFor(press("m", { ctrlKey: true, inText }), codeKeys)).toEqual({ type: "memo" });
      expect(actionFor(press("d", { ctrlKey: true, inText }), codeKeys)).toEqual({ type: "flag" });
      expect(actionFor(press("f", { ctrlKey: true, inText }), codeKeys)).toEqual({ type: "search" });
    }
    expect(actionFor(press("c", { ctrlKey: true }), codeKeys)).toBeNull();
  });

  it("slash filters the codes and ? shows the help", () => {
    expect(actionFor(press("/"), codeKeys)).toEqual({ type: "filterCodes" });
    expect(actionFor(press("?", { shiftKey: true }), codeKeys)).toEqual({ type: "help" });
  });
});
