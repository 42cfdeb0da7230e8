//! The codebook: reading it, open-coding edits, and exchange with other tools (JSON, .qdc).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::input::{self, MAX_CODES, MAX_DEFINITION, MAX_LABEL, MAX_NAME};
use super::{ApiError, ApiResult, Ctx, Done, Written};
use crate::codebook::{Code, CodeStatus, CodeText, Codebook};

/// `codebook` and `code_uses`: no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct CodebookRequest {}

/// The study's codebook.
pub fn codebook(ctx: &mut Ctx<'_>, _req: CodebookRequest) -> ApiResult<Codebook> {
    Ok(ctx.study.codebook()?)
}

/// How often a code is given, and who proposed it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CodeUse {
    /// Dimension id.
    pub dimension: String,
    /// Code id.
    pub code: String,
    /// Decisions that give it, of those the viewer may see.
    pub count: usize,
    /// Who proposed it while coding (none for a code of the codebook as shipped or imported).
    pub proposed_by: Option<String>,
}

/// How many decisions (that the viewer may see) give each code, and who proposed each code
/// added while coding; codes neither given nor proposed are absent.
pub fn code_uses(ctx: &mut Ctx<'_>, _req: CodebookRequest) -> ApiResult<Vec<CodeUse>> {
    let seen = ctx.study.decisions_seen_by(ctx.viewer(), None)?;
    let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for d in &seen.items {
        for c in &d.codes {
            *counts.entry((d.dimension.clone(), c.clone())).or_default() += 1;
        }
    }
    let proposers = ctx.study.code_proposers()?;
    for key in proposers.keys() {
        counts.entry(key.clone()).or_default();
    }
    Ok(counts
        .into_iter()
        .map(|((dimension, code), count)| CodeUse {
            proposed_by: proposers.get(&(dimension.clone(), code.clone())).cloned(),
            dimension,
            code,
            count,
        })
        .collect())
}

/// `propose_code`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ProposeCode {
    /// Dimension id.
    pub dimension: String,
    /// The new code's name (its id is made from it).
    pub name: String,
    /// What it means.
    #[serde(default)]
    pub definition: String,
    /// Make it a sub-code of this code.
    pub parent: Option<String>,
    /// Who proposes it.
    pub by: String,
}

/// Open coding: adds a code to a dimension as proposed, on behalf of `by`.
pub fn propose_code(ctx: &mut Ctx<'_>, req: ProposeCode) -> ApiResult<Code> {
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::line("name", &req.name, MAX_LABEL)?;
    input::text("the definition", &req.definition, MAX_DEFINITION)?;
    input::opt_line("parent", &req.parent, MAX_LABEL)?;
    input::line("by", &req.by, MAX_NAME)?;
    ctx.acting_as(&req.by)?;
    Ok(ctx.study.propose_code(
        &req.dimension,
        &req.name,
        &req.definition,
        req.parent.as_deref(),
        req.by.trim(),
    )?)
}

/// `rename_code`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct RenameCode {
    /// Dimension id.
    pub dimension: String,
    /// The code (id, name or alias).
    pub code: String,
    /// Its new name.
    pub name: String,
    /// Who renames it.
    pub by: String,
}

/// Renames a code (its id and decisions stay; the history keeps the old name).
pub fn rename_code(ctx: &mut Ctx<'_>, req: RenameCode) -> ApiResult<Done> {
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::line("code", &req.code, MAX_LABEL)?;
    input::line("name", &req.name, MAX_LABEL)?;
    input::line("by", &req.by, MAX_NAME)?;
    ctx.acting_as(&req.by)?;
    ctx.study
        .rename_code(&req.dimension, &req.code, &req.name, req.by.trim())?;
    Ok(Done {})
}

/// `edit_code`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct EditCode {
    /// Dimension id.
    pub dimension: String,
    /// The code (id, name or alias).
    pub code: String,
    /// Its new texts.
    pub text: CodeText,
    /// Who edits it.
    pub by: String,
}

/// Rewrites a code's definition, include and exclude notes and example (recorded in history).
pub fn edit_code(ctx: &mut Ctx<'_>, req: EditCode) -> ApiResult<Code> {
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::line("code", &req.code, MAX_LABEL)?;
    for (f, v) in [
        ("the definition", &req.text.definition),
        ("the include note", &req.text.include),
        ("the exclude note", &req.text.exclude),
        ("the example", &req.text.example),
    ] {
        input::text(f, v, MAX_DEFINITION)?;
    }
    input::line("by", &req.by, MAX_NAME)?;
    ctx.acting_as(&req.by)?;
    Ok(ctx
        .study
        .edit_code(&req.dimension, &req.code, &req.text, req.by.trim())?)
}

/// `set_code_status`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SetCodeStatus {
    /// Dimension id.
    pub dimension: String,
    /// The code (id, name or alias).
    pub code: String,
    /// `active` (agreed, or brought back), `proposed`, or `retired` (no new decisions).
    pub status: CodeStatus,
    /// Who changes it.
    pub by: String,
}

