// The shapes the Tauri commands return: mirrors of the core's serialised structs.

/** A project in a list (`codebench::corpus::ProjectSummary`). */
export interface ProjectSummary {
  name: string;
  source: string;
  commit: string | null;
  dockerfiles: number;
  has_readme: boolean;
  changed: boolean;
  problem: string | null;
}

/** A unit: a project (`owner/name`) or one of its Dockerfiles (`owner/name:path`). */
export interface UnitInfo {
  name: string;
  kind: "project" | "dockerfile";
  project: string;
  path: string | null;
}

/** One file of a snapshot as shown to a rater. */
export interface FileView {
  path: string;
  status: "stored" | "too_large" | "binary" | "not_utf8" | string;
  size: number;
  text: string | null;
  /** For a Dockerfile with a text: its stored analysis. */
  analysis?: Analysis | null;
}

/** A project as a rater reads it; `readme_html` is sanitised by the core (ammonia). */
export interface ProjectView {
  name: string;
  commit: string | null;
  metadata: unknown;
  readme: FileView | null;
  readme_html: string | null;
  dockerfiles: FileView[];
  changed: boolean;
}

export type Cardinality = "one" | "many";

/** One code of a dimension. */
export interface Code {
  id: string;
  name: string;
  definition: string;
  include: string;
  exclude: string;
  example: string;
  aliases?: string[];
  group?: string | null;
  parent?: string | null;
  status: "active" | "proposed" | "retired";
}

/** A question asked of every unit of one kind. */
export interface Dimension {
  id: string;
  name: string;
  unit: "project" | "dockerfile";
  cardinality: Cardinality;
  description: string;
  codes: Code[];
}

/** The study's codebook. */
export interface Codebook {
  id: string;
  name: string;
  version: string;
  description: string;
  source: string;
  dimensions: Dimension[];
}

export interface Rater {
  name: string;
  created_at: string;
}

/** A decision as stored. */
export interface Decision {
  rater: string;
  unit: string;
  dimension: string;
  codes: string[];
  memo: string;
  flagged: boolean;
  coded_at: string;
}

/** What is sent to record a decision; `null` memo/flagged keep the stored value. */
export interface DecisionInput {
  rater: string;
  unit: string;
  dimension: string;
  codes: string[];
  memo: string | null;
  flagged: boolean | null;
}

export interface Recorded {
  change: "created" | "updated" | "unchanged";
  decision: Decision;
}

export interface StudyStatus {
  path: string;
  schema_version: number;
  codebook: string;
  projects: number;
  project_units: number;
  dockerfile_units: number;
  decisions: number;
}

export interface StudyInfo {
  path: string;
  sample: boolean;
  status: StudyStatus;
  open_unit: string | null;
  open_error: string | null;
}

/** A parse error or warning of a Dockerfile (`codebench_dockerfile::Diagnostic`). */
export interface Diagnostic {
  line: number | null;
  message: string;
}

/** A hygiene finding of a Dockerfile. */
export interface Finding {
  rule: string;
  line: number;
  message: string;
}

/** A base image as written and resolved. */
export interface BaseImage {
  text: string;
  resolved: string;
  name: string | null;
  tag: string | null;
  variable: boolean;
  stage: number | null;
}

/** One build stage of a Dockerfile. */
export interface Stage {
  index: number;
  name: string | null;
  line: number;
  base: BaseImage;
  base_type: string | null;
  instructions: number;
  user: string | null;
}

/** The analysis of one Dockerfile (`codebench_dockerfile::Analysis`, the fields the UI uses). */
export interface Analysis {
  path: string;
  lines: number;
  counts: Record<string, number>;
  stages: Stage[];
  multi_stage: boolean;
  partial: boolean;
  run_categories: Record<string, number>;
  run: { instructions: number; commands: number };
  exposed_ports: string[];
  non_root_user: boolean;
  hygiene: Finding[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** A quote attached to a code of a decision (`codebench::evidence::Evidence`). */
export interface Evidence {
  id: number;
  rater: string;
  unit: string;
  dimension: string;
  code: string;
  file: string;
  quote: string;
  line_start: number | null;
  line_end: number | null;
  created_at: string;
}

/** What is sent to attach evidence. */
export interface EvidenceInput {
  rater: string;
  unit: string;
  dimension: string;
  code: string;
  file: string;
  quote: string;
  line_start: number | null;
  line_end: number | null;
}

/** One rater's progress in a round (`codebench::round::RaterProgress`). */
export interface RaterProgress {
  rater: string;
  decided: number;
  total: number;
}

/** A round of blind coding (`codebench::round::RoundInfo`). */
export interface RoundInfo {
  name: string;
  dimension: string | null;
  seed: number;
  extends: string | null;
  units: string[];
  raters: RaterProgress[];
  created_at: string;
  revealed_at: string | null;
  revealed_by: string | null;
}
