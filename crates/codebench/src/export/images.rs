//! The tables of the analysed images: `images.csv` (one row per image reference and platform,
//! with its configuration and file system metrics) and `layers.csv` (one row per layer).

use std::collections::BTreeMap;

use super::opt;
use crate::{Result, Study};

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

pub(super) fn image_rows(study: &Study) -> Result<Vec<Vec<String>>> {
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

pub(super) fn layer_rows(study: &Study) -> Result<Vec<Vec<String>>> {
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
