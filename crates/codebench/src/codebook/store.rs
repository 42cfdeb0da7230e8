//! The codebook in the study file: written once when a study is made (or replaced before
//! coding starts), read back whole. The `codebook_rev` meta value changes with every edit, so a
//! [`crate::Study`] re-reads its cached copy only when the tables changed.

use rusqlite::{params, Connection};

use super::*;
use crate::{Error, Result};

/// Writes the codebook into a study's tables (a new study: the tables are empty).
pub(crate) fn store(tx: &Connection, book: &Codebook) -> Result<()> {
    tx.execute(
        "INSERT INTO codebook (id, slug, name, version, description, source) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        params![book.id, book.name, book.version, book.description, book.source],
    )?;
    let mut dim = tx.prepare(
        "INSERT INTO dimension (id, name, unit, cardinality, description, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut code = tx.prepare(
        "INSERT INTO code (dimension, id, name, definition, include, exclude, example, aliases, grp, parent, status, position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for (i, d) in book.dimensions.iter().enumerate() {
        dim.execute(params![
            d.id,
            d.name,
            d.unit.as_str(),
            d.cardinality.as_str(),
            d.description,
            i as i64
        ])?;
    }
    // Parents first, so the foreign key on (dimension, parent) holds at every insert.
    for d in &book.dimensions {
        let mut done: HashSet<&str> = HashSet::new();
        while done.len() < d.codes.len() {
            for (i, c) in d.codes.iter().enumerate() {
                if done.contains(c.id.as_str()) {
                    continue;
                }
                if c.parent.as_deref().is_some_and(|p| !done.contains(p)) {
                    continue;
                }
                code.execute(params![
                    d.id,
                    c.id,
                    c.name,
                    c.definition,
                    c.include,
                    c.exclude,
                    c.example,
                    serde_json::to_string(&c.aliases)?,
                    c.group,
                    c.parent,
                    c.status.as_str(),
                    i as i64
                ])?;
                done.insert(&c.id);
            }
        }
    }
    Ok(())
}

/// Reads the study's codebook from its tables.
pub(crate) fn load(conn: &Connection) -> Result<Codebook> {
    let (id, name, version, description, source) = conn.query_row(
        "SELECT slug, name, version, description, source FROM codebook WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut dims = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT id, name, unit, cardinality, description FROM dimension ORDER BY position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    for row in rows {
        let (id, name, unit, cardinality, description) = row?;
        dims.push(Dimension {
            unit: UnitKind::parse(&unit)
                .ok_or_else(|| Error::Invalid(format!("dimension {id}: bad unit {unit}")))?,
            cardinality: if cardinality == "one" {
                Cardinality::One
            } else {
                Cardinality::Many
            },
            id,
            name,
            description,
            codes: Vec::new(),
        });
    }
    let mut stmt = conn.prepare(
        "SELECT dimension, id, name, definition, include, exclude, example, aliases, grp, parent, status
         FROM code ORDER BY position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Code {
                id: r.get(1)?,
                name: r.get(2)?,
                definition: r.get(3)?,
                include: r.get(4)?,
                exclude: r.get(5)?,
                example: r.get(6)?,
                aliases: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
                group: r.get(8)?,
                parent: r.get(9)?,
                status: CodeStatus::parse(&r.get::<_, String>(10)?).unwrap_or_default(),
            },
        ))
    })?;
    for row in rows {
        let (dim, code) = row?;
        if let Some(d) = dims.iter_mut().find(|d| d.id == dim) {
            d.codes.push(code);
        }
    }
    Ok(Codebook {
        id,
        name,
        version,
        description,
        source,
        dimensions: dims,
        schema: None,
    })
}

impl crate::Study {
    /// Replaces the study's codebook; only while no decision has been recorded (later changes
    /// go through the open-coding edits, which remap decisions).
    pub fn replace_codebook(&mut self, book: &Codebook) -> Result<()> {
        book.validate().map_err(|message| Error::Codebook {
            source_name: book.id.clone(),
            message,
        })?;
        let old = self.codebook()?;
        self.write(|tx| {
            let n: i64 = tx.query_row("SELECT count(*) FROM decision", [], |r| r.get(0))?;
            if n > 0 {
                return Err(Error::Invalid(format!(
                    "this study already has {n} decisions; a codebook can only be replaced before coding starts"
                )));
            }
            tx.execute_batch("DELETE FROM code; DELETE FROM dimension; DELETE FROM codebook;")?;
            store(tx, book)?;
            crate::history::record(
                tx,
                "system",
                "codebook.replace",
                &book.id,
                Some(&serde_json::json!({ "id": old.id, "version": old.version })),
                Some(&serde_json::json!({ "id": book.id, "version": book.version })),
            )
        })
    }

    /// The study's codebook.
    pub fn codebook(&self) -> Result<Codebook> {
        Ok((*self.cached_codebook()?).clone())
    }
}
