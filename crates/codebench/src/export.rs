//! CSV exports. Every table is RFC 4180, UTF-8, with a header row, ISO 8601 times, an empty
//! cell for a missing value and a stable column order. The data dictionary is
//! `exports/README.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, Result, Study};

/// Columns of `codings.csv`, the long table of decisions: one row per code (a decision with no
/// code has one row with an empty `code`). `codebench import codings` reads the same shape.
pub const CODINGS_COLUMNS: [&str; 9] = [
    "rater",
    "unit",
    "dimension",
    "code",
    "memo",
    "evidence",
    "flagged",
    "coded_at",
    "suggested_by",
];

/// How an export is made.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// On whose behalf: other raters' decisions and evidence on blind units are left out
    /// (`None`: everyone's are). See [`crate::rules::Blind`].
    pub viewer: Option<String>,
    /// Write text cells exactly as they are, without neutralising spreadsheet formulas.
    pub raw: bool,
    /// Leave machine raters out: their decisions, evidence, wide columns, distributions and
    /// agreement pairs, and the machine tables (header only). `history.csv` stays the whole record.
    pub exclude_machine: bool,
}

/// What an export reads of the study, once, inside one read transaction: every table of one
/// export describes the same moment, and the blind rule is applied once for all of them.
struct View {
    decisions: Vec<crate::coding::Decision>,
    evidence: Vec<crate::evidence::Evidence>,
    raters: Vec<String>,
    blind: crate::rules::Blind,
    viewer: Option<String>,
    /// Decisions and evidence left out.
    withheld: usize,
}

