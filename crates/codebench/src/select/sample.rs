//! The sample step: a simple random or a stratified sample of the repositories still in, with
//! a seed. The population is ordered by GitHub id and drawn with the rounds' SplitMix64
//! (proportional allocation by largest remainder when stratified), so the same seed over the
//! same population draws the same sample, on any machine.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{
    exclude, finish_step, insert_step, population, Candidate, Outcome, Step, StepKind, StepStatus,
};
use crate::{Error, Result, Study};

/// Largest sample accepted.
pub const MAX_SAMPLE: u64 = 1_000_000;

/// The fields a sample can be stratified by.
pub const STRATA_FIELDS: [&str; 7] = [
    "language",
    "created_year",
    "pushed_year",
    "stars",
    "owner",
    "archived",
    "fork",
];

/// The recorded parameters of a sample step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SampleParams {
    /// Repositories drawn.
    pub size: u64,
    /// The seed.
    pub seed: u64,
    /// The field stratified by.
    #[serde(default)]
    pub stratify: Option<String>,
}

impl SampleParams {
    pub(crate) fn of(v: &serde_json::Value) -> Option<SampleParams> {
        serde_json::from_value(v.clone()).ok()
    }

    pub(crate) fn label(&self) -> String {
        match &self.stratify {
            Some(f) => format!(
                "sample of {} stratified by {f} (seed {})",
                self.size, self.seed
            ),
            None => format!("random sample of {} (seed {})", self.size, self.seed),
        }
    }
}

