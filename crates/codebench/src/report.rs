//! The reference study's tables, computed from this study: project kinds with repository
//! medians (its Table 1), purposes by kind, instruction shares and RUN categories per project,
//! base images and their types. With [`Compare::Ease2022`] the published figures stand beside
//! this study's (restated in [`ease2022`]).
//!
//! Labels come from one source ([`Labels`]): the reconciled consensus, which is what a paper
//! reports, or one rater's decisions, which is how the published labels themselves are brought
//! in (a rater named `ease2022`). A report names its source and lists, per dimension, the
//! units that source has no label for.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::codebook::{Cardinality, UnitKind};
use crate::image::ImageMetrics;
use crate::{Error, Result, Study};

/// The figures the EASE 2022 study published, as restated in the project's reference notes.
pub mod ease2022 {
    /// Projects per kind (code id, projects, share in percent).
    pub const KINDS: [(&str, u32, f64); 6] = [
        ("application-system", 170, 42.0),
        ("mlops-aiops", 92, 23.0),
        ("toolkit", 63, 16.0),
        ("dl-framework", 62, 15.0),
        ("model", 13, 3.0),
        ("documentation-tutorials", 6, 1.0),
    ];
    /// Table 2, medians per kind over the projects' images: (code id, config size in KB,
    /// environment variables, layers, rootfs layers, files, deepest directory level).
    pub const IMAGE_MEDIANS: [(&str, f64, f64, f64, f64, f64, f64); 6] = [
        ("model", 13.74, 9.0, 19.5, 22.0, 51_943.0, 17.0),
        ("application-system", 11.36, 8.0, 17.0, 19.0, 62_660.0, 16.0),
        ("mlops-aiops", 11.7, 8.0, 13.0, 17.0, 49_768.0, 14.0),
        ("toolkit", 11.38, 8.0, 17.0, 19.5, 61_828.0, 17.0),
        ("dl-framework", 12.45, 10.0, 16.0, 19.5, 62_967.0, 17.0),
        (
            "documentation-tutorials",
            8.56,
            5.5,
            12.0,
            13.0,
            89_581.0,
            18.0,
        ),
    ];
    /// Median share of each instruction per project, percent (n = 405).
    pub const INSTRUCTION_SHARES: [(&str, f64); 12] = [
        ("RUN", 37.8),
        ("ENV", 13.0),
        ("COPY", 12.5),
        ("ARG", 11.0),
        ("FROM", 8.8),
        ("WORKDIR", 7.5),
        ("ADD", 5.3),
        ("CMD", 4.3),
        ("ENTRYPOINT", 3.9),
        ("EXPOSE", 3.5),
        ("USER", 3.2),
        ("VOLUME", 2.0),
    ];
    /// Median share of each RUN command category per project, percent.
    pub const RUN_CATEGORIES: [(&str, f64); 5] = [
        ("Dependencies", 42.1),
        ("Build/Execute", 31.6),
        ("Filesystem", 24.8),
        ("Permissions", 5.3),
        ("Environment", 3.0),
    ];
    /// Share of projects using each base-image type, percent.
    pub const BASE_IMAGE_TYPES: [(&str, f64); 13] = [
        ("Operating System", 63.4),
        ("Language Runtime", 50.9),
        ("Platform Runtime", 39.3),
        ("Machine Learning Platform", 29.6),
        ("Variable", 18.8),
        ("Web Computing", 7.3),
        ("Static Binary", 5.3),
        ("Data Processing and Analysis", 4.3),
        ("Interactive Computing", 3.5),
        ("Database", 2.3),
        ("Compute resources and Distributed processing", 1.8),
        ("Network Communication", 1.5),
        ("Monitoring System", 0.25),
    ];
    /// Share of projects using the most common base images, percent (`{org}` = non-official).
    pub const BASE_IMAGES: [(&str, f64); 5] = [
        ("ubuntu", 53.9),
        ("{org}/cuda", 37.8),
        ("python", 36.1),
        ("{org}/tensorflow", 11.0),
        ("alpine", 10.3),
    ];
}

