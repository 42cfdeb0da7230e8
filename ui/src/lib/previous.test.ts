import { describe, expect, it } from "vitest";
import { changedBy, previousDockerfile } from "./previous";
import type { Decision, UnitInfo } from "./generated/types";

const proj = (project: string): UnitInfo => ({ name: project, kind: "project", project, path: null });
const df = (project: string, path: string): UnitInfo => ({ name: `${project}:${path}`, kind: "dockerfile", project, path });
const dec = (unit: string, dimension: string, codes: string[]): Decision => ({
  rater: "ana",
  unit,
  dimension,
  codes,
  memo: "",
  flagged: false,
  coded_at: "t",
  suggested_by: [],
});

const units: UnitInfo[] = [proj("o/a"), df("o/a", "Dockerfile"), df("o/a", "gpu/Dockerfile"), df("o/a", "cpu/Dockerfile"), proj("o/b"), df("o/b", "Dockerfile")];
const at = (i: number): UnitInfo => units[i] as UnitInfo;

describe("previousDockerfile", () => {
  it("takes the nearest earlier coded Dockerfile of the same project", () => {
    const mine = [dec("o/a:Dockerfile", "purpose", ["serve"]), dec("o/a:gpu/Dockerfile", "purpose", ["train"])];
    expect(previousDockerfile(units, at(3), mine, ["purpose"])?.unit.name).toBe("o/a:gpu/Dockerfile");
  });

  it("skips an earlier Dockerfile the rater has not coded", () => {
    const mine = [dec("o/a:Dockerfile", "purpose", ["serve"])];
    const p = previousDockerfile(units, at(3), mine, ["purpose"]);
    expect(p?.unit.name).toBe("o/a:Dockerfile");
    expect(p?.decisions.map((d) => d.codes)).toEqual([["serve"]]);
  });

  it("never crosses to another project, nor looks forward", () => {
    const mine = [dec("o/a:cpu/Dockerfile", "purpose", ["serve"])];
    expect(previousDockerfile(units, at(5), mine, ["purpose"])).toBeNull();
    expect(previousDockerfile(units, at(1), mine, ["purpose"])).toBeNull();
  });

  it("only copies the dimensions asked for, and nothing for a project unit", () => {
    const mine = [dec("o/a:Dockerfile", "kind", ["model"])];
    expect(previousDockerfile(units, at(2), mine, ["purpose"])).toBeNull();
    expect(previousDockerfile(units, at(0), mine, ["kind"])).toBeNull();
  });
});

describe("changedBy", () => {
  it("lists the decisions whose codes differ from the current ones", () => {
    const p = { unit: at(1), decisions: [dec("o/a:Dockerfile", "purpose", ["serve"]), dec("o/a:Dockerfile", "base", ["cuda"])] };
    const now: Record<string, string[]> = { purpose: ["serve"], base: [] };
    expect(changedBy(p, (d) => now[d] ?? []).map((d) => d.dimension)).toEqual(["base"]);
  });
});
