//! Distances between code sets (MASI and Jaccard) and Krippendorff's α over set-valued
//! ratings.
//!
//! α is computed from coincidences of *distinct* code sets weighted by how often each
//! occurs, never by comparing every pair of units: expected disagreement is a sum over
//! pairs of distinct sets (at most D² / 2 intersections for D distinct sets), observed
//! disagreement a sum over the few rating pairs inside each unit.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::coefficients::{Estimate, FEW_UNITS};
use crate::quantile::t_quantile;

/// MASI distance (Passonneau 2006) between two sets from their sizes and intersection
/// size: 1 − J·M with J the Jaccard index and M = 1 (equal), 2/3 (one contains the
/// other), 1/3 (overlap), 0 (disjoint). Two empty sets have distance 0.
pub(crate) fn masi_from_sizes(a: u32, b: u32, inter: u32) -> f64 {
    if a == b && a == inter {
        return 0.0;
    }
    if inter == 0 {
        return 1.0;
    }
    let union = (a + b - inter) as f64;
    let m = if inter == a.min(b) {
        2.0 / 3.0
    } else {
        1.0 / 3.0
    };
    1.0 - inter as f64 / union * m
}

/// Jaccard distance 1 − |A ∩ B| / |A ∪ B| from sizes; two empty sets have distance 0.
pub(crate) fn jaccard_from_sizes(a: u32, b: u32, inter: u32) -> f64 {
    let union = a + b - inter;
    if union == 0 {
        return 0.0;
    }
    (union - inter) as f64 / union as f64
}

/// MASI distance between two code sets (Passonneau 2006), with weights exactly 1, 2/3,
/// 1/3 and 0; two empty sets are at distance 0. Same as NLTK's `masi_distance`, which
/// fails on two empty sets.
pub fn masi_distance<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> f64 {
    let inter = a.intersection(b).count() as u32;
    masi_from_sizes(a.len() as u32, b.len() as u32, inter)
}

/// Jaccard distance between two code sets; two empty sets are at distance 0. Same as
/// NLTK's `jaccard_distance`, which fails on two empty sets.
pub fn jaccard_distance<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> f64 {
    let inter = a.intersection(b).count() as u32;
    jaccard_from_sizes(a.len() as u32, b.len() as u32, inter)
}

/// A small multiplicative hasher (the FxHash scheme) for the hot lookups of code ids and
/// bitsets; keys come from the study's own codebook, so hash flooding is not a concern.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for &b in chunks.remainder() {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(x as u64);
    }
}

/// `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Code sets of one level stored as bitsets of `words` u64 each, interned so every
/// distinct set has one id.
pub(crate) struct SetTable {
    words: usize,
    bits: Vec<u64>,
    sizes: Vec<u32>,
    index: FastMap<Vec<u64>, u32>,
    index1: FastMap<u64, u32>,
}

impl SetTable {
    pub(crate) fn new(words: usize) -> Self {
        SetTable {
            words,
            bits: Vec::new(),
            sizes: Vec::new(),
            index: FastMap::default(),
            index1: FastMap::default(),
        }
    }

    /// Id of the set `bits` (length `words`), adding it if new.
    pub(crate) fn intern(&mut self, bits: &[u64]) -> u32 {
        let next = self.sizes.len() as u32;
        let id = if self.words == 1 {
            *self.index1.entry(bits[0]).or_insert(next)
        } else if let Some(&id) = self.index.get(bits) {
            id
        } else {
            self.index.insert(bits.to_vec(), next);
            next
        };
        if id == next {
            self.bits.extend_from_slice(bits);
            self.sizes.push(bits.iter().map(|w| w.count_ones()).sum());
        }
        id
    }

    fn set(&self, id: u32) -> &[u64] {
        let s = id as usize * self.words;
        &self.bits[s..s + self.words]
    }

    fn intersection(&self, a: u32, b: u32) -> u32 {
        self.set(a)
            .iter()
            .zip(self.set(b))
            .map(|(x, y)| (x & y).count_ones())
            .sum()
    }
}

