// Assist on the coding screen: the machine raters' suggestions on the current unit, asked for by
// the rater (never shown unasked). The core refuses them on a unit of a round not revealed yet
// and records that they were shown, so the decision made next carries `suggested_by`.
import { codeName } from "./codes";
import type { Codebook, Suggestion, Suggestions } from "./generated/types";

/** What one dimension's request gave: the suggestions, or why there are none. */
export type DimensionSuggestions = { dimension: string; result: Suggestions } | { dimension: string; error: string };

/** One suggestion as a line: who, which codes, how sure. */
export function suggestionText(book: Codebook | null, dimension: string, s: Suggestion): string {
  const codes = s.codes.map((c) => codeName(book, dimension, c)).join(", ");
  return `${s.rater}: ${codes === "" ? "(no code)" : codes}${s.confidence === null ? "" : ` (${s.confidence.toFixed(2)})`}`;
}

/** What to say of a dimension's suggestions when there is no line to show, else null. */
export function emptyText(r: Suggestions): string | null {
  if (r.suggestions.length > 0) return null;
  if (r.failed.length > 0) return `${r.failed.join(", ")} failed on this unit: nothing to suggest`;
  return "no machine rater has answered on this unit";
}

/** The machine raters a decision made now is recorded as assisted by. */
export function assistedBy(all: DimensionSuggestions[]): string[] {
  const names = new Set<string>();
  for (const d of all) if ("result" in d && d.result.recorded) for (const s of d.result.suggestions) names.add(s.rater);
  return [...names].sort();
}
