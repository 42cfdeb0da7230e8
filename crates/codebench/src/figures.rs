//! The paper's figures, drawn from the same numbers as the report's tables: project kinds,
//! purposes (with sub-codes), instruction shares and RUN categories by kind, base-image types,
//! and the images' files and directory levels by kind. The drawing is the crate
//! `codebench-figures` (plotters, a bundled font: the same bytes on every machine); this
//! module only turns a study's [`Report`](crate::report::Report) and image metrics into figure
//! data, so the CLI (`codebench report --figures DIR`) and the app show the same figures.

use std::path::{Path, PathBuf};

pub use codebench_figures::{BarFigure, BoxFigure, BoxGroup, Figure, Series};
use serde::Serialize;

use crate::report::{Compare, Labels, Report, Table};
use crate::{Error, Result, Study};

/// Most categories a bar figure shows (the rest are in the report's tables).
const MAX_BARS: usize = 15;

/// A figure rendered for display: its id, title and SVG document.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RenderedFigure {
    /// File stem (`kinds`, `purposes`, ...).
    pub id: String,
    /// Title.
    pub title: String,
    /// The SVG document (labels escaped by the renderer).
    pub svg: String,
}

impl Study {
    /// The paper's figures from one rater's labels (see the module documentation), with the
    /// published figures beside where `compare` asks for them and the study has them.
    pub fn figures(
        &self,
        labels: &Labels,
        viewer: Option<&str>,
        compare: Compare,
    ) -> Result<Vec<Figure>> {
        let report = self.report(labels, viewer, compare)?;
        let mut out = Vec::new();
        if let Some(t) = table(&report, "kinds") {
            out.push(kinds(t, compare));
        }
        if let Some(t) = table(&report, "purposes") {
            let book = self.cached_codebook()?;
            let name_of = |id: &str| {
                book.dimensions
                    .iter()
                    .find_map(|d| d.code(id).map(|c| c.name.clone()))
                    .unwrap_or_else(|| id.to_string())
            };
            out.push(purposes(t, &name_of));
        }
        for (id, title, y) in [
            (
                "instructions",
                "Instruction shares per project by kind (medians)",
                "Instruction",
            ),
            (
                "run_categories",
                "RUN command categories per project by kind (medians)",
                "RUN category",
            ),
        ] {
            if let Some(t) = table(&report, id) {
                out.push(shares_by_kind(t, title, y));
            }
        }
        if let Some(t) = table(&report, "base_image_types") {
            out.push(usage(
                t,
                "base_image_types",
                "Base-image types",
                "Base-image type",
            ));
        }
        out.extend(self.image_boxes(labels, viewer)?);
        out.extend(self.selection_funnel()?);
        Ok(out)
    }