/// Whether to put published figures beside this study's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// This study only.
    None,
    /// With the EASE 2022 figures.
    Ease2022,
}

/// One table of the report.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Table {
    /// Short id, also the CSV file stem (e.g. `kinds`).
    pub id: String,
    /// Title for people.
    pub title: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells, already formatted.
    pub rows: Vec<Vec<String>>,
    /// How it was computed.
    pub note: String,
}

/// All tables.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "StudyReport")]
pub struct Report {
    /// Whose labels were used: `consensus`, or a rater's name.
    pub source: String,
    /// The tables, in order.
    pub tables: Vec<Table>,
    /// Per dimension, the units the source has no label for (for the consensus: units not
    /// reconciled yet), so a table's counts can be read with what they leave out.
    pub unlabelled: Vec<Unlabelled>,
    /// How the corpus was selected, as a methods paragraph (the query, dates, criteria with
    /// their counts, the sample's seed), when the study recorded a selection.
    pub selection: Option<String>,
}

/// The units of one dimension without a label from the report's source.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Unlabelled {
    /// Dimension id.
    pub dimension: String,
    /// Units of the dimension's kind.
    pub units_total: usize,
    /// The units without a label, by name.
    pub units: Vec<String>,
}

/// Where a report's labels come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Labels {
    /// The reconciled consensus.
    Consensus,
    /// One rater's decisions (as the viewer may see them).
    Rater(String),
}

/// The label source name that means the consensus (a rater may not be called so).
pub const CONSENSUS_LABELS: &str = "consensus";

impl Labels {
    /// `consensus`, or a rater's name.
    pub fn parse(name: &str) -> Labels {
        if name.trim() == CONSENSUS_LABELS {
            Labels::Consensus
        } else {
            Labels::Rater(name.trim().to_string())
        }
    }

    /// The source's name as reports print it.
    pub fn name(&self) -> &str {
        match self {
            Labels::Consensus => CONSENSUS_LABELS,
            Labels::Rater(r) => r,
        }
    }
}

/// What a project's analysed Dockerfiles add up to.
#[derive(Debug, Default)]
struct ProjectDockerfiles {
    /// Instructions per keyword over all its Dockerfiles.
    instructions: BTreeMap<String, f64>,
    /// RUN commands per category.
    run_categories: BTreeMap<String, f64>,
    /// External base images (`{org}/name` for non-official ones).
    base_images: BTreeSet<String>,
    /// Their base-image types.
    base_types: BTreeSet<String>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn pct(x: f64) -> String {
    format!("{:.1}", x * 100.0)
}

fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => String::new(),
    }
}

