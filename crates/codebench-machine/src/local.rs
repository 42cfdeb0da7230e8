//! The `local` backend: no network. A multinomial naive Bayes classifier (smartcore) trained on
//! a study's own human or consensus labels, from the words of a unit's README and Dockerfiles
//! and the Dockerfile analysis (base-image types, instruction counts, RUN categories, multi-stage,
//! non-root user). A many-code dimension is one-vs-rest: one binary classifier per code.
//!
//! Before it labels anything, [`cross_validate`] reports how well it agrees with those labels on
//! units it was not trained on (k folds, seeded): accuracy, Cohen's kappa (from
//! `codebench-agreement`) and the majority-class baseline the accuracy must beat. The
//! vocabulary is built from each fold's training units only, so nothing leaks from the units
//! it is tested on.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use codebench_dockerfile::Analysis;
use serde::Serialize;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::naive_bayes::multinomial::{MultinomialNB, MultinomialNBParameters};

/// Most distinct features a model keeps (by how many training units have them).
pub const MAX_VOCABULARY: usize = 4_000;
/// Most tokens read from one unit's text.
const MAX_TOKENS: usize = 50_000;
/// A count feature (instructions of a keyword, RUNs of a category) is capped at this.
const MAX_REPEAT: usize = 10;
/// The classifier's name and version, recorded with every local run.
pub const CLASSIFIER: &str = "smartcore 0.7 multinomial naive Bayes (alpha 1), one-vs-rest for many-code dimensions; README and Dockerfile words + Dockerfile analysis features";

/// The features of one unit: words of the README (`w:`) and the Dockerfiles (`d:`), and the
/// Dockerfile analysis as tokens (`base:TYPE`, `kw:KEYWORD` per instruction, `run:CATEGORY` per
/// RUN command, `multistage`, `nonroot`, `partial`), counts capped.
pub fn features(readme: Option<&str>, dockerfiles: &[(&str, Option<&Analysis>)]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = readme {
        words(r, "w:", &mut out);
    }
    for (text, analysis) in dockerfiles {
        words(text, "d:", &mut out);
        if let Some(a) = analysis {
            for b in &a.base_types {
                out.push(format!("base:{}", b.to_lowercase()));
            }
            for (k, n) in a.counts.iter() {
                for _ in 0..(*n as usize).min(MAX_REPEAT) {
                    out.push(format!("kw:{}", k.to_lowercase()));
                }
            }
            for (k, n) in a.run_categories.iter() {
                for _ in 0..(*n as usize).min(MAX_REPEAT) {
                    out.push(format!("run:{}", k.to_lowercase()));
                }
            }
            for (flag, on) in [
                ("multistage", a.multi_stage),
                ("nonroot", a.non_root_user),
                ("partial", a.partial),
            ] {
                if on {
                    out.push(flag.to_string());
                }
            }
        }
    }
    out
}

fn words(text: &str, prefix: &str, out: &mut Vec<String>) {
    let mut n = 0;
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if n >= MAX_TOKENS {
            break;
        }
        let len = w.chars().count();
        if !(2..=40).contains(&len) || w.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        out.push(format!("{prefix}{}", w.to_lowercase()));
        n += 1;
    }
}

/// A trained model.
#[derive(Debug)]
pub struct Classifier {
    vocabulary: HashMap<String, usize>,
    /// One-code dimension: one multiclass model over `classes`; many: one binary per code.
    models: Vec<Model>,
    classes: Vec<String>,
    many: bool,
    /// The most frequent label set in training, for a unit no binary model claims.
    fallback: Vec<String>,
}

#[derive(Debug)]
enum Model {
    Nb(Box<MultinomialNB<u32, u32, DenseMatrix<u32>, Vec<u32>>>),
    /// Every training unit had this class.
    Constant(u32),
}