impl View {
    fn read(study: &Study, viewer: Option<&str>, exclude_machine: bool) -> Result<View> {
        let d = study.decisions_seen_by(viewer, None)?;
        let e = study.evidence_seen_by(viewer, None)?;
        let machines: std::collections::BTreeSet<String> = if exclude_machine {
            study.machine_rater_names()?.into_iter().collect()
        } else {
            Default::default()
        };
        let person = |r: &String| !machines.contains(r);
        Ok(View {
            withheld: d.withheld + e.withheld,
            decisions: d.items.into_iter().filter(|x| person(&x.rater)).collect(),
            evidence: e.items.into_iter().filter(|x| person(&x.rater)).collect(),
            raters: study
                .raters()?
                .into_iter()
                .map(|r| r.name)
                .filter(person)
                .collect(),
            blind: study.blind()?,
            viewer: viewer.map(str::to_string),
        })
    }
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `text` would be read as a formula, or is the neutralised form of one (quotes
/// before a formula character): such cells get one more leading `'`.
fn needs_quote(text: &str) -> bool {
    let rest = text.trim_start_matches('\'');
    rest.starts_with(FORMULA_START) && text.parse::<f64>().is_err()
}

/// A text cell as a spreadsheet may safely open it: a cell that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (and is not a number) gets a leading `'`, which a
/// spreadsheet shows as text and [`unquote`] takes away. A cell that already starts with
/// quotes before such a character gets one more, so [`unquote`] gives back exactly the text.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if needs_quote(text) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The exact text of a cell written by [`neutralise`].
pub fn unquote(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

/// A CSV writer in the house style (RFC 4180, CRLF) that neutralises formulas unless `raw`.
struct Sheet<W: std::io::Write> {
    w: csv::Writer<W>,
    raw: bool,
}

impl<W: std::io::Write> Sheet<W> {
    fn new(out: W, raw: bool) -> Self {
        Sheet {
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
            raw,
        }
    }

    fn row<I, S>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let raw = self.raw;
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| {
                if raw {
                    c.as_ref().to_string()
                } else {
                    neutralise(c.as_ref()).into_owned()
                }
            })
            .collect();
        self.w.write_record(&cells)?;
        Ok(())
    }

    fn finish(self, what: &str) -> Result<W> {
        self.w
            .into_inner()
            .map_err(|e| Error::io(what, e.into_error()))
    }
}

/// Writes `codings.csv` (every decision and its evidence, as `viewer` may see them) to any
/// writer, formulas neutralised.
pub fn write_codings(study: &Study, viewer: Option<&str>, out: impl std::io::Write) -> Result<()> {
    let view = View::read(study, viewer, false)?;
    codings_into(&view, false, out)
}

fn codings_into(view: &View, raw: bool, out: impl std::io::Write) -> Result<()> {
    let mut w = Sheet::new(out, raw);
    w.row(CODINGS_COLUMNS)?;
    let mut evidence: std::collections::HashMap<(&str, &str, &str, &str), Vec<serde_json::Value>> =
        Default::default();
    for e in &view.evidence {
        evidence
            .entry((&e.rater, &e.unit, &e.dimension, &e.code))
            .or_default()
            .push(serde_json::json!({
                "file": e.file,
                "quote": e.quote,
                "line_start": e.line_start,
                "line_end": e.line_end,
            }));
    }
    for d in &view.decisions {
        let flagged = if d.flagged { "true" } else { "false" };
        let suggested_by = d.suggested_by.join(",");
        let codes: Vec<&str> = if d.codes.is_empty() {
            vec![""]
        } else {
            d.codes.iter().map(String::as_str).collect()
        };
        for code in codes {
            let ev = evidence
                .get(&(
                    d.rater.as_str(),
                    d.unit.as_str(),
                    d.dimension.as_str(),
                    code,
                ))
                .map(|v| serde_json::Value::Array(v.clone()).to_string())
                .unwrap_or_default();
            w.row([
                d.rater.as_str(),
                &d.unit,
                &d.dimension,
                code,
                &d.memo,
                &ev,
                flagged,
                &d.coded_at,
                &suggested_by,
            ])?;
        }
    }
    let mut out = w.finish("codings.csv")?;
    out.flush().map_err(|e| Error::io("codings.csv", e))?;
    Ok(())
}

/// Columns of `consensus.csv`: one row per code of a consensus (a consensus with no code has
/// one row with an empty `code`).
pub const CONSENSUS_COLUMNS: [&str; 6] = [
    "unit",
    "dimension",
    "code",
    "adjudicator",
    "rationale",
    "decided_at",
];

fn consensus_into(study: &Study, raw: bool, out: impl std::io::Write) -> Result<()> {
    let mut w = Sheet::new(out, raw);
    w.row(CONSENSUS_COLUMNS)?;
    for c in study.consensus(None)? {
        let codes: Vec<&str> = if c.codes.is_empty() {
            vec![""]
        } else {
            c.codes.iter().map(String::as_str).collect()
        };
        for code in codes {
            w.row([
                c.unit.as_str(),
                &c.dimension,
                code,
                &c.adjudicator,
                &c.rationale,
                &c.decided_at,
            ])?;
        }
    }
    let mut out = w.finish("consensus.csv")?;
    out.flush().map_err(|e| Error::io("consensus.csv", e))?;
    Ok(())
}

/// The agreement report of the whole study (every dimension, its raters, default options;
/// never a blind pair, see [`Study::agreement_for`]) as `codebench_agreement::to_csv` writes
/// it, formulas neutralised, machine raters left out when `exclude_machine`. With no dimension
/// that two raters decided: the header only.
pub fn agreement_csv(study: &Study, raw: bool, exclude_machine: bool) -> Result<String> {
    let (report, _) = study.agreement_for(&crate::agreement::Scope {
        exclude_machine,
        ..Default::default()
    })?;
    report_csv(&report, raw)
}

/// An agreement report as `agreement.csv` holds it (`codebench_agreement::to_csv`), formulas
/// neutralised unless `raw`: what `codebench agreement --format csv` prints and
/// [`write_agreement`] writes.
pub fn report_csv(report: &crate::agreement::Report, raw: bool) -> Result<String> {
    let text = crate::agreement::to_csv(report);
    if raw {
        return Ok(text);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut w = Sheet::new(Vec::new(), false);
    for rec in rdr.records() {
        w.row(rec?.iter())?;
    }
    let bytes = w.finish("agreement.csv")?;
    String::from_utf8(bytes).map_err(|e| Error::Invalid(format!("agreement.csv: {e}")))
}

/// One file written by an export.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Written {
    /// Where.
    pub path: PathBuf,
    /// Data rows (not counting the header).
    pub rows: usize,
}

/// Writes every export table into `dir` (created if missing), as `opts.viewer` may see the
/// study. Every table is read inside one read transaction (one moment of the study, even
/// while others write); each file is written to a temporary name, flushed to disk and
/// renamed, so a reader never sees half a table. Returns the files and how many decisions
/// and evidence were left out as blind.
pub fn export_all(
    study: &Study,
    dir: &Path,
    opts: &ExportOptions,
) -> Result<(Vec<Written>, usize)> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // A deferred read transaction: in WAL mode every read below sees the snapshot taken at the
    // first one. Nothing is written; dropping it ends it.
    let tx = study.conn().unchecked_transaction()?;
    let view = View::read(study, opts.viewer.as_deref(), opts.exclude_machine)?;
    let raw = opts.raw;
    let mut files: Vec<(&str, Vec<u8>, usize)> = Vec::new();
    let (answer_rows, answers_withheld) = if opts.exclude_machine {
        (Vec::new(), 0)
    } else {
        study.machine_answer_rows(opts.viewer.as_deref())?
    };
    let run_rows = if opts.exclude_machine {
        Vec::new()
    } else {
        study.machine_run_rows()?
    };
    let mut buf = Vec::new();
    codings_into(&view, raw, &mut buf)?;
    let n = csv::Reader::from_reader(buf.as_slice()).records().count();
    files.push(("codings.csv", buf, n));
    for (name, columns, rows) in [
        (
            "projects.csv",
            owned(&PROJECTS_COLUMNS),
            projects_rows(study)?,
        ),
        (
            "dockerfiles.csv",
            owned(&dockerfile_columns()),
            dockerfile_rows(study)?,
        ),
        (
            "codebook.csv",
            owned(&CODEBOOK_COLUMNS),
            codebook_rows(study)?,
        ),
        ("codings_wide.csv", wide_columns(&view), wide_rows(&view)),
        (
            "distributions.csv",
            owned(&DISTRIBUTIONS_COLUMNS),
            distribution_rows(study, &view)?,
        ),
        (
            "history.csv",
            owned(&HISTORY_COLUMNS),
            history_rows(study, &view)?,
        ),
        ("images.csv", owned(&IMAGES_COLUMNS), image_rows(study)?),
        ("layers.csv", owned(&LAYERS_COLUMNS), layer_rows(study)?),
        (
            "selection.csv",
            owned(&SELECTION_COLUMNS),
            study.selection_rows()?,
        ),
        (
            "excluded.csv",
            owned(&EXCLUDED_COLUMNS),
            study.excluded_rows()?,
        ),
        ("hub.csv", owned(&HUB_COLUMNS), study.hub_rows()?),
        (
            "hub_tags.csv",
            owned(&HUB_TAGS_COLUMNS),
            study.hub_tag_rows()?,
        ),
        (
            "machine_runs.csv",
            owned(&crate::machine::MACHINE_RUNS_COLUMNS),
            run_rows,
        ),
        (
            "machine_answers.csv",
            owned(&crate::machine::MACHINE_ANSWERS_COLUMNS),
            answer_rows,
        ),
    ] {
        let n = rows.len();
        files.push((name, to_csv(&columns, &rows, raw)?, n));
    }
    let mut buf = Vec::new();
    consensus_into(study, raw, &mut buf)?;
    let n = csv::Reader::from_reader(buf.as_slice()).records().count();
    files.push(("consensus.csv", buf, n));
    let agreement = agreement_csv(study, raw, opts.exclude_machine)?;
    let n = csv::Reader::from_reader(agreement.as_bytes())
        .records()
        .count();
    files.push(("agreement.csv", agreement.into_bytes(), n));
    drop(tx);
    let mut written = Vec::new();
    for (name, bytes, rows) in files {
        written.push(write_atomic(&dir.join(name), &bytes, rows)?);
    }
    Ok((written, view.withheld + answers_withheld))
}