    /// Writes every figure as `<id>.svg` and `<id>.png` into `dir` (created if missing);
    /// returns the files written.
    pub fn write_figures(
        &self,
        labels: &Labels,
        viewer: Option<&str>,
        compare: Compare,
        dir: &Path,
    ) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut written = Vec::new();
        for f in self.figures(labels, viewer, compare)? {
            written.extend(codebench_figures::write(&f, dir)?);
        }
        Ok(written)
    }

    /// Every figure as SVG, for the app.
    pub fn figures_svg(
        &self,
        labels: &Labels,
        viewer: Option<&str>,
        compare: Compare,
    ) -> Result<Vec<RenderedFigure>> {
        self.figures(labels, viewer, compare)?
            .iter()
            .map(|f| {
                Ok(RenderedFigure {
                    id: f.id().to_string(),
                    title: match f {
                        Figure::Bars(b) => b.title.clone(),
                        Figure::Boxes(b) => b.title.clone(),
                    },
                    svg: codebench_figures::svg(f)?,
                })
            })
            .collect()
    }

    /// Box plots of the images' files and deepest directory level per kind.
    fn image_boxes(&self, labels: &Labels, viewer: Option<&str>) -> Result<Vec<Figure>> {
        let book = self.cached_codebook()?;
        let Some(kind_dim) = crate::report::kind_dimension(&book) else {
            return Ok(Vec::new());
        };
        let kind_of = crate::report::kind_of_projects(&self.labels(labels, viewer)?.0, kind_dim);
        let by_kind = crate::report::images_by_kind(self, &kind_of)?;
        let groups = |f: &dyn Fn(&crate::image::ImageMetrics) -> f64| -> Vec<BoxGroup> {
            kind_dim
                .codes
                .iter()
                .filter_map(|c| {
                    by_kind.get(&c.id).map(|images| BoxGroup {
                        name: c.name.clone(),
                        values: images.iter().map(|(_, i)| f(i)).collect(),
                    })
                })
                .collect()
        };
        let files = groups(&|i| i.filesystem.files as f64);
        let log_ok = files.iter().all(|g| g.values.iter().all(|v| *v > 0.0));
        Ok(vec![
            Figure::Boxes(BoxFigure {
                id: "image_files".into(),
                title: "Files per image by kind".into(),
                y_label: if log_ok { "Files (log scale)" } else { "Files" }.into(),
                groups: files,
                log_scale: log_ok,
            }),
            Figure::Boxes(BoxFigure {
                id: "image_directory_levels".into(),
                title: "Deepest directory level per image by kind".into(),
                y_label: "Directory level (path components - 1)".into(),
                groups: groups(&|i| i.filesystem.max_directory_level as f64),
                log_scale: false,
            }),
        ])
    }
}

/// The agreement shown on the Agreement screen as a figure: one horizontal bar per overall
/// result with a value (dimension, statistic, raters; sub-codes collapsed marked), in the
/// report's order. Undefined results have no bar; beyond [`codebench_figures::MAX_CATEGORIES`]
/// rows the title says how many are drawn. `None` when no result has a value.
pub fn agreement_figure(
    report: &crate::agreement::Report,
    name_of_dimension: &dyn Fn(&str) -> String,
    scope: &str,
) -> Option<Figure> {
    let shown: Vec<&crate::agreement::StatResult> = report
        .results
        .iter()
        .filter(|r| r.code.is_none() && r.value.is_some_and(f64::is_finite))
        .collect();
    if shown.is_empty() {
        return None;
    }
    let max = codebench_figures::MAX_CATEGORIES;
    let drawn = &shown[..shown.len().min(max)];
    // One dimension: named in the title, so the bar labels (cut at 40 characters) keep room
    // for the statistic and the raters.
    let one_dimension = drawn.iter().all(|r| r.dimension == drawn[0].dimension);
    let categories = drawn
        .iter()
        .map(|r| {
            let level = match r.level {
                crate::agreement::Level::Leaf => "",
                crate::agreement::Level::Collapsed => " (collapsed)",
            };
            let what = format!("{}{level} · {}", r.statistic.title(), r.raters.join("–"));
            if one_dimension {
                what
            } else {
                format!("{} · {what}", name_of_dimension(&r.dimension))
            }
        })
        .collect();
    let more = if shown.len() > drawn.len() {
        format!(" (first {} of {} results)", drawn.len(), shown.len())
    } else {
        String::new()
    };
    Some(Figure::Bars(BarFigure {
        id: "agreement".to_string(),
        title: if one_dimension {
            format!(
                "Agreement on {}, {scope}{more}",
                name_of_dimension(&drawn[0].dimension)
            )
        } else {
            format!("Agreement, {scope}{more}")
        },
        x_label: String::new(),
        y_label: "Value".to_string(),
        categories,
        series: vec![Series {
            name: "value".to_string(),
            values: drawn.iter().map(|r| r.value.unwrap_or_default()).collect(),
        }],
        horizontal: true,
        percent: false,
    }))
}

fn table<'a>(r: &'a Report, id: &str) -> Option<&'a Table> {
    r.tables.iter().find(|t| t.id == id)
}