fn vocabulary(docs: &[&Vec<String>]) -> HashMap<String, usize> {
    let mut df: HashMap<&str, usize> = HashMap::new();
    for d in docs {
        let seen: BTreeSet<&str> = d.iter().map(String::as_str).collect();
        for t in seen {
            *df.entry(t).or_insert(0) += 1;
        }
    }
    let min_df = if docs.len() >= 20 { 2 } else { 1 };
    let mut kept: Vec<(&str, usize)> = df.into_iter().filter(|(_, n)| *n >= min_df).collect();
    kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    kept.truncate(MAX_VOCABULARY);
    kept.sort_by(|a, b| a.0.cmp(b.0));
    kept.into_iter()
        .enumerate()
        .map(|(i, (t, _))| (t.to_string(), i))
        .collect()
}

fn row(vocabulary: &HashMap<String, usize>, doc: &[String]) -> Vec<u32> {
    // One extra column that every unit has once, so no row is all zeros.
    let mut r = vec![0u32; vocabulary.len() + 1];
    r[vocabulary.len()] = 1;
    for t in doc {
        if let Some(&i) = vocabulary.get(t) {
            r[i] = r[i].saturating_add(1);
        }
    }
    r
}

fn fit_one(x: &DenseMatrix<u32>, y: Vec<u32>) -> Result<Model, String> {
    let first = y.first().copied().unwrap_or(0);
    if y.iter().all(|&c| c == first) {
        return Ok(Model::Constant(first));
    }
    MultinomialNB::fit(x, &y, MultinomialNBParameters::default())
        .map(|m| Model::Nb(Box::new(m)))
        .map_err(|e| format!("naive Bayes: {e}"))
}

fn predict_one(m: &Model, x: &DenseMatrix<u32>, n: usize) -> Result<Vec<u32>, String> {
    match m {
        Model::Constant(c) => Ok(vec![*c; n]),
        Model::Nb(nb) => nb.predict(x).map_err(|e| format!("naive Bayes: {e}")),
    }
}

fn matrix(
    vocabulary: &HashMap<String, usize>,
    docs: &[&Vec<String>],
) -> Result<DenseMatrix<u32>, String> {
    let rows: Vec<Vec<u32>> = docs.iter().map(|d| row(vocabulary, d)).collect();
    DenseMatrix::from_2d_vec(&rows).map_err(|e| format!("feature matrix: {e}"))
}

fn most_frequent(labels: &[&Vec<String>]) -> Vec<String> {
    let mut counts: BTreeMap<&Vec<String>, usize> = BTreeMap::new();
    for l in labels {
        *counts.entry(l).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(l, _)| l.clone())
        .unwrap_or_default()
}

impl Classifier {
    /// Trains on `docs` (features, see [`features`]) with their `labels` (code ids, each of
    /// `codes`); `many` for a many-code dimension.
    pub fn fit(
        docs: &[&Vec<String>],
        labels: &[&Vec<String>],
        codes: &[String],
        many: bool,
    ) -> Result<Classifier, String> {
        if docs.is_empty() || docs.len() != labels.len() {
            return Err("the classifier needs labelled units to train on".into());
        }
        let vocabulary = vocabulary(docs);
        let x = matrix(&vocabulary, docs)?;
        let classes: Vec<String> = codes.to_vec();
        let index = |c: &str| classes.iter().position(|k| k == c);
        let models = if many {
            classes
                .iter()
                .map(|c| fit_one(&x, labels.iter().map(|l| l.contains(c) as u32).collect()))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            let y: Vec<u32> = labels
                .iter()
                .map(|l| {
                    l.first()
                        .and_then(|c| index(c))
                        .map(|i| i as u32)
                        .ok_or_else(|| "a training label has no code of the dimension".to_string())
                })
                .collect::<Result<_, _>>()?;
            vec![fit_one(&x, y)?]
        };
        Ok(Classifier {
            vocabulary,
            models,
            classes,
            many,
            fallback: most_frequent(labels),
        })
    }

