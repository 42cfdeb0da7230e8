//! Writing a study as a `.qdpx` project, as the viewer may see it (see [`super`]).

use std::collections::HashMap;
use std::path::Path;

use codebench_qdpx as q;
use serde::Serialize;

use super::{code_guid, dimension_guid, guid, lines_marker, lines_of, user_guid};
use super::{CONSENSUS_USER, MEMO_PREFIX, RATIONALE_PREFIX};
use crate::codebook::{Code, Codebook, Dimension};
use crate::corpus::UnitInfo;
use crate::{Error, Result, Study};

/// What an export to `.qdpx` wrote.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct QdpxExport {
    /// The file written.
    pub path: String,
    /// Users (raters, and the consensus when there is one).
    pub users: usize,
    /// Codes, dimensions included.
    pub codes: usize,
    /// Text sources (READMEs and Dockerfiles).
    pub sources: usize,
    /// Cases (projects).
    pub cases: usize,
    /// Source-level codings (one per code of each decision and consensus).
    pub codings: usize,
    /// Selections (evidence quotes).
    pub selections: usize,
    /// Notes (memos and rationales).
    pub notes: usize,
    /// Decisions, evidence and consensus left out: blind to the viewer.
    pub withheld: usize,
    /// Decisions with no code, which REFI-QDA cannot carry (their memo is still a note).
    pub decisions_without_codes: usize,
    /// Evidence whose quote is not in its file's stored text (`rater unit: file: quote`),
    /// left out: a selection needs exact positions.
    pub evidence_not_found: Vec<String>,
}

/// The project being built, with where each source is.
struct Builder<'a> {
    p: q::Project,
    book: &'a Codebook,
    /// Source name → index.
    sources: HashMap<String, usize>,
    /// Project → its case's index.
    cases: HashMap<String, usize>,
    /// Project → the index of its README source.
    readme: HashMap<String, usize>,
    /// Unit name → unit.
    units: HashMap<String, UnitInfo>,
    users: HashMap<String, String>,
}

impl Builder<'_> {
    fn add_source(&mut self, project: &str, name: String, text: String) -> usize {
        let i = self.p.sources.len();
        self.p.sources.push(q::TextSource {
            guid: guid(&format!("qdpx/source/{name}")),
            name: name.clone(),
            text: Some(text),
            ..Default::default()
        });
        self.sources.insert(name, i);
        if let Some(c) = self.cases.get(project) {
            let g = self.p.sources[i].guid.clone();
            self.p.cases[*c].sources.push(g);
        }
        i
    }

    /// The source a unit's decisions go on (an empty one is made when the file's text is not
    /// stored).
    fn source_of_unit(&mut self, unit: &str) -> Result<usize> {
        let u = self
            .units
            .get(unit)
            .cloned()
            .ok_or_else(|| Error::unknown("unit", unit))?;
        match u.path {
            None => match self.readme.get(&u.project) {
                Some(i) => Ok(*i),
                None => {
                    let i = match self.sources.get(&u.project) {
                        Some(i) => *i,
                        None => self.add_source(&u.project, u.project.clone(), String::new()),
                    };
                    Ok(i)
                }
            },
            Some(_) => Ok(match self.sources.get(&u.name) {
                Some(i) => *i,
                None => self.add_source(&u.project, u.name.clone(), String::new()),
            }),
        }
    }

    fn user(&mut self, name: &str) -> String {
        if let Some(g) = self.users.get(name) {
            return g.clone();
        }
        let g = user_guid(name);
        self.p.users.push(q::User {
            guid: g.clone(),
            name: name.to_string(),
        });
        self.users.insert(name.to_string(), g.clone());
        g
    }

    fn note(&mut self, source: usize, note: q::Note) {
        self.p.sources[source].note_refs.push(note.guid.clone());
        self.p.notes.push(note);
    }
}