/// Krippendorff's α with MASI and with Jaccard distance, and exact-set agreement, for
/// set-valued ratings.
pub(crate) struct SetAgreement {
    pub(crate) exact: Estimate,
    pub(crate) masi: Estimate,
    pub(crate) jaccard: Estimate,
}

/// `units[u]` lists the interned set ids of the ratings of unit `u` (missing ratings
/// left out). Both α carry Gwet's linearised SE with a t interval at `confidence`, as the
/// nominal α does ([`crate::coefficients::krippendorff_nominal`]), with the weights
/// 1 − δ between code sets.
pub(crate) fn set_agreement(table: &SetTable, units: &[Vec<u32>], confidence: f64) -> SetAgreement {
    let d = table.sizes.len();
    let mut n_c = vec![0u64; d];
    let mut obs_masi = 0.0;
    let mut obs_jacc = 0.0;
    let mut exact_sum = 0.0;
    let mut n_units = 0usize;
    let mut groups: Vec<(u32, u64)> = Vec::new();
    // Per pairable unit, for the variance: its ratings m, its within-unit disagreement
    // sums (ordered pairs) and its distinct sets with their counts.
    let mut pairable: Vec<PairableUnit> = Vec::new();
    let mut unit_groups: Vec<(u32, u64)> = Vec::new();
    for ids in units {
        let m = ids.len() as u64;
        if m < 2 {
            continue;
        }
        n_units += 1;
        groups.clear();
        for &id in ids {
            match groups.iter_mut().find(|(g, _)| *g == id) {
                Some((_, c)) => *c += 1,
                None => groups.push((id, 1)),
            }
        }
        let mf = m as f64;
        let mut same = 0u64;
        let (mut um, mut uj) = (0.0, 0.0);
        for (x, &(cx, nx)) in groups.iter().enumerate() {
            n_c[cx as usize] += nx;
            same += nx * (nx - 1);
            for &(cy, ny) in &groups[x + 1..] {
                let inter = table.intersection(cx, cy);
                let (a, b) = (table.sizes[cx as usize], table.sizes[cy as usize]);
                let w = (2 * nx * ny) as f64;
                um += w * masi_from_sizes(a, b, inter);
                uj += w * jaccard_from_sizes(a, b, inter);
            }
        }
        obs_masi += um / (mf - 1.0);
        obs_jacc += uj / (mf - 1.0);
        exact_sum += same as f64 / (mf * (mf - 1.0));
        let start = unit_groups.len();
        unit_groups.extend_from_slice(&groups);
        pairable.push(PairableUnit {
            m,
            within: [um, uj],
            groups: start..unit_groups.len(),
        });
    }
    if n_units < 2 {
        let und = Estimate::undefined(FEW_UNITS, n_units);
        return SetAgreement {
            exact: und.clone(),
            masi: und.clone(),
            jaccard: und,
        };
    }
    let exact_value = exact_sum / n_units as f64;
    let mut exact = Estimate::point(exact_value, n_units);
    exact.p_o = Some(exact_value);

    let live: Vec<usize> = (0..d).filter(|&c| n_c[c] > 0).collect();
    let n: u64 = n_c.iter().sum();
    if live.len() < 2 {
        let reason = "every pairable rating is the same code set, so expected disagreement is 0";
        return SetAgreement {
            exact,
            masi: Estimate::undefined(reason, n_units),
            jaccard: Estimate::undefined(reason, n_units),
        };
    }
    let dis = disagreements(table, &live, &n_c);
    let [exp_masi, exp_jacc] = dis.expected;
    let nf = n as f64;
    let per_set = dis.per_set;
    let tq = t_quantile(0.5 + confidence / 2.0, n_units as f64 - 1.0);
    let alpha = |obs: f64, exp: f64, metric: usize| {
        let se = weighted_alpha_se(&pairable, &unit_groups, &per_set, metric, nf, exp);
        let mut e = Estimate::point(1.0 - (nf - 1.0) * obs / exp, n_units).with_interval(se, tq);
        e.p_o = Some(1.0 - obs / nf);
        e.p_e = Some(1.0 - exp / (nf * (nf - 1.0)));
        e
    };
    SetAgreement {
        exact,
        masi: alpha(obs_masi, exp_masi, 0),
        jaccard: alpha(obs_jacc, exp_jacc, 1),
    }
}

