//! The report's tables computed from a source's labels and the Dockerfile analyses: project
//! kinds with repository medians (Table 1), purposes by kind, instruction shares and RUN
//! categories per project, base images and their types.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{
    ease2022, kind_dimension, kind_of_projects, median, num, pct, Compare, Labels, Report, Table,
};
use crate::codebook::UnitKind;
use crate::{Error, Result, Study};

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

impl Study {
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
}
