import { describe, expect, it } from "vitest";
import { acceptSummary, choicesOf, consensusLine, mergeSummary, overridesEveryone, raterForKey, raterKey, sameCodes, unsettled } from "./reconcile";
import type { MergeReport, ReconcileItem } from "./generated/types";

const item: ReconcileItem = {
  unit: "o/n",
  dimension: "purpose",
  decisions: [
    { rater: "ana", codes: ["build", "test"], memo: "", flagged: false },
    { rater: "ben", codes: ["hosting"], memo: "serves", flagged: true },
  ],
  agree: false,
  consensus: null,
};

const merge = (over: Partial<MergeReport>): MergeReport => ({
  merged: true,
  same_study: true,
  handed_out_for: null,
  raters_added: [],
  codes_added: [],
  codes_updated: [],
  projects_added: [],
  snapshots_added: 0,
  units_added: 0,
  decisions_added: 0,
  decisions_replaced: 0,
  decisions_same: 0,
  evidence_added: 0,
  consensus_added: 0,
  history_added: 0,
  rounds_added: [],
  rounds_revealed: [],
  image_refs_added: 0,
  metrics_added: 0,
  machine_runs_added: 0,
  machine_answers_added: 0,
  machine_runs_left_out: 0,
  auto_consensus: 0,
  conflicts: [],
  flagged: [],
  ...over,
});

const conflict = (id: string, taken: "mine" | "theirs" | null = null) => ({
  id,
  kind: "decision",
  subject: "ana on o/n (kind)",
  mine: "model",
  theirs: "toolkit",
  mine_at: "",
  theirs_at: "",
  taken,
});

describe("reconcile rules", () => {
  it("compares code sets in any order", () => {
    expect(sameCodes(["a", "b"], ["b", "a"])).toBe(true);
    expect(sameCodes(["a"], ["a", "b"])).toBe(false);
  });

  it("knows when the chosen codes override every rater", () => {
    expect(overridesEveryone(item, ["test", "build"])).toBe(false);
    expect(overridesEveryone(item, ["hosting"])).toBe(false);
    expect(overridesEveryone(item, ["hosting", "build"])).toBe(true);
    expect(overridesEveryone(item, [])).toBe(true);
  });

  it("puts each rater's codes one key away", () => {
    expect([0, 1, 8, 9].map(raterKey)).toEqual(["1", "2", "9", null]);
    expect(raterForKey("2", 2)).toBe(1);
    expect(raterForKey("3", 2)).toBeNull();
    expect(raterForKey("0", 2)).toBeNull();
    expect(raterForKey("a", 2)).toBeNull();
  });

  it("summarises bulk acceptance and merges", () => {
    expect(acceptSummary({ accepted: [], already_decided: 2, not_met: 3, blinded: 1 })).toBe(
      "0 accepted, 3 where the rule does not hold, 2 already decided, 1 in unrevealed rounds",
    );
    expect(mergeSummary(merge({ raters_added: ["ben"], decisions_added: 4, decisions_same: 1 }))).toBe(
      "raters added: ben, 4 decisions added, 1 already here",
    );
    expect(mergeSummary(merge({ machine_runs_added: 1, machine_answers_added: 12 }))).toBe("0 decisions added, 1 machine runs added, 12 machine answers added");
    expect(mergeSummary(merge({ handed_out_for: "ana", machine_runs_left_out: 2 }))).toBe("0 decisions added, 2 machine runs left out (the copy was handed out for ana)");
    expect(mergeSummary(merge({ decisions_added: 2, rounds_added: ["pilot"], rounds_revealed: ["r50"], auto_consensus: 3 }))).toBe(
      "2 decisions added, rounds added: pilot, rounds revealed: r50, 3 automatic consensus (all raters agree)",
    );
    expect(mergeSummary(merge({ decisions_added: 1, decisions_replaced: 2, conflicts: [conflict("a", "theirs"), conflict("b", "mine")] }))).toBe(
      "1 decisions added, 2 replaced, 2 conflicts settled",
    );
  });

  it("lists unsettled conflicts and sends the choices picked", () => {
    const r = merge({ merged: false, conflicts: [conflict("decision:ana|o/n|kind"), conflict("consensus:o/n|kind", "mine")] });
    expect(unsettled(r).map((c) => c.id)).toEqual(["decision:ana|o/n|kind"]);
    expect(choicesOf({ "decision:ana|o/n|kind": "theirs", other: undefined })).toEqual([{ id: "decision:ana|o/n|kind", take: "theirs" }]);
  });

  it("words a stored consensus", () => {
    const c = { unit: "o/n", dimension: "kind", codes: ["model"], adjudicator: "lead", rationale: "ships weights", method: "decided", decided_at: "" };
    expect(consensusLine(c, (id) => id.toUpperCase())).toBe("MODEL — decided by lead: ships weights");
    expect(consensusLine({ ...c, adjudicator: "auto", method: "unanimous", rationale: "" })).toBe("model — automatic (all raters agree)");
    expect(consensusLine({ ...c, method: "majority", rationale: "" })).toBe("model — majority, accepted by lead");
  });
});