/// `selection.csv` as text, formulas neutralised (what `export` writes).
pub fn selection_csv(study: &Study) -> Result<String> {
    let bytes = to_csv(&SELECTION_COLUMNS, &study.selection_rows()?, false)?;
    String::from_utf8(bytes).map_err(|e| Error::Invalid(format!("selection.csv: {e}")))
}

/// One CSV in the house style: header row, CRLF, RFC 4180 quoting.
fn to_csv<S: AsRef<str>>(columns: &[S], rows: &[Vec<String>], raw: bool) -> Result<Vec<u8>> {
    let mut w = Sheet::new(Vec::new(), raw);
    w.row(columns.iter().map(|c| c.as_ref()))?;
    for r in rows {
        w.row(r)?;
    }
    w.finish("export")
}

fn owned(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| c.to_string()).collect()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Columns of `selection.csv`: one row per step of the corpus selection.
pub const SELECTION_COLUMNS: [&str; 15] = [
    "step",
    "kind",
    "criterion",
    "label",
    "parameters",
    "api_url",
    "hub_url",
    "started_at",
    "finished_at",
    "status",
    "in",
    "out",
    "excluded",
    "requests",
    "error",
];

/// Columns of `excluded.csv`: one row per repository a selection step left out.
pub const EXCLUDED_COLUMNS: [&str; 6] = [
    "repository",
    "repo_id",
    "step",
    "kind",
    "criterion",
    "reason",
];

