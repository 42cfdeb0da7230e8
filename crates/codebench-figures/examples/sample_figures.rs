//! Writes sample figures (shaped like the 2022 study's) for a look by eye.
//!
//! `cargo run -p codebench-figures --example sample_figures -- [DIR]`; DIR defaults to
//! `target/figures-sample` and is created.

use codebench_figures::{write, BarFigure, BoxFigure, BoxGroup, Figure, Series};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A deterministic, skewed sample (file counts spanning orders of magnitude).
fn skewed(seed: u64, n: usize, scale: f64) -> Vec<f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = ((state >> 11) as f64) / ((1u64 << 53) as f64);
            (scale * (6.0 * u).exp()).round().max(1.0)
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/figures-sample".to_owned());
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    let kinds = strings(&[
        "Application System",
        "MLOps / AIOps",
        "Toolkit",
        "DL Framework",
        "Model",
        "Documentation / Tutorials",
    ]);
    let general = strings(&[
        "Manage Services",
        "Manage Users",
        "Task Scheduling",
        "Hosting",
        "Simulation",
        "Build and Packaging",
        "Tool Integration",
        "CI/CD",
        "Environment Variables",
        "Network Management",
        "Dependencies Management and Distribution",
        "Cloud-based Development",
        "Interactive Development",
        "Security",
        "Denoising and Evaluating Workflows",
    ]);
    let figures = vec![
        Figure::Bars(BarFigure {
            id: "kinds".into(),
            title: "Project kinds (406 projects)".into(),
            x_label: "Kind".into(),
            y_label: "Share of projects".into(),
            categories: kinds.clone(),
            series: vec![
                Series {
                    name: "Rater A".into(),
                    values: vec![0.42, 0.23, 0.16, 0.15, 0.03, 0.01],
                },
                Series {
                    name: "Rater B".into(),
                    values: vec![0.40, 0.24, 0.17, 0.15, 0.03, 0.01],
                },
                Series {
                    name: "Consensus".into(),
                    values: vec![0.419, 0.227, 0.155, 0.153, 0.032, 0.015],
                },
            ],
            horizontal: false,
            percent: true,
        }),
        Figure::Bars(BarFigure {
            id: "purposes".into(),
            title: "Purposes of Dockerfiles".into(),
            x_label: "Purpose".into(),
            y_label: "Dockerfiles".into(),
            categories: strings(&[
                "Dependencies Management and Distribution",
                "Model Management",
                "Build and Packaging",
                "Dockerfile for tests/CI",
                "Interactive Development",
                "deep-learning framework",
                "Data Management",
                "Hosting",
                "Logging/Monitoring",
                "A label far longer than forty characters, to be cut short",
            ]),
            series: vec![Series {
                name: "Dockerfiles".into(),
                values: vec![
                    512.0, 301.0, 254.0, 120.0, 98.0, 77.0, 64.0, 40.0, 22.0, 5.0,
                ],
            }],
            horizontal: true,
            percent: false,
        }),
        Figure::Boxes(BoxFigure {
            id: "files".into(),
            title: "Files per image, by project kind".into(),
            y_label: "Files (log scale)".into(),
            groups: kinds
                .iter()
                .enumerate()
                .map(|(i, name)| BoxGroup {
                    name: name.clone(),
                    values: if i == 5 {
                        Vec::new()
                    } else {
                        skewed(i as u64, 40 + 20 * i, 300.0)
                    },
                })
                .collect(),
            log_scale: true,
        }),
        Figure::Bars(BarFigure {
            id: "purposes_upright".into(),
            title: "General purposes (labels upright when they cannot wrap)".into(),
            x_label: "Purpose".into(),
            y_label: "Share of Dockerfiles".into(),
            categories: general.clone(),
            series: vec![Series {
                name: "Dockerfiles".into(),
                values: (0..general.len()).map(|i| 0.6 / (i + 1) as f64).collect(),
            }],
            horizontal: false,
            percent: true,
        }),
        Figure::Bars(BarFigure {
            id: "empty".into(),
            title: "A figure with no data yet".into(),
            x_label: "Kind".into(),
            y_label: "Projects".into(),
            categories: Vec::new(),
            series: Vec::new(),
            horizontal: false,
            percent: false,
        }),
    ];
    for figure in &figures {
        for path in write(figure, &dir)? {
            println!("{}", path.display());
        }
    }
    Ok(())
}