/// Writes the study as a `.qdpx` file at `out` (atomically), as `viewer` may see it: other
/// raters' decisions, evidence and memos on units of unrevealed rounds are left out and
/// counted, and so is the consensus on them. Read in one read transaction.
pub fn export_qdpx(study: &Study, viewer: Option<&str>, out: &Path) -> Result<QdpxExport> {
    let tx = study.conn().unchecked_transaction()?;
    let book = study.codebook()?;
    let decisions = study.decisions_seen_by(viewer, None)?;
    let evidence = study.evidence_seen_by(viewer, None)?;
    let blind = study.blind()?;
    let all_consensus = study.consensus(None)?;
    let consensus: Vec<_> = all_consensus
        .iter()
        .filter(|c| !blind.is_blind(&c.unit, &c.dimension))
        .collect();
    let mut report = QdpxExport {
        path: out.display().to_string(),
        withheld: decisions.withheld + evidence.withheld + all_consensus.len() - consensus.len(),
        ..Default::default()
    };
    let mut b = Builder {
        p: q::Project {
            name: format!("Codebench study: {}", book.name),
            origin: format!("Codebench {}", env!("CARGO_PKG_VERSION")),
            created: Some(crate::now()),
            ..Default::default()
        },
        book: &book,
        sources: HashMap::new(),
        cases: HashMap::new(),
        readme: HashMap::new(),
        units: study
            .units()?
            .into_iter()
            .map(|u| (u.name.clone(), u))
            .collect(),
        users: HashMap::new(),
    };
    for r in study.raters()? {
        b.user(&r.name);
    }
    b.p.codes = book
        .dimensions
        .iter()
        .map(|d| dimension_code(&book, d))
        .collect();
    corpus(study, &mut b)?;
    for d in &decisions.items {
        let src = b.source_of_unit(&d.unit)?;
        let user = b.user(&d.rater);
        if d.codes.is_empty() {
            report.decisions_without_codes += 1;
        }
        for code in &d.codes {
            b.p.sources[src].codings.push(q::Coding {
                guid: guid(&format!(
                    "qdpx/coding/{}/{}/{}/{code}",
                    d.rater, d.unit, d.dimension
                )),
                code: code_guid(b.book, &d.dimension, code),
                creating_user: Some(user.clone()),
                created: Some(d.coded_at.clone()),
            });
        }
        if !d.memo.is_empty() {
            b.note(
                src,
                q::Note {
                    guid: guid(&format!("qdpx/memo/{}/{}/{}", d.rater, d.unit, d.dimension)),
                    name: format!("{MEMO_PREFIX}{}", d.dimension),
                    text: d.memo.clone(),
                    creating_user: Some(user),
                    created: Some(d.coded_at.clone()),
                    description: String::new(),
                },
            );
        }
    }
    for c in &consensus {
        let src = b.source_of_unit(&c.unit)?;
        let user = b.user(CONSENSUS_USER);
        for code in &c.codes {
            b.p.sources[src].codings.push(q::Coding {
                guid: guid(&format!("qdpx/consensus/{}/{}/{code}", c.unit, c.dimension)),
                code: code_guid(b.book, &c.dimension, code),
                creating_user: Some(user.clone()),
                created: Some(c.decided_at.clone()),
            });
        }
        b.note(
            src,
            q::Note {
                guid: guid(&format!("qdpx/rationale/{}/{}", c.unit, c.dimension)),
                name: format!("{RATIONALE_PREFIX}{}", c.dimension),
                text: c.rationale.clone(),
                creating_user: Some(user),
                created: Some(c.decided_at.clone()),
                description: format!(
                    "[codebench method={} adjudicator={}]",
                    c.method, c.adjudicator
                ),
            },
        );
    }
    for e in &evidence.items {
        let project = b.units.get(&e.unit).map(|u| u.project.clone());
        let found = project.and_then(|p| {
            let i = *b.sources.get(&format!("{p}:{}", e.file))?;
            let text = b.p.sources[i].text.as_deref()?;
            locate(text, &e.quote, e.line_start).map(|(s, t)| (i, s, t))
        });
        let Some((i, start, end)) = found else {
            report.evidence_not_found.push(format!(
                "{} {}: {}: \"{}\"",
                e.rater, e.unit, e.file, e.quote
            ));
            continue;
        };
        let text = b.p.sources[i].text.as_deref().unwrap_or("");
        let (a, z) = lines_of(text, start, end);
        let description = if (e.line_start, e.line_end) == (Some(a), Some(z)) {
            String::new()
        } else {
            lines_marker((e.line_start, e.line_end))
        };
        let user = b.user(&e.rater);
        b.p.sources[i].selections.push(q::Selection {
            guid: guid(&format!("qdpx/evidence/{}", e.id)),
            name: None,
            start,
            end,
            creating_user: Some(user.clone()),
            created: Some(e.created_at.clone()),
            description,
            codings: vec![q::Coding {
                guid: guid(&format!("qdpx/evidence-coding/{}", e.id)),
                code: code_guid(b.book, &e.dimension, &e.code),
                creating_user: Some(user),
                created: Some(e.created_at.clone()),
            }],
            note_refs: Vec::new(),
        });
    }
    drop(tx);
    let p = b.p;
    report.users = p.users.len();
    report.codes = count_codes(&p.codes);
    report.sources = p.sources.len();
    report.cases = p.cases.len();
    report.codings = p.sources.iter().map(|s| s.codings.len()).sum();
    report.selections = p.sources.iter().map(|s| s.selections.len()).sum();
    report.notes = p.notes.len();
    let bytes = q::write(&p).map_err(|e| Error::Qdpx {
        file: out.display().to_string(),
        source: e,
    })?;
    crate::export::write_file_atomic(out, &bytes)?;
    Ok(report)
}

