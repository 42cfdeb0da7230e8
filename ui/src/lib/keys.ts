// Keyboard handling of the coding screen: from a key event to one action. Kept free of the DOM
// so the rules are tested without a browser.

/** What a key press asks for. */
export type Action =
  | { type: "next" }
  | { type: "prev" }
  | { type: "saveNext" }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "samePrevious" }
  | { type: "code"; key: string }
  | { type: "filterCodes" }
  | { type: "memo" }
  | { type: "flag" }
  | { type: "search" }
  | { type: "help" }
  | { type: "evidence" }
  | { type: "suggest" }
  | { type: "scroll"; pages: 1 | -1 }
  | { type: "escape" };

/** The parts of a keyboard event the rules look at. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  /** The focus is in a text field (search, code filter, memo, rater name). */
  inText: boolean;
  /** The focus is on a control Space presses (a button, a check box, a link). */
  onControl?: boolean;
}

/** The shortcuts as the help bar lists them. */
export const SHORTCUTS: [string, string][] = [
  ["1–9, 0, a–z", "pick / toggle the code with that key"],
  ["Enter", "save and go to the next unit"],
  ["↓ / j, ↑ / k", "next / previous unit"],
  ["Ctrl+Z", "undo the last change"],
  ["Ctrl+Shift+Z / Ctrl+Y", "redo what was undone"],
  ["=", "same codes as the previous Dockerfile of this project (yours)"],
  ["/", "filter the codes"],
  ["Ctrl+M", "write a memo"],
  ["Ctrl+D", "flag for discussion"],
  ["Ctrl+F", "search the queue"],
  ["Ctrl+E", "attach the selected text to a code"],
  ["Ctrl+G", "show the machine raters' suggestions (your decision records it; never in a round not revealed yet)"],
  ["PageDown / Space, PageUp / Shift+Space", "scroll the README or the Dockerfile"],
  ["Esc", "leave a text field"],
  ["?", "show or hide this help"],
];

/**
 * The action of a key press, or `null` to leave the key to the focused element. In a text
 * field only Escape, Ctrl+Enter (save and next) and the Ctrl shortcuts that are not text editing
 * act; Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y stay the field's own undo and redo there. Elsewhere, code keys are those in `codeKeys`.
 */
export function actionFor(e: KeyPress, codeKeys: ReadonlySet<string>): Action | null {
  const mod = e.ctrlKey || e.metaKey;
  if (e.key === "Escape") return { type: "escape" };
  if (mod && !e.altKey) {
    const k = e.key.toLowerCase();
    if (k === "enter") return { type: "saveNext" };
    if (k === "m") return { type: "memo" };
    if (k === "d") return { type: "flag" };
    if (k === "f") return { type: "search" };
    if (k === "e") return { type: "evidence" };
    if (k === "g") return { type: "suggest" };
    if (k === "z" && !e.shiftKey && !e.inText) return { type: "undo" };
    if (((k === "z" && e.shiftKey) || (k === "y" && !e.shiftKey)) && !e.inText) return { type: "redo" };
    return null;
  }
  if (e.inText) return null;
  if (e.altKey) return null;
  switch (e.key) {
    case "Enter":
      return { type: "saveNext" };
    case "ArrowDown":
    case "j":
      return { type: "next" };
    case "ArrowUp":
    case "k":
      return { type: "prev" };
    case "/":
      return { type: "filterCodes" };
    case "?":
      return { type: "help" };
    case "=":
      return { type: "samePrevious" };
    case "PageDown":
      return { type: "scroll", pages: 1 };
    case "PageUp":
      return { type: "scroll", pages: -1 };
    case " ":
      return e.onControl === true ? null : { type: "scroll", pages: e.shiftKey ? -1 : 1 };
  }
  if (e.key.length === 1 && codeKeys.has(e.key)) return { type: "code", key: e.key };
  return null;
}
