//! Building a full agreement [`Report`] for one dimension from plain [`Ratings`].

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::coefficients::{
    chance_corrected, chance_corrected_binary, cohen_kappa, krippendorff_nominal, Estimate,
    FEW_PAIR_UNITS,
};
use crate::distance::{set_agreement, FastMap, SetTable};
use crate::error::AgreementError;
use crate::interpret::interpretation;
use crate::model::{
    Cardinality, Confusion, Level, Options, Ratings, Report, StatResult, Statistic, Warning,
    WarningKind,
};

/// Most raters one report handles (there are n(n − 1)/2 pairs).
pub const MAX_RATERS: usize = 256;
/// Most distinct codes (codebook plus used) one dimension may have.
pub const MAX_CODES: usize = 4096;

/// Computes every agreement statistic, confusion matrix and warning for `ratings` under
/// `options`.
///
/// For a one-code dimension: percent agreement, Fleiss' κ (three or more raters),
/// Krippendorff's α (nominal) and Gwet's AC1 over all selected raters; per pair, Cohen's
/// κ with the pair's confusion matrix, plus percent agreement and AC1 when there are three
/// or more raters (with two they equal the overall rows); κ per category (Fleiss' overall
/// with three or more raters, Cohen's per pair). For a many-code dimension: exact-set
/// agreement and Krippendorff's α with MASI and with Jaccard distance overall, mean
/// per-code Fleiss' κ (three or more raters); per pair, mean per-code Cohen's κ and (three
/// or more raters) exact-set agreement; per code, prevalence, percent agreement and
/// Fleiss' κ overall and Cohen's κ (and, with three or more raters, percent agreement) per
/// pair. Everything once per requested [`Level`], rows ordered level, overall, pairs,
/// codes.
///
/// Errors only for malformed input (see [`AgreementError`]); statistics that the data
/// cannot support are returned as undefined results.
pub fn report(ratings: &Ratings, options: &Options) -> Result<Report, AgreementError> {
    validate_options(options)?;
    validate_ratings(ratings)?;
    let selected = select_raters(ratings, options)?;
    let roots = resolve_parents(ratings)?;
    let mut levels: Vec<Level> = options.levels.clone();
    levels.sort();
    levels.dedup();
    let encoded = encode(ratings);
    let mut out = Report::default();
    for level in levels {
        if level == Level::Collapsed && ratings.parents.is_empty() {
            continue;
        }
        let map_code = |c: &str| -> String {
            match level {
                Level::Leaf => c.to_string(),
                Level::Collapsed => roots.get(c).cloned().unwrap_or_else(|| c.to_string()),
            }
        };
        let (categories, leaf_to_category) = categories(&encoded, &map_code);
        if categories.len() > MAX_CODES {
            return Err(AgreementError::TooManyCodes {
                dimension: ratings.dimension.clone(),
                found: categories.len(),
                max: MAX_CODES,
            });
        }
        let mut ctx = Ctx {
            dimension: &ratings.dimension,
            level,
            options,
            out: &mut out,
            raters: selected
                .iter()
                .map(|&r| ratings.raters[r].clone())
                .collect(),
        };
        let level = Coded {
            ratings: &encoded,
            category: &leaf_to_category,
        };
        match ratings.cardinality {
            Cardinality::One => one_code(&level, &selected, &categories, &mut ctx),
            Cardinality::Many => many_code(&level, &selected, &categories, &mut ctx),
        }
    }
    Ok(out)
}

fn validate_options(o: &Options) -> Result<(), AgreementError> {
    let check = |field, value: f64, ok: bool, expected| {
        if ok {
            Ok(())
        } else {
            Err(AgreementError::InvalidParameter {
                field,
                value,
                expected,
            })
        }
    };
    check(
        "confidence",
        o.confidence,
        o.confidence > 0.0 && o.confidence < 1.0,
        "a probability strictly between 0 and 1",
    )?;
    check(
        "paradox_min_agreement",
        o.paradox_min_agreement,
        o.paradox_min_agreement.is_finite(),
        "a finite number",
    )?;
    check(
        "paradox_max_kappa",
        o.paradox_max_kappa,
        o.paradox_max_kappa.is_finite(),
        "a finite number",
    )?;
    check(
        "bias_ratio",
        o.bias_ratio,
        o.bias_ratio.is_finite() && o.bias_ratio >= 1.0,
        "a finite ratio of at least 1",
    )
}