fn count_codes(codes: &[q::Code]) -> usize {
    let mut n = 0;
    let mut stack: Vec<&q::Code> = codes.iter().collect();
    while let Some(c) = stack.pop() {
        n += 1;
        stack.extend(c.children.iter());
    }
    n
}

/// Where `quote` stands in `text`, in characters: the occurrence on `line` if there is one,
/// else the first (a quote taken from `\n` text is also looked for with `\r\n`).
fn locate(text: &str, quote: &str, line: Option<i64>) -> Option<(usize, usize)> {
    if quote.is_empty() {
        return None;
    }
    let crlf = quote.replace('\n', "\r\n");
    for needle in [quote, crlf.as_str()] {
        let mut first = None;
        for (byte, _) in text.match_indices(needle) {
            let start = text[..byte].chars().count();
            let at = 1 + text[..byte].matches('\n').count() as i64;
            first.get_or_insert(start);
            if Some(at) == line {
                first = Some(start);
                break;
            }
        }
        if let Some(s) = first {
            return Some((s, s + needle.chars().count()));
        }
    }
    None
}

/// A dimension as a non-codable code holding its codes (sub-codes nested under parents).
fn dimension_code(book: &Codebook, d: &Dimension) -> q::Code {
    q::Code {
        guid: dimension_guid(book, &d.id),
        // The schema needs a name: a dimension without one is named by its id.
        name: if d.name.trim().is_empty() {
            d.id.clone()
        } else {
            d.name.clone()
        },
        is_codable: false,
        color: None,
        description: d.description.clone(),
        children: children(book, d, None, 0),
    }
}

/// The codes of `d` under `parent`, as a tree (a parent chain deeper than the codebook allows
/// is cut rather than followed).
fn children(book: &Codebook, d: &Dimension, parent: Option<&str>, depth: usize) -> Vec<q::Code> {
    if depth > 32 {
        return Vec::new();
    }
    d.codes
        .iter()
        .filter(|c| c.parent.as_deref() == parent)
        .map(|c| q::Code {
            guid: code_guid(book, &d.id, &c.id),
            name: c.name.clone(),
            is_codable: true,
            color: None,
            description: description(c),
            children: children(book, d, Some(&c.id), depth + 1),
        })
        .collect()
}

