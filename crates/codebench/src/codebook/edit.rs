//! Open coding: the team's edits to a codebook while coding goes on — propose, rename, retire,
//! merge, split. Every edit is one transaction with a history row; a merge remaps decisions,
//! consensus and evidence and never drops one.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection};

use super::*;
use crate::{Error, Result};

/// The free texts of a code that [`crate::Study::edit_code`] rewrites.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct CodeText {
    /// What the code means.
    pub definition: String,
    /// When to give it.
    #[serde(default)]
    pub include: String,
    /// When not to.
    #[serde(default)]
    pub exclude: String,
    /// An example.
    #[serde(default)]
    pub example: String,
}

/// Open coding: the team's edits to a codebook while coding goes on. Every edit is one
/// transaction with a history row; merging remaps decisions and never drops one.
impl crate::Study {
    /// Proposes a new code while coding (status `proposed`); its id is made from its name.
    pub fn propose_code(
        &mut self,
        dimension: &str,
        name: &str,
        definition: &str,
        parent: Option<&str>,
        by: &str,
    ) -> Result<Code> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?.clone();
        if name.trim().is_empty() {
            return Err(Error::Invalid("a code needs a name".into()));
        }
        if dim.resolve(name).is_some() {
            return Err(Error::Invalid(format!(
                "dimension '{}' already has a code named '{}'",
                dim.id,
                name.trim()
            )));
        }
        if let Some(p) = parent {
            dim.require_code(p)?;
        }
        let parent = parent.map(|p| dim.resolve(p).expect("checked").id.clone());
        let mut taken: HashSet<String> = dim.codes.iter().map(|c| c.id.clone()).collect();
        let code = Code {
            id: slug(name, &mut taken),
            name: name.trim().to_string(),
            definition: definition.trim().to_string(),
            include: String::new(),
            exclude: String::new(),
            example: String::new(),
            aliases: Vec::new(),
            group: parent
                .as_ref()
                .and_then(|p| dim.code(p))
                .and_then(|p| p.group.clone()),
            parent,
            status: CodeStatus::Proposed,
        };
        self.write(|tx| {
            tx.execute(
                "INSERT INTO code (dimension, id, name, definition, grp, parent, status, position)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'proposed', (SELECT coalesce(max(position), 0) + 1 FROM code WHERE dimension = ?1))",
                params![dim.id, code.id, code.name, code.definition, code.group, code.parent],
            )?;
            crate::history::record(tx, by, "codebook.propose", &format!("{}|{}", dim.id, code.id), None, Some(&serde_json::to_value(&code)?))
        })?;
        Ok(code)
    }

    /// Renames a code (its id stays, so decisions are untouched).
    pub fn rename_code(
        &mut self,
        dimension: &str,
        code: &str,
        new_name: &str,
        by: &str,
    ) -> Result<()> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?;
        let c = dim.require_code(code)?.clone();
        if new_name.trim().is_empty() {
            return Err(Error::Invalid("a code needs a name".into()));
        }
        if let Some(other) = dim.resolve(new_name).filter(|o| o.id != c.id) {
            return Err(Error::Invalid(format!(
                "'{}' is already the name or alias of code '{}'",
                new_name.trim(),
                other.id
            )));
        }
        let dim_id = dim.id.clone();
        self.write(|tx| {
            tx.execute(
                "UPDATE code SET name = ?3 WHERE dimension = ?1 AND id = ?2",
                params![dim_id, c.id, new_name.trim()],
            )?;
            crate::history::record(
                tx,
                by,
                "codebook.rename",
                &format!("{dim_id}|{}", c.id),
                Some(&serde_json::json!({ "name": c.name })),
                Some(&serde_json::json!({ "name": new_name.trim() })),
            )
        })
    }

    /// Sets a code's status: `retired` stops offering it for new decisions (old ones keep it),
    /// `active` accepts a proposed code or brings a retired one back.
    pub fn set_code_status(
        &mut self,
        dimension: &str,
        code: &str,
        status: CodeStatus,
        by: &str,
    ) -> Result<()> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?;
        let c = dim.require_code(code)?.clone();
        let dim_id = dim.id.clone();
        self.write(|tx| {
            tx.execute(
                "UPDATE code SET status = ?3 WHERE dimension = ?1 AND id = ?2",
                params![dim_id, c.id, status.as_str()],
            )?;
            crate::history::record(
                tx,
                by,
                "codebook.status",
                &format!("{dim_id}|{}", c.id),
                Some(&serde_json::json!({ "status": c.status.as_str() })),
                Some(&serde_json::json!({ "status": status.as_str() })),
            )
        })
    }

    /// Merges code `from` into code `into`: every decision that had `from` now has `into`
    /// (a decision that had both keeps `into` once), sub-codes of `from` move under `into`, and
    /// `from` is removed from the codebook. Returns how many decisions were remapped.
    pub fn merge_codes(
        &mut self,
        dimension: &str,
        from: &str,
        into: &str,
        by: &str,
    ) -> Result<usize> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?;
        let a = dim.require_code(from)?.clone();
        let b = dim.require_code(into)?.clone();
        if a.id == b.id {
            return Err(Error::Invalid(format!(
                "cannot merge code '{}' into itself",
                a.id
            )));
        }
        let mut up = b.parent.clone();
        while let Some(p) = up {
            if p == a.id {
                return Err(Error::Invalid(format!(
                    "cannot merge '{}' into its own sub-code '{}'",
                    a.id, b.id
                )));
            }
            up = dim.code(&p).and_then(|c| c.parent.clone());
        }
        let dim_id = dim.id.clone();
        self.write(|tx| {
            let mut stmt = tx.prepare("SELECT decision_id FROM decision_code WHERE dimension = ?1 AND code = ?2")?;
            let ids: Vec<i64> = stmt.query_map(params![dim_id, a.id], |r| r.get(0))?.collect::<Result<_, _>>()?;
            for id in &ids {
                tx.execute("INSERT OR IGNORE INTO decision_code (decision_id, dimension, code) VALUES (?1, ?2, ?3)", params![id, dim_id, b.id])?;
                tx.execute("DELETE FROM decision_code WHERE decision_id = ?1 AND code = ?2", params![id, a.id])?;
            }
            remap_other_tables(tx, &dim_id, &a.id, &b.id)?;
            tx.execute("UPDATE code SET parent = ?3 WHERE dimension = ?1 AND parent = ?2", params![dim_id, a.id, b.id])?;
            tx.execute("DELETE FROM code WHERE dimension = ?1 AND id = ?2", params![dim_id, a.id])?;
            crate::history::record(
                tx,
                by,
                "codebook.merge",
                &format!("{dim_id}|{}", a.id),
                Some(&serde_json::to_value(&a)?),
                Some(&serde_json::json!({ "merged_into": b.id, "decisions_remapped": ids.len() })),
            )?;
            Ok(ids.len())
        })
    }

    /// Splits a code into new codes (siblings of it, status active) and retires it. Decisions
    /// keep the old code until a rater recodes them; the units concerned are returned.
    pub fn split_code(
        &mut self,
        dimension: &str,
        code: &str,
        into: &[(String, String)],
        by: &str,
    ) -> Result<(Vec<Code>, Vec<String>)> {
        if into.len() < 2 {
            return Err(Error::Invalid(
                "a split needs at least two new codes".into(),
            ));
        }
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?.clone();
        let old = dim.require_code(code)?.clone();
        let mut created = Vec::new();
        for (name, definition) in into {
            let c = self.propose_code(&dim.id, name, definition, old.parent.as_deref(), by)?;
            self.set_code_status(&dim.id, &c.id, CodeStatus::Active, by)?;
            created.push(Code {
                status: CodeStatus::Active,
                ..c
            });
        }
        self.set_code_status(&dim.id, &old.id, CodeStatus::Retired, by)?;
        let units: Vec<String> = self
            .conn()
            .prepare(
                "SELECT DISTINCT u.name FROM decision_code dc JOIN decision d ON d.id = dc.decision_id JOIN unit u ON u.id = d.unit_id
                 WHERE dc.dimension = ?1 AND dc.code = ?2 ORDER BY u.name",
            )?
            .query_map(params![dim.id, old.id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        self.write(|tx| {
            crate::history::record(
                tx,
                by,
                "codebook.split",
                &format!("{}|{}", dim.id, old.id),
                None,
                Some(&serde_json::json!({ "into": created.iter().map(|c| &c.id).collect::<Vec<_>>(), "units_to_recode": units.len() })),
            )
        })?;
        Ok((created, units))
    }

    /// Rewrites a code's definition, include and exclude notes and example (its id, name and
    /// decisions stay), with the old text in the history.
    pub fn edit_code(
        &mut self,
        dimension: &str,
        code: &str,
        text: &CodeText,
        by: &str,
    ) -> Result<Code> {
        let book = self.cached_codebook()?;
        let dim = book.require_dimension(dimension)?;
        let c = dim.require_code(code)?.clone();
        let dim_id = dim.id.clone();
        let new = Code {
            definition: text.definition.trim().to_string(),
            include: text.include.trim().to_string(),
            exclude: text.exclude.trim().to_string(),
            example: text.example.trim().to_string(),
            ..c.clone()
        };
        self.write(|tx| {
            tx.execute(
                "UPDATE code SET definition = ?3, include = ?4, exclude = ?5, example = ?6 WHERE dimension = ?1 AND id = ?2",
                params![dim_id, c.id, new.definition, new.include, new.exclude, new.example],
            )?;
            crate::history::record(
                tx,
                by,
                "codebook.edit",
                &format!("{dim_id}|{}", c.id),
                Some(&serde_json::json!({ "definition": c.definition, "include": c.include, "exclude": c.exclude, "example": c.example })),
                Some(&serde_json::json!({ "definition": new.definition, "include": new.include, "exclude": new.exclude, "example": new.example })),
            )
        })?;
        Ok(new)
    }

    /// Who proposed each code added while coding, by (dimension, code) (shipped codes have
    /// none), from the history.
    pub fn code_proposers(&self) -> Result<HashMap<(String, String), String>> {
        let mut stmt = self.conn().prepare(
            "SELECT subject, actor FROM history WHERE action = 'codebook.propose' ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (subject, actor) = row?;
            if let Some((d, c)) = subject.split_once('|') {
                out.insert((d.to_string(), c.to_string()), actor);
            }
        }
        Ok(out)
    }

    /// How many current decisions use each code, by (dimension, code).
    pub fn code_use_counts(&self) -> Result<HashMap<(String, String), i64>> {
        let mut stmt = self.conn().prepare(
            "SELECT dimension, code, count(*) FROM decision_code GROUP BY dimension, code",
        )?;
        let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Remaps a merged code in every table other than `decision_code` that holds codes. The list
/// is explicit: a table a later migration adds with a code column must be added here (the
/// test `merge_moves_codes_in_every_table` fails until it is).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const CODE_TABLES: &[&str] = &["decision_code", "consensus_code", "evidence"];

fn remap_other_tables(tx: &Connection, dimension: &str, from: &str, into: &str) -> Result<()> {
    // consensus_code: (consensus_id, dimension, code), like decision_code.
    let ids: Vec<i64> = tx
        .prepare("SELECT consensus_id FROM consensus_code WHERE dimension = ?1 AND code = ?2")?
        .query_map(params![dimension, from], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        tx.execute(
            "INSERT OR IGNORE INTO consensus_code (consensus_id, dimension, code) VALUES (?1, ?2, ?3)",
            params![id, dimension, into],
        )?;
        tx.execute(
            "DELETE FROM consensus_code WHERE consensus_id = ?1 AND code = ?2",
            params![id, from],
        )?;
    }
    // evidence: its dimension is its decision's.
    tx.execute(
        "UPDATE evidence SET code = ?3 WHERE code = ?2
         AND decision_id IN (SELECT id FROM decision WHERE dimension = ?1)",
        params![dimension, from, into],
    )?;
    Ok(())
}

#[cfg(test)]
mod open_coding_tests {
    use super::*;
    use crate::coding::DecisionInput;
    use crate::Study;

    fn study() -> (tempfile::TempDir, Study) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = crate::sample::create(&dir.path().join("s.codebench")).unwrap();
        s.add_rater("ana").unwrap();
        s.add_rater("ben").unwrap();
        (dir, s)
    }

    fn code(s: &mut Study, rater: &str, unit: &str, codes: &[&str]) {
        let dimension = if unit.contains(':') {
            "purpose"
        } else {
            "kind"
        };
        s.record(&DecisionInput {
            rater: rater.into(),
            unit: unit.into(),
            dimension: dimension.into(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        })
        .unwrap();
    }

    #[test]
    fn propose_rename_retire() {
        let (_d, mut s) = study();
        let c = s
            .propose_code(
                "purpose",
                "GPU Benchmarking",
                "Measures GPU speed.",
                Some("model-management"),
                "ana",
            )
            .unwrap();
        assert_eq!(c.id, "gpu-benchmarking");
        assert_eq!(
            s.codebook()
                .unwrap()
                .dimension("purpose")
                .unwrap()
                .code("gpu-benchmarking")
                .unwrap()
                .status,
            CodeStatus::Proposed
        );
        code(
            &mut s,
            "ana",
            "lumen-labs/tinyserve:Dockerfile",
            &["gpu-benchmarking"],
        );
        s.rename_code("purpose", "gpu-benchmarking", "GPU Benchmarks", "ben")
            .unwrap();
        assert_eq!(
            s.decision("ana", "lumen-labs/tinyserve:Dockerfile", "purpose")
                .unwrap()
                .unwrap()
                .codes,
            vec!["gpu-benchmarking"]
        );
        assert!(
            s.propose_code("purpose", "hosting", "", None, "ana")
                .is_err(),
            "a name that is already a code"
        );
        s.set_code_status("purpose", "gpu-benchmarking", CodeStatus::Retired, "ben")
            .unwrap();
        let n: i64 = s
            .conn()
            .query_row(
                "SELECT count(*) FROM history WHERE action LIKE 'codebook.%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 3);
    }

    #[test]
    fn merge_never_drops_a_decision() {
        let (_d, mut s) = study();
        let u = "lumen-labs/tinyserve:Dockerfile";
        code(&mut s, "ana", u, &["hosting", "model-storage-serving"]);
        code(&mut s, "ben", u, &["hosting"]);
        code(&mut s, "ana", "lumen-labs/tinyserve", &["toolkit"]);
        let before = s.decisions(None).unwrap().len();
        let n = s
            .merge_codes("purpose", "hosting", "model-storage-serving", "ana")
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(s.decisions(None).unwrap().len(), before);
        assert_eq!(
            s.decision("ana", u, "purpose").unwrap().unwrap().codes,
            vec!["model-storage-serving"]
        );
        assert_eq!(
            s.decision("ben", u, "purpose").unwrap().unwrap().codes,
            vec!["model-storage-serving"]
        );
        assert!(s
            .codebook()
            .unwrap()
            .dimension("purpose")
            .unwrap()
            .code("hosting")
            .is_none());
        // A one-code dimension stays one code.
        s.merge_codes("kind", "toolkit", "dl-framework", "ana")
            .unwrap();
        assert_eq!(
            s.decision("ana", "lumen-labs/tinyserve", "kind")
                .unwrap()
                .unwrap()
                .codes,
            vec!["dl-framework"]
        );
        // Sub-codes move with a merged parent.
        s.merge_codes("purpose", "data-management", "model-management", "ana")
            .unwrap();
        let book = s.codebook().unwrap();
        assert_eq!(
            book.dimension("purpose")
                .unwrap()
                .code("data-processing")
                .unwrap()
                .parent
                .as_deref(),
            Some("model-management")
        );
        assert!(s
            .merge_codes("purpose", "model-management", "model-training", "ana")
            .is_err());
    }

    #[test]
    fn merge_moves_codes_in_every_table() {
        let (_d, mut s) = study();
        // Every table with a `code` column is one the merge knows (a new one must be added).
        let tables: Vec<String> = s
            .conn()
            .prepare(
                "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name <> 'code'
                 AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'code')
                 ORDER BY m.name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut known: Vec<String> = CODE_TABLES.iter().map(|t| t.to_string()).collect();
        known.sort();
        assert_eq!(tables, known);
        // Evidence on the removed code follows it (a regression: it stayed on the old code).
        let u = "lumen-labs/tinyserve:Dockerfile";
        code(&mut s, "ana", u, &["hosting"]);
        s.add_evidence(&crate::evidence::EvidenceInput {
            rater: "ana".into(),
            unit: u.into(),
            dimension: "purpose".into(),
            code: "hosting".into(),
            file: "Dockerfile".into(),
            quote: "EXPOSE".into(),
            line_start: None,
            line_end: None,
        })
        .unwrap();
        s.merge_codes("purpose", "hosting", "model-storage-serving", "ana")
            .unwrap();
        let ev = s.evidence(Some("ana")).unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].code, "model-storage-serving");
    }

    #[test]
    fn split_retires_and_lists_units_to_recode() {
        let (_d, mut s) = study();
        let u = "lumen-labs/tinyserve:Dockerfile";
        code(&mut s, "ana", u, &["security"]);
        let (created, units) = s
            .split_code(
                "purpose",
                "security",
                &[
                    ("Secrets Handling".into(), "".into()),
                    ("Image Hardening".into(), "".into()),
                ],
                "ana",
            )
            .unwrap();
        assert_eq!(created.len(), 2);
        assert_eq!(units, vec![u.to_string()]);
        let book = s.codebook().unwrap();
        assert_eq!(
            book.dimension("purpose")
                .unwrap()
                .code("security")
                .unwrap()
                .status,
            CodeStatus::Retired
        );
        assert_eq!(
            s.decision("ana", u, "purpose").unwrap().unwrap().codes,
            vec!["security"]
        );
        assert_eq!(
            s.code_use_counts().unwrap()[&("purpose".to_string(), "security".to_string())],
            1
        );
    }
}