/// Columns of `hub.csv`: one row per project and Docker Hub repository it references.
pub const HUB_COLUMNS: [&str; 16] = [
    "project",
    "hub_repository",
    "references",
    "found",
    "description",
    "full_description",
    "stars",
    "pulls",
    "last_updated",
    "registered",
    "tag_count",
    "tags_read",
    "latest_tag",
    "latest_push",
    "web_url",
    "fetched_at",
];

/// Columns of `hub_tags.csv`: one row per tag of a fetched Docker Hub repository.
pub const HUB_TAGS_COLUMNS: [&str; 8] = [
    "hub_repository",
    "position",
    "tag",
    "last_pushed",
    "last_updated",
    "digest",
    "full_size",
    "status",
];

/// Columns of `projects.csv`.
pub const PROJECTS_COLUMNS: [&str; 20] = [
    "project",
    "source",
    "commit",
    "snapshots",
    "changed",
    "problem",
    "readme",
    "dockerfiles",
    "description",
    "language",
    "topics",
    "stars",
    "forks",
    "watchers",
    "open_issues",
    "size_kib",
    "license",
    "archived",
    "created_at",
    "pushed_at",
];

pub(crate) fn projects_rows(study: &Study) -> Result<Vec<Vec<String>>> {
    let mut snaps = study.conn().prepare("SELECT count(*) FROM snapshot s JOIN project p ON p.id = s.project_id WHERE p.full_name = ?1")?;
    let mut meta = study
        .conn()
        .prepare("SELECT metadata FROM project WHERE full_name = ?1")?;
    let mut rows = Vec::new();
    for p in study.projects()? {
        let n: i64 = snaps.query_row([&p.name], |r| r.get(0))?;
        let m: serde_json::Value =
            serde_json::from_str(&meta.query_row([&p.name], |r| r.get::<_, String>(0))?)
                .unwrap_or_default();
        let field = |k: &str| match &m[k] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            other => other.to_string(),
        };
        rows.push(vec![
            p.name.clone(),
            p.source.clone(),
            opt(p.commit.clone()),
            n.to_string(),
            p.changed.to_string(),
            opt(p.problem.clone()),
            p.has_readme.to_string(),
            p.dockerfiles.to_string(),
            field("description"),
            field("language"),
            field("topics"),
            field("stars"),
            field("forks"),
            field("watchers"),
            field("open_issues"),
            field("size_kib"),
            field("license"),
            field("archived"),
            field("created_at"),
            field("pushed_at"),
        ]);
    }
    Ok(rows)
}

/// The instruction keywords that get a count column in `dockerfiles.csv`.
pub const INSTRUCTION_KEYWORDS: [&str; 18] = [
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

const DOCKERFILE_BASE_COLUMNS: [&str; 26] = [
    "unit",
    "project",
    "path",
    "commit",
    "status",
    "size",
    "sha256",
    "lines",
    "comment_lines",
    "instructions",
    "stages",
    "multi_stage",
    "partial",
    "errors",
    "warnings",
    "base_images",
    "base_types",
    "run_instructions",
    "run_commands",
    "run_exec_form",
    "run_heredoc",
    "exposed_ports",
    "user",
    "non_root_user",
    "uses_mount",
    "hygiene",
];

pub(crate) fn dockerfile_columns() -> Vec<&'static str> {
    let mut c = DOCKERFILE_BASE_COLUMNS.to_vec();
    c.extend(codebench_dockerfile::run::CATEGORIES.iter().copied());
    c.push(codebench_dockerfile::run::UNKNOWN);
    c.extend(INSTRUCTION_KEYWORDS);
    c
}

