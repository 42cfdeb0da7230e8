// Paths the researcher types or picks: the native open/save dialogs (Tauri's dialog plugin)
// beside every typed path field, and the pure rules of fields that hold several paths.

import { open, save } from "@tauri-apps/plugin-dialog";

/** A file type offered by a dialog. */
export interface FileFilter {
  name: string;
  extensions: string[];
}

/** What a "Browse…" button asks for. */
export interface BrowseFor {
  /** An existing file, an existing folder, or a file to write. */
  kind: "file" | "folder" | "save";
  title: string;
  filters?: FileFilter[];
  /** Where the dialog starts (the typed path, when there is one). */
  defaultPath?: string;
}

/** Shows the native dialog; the path chosen, or null when it was cancelled. */
export async function browse(b: BrowseFor): Promise<string | null> {
  const defaultPath = b.defaultPath?.trim() === "" ? undefined : b.defaultPath?.trim();
  if (b.kind === "save") return save({ title: b.title, filters: b.filters, defaultPath });
  const picked = await open({ title: b.title, directory: b.kind === "folder", multiple: false, filters: b.filters, defaultPath });
  return typeof picked === "string" ? picked : null;
}

/** Shows the native dialog for several files or folders; those chosen (none when cancelled). */
export async function browseMany(kind: "file" | "folder", title: string, filters?: FileFilter[]): Promise<string[]> {
  const picked = await open({ title, directory: kind === "folder", multiple: true, filters });
  if (picked === null) return [];
  return Array.isArray(picked) ? picked : [picked];
}

/** The paths of a field holding one per line (blank lines skipped, spaces around trimmed). */
export function pathLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

/** The field's text with `paths` added, one per line, each once. */
export function addPaths(text: string, paths: string[]): string {
  const have = pathLines(text);
  for (const p of paths) if (!have.includes(p)) have.push(p);
  return have.join("\n");
}

/** File types the dialogs offer. */
export const FILTERS = {
  study: [{ name: "Codebench study", extensions: ["codebench"] }],
  csv: [{ name: "CSV", extensions: ["csv"] }],
  codebook: [{ name: "Codebook (JSON or REFI-QDA)", extensions: ["json", "qdc"] }],
  json: [{ name: "Codebook JSON", extensions: ["json"] }],
  qdc: [{ name: "REFI-QDA codebook", extensions: ["qdc"] }],
  qdpx: [{ name: "REFI-QDA project", extensions: ["qdpx"] }],
} satisfies Record<string, FileFilter[]>;