    /// The codes predicted for each of `docs`.
    pub fn predict(&self, docs: &[&Vec<String>]) -> Result<Vec<Vec<String>>, String> {
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let x = matrix(&self.vocabulary, docs)?;
        let n = docs.len();
        if self.many {
            let mut out = vec![Vec::new(); n];
            for (code, m) in self.classes.iter().zip(&self.models) {
                for (i, p) in predict_one(m, &x, n)?.into_iter().enumerate() {
                    if p == 1 {
                        out[i].push(code.clone());
                    }
                }
            }
            for o in &mut out {
                if o.is_empty() {
                    o.clone_from(&self.fallback);
                }
            }
            Ok(out)
        } else {
            let m = self.models.first().ok_or("no model")?;
            Ok(predict_one(m, &x, n)?
                .into_iter()
                .map(|c| {
                    self.classes
                        .get(c as usize)
                        .cloned()
                        .map(|c| vec![c])
                        .unwrap_or_else(|| self.fallback.clone())
                })
                .collect())
        }
    }
}

/// How a code fares in cross-validation (many-code dimensions: each code as yes / no).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CodeScore {
    /// The code.
    pub code: String,
    /// Units the human labels gave it.
    pub support: usize,
    /// Cohen's kappa of the code's yes / no between the model and the labels.
    pub kappa: Option<f64>,
}

/// The cross-validated agreement of the classifier with the labels it learns from.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Evaluation {
    /// Labelled units.
    pub units: usize,
    /// Folds.
    pub folds: usize,
    /// The shuffle's seed.
    pub seed: u64,
    /// Share of units whose predicted code set equals the label.
    pub accuracy: f64,
    /// Cohen's kappa between the predictions and the labels (one-code dimensions: over the
    /// codes; many-code dimensions: over the distinct label sets).
    pub kappa: Option<f64>,
    /// Its 95% confidence interval.
    pub kappa_ci: Option<(f64, f64)>,
    /// Why kappa is undefined, when it is.
    pub kappa_undefined: Option<String>,
    /// Accuracy of always predicting the training folds' most frequent label.
    pub baseline_accuracy: f64,
    /// The most frequent label over all units (the baseline's answer).
    pub majority: Vec<String>,
    /// Per code (for many-code dimensions).
    pub per_code: Vec<CodeScore>,
    /// The classifier.
    pub classifier: String,
}

/// A seeded shuffle (splitmix64), so the folds are the same on every machine.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

fn kappa_of(pairs: &[(usize, usize)], k: usize) -> codebench_agreement::Estimate {
    let mut table = vec![0u64; k * k];
    for &(a, b) in pairs {
        table[a * k + b] += 1;
    }
    codebench_agreement::cohen_kappa(&table, k, 0.95)
}