pub(crate) fn dockerfile_rows(study: &Study) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for p in study.projects()? {
        let view = study.project_view(&p.name)?;
        for f in view.dockerfiles {
            let mut r = vec![
                crate::corpus::unit_name(&p.name, Some(&f.path)),
                p.name.clone(),
                f.path.clone(),
                opt(view.commit.clone()),
                f.status.clone(),
                f.size.to_string(),
                f.text
                    .as_deref()
                    .map(|t| crate::corpus::sha256_hex(t.as_bytes()))
                    .unwrap_or_default(),
            ];
            match &f.analysis {
                Some(a) => {
                    let bases: Vec<&str> = a
                        .stages
                        .iter()
                        .filter(|s| s.base.stage.is_none())
                        .map(|s| s.base.resolved.as_str())
                        .collect();
                    r.extend([
                        a.lines.to_string(),
                        a.comment_lines.to_string(),
                        a.instructions.len().to_string(),
                        a.stages.len().to_string(),
                        a.multi_stage.to_string(),
                        a.partial.to_string(),
                        a.errors.len().to_string(),
                        a.warnings.len().to_string(),
                        bases.join(";"),
                        a.base_types.join(";"),
                        a.run.instructions.to_string(),
                        a.run.commands.to_string(),
                        a.run.exec_form.to_string(),
                        a.run.heredoc.to_string(),
                        a.exposed_ports.join(";"),
                        opt(a.user.clone()),
                        a.non_root_user.to_string(),
                        a.uses_mount.to_string(),
                        a.hygiene.len().to_string(),
                    ]);
                    for c in codebench_dockerfile::run::CATEGORIES
                        .iter()
                        .chain([&codebench_dockerfile::run::UNKNOWN])
                    {
                        r.push(a.run_categories.get(*c).copied().unwrap_or(0).to_string());
                    }
                    for k in INSTRUCTION_KEYWORDS {
                        r.push(a.counts.get(k).copied().unwrap_or(0).to_string());
                    }
                }
                None => r.resize(dockerfile_columns().len(), String::new()),
            }
            rows.push(r);
        }
    }
    Ok(rows)
}

/// Columns of `codebook.csv`.
pub const CODEBOOK_COLUMNS: [&str; 13] = [
    "dimension",
    "dimension_name",
    "unit",
    "cardinality",
    "code",
    "name",
    "parent",
    "group",
    "status",
    "position",
    "definition",
    "include",
    "exclude",
];

fn codebook_rows(study: &Study) -> Result<Vec<Vec<String>>> {
    let book = study.codebook()?;
    let mut rows = Vec::new();
    for d in &book.dimensions {
        for (i, c) in d.codes.iter().enumerate() {
            rows.push(vec![
                d.id.clone(),
                d.name.clone(),
                d.unit.as_str().into(),
                d.cardinality.as_str().into(),
                c.id.clone(),
                c.name.clone(),
                opt(c.parent.clone()),
                opt(c.group.clone()),
                c.status.as_str().into(),
                (i + 1).to_string(),
                c.definition.clone(),
                c.include.clone(),
                c.exclude.clone(),
            ]);
        }
    }
    Ok(rows)
}

fn wide_columns(view: &View) -> Vec<String> {
    let mut c = vec!["unit".to_string(), "dimension".to_string()];
    c.extend(view.raters.iter().cloned());
    c
}

/// `codings_wide.csv`: one row per unit and dimension, a column per rater holding that rater's
/// codes joined by `;` (empty: no decision, or a decision the viewer may not see).
fn wide_rows(view: &View) -> Vec<Vec<String>> {
    let mut rows: std::collections::BTreeMap<(String, String), Vec<String>> = Default::default();
    for d in &view.decisions {
        let Some(col) = view.raters.iter().position(|r| *r == d.rater) else {
            continue;
        };
        let row = rows
            .entry((d.unit.clone(), d.dimension.clone()))
            .or_insert_with(|| vec![String::new(); view.raters.len()]);
        row[col] = if d.codes.is_empty() {
            "(none)".into()
        } else {
            d.codes.join(";")
        };
    }
    rows.into_iter()
        .map(|((u, d), cells)| {
            let mut r = vec![u, d];
            r.extend(cells);
            r
        })
        .collect()
}

