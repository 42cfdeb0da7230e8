//! `codebench init`, `status` and `open`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use codebench::api::{self, corpus::UnitsRequest, study::CreateStudy};

use crate::shell::{abs, Shell};
use crate::{say, Format};

/// `codebench init`.
#[derive(Args)]
pub struct InitArgs {
    /// A codebook file (JSON or REFI-QDA .qdc).
    #[arg(long, value_name = "FILE")]
    codebook: Option<PathBuf>,
    /// Create the sample study (fictional projects) instead of an empty one.
    #[arg(long, conflicts_with = "codebook")]
    sample: bool,
}

/// Creates the study.
pub fn init(sh: &Shell, a: InitArgs) -> anyhow::Result<()> {
    let created = sh.global(
        api::create_study,
        CreateStudy {
            path: abs(&sh.study)?,
            codebook: a.codebook.as_deref().map(abs).transpose()?,
            sample: a.sample,
        },
    )?;
    say!("created {}", sh.study.display());
    let _ = created;
    Ok(())
}

/// Prints what the study holds.
pub fn status(sh: &Shell, format: Format) -> anyhow::Result<()> {
    let s = sh.call(api::status, Default::default())?;
    if format == Format::Json {
        return crate::out::json(&s);
    }
    say!("study      {}", s.path);
    say!("codebook   {}", s.codebook);
    say!(
        "projects   {} ({} changed upstream, {} with problems)",
        s.projects,
        s.projects_changed,
        s.projects_with_problems
    );
    say!(
        "units      {} projects, {} Dockerfiles",
        s.project_units,
        s.dockerfile_units
    );
    say!("decisions  {}", s.decisions);
    for r in &s.raters {
        let per: Vec<String> = r
            .decisions
            .iter()
            .map(|d| format!("{} {}", d.dimension, d.count))
            .collect();
        say!(
            "  rater {:<16} {}",
            r.name,
            if per.is_empty() {
                "no decisions yet".into()
            } else {
                per.join(", ")
            }
        );
    }
    Ok(())
}

/// The desktop app: `codebench-app` beside this binary, else on the PATH.
fn app_binary() -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("codebench-app")));
    match beside {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("codebench-app"),
    }
}

/// Starts the desktop app on the study at a unit (checked first, for a clear error).
pub fn open_app(sh: &Shell, unit: &str) -> anyhow::Result<()> {
    let units = sh.call(api::list_units, UnitsRequest {})?;
    if !units.iter().any(|u| u.name == unit) {
        return Err(api::ApiError::from(codebench::Error::Unknown {
            what: "unit",
            name: unit.to_string(),
            context: String::new(),
        })
        .into());
    }
    let app = app_binary();
    let child = std::process::Command::new(&app)
        .arg("--study")
        .arg(abs(&sh.study)?)
        .arg("--open")
        .arg(unit)
        .spawn()
        .with_context(|| format!("starting the app ({})", app.display()))?;
    say!("opened {unit} in the app (pid {})", child.id());
    Ok(())
}