/// One unit with two or more ratings, as the variance of α needs it.
struct PairableUnit {
    /// Ratings of the unit.
    m: u64,
    /// Σ over ordered pairs of its ratings of δ, for MASI and Jaccard.
    within: [f64; 2],
    /// Its distinct sets and their counts, a range of the shared group list.
    groups: std::ops::Range<usize>,
}

/// Gwet's linearised SE of α with weights w = 1 − δ (as irrCAC's `krippendorff()` with a
/// custom weight matrix), from the pairable units, and `per_set[c][metric]` = Σ_k n_k δ(c, k).
/// `total` is Σ m over pairable units, `expected` Σ_{c≠k} n_c n_k δ(c, k).
///
/// Per unit: Σ_c a_ic(Σ_k w_ck a_ik − 1) = m(m − 1) − within, and
/// Σ_c a_ic (Wπ)_c = m − Σ_c a_ic per_set[c] / total; the rest is the nominal formula.
fn weighted_alpha_se(
    units: &[PairableUnit],
    groups: &[(u32, u64)],
    per_set: &[[f64; 2]],
    metric: usize,
    total: f64,
    expected: f64,
) -> f64 {
    let n = units.len() as f64;
    let r_mean = total / n;
    let pe = 1.0 - expected / (total * total);
    let agree = |u: &PairableUnit| (u.m * (u.m - 1)) as f64 - u.within[metric];
    let pa_prime = units
        .iter()
        .map(|u| agree(u) / (r_mean * (u.m - 1) as f64))
        .sum::<f64>()
        / n;
    let eps = 1.0 / total;
    let pa = (1.0 - eps) * pa_prime + eps;
    let alpha_prime = (pa_prime - pe) / (1.0 - pe);
    let ss: f64 = units
        .iter()
        .map(|u| {
            let mf = u.m as f64;
            let spread = (mf - r_mean) / r_mean;
            let pa_i = agree(u) / (r_mean * (mf - 1.0)) - pa * spread;
            let far: f64 = groups[u.groups.clone()]
                .iter()
                .map(|&(c, k)| k as f64 * per_set[c as usize][metric])
                .sum();
            let pe_i = (mf - far / total) / r_mean - pe * spread;
            let x = (pa_i - pe) / (1.0 - pe) - 2.0 * (1.0 - alpha_prime) * (pe_i - pe) / (1.0 - pe);
            (x - alpha_prime) * (x - alpha_prime)
        })
        .sum();
    (ss / (n * (n - 1.0))).max(0.0).sqrt()
}

/// Disagreement sums over the pairable ratings, for MASI (`[0]`) and Jaccard (`[1]`).
struct Disagreements {
    /// Σ_{c≠k} n_c n_k δ(c, k): the expected disagreement's numerator.
    expected: [f64; 2],
    /// Per set id c: Σ_k n_k δ(c, k), the disagreement of c with all pairable ratings
    /// (0 for sets not in `live`); the variance of α needs it.
    per_set: Vec<[f64; 2]>,
}

