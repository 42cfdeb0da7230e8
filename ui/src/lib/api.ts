// Typed calls of the shell's commands. Every function rejects with the core's message (a string).

import { invoke } from "@tauri-apps/api/core";
import type {
  Codebook,
  Decision,
  DecisionInput,
  ProjectSummary,
  ProjectView,
  Rater,
  Recorded,
  StudyInfo,
  UnitInfo,
} from "./types";

export const studyInfo = () => invoke<StudyInfo>("study_info");
export const listProjects = () => invoke<ProjectSummary[]>("list_projects");
export const listUnits = () => invoke<UnitInfo[]>("list_units");
export const projectView = (name: string) => invoke<ProjectView>("project_view", { name });
export const codebook = () => invoke<Codebook>("codebook");
export const raters = () => invoke<Rater[]>("raters");
export const addRater = (name: string) => invoke<Rater>("add_rater", { name });
export const decisions = (rater: string) => invoke<Decision[]>("decisions", { rater });
export const recordDecision = (input: DecisionInput) => invoke<Recorded>("record_decision", { input });
export const clearDecision = (rater: string, unit: string, dimension: string) =>
  invoke<boolean>("clear_decision", { rater, unit, dimension });
export const openExternal = (url: string) => invoke<void>("open_external", { url });

/** The message of a rejected command (a string from the core), or of any other error. */
export function message(e: unknown): string {
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  return String(e);
}