/// Columns of `distributions.csv`.
pub const DISTRIBUTIONS_COLUMNS: [&str; 8] = [
    "source",
    "dimension",
    "code",
    "parent",
    "kind",
    "count",
    "units",
    "share",
];

/// `distributions.csv`: per rater, dimension and code, how many units got the code, over all
/// units that rater decided (`kind` empty) and within each project kind as that rater coded it.
fn distribution_rows(study: &Study, view: &View) -> Result<Vec<Vec<String>>> {
    let book = study.codebook()?;
    let decisions = &view.decisions;
    let kind_dim = book.dimensions.iter().find(|d| {
        d.unit == crate::codebook::UnitKind::Project
            && d.cardinality == crate::codebook::Cardinality::One
    });
    let mut rows = Vec::new();
    for rater in &view.raters {
        let mine: Vec<_> = decisions.iter().filter(|d| &d.rater == rater).collect();
        let kind_of: std::collections::HashMap<&str, &str> = match kind_dim {
            Some(k) => mine
                .iter()
                .filter(|d| d.dimension == k.id)
                .filter_map(|d| d.codes.first().map(|c| (d.unit.as_str(), c.as_str())))
                .collect(),
            None => Default::default(),
        };
        for d in &book.dimensions {
            let of_dim: Vec<_> = mine.iter().filter(|x| x.dimension == d.id).collect();
            let mut groups: Vec<(String, Vec<_>)> = vec![(String::new(), of_dim.clone())];
            if let Some(k) = kind_dim {
                for kc in &k.codes {
                    let within: Vec<_> = of_dim
                        .iter()
                        .filter(|x| {
                            kind_of.get(x.unit.split(':').next().unwrap_or(""))
                                == Some(&kc.id.as_str())
                        })
                        .copied()
                        .collect();
                    groups.push((kc.id.clone(), within));
                }
            }
            for (kind, group) in groups {
                let units = group.len();
                for c in &d.codes {
                    let count = group.iter().filter(|x| x.codes.contains(&c.id)).count();
                    let share = if units == 0 {
                        String::new()
                    } else {
                        format!("{:.6}", count as f64 / units as f64)
                    };
                    rows.push(vec![
                        rater.clone(),
                        d.id.clone(),
                        c.id.clone(),
                        opt(c.parent.clone()),
                        kind.clone(),
                        count.to_string(),
                        units.to_string(),
                        share,
                    ]);
                }
            }
        }
    }
    Ok(rows)
}

/// Columns of `history.csv`.
pub const HISTORY_COLUMNS: [&str; 7] = ["id", "at", "actor", "action", "subject", "old", "new"];

/// `history.csv`: every change, except the viewer may not read other raters' decisions and
/// evidence on blind units there either (their rows are left out until the round is revealed).
fn history_rows(study: &Study, view: &View) -> Result<Vec<Vec<String>>> {
    let mut stmt = study
        .conn()
        .prepare("SELECT id, at, actor, action, subject, old, new FROM history ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(vec![
            r.get::<_, i64>(0)?.to_string(),
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        ])
    })?;
    let mut out = Vec::new();
    for row in rows {
        let row = row?;
        if hides_history(view, &row[3], &row[4]) {
            continue;
        }
        out.push(row);
    }
    Ok(out)
}

/// Whether a history row (`action`, `subject`) tells the viewer another rater's codes, memo or
/// evidence on a blind unit: `decision.*` and `evidence.*` rows are `rater|unit|dimension`.
fn hides_history(view: &View, action: &str, subject: &str) -> bool {
    if view.blind.is_empty()
        || !(action.starts_with("decision.") || action.starts_with("evidence."))
    {
        return false;
    }
    // The rater comes first and the dimension last; the unit in between may hold a '|'.
    match (subject.split_once('|'), subject.rsplit_once('|')) {
        (Some((rater, rest)), Some((_, dim))) => match rest.rsplit_once('|') {
            Some((unit, _)) => view.blind.hides(view.viewer.as_deref(), rater, unit, dim),
            None => false,
        },
        _ => false,
    }
}

