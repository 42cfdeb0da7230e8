//! Table 2 of the report: medians of image metrics per project kind, over every analysed
//! image (reference and platform) of the kind's projects.

use std::collections::{BTreeMap, BTreeSet};

use super::{ease2022, median, num, Compare, Table};
use crate::image::ImageMetrics;
use crate::{Result, Study};

impl Study {
    /// Table 2: medians of image metrics per kind, over every analysed image (reference and
    /// platform) of the kind's projects.
    pub(super) fn image_table(
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