/// Sets a code's status: active (agreed), proposed, or retired (no new decisions).
pub fn set_code_status(ctx: &mut Ctx<'_>, req: SetCodeStatus) -> ApiResult<Done> {
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::line("code", &req.code, MAX_LABEL)?;
    input::line("by", &req.by, MAX_NAME)?;
    ctx.acting_as(&req.by)?;
    ctx.study
        .set_code_status(&req.dimension, &req.code, req.status, req.by.trim())?;
    Ok(Done {})
}

/// `merge_codes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct MergeCodes {
    /// Dimension id.
    pub dimension: String,
    /// The code that goes.
    pub from: String,
    /// The code that stays.
    pub into: String,
    /// Who merges.
    pub by: String,
}

/// What a code merge did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CodesMerged {
    /// Decisions that had the merged code and now have the other.
    pub decisions_remapped: usize,
}

/// Merges code `from` into `into`: every decision, consensus and evidence with `from` gets
/// `into` (none is dropped); `from` leaves the codebook.
pub fn merge_codes(ctx: &mut Ctx<'_>, req: MergeCodes) -> ApiResult<CodesMerged> {
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::line("from", &req.from, MAX_LABEL)?;
    input::line("into", &req.into, MAX_LABEL)?;
    input::line("by", &req.by, MAX_NAME)?;
    ctx.acting_as(&req.by)?;
    Ok(CodesMerged {
        decisions_remapped: ctx.study.merge_codes(
            &req.dimension,
            &req.from,
            &req.into,
            req.by.trim(),
        )?,
    })
}

/// One new code of a split.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct NewCode {
    /// Its name.
    pub name: String,
    /// Its definition.
    #[serde(default)]
    pub definition: String,
}

/// `split_code`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SplitCode {
    /// Dimension id.
    pub dimension: String,
    /// The code split (it is retired).
    pub code: String,
    /// The new codes (at least two).
    pub into: Vec<NewCode>,
    /// Who splits.
    pub by: String,
}

/// What a split made.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CodeSplit {
    /// The new codes.
    pub codes: Vec<Code>,
    /// Units with a decision that gave the split code: to recode.
    pub recode: Vec<String>,
}

/// Splits a code into new ones; the old code is retired and the units to recode are listed.
pub fn split_code(ctx: &mut Ctx<'_>, req: SplitCode) -> ApiResult<CodeSplit> {
    input::line("dimension", &req.dimension, MAX_LABEL)?;
    input::line("code", &req.code, MAX_LABEL)?;
    if req.into.len() > MAX_CODES {
        return Err(ApiError::invalid(format!(
            "more than {MAX_CODES} new codes"
        )));
    }
    for c in &req.into {
        input::line("name", &c.name, MAX_LABEL)?;
        input::text("the definition", &c.definition, MAX_DEFINITION)?;
    }
    input::line("by", &req.by, MAX_NAME)?;
    ctx.acting_as(&req.by)?;
    let into: Vec<(String, String)> = req
        .into
        .into_iter()
        .map(|c| (c.name, c.definition))
        .collect();
    let (codes, recode) = ctx
        .study
        .split_code(&req.dimension, &req.code, &into, req.by.trim())?;
    Ok(CodeSplit { codes, recode })
}

/// `import_codebook`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ImportCodebook {
    /// A codebook file: Codebench JSON or REFI-QDA .qdc (absolute path).
    pub file: String,
}

/// What the study now codes with.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CodebookImported {
    /// Codebook id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// How many dimensions.
    pub dimensions: usize,
}

/// Replaces the study's codebook from a file, before coding starts.
pub fn import_codebook(ctx: &mut Ctx<'_>, req: ImportCodebook) -> ApiResult<CodebookImported> {
    let path = input::path(&req.file, "the codebook file")?;
    let book = Codebook::from_file(&path)?;
    ctx.study.replace_codebook(&book)?;
    Ok(CodebookImported {
        id: book.id.clone(),
        version: book.version.clone(),
        dimensions: book.dimensions.len(),
    })
}

/// A codebook file format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum CodebookFormat {
    /// Codebench's JSON format (schema/codebook.schema.json).
    #[default]
    Json,
    /// REFI-QDA codebook (urn:QDA-XML:codebook:1.0) for ATLAS.ti, MAXQDA, NVivo, QualCoder.
    Qdc,
}

/// `export_codebook`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ExportCodebook {
    /// Where to write it (absolute path; replaced if there).
    pub file: String,
    /// JSON or .qdc.
    #[serde(default)]
    pub format: CodebookFormat,
}

/// Writes the codebook to a JSON or REFI-QDA .qdc file (atomically: a temporary file renamed).
pub fn export_codebook(ctx: &mut Ctx<'_>, req: ExportCodebook) -> ApiResult<Written> {
    let path = input::path(&req.file, "the codebook file")?;
    let book = ctx.study.codebook()?;
    let text = match req.format {
        CodebookFormat::Json => book.to_json(),
        CodebookFormat::Qdc => crate::codebook::qdc::to_qdc(&book),
    };
    crate::export::write_file_atomic(&path, text.as_bytes())?;
    Ok(Written {
        path: path.display().to_string(),
    })
}
