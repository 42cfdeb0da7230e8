//! What the selection gives out: the rows of `selection.csv` and `excluded.csv`, the funnel
//! figure, and the methods paragraph that states the query, the dates, every criterion with its
//! counts, the sample and the acceptance in words for a paper.

use super::{sample, Criterion, Selection, Step, StepKind, StepStatus};
use crate::{Result, Study};

impl Study {
    /// The rows of `selection.csv`: one per step.
    pub fn selection_rows(&self) -> Result<Vec<Vec<String>>> {
        let sel = self.selection()?;
        Ok(sel
            .steps
            .iter()
            .map(|s| {
                vec![
                    s.step.to_string(),
                    s.kind.as_str().to_string(),
                    s.criterion.clone().unwrap_or_default(),
                    s.label.clone(),
                    s.parameters.to_string(),
                    s.api_url.clone().unwrap_or_default(),
                    s.hub_url.clone().unwrap_or_default(),
                    s.started_at.clone(),
                    s.finished_at.clone().unwrap_or_default(),
                    s.status.as_str().to_string(),
                    s.count_in.map(|n| n.to_string()).unwrap_or_default(),
                    s.count_out.map(|n| n.to_string()).unwrap_or_default(),
                    s.excluded.len().to_string(),
                    s.requests.to_string(),
                    s.error.clone().unwrap_or_default(),
                ]
            })
            .collect())
    }

