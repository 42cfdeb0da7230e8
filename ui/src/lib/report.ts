// The report screen's rules: the core's report tables and figures, and what an export wrote.

/** One table of the report (`codebench::report::Table`); cells are already formatted. */
export interface ReportTable {
  id: string;
  title: string;
  columns: string[];
  rows: string[][];
  note: string;
}

/** The report (`codebench::report::Report`). */
export interface StudyReport {
  source: string;
  tables: ReportTable[];
}

/** A figure as SVG (`codebench::figures::RenderedFigure`). */
export interface RenderedFigure {
  id: string;
  title: string;
  svg: string;
}

/** One file an export wrote (`codebench::export::Written`). */
export interface Written {
  path: string;
  rows: number;
}

/** The SVG as an image address: shown in an `<img>`, so nothing in it can run (the SVG comes
 * from our renderer, which escapes labels; an image cannot run script either way). */
export function svgSource(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** One line about an export: how many files, rows and where. */
export function writtenSummary(w: Written[], dir: string): string {
  const rows = w.reduce((a, x) => a + x.rows, 0);
  return `${w.length} table${w.length === 1 ? "" : "s"} (${rows} rows) written to ${dir}`;
}

/** The last path component, for lists of written files. */
export function fileName(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? path : path.slice(i + 1);
}

/** Whether a column holds numbers (every non-empty cell parses), to right-align it. */
export function numericColumn(t: ReportTable, i: number): boolean {
  let any = false;
  for (const r of t.rows) {
    const c = r[i] ?? "";
    if (c === "") continue;
    if (!/^-?\d+(\.\d+)?$/.test(c)) return false;
    any = true;
  }
  return any;
}
