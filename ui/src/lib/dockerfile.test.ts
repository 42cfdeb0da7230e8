import { describe, expect, it } from "vitest";
import { percent, summarize, UNKNOWN_TYPE } from "./dockerfile";
import type { SummaryInput } from "./dockerfile";

const base = (resolved: string) => ({ text: resolved, resolved, name: null, tag: null, variable: false, stage: null });

const firstStage = { index: 0, name: "build", line: 3, base: base("python:3.11-slim"), base_type: "Language Runtime" };

// The analysis of sample/lumen-labs/tinyserve/Dockerfile, trimmed to the fields used.
const tinyserve: SummaryInput = {
  counts: { CMD: 1, COPY: 3, ENTRYPOINT: 1, ENV: 1, EXPOSE: 1, FROM: 2, HEALTHCHECK: 1, LABEL: 1, RUN: 5, USER: 1, VOLUME: 1, WORKDIR: 2 },
  stages: [
    firstStage,
    { index: 1, name: null, line: 14, base: base("python:3.11-slim"), base_type: "Language Runtime" },
  ],
  multi_stage: true,
  partial: false,
  run_categories: { "Build/Execute": 0, Dependencies: 6, Environment: 0, Filesystem: 4, Permissions: 3, Unknown: 0 },
  run: { instructions: 5, commands: 13 },
  exposed_ports: ["8080", "8081", "9090"],
  non_root_user: true,
  hygiene: [],
  errors: [],
  warnings: [],
};

describe("summarize", () => {
  it("lists stages with base image and type, counts and the RUN share", () => {
    const s = summarize(tinyserve);
    expect(s.stages.map((x) => [x.name, x.base, x.baseType])).toEqual([
      ["build", "python:3.11-slim", "Language Runtime"],
      [null, "python:3.11-slim", "Language Runtime"],
    ]);
    expect(s.instructions).toBe(20);
    expect(s.runInstructions).toBe(5);
    expect(s.runShare).toBe(0.25);
    expect(percent(s.runShare)).toBe("25%");
    expect(s.runCategories).toEqual([
      ["Dependencies", 6],
      ["Filesystem", 4],
      ["Permissions", 3],
    ]);
    expect(s.notes).toEqual([]);
    expect(s.multiStage).toBe(true);
    expect(s.partial).toBe(false);
  });

  it("orders problems: errors, warnings, then hygiene, each by line", () => {
    const s = summarize({
      ...tinyserve,
      partial: true,
      stages: [{ ...firstStage, base: base(""), base_type: null }],
      hygiene: [
        { rule: "apt-no-clean", line: 9, message: "apt lists kept" },
        { rule: "latest-tag", line: 2, message: "no tag" },
      ],
      errors: [{ line: 12, message: "unterminated heredoc" }],
      warnings: [{ line: null, message: "no FROM" }],
    });
    expect(s.notes.map((n) => [n.kind, n.line, n.label])).toEqual([
      ["error", 12, "error"],
      ["warning", null, "warning"],
      ["hygiene", 2, "latest-tag"],
      ["hygiene", 9, "apt-no-clean"],
    ]);
    expect(s.partial).toBe(true);
    expect(s.stages[0]?.baseType).toBe(UNKNOWN_TYPE);
  });

  it("has a zero RUN share without instructions", () => {
    const s = summarize({ ...tinyserve, counts: {}, run: { instructions: 0, commands: 0 }, stages: [] });
    expect(s.runShare).toBe(0);
    expect(s.instructions).toBe(0);
  });
});