    /// The rows of `excluded.csv`: one per repository a step left out.
    pub fn excluded_rows(&self) -> Result<Vec<Vec<String>>> {
        let mut stmt = self.conn().prepare(
            "SELECT e.full_name, e.repo_id, s.position, s.kind, coalesce(s.criterion, ''), e.reason
             FROM selection_excluded e JOIN selection_step s ON s.id = e.step_id
             ORDER BY s.position, lower(e.full_name), e.repo_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(vec![
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?.to_string(),
                r.get::<_, i64>(2)?.to_string(),
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ])
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The funnel as a figure: the repositories out of each step, or `None` without a search.
    pub fn selection_funnel(&self) -> Result<Option<codebench_figures::Figure>> {
        let sel = self.selection()?;
        if sel.steps.is_empty() {
            return Ok(None);
        }
        let mut categories = Vec::new();
        let mut values = Vec::new();
        for s in sel.steps.iter().take(codebench_figures::MAX_CATEGORIES) {
            let short = match s.kind {
                StepKind::Search => "search".to_string(),
                _ => s.label.clone(),
            };
            categories.push(format!("{}. {short}", s.step));
            values.push(s.count_out.unwrap_or(0) as f64);
        }
        Ok(Some(codebench_figures::Figure::Bars(
            codebench_figures::BarFigure {
                id: "selection_funnel".into(),
                title: "Corpus selection: repositories after each step".into(),
                x_label: "Step".into(),
                y_label: "Repositories".into(),
                categories,
                series: vec![codebench_figures::Series {
                    name: "Repositories".into(),
                    values,
                }],
                horizontal: true,
                percent: false,
            },
        )))
    }

    /// A methods paragraph stating the query, the dates, every criterion with its counts, the
    /// sample's size and seed, and the acceptance; `None` without a search.
    pub fn selection_methods(&self) -> Result<Option<String>> {
        let sel = self.selection()?;
        Ok(methods_paragraph(&sel))
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn day(stamp: &str) -> &str {
    stamp.get(..10).unwrap_or(stamp)
}

/// The methods paragraph of a selection (see [`Study::selection_methods`]).
pub(crate) fn methods_paragraph(sel: &Selection) -> Option<String> {
    let search = sel.steps.first().filter(|s| s.kind == StepKind::Search)?;
    let p = &search.parameters;
    let query = p.get("query").and_then(|v| v.as_str()).unwrap_or_default();
    let from = p
        .get("created_from")
        .and_then(|v| v.as_str())
        .unwrap_or(codebench_github::DEFAULT_CREATED_FROM);
    let until = p
        .get("created_until")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let slices = p.get("slices").and_then(|v| v.as_u64());
    let found = search.count_out.unwrap_or(0);
    let mut text = format!(
        "We searched GitHub's repository search API ({}) on {} for `{query}`, covering \
         repositories created from {} to {}",
        search
            .api_url
            .as_deref()
            .unwrap_or(codebench_github::DEFAULT_API_URL),
        day(&search.started_at),
        day(from),
        until,
    );
    match slices {
        Some(n) if n > 1 => text.push_str(&format!(
            "; because the API returns at most 1,000 results per query, the search was split \
             into {n} `created:` ranges of at most 1,000 results each"
        )),
        _ => {}
    }
    text.push_str(&format!(
        ". GitHub reported {} repositories and the search returned {}",
        thousands(search.count_in.unwrap_or(found)),
        thousands(found)
    ));
    if search.status != StepStatus::Done {
        text.push_str(" (the search is not finished)");
    }
    text.push('.');
    let filters: Vec<&Step> = sel
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Filter)
        .collect();
    if !filters.is_empty() {
        let parts: Vec<String> = filters
            .iter()
            .map(|s| {
                format!(
                    "{} ({} of {} remained{})",
                    serde_json::from_value::<Criterion>(s.parameters.clone())
                        .map(|c| c.phrase())
                        .unwrap_or_else(|_| s.label.clone()),
                    thousands(s.count_out.unwrap_or(0)),
                    thousands(s.count_in.unwrap_or(0)),
                    match s.criterion.as_deref() {
                        Some("has_dockerfile") =>
                            ", by the importer's Dockerfile names in the default branch's tree",
                        Some("has_hub_image") =>
                            ", checked against Docker Hub for the images named in the README and compose files and for the repository's own owner/name",
                        Some("min_commits") | Some("min_releases") =>
                            ", counted through the API's pagination",
                        _ => "",
                    }
                )
            })
            .collect();
        text.push_str(&format!(
            " We then kept, in this order, the repositories {}.",
            join_words(&parts)
        ));
        let unfinished: Vec<String> = filters
            .iter()
            .filter(|s| s.status != StepStatus::Done)
            .map(|s| s.label.clone())
            .collect();
        if !unfinished.is_empty() {
            text.push_str(&format!(" (Not finished: {}.)", join_words(&unfinished)));
        }
    }
    for s in sel.steps.iter().filter(|s| s.kind == StepKind::Sample) {
        if let Some(sp) = sample::SampleParams::of(&s.parameters) {
            text.push_str(&format!(
                " From the remaining {} we drew {} of {} repositories with seed {} \
                 (SplitMix64, Codebench {}), so the same seed draws the same sample.",
                thousands(s.count_in.unwrap_or(0)),
                match &sp.stratify {
                    Some(f) => format!("a sample stratified by {f} (proportional allocation)"),
                    None => "a simple random sample".to_string(),
                },
                thousands(s.count_out.unwrap_or(0)),
                sp.seed,
                env!("CARGO_PKG_VERSION"),
            ));
        }
    }
    if let Some(a) = sel.steps.iter().rev().find(|s| s.kind == StepKind::Accept) {
        text.push_str(&format!(
            " The {} repositories were imported on {} at their default branch's commit{}.",
            thousands(a.count_in.unwrap_or(0)),
            day(a.finished_at.as_deref().unwrap_or(&a.started_at)),
            match a.count_out {
                Some(n) if Some(n) != a.count_in => format!(
                    "; {} could not be imported and are listed with the reason",
                    thousands(a.count_in.unwrap_or(0).saturating_sub(n))
                ),
                _ => String::new(),
            }
        ));
    } else {
        text.push_str(&format!(
            " The selection holds {} repositories.",
            thousands(sel.population)
        ));
    }
    Some(text)
}

fn join_words(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}
