import { describe, expect, it } from "vitest";
import { qdpxExportSummary, qdpxImportSummary } from "./qdpx";

describe("qdpxExportSummary", () => {
  it("counts what was written and lists what was left out", () => {
    const s = qdpxExportSummary({
      path: "/o/s.qdpx",
      users: 2,
      codes: 27,
      sources: 40,
      cases: 13,
      codings: 9,
      selections: 1,
      notes: 3,
      withheld: 0,
      decisions_without_codes: 1,
      evidence_not_found: ["ana o/n: README.md: gone"],
    });
    expect(s.text).toBe("Wrote /o/s.qdpx: 2 users, 27 codes, 40 sources, 13 cases, 9 codings, 1 selection, 3 notes");
    expect(s.left).toEqual([
      "1 decision without a code (REFI-QDA cannot carry them; their memos are notes)",
      "Evidence not found in its file's text: ana o/n: README.md: gone",
    ]);
  });
});

describe("qdpxImportSummary", () => {
  const r = {
    dry_run: true,
    raters_added: ["ana", "ben"],
    decisions_created: 5,
    decisions_updated: 0,
    decisions_unchanged: 0,
    evidence_added: 1,
    memos: 2,
    consensus: 0,
    unmatched_sources: ["other.txt"],
    unknown_codes: ["kind/robot"],
    not_imported: ["a selection of other.txt: its source is not a unit"],
  };
  it("says what a dry run would bring, and what cannot be mapped", () => {
    const s = qdpxImportSummary(r);
    expect(s.text).toBe("The import would bring: 5 new decisions, 0 changed, 0 unchanged, 1 evidence quote, 2 memos, new raters: ana, ben");
    expect(s.problems).toEqual(["Source matching no project or unit: other.txt", "Code not in the codebook: kind/robot", "a selection of other.txt: its source is not a unit"]);
  });
  it("says what an import did", () => {
    expect(qdpxImportSummary({ ...r, dry_run: false, raters_added: [] }).text).toMatch(/^Imported: 5 new decisions/);
  });
});
