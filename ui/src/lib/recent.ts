// Recent studies for the start screen, newest first, kept in the webview's storage.

import type { KeyValue } from "./drafts";

/** The storage key of the list. */
export const RECENT_KEY = "codebench.recent";
/** How many studies the list keeps. */
export const MAX_RECENT = 10;

/** The recent studies, newest first (an unreadable list is an empty one). */
export function recentStudies(store: KeyValue): string[] {
  try {
    const v: unknown = JSON.parse(store.getItem(RECENT_KEY) ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

/** Puts `path` first in the list (once), keeping at most MAX_RECENT. */
export function rememberStudy(store: KeyValue, path: string): string[] {
  const list = [path, ...recentStudies(store).filter((p) => p !== path)].slice(0, MAX_RECENT);
  store.setItem(RECENT_KEY, JSON.stringify(list));
  return list;
}

/** Takes `path` off the list (a study that no longer opens). */
export function forgetStudy(store: KeyValue, path: string): string[] {
  const list = recentStudies(store).filter((p) => p !== path);
  store.setItem(RECENT_KEY, JSON.stringify(list));
  return list;
}
