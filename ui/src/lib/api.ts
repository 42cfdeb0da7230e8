// Typed calls of the shell's commands. Every function rejects with the core's message (a string).

import { invoke } from "@tauri-apps/api/core";
import type { Report } from "./agreement";
import type { RenderedFigure, StudyReport, Written } from "./report";
import type { Job } from "./jobs";
import type { Overview } from "./overview";
import type { ImageRefInfo } from "./corpus";
import type { AcceptReport, Consensus, ConsensusInput, MergeReport, ReconcileQueue } from "./reconcile";
import type {
  Code,
  Codebook,
  Decision,
  DecisionInput,
  Evidence,
  EvidenceInput,
  ProjectSummary,
  ProjectView,
  Rater,
  Recorded,
  RoundInfo,
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
export const evidence = (rater: string) => invoke<Evidence[]>("evidence", { rater });
export const addEvidence = (input: EvidenceInput) => invoke<Evidence>("add_evidence", { input });
export const removeEvidence = (id: number, by: string) => invoke<void>("remove_evidence", { id, by });
export const agreement = (dimensions: string[], raters: string[] | null = null, round: string | null = null) =>
  invoke<Report>("agreement", { dimensions, raters, round });
export const rounds = () => invoke<RoundInfo[]>("rounds");
export const autoConsensus = () => invoke<boolean>("auto_consensus");
export const setAutoConsensus = (on: boolean, by: string) => invoke<Consensus[]>("set_auto_consensus", { on, by });
export const reconcileQueue = (dimension: string | null, includeResolved: boolean) =>
  invoke<ReconcileQueue>("reconcile_queue", { dimension, includeResolved });
export const decideConsensus = (input: ConsensusInput) =>
  invoke<{ change: "created" | "updated" | "unchanged"; consensus: Consensus }>("decide_consensus", { input });
export const acceptConsensus = (dimension: string, rule: "unanimous" | "majority", by: string) =>
  invoke<AcceptReport>("accept_consensus", { dimension, rule, by });
export const report = (rater: string | null, ease2022: boolean) => invoke<StudyReport>("report", { rater, ease2022 });
export const figures = (rater: string | null, ease2022: boolean) => invoke<RenderedFigure[]>("figures", { rater, ease2022 });
export const exportTables = (dir: string) => invoke<Written[]>("export_tables", { dir });
export const exportFigures = (dir: string, rater: string | null, ease2022: boolean) =>
  invoke<string[]>("export_figures", { dir, rater, ease2022 });
export const overview = (viewer: string) => invoke<Overview>("overview", { viewer });
export const importGithub = (names: string[], token: string | null, apiUrl: string | null, refresh: boolean) =>
  invoke<boolean>("import_github", { names, token, apiUrl, refresh });
export const githubTokenKept = () => invoke<boolean>("github_token_kept");
export const saveGithubToken = (token: string) => invoke<void>("save_github_token", { token });
export const forgetGithubToken = () => invoke<boolean>("forget_github_token");
export const cancelGithubImport = () => invoke<boolean>("cancel_github_import");
export const imageRefs = (project: string | null) => invoke<ImageRefInfo[]>("image_refs", { project });
export const addImageRef = (project: string, reference: string) => invoke<ImageRefInfo>("add_image_ref", { project, reference });
export const removeImageRef = (project: string, reference: string) =>
  invoke<ImageRefInfo[]>("remove_image_ref", { project, reference });
export const codeUses = () => invoke<{ dimension: string; code: string; count: number }[]>("code_uses");
export const proposeCode = (dimension: string, name: string, definitionText: string, parent: string | null, by: string) =>
  invoke<Code>("propose_code", { dimension, name, definitionText, parent, by });
export const renameCode = (dimension: string, code: string, name: string, by: string) =>
  invoke<void>("rename_code", { dimension, code, name, by });
export const setCodeStatus = (dimension: string, code: string, status: Code["status"], by: string) =>
  invoke<void>("set_code_status", { dimension, code, status, by });
export const mergeCodes = (dimension: string, from: string, into: string, by: string) =>
  invoke<number>("merge_codes", { dimension, from, into, by });
export const splitCode = (dimension: string, code: string, into: [string, string][], by: string) =>
  invoke<{ codes: Code[]; recode: string[] }>("split_code", { dimension, code, into, by });
export const openStudy = (path: string) => invoke<StudyInfo>("open_study", { path });
export const newStudy = (path: string) => invoke<StudyInfo>("new_study", { path });
export const openSampleStudy = () => invoke<StudyInfo>("open_sample_study");
/** Tells the app the first screen is usable (its start-up bench measures up to here). */
export const interactive = () => invoke<void>("interactive");
export const jobs = () => invoke<Job[]>("jobs");
export const enqueueMetrics = () => invoke<number>("enqueue_metrics");
export const cancelJob = (id: number) => invoke<Job>("cancel_job", { id });
export const retryJob = (id: number) => invoke<Job>("retry_job", { id });
export const runJobs = () => invoke<boolean>("run_jobs");
export const mergeFrom = (path: string) => invoke<MergeReport>("merge_from", { path });
export const openExternal = (url: string) => invoke<void>("open_external", { url });

/** The message of a rejected command (a string from the core), or of any other error. */
export function message(e: unknown): string {
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  return String(e);
}
