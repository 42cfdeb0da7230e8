//! Bench: a full agreement report for 10,000 units × 33 codes × 5 raters (many-code
//! dimension, the study's purpose hierarchy: 21 top-level codes, two of them parents of 6
//! sub-codes each), leaf and collapsed views, seeded data. Target: ≤ 100 ms per report.
//!
//! Baseline side by side: Krippendorff's α (MASI) computed naively over all pairs of
//! ratings vs the distinct-set computation inside `report`, on 2,000 units.
//!
//! Run: `cargo bench -p codebench-agreement --bench report` (add `-- --no-baseline` to
//! skip the slow naive baseline, e.g. under a profiler).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use codebench_agreement::{masi_distance, report, Cardinality, Level, Options, Ratings, Statistic};

const UNITS: usize = 10_000;
const RATERS: usize = 5;
const RUNS: usize = 15;

/// 21 top-level codes; `p0` and `p1` have 6 sub-codes each: 33 codes in all.
fn codebook() -> (Vec<String>, BTreeMap<String, String>) {
    let mut codes = Vec::new();
    let mut parents = BTreeMap::new();
    for t in 0..21 {
        let top = if t < 2 {
            format!("p{t}")
        } else {
            format!("c{t:02}")
        };
        codes.push(top.clone());
        if t < 2 {
            for s in 0..6 {
                let sub = format!("{top}.{s}");
                parents.insert(sub.clone(), top.clone());
                codes.push(sub);
            }
        }
    }
    (codes, parents)
}

fn pick(rng: &mut fastrand::Rng, cumulative: &[f64]) -> usize {
    let x = rng.f64() * cumulative[cumulative.len() - 1];
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len() - 1)
}

/// Each unit has a "true" set of 1–4 codes (Zipf-like popularity); each rater copies it
/// (70 %), drops, adds or replaces one code, or skips the unit (5 %).
fn generate(units: usize, seed: u64) -> Ratings {
    let (codes, parents) = codebook();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut cumulative = Vec::with_capacity(codes.len());
    let mut acc = 0.0;
    for i in 0..codes.len() {
        acc += 1.0 / (i as f64 + 1.0);
        cumulative.push(acc);
    }
    let rows = (0..units)
        .map(|_| {
            let mut truth = BTreeSet::new();
            truth.insert(pick(&mut rng, &cumulative));
            while truth.len() < 4 && rng.f64() < 0.45 {
                truth.insert(pick(&mut rng, &cumulative));
            }
            (0..RATERS)
                .map(|_| {
                    if rng.f64() < 0.05 {
                        return None;
                    }
                    let mut set = truth.clone();
                    let roll = rng.f64();
                    if roll >= 0.7 {
                        let some = *set.iter().nth(rng.usize(..set.len())).unwrap();
                        if roll < 0.8 && set.len() > 1 {
                            set.remove(&some);
                        } else if roll < 0.9 {
                            set.insert(pick(&mut rng, &cumulative));
                        } else {
                            set.remove(&some);
                            set.insert(pick(&mut rng, &cumulative));
                        }
                    }
                    Some(set.into_iter().map(|i| codes[i].clone()).collect())
                })
                .collect()
        })
        .collect();
    Ratings {
        dimension: "purpose".into(),
        cardinality: Cardinality::Many,
        raters: (0..RATERS).map(|r| format!("rater{r}")).collect(),
        units: rows,
        codes,
        parents,
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn time<F: FnMut() -> usize>(runs: usize, mut f: F) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = std::hint::black_box(f());
        times.push(t.elapsed());
    }
    let min = *times.iter().min().unwrap();
    (median(times), min, out)
}

/// α with MASI by comparing every pair of ratings (the O(N²) textbook definition).
fn naive_masi_alpha(ratings: &Ratings) -> f64 {
    let mut values: Vec<&BTreeSet<String>> = Vec::new();
    let mut observed = 0.0;
    for row in &ratings.units {
        let vals: Vec<&BTreeSet<String>> = row.iter().flatten().collect();
        if vals.len() < 2 {
            continue;
        }
        let mut d = 0.0;
        for (i, a) in vals.iter().enumerate() {
            for (j, b) in vals.iter().enumerate() {
                if i != j {
                    d += masi_distance(a, b);
                }
            }
        }
        observed += d / (vals.len() - 1) as f64;
        values.extend(vals);
    }
    let mut expected = 0.0;
    for (i, a) in values.iter().enumerate() {
        for b in &values[i + 1..] {
            expected += 2.0 * masi_distance(a, b);
        }
    }
    1.0 - (values.len() as f64 - 1.0) * observed / expected
}

fn main() {
    let ratings = generate(UNITS, 20_221_104);
    let distinct: BTreeSet<&BTreeSet<String>> = ratings.units.iter().flatten().flatten().collect();
    println!(
        "data: {UNITS} units × {} codes × {RATERS} raters, {} distinct code sets",
        ratings.codes.len(),
        distinct.len()
    );
    for (name, levels) in [
        ("leaf", vec![Level::Leaf]),
        ("collapsed", vec![Level::Collapsed]),
        ("leaf+collapsed", vec![Level::Leaf, Level::Collapsed]),
    ] {
        let options = Options {
            levels,
            ..Options::default()
        };
        let (med, min, rows) = time(RUNS, || report(&ratings, &options).unwrap().results.len());
        println!(
            "full report, {name:<15} median {:>8.2} ms  min {:>8.2} ms  ({rows} results, {RUNS} runs)",
            med.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3
        );
    }

    if std::env::args().any(|a| a == "--no-baseline") {
        return;
    }
    // Baseline: naive all-pairs α (MASI) vs the report's distinct-set α, same 2,000 units.
    let small = generate(2_000, 7);
    let options = Options {
        levels: vec![Level::Leaf],
        ..Options::default()
    };
    let fast_alpha = report(&small, &options)
        .unwrap()
        .results
        .iter()
        .find(|r| r.statistic == Statistic::KrippendorffAlphaMasi)
        .and_then(|r| r.value)
        .unwrap();
    let naive_alpha = naive_masi_alpha(&small);
    assert!((fast_alpha - naive_alpha).abs() < 1e-9);
    let (naive, _, _) = time(3, || (naive_masi_alpha(&small) * 1e6) as usize);
    let (fast, _, _) = time(RUNS, || report(&small, &options).unwrap().results.len());
    println!(
        "2,000 units: naive all-pairs α(MASI) median {:.2} ms; whole report (incl. α) median {:.2} ms; ratio {:.1}×",
        naive.as_secs_f64() * 1e3,
        fast.as_secs_f64() * 1e3,
        naive.as_secs_f64() / fast.as_secs_f64()
    );
}