fn validate_ratings(r: &Ratings) -> Result<(), AgreementError> {
    let mut seen = HashSet::new();
    for name in &r.raters {
        if !seen.insert(name) {
            return Err(AgreementError::DuplicateRater {
                dimension: r.dimension.clone(),
                rater: name.clone(),
            });
        }
    }
    for (u, row) in r.units.iter().enumerate() {
        if row.len() != r.raters.len() {
            return Err(AgreementError::RowLength {
                dimension: r.dimension.clone(),
                unit: u,
                expected: r.raters.len(),
                found: row.len(),
            });
        }
        if r.cardinality == Cardinality::One {
            for (k, rating) in row.iter().enumerate() {
                if let Some(set) = rating {
                    if set.len() != 1 {
                        return Err(AgreementError::NotSingleCode {
                            dimension: r.dimension.clone(),
                            unit: u,
                            rater: r.raters[k].clone(),
                            found: set.len(),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

fn select_raters(r: &Ratings, o: &Options) -> Result<Vec<usize>, AgreementError> {
    let selected: Vec<usize> = match &o.raters {
        None => (0..r.raters.len()).collect(),
        Some(names) => {
            let mut seen = HashSet::new();
            let mut idx = Vec::with_capacity(names.len());
            for name in names {
                if !seen.insert(name) {
                    return Err(AgreementError::DuplicateRater {
                        dimension: r.dimension.clone(),
                        rater: name.clone(),
                    });
                }
                match r.raters.iter().position(|x| x == name) {
                    Some(i) => idx.push(i),
                    None => {
                        return Err(AgreementError::UnknownRater {
                            dimension: r.dimension.clone(),
                            rater: name.clone(),
                            known: r.raters.clone(),
                        })
                    }
                }
            }
            idx
        }
    };
    if selected.len() < 2 {
        return Err(AgreementError::TooFewRaters {
            dimension: r.dimension.clone(),
            found: selected.len(),
        });
    }
    if selected.len() > MAX_RATERS {
        return Err(AgreementError::TooManyRaters {
            dimension: r.dimension.clone(),
            found: selected.len(),
            max: MAX_RATERS,
        });
    }
    Ok(selected)
}

/// Map every code that has a parent to its top-level ancestor; errors on cycles.
fn resolve_parents(r: &Ratings) -> Result<HashMap<String, String>, AgreementError> {
    let mut roots = HashMap::with_capacity(r.parents.len());
    for code in r.parents.keys() {
        let mut cur = code;
        let mut steps = 0;
        while let Some(p) = r.parents.get(cur) {
            cur = p;
            steps += 1;
            if steps > r.parents.len() {
                return Err(AgreementError::ParentCycle {
                    dimension: r.dimension.clone(),
                    code: code.clone(),
                });
            }
        }
        roots.insert(code.clone(), cur.clone());
    }
    Ok(roots)
}

/// Every rating's leaf codes as small integers, read once for all levels: a code string is
/// hashed once per rating instead of once per rating and level.
struct Encoded<'r> {
    /// Distinct leaf codes: the codebook's first (in its order), then other used codes.
    leaves: Vec<&'r str>,
    /// How many of `leaves` come from the codebook.
    in_codebook: usize,
    /// Per unit and rater (row-major, every rater of the ratings): the range of its leaf ids
    /// in `ids`, or `None` when the rater did not rate the unit.
    spans: Vec<Option<(u32, u32)>>,
    ids: Vec<u32>,
    raters: usize,
}

impl Encoded<'_> {
    /// Leaf ids of unit `u`'s rating by rater `s`; `None` when not rated.
    fn rating(&self, u: usize, s: usize) -> Option<&[u32]> {
        self.spans[u * self.raters + s].map(|(a, b)| &self.ids[a as usize..b as usize])
    }

    fn units(&self) -> usize {
        self.spans.len() / self.raters.max(1)
    }
}

fn encode(r: &Ratings) -> Encoded<'_> {
    let mut leaves: Vec<&str> = Vec::new();
    let mut id_of: FastMap<&str, u32> = FastMap::default();
    for c in &r.codes {
        id_of.entry(c.as_str()).or_insert_with(|| {
            leaves.push(c.as_str());
            leaves.len() as u32 - 1
        });
    }
    let in_codebook = leaves.len();
    let mut spans = Vec::with_capacity(r.units.len() * r.raters.len());
    let mut ids = Vec::new();
    for row in &r.units {
        for rating in row {
            spans.push(rating.as_ref().map(|set| {
                let start = ids.len() as u32;
                for c in set {
                    let id = *id_of.entry(c.as_str()).or_insert_with(|| {
                        leaves.push(c.as_str());
                        leaves.len() as u32 - 1
                    });
                    ids.push(id);
                }
                (start, ids.len() as u32)
            }));
        }
    }
    Encoded {
        leaves,
        in_codebook,
        spans,
        ids,
        raters: r.raters.len(),
    }
}

/// The ratings at one level: leaf ids and the category each stands for.
struct Coded<'a, 'r> {
    ratings: &'a Encoded<'r>,
    category: &'a [u32],
}

/// Level categories: the codebook's (mapped) order first, then other used codes sorted.
/// All raters' codes count, so the category set does not depend on the rater subset.
/// Also returns, per leaf id of `e`, its category index.
fn categories(e: &Encoded, map_code: &dyn Fn(&str) -> String) -> (Vec<String>, Vec<u32>) {
    let mut cats = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mapped: Vec<String> = e.leaves.iter().map(|c| map_code(c)).collect();
    for m in &mapped[..e.in_codebook] {
        if !index.contains_key(m) {
            index.insert(m.clone(), cats.len() as u32);
            cats.push(m.clone());
        }
    }
    let extra: BTreeSet<&String> = mapped[e.in_codebook..]
        .iter()
        .filter(|m| !index.contains_key(*m))
        .collect();
    for m in extra {
        index.insert(m.clone(), cats.len() as u32);
        cats.push(m.clone());
    }
    let leaf_to_category = mapped.iter().map(|m| index[m]).collect();
    (cats, leaf_to_category)
}

/// Output sink for one level: turns estimates into results and raises warnings.
struct Ctx<'a> {
    dimension: &'a str,
    level: Level,
    options: &'a Options,
    out: &'a mut Report,
    raters: Vec<String>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        code: Option<&str>,
        statistic: Statistic,
        raters: &[String],
        est: Estimate,
        note: Option<String>,
    ) {
        if matches!(statistic, Statistic::CohenKappa | Statistic::FleissKappa) {
            if let (Some(v), Some(p_o)) = (est.value, est.p_o) {
                if p_o >= self.options.paradox_min_agreement && v < self.options.paradox_max_kappa {
                    let what = code.map_or(String::new(), |c| format!(" on code {c:?}"));
                    self.warn(
                        WarningKind::Prevalence,
                        code,
                        raters,
                        format!(
                            "{}{what} is {v:.3} although observed agreement is {p_o:.3}: \
                             the categories are used very unevenly (chance agreement {:.3}), \
                             which depresses κ; report prevalence and AC1 alongside",
                            statistic.as_str(),
                            est.p_e.unwrap_or(f64::NAN)
                        ),
                    );
                }
            }
        }
        let interpretation = est.value.and_then(|v| interpretation(statistic, v));
        self.out.results.push(StatResult {
            dimension: self.dimension.to_string(),
            level: self.level,
            code: code.map(str::to_string),
            statistic,
            raters: raters.to_vec(),
            value: est.value,
            se: est.se,
            ci_low: est.ci_low,
            ci_high: est.ci_high,
            n_units: est.n_units,
            p_o: est.p_o,
            p_e: est.p_e,
            interpretation,
            undefined_reason: est.undefined_reason,
            note,
        });
    }

    fn warn(&mut self, kind: WarningKind, code: Option<&str>, raters: &[String], message: String) {
        self.out.warnings.push(Warning {
            dimension: self.dimension.to_string(),
            level: self.level,
            kind,
            code: code.map(str::to_string),
            raters: raters.to_vec(),
            message,
        });
    }

    fn few_units(&mut self, raters: &[String], n: usize, whom: &str) {
        if n < self.options.min_units {
            self.warn(
                WarningKind::FewUnits,
                None,
                raters,
                format!(
                    "only {n} units were rated by {whom} (fewer than {}): \
                     the estimates are imprecise",
                    self.options.min_units
                ),
            );
        }
    }

    fn bias(&mut self, code: &str, pair: &[String], a: u64, b: u64, shared: usize) {
        let (hi, lo) = (a.max(b), a.min(b));
        if hi - lo >= self.options.bias_min_difference
            && hi as f64 >= self.options.bias_ratio * lo as f64
        {
            self.warn(
                WarningKind::RaterBias,
                Some(code),
                pair,
                format!(
                    "{} used code {code:?} on {a} and {} on {b} of the {shared} units both rated",
                    pair[0], pair[1]
                ),
            );
        }
    }
}

fn pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect()
}

fn single_rated_note(n_rated: usize, n_paired: usize) -> Option<String> {
    (n_rated > n_paired).then(|| {
        format!(
            "{} units rated by one rater only count toward category shares",
            n_rated - n_paired
        )
    })
}

const MISSING: u32 = u32::MAX;

/// For a code analysed as present/absent: replaces the generic "same category" reason
/// with which of the two it was, when `present` of `total` ratings carry the code.
fn binary_reason(mut est: Estimate, present: u64, total: u64) -> Estimate {
    let generic = est
        .undefined_reason
        .as_deref()
        .is_some_and(|r| r.contains("same category"));
    if generic && (present == 0 || present == total) {
        est.undefined_reason = Some(
            if present == 0 {
                "no rating includes the code, so chance agreement is 1"
            } else {
                "every rating includes the code, so chance agreement is 1"
            }
            .to_string(),
        );
    }
    est
}

fn one_code(level: &Coded, selected: &[usize], categories: &[String], ctx: &mut Ctx) {
    let k = categories.len().max(1);
    let r = selected.len();
    let enc = level.ratings;
    // Encode: one category index per (unit, selected rater); drop units nobody rated.
    let mut codes: Vec<u32> = Vec::with_capacity(enc.units() * r);
    for u in 0..enc.units() {
        let start = codes.len();
        for &s in selected {
            codes.push(match enc.rating(u, s) {
                Some(ids) => level.category[ids[0] as usize],
                None => MISSING,
            });
        }
        if codes[start..].iter().all(|&c| c == MISSING) {
            codes.truncate(start);
        }
    }
    let n = codes.len() / r;
    let mut counts = vec![0u32; n * k];
    for (u, row) in codes.chunks_exact(r).enumerate() {
        for &c in row.iter().filter(|&&c| c != MISSING) {
            counts[u * k + c as usize] += 1;
        }
    }
    let conf = ctx.options.confidence;
    let all = ctx.raters.clone();
    let cc = chance_corrected(&counts, k, conf);
    let note = single_rated_note(cc.n_rated, cc.n_paired);
    ctx.few_units(&all, cc.n_paired, "two or more of the selected raters");
    ctx.push(
        None,
        Statistic::PercentAgreement,
        &all,
        cc.percent_agreement,
        None,
    );
    if r >= 3 {
        ctx.push(
            None,
            Statistic::FleissKappa,
            &all,
            cc.fleiss_kappa,
            note.clone(),
        );
    }
    ctx.push(
        None,
        Statistic::KrippendorffAlpha,
        &all,
        krippendorff_nominal(&counts, k, conf),
        None,
    );
    ctx.push(None, Statistic::GwetAc1, &all, cc.gwet_ac1, note.clone());

    // Pairs: contingency tables over units both rated.
    let pair_list = pairs(r);
    let mut tables = Vec::with_capacity(pair_list.len());
    for &(a, b) in &pair_list {
        let names = vec![all[a].clone(), all[b].clone()];
        let mut table = vec![0u64; k * k];
        let mut pair_counts = Vec::new();
        for row in codes.chunks_exact(r) {
            let (x, y) = (row[a], row[b]);
            if x != MISSING && y != MISSING {
                table[x as usize * k + y as usize] += 1;
                let start = pair_counts.len();
                pair_counts.resize(start + k, 0u32);
                pair_counts[start + x as usize] += 1;
                pair_counts[start + y as usize] += 1;
            }
        }
        let shared = pair_counts.len() / k;
        if r > 2 {
            ctx.few_units(
                &names,
                shared,
                &format!("both {} and {}", names[0], names[1]),
            );
        }
        let cohen = cohen_kappa(&table, k, conf);
        let pa = match cohen.p_o {
            Some(p) => {
                let mut e = Estimate::point(p, shared);
                e.p_o = Some(p);
                e
            }
            None if shared >= 2 => {
                // Undefined κ (one category) still has a percent agreement of 1.
                let mut e = Estimate::point(1.0, shared);
                e.p_o = Some(1.0);
                e
            }
            None => Estimate::undefined(FEW_PAIR_UNITS, shared),
        };
        // With two raters the pair's percent agreement and AC1 are the overall rows.
        if r > 2 {
            ctx.push(None, Statistic::PercentAgreement, &names, pa, None);
        }
        ctx.push(None, Statistic::CohenKappa, &names, cohen, None);
        if r > 2 {
            let ac1 = chance_corrected(&pair_counts, k, conf).gwet_ac1;
            ctx.push(None, Statistic::GwetAc1, &names, ac1, None);
        }
        ctx.out.confusion.push(Confusion {
            dimension: ctx.dimension.to_string(),
            level: ctx.level,
            raters: names.clone(),
            categories: categories.to_vec(),
            counts: table
                .chunks_exact(k)
                .take(categories.len())
                .map(|r| r[..categories.len()].to_vec())
                .collect(),
            n_units: shared,
        });
        tables.push((names, table, shared));
    }

    // κ per category.
    let rated_per_unit: Vec<u32> = counts.chunks_exact(k).map(|row| row.iter().sum()).collect();
    let total: u64 = rated_per_unit.iter().map(|&x| x as u64).sum();
    let mut in_category = vec![0u32; n];
    for (c, cat) in categories.iter().enumerate() {
        if r >= 3 {
            for (u, slot) in in_category.iter_mut().enumerate() {
                *slot = counts[u * k + c];
            }
            let cc = chance_corrected_binary(&in_category, &rated_per_unit, conf);
            let note = single_rated_note(cc.n_rated, cc.n_paired);
            let present: u64 = in_category.iter().map(|&x| x as u64).sum();
            let fleiss = binary_reason(cc.fleiss_kappa, present, total);
            ctx.push(Some(cat), Statistic::FleissKappa, &all, fleiss, note);
        }
        for (names, table, shared) in &tables {
            let row: u64 = table[c * k..(c + 1) * k].iter().sum();
            let col: u64 = (0..k).map(|i| table[i * k + c]).sum();
            let both = table[c * k + c];
            let two = [
                *shared as u64 + both - row - col,
                col - both,
                row - both,
                both,
            ];
            let cohen = binary_reason(cohen_kappa(&two, 2, conf), row + col, 2 * *shared as u64);
            ctx.push(Some(cat), Statistic::CohenKappa, names, cohen, None);
            ctx.bias(cat, names, row, col, *shared);
        }
    }
}

fn many_code(level: &Coded, selected: &[usize], categories: &[String], ctx: &mut Ctx) {
    let k = categories.len();
    let words = k.div_ceil(64).max(1);
    let r = selected.len();
    let enc = level.ratings;
    // Encode: a bitset per (unit, selected rater) plus whether it was rated.
    let mut bits: Vec<u64> = Vec::with_capacity(enc.units() * r * words);
    let mut rated: Vec<bool> = Vec::with_capacity(enc.units() * r);
    for u in 0..enc.units() {
        let (bstart, rstart) = (bits.len(), rated.len());
        for &s in selected {
            let at = bits.len();
            bits.resize(at + words, 0);
            match enc.rating(u, s) {
                Some(ids) => {
                    for &id in ids {
                        let i = level.category[id as usize] as usize;
                        bits[at + i / 64] |= 1u64 << (i % 64);
                    }
                    rated.push(true);
                }
                None => rated.push(false),
            }
        }
        if !rated[rstart..].iter().any(|&x| x) {
            bits.truncate(bstart);
            rated.truncate(rstart);
        }
    }
    let n = rated.len() / r;
    let set_of = |u: usize, j: usize| -> &[u64] {
        let s = (u * r + j) * words;
        &bits[s..s + words]
    };
    let conf = ctx.options.confidence;
    let all = ctx.raters.clone();

    // Whole code sets: exact-set agreement and Krippendorff's α (MASI, Jaccard).
    let mut table = SetTable::new(words);
    let unit_ids: Vec<Vec<u32>> = (0..n)
        .map(|u| {
            (0..r)
                .filter(|&j| rated[u * r + j])
                .map(|j| table.intern(set_of(u, j)))
                .collect()
        })
        .collect();
    let sets = set_agreement(&table, &unit_ids, conf);
    let n_paired = sets.exact.n_units;
    ctx.few_units(&all, n_paired, "two or more of the selected raters");
    ctx.push(None, Statistic::ExactSetAgreement, &all, sets.exact, None);
    ctx.push(
        None,
        Statistic::KrippendorffAlphaMasi,
        &all,
        sets.masi,
        None,
    );
    ctx.push(
        None,
        Statistic::KrippendorffAlphaJaccard,
        &all,
        sets.jaccard,
        None,
    );

    // Per code and unit: how many raters gave the code, and how many rated the unit.
    let mut code_counts = vec![0u32; k * n];
    let mut raters_per_unit = vec![0u32; n];
    for u in 0..n {
        for j in 0..r {
            if !rated[u * r + j] {
                continue;
            }
            raters_per_unit[u] += 1;
            for (w, &word) in set_of(u, j).iter().enumerate() {
                let mut x = word;
                while x != 0 {
                    let c = w * 64 + x.trailing_zeros() as usize;
                    code_counts[c * n + u] += 1;
                    x &= x - 1;
                }
            }
        }
    }
    let total_ratings: u64 = raters_per_unit.iter().map(|&x| x as u64).sum();

    // Per pair and code: 2 × 2 tables over units both rated.
    struct PairTables {
        names: Vec<String>,
        shared: usize,
        equal: usize,
        n11: Vec<u64>,
        n10: Vec<u64>,
        n01: Vec<u64>,
    }
    let mut pair_tables: Vec<PairTables> = pairs(r)
        .into_iter()
        .map(|(a, b)| {
            let mut t = PairTables {
                names: vec![all[a].clone(), all[b].clone()],
                shared: 0,
                equal: 0,
                n11: vec![0; k],
                n10: vec![0; k],
                n01: vec![0; k],
            };
            for u in 0..n {
                if !(rated[u * r + a] && rated[u * r + b]) {
                    continue;
                }
                t.shared += 1;
                let (sa, sb) = (set_of(u, a), set_of(u, b));
                if sa == sb {
                    t.equal += 1;
                }
                for w in 0..words {
                    let (x, y) = (sa[w], sb[w]);
                    for (bitsv, dest) in [
                        (x & y, &mut t.n11),
                        (x & !y, &mut t.n10),
                        (!x & y, &mut t.n01),
                    ] {
                        let mut v = bitsv;
                        while v != 0 {
                            dest[w * 64 + v.trailing_zeros() as usize] += 1;
                            v &= v - 1;
                        }
                    }
                }
            }
            t
        })
        .collect();

    // Per-code statistics.
    let mut fleiss_values = Vec::new();
    let mut cohen_values: Vec<Vec<f64>> = vec![Vec::new(); pair_tables.len()];
    let mut per_code: Vec<StatResult> = Vec::new();
    let results_before = ctx.out.results.len();
    for (c, code) in categories.iter().enumerate() {
        let cnt = &code_counts[c * n..(c + 1) * n];
        let present: u64 = cnt.iter().map(|&x| x as u64).sum();
        let cc = chance_corrected_binary(cnt, &raters_per_unit, conf);
        let prevalence = if total_ratings == 0 {
            Estimate::undefined("no ratings", 0)
        } else {
            Estimate::point(present as f64 / total_ratings as f64, cc.n_rated)
        };
        ctx.push(
            Some(code),
            Statistic::Prevalence,
            &all,
            prevalence,
            Some(format!(
                "{present} of {total_ratings} ratings include the code"
            )),
        );
        ctx.push(
            Some(code),
            Statistic::PercentAgreement,
            &all,
            cc.percent_agreement,
            None,
        );
        if r >= 3 {
            if let Some(v) = cc.fleiss_kappa.value {
                fleiss_values.push(v);
            }
            let note = single_rated_note(cc.n_rated, cc.n_paired);
            let fleiss = binary_reason(cc.fleiss_kappa, present, total_ratings);
            ctx.push(Some(code), Statistic::FleissKappa, &all, fleiss, note);
        }
        for (p, t) in pair_tables.iter_mut().enumerate() {
            let (n11, n10, n01) = (t.n11[c], t.n10[c], t.n01[c]);
            let n00 = t.shared as u64 - n11 - n10 - n01;
            let cohen = binary_reason(
                cohen_kappa(&[n00, n01, n10, n11], 2, conf),
                2 * n11 + n10 + n01,
                2 * t.shared as u64,
            );
            let pa = if t.shared >= 2 {
                let p_o = (n00 + n11) as f64 / t.shared as f64;
                let mut e = Estimate::point(p_o, t.shared);
                e.p_o = Some(p_o);
                e
            } else {
                Estimate::undefined(FEW_PAIR_UNITS, t.shared)
            };
            if let Some(v) = cohen.value {
                cohen_values[p].push(v);
            }
            let names = t.names.clone();
            if r > 2 {
                ctx.push(Some(code), Statistic::PercentAgreement, &names, pa, None);
            }
            ctx.push(Some(code), Statistic::CohenKappa, &names, cohen, None);
            ctx.bias(code, &names, n11 + n10, n11 + n01, t.shared);
        }
    }
    // Per-code rows go after the overall and pair rows.
    per_code.extend(ctx.out.results.drain(results_before..));

    let mean = |values: &[f64], n_units: usize| -> (Estimate, Option<String>) {
        if values.is_empty() {
            (
                Estimate::undefined("no code has a defined κ", n_units),
                None,
            )
        } else {
            let m = values.iter().sum::<f64>() / values.len() as f64;
            (
                Estimate::point(m, n_units),
                Some(format!(
                    "mean over the {} of {k} codes whose κ is defined",
                    values.len()
                )),
            )
        }
    };
    if r >= 3 {
        let (e, note) = mean(&fleiss_values, n_paired);
        ctx.push(None, Statistic::MeanFleissKappa, &all, e, note);
    }
    for (p, t) in pair_tables.iter().enumerate() {
        if r > 2 {
            let whom = format!("both {} and {}", t.names[0], t.names[1]);
            ctx.few_units(&t.names, t.shared, &whom);
        }
        let exact = if t.shared >= 2 {
            let v = t.equal as f64 / t.shared as f64;
            let mut e = Estimate::point(v, t.shared);
            e.p_o = Some(v);
            e
        } else {
            Estimate::undefined(FEW_PAIR_UNITS, t.shared)
        };
        if r > 2 {
            ctx.push(None, Statistic::ExactSetAgreement, &t.names, exact, None);
        }
        let (e, note) = mean(&cohen_values[p], t.shared);
        ctx.push(None, Statistic::MeanCohenKappa, &t.names, e, note);
    }
    ctx.out.results.extend(per_code);
}
