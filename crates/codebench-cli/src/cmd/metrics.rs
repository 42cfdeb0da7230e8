//! `codebench analyze image` (no study needed), the image part of `codebench metrics run`, and
//! `codebench jobs`: thin shells over `codebench::image` and `codebench::jobs`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args, Subcommand};
use codebench::api::{self, jobs as jb};
use codebench::image::{self, AnalyzeOptions, ImageReport, Platform, RegistryOptions};
use codebench::jobs::{Job, JobEvent, JobKind, JobState};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::shell::Shell;
use crate::{say, Format};

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
    /// The password read from standard input, when asked for.
    fn password(&self) -> Result<Option<String>> {
        if !self.registry_password_stdin {
            return Ok(None);
        }
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the registry password from standard input")?;
        Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
    }

    /// The mirror URL and credentials, checked as the API checks them.
    pub fn resolve(&self) -> Result<(Option<String>, Option<image::Credentials>)> {
        Ok(api::jobs::registry_access(
            &api::SystemEnv,
            self.registry_url.as_deref(),
            self.registry_user.as_deref(),
            self.password()?,
        )?)
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
        crate::out::json(&report)?;
    } else {
        print_report(&report)?;
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

fn print_report(r: &ImageReport) -> Result<()> {
    say!("{}", r.source);
    if let Some(d) = &r.root_digest {
        say!("  digest {d} ({})", r.root_media_type);
    }
    for p in &r.platforms {
        let name = p
            .platform
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "unknown".into());
        say!("  platform {name}  manifest {}", p.manifest_digest);
        if let Some(e) = &p.error {
            say!(
                "    error ({}{}): {}",
                e.kind,
                if e.retryable { ", retryable" } else { "" },
                e.message
            );
            continue;
        }
        let Some(m) = &p.image else { continue };
        let fs = &m.filesystem;
        say!(
            "    {} layers, {} compressed, {} uncompressed",
            m.layer_count,
            mib(m.compressed_bytes),
            mib(m.uncompressed_bytes)
        );
        say!(
            "    {} files, {} directories, {} symlinks, {} in files, max directory level {}",
            fs.files,
            fs.directories,
            fs.symlinks,
            mib(fs.total_bytes),
            fs.max_directory_level
        );
        say!(
            "    {} environment variables, {} labels, {} exposed ports, efficiency {:.3}, wasted {}",
            m.env_count,
            m.labels.len(),
            m.exposed_ports.len(),
            fs.efficiency,
            mib(fs.wasted_bytes)
        );
        for (i, l) in p.layers.iter().enumerate() {
            say!(
                "    layer {:>2} {}  {} files, {}, max level {}",
                i + 1,
                l.digest.get(..19).unwrap_or(&l.digest),
                l.files,
                mib(l.uncompressed_bytes),
                l.max_directory_level
            );
        }
    }
    if r.attestations_skipped > 0 {
        say!(
            "  {} attestation manifest(s) skipped",
            r.attestations_skipped
        );
    }
    Ok(())
}
/// `codebench metrics ...`
#[derive(Subcommand)]
pub enum MetricsCmd {
    /// Compute what is missing (or, with --all, the Dockerfile analyses again).
    Run {
        /// Dockerfile analyses (stored per distinct Dockerfile text).
        #[arg(long)]
        dockerfiles: bool,
        /// Recompute even what is already there.
        #[arg(long, conflicts_with = "shard")]
        all: bool,
        /// Image metrics, as jobs (references from the study, and --image).
        #[arg(long)]
        images: bool,
        /// Only this project (owner/name).
        #[arg(long, value_name = "OWNER/NAME", conflicts_with = "shard")]
        project: Option<String>,
        /// Also queue this image reference; repeat for several (implies --images).
        #[arg(long = "image", value_name = "REF", conflicts_with = "shard")]
        image_refs: Vec<String>,
        /// Images analysed at once.
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
        /// Run only shard I of N (a deterministic 1/N of the pending jobs, e.g.
        /// `--shard $SLURM_ARRAY_TASK_ID/4`) in the copy given by --into; merge the copies
        /// back with `codebench merge`.
        #[arg(long, value_name = "I/N", requires = "into")]
        shard: Option<String>,
        /// The shard's copy of the study: made when missing, resumed when there.
        #[arg(long, value_name = "FILE", requires = "shard")]
        into: Option<PathBuf>,
        /// A layer cache folder shared by runs (and shards, on one machine or a shared file
        /// system): a layer analysed by one is not analysed again by another.
        #[arg(long, value_name = "DIR")]
        layer_cache: Option<PathBuf>,
        #[command(flatten)]
        registry: RegistryFlags,
    },
}

