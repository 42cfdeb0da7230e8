//! Reproduces the study's base-image figures (EASE 2022 replication data) from the FROM images
//! it lists per Dockerfile. Skips with a message when `../shared/reference` is absent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use codebench_dockerfile::{analyze, parse_image_reference, BaseImageTypes, VARIABLE};

fn reference_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/ease2022");
    if dir.join("baseimages-per-dockerfile.csv").exists() {
        Some(dir)
    } else {
        println!(
            "SKIPPED: {} not found (the study's reference data sits beside the checkout)",
            dir.display()
        );
        None
    }
}

/// The six project kinds of the study from the raw `Category` labels.
fn kind(raw: &str) -> Option<&'static str> {
    Some(match raw.trim() {
        "application" | "application/autopilot" | "Application System" => "Application System",
        "mlops" | "MLOps/ AIOps" => "MLOps/AIOps",
        "tool" | "Machine Learning" | "AutoML" | "automl" | "Toolkit" => "Toolkit",
        "DL framwork" | "DL Framwork" => "DL Framework",
        "model" | "Model" => "Model",
        "tutorials/ documentation" | "Documentation" => "Documentation",
        _ => return None,
    })
}

struct Row {
    repo: String,
    kind: &'static str,
    image: String,
}

/// FROM images per Dockerfile, without references to other stages of the same Dockerfile.
fn rows(dir: &std::path::Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(dir.join("baseimages-per-dockerfile.csv")).unwrap();
    let raw: Vec<(String, String, String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| {
            (
                r[0].trim_start_matches('\u{feff}').to_string(),
                r[1].to_string(),
                r[2].to_string(),
                r[3].to_string(),
            )
        })
        .collect();
    let mut aliases: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (repo, _, file, image) in &raw {
        let words: Vec<&str> = image.split_whitespace().collect();
        if words.len() == 3 && words[1].eq_ignore_ascii_case("as") {
            aliases
                .entry((repo.clone(), file.clone()))
                .or_default()
                .insert(words[2].to_ascii_lowercase());
        }
    }
    raw.iter()
        .filter_map(|(repo, cat, file, image)| {
            let first = image.split_whitespace().next()?.to_string();
            let is_stage = aliases
                .get(&(repo.clone(), file.clone()))
                .is_some_and(|a| a.contains(&first.to_ascii_lowercase()));
            let kind = kind(cat)?;
            (!is_stage).then(|| Row {
                repo: repo.clone(),
                kind,
                image: first,
            })
        })
        .collect()
}

/// The type of one FROM image, as the analysis assigns it.
fn type_of(image: &str, types: &BaseImageTypes) -> Option<String> {
    // Run it through the full analysis so the test covers the real path.
    let a = analyze("Dockerfile", format!("FROM {image}\n").as_bytes());
    let t = a.stages.first()?.base_type.clone();
    if image.contains("{{") {
        return Some(VARIABLE.to_string());
    }
    t.or_else(|| {
        parse_image_reference(image)
            .ok()
            .and_then(|r| types.classify(&r).map(str::to_string))
    })
}

/// Study counts: the CSVs give % of the 399 projects with figures; turn them into projects.
fn study_counts(dir: &std::path::Path, file: &str) -> BTreeMap<(String, String), i64> {
    let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
    reader
        .records()
        .map(|r| r.unwrap())
        .filter_map(|r| {
            let k = kind(&r[0].replace('\u{feff}', ""))?;
            let what = r[1].split_whitespace().collect::<Vec<_>>().join(" ");
            let what = what.replace("Languange", "Language");
            let pct: f64 = r[2].trim().parse().ok()?;
            Some(((k.to_string(), what), (pct * 399.0 / 100.0).round() as i64))
        })
        .collect()
}

