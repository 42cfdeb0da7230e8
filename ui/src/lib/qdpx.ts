// REFI-QDA projects (.qdpx) in the app: the words for what an export wrote and for what an
// import would do (its dry run) or did. Which codings map to which decisions is the core's.

import type { QdpxExport, QdpxImport } from "./generated/types";

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What an export wrote, in one sentence, and what it had to leave out. */
export function qdpxExportSummary(e: QdpxExport): { text: string; left: string[] } {
  const text =
    `Wrote ${e.path}: ${count(e.users, "user")}, ${count(e.codes, "code")}, ${count(e.sources, "source")}, ` +
    `${count(e.cases, "case")}, ${count(e.codings, "coding")}, ${count(e.selections, "selection")}, ${count(e.notes, "note")}`;
  const left: string[] = [];
  if (e.withheld > 0) left.push(`${count(e.withheld, "decision")}, evidence or consensus of rounds not revealed yet left out (blind)`);
  if (e.decisions_without_codes > 0) left.push(`${count(e.decisions_without_codes, "decision")} without a code (REFI-QDA cannot carry them; their memos are notes)`);
  for (const x of e.evidence_not_found) left.push(`Evidence not found in its file's text: ${x}`);
  return { text, left };
}

/** What an import would do (dry run) or did, and everything it could not map. */
export function qdpxImportSummary(r: QdpxImport): { text: string; problems: string[] } {
  const parts = [
    `${count(r.decisions_created, "new decision")}`,
    `${r.decisions_updated} changed`,
    `${r.decisions_unchanged} unchanged`,
    `${count(r.evidence_added, "evidence quote")}`,
    `${count(r.memos, "memo")}`,
  ];
  if (r.consensus > 0) parts.push(`${count(r.consensus, "consensus decision")}`);
  if (r.raters_added.length > 0) parts.push(`new raters: ${r.raters_added.join(", ")}`);
  const text = `${r.dry_run ? "The import would bring" : "Imported"}: ${parts.join(", ")}`;
  const problems = [
    ...r.unmatched_sources.map((s) => `Source matching no project or unit: ${s}`),
    ...r.unknown_codes.map((c) => `Code not in the codebook: ${c}`),
    ...r.not_imported,
  ];
  return { text, problems };
}
