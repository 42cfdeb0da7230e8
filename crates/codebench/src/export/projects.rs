//! The tables of the projects and their Dockerfiles: `projects.csv` (one row per project, with
//! its GitHub metadata) and `dockerfiles.csv` (one row per Dockerfile unit, with its analysis
//! and a count per instruction keyword). The QDPX export reads the same rows as variables.

use super::opt;
use crate::{Result, Study};

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
