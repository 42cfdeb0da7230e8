// How the reader splits its height between the README and the Dockerfile, chosen per unit
// kind and remembered: a project unit is read from its README (full height by default), a
// Dockerfile unit from its Dockerfile (with the README below).

import type { KeyValue } from "./drafts";

/** The README alone, both, or the Dockerfile alone. */
export type Layout = "readme" | "split" | "dockerfile";

export const LAYOUTS: readonly { value: Layout; label: string }[] = [
  { value: "readme", label: "README" },
  { value: "split", label: "Both" },
  { value: "dockerfile", label: "Dockerfile" },
];

const key = (kind: string) => `codebench.layout.${kind}`;

/** The default of a kind: a project unit shows its README, a Dockerfile unit both. */
export const defaultLayout = (kind: string): Layout => (kind === "project" ? "readme" : "split");

/** The layout remembered for a kind (the default when none, or an unknown value, is kept). */
export function loadLayout(store: KeyValue, kind: string): Layout {
  const v = store.getItem(key(kind));
  return LAYOUTS.some((l) => l.value === v) ? (v as Layout) : defaultLayout(kind);
}

/** Remembers a kind's layout. */
export function saveLayout(store: KeyValue, kind: string, layout: Layout): void {
  store.setItem(key(kind), layout);
}