/// [`Disagreements`] over the distinct sets in `live`, `n_c` ratings each.
///
/// Both distances depend only on (|c|, |k|, |c ∩ k|), so the pair weights are accumulated
/// exactly (integers) per size triple, then multiplied by the distances once. The triples
/// come from subset sums when the sets are small (see [`triples_by_subsets`]), otherwise
/// from intersecting every pair of distinct sets.
fn disagreements(table: &SetTable, live: &[usize], n_c: &[u64]) -> Disagreements {
    let max_size = live.iter().map(|&c| table.sizes[c]).max().unwrap_or(0) as usize;
    let s = max_size + 1;
    let subsets: u128 = live.iter().map(|&c| 1u128 << table.sizes[c].min(100)).sum();
    let pairs = (live.len() as u128) * (live.len() as u128) / 2;
    let (hist, per_set) = if table.words == 1 && max_size <= 24 && subsets < pairs {
        triples_by_subsets(table, live, n_c, s)
    } else if max_size <= 64 {
        triples_by_pairs(table, live, n_c, s)
    } else {
        // Large sets: accumulate distances directly over pairs.
        let mut per_set = vec![[0.0; 2]; table.sizes.len()];
        for (x, &c) in live.iter().enumerate() {
            for &k in &live[x + 1..] {
                let inter = table.intersection(c as u32, k as u32);
                let (a, b) = (table.sizes[c], table.sizes[k]);
                let d = [
                    masi_from_sizes(a, b, inter),
                    jaccard_from_sizes(a, b, inter),
                ];
                for m in 0..2 {
                    per_set[c][m] += n_c[k] as f64 * d[m];
                    per_set[k][m] += n_c[c] as f64 * d[m];
                }
            }
        }
        let expected = [0, 1].map(|m| live.iter().map(|&c| n_c[c] as f64 * per_set[c][m]).sum());
        return Disagreements { expected, per_set };
    };
    let mut expected = [0.0; 2];
    for a in 0..s {
        for b in 0..s {
            for i in 0..=a.min(b) {
                let w = hist[(a * s + b) * s + i];
                if w == 0 {
                    continue;
                }
                let w = w as f64;
                expected[0] += w * masi_from_sizes(a as u32, b as u32, i as u32);
                expected[1] += w * jaccard_from_sizes(a as u32, b as u32, i as u32);
            }
        }
    }
    Disagreements { expected, per_set }
}

/// δ(a, b, i) for MASI and Jaccard at every size triple below `s`, index `(a * s + b) * s + i`.
fn distance_table(s: usize) -> Vec<[f64; 2]> {
    let mut out = vec![[0.0; 2]; s * s * s];
    for a in 0..s {
        for b in 0..s {
            for i in 0..=a.min(b) {
                let (a, b, i) = (a as u32, b as u32, i as u32);
                out[((a as usize * s) + b as usize) * s + i as usize] =
                    [masi_from_sizes(a, b, i), jaccard_from_sizes(a, b, i)];
            }
        }
    }
    out
}

/// H(a, b, i) = Σ over ordered pairs of distinct sets (c, k) with |c| = a, |k| = b,
/// |c ∩ k| = i of n_c·n_k (index `(a * s + b) * s + i`), by intersecting every pair; and
/// each set's disagreement with all.
fn triples_by_pairs(
    table: &SetTable,
    live: &[usize],
    n_c: &[u64],
    s: usize,
) -> (Vec<u128>, Vec<[f64; 2]>) {
    let mut hist = vec![0u64; s * s * s];
    let mut per_set = vec![[0.0; 2]; table.sizes.len()];
    let sizes: Vec<usize> = live.iter().map(|&c| table.sizes[c] as usize).collect();
    let counts: Vec<u64> = live.iter().map(|&c| n_c[c]).collect();
    for x in 0..live.len() {
        let (nx, base) = (counts[x], sizes[x] * s);
        for y in x + 1..live.len() {
            let inter = table.intersection(live[x] as u32, live[y] as u32);
            hist[(base + sizes[y]) * s + inter as usize] += nx * counts[y];
            let (a, b) = (sizes[x] as u32, sizes[y] as u32);
            let d = [
                masi_from_sizes(a, b, inter),
                jaccard_from_sizes(a, b, inter),
            ];
            for m in 0..2 {
                per_set[live[x]][m] += counts[y] as f64 * d[m];
                per_set[live[y]][m] += nx as f64 * d[m];
            }
        }
    }
    // Symmetrise: (c, k) and (k, c).
    let mut out = vec![0u128; s * s * s];
    for a in 0..s {
        for b in 0..s {
            for i in 0..s {
                let w = hist[(a * s + b) * s + i] as u128;
                out[(a * s + b) * s + i] += w;
                out[(b * s + a) * s + i] += w;
            }
        }
    }
    (out, per_set)
}