/// k-fold cross-validation (units shuffled with `seed`, `folds` clamped to 2..=units): every
/// unit is predicted by a model trained on the other folds.
pub fn cross_validate(
    docs: &[Vec<String>],
    labels: &[Vec<String>],
    codes: &[String],
    many: bool,
    folds: usize,
    seed: u64,
) -> Result<Evaluation, String> {
    let n = docs.len();
    if n < 4 || labels.len() != n {
        return Err(format!(
            "cross-validation needs at least 4 labelled units, the labels have {n}"
        ));
    }
    let k = folds.clamp(2, n);
    let order = shuffled(n, seed);
    let mut predicted: Vec<Vec<String>> = vec![Vec::new(); n];
    let mut baseline_hits = 0usize;
    for f in 0..k {
        let test: Vec<usize> = order.iter().copied().skip(f).step_by(k).collect();
        let train: Vec<usize> = order
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, _)| i % k != f)
            .map(|(_, u)| u)
            .collect();
        let td: Vec<&Vec<String>> = train.iter().map(|&i| &docs[i]).collect();
        let tl: Vec<&Vec<String>> = train.iter().map(|&i| &labels[i]).collect();
        let model = Classifier::fit(&td, &tl, codes, many)?;
        let majority = most_frequent(&tl);
        let xd: Vec<&Vec<String>> = test.iter().map(|&i| &docs[i]).collect();
        for (&i, p) in test.iter().zip(model.predict(&xd)?) {
            predicted[i] = p;
            baseline_hits += usize::from(norm(&labels[i]) == norm(&majority));
        }
    }
    let hits = (0..n)
        .filter(|&i| norm(&predicted[i]) == norm(&labels[i]))
        .count();
    // Kappa over categories: the codes (one-code) or the distinct label sets (many).
    let mut cats: Vec<Vec<String>> = Vec::new();
    let mut cat = |l: &Vec<String>| {
        let l = norm(l);
        match cats.iter().position(|c| *c == l) {
            Some(i) => i,
            None => {
                cats.push(l);
                cats.len() - 1
            }
        }
    };
    let pairs: Vec<(usize, usize)> = (0..n)
        .map(|i| (cat(&predicted[i]), cat(&labels[i])))
        .collect();
    let overall = kappa_of(&pairs, cats.len().max(1));
    let per_code = if many {
        codes
            .iter()
            .map(|c| {
                let pairs: Vec<(usize, usize)> = (0..n)
                    .map(|i| {
                        (
                            usize::from(predicted[i].contains(c)),
                            usize::from(labels[i].contains(c)),
                        )
                    })
                    .collect();
                CodeScore {
                    code: c.clone(),
                    support: labels.iter().filter(|l| l.contains(c)).count(),
                    kappa: kappa_of(&pairs, 2).value,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let all: Vec<&Vec<String>> = labels.iter().collect();
    Ok(Evaluation {
        units: n,
        folds: k,
        seed,
        accuracy: hits as f64 / n as f64,
        kappa: overall.value,
        kappa_ci: overall.ci_low.zip(overall.ci_high),
        kappa_undefined: overall.undefined_reason.clone(),
        baseline_accuracy: baseline_hits as f64 / n as f64,
        majority: most_frequent(&all),
        per_code,
        classifier: CLASSIFIER.to_string(),
    })
}

fn norm(l: &[String]) -> Vec<String> {
    let mut v = l.to_vec();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(words: &str) -> Vec<String> {
        features(Some(words), &[])
    }

    #[test]
    fn it_learns_separable_labels_and_beats_the_baseline() {
        let mut docs = Vec::new();
        let mut labels = Vec::new();
        for i in 0..30 {
            if i % 3 == 0 {
                docs.push(doc(&format!("train model weights pytorch epoch{i}")));
                labels.push(vec!["model".to_string()]);
            } else {
                docs.push(doc(&format!("command line tool install usage flag{i}")));
                labels.push(vec!["tool".to_string()]);
            }
        }
        let codes = vec!["model".to_string(), "tool".to_string()];
        let e = cross_validate(&docs, &labels, &codes, false, 5, 7).unwrap();
        assert_eq!(e.units, 30);
        assert!(e.accuracy > e.baseline_accuracy, "{e:?}");
        assert!(e.kappa.unwrap() > 0.8, "{e:?}");
        let m = Classifier::fit(
            &docs.iter().collect::<Vec<_>>(),
            &labels.iter().collect::<Vec<_>>(),
            &codes,
            false,
        )
        .unwrap();
        let p = m.predict(&[&doc("pytorch model weights")]).unwrap();
        assert_eq!(p, vec![vec!["model".to_string()]]);
    }

    #[test]
    fn many_code_dimensions_are_one_vs_rest() {
        let mut docs = Vec::new();
        let mut labels = Vec::new();
        for i in 0..24 {
            let (t, l): (&str, Vec<&str>) = match i % 3 {
                0 => ("serve api http endpoint", vec!["serve"]),
                1 => ("train dataset gpu", vec!["train"]),
                _ => ("serve api train dataset gpu http", vec!["serve", "train"]),
            };
            docs.push(doc(t));
            labels.push(l.into_iter().map(String::from).collect());
        }
        let codes = vec!["serve".to_string(), "train".to_string()];
        let e = cross_validate(&docs, &labels, &codes, true, 4, 1).unwrap();
        assert_eq!(e.per_code.len(), 2);
        assert!(e.accuracy >= e.baseline_accuracy, "{e:?}");
    }

    #[test]
    fn too_few_units_are_refused() {
        let e = cross_validate(
            &[doc("a b")],
            &[vec!["x".into()]],
            &["x".into()],
            false,
            5,
            1,
        );
        assert!(e.is_err());
    }
}
