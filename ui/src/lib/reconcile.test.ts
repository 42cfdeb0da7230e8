import { describe, expect, it } from "vitest";
import { acceptSummary, consensusError, mergeSummary, overridesEveryone, sameCodes, startingCodes, type QueueItem } from "./reconcile";

const item: QueueItem = {
  unit: "o/n",
  dimension: "purpose",
  decisions: [
    { rater: "ana", codes: ["build", "test"], memo: "", flagged: false },
    { rater: "ben", codes: ["hosting"], memo: "serves", flagged: true },
  ],
  agree: false,
  consensus: null,
};

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
  it("starts from the consensus, else the first rater", () => {
    expect(startingCodes(item)).toEqual(["build", "test"]);
    const decided = { ...item, consensus: { unit: "o/n", dimension: "purpose", codes: ["x"], adjudicator: "c", rationale: "", method: "decided", decided_at: "" } };
    expect(startingCodes(decided)).toEqual(["x"]);
  });
  it("summarises bulk acceptance and merges", () => {
    expect(acceptSummary({ accepted: [], already_decided: 2, not_met: 3, blinded: 0 })).toBe(
      "0 accepted, 3 where the rule does not hold, 2 already decided",
    );
    expect(
      mergeSummary({
        raters_added: ["ben"],
        projects_added: [],
        snapshots_added: 0,
        units_added: 0,
        decisions_added: 4,
        decisions_same: 1,
        consensus_added: 0,
        history_added: 4,
        rounds_added: [],
        rounds_revealed: [],
        auto_consensus: 0,
      }),
    ).toBe("raters added: ben, 4 decisions added, 1 already here");
    expect(
      mergeSummary({
        raters_added: [],
        projects_added: [],
        snapshots_added: 0,
        units_added: 0,
        decisions_added: 2,
        decisions_same: 0,
        consensus_added: 0,
        history_added: 2,
        rounds_added: ["pilot"],
        rounds_revealed: ["r50"],
        auto_consensus: 3,
      }),
    ).toBe("2 decisions added, rounds added: pilot, rounds revealed: r50, 3 automatic consensus (all raters agree)");
  });
});

describe("consensusError", () => {
  it("points at the rationale box instead of the CLI flag", () => {
    expect(consensusError("consensus [model] on 'o/n' (kind) overrides every rater (ana [x]); give the reason with --why")).toBe(
      "consensus [model] on 'o/n' (kind) overrides every rater (ana [x]); write the reason in the Rationale box",
    );
    expect(consensusError("unknown unit")).toBe("unknown unit");
  });
});