/// The same H(a, b, i) as [`triples_by_pairs`] (plus the c = k pairs, at distance 0 under
/// both metrics) and each set's disagreement with all, from subset sums: with
/// G_b(t) = Σ_{k ⊇ t, |k| = b} n_k, the weight of the sets k with |k| = b and |c ∩ k| = i is,
/// by binomial inversion, H_c(b, i) = Σ_{j ≥ i} (−1)^{j−i} C(j, i) Σ_{t ⊆ c, |t| = j} G_b(t),
/// and H(a, b, i) = Σ_{|c| = a} n_c H_c(b, i). All in exact integers. A set whose subsets
/// outnumber the live sets is intersected with each of them instead.
fn triples_by_subsets(
    table: &SetTable,
    live: &[usize],
    n_c: &[u64],
    s: usize,
) -> (Vec<u128>, Vec<[f64; 2]>) {
    // subset t → its row of G (s wide: G_b(t) for b = 0..s).
    let mut slot: FastMap<u64, usize> = FastMap::default();
    let mut g: Vec<u64> = Vec::new();
    for &k in live {
        let bits = table.bits[k];
        let b = table.sizes[k] as usize;
        let mut t = bits;
        loop {
            let row = *slot.entry(t).or_insert_with(|| {
                g.resize(g.len() + s, 0);
                g.len() / s - 1
            });
            g[row * s + b] += n_c[k];
            if t == 0 {
                break;
            }
            t = (t - 1) & bits;
        }
    }
    let binom = binomials(s);
    let dist = distance_table(s);
    let mut hist = vec![0u128; s * s * s];
    let mut per_set = vec![[0.0; 2]; table.sizes.len()];
    let mut sums = vec![0u128; s * s]; // (b, j) → Σ_{t ⊆ c, |t| = j} G_b(t)
    let mut h = vec![0u64; s * s]; // (b, i) → H_c(b, i), at most the number of ratings
    for &c in live {
        let bits = table.bits[c];
        let a = table.sizes[c] as usize;
        h.iter_mut().for_each(|x| *x = 0);
        if (1usize << a) > live.len() {
            for &k in live {
                let i = (bits & table.bits[k]).count_ones() as usize;
                h[table.sizes[k] as usize * s + i] += n_c[k];
            }
        } else {
            sums.iter_mut().for_each(|x| *x = 0);
            let mut t = bits;
            loop {
                let j = t.count_ones() as usize;
                let row = slot[&t] * s;
                for (b, &w) in g[row..row + s].iter().enumerate() {
                    sums[b * s + j] += w as u128;
                }
                if t == 0 {
                    break;
                }
                t = (t - 1) & bits;
            }
            for b in 0..s {
                for i in 0..=a.min(b) {
                    let mut v: i128 = 0;
                    for j in i..=a.min(b) {
                        let term = binom[j][i] * sums[b * s + j] as i128;
                        v += if (j - i) % 2 == 0 { term } else { -term };
                    }
                    debug_assert!(v >= 0, "inclusion–exclusion yields a count");
                    h[b * s + i] = v.max(0) as u64;
                }
            }
        }
        let mut row = [0.0; 2];
        for (x, &w) in h.iter().enumerate() {
            if w > 0 {
                hist[a * s * s + x] += n_c[c] as u128 * w as u128;
                let d = dist[a * s * s + x];
                row[0] += w as f64 * d[0];
                row[1] += w as f64 * d[1];
            }
        }
        per_set[c] = row;
    }
    (hist, per_set)
}