/// A candidate's stratum for `field`.
fn stratum(c: &Candidate, field: &str) -> String {
    let year = |t: &Option<String>| {
        t.as_deref()
            .and_then(|s| s.get(..4))
            .unwrap_or("(unknown)")
            .to_string()
    };
    match field {
        "language" => c.language.clone().unwrap_or_else(|| "(none)".into()),
        "created_year" => year(&c.created_at),
        "pushed_year" => year(&c.pushed_at),
        "stars" => match c.stars {
            0 => "0",
            1..=9 => "1-9",
            10..=99 => "10-99",
            100..=999 => "100-999",
            _ => "1000+",
        }
        .to_string(),
        "owner" => c
            .full_name
            .split('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase(),
        "archived" => c.archived.to_string(),
        "fork" => c.fork.to_string(),
        _ => String::new(),
    }
}

/// The repositories drawn from `input` (ordered by id): their ids.
pub(crate) fn draw(input: &[Candidate], p: &SampleParams) -> BTreeSet<u64> {
    let key = |c: &Candidate| format!("{:020}", c.repo_id);
    let mut strata: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in input {
        let s = match &p.stratify {
            Some(f) => stratum(c, f),
            None => String::new(),
        };
        strata.entry(s).or_default().push(key(c));
    }
    let size = usize::try_from(p.size)
        .unwrap_or(usize::MAX)
        .min(input.len());
    let drawn = crate::round::sample(&strata, &BTreeSet::new(), size, p.seed);
    input
        .iter()
        .filter(|c| drawn.contains(&key(c)))
        .map(|c| c.repo_id)
        .collect()
}

impl Study {
    /// Draws a sample of `size` repositories from those still in, with `seed`, at random or
    /// stratified by a field (one of [`STRATA_FIELDS`]); the rest are excluded with the
    /// reason. The same call right after a sample with the same parameters returns that step.
    pub fn select_sample(&mut self, size: u64, seed: u64, stratify: Option<&str>) -> Result<Step> {
        if size == 0 {
            return Err(Error::Invalid("a sample needs a size of at least 1".into()));
        }
        if size > MAX_SAMPLE {
            return Err(Error::Invalid(format!(
                "a sample holds at most {MAX_SAMPLE} repositories"
            )));
        }
        let stratify = stratify.map(str::trim).filter(|s| !s.is_empty());
        if let Some(f) = stratify {
            if !STRATA_FIELDS.contains(&f) {
                return Err(Error::Invalid(format!(
                    "cannot stratify by '{f}': choose one of {}",
                    STRATA_FIELDS.join(", ")
                )));
            }
        }
        let params = SampleParams {
            size,
            seed,
            stratify: stratify.map(str::to_string),
        };
        let value = serde_json::to_value(&params)?;
        let rows = self.open_for_steps(StepKind::Sample)?;
        let last = rows.last().map_or(0, |s| s.position);
        if let Some(prev) = rows.last() {
            if prev.kind == StepKind::Sample && prev.parameters == value {
                return self.step_view(prev);
            }
        }
        let input = population(self.conn(), last)?;
        if input.is_empty() {
            return Err(Error::Conflict(
                "no repository is left in the selection to sample".into(),
            ));
        }
        let drawn = draw(&input, &params);
        let mut stratum_sizes: HashMap<String, (usize, usize)> = HashMap::new();
        if let Some(f) = stratify {
            for c in &input {
                let e = stratum_sizes.entry(stratum(c, f)).or_default();
                e.0 += 1;
                e.1 += usize::from(drawn.contains(&c.repo_id));
            }
        }
        let n = input.len();
        let step = self.write(|tx| {
            let step = insert_step(
                tx,
                StepKind::Sample,
                None,
                &value,
                None,
                None,
                Some(n as u64),
            )?;
            for c in input.iter().filter(|c| !drawn.contains(&c.repo_id)) {
                let reason = match stratify {
                    Some(f) => {
                        let s = stratum(c, f);
                        let (of, got) = stratum_sizes.get(&s).copied().unwrap_or((0, 0));
                        format!(
                            "not drawn: sample of {size} of {n} stratified by {f} (seed {seed}); \
                             stratum {s}: {got} of {of} drawn"
                        )
                    }
                    None => {
                        format!("not drawn: simple random sample of {size} of {n} (seed {seed})")
                    }
                };
                exclude(tx, &step, c, &reason)?;
            }
            finish_step(
                tx,
                &step,
                &Outcome {
                    status: StepStatus::Done,
                    count_in: Some(n as u64),
                    count_out: Some(drawn.len() as u64),
                    requests: 0,
                    error: None,
                },
            )?;
            Ok(step)
        })?;
        self.step_view_of(step.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cands(n: u64) -> Vec<Candidate> {
        (0..n)
            .map(|i| Candidate {
                repo_id: 1000 + i,
                full_name: format!("o{}/r{i}", i % 5),
                created_at: Some(format!("{}-01-01T00:00:00Z", 2015 + i % 4)),
                pushed_at: None,
                stars: i,
                fork: false,
                archived: false,
                language: Some(if i % 3 == 0 { "Go" } else { "Python" }.into()),
                default_branch: Some("main".into()),
                topics: vec![],
                description: None,
                html_url: String::new(),
            })
            .collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_sample() {
        let input = cands(400);
        let p = |seed, stratify: Option<&str>| SampleParams {
            size: 50,
            seed,
            stratify: stratify.map(str::to_string),
        };
        let a = draw(&input, &p(7, None));
        assert_eq!(a.len(), 50);
        assert_eq!(a, draw(&input, &p(7, None)));
        assert_ne!(a, draw(&input, &p(8, None)));
        let s = draw(&input, &p(7, Some("language")));
        assert_eq!(s.len(), 50);
        // Proportional: a third of the population is Go.
        let go = input
            .iter()
            .filter(|c| s.contains(&c.repo_id) && c.language.as_deref() == Some("Go"))
            .count();
        assert_eq!(go, 17, "134 of 400 are Go: 16.75 rounds to 17");
        assert_eq!(draw(&input, &p(7, Some("created_year"))).len(), 50);
        // A sample as large as the population is all of it.
        let all = draw(&input[..30], &p(1, None));
        assert_eq!(all.len(), 30);
    }
}