impl Study {
    /// Whose labels a report uses when none is named: the study's only rater (the `ease2022`
    /// labels of a published study, or a lone coder); else the consensus once there is one;
    /// else an error naming the choices.
    pub fn default_labels(&self) -> Result<Labels> {
        let raters = self.raters()?;
        if let [only] = raters.as_slice() {
            return Ok(Labels::Rater(only.name.clone()));
        }
        if !self.consensus(None)?.is_empty() {
            return Ok(Labels::Consensus);
        }
        if raters.is_empty() {
            return Err(Error::Invalid(
                "this study has no rater yet, so no labels to report".into(),
            ));
        }
        Err(Error::Invalid(format!(
            "say whose labels to report: consensus (none reconciled yet) or one of {}",
            raters
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    /// The labels of a source as decisions (a consensus as a decision of `consensus`), as
    /// `viewer` may see them, and per dimension the units without one.
    pub fn labels(
        &self,
        labels: &Labels,
        viewer: Option<&str>,
    ) -> Result<(Vec<crate::coding::Decision>, Vec<Unlabelled>)> {
        let decisions = match labels {
            Labels::Rater(rater) => {
                if !self.raters()?.iter().any(|r| &r.name == rater) {
                    return Err(Error::unknown("rater", rater.clone()));
                }
                self.decisions_seen_by(viewer, Some(rater))?.items
            }
            Labels::Consensus => self
                .consensus(None)?
                .into_iter()
                .map(|c| crate::coding::Decision {
                    rater: CONSENSUS_LABELS.into(),
                    unit: c.unit,
                    dimension: c.dimension,
                    codes: c.codes,
                    memo: c.rationale,
                    flagged: false,
                    coded_at: c.decided_at,
                    suggested_by: Vec::new(),
                })
                .collect(),
        };
        let book = self.cached_codebook()?;
        let units = self.units()?;
        let have: BTreeSet<(&str, &str)> = decisions
            .iter()
            .map(|d| (d.unit.as_str(), d.dimension.as_str()))
            .collect();
        let unlabelled = book
            .dimensions
            .iter()
            .map(|d| {
                let of_kind: Vec<&crate::corpus::UnitInfo> =
                    units.iter().filter(|u| u.kind == d.unit.as_str()).collect();
                Unlabelled {
                    dimension: d.id.clone(),
                    units_total: of_kind.len(),
                    units: of_kind
                        .iter()
                        .filter(|u| !have.contains(&(u.name.as_str(), d.id.as_str())))
                        .map(|u| u.name.clone())
                        .collect(),
                }
            })
            .collect();
        Ok((decisions, unlabelled))
    }

    /// Computes the report from a source's labels, as `viewer` may see them.
    pub fn report(
        &self,
        labels: &Labels,
        viewer: Option<&str>,
        compare: Compare,
    ) -> Result<Report> {
        let (decisions, unlabelled) = self.labels(labels, viewer)?;
        let rater = labels.name();
        let book = self.cached_codebook()?;
        let kind_dim = kind_dimension(&book).ok_or_else(|| {
            Error::Invalid("the codebook has no one-code project dimension to group by".into())
        })?;
        let purpose_dim = book
            .dimensions
            .iter()
            .find(|d| d.unit == UnitKind::Dockerfile);
        let kind_of = kind_of_projects(&decisions, kind_dim);
        let name_of = |id: &str| {
            kind_dim
                .code(id)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| id.to_string())
        };
        let kinds: Vec<&str> = kind_dim.codes.iter().map(|c| c.id.as_str()).collect();
        let total = kind_of.len();
        let mut tables = Vec::new();

        // Table 1: kinds with counts, shares and repository medians.
        let metas: HashMap<String, serde_json::Value> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT full_name, metadata FROM project")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            rows.filter_map(|r| r.ok())
                .map(|(n, m)| (n, serde_json::from_str(&m).unwrap_or_default()))
                .collect()
        };
        let metric_keys = ["stars", "forks", "watchers", "open_issues", "size_kib"];
        let mut cols: Vec<String> = vec!["kind".into(), "projects".into(), "share_pct".into()];
        if compare == Compare::Ease2022 {
            cols.extend(["ease2022_projects".into(), "ease2022_share_pct".into()]);
        }
        cols.extend(metric_keys.iter().map(|k| format!("median_{k}")));
        let mut rows = Vec::new();
        for k in &kinds {
            let members: Vec<&String> = kind_of
                .iter()
                .filter(|(_, c)| c == k)
                .map(|(u, _)| u)
                .collect();
            let n = members.len();
            let mut row = vec![
                name_of(k),
                n.to_string(),
                if total > 0 {
                    pct(n as f64 / total as f64)
                } else {
                    String::new()
                },
            ];
            if compare == Compare::Ease2022 {
                let published = ease2022::KINDS.iter().find(|(id, _, _)| id == k);
                row.push(published.map(|p| p.1.to_string()).unwrap_or_default());
                row.push(published.map(|p| format!("{:.0}", p.2)).unwrap_or_default());
            }
            for key in metric_keys {
                let vals: Vec<f64> = members
                    .iter()
                    .filter_map(|u| metas.get(*u).and_then(|m| m[key].as_f64()))
                    .collect();
                row.push(num(median(vals)));
            }
            rows.push(row);
        }
        rows.push({
            let mut r = vec![
                "Total".into(),
                total.to_string(),
                if total > 0 {
                    "100.0".into()
                } else {
                    String::new()
                },
            ];
            if compare == Compare::Ease2022 {
                r.extend(["406".into(), "100".into()]);
            }
            r.resize(cols.len(), String::new());
            r
        });
        tables.push(Table {
            id: "kinds".into(),
            title: format!("Project kinds ({rater})"),
            columns: cols,
            rows,
            note: "Table 1 of the study: projects per kind; medians of repository metadata over the kind's projects (empty for projects without GitHub metadata).".into(),
        });

        // Purposes by kind: a project's purposes are the union over its Dockerfiles.
        if let Some(pd) = purpose_dim {
            let mut by_project: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for d in decisions.iter().filter(|d| d.dimension == pd.id) {
                let project = d.unit.split(':').next().unwrap_or("").to_string();
                by_project
                    .entry(project)
                    .or_default()
                    .extend(d.codes.iter().cloned());
            }
            let mut cols = vec![
                "purpose".to_string(),
                "parent".to_string(),
                "projects".to_string(),
            ];
            cols.extend(kinds.iter().map(|k| name_of(k)));
            let mut rows = Vec::new();
            for c in &pd.codes {
                let has = |codes: &BTreeSet<String>| {
                    codes.contains(&c.id)
                        || pd
                            .codes
                            .iter()
                            .any(|s| s.parent.as_deref() == Some(&c.id) && codes.contains(&s.id))
                };
                let users: Vec<&String> = by_project
                    .iter()
                    .filter(|(_, codes)| has(codes))
                    .map(|(p, _)| p)
                    .collect();
                let mut row = vec![
                    c.name.clone(),
                    c.parent.clone().unwrap_or_default(),
                    users.len().to_string(),
                ];
                for k in &kinds {
                    row.push(
                        users
                            .iter()
                            .filter(|p| kind_of.get(p.as_str()).map(String::as_str) == Some(*k))
                            .count()
                            .to_string(),
                    );
                }
                rows.push(row);
            }
            tables.push(Table {
                id: "purposes".into(),
                title: format!("Purposes by kind ({rater})"),
                columns: cols,
                rows,
                note: "Projects with at least one Dockerfile coded with the purpose (a parent counts when any of its sub-codes is given), overall and per kind.".into(),
            });
        }

        // Instruction shares and RUN categories per project, from the Dockerfile analyses.
        let mut per_project: BTreeMap<String, ProjectDockerfiles> = BTreeMap::new();
        for p in self.projects()? {
            let view = self.project_view(&p.name)?;
            let entry = per_project.entry(p.name.clone()).or_default();
            for f in view.dockerfiles {
                if let Some(a) = f.analysis {
                    for (k, v) in &a.counts {
                        *entry.instructions.entry(k.to_string()).or_default() += f64::from(*v);
                    }
                    for (k, v) in &a.run_categories {
                        *entry.run_categories.entry(k.to_string()).or_default() += f64::from(*v);
                    }
                    for s in &a.stages {
                        if s.base.stage.is_none() && !s.base.variable {
                            let n = s
                                .base
                                .name
                                .clone()
                                .unwrap_or_else(|| s.base.resolved.clone());
                            let label = if s.base.official == Some(false) {
                                format!("{{org}}/{n}")
                            } else {
                                n
                            };
                            entry.base_images.insert(label);
                        }
                    }
                    entry.base_types.extend(a.base_types.iter().cloned());
                }
            }
        }
        let with_df: Vec<&String> = per_project
            .iter()
            .filter(|(_, v)| !v.instructions.is_empty())
            .map(|(k, _)| k)
            .collect();
        let share_table = |id: &str,
                           title: &str,
                           keys: Vec<String>,
                           pick: &dyn Fn(&String) -> Option<BTreeMap<String, f64>>,
                           published: &[(&str, f64)]| {
            let mut cols = vec!["item".to_string(), "median_share_pct".to_string()];
            if compare == Compare::Ease2022 {
                cols.push("ease2022_median_share_pct".into());
            }
            cols.extend(kinds.iter().map(|k| name_of(k)));
            let mut rows = Vec::new();
            for key in keys {
                let share_of = |p: &String| -> Option<f64> {
                    let m = pick(p)?;
                    let total: f64 = m.values().sum();
                    (total > 0.0).then(|| m.get(&key).copied().unwrap_or(0.0) / total)
                };
                let all: Vec<f64> = with_df.iter().filter_map(|p| share_of(p)).collect();
                let mut row = vec![key.clone(), median(all).map(pct).unwrap_or_default()];
                if compare == Compare::Ease2022 {
                    row.push(
                        published
                            .iter()
                            .find(|(k, _)| *k == key)
                            .map(|(_, v)| format!("{v:.1}"))
                            .unwrap_or_default(),
                    );
                }
                for k in &kinds {
                    let vals: Vec<f64> = with_df
                        .iter()
                        .filter(|p| kind_of.get(p.as_str()).map(String::as_str) == Some(*k))
                        .filter_map(|p| share_of(p))
                        .collect();
                    row.push(median(vals).map(pct).unwrap_or_default());
                }
                rows.push(row);
            }
            Table {
                id: id.into(),
                title: title.into(),
                columns: cols,
                rows,
                note: String::new(),
            }
        };
        let mut t = share_table(
            "instructions",
            "Instruction shares per project",
            crate::export::INSTRUCTION_KEYWORDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            &|p| per_project.get(p).map(|v| v.instructions.clone()),
            &ease2022::INSTRUCTION_SHARES,
        );
        t.note = format!("For each project with analysed Dockerfiles ({}), the keyword's share of all its instructions; median over projects, overall and per kind.", with_df.len());
        tables.push(t);
        let mut cats: Vec<String> = codebench_dockerfile::run::CATEGORIES
            .iter()
            .map(|s| s.to_string())
            .collect();
        cats.push(codebench_dockerfile::run::UNKNOWN.into());
        let mut t = share_table(
            "run_categories",
            "RUN command categories per project",
            cats,
            &|p| per_project.get(p).map(|v| v.run_categories.clone()),
            &ease2022::RUN_CATEGORIES,
        );
        t.note = "Each RUN split into commands; first word classified with the study's keyword lists; median share per project.".into();
        tables.push(t);

        // Base images and base-image types: share of projects using each.
        let n_df = with_df.len().max(1) as f64;
        let usage = |id: &str,
                     title: &str,
                     pick: &dyn Fn(&String) -> BTreeSet<String>,
                     published: &[(&str, f64)],
                     limit: usize| {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for p in &with_df {
                for item in pick(p) {
                    *counts.entry(item).or_default() += 1;
                }
            }
            let mut items: Vec<(String, usize)> = counts.into_iter().collect();
            items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            items.truncate(limit);
            let mut cols = vec![
                "item".to_string(),
                "projects".to_string(),
                "share_pct".to_string(),
            ];
            if compare == Compare::Ease2022 {
                cols.push("ease2022_share_pct".into());
            }
            let rows = items
                .into_iter()
                .map(|(k, n)| {
                    let mut r = vec![k.clone(), n.to_string(), pct(n as f64 / n_df)];
                    if compare == Compare::Ease2022 {
                        r.push(
                            published
                                .iter()
                                .find(|(x, _)| *x == k)
                                .map(|(_, v)| format!("{v}"))
                                .unwrap_or_default(),
                        );
                    }
                    r
                })
                .collect();
            Table { id: id.into(), title: title.into(), columns: cols, rows, note: "Share of projects with analysed Dockerfiles that use it (a project counts once per item).".into() }
        };
        tables.push(usage(
            "base_images",
            "Base images",
            &|p| per_project[p].base_images.clone(),
            &ease2022::BASE_IMAGES,
            25,
        ));
        tables.push(usage(
            "base_image_types",
            "Base-image types",
            &|p| per_project[p].base_types.clone(),
            &ease2022::BASE_IMAGE_TYPES,
            20,
        ));
        tables.push(self.image_table(&kinds, &kind_of, &name_of, compare)?);
        Ok(Report {
            source: rater.into(),
            tables,
            unlabelled,
            selection: self.selection_methods()?,
        })
    }

    /// Table 2: medians of image metrics per kind, over every analysed image (reference and
    /// platform) of the kind's projects.
    fn image_table(
        &self,
        kinds: &[&str],
        kind_of: &BTreeMap<String, String>,
        name_of: &dyn Fn(&str) -> String,
        compare: Compare,
    ) -> Result<Table> {
        let by_kind = images_by_kind(self, kind_of)?;
        let mut cols: Vec<String> = [
            "kind",
            "projects",
            "images",
            "config_kb",
            "architectures",
            "os",
            "env_vars",
            "layers",
            "rootfs_layers",
            "files",
            "max_dir_level",
            "total_mb",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect();
        if compare == Compare::Ease2022 {
            cols.extend(
                [
                    "ease2022_config_kb",
                    "ease2022_env_vars",
                    "ease2022_layers",
                    "ease2022_rootfs_layers",
                    "ease2022_files",
                    "ease2022_max_dir_level",
                ]
                .iter()
                .map(|c| c.to_string()),
            );
        }
        let mut rows = Vec::new();
        for k in kinds {
            let Some(images) = by_kind.get(*k) else {
                continue;
            };
            let projects: BTreeSet<&String> = images.iter().map(|(p, _)| p).collect();
            let col = |f: &dyn Fn(&ImageMetrics) -> f64| {
                num(median(images.iter().map(|(_, i)| f(i)).collect()))
            };
            let set = |f: &dyn Fn(&ImageMetrics) -> Option<String>| {
                images
                    .iter()
                    .filter_map(|(_, i)| f(i))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut row = vec![
                name_of(k),
                projects.len().to_string(),
                images.len().to_string(),
                num(median(
                    images
                        .iter()
                        .map(|(_, i)| i.config_bytes as f64 / 1000.0)
                        .collect(),
                )
                .map(|v| (v * 100.0).round() / 100.0)),
                set(&|i| i.architecture.clone()),
                set(&|i| i.os.clone()),
                col(&|i| i.env_count as f64),
                col(&|i| i.layer_count as f64),
                col(&|i| i.diff_id_count as f64),
                col(&|i| i.filesystem.files as f64),
                col(&|i| i.filesystem.max_directory_level as f64),
                num(median(
                    images
                        .iter()
                        .map(|(_, i)| i.filesystem.total_bytes as f64 / 1e6)
                        .collect(),
                )
                .map(|v| (v * 10.0).round() / 10.0)),
            ];
            if compare == Compare::Ease2022 {
                match ease2022::IMAGE_MEDIANS.iter().find(|m| m.0 == *k) {
                    Some(m) => row.extend(
                        [m.1, m.2, m.3, m.4, m.5, m.6]
                            .iter()
                            .map(|v| format!("{v}")),
                    ),
                    None => row.resize(cols.len(), String::new()),
                }
            }
            rows.push(row);
        }
        Ok(Table {
            id: "images".into(),
            title: "Images by kind (medians)".into(),
            columns: cols,
            rows,
            note: "Table 2 of the study: for each kind, medians over every analysed image (reference and platform) of its projects; a reference belongs to the projects it was found in. Config size in KB (1,000 bytes: the study's table reads \"MB\" but its data are bytes); files and directory level over the merged filesystem (level = path components − 1); total_mb = bytes of the files present, in MB (10^6). Kinds without analysed images are left out.".into(),
        })
    }
}

/// The dimension the report groups projects by: the codebook's first one-code project
/// dimension (`kind` in the shipped codebook).
pub(crate) fn kind_dimension(
    book: &crate::codebook::Codebook,
) -> Option<&crate::codebook::Dimension> {
    book.dimensions
        .iter()
        .find(|d| d.unit == UnitKind::Project && d.cardinality == Cardinality::One)
}

/// Each project's code in `kind_dim` among `decisions` (one rater's), by project name.
pub(crate) fn kind_of_projects(
    decisions: &[crate::coding::Decision],
    kind_dim: &crate::codebook::Dimension,
) -> BTreeMap<String, String> {
    decisions
        .iter()
        .filter(|d| d.dimension == kind_dim.id)
        .filter_map(|d| d.codes.first().map(|c| (d.unit.clone(), c.clone())))
        .collect()
}

/// Every analysed image of each kind's projects: (project, metrics), by kind code id.
pub(crate) fn images_by_kind(
    study: &Study,
    kind_of: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Vec<(String, ImageMetrics)>>> {
    let projects_of = study.projects_by_reference()?;
    let mut out: BTreeMap<String, Vec<(String, ImageMetrics)>> = BTreeMap::new();
    for m in study.image_metrics(None)? {
        let Some(image) = m.report.image else {
            continue;
        };
        for p in projects_of.get(&m.reference).into_iter().flatten() {
            if let Some(k) = kind_of.get(p) {
                out.entry(k.clone())
                    .or_default()
                    .push((p.clone(), image.clone()));
            }
        }
    }
    Ok(out)
}

impl Report {
    /// The report as Markdown: one section and one pipe table per table.
    pub fn to_markdown(&self) -> String {
        let mut out = if self.source == CONSENSUS_LABELS {
            "# Codebench report\n\nLabels: the consensus.\n".to_string()
        } else {
            format!("# Codebench report\n\nLabels: rater `{}`.\n", self.source)
        };
        for u in self.unlabelled.iter().filter(|u| !u.units.is_empty()) {
            out.push_str(&format!(
                "\n{} of {} units have no {} label in `{}`: {}.\n",
                u.units.len(),
                u.units_total,
                if self.source == CONSENSUS_LABELS {
                    "reconciled"
                } else {
                    ""
                },
                u.dimension,
                u.units.join(", ")
            ));
        }
        if let Some(methods) = &self.selection {
            out.push_str(&format!("\n## Corpus selection\n\n{methods}\n"));
        }
        for t in &self.tables {
            out.push_str(&format!("\n## {}\n\n", t.title));
            if !t.note.is_empty() {
                out.push_str(&format!("{}\n\n", t.note));
            }
            out.push_str(&format!("| {} |\n", t.columns.join(" | ")));
            out.push_str(&format!("|{}\n", " --- |".repeat(t.columns.len())));
            for r in &t.rows {
                out.push_str(&format!(
                    "| {} |\n",
                    r.iter()
                        .map(|c| c.replace('|', "\\|"))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
            }
        }
        out
    }

    /// The report as one long CSV: `table,row,column,value`.
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        w.write_record(["table", "row", "column", "value"])?;
        for t in &self.tables {
            for r in &t.rows {
                for (c, v) in t.columns.iter().zip(r).skip(1) {
                    w.write_record([t.id.as_str(), &r[0], c, v])?;
                }
            }
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::io("report", e.into_error()))?;
        Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings"))
    }
}
