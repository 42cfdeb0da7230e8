//! The `local` backend in a study: its training set (a person's or the consensus labels, never
//! a blind pair), its cross-validation, and its labels.

use rusqlite::params;

use codebench_machine::prompt;

use super::run::{MachineProgress, MachineRunSummary, Record};
use super::text::{dimension_text, unit_features, unit_files};
use super::{Backend, MachineConfig};
use crate::report::Labels;
use crate::{Error, Result, Study};

impl Study {
    /// The labelled units a local model learns from: `train_on`'s labels in the dimension,
    /// never a blind pair, with each unit's features.
    pub(crate) fn training_set(
        &self,
        train_on: &str,
        dim: &prompt::DimensionText,
    ) -> Result<TrainingSet> {
        let labels = Labels::parse(train_on);
        if let Labels::Rater(r) = &labels {
            if super::rater_kind(self.conn(), r)? == "machine" {
                return Err(Error::Invalid(format!(
                    "'{r}' is a machine rater: a local model learns from people or the consensus"
                )));
            }
        }
        let (decisions, _) = self.labels(&labels, None)?;
        let codes = dim.code_ids();
        let mut names = Vec::new();
        let mut docs = Vec::new();
        let mut ys = Vec::new();
        for d in decisions.into_iter().filter(|d| d.dimension == dim.id) {
            let y: Vec<String> = d.codes.into_iter().filter(|c| codes.contains(c)).collect();
            if y.is_empty() {
                continue;
            }
            let info = self.unit(&d.unit)?;
            docs.push(unit_features(&unit_files(self.conn(), &info)?));
            names.push(d.unit);
            ys.push(y);
        }
        Ok((names, docs, ys))
    }

    /// The cross-validated agreement of a local machine rater's classifier with the labels it
    /// learns from, on `dimension` (default: its configured one). Stores nothing.
    pub fn evaluate_local(
        &self,
        rater: &str,
        dimension: Option<&str>,
    ) -> Result<codebench_machine::local::Evaluation> {
        let m = self.machine_rater(rater)?;
        if m.config.backend != Backend::Local {
            return Err(Error::Invalid(format!(
                "'{rater}' is not a local machine rater"
            )));
        }
        let book = self.cached_codebook()?;
        let d = dimension
            .map(str::to_string)
            .or(m.config.dimension.clone())
            .ok_or_else(|| {
                Error::Invalid(format!("name the dimension '{rater}' codes (--dimension)"))
            })?;
        let dtext = dimension_text(book.require_dimension(&d)?);
        evaluate(self, &m.config, &dtext).map(|(e, _)| e)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn label_local(
        &mut self,
        rater: &str,
        dtext: &prompt::DimensionText,
        config: &MachineConfig,
        run_id: i64,
        todo: &[String],
        cancelled: &(dyn Fn() -> bool + Sync),
        progress: &(dyn Fn(MachineProgress) + Sync),
        summary: &mut MachineRunSummary,
    ) -> Result<()> {
        let (evaluation, (docs, ys)) = evaluate(self, config, dtext)?;
        self.write(|tx| {
            tx.execute(
                "UPDATE machine_run SET evaluation = ?2 WHERE id = ?1 AND evaluation IS NULL",
                params![run_id, serde_json::to_string(&evaluation)?],
            )?;
            Ok(())
        })?;
        summary.evaluation = Some(evaluation);
        if todo.is_empty() {
            return Ok(());
        }
        let model = codebench_machine::local::Classifier::fit(
            &docs.iter().collect::<Vec<_>>(),
            &ys.iter().collect::<Vec<_>>(),
            &dtext.code_ids(),
            dtext.many,
        )
        .map_err(Error::Invalid)?;
        for unit in todo {
            if cancelled() {
                break;
            }
            let info = self.unit(unit)?;
            let f = unit_features(&unit_files(self.conn(), &info)?);
            let predicted = model
                .predict(&[&f])
                .map_err(Error::Invalid)?
                .pop()
                .unwrap_or_default();
            let answer = if predicted.is_empty() {
                Err("the classifier gave no code".to_string())
            } else {
                Ok(codebench_machine::Answer {
                    rationale: format!(
                        "local classifier trained on {} units labelled by {}",
                        ys.len(),
                        config.train_on.as_deref().unwrap_or("")
                    ),
                    codes: predicted,
                    confidence: 0.0,
                })
            };
            let rec = Record {
                answer: &answer,
                confidence: None,
                raw: None,
                finish_reason: None,
                attempts: 0,
                tokens: (None, None),
                truncated: false,
                model_version: None,
            };
            self.store_answer(rater, &dtext.id, run_id, unit, &rec)?;
            match &answer {
                Ok(_) => summary.labelled += 1,
                Err(_) => summary.failed += 1,
            }
            progress(MachineProgress::Answered {
                unit: unit.clone(),
                ok: answer.is_ok(),
                error: answer.err(),
            });
        }
        Ok(())
    }
}

/// The units a local model learns from: names, features and labels.
type TrainingSet = (Vec<String>, Vec<Vec<String>>, Vec<Vec<String>>);

type Training = (Vec<Vec<String>>, Vec<Vec<String>>);

/// The cross-validation of a local configuration, and the training set it used.
fn evaluate(
    study: &Study,
    config: &MachineConfig,
    dtext: &prompt::DimensionText,
) -> Result<(codebench_machine::local::Evaluation, Training)> {
    let train_on = config
        .train_on
        .as_deref()
        .unwrap_or(crate::report::CONSENSUS_LABELS);
    let (_, docs, ys) = study.training_set(train_on, dtext)?;
    let e = codebench_machine::local::cross_validate(
        &docs,
        &ys,
        &dtext.code_ids(),
        dtext.many,
        config.folds.unwrap_or(5),
        config.cv_seed.unwrap_or(1),
    )
    .map_err(|e| Error::Invalid(format!("'{train_on}' on '{}': {e}", dtext.id)))?;
    Ok((e, (docs, ys)))
}
