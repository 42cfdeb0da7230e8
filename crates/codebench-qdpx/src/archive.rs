//! The zip container of a `.qdpx` file, read in memory with bounds: the entry count and the
//! sizes the central directory declares are checked before anything inflates, and every entry
//! read is capped as it inflates (a declared size may lie).

use std::collections::HashMap;
use std::io::Read;

use crate::{Error, Limits, Result, SOURCES_FOLDER};

/// The zip, with its entries' names and a running count of what was inflated.
pub(crate) struct Archive<'a> {
    zip: zip::ZipArchive<std::io::Cursor<&'a [u8]>>,
    /// Lower-case name → index.
    names: HashMap<String, usize>,
    limits: Limits,
    total: u64,
}

impl<'a> Archive<'a> {
    pub(crate) fn open(bytes: &'a [u8], limits: &Limits) -> Result<Archive<'a>> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| Error::NotZip(e.to_string()))?;
        if zip.len() > limits.max_entries {
            return Err(Error::TooLarge {
                what: format!("the number of zip entries ({})", zip.len()),
                limit: limits.max_entries as u64,
            });
        }
        let mut names = HashMap::new();
        let mut declared = 0u64;
        for i in 0..zip.len() {
            let f = zip.by_index_raw(i).map_err(|e| Error::Entry {
                entry: format!("#{i}"),
                message: e.to_string(),
            })?;
            if f.size() > limits.max_entry {
                return Err(Error::TooLarge {
                    what: format!("zip entry '{}' ({} bytes uncompressed)", f.name(), f.size()),
                    limit: limits.max_entry,
                });
            }
            declared = declared.saturating_add(f.size());
            names.insert(f.name().to_lowercase(), i);
        }
        if declared > limits.max_total {
            return Err(Error::TooLarge {
                what: format!("the zip's uncompressed size ({declared} bytes)"),
                limit: limits.max_total,
            });
        }
        Ok(Archive {
            zip,
            names,
            limits: *limits,
            total: 0,
        })
    }

    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.names.get(&name.to_lowercase()).copied()
    }

    /// One entry's bytes, capped at the per-entry and total bounds however it inflates.
    pub(crate) fn read_entry(&mut self, i: usize) -> Result<Vec<u8>> {
        let mut f = self.zip.by_index(i).map_err(|e| Error::Entry {
            entry: format!("#{i}"),
            message: e.to_string(),
        })?;
        let name = f.name().to_string();
        let cap = self
            .limits
            .max_entry
            .min(self.limits.max_total.saturating_sub(self.total));
        let mut out = Vec::new();
        (&mut f)
            .take(cap.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| Error::Entry {
                entry: name.clone(),
                message: e.to_string(),
            })?;
        if out.len() as u64 > cap {
            return Err(Error::TooLarge {
                what: format!("zip entry '{name}' as it inflates"),
                limit: cap,
            });
        }
        self.total += out.len() as u64;
        Ok(out)
    }

    /// The text a `plainTextPath` names: `internal://x` is `sources/x` in the zip (any case of
    /// the folder's name); other schemes (`relative://`, `absolute://`) point outside the zip,
    /// which is not followed: `None`.
    pub(crate) fn source_text(&mut self, path: &str) -> Result<Option<String>> {
        let Some(name) = path.strip_prefix("internal://") else {
            return Ok(None);
        };
        let entry = format!("{SOURCES_FOLDER}{name}");
        let i = self
            .find(&entry)
            .or_else(|| self.find(name))
            .ok_or_else(|| Error::Entry {
                entry: entry.clone(),
                message: format!("missing: plainTextPath '{path}' names no entry of the zip"),
            })?;
        let bytes = self.read_entry(i)?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Entry {
            entry,
            message: format!("not UTF-8 text ({e})"),
        })?;
        Ok(Some(match text.strip_prefix('\u{feff}') {
            Some(t) => t.to_string(),
            None => text,
        }))
    }
}