/// Writes an agreement report to `path` as `agreement.csv` holds it (see [`report_csv`]),
/// atomically (a temporary name, flushed, renamed).
pub fn write_agreement(
    report: &crate::agreement::Report,
    path: &Path,
    raw: bool,
) -> Result<Written> {
    let text = report_csv(report, raw)?;
    let rows = csv::Reader::from_reader(text.as_bytes()).records().count();
    write_atomic(path, text.as_bytes(), rows)
}

fn write_atomic(path: &Path, bytes: &[u8], rows: usize) -> Result<Written> {
    write_file_atomic(path, bytes)?;
    Ok(Written {
        path: path.to_path_buf(),
        rows,
    })
}

/// Writes `bytes` to `path` so that a reader sees the old file or the whole new one, and a
/// crash leaves one of the two: a temporary file beside it is written, flushed to disk
/// (fsync), renamed over `path`, and the folder is flushed so the rename is durable too.
pub(crate) fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Flushing a folder is how POSIX makes a rename durable; where a platform cannot
        // open a folder (Windows) the rename is already durable once it returns.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Columns of `images.csv`: one row per analysed image reference and platform.
pub const IMAGES_COLUMNS: [&str; 32] = [
    "reference",
    "projects",
    "platform",
    "manifest_digest",
    "analyzed_at",
    "manifest_bytes",
    "config_bytes",
    "architecture",
    "os",
    "variant",
    "created",
    "env_count",
    "env_names",
    "exposed_ports",
    "user",
    "history_entries",
    "empty_layer_history_entries",
    "layer_count",
    "diff_id_count",
    "compressed_bytes",
    "uncompressed_bytes",
    "files",
    "directories",
    "symlinks",
    "total_bytes",
    "max_directory_level",
    "share_bytes_largest_1pct",
    "share_bytes_largest_10",
    "paths_in_several_layers",
    "efficiency",
    "wasted_bytes",
    "labels",
];

