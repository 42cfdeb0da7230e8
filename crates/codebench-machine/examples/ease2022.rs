//! The local backend's classifier and cross-validation on the EASE 2022 reference data: the
//! paper's 406 project-kind labels (`manual-labeling.csv`, raw labels mapped to the six kinds as
//! the shipped codebook's aliases do) against features from the paper's own Dockerfile data —
//! each Dockerfile's base image (its study type and its name's words), instruction counts
//! (`instructions-per-dockerfile.csv`, duplicates removed) and RUN categories (the `purpose`
//! column). No README text is in the reference data, so the words of READMEs are not used.
//!
//! ```text
//! cargo run -p codebench-machine --example ease2022 -- ../shared/reference/ease2022 [FOLDS] [SEED]
//! ```

use std::collections::{BTreeMap, BTreeSet};

use codebench_dockerfile::{parse_image_reference, BaseImageTypes};
use codebench_machine::local::cross_validate;

fn kind_of(raw: &str) -> Option<&'static str> {
    Some(match raw.trim() {
        "model" => "model",
        "application" | "application/autopilot" => "application-system",
        "mlops" => "mlops-aiops",
        "tool" | "Machine Learning" | "AutoML" | "automl" => "toolkit",
        "DL framwork" => "dl-framework",
        "tutorials/ documentation" => "documentation-tutorials",
        _ => return None,
    })
}

fn reader(path: &std::path::Path) -> csv::Reader<std::io::Cursor<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text.trim_start_matches('\u{feff}').to_string();
    csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::Cursor::new(text))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(
        args.next()
            .unwrap_or_else(|| "../shared/reference/ease2022".into()),
    );
    let folds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    let mut feats: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut r = reader(&dir.join("manual-labeling.csv"));
    let head = r.headers().expect("header").clone();
    let col = |n: &str| head.iter().position(|h| h == n).expect(n);
    let (repo_c, topic_c, purpose_c) = (col("repos"), col("manual_topic"), col("purpose"));
    for rec in r.records().flatten() {
        let repo = rec.get(repo_c).unwrap_or("").trim().to_string();
        let Some(kind) = kind_of(rec.get(topic_c).unwrap_or("")) else {
            continue;
        };
        if repo.is_empty() {
            continue;
        }
        labels.insert(repo.clone(), kind.to_string());
        // RUN categories: `{'/Dockerfile': {'Build/Execute': 11, 'Dependencies': 7}, ...}`.
        let p = rec.get(purpose_c).unwrap_or("");
        let f = feats.entry(repo).or_default();
        let mut rest = p;
        while let Some(i) = rest.find("': ") {
            let name = rest[..i].rsplit('\'').next().unwrap_or("");
            let num: String = rest[i + 3..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if let Ok(n) = num.parse::<usize>() {
                for _ in 0..n.min(10) {
                    f.push(format!("run:{}", name.to_lowercase()));
                }
            }
            rest = &rest[i + 3..];
        }
    }
    let types = BaseImageTypes::shipped();
    let mut r = reader(&dir.join("baseimages-per-dockerfile.csv"));
    for rec in r.records().flatten() {
        let (Some(repo), Some(image)) = (rec.get(0), rec.get(3)) else {
            continue;
        };
        let Some(f) = feats.get_mut(repo.trim()) else {
            continue;
        };
        let ty = parse_image_reference(image.trim())
            .ok()
            .and_then(|i| types.classify(&i).map(str::to_lowercase))
            .unwrap_or_else(|| "unknown".into());
        f.push(format!("base:{ty}"));
        for w in image
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() >= 2)
        {
            f.push(format!("d:{}", w.to_lowercase()));
        }
    }
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut r = reader(&dir.join("instructions-per-dockerfile.csv"));
    for rec in r.records().flatten() {
        let (Some(repo), Some(file), Some(ins), Some(n)) =
            (rec.get(0), rec.get(2), rec.get(3), rec.get(4))
        else {
            continue;
        };
        if !seen.insert((repo.into(), file.into(), ins.into())) {
            continue;
        }
        let Some(f) = feats.get_mut(repo.trim()) else {
            continue;
        };
        let n: usize = n.trim().parse().unwrap_or(0);
        for _ in 0..n.min(10) {
            f.push(format!("kw:{}", ins.trim().to_lowercase()));
        }
    }
    let repos: Vec<&String> = labels.keys().collect();
    let docs: Vec<Vec<String>> = repos
        .iter()
        .map(|r| feats.get(*r).cloned().unwrap_or_default())
        .collect();
    let ys: Vec<Vec<String>> = repos.iter().map(|r| vec![labels[*r].clone()]).collect();
    let codes: Vec<String> = [
        "model",
        "application-system",
        "mlops-aiops",
        "toolkit",
        "dl-framework",
        "documentation-tutorials",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let with = docs.iter().filter(|d| !d.is_empty()).count();
    let e = cross_validate(&docs, &ys, &codes, false, folds, seed).expect("cross-validation");
    println!(
        "{} labelled projects ({with} with Dockerfile data), {} folds, seed {}",
        e.units, e.folds, e.seed
    );
    println!(
        "accuracy {:.3}, majority baseline {:.3} ({})",
        e.accuracy,
        e.baseline_accuracy,
        e.majority.join(" ")
    );
    match (e.kappa, e.kappa_ci) {
        (Some(k), Some((l, h))) => println!("Cohen's kappa {k:.3} [95% CI {l:.3}, {h:.3}]"),
        (Some(k), None) => println!("Cohen's kappa {k:.3}"),
        _ => println!(
            "Cohen's kappa undefined: {}",
            e.kappa_undefined.unwrap_or_default()
        ),
    }
}
