//! `codebench analyze image` (no study needed), the image part of `codebench metrics run`, and
//! `codebench jobs`: thin shells over `codebench::image` and `codebench::jobs`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args, Subcommand};
use codebench::image::{self, AnalyzeOptions, ImageReport, Platform, RegistryOptions};
use codebench::jobs::{Job, JobEvent, JobKind, JobState, RunOptions};
use codebench::Study;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::Format;

/// How to reach a registry: a mirror and credentials. The password is never a command-line
/// argument (other users can read those): it comes from `CODEBENCH_REGISTRY_PASSWORD` or, with
/// `--registry-password-stdin`, from the first line of standard input.
#[derive(Args, Clone, Default)]
pub struct RegistryFlags {
    /// Send every registry request to this base URL (a pull-through mirror, e.g.
    /// http://127.0.0.1:5000); references keep their names.
    #[arg(long, value_name = "URL")]
    pub registry_url: Option<String>,
    /// Registry user name (Docker Hub: your user; the password is an access token).
    #[arg(long, value_name = "USER")]
    pub registry_user: Option<String>,
    /// Read the registry password from the first line of standard input.
    #[arg(long, requires = "registry_user")]
    pub registry_password_stdin: bool,
}

impl RegistryFlags {
    /// The mirror URL, checked, and the credentials, read from the environment or stdin.
    pub fn resolve(&self) -> Result<(Option<String>, Option<image::Credentials>)> {
        let url = match &self.registry_url {
            Some(u) => {
                let host = u
                    .strip_prefix("http://")
                    .or_else(|| u.strip_prefix("https://"))
                    .map(|rest| rest.split('/').next().unwrap_or(""));
                if !matches!(host, Some(h) if !h.is_empty() && !h.contains(char::is_whitespace)) {
                    bail!("--registry-url '{u}': give an http:// or https:// URL with a host");
                }
                Some(u.trim_end_matches('/').to_string())
            }
            None => None,
        };
        let credentials = match &self.registry_user {
            None => {
                if std::env::var_os("CODEBENCH_REGISTRY_PASSWORD").is_some() {
                    bail!("CODEBENCH_REGISTRY_PASSWORD is set but no --registry-user names whose it is");
                }
                None
            }
            Some(user) => {
                let password = if self.registry_password_stdin {
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .context("reading the registry password from standard input")?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                } else {
                    std::env::var("CODEBENCH_REGISTRY_PASSWORD").map_err(|_| {
                        anyhow::anyhow!(
                            "--registry-user {user}: give the password in CODEBENCH_REGISTRY_PASSWORD or with --registry-password-stdin"
                        )
                    })?
                };
                if password.is_empty() {
                    bail!("--registry-user {user}: the password is empty");
                }
                Some(image::Credentials {
                    username: user.clone(),
                    password,
                })
            }
        };
        Ok((url, credentials))
    }
}