/// Pascal's triangle up to `s − 1`: `binom[n][k]` = C(n, k).
fn binomials(s: usize) -> Vec<Vec<i128>> {
    let mut binom = vec![vec![0i128; s]; s];
    for n in 0..s {
        binom[n][0] = 1;
        for k in 1..=n {
            binom[n][k] = binom[n - 1][k - 1] + if k < n { binom[n - 1][k] } else { 0 };
        }
    }
    binom
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(xs: &[&str]) -> BTreeSet<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn masi_matches_nltk() {
        // nltk 3.10.4: nltk.metrics.distance.masi_distance(set(a), set(b))
        let cases: [(&[&str], &[&str], f64); 5] = [
            (&["a", "b"], &["a", "b", "c", "d"], 0.666_666_666_666_666_7),
            (&["a", "b"], &["a", "b"], 0.0),
            (&["a", "b", "c"], &["b", "c", "d"], 0.833_333_333_333_333_4),
            (&["a"], &["b"], 1.0),
            (&["a"], &[], 1.0),
        ];
        for (a, b, want) in cases {
            let got = masi_distance(&set(a), &set(b));
            assert!((got - want).abs() < 1e-15, "{a:?} {b:?}: {got} vs {want}");
        }
        assert_eq!(masi_distance(&set(&[]), &set(&[])), 0.0);
    }

    #[test]
    fn subset_sums_give_the_same_size_triples_as_pairwise_intersection() {
        // Deterministic pseudo-random sets of 0–9 codes out of 40: sizes up to 8 take the
        // subset sums, size 9 (512 subsets, more than the ~290 live sets) the direct scan.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut table = SetTable::new(1);
        let mut n_c = Vec::new();
        for _ in 0..300 {
            let size = next() % 10;
            let mut bits = 0u64;
            for _ in 0..size {
                bits |= 1 << (next() % 40);
            }
            let id = table.intern(&[bits]) as usize;
            if id == n_c.len() {
                n_c.push(0);
            }
            n_c[id] += 1 + next() % 5;
        }
        let live: Vec<usize> = (0..n_c.len()).collect();
        assert!(live.iter().any(|&c| 1usize << table.sizes[c] > live.len()));
        let s = *table.sizes.iter().max().unwrap() as usize + 1;
        let (by_pairs, per_pairs) = triples_by_pairs(&table, &live, &n_c, s);
        let (mut by_subsets, per_subsets) = triples_by_subsets(&table, &live, &n_c, s);
        // The subset sums also count each set with itself (|c| = |c ∩ c|), at distance 0.
        for &c in &live {
            let a = table.sizes[c] as usize;
            by_subsets[(a * s + a) * s + a] -= (n_c[c] as u128) * (n_c[c] as u128);
        }
        assert_eq!(by_pairs, by_subsets);

        // Each set's disagreement with all: both ways agree, and they add up to the
        // expected disagreement Σ_c n_c Σ_k n_k δ(c, k).
        for (&c, (p, q)) in live.iter().zip(per_pairs.iter().zip(&per_subsets)) {
            for m in 0..2 {
                assert!(
                    (p[m] - q[m]).abs() <= 1e-9 * p[m].max(1.0),
                    "set {c}: {p:?} {q:?}"
                );
            }
        }
        let expected = disagreements(&table, &live, &n_c).expected;
        for m in 0..2 {
            let total: f64 = live.iter().map(|&c| n_c[c] as f64 * per_pairs[c][m]).sum();
            assert!((total - expected[m]).abs() <= 1e-9 * expected[m]);
        }
    }

    #[test]
    fn jaccard_matches_nltk() {
        // nltk 3.10.4: nltk.metrics.distance.jaccard_distance(set(a), set(b))
        let cases: [(&[&str], &[&str], f64); 4] = [
            (&["a", "b"], &["a", "b", "c", "d"], 0.5),
            (&["a", "b", "c"], &["b", "c", "d"], 0.5),
            (&["a"], &["b"], 1.0),
            (&["a", "b", "c"], &["a"], 0.666_666_666_666_666_6),
        ];
        for (a, b, want) in cases {
            let got = jaccard_distance(&set(a), &set(b));
            assert!((got - want).abs() < 1e-15, "{a:?} {b:?}: {got} vs {want}");
        }
        assert_eq!(jaccard_distance(&set(&[]), &set(&[])), 0.0);
    }
}
