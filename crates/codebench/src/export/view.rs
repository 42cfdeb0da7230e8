//! What an export reads of the study once, for all its tables: the decisions and evidence the
//! viewer may see (machine raters left out when asked), the raters and the blind rule, so every
//! table of one export describes the same moment.

use crate::{Result, Study};

/// What an export reads of the study, once, inside one read transaction: every table of one
/// export describes the same moment, and the blind rule is applied once for all of them.
pub(super) struct View {
    pub(super) decisions: Vec<crate::coding::Decision>,
    pub(super) evidence: Vec<crate::evidence::Evidence>,
    pub(super) raters: Vec<String>,
    pub(super) blind: crate::rules::Blind,
    pub(super) viewer: Option<String>,
    /// Decisions and evidence left out.
    pub(super) withheld: usize,
}

impl View {
    pub(super) fn read(study: &Study, viewer: Option<&str>, exclude_machine: bool) -> Result<View> {
        let d = study.decisions_seen_by(viewer, None)?;
        let e = study.evidence_seen_by(viewer, None)?;
        let machines: std::collections::BTreeSet<String> = if exclude_machine {
            study.machine_rater_names()?.into_iter().collect()
        } else {
            Default::default()
        };
        let person = |r: &String| !machines.contains(r);
        Ok(View {
            withheld: d.withheld + e.withheld,
            decisions: d.items.into_iter().filter(|x| person(&x.rater)).collect(),
            evidence: e.items.into_iter().filter(|x| person(&x.rater)).collect(),
            raters: study
                .raters()?
                .into_iter()
                .map(|r| r.name)
                .filter(person)
                .collect(),
            blind: study.blind()?,
            viewer: viewer.map(str::to_string),
        })
    }
}