fn col(t: &Table, name: &str) -> Option<usize> {
    t.columns.iter().position(|c| c == name)
}

/// A formatted cell as a number (empty or unparsable: 0).
fn cell(row: &[String], i: usize) -> f64 {
    row.get(i)
        .and_then(|c| c.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

fn kinds(t: &Table, compare: Compare) -> Figure {
    let rows: Vec<&Vec<String>> = t.rows.iter().filter(|r| r[0] != "Total").collect();
    let share = col(t, "share_pct").unwrap_or(2);
    let mut series = vec![Series {
        name: "This study".into(),
        values: rows.iter().map(|r| cell(r, share) / 100.0).collect(),
    }];
    if let (Compare::Ease2022, Some(p)) = (compare, col(t, "ease2022_share_pct")) {
        series.push(Series {
            name: "EASE 2022".into(),
            values: rows.iter().map(|r| cell(r, p) / 100.0).collect(),
        });
    }
    Figure::Bars(BarFigure {
        id: "kinds".into(),
        title: "Project kinds".into(),
        x_label: "Kind".into(),
        y_label: "Share of projects".into(),
        categories: rows.iter().map(|r| r[0].clone()).collect(),
        series,
        horizontal: false,
        percent: true,
    })
}

fn purposes(t: &Table, name_of: &dyn Fn(&str) -> String) -> Figure {
    let parent = col(t, "parent").unwrap_or(1);
    let projects = col(t, "projects").unwrap_or(2);
    let mut rows: Vec<(String, f64)> = t
        .rows
        .iter()
        .map(|r| {
            let name = match r.get(parent).filter(|p| !p.is_empty()) {
                Some(p) => format!("{} › {}", name_of(p), r[0]),
                None => r[0].clone(),
            };
            (name, cell(r, projects))
        })
        .filter(|(_, n)| *n > 0.0)
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    rows.truncate(MAX_BARS);
    Figure::Bars(BarFigure {
        id: "purposes".into(),
        title: format!(
            "Dockerfile purposes (top {}, sub-codes as parent › sub-code)",
            rows.len()
        ),
        x_label: "Purpose".into(),
        y_label: "Projects".into(),
        categories: rows.iter().map(|r| r.0.clone()).collect(),
        series: vec![Series {
            name: "Projects".into(),
            values: rows.iter().map(|r| r.1).collect(),
        }],
        horizontal: true,
        percent: false,
    })
}

/// Grouped bars: the table's items (rows) by kind (the columns after the overall median).
fn shares_by_kind(t: &Table, title: &str, x: &str) -> Figure {
    let first_kind = col(t, "median_share_pct").map_or(2, |i| i + 1);
    let kinds: Vec<(usize, String)> = t
        .columns
        .iter()
        .enumerate()
        .skip(first_kind)
        .filter(|(_, c)| !c.starts_with("ease2022"))
        .map(|(i, c)| (i, c.clone()))
        .take(codebench_figures::MAX_SERIES)
        .collect();
    let mut rows: Vec<&Vec<String>> = t
        .rows
        .iter()
        .filter(|r| kinds.iter().any(|(i, _)| cell(r, *i) > 0.0))
        .collect();
    rows.truncate(10);
    Figure::Bars(BarFigure {
        id: t.id.clone(),
        title: title.into(),
        x_label: x.into(),
        y_label: "Median share per project".into(),
        categories: rows.iter().map(|r| r[0].clone()).collect(),
        series: kinds
            .iter()
            .map(|(i, name)| Series {
                name: name.clone(),
                values: rows.iter().map(|r| cell(r, *i) / 100.0).collect(),
            })
            .collect(),
        horizontal: false,
        percent: true,
    })
}

fn usage(t: &Table, id: &str, title: &str, x: &str) -> Figure {
    let share = col(t, "share_pct").unwrap_or(2);
    let rows: Vec<&Vec<String>> = t.rows.iter().take(MAX_BARS).collect();
    let mut series = vec![Series {
        name: "This study".into(),
        values: rows.iter().map(|r| cell(r, share) / 100.0).collect(),
    }];
    if let Some(p) = col(t, "ease2022_share_pct") {
        series.push(Series {
            name: "EASE 2022".into(),
            values: rows.iter().map(|r| cell(r, p) / 100.0).collect(),
        });
    }
    Figure::Bars(BarFigure {
        id: id.into(),
        title: title.into(),
        x_label: x.into(),
        y_label: "Share of projects".into(),
        categories: rows.iter().map(|r| r[0].clone()).collect(),
        series,
        horizontal: true,
        percent: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample study coded by one rater from its answer key.
    fn coded() -> (tempfile::TempDir, Study) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = crate::sample::create(&dir.path().join("s.codebench")).unwrap();
        let keys = dir.path().join("keys.csv");
        let mut text = String::from("rater,unit,dimension,code\n");
        for line in include_str!("../../../sample/expected-codes.csv")
            .lines()
            .skip(1)
        {
            text.push_str(&format!("ana,{line}\n"));
        }
        std::fs::write(&keys, text).unwrap();
        s.import_codings(&keys).unwrap();
        (dir, s)
    }

    #[test]
    fn figures_carry_the_reports_numbers() {
        let (dir, s) = coded();
        let figures = s
            .figures(&Labels::Rater("ana".into()), None, Compare::Ease2022)
            .unwrap();
        let ids: Vec<&str> = figures.iter().map(|f| f.id()).collect();
        assert_eq!(
            ids,
            [
                "kinds",
                "purposes",
                "instructions",
                "run_categories",
                "base_image_types",
                "image_files",
                "image_directory_levels"
            ]
        );
        let report = s
            .report(&Labels::Rater("ana".into()), None, Compare::Ease2022)
            .unwrap();
        let kinds = table(&report, "kinds").unwrap();
        let Figure::Bars(b) = &figures[0] else {
            panic!("bars")
        };
        assert_eq!(b.categories.len(), 6);
        for (i, row) in kinds.rows.iter().take(6).enumerate() {
            assert_eq!(b.categories[i], row[0]);
            assert!((b.series[0].values[i] * 100.0 - row[2].parse::<f64>().unwrap()).abs() < 1e-9);
        }
        assert_eq!(b.series[1].name, "EASE 2022");
        assert!(
            (b.series[1].values[1] - 0.42).abs() < 1e-9,
            "Application System 42%"
        );
        // Sub-codes are named with their parent's name, not its id.
        let Figure::Bars(p) = &figures[1] else {
            panic!("bars")
        };
        assert!(
            p.categories
                .iter()
                .any(|c| c.starts_with("Model Management › ")),
            "{:?}",
            p.categories
        );
        // No image was analysed: the box plots are there, with no groups ("no data").
        let Figure::Boxes(files) = &figures[5] else {
            panic!("boxes")
        };
        assert!(files.groups.is_empty());

        let out = dir.path().join("figs");
        let written = s
            .write_figures(&Labels::Rater("ana".into()), None, Compare::None, &out)
            .unwrap();
        assert_eq!(written.len(), 14);
        for w in &written {
            let bytes = std::fs::read(w).unwrap();
            if w.extension().unwrap() == "png" {
                assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", w.display());
            } else {
                assert!(
                    String::from_utf8(bytes).unwrap().contains("<svg"),
                    "{}",
                    w.display()
                );
            }
        }
        let svgs = s
            .figures_svg(&Labels::Rater("ana".into()), None, Compare::None)
            .unwrap();
        assert_eq!(svgs.len(), 7);
        assert_eq!(svgs[0].title, "Project kinds");
        assert!(svgs[0].svg.contains("Application"));
    }

    #[test]
    fn an_unknown_rater_is_named() {
        let (_d, s) = coded();
        let e = s
            .figures(&Labels::Rater("nobody".into()), None, Compare::None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nobody"), "{e}");
    }
}