#[test]
fn base_image_types_per_kind_match_the_study() {
    let Some(dir) = reference_dir() else { return };
    let types = BaseImageTypes::shipped();
    let rows = rows(&dir);
    let mut ours: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut typed = 0;
    let mut untyped: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        match type_of(&row.image, types) {
            Some(t) => {
                typed += 1;
                ours.entry((row.kind.to_string(), t))
                    .or_default()
                    .insert(row.repo.clone());
            }
            None => *untyped.entry(row.image.clone()).or_default() += 1,
        }
    }
    let study = study_counts(&dir, "base-image-types-by-kind.csv");
    let mut exact = 0;
    let mut close = 0;
    println!("{:<22} {:<46} {:>6} {:>6}", "kind", "type", "study", "ours");
    for ((k, t), n) in &study {
        let got = ours
            .get(&(k.clone(), t.clone()))
            .map_or(0, |s| s.len() as i64);
        println!("{k:<22} {t:<46} {n:>6} {got:>6}");
        exact += usize::from(got == *n);
        close += usize::from((got - n).abs() <= 2 || (got - n).abs() as f64 <= 0.2 * *n as f64);
    }
    // Over all kinds: projects per type, ranked, against the study's ranking (FACTS.md).
    let mut study_total: BTreeMap<&str, i64> = BTreeMap::new();
    for ((_, t), n) in &study {
        *study_total.entry(t.as_str()).or_default() += n;
    }
    let mut our_total: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for ((_, t), repos) in &ours {
        our_total
            .entry(t.as_str())
            .or_default()
            .extend(repos.iter().map(String::as_str));
    }
    let names: Vec<&str> = study_total.keys().copied().collect();
    let study_v: Vec<f64> = names.iter().map(|t| study_total[t] as f64).collect();
    let our_v: Vec<f64> = names
        .iter()
        .map(|t| our_total.get(t).map_or(0, |s| s.len()) as f64)
        .collect();
    let rho = spearman(&study_v, &our_v);
    for (i, t) in names.iter().enumerate() {
        println!(
            "all kinds: {t:<46} study {:>4} ours {:>4}",
            study_v[i], our_v[i]
        );
    }
    let share_typed = typed as f64 / rows.len() as f64;
    println!(
        "FROM images typed: {typed}/{} ({:.1}%); kind x type cells: {exact} of {} exact, {close} \
         within 2 projects or 20%; Spearman rank correlation of projects per type: {rho:.3}",
        rows.len(),
        100.0 * share_typed,
        study.len()
    );
    let mut top: Vec<_> = untyped.into_iter().collect();
    top.sort_by_key(|b| std::cmp::Reverse(b.1));
    println!(
        "most frequent untyped images: {:?}",
        &top[..top.len().min(25)]
    );
    assert!(share_typed > 0.90, "only {share_typed:.3} of images typed");
    assert!(
        rho > 0.9,
        "type ranking differs from the study: rho = {rho:.3}"
    );
    // The four leading types come in the study's order.
    let mut ranked: Vec<(&str, f64)> = names.iter().copied().zip(our_v.iter().copied()).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let leading: Vec<&str> = ranked.iter().take(4).map(|r| r.0).collect();
    assert_eq!(
        leading,
        [
            "Operating System",
            "Language Runtime",
            "Platform Runtime",
            "Machine Learning Platform"
        ]
    );
}

/// Spearman's rank correlation (average ranks for ties).
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
                j += 1;
            }
            for k in i..=j {
                r[idx[k]] = (i + j) as f64 / 2.0 + 1.0;
            }
            i = j + 1;
        }
        r
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let cov: f64 = ra
        .iter()
        .zip(&rb)
        .map(|(x, y)| (x - mean) * (y - mean))
        .sum();
    let va: f64 = ra.iter().map(|x| (x - mean).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mean).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn most_used_base_images_per_kind_match_the_study() {
    let Some(dir) = reference_dir() else { return };
    let rows = rows(&dir);
    let mut ours: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for row in &rows {
        let a = analyze("Dockerfile", format!("FROM {}\n", row.image).as_bytes());
        let Some(stage) = a.stages.first() else {
            continue;
        };
        let (Some(name), Some(official)) = (&stage.base.name, stage.base.official) else {
            continue;
        };
        let label = if official {
            name.to_ascii_lowercase()
        } else {
            format!("{{}}/{}", name.to_ascii_lowercase())
        };
        ours.entry((row.kind.to_string(), label))
            .or_default()
            .insert(row.repo.clone());
    }
    let study = study_counts(&dir, "base-images-by-kind.csv");
    let mut close = 0;
    for ((k, image), n) in &study {
        let got = ours
            .get(&(k.clone(), image.clone()))
            .map_or(0, |s| s.len() as i64);
        println!("{k:<22} {image:<16} study {n:>4} ours {got:>4}");
        close += usize::from((got - n).abs() <= 2 || (got - n).abs() as f64 <= 0.2 * *n as f64);
    }
    println!(
        "base images: {close} of {} cells within 2 projects or 20%",
        study.len()
    );
    // The study's most used image of each kind is among our three most used.
    let kinds: BTreeSet<&String> = study.keys().map(|(k, _)| k).collect();
    for k in kinds {
        let study_top = study
            .iter()
            .filter(|((kk, _), _)| kk == k)
            .max_by_key(|(_, n)| **n)
            .map(|((_, i), _)| i.clone())
            .unwrap();
        let mut mine: Vec<(&String, usize)> = ours
            .iter()
            .filter(|((kk, _), _)| kk == k)
            .map(|((_, i), s)| (i, s.len()))
            .collect();
        mine.sort_by_key(|b| std::cmp::Reverse(b.1));
        let top3: Vec<&String> = mine.iter().take(3).map(|m| m.0).collect();
        assert!(
            top3.contains(&&study_top),
            "{k}: study top {study_top}, ours {top3:?}"
        );
    }
}