/// The progress display of a run: a spinner per running job, a line per finished one
/// (printed after the run: a closed pipe must not end a run half way).
struct RunDisplay {
    bars: MultiProgress,
    style: ProgressStyle,
    open: Mutex<HashMap<i64, ProgressBar>>,
    lines: Mutex<Vec<String>>,
}

impl RunDisplay {
    fn new() -> RunDisplay {
        RunDisplay {
            bars: MultiProgress::new(),
            style: ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            open: Mutex::new(HashMap::new()),
            lines: Mutex::new(Vec::new()),
        }
    }

    fn event(&self, e: JobEvent) {
        let label = format!("{} {}", e.job.kind.as_str(), e.job.target);
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        match e.job.state {
            JobState::Running => {
                let bar = open.entry(e.job.id).or_insert_with(|| {
                    let b = self.bars.add(ProgressBar::new_spinner());
                    b.set_style(self.style.clone());
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
                if let Ok(mut l) = self.lines.lock() {
                    l.push(line);
                }
            }
        }
    }

    /// Prints the finished jobs and the summary; fails when a job failed.
    fn finish(self, summary: &codebench::jobs::RunSummary) -> Result<()> {
        for l in self.lines.into_inner().unwrap_or_default() {
            say!("{l}");
        }
        say!(
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
}

/// A run of every queued job (of any kind and project) with these registry options: what
/// `metrics run` narrows to what it queued, and `jobs run` takes as it is.
fn run_request(
    concurrency: usize,
    layer_cache: Option<&std::path::Path>,
    registry: &RegistryFlags,
) -> Result<jb::RunJobs> {
    Ok(jb::RunJobs {
        kinds: None,
        project: None,
        concurrency: Some(concurrency.max(1)),
        registry_url: registry.registry_url.clone(),
        registry_user: registry.registry_user.clone(),
        registry_password: registry.password()?,
        layer_cache: layer_cache.map(crate::shell::abs).transpose()?,
    })
}

/// `codebench metrics run`: plans (study-wide Dockerfile metrics at once, the rest as jobs),
/// then runs the jobs with a progress line per job; with `--shard`, runs one shard in a copy.
pub fn metrics(sh: &Shell, cmd: MetricsCmd) -> Result<()> {
    let MetricsCmd::Run {
        dockerfiles,
        all,
        images,
        project,
        image_refs,
        concurrency,
        shard,
        into,
        layer_cache,
        registry,
    } = cmd;
    let run = run_request(concurrency, layer_cache.as_deref(), &registry)?;
    if let (Some(shard), Some(into)) = (shard, into) {
        let display = RunDisplay::new();
        let report = sh.task(
            api::run_metrics_shard,
            jb::RunShard {
                shard,
                into: crate::shell::abs(&into)?,
                dockerfiles,
                images,
                run,
            },
            &|e| display.event(e),
        )?;
        say!(
            "shard {} in {} ({}): {} of its {} jobs done; {} jobs belong to other shards",
            report.shard,
            report.into,
            if report.created {
                "new copy"
            } else {
                "resumed"
            },
            report.jobs_done,
            report.jobs_in_shard,
            report.jobs_elsewhere
        );
        return display.finish(&report.run);
    }
    let planned = sh.call(
        api::enqueue_metrics,
        jb::EnqueueMetrics {
            dockerfiles,
            images,
            project,
            image_refs,
            all,
        },
    )?;
    if dockerfiles
        && planned
            .kinds
            .iter()
            .all(|k| *k != JobKind::DockerfileMetrics)
    {
        let n = planned.dockerfiles_analysed;
        say!(
            "analysed {n} Dockerfile text{}",
            if n == 1 { "" } else { "s" }
        );
    }
    if planned.kinds.is_empty() {
        return Ok(());
    }
    if planned.held {
        let n = planned.jobs_queued;
        say!(
            "queued {n} job{}; the study holds queued jobs: run them with `codebench jobs run` (or `codebench jobs hold off`)",
            if n == 1 { "" } else { "s" }
        );
        return Ok(());
    }
    let display = RunDisplay::new();
    let summary = sh.task(
        api::run_jobs,
        jb::RunJobs {
            kinds: Some(planned.kinds.clone()),
            project: planned.project.clone(),
            ..run
        },
        &|e| display.event(e),
    )?;
    display.finish(&summary)
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
    /// Hold queued jobs until someone runs them (`on`), or run them as soon as they are
    /// queued (`off`, the default); none: show the setting.
    Hold {
        #[arg(value_enum)]
        state: Option<crate::cmd::reconcile::Switch>,
        /// Who changes the setting (kept in the history; default: --as).
        #[arg(long)]
        by: Option<String>,
    },
    /// Run every queued job now (held or not).
    Run {
        /// Images analysed at once.
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
        /// A layer cache folder shared by runs.
        #[arg(long, value_name = "DIR")]
        layer_cache: Option<PathBuf>,
        #[command(flatten)]
        registry: RegistryFlags,
    },
}

/// `codebench jobs`.
pub fn jobs(sh: &Shell, cmd: Option<JobsCmd>) -> Result<()> {
    match cmd.unwrap_or(JobsCmd::List {
        format: Format::Text,
    }) {
        JobsCmd::List { format } => {
            let jobs = sh.call(api::jobs, jb::JobsRequest {})?;
            if format == Format::Json {
                return crate::out::json(&jobs);
            }
            if jobs.is_empty() {
                say!("no jobs (queue some with `codebench metrics run --images`)");
            }
            for j in &jobs {
                say!(
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
            let j = sh.call(api::cancel_job, jb::JobRequest { id })?;
            say!("job {} {}: {}", j.id, j.target, j.state.as_str());
        }
        JobsCmd::Retry { id } => {
            let j = sh.call(api::retry_job, jb::JobRequest { id })?;
            say!("job {} {}: {}", j.id, j.target, j.state.as_str());
        }
        JobsCmd::Hold { state, by } => {
            let held = match state {
                None => sh.call(api::jobs_held, jb::JobsRequest {})?,
                Some(state) => {
                    let Some(by) = by.or_else(|| sh.viewer.clone()) else {
                        bail!("say who changes the setting with --by NAME (or --as)");
                    };
                    let hold = matches!(state, crate::cmd::reconcile::Switch::On);
                    sh.call(api::hold_jobs, jb::HoldJobs { hold, by })?
                }
            };
            say!(
                "{}",
                if held {
                    "queued jobs are held: they run with `codebench jobs run` (or Run queued jobs in the app)"
                } else {
                    "queued jobs run as soon as they are queued"
                }
            );
        }
        JobsCmd::Run {
            concurrency,
            layer_cache,
            registry,
        } => {
            let display = RunDisplay::new();
            let summary = sh.task(
                api::run_jobs,
                run_request(concurrency, layer_cache.as_deref(), &registry)?,
                &|e| display.event(e),
            )?;
            display.finish(&summary)?;
        }
    }
    Ok(())
}