/// Arguments of `codebench analyze image`.
#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).args(["reference", "oci_layout", "docker_archive", "skopeo_dir"])))]
pub struct ImageArgs {
    /// An image reference (e.g. python:3.12, ghcr.io/owner/img@sha256:...), read from its registry.
    pub reference: Option<String>,
    /// An OCI image layout folder.
    #[arg(long, value_name = "DIR")]
    pub oci_layout: Option<PathBuf>,
    /// A `docker save` archive.
    #[arg(long, value_name = "FILE")]
    pub docker_archive: Option<PathBuf>,
    /// A skopeo `dir:` folder.
    #[arg(long, value_name = "DIR")]
    pub skopeo_dir: Option<PathBuf>,
    /// Only this platform (OS/ARCH or OS/ARCH/VARIANT).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

/// `codebench analyze image`: analyses one image and prints its report; fails (exit 1) when a
/// platform failed, after printing what succeeded.
pub fn analyze(a: ImageArgs) -> Result<()> {
    let platform = a
        .platform
        .as_deref()
        .map(Platform::parse)
        .transpose()
        .context("--platform")?;
    let opts = AnalyzeOptions {
        platform,
        ..Default::default()
    };
    let report = if let Some(r) = &a.reference {
        let (base_url, credentials) = a.registry.resolve()?;
        let ropts = RegistryOptions {
            analyze: opts,
            base_url,
            credentials,
            ..Default::default()
        };
        image::analyze_registry_blocking(r, &ropts)?
    } else if let Some(d) = &a.oci_layout {
        image::analyze_oci_layout(d, &opts)?
    } else if let Some(f) = &a.docker_archive {
        image::analyze_docker_archive(f, &opts)?
    } else if let Some(d) = &a.skopeo_dir {
        image::analyze_skopeo_dir(d, &opts)?
    } else {
        bail!("name an image: a reference, --oci-layout, --docker-archive or --skopeo-dir");
    };
    if a.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    let failed = report
        .platforms
        .iter()
        .filter(|p| p.error.is_some())
        .count();
    if failed > 0 {
        bail!(
            "{}: {failed} of {} platform{} failed",
            report.source,
            report.platforms.len(),
            if report.platforms.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / 1048576.0)
}

fn print_report(r: &ImageReport) {
    println!("{}", r.source);
    if let Some(d) = &r.root_digest {
        println!("  digest {d} ({})", r.root_media_type);
    }
    for p in &r.platforms {
        let name = p
            .platform
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "unknown".into());
        println!("  platform {name}  manifest {}", p.manifest_digest);
        if let Some(e) = &p.error {
            println!(
                "    error ({}{}): {}",
                e.kind,
                if e.retryable { ", retryable" } else { "" },
                e.message
            );
            continue;
        }
        let Some(m) = &p.image else { continue };
        let fs = &m.filesystem;
        println!(
            "    {} layers, {} compressed, {} uncompressed",
            m.layer_count,
            mib(m.compressed_bytes),
            mib(m.uncompressed_bytes)
        );
        println!(
            "    {} files, {} directories, {} symlinks, {} in files, max directory level {}",
            fs.files,
            fs.directories,
            fs.symlinks,
            mib(fs.total_bytes),
            fs.max_directory_level
        );
        println!(
            "    {} environment variables, {} labels, {} exposed ports, efficiency {:.3}, wasted {}",
            m.env_count,
            m.labels.len(),
            m.exposed_ports.len(),
            fs.efficiency,
            mib(fs.wasted_bytes)
        );
        for (i, l) in p.layers.iter().enumerate() {
            println!(
                "    layer {:>2} {}  {} files, {}, max level {}",
                i + 1,
                &l.digest[..l.digest.len().min(19)],
                l.files,
                mib(l.uncompressed_bytes),
                l.max_directory_level
            );
        }
    }
    if r.attestations_skipped > 0 {
        println!(
            "  {} attestation manifest(s) skipped",
            r.attestations_skipped
        );
    }
}

/// What `codebench metrics run` asks for, beyond the study.
pub struct MetricsRequest {
    /// Dockerfile metrics.
    pub dockerfiles: bool,
    /// Image metrics.
    pub images: bool,
    /// Recompute Dockerfile analyses even when present (study-wide only).
    pub all: bool,
    /// Only this project.
    pub project: Option<String>,
    /// Image references to queue explicitly.
    pub image_refs: Vec<String>,
    /// Image jobs at once.
    pub concurrency: usize,
    /// Mirror and credentials.
    pub registry: RegistryFlags,
}

/// `codebench metrics run`: without `--project`, `--dockerfiles` analyses every stored
/// Dockerfile text as before; everything else is queued as jobs and run with a progress line
/// per job.
pub fn run_metrics(study: &mut Study, req: MetricsRequest) -> Result<()> {
    let images = req.images || !req.image_refs.is_empty();
    if !req.dockerfiles && !images {
        bail!("say which metrics to run: --dockerfiles and/or --images");
    }
    let mut kinds = Vec::new();
    if req.dockerfiles {
        match &req.project {
            None => {
                let n = study.analyze_dockerfiles(req.all)?;
                println!(
                    "analysed {n} Dockerfile text{}",
                    if n == 1 { "" } else { "s" }
                );
            }
            Some(p) => {
                study.enqueue_metrics_of(Some(p), &[JobKind::DockerfileMetrics])?;
                kinds.push(JobKind::DockerfileMetrics);
            }
        }
    }
    if images {
        for r in &req.image_refs {
            study.enqueue_image(r)?;
        }
        study.enqueue_metrics_of(req.project.as_deref(), &[JobKind::ImageMetrics])?;
        kinds.push(JobKind::ImageMetrics);
    }
    if kinds.is_empty() {
        return Ok(());
    }
    let (registry_base_url, credentials) = req.registry.resolve()?;
    let opts = RunOptions {
        kinds: Some(kinds),
        // Explicit references are not tied to a project: run every queued image job then.
        project: if req.image_refs.is_empty() {
            req.project.clone()
        } else {
            None
        },
        concurrency: req.concurrency.max(1),
        registry_base_url,
        credentials,
        ..Default::default()
    };
    let bars = MultiProgress::new();
    let style = ProgressStyle::with_template("{spinner} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let mut open: HashMap<i64, ProgressBar> = HashMap::new();
    let summary = study.run_jobs(&opts, &mut |e: &JobEvent| {
        let label = format!("{} {}", e.job.kind.as_str(), e.job.target);
        match e.job.state {
            JobState::Running => {
                let bar = open.entry(e.job.id).or_insert_with(|| {
                    let b = bars.add(ProgressBar::new_spinner());
                    b.set_style(style.clone());
                    b.enable_steady_tick(Duration::from_millis(120));
                    b
                });
                bar.set_message(format!(
                    "{label}: {} layers analysed, {} from cache",
                    e.layers_analysed, e.layers_reused
                ));
            }
            _ => {
                if let Some(b) = open.remove(&e.job.id) {
                    b.finish_and_clear();
                }
                let line = finished_line(&e.job, e.layers_analysed, e.layers_reused);
                bars.suspend(|| println!("{line}"));
            }
        }
    })?;
    println!(
        "{} done, {} failed, {} waiting for a retry time{}; layers: {} analysed, {} from cache",
        summary.done,
        summary.failed,
        summary.waiting,
        if summary.resumed > 0 {
            format!(", {} resumed after an interrupted run", summary.resumed)
        } else {
            String::new()
        },
        summary.layers_analysed,
        summary.layers_reused
    );
    if summary.failed > 0 {
        bail!(
            "{} job{} failed; see `codebench jobs`",
            summary.failed,
            if summary.failed == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

fn finished_line(j: &Job, analysed: u64, reused: u64) -> String {
    let mut s = format!(
        "{:<9} {:<18} {}",
        j.state.as_str(),
        j.kind.as_str(),
        j.target
    );
    if j.kind == JobKind::ImageMetrics && j.state == JobState::Done {
        s.push_str(&format!(
            " ({analysed} layers analysed, {reused} from cache)"
        ));
    }
    if let Some(e) = &j.error {
        s.push_str(&format!(": {e}"));
        if j.retryable {
            s.push_str(&format!(
                " [retryable{}]",
                j.not_before
                    .as_deref()
                    .map(|t| format!(", not before {t}"))
                    .unwrap_or_default()
            ));
        }
    }
    s
}

/// `codebench jobs` subcommands.
#[derive(Subcommand)]
pub enum JobsCmd {
    /// List the jobs (the default).
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Cancel a queued, running or failed job.
    Cancel { id: i64 },
    /// Queue a failed or cancelled job again, now.
    Retry { id: i64 },
}

/// `codebench jobs`.
pub fn jobs(study: &mut Study, cmd: Option<JobsCmd>) -> Result<()> {
    match cmd.unwrap_or(JobsCmd::List {
        format: Format::Text,
    }) {
        JobsCmd::List { format } => {
            let jobs = study.jobs()?;
            if format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&jobs)?);
                return Ok(());
            }
            if jobs.is_empty() {
                println!("no jobs (queue some with `codebench metrics run --images`)");
            }
            for j in &jobs {
                println!(
                    "{:>4} {:<18} {:<9} {:>4.0}% {} attempt{}  {}{}",
                    j.id,
                    j.kind.as_str(),
                    j.state.as_str(),
                    j.progress * 100.0,
                    j.attempts,
                    if j.attempts == 1 { "" } else { "s" },
                    j.target,
                    finished_line(j, 0, 0)
                        .split_once(": ")
                        .map(|(_, e)| format!(": {e}"))
                        .unwrap_or_default()
                );
            }
        }
        JobsCmd::Cancel { id } => {
            let j = study.cancel_job(id)?;
            println!("job {} {}: {}", j.id, j.target, j.state.as_str());
        }
        JobsCmd::Retry { id } => {
            let j = study.retry_job(id)?;
            println!("job {} {}: {}", j.id, j.target, j.state.as_str());
        }
    }
    Ok(())
}