fn image_rows(study: &Study) -> Result<Vec<Vec<String>>> {
    let projects: BTreeMap<String, String> = study
        .projects_by_reference()?
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().collect::<Vec<_>>().join(";")))
        .collect();
    let mut rows = Vec::new();
    for m in study.image_metrics(None)? {
        let mut row = vec![
            m.reference.clone(),
            projects.get(&m.reference).cloned().unwrap_or_default(),
            m.platform.clone(),
            m.manifest_digest.clone(),
            m.analyzed_at.clone(),
        ];
        match &m.report.image {
            Some(i) => {
                let fs = &i.filesystem;
                row.extend([
                    i.manifest_bytes.to_string(),
                    i.config_bytes.to_string(),
                    opt(i.architecture.clone()),
                    opt(i.os.clone()),
                    opt(i.variant.clone()),
                    opt(i.created.clone()),
                    i.env_count.to_string(),
                    i.env_names.join(";"),
                    i.exposed_ports.join(";"),
                    opt(i.user.clone()),
                    i.history_entries.to_string(),
                    i.empty_layer_history_entries.to_string(),
                    i.layer_count.to_string(),
                    i.diff_id_count.to_string(),
                    i.compressed_bytes.to_string(),
                    i.uncompressed_bytes.to_string(),
                    fs.files.to_string(),
                    fs.directories.to_string(),
                    fs.symlinks.to_string(),
                    fs.total_bytes.to_string(),
                    fs.max_directory_level.to_string(),
                    fs.share_bytes_largest_1pct.to_string(),
                    fs.share_bytes_largest_10.to_string(),
                    fs.paths_in_several_layers.to_string(),
                    fs.efficiency.to_string(),
                    fs.wasted_bytes.to_string(),
                    if i.labels.is_empty() {
                        String::new()
                    } else {
                        serde_json::to_string(&i.labels)?
                    },
                ]);
            }
            None => row.resize(IMAGES_COLUMNS.len(), String::new()),
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Columns of `layers.csv`: one row per layer of each analysed image reference and platform.
pub const LAYERS_COLUMNS: [&str; 26] = [
    "reference",
    "platform",
    "layer_index",
    "digest",
    "media_type",
    "compression",
    "compressed_bytes",
    "uncompressed_bytes",
    "compression_ratio",
    "entries",
    "files",
    "directories",
    "symlinks",
    "hard_links",
    "other_entries",
    "whiteouts",
    "opaque_whiteouts",
    "max_directory_level",
    "median_directory_level",
    "file_bytes",
    "file_size_median",
    "file_size_p90",
    "file_size_max",
    "top_extensions",
    "largest_file",
    "largest_file_bytes",
];

fn layer_rows(study: &Study) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for m in study.image_metrics(None)? {
        for (i, l) in m.report.layers.iter().enumerate() {
            let top: Vec<String> = l
                .extensions
                .iter()
                .take(5)
                .map(|e| format!("{}:{}:{}", e.extension, e.files, e.bytes))
                .collect();
            let largest = l.largest_files.first();
            rows.push(vec![
                m.reference.clone(),
                m.platform.clone(),
                i.to_string(),
                l.digest.clone(),
                l.media_type.clone(),
                serde_json::to_value(l.compression)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                l.compressed_bytes.to_string(),
                l.uncompressed_bytes.to_string(),
                l.compression_ratio.to_string(),
                l.entries.to_string(),
                l.files.to_string(),
                l.directories.to_string(),
                l.symlinks.to_string(),
                l.hard_links.to_string(),
                l.other_entries.to_string(),
                l.whiteouts.to_string(),
                l.opaque_whiteouts.to_string(),
                l.max_directory_level.to_string(),
                l.median_directory_level.to_string(),
                l.file_bytes.to_string(),
                l.file_size_median.to_string(),
                l.file_size_p90.to_string(),
                l.file_size_max.to_string(),
                top.join(";"),
                opt(largest.map(|f| f.path.clone())),
                opt(largest.map(|f| f.size)),
            ]);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::DecisionInput;
    use crate::reconcile::ConsensusInput;

    #[test]
    fn consensus_and_agreement_tables() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = crate::sample::create(&dir.path().join("s.codebench")).unwrap();
        // An empty study exports headers only.
        let out = dir.path().join("empty");
        let w = export_all(&s, &out, &Default::default()).unwrap().0;
        assert_eq!(w.len(), 17, "codings, 14 more tables, consensus, agreement");
        let cons = std::fs::read_to_string(out.join("consensus.csv")).unwrap();
        assert_eq!(
            cons,
            "unit,dimension,code,adjudicator,rationale,decided_at\r\n"
        );
        s.add_rater("alice").unwrap();
        s.add_rater("bob").unwrap();
        let df = s
            .units()
            .unwrap()
            .into_iter()
            .find(|u| u.kind == "dockerfile")
            .unwrap()
            .name;
        for (r, codes) in [
            ("alice", vec!["hosting", "ci-cd"]),
            ("bob", vec!["hosting"]),
        ] {
            s.record(&DecisionInput {
                rater: r.into(),
                unit: df.clone(),
                dimension: "purpose".into(),
                codes: codes.into_iter().map(String::from).collect(),
                memo: None,
                flagged: None,
            })
            .unwrap();
        }
        s.decide_consensus(&ConsensusInput {
            unit: df.clone(),
            dimension: "purpose".into(),
            codes: vec!["hosting".into(), "ci-cd".into()],
            adjudicator: "carol".into(),
            rationale: "the workflow, \"quoted\"".into(),
        })
        .unwrap();
        let out = dir.path().join("full");
        let w = export_all(&s, &out, &Default::default()).unwrap().0;
        assert_eq!(
            w.iter()
                .find(|w| w.path.ends_with("consensus.csv"))
                .unwrap()
                .rows,
            2
        );
        let cons = std::fs::read_to_string(out.join("consensus.csv")).unwrap();
        let lines: Vec<&str> = cons.split("\r\n").collect();
        assert!(
            lines[1].starts_with(&format!(
                "{df},purpose,ci-cd,carol,\"the workflow, \"\"quoted\"\"\","
            )) || lines[1].starts_with(&format!("{df},purpose,hosting,carol,")),
            "{cons}"
        );
        assert_eq!(lines.len(), 4, "{cons}");
        let ag = std::fs::read_to_string(out.join("agreement.csv")).unwrap();
        let expected = crate::agreement::to_csv(&s.agreement_for(&Default::default()).unwrap().0);
        assert_eq!(ag, expected);
        assert!(ag.contains("purpose"), "{ag}");
        assert!(!ag.replace("\r\n", "").contains('\n'), "CRLF line ends");
    }
}
