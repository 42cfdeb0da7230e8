// What a failed call says. Every command rejects with the core's ApiError ({ kind, message,
// what }); the screens show its message and branch on its kind for their buttons.

import type { ApiError, ErrorKind } from "./generated/types";

const KINDS: readonly ErrorKind[] = [
  "not_found",
  "invalid",
  "conflict",
  "blind",
  "needs_rationale",
  "incomplete",
  "no_study",
  "exists",
  "io",
  "cancelled",
  "internal",
];

/** Whether a rejection is the core's ApiError. */
export function isApiError(e: unknown): e is ApiError {
  if (typeof e !== "object" || e === null) return false;
  const x = e as Record<string, unknown>;
  return typeof x.message === "string" && typeof x.kind === "string" && (KINDS as readonly string[]).includes(x.kind);
}

/** The message to show for a rejection (the core's message as is, else whatever it was). */
export function message(e: unknown): string {
  if (isApiError(e)) return e.message;
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The kind of a rejection, or null when it is not the core's. */
export function kindOf(e: unknown): ErrorKind | null {
  return isApiError(e) ? e.kind : null;
}
