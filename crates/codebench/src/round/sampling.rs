//! How a round's sample is drawn and sized: each unit's stratum (its project's consensus code,
//! else its raters' majority), the category shares the size plan assumes, and the seeded
//! SplitMix64 draw with proportional (largest remainder) allocation that the selection's
//! samples share.

use std::collections::{BTreeMap, BTreeSet};

use crate::codebook::{Cardinality, Codebook};
use crate::coding::Decision;
use crate::{Result, Study};

/// Each unit's stratum: the consensus code of its project in `dim`, else the code most of
/// the project's raters chose (ties: codebook order), else `(uncoded)`.
pub(super) fn strata_of(
    study: &Study,
    book: &Codebook,
    dim: &str,
    pool: &[String],
) -> Result<BTreeMap<String, Vec<String>>> {
    let d = book.require_dimension(dim)?;
    let consensus = crate::consensus::consensus_of(study.conn(), book, Some(dim))?;
    let mut votes: BTreeMap<String, BTreeMap<usize, usize>> = BTreeMap::new();
    for dec in study.decisions(None)? {
        if dec.dimension != dim {
            continue;
        }
        if let Some(code) = dec.codes.first() {
            let pos = d
                .codes
                .iter()
                .position(|c| &c.id == code)
                .unwrap_or(usize::MAX);
            *votes.entry(dec.unit).or_default().entry(pos).or_default() += 1;
        }
    }
    let project_of: BTreeMap<String, String> = study
        .units()?
        .into_iter()
        .map(|u| (u.name, u.project))
        .collect();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for unit in pool {
        let project = project_of
            .get(unit)
            .cloned()
            .unwrap_or_else(|| unit.clone());
        let stratum = if let Some(c) = consensus.get(&project).and_then(|c| c.codes.first()) {
            c.clone()
        } else if let Some(v) = votes.get(&project) {
            let best = v
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(p, _)| *p);
            best.and_then(|p| d.codes.get(p))
                .map(|c| c.id.clone())
                .unwrap_or_else(|| "(uncoded)".into())
        } else {
            "(uncoded)".into()
        };
        out.entry(stratum).or_default().push(unit.clone());
    }
    Ok(out)
}

/// Category shares for planning: the shares of the codes chosen so far in `dim` (one-code
/// dimensions), or `[p, 1 − p]` with p the mean share of units a code is given to
/// (many-code dimensions, per-code κ); uniform over the top-level codes, or `[0.5, 0.5]`,
/// when too little is decided.
pub(super) fn plan_marginals(study: &Study, book: &Codebook, dim: &str) -> Result<Vec<f64>> {
    let d = book.require_dimension(dim)?;
    let decisions: Vec<Decision> = study
        .decisions(None)?
        .into_iter()
        .filter(|x| x.dimension == dim)
        .collect();
    match d.cardinality {
        Cardinality::One => {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for x in &decisions {
                if let Some(c) = x.codes.first() {
                    *counts.entry(c).or_default() += 1;
                }
            }
            let total: usize = counts.values().sum();
            if counts.len() >= 2 && counts.values().all(|&n| n < total) {
                return Ok(counts.values().map(|&n| n as f64 / total as f64).collect());
            }
            let top = d.codes.iter().filter(|c| c.parent.is_none()).count().max(2);
            Ok(vec![1.0 / top as f64; top])
        }
        Cardinality::Many => {
            let n_codes = d.codes.len().max(1) as f64;
            let p = if decisions.is_empty() {
                0.5
            } else {
                let given: usize = decisions.iter().map(|x| x.codes.len()).sum();
                (given as f64 / (decisions.len() as f64 * n_codes)).clamp(0.05, 0.5)
            };
            Ok(vec![p, 1.0 - p])
        }
    }
}

/// SplitMix64: a small, well-known generator; enough for reproducible sampling (rounds and
/// the selection's samples, through [`sample`]).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// `k` items drawn without replacement from `items` (partial Fisher–Yates).
    fn choose(&mut self, items: &[String], k: usize) -> Vec<String> {
        let mut v = items.to_vec();
        let k = k.min(v.len());
        for i in 0..k {
            let j = i + self.below(v.len() - i);
            v.swap(i, j);
        }
        v.truncate(k);
        v
    }
}

/// Draws `size` units: everything in `keep`, then per stratum up to its proportional share
/// (largest remainder), then at random from the rest if the shares fell short.
pub(crate) fn sample(
    strata: &BTreeMap<String, Vec<String>>,
    keep: &BTreeSet<String>,
    size: usize,
    seed: u64,
) -> BTreeSet<String> {
    let total: usize = strata.values().map(Vec::len).sum();
    let mut rng = SplitMix64(seed);
    // Largest-remainder allocation of `size` over the strata.
    let mut alloc: Vec<(String, usize, f64)> = strata
        .iter()
        .map(|(s, u)| {
            let exact = size as f64 * u.len() as f64 / total as f64;
            (s.clone(), exact.floor() as usize, exact - exact.floor())
        })
        .collect();
    let mut left = size - alloc.iter().map(|a| a.1).sum::<usize>();
    let mut order: Vec<usize> = (0..alloc.len()).collect();
    order.sort_by(|&a, &b| alloc[b].2.total_cmp(&alloc[a].2).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        alloc[i].1 += 1;
        left -= 1;
    }
    let mut chosen: BTreeSet<String> = keep.clone();
    for (s, want, _) in &alloc {
        let units = &strata[s];
        let have = units.iter().filter(|u| keep.contains(*u)).count();
        let rest: Vec<String> = units
            .iter()
            .filter(|u| !keep.contains(*u))
            .cloned()
            .collect();
        chosen.extend(rng.choose(&rest, want.saturating_sub(have)));
    }
    if chosen.len() < size {
        let rest: Vec<String> = strata
            .values()
            .flatten()
            .filter(|u| !chosen.contains(*u))
            .cloned()
            .collect();
        let need = size - chosen.len();
        chosen.extend(rng.choose(&rest, need));
    }
    chosen
}