fn description(c: &Code) -> String {
    use crate::codebook::qdc::{join_paragraphs, labelled};
    join_paragraphs(&[
        c.definition.clone(),
        labelled("Include", &c.include),
        labelled("Exclude", &c.exclude),
        labelled("Example", &c.example),
    ])
}

/// The type a column's values all have (integers, booleans), else text.
fn infer(values: &[&str]) -> q::VariableType {
    let filled: Vec<&&str> = values.iter().filter(|v| !v.is_empty()).collect();
    if filled.is_empty() {
        q::VariableType::Text
    } else if filled.iter().all(|v| v.parse::<i64>().is_ok()) {
        q::VariableType::Integer
    } else if filled.iter().all(|v| matches!(**v, "true" | "false")) {
        q::VariableType::Boolean
    } else {
        q::VariableType::Text
    }
}

/// Variables for `columns` (after the first `skip`), typed by their values; returns each
/// column's variable GUID and type.
fn variables(
    p: &mut q::Project,
    prefix: &str,
    columns: &[&str],
    skip: usize,
    rows: &[Vec<String>],
) -> Vec<Option<(String, q::VariableType)>> {
    let mut out = vec![None; skip];
    for (i, col) in columns.iter().enumerate().skip(skip) {
        let values: Vec<&str> = rows
            .iter()
            .map(|r| r.get(i).map(String::as_str).unwrap_or(""))
            .collect();
        let kind = infer(&values);
        let name = format!("{prefix}{col}");
        let g = guid(&format!("qdpx/variable/{name}"));
        p.variables.push(q::Variable {
            guid: g.clone(),
            name,
            kind,
        });
        out.push(Some((g, kind)));
    }
    out
}

fn values(vars: &[Option<(String, q::VariableType)>], row: &[String]) -> Vec<q::VariableValue> {
    vars.iter()
        .zip(row)
        .filter_map(|(v, value)| {
            let (g, kind) = v.as_ref()?;
            (!value.is_empty()).then(|| q::VariableValue {
                variable: g.clone(),
                kind: *kind,
                value: value.clone(),
            })
        })
        .collect()
}

/// Every project as a case with its README and Dockerfiles as sources, and their variables.
fn corpus(study: &Study, b: &mut Builder<'_>) -> Result<()> {
    let rows = crate::export::projects_rows(study)?;
    let pvars = variables(&mut b.p, "", &crate::export::PROJECTS_COLUMNS, 1, &rows);
    let drows = crate::export::dockerfile_rows(study)?;
    let dcols = crate::export::dockerfile_columns();
    let dvars = variables(&mut b.p, "dockerfile ", &dcols, 3, &drows);
    let dvalues: HashMap<&str, &Vec<String>> = drows
        .iter()
        .filter_map(|r| Some((r.first()?.as_str(), r)))
        .collect();
    for row in &rows {
        let Some(project) = row.first() else { continue };
        b.cases.insert(project.clone(), b.p.cases.len());
        b.p.cases.push(q::Case {
            guid: guid(&format!("qdpx/case/{project}")),
            name: project.clone(),
            values: values(&pvars, row),
            sources: Vec::new(),
        });
        let view = study.project_view(project)?;
        if let Some(text) = view.readme.as_ref().and_then(|r| r.text.clone()) {
            let path = view
                .readme
                .as_ref()
                .map(|r| r.path.clone())
                .unwrap_or_default();
            let i = b.add_source(project, format!("{project}:{path}"), text);
            b.readme.insert(project.clone(), i);
        }
        for f in view.dockerfiles {
            let Some(text) = f.text else { continue };
            let name = crate::corpus::unit_name(project, Some(&f.path));
            let i = b.add_source(project, name.clone(), text);
            if let Some(r) = dvalues.get(name.as_str()) {
                b.p.sources[i].values = values(&dvars, r);
            }
        }
    }
    Ok(())
}
