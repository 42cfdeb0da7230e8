//! Reading a `.qdpx` zip into a [`Project`], bounded by [`Limits`]: nothing is extracted to
//! disk, every entry read is capped as it inflates, and the XML's depth is counted as it is
//! read (no recursion follows the file's nesting).

use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::archive::Archive;
use crate::{
    slice_chars, Case, Code, Coding, Error, Limits, Note, Project, Result, Selection, TextSource,
    User, Variable, VariableType, VariableValue, NAMESPACE, PROJECT_ENTRY,
};

/// Reads the `.qdpx` file at `path` (refused above [`Limits::max_archive`] before it is read).
pub fn read_path(path: &Path, limits: &Limits) -> Result<Project> {
    let io = |e| Error::Io {
        path: path.display().to_string(),
        source: e,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > limits.max_archive {
        return Err(Error::TooLarge {
            what: format!("{} ({len} bytes)", path.display()),
            limit: limits.max_archive,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    read(&bytes, limits)
}

/// Reads a `.qdpx` file's bytes. Errors name the entry, element or attribute at fault; a
/// selection outside its source's text is an error, not a silent clamp.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Project> {
    if bytes.len() as u64 > limits.max_archive {
        return Err(Error::TooLarge {
            what: format!("the file ({} bytes)", bytes.len()),
            limit: limits.max_archive,
        });
    }
    let mut zip = Archive::open(bytes, limits)?;
    let qde = zip.find(PROJECT_ENTRY).ok_or_else(|| Error::Entry {
        entry: PROJECT_ENTRY.into(),
        message: "missing: a .qdpx file holds project.qde at its top".into(),
    })?;
    let raw = zip.read_entry(qde)?;
    let xml = String::from_utf8(raw).map_err(|e| Error::Entry {
        entry: PROJECT_ENTRY.into(),
        message: format!("not UTF-8 text ({e})"),
    })?;
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(&xml);
    let (mut project, paths) = parse(xml, limits)?;
    for (i, path) in paths {
        let Some(path) = path else { continue };
        let text = zip.source_text(&path)?;
        match i {
            Owner::Source(i) => project.sources[i].text = text,
            Owner::Note(i) => {
                if let Some(t) = text {
                    project.notes[i].text = t;
                }
            }
        }
    }
    for s in &project.sources {
        let Some(text) = &s.text else { continue };
        for sel in &s.selections {
            if slice_chars(text, sel.start, sel.end).is_none() {
                return Err(Error::Xml {
                    line: 0,
                    message: format!(
                        "TextSource '{}': PlainTextSelection {}: startPosition {} / endPosition {} is outside the text's {} characters",
                        s.name,
                        sel.guid,
                        sel.start,
                        sel.end,
                        text.chars().count()
                    ),
                });
            }
        }
    }
    Ok(project)
}

/// Whose text a `plainTextPath` is.
#[derive(Clone, Copy)]
enum Owner {
    Source(usize),
    Note(usize),
}

/// Where the text being read goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    None,
    Description,
    Content,
    Value(VariableType),
}

/// The open element that text and children belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Other,
    Code(usize),
    Case(usize),
    Source(usize),
    Selection(usize, usize),
    Coding,
    Note(usize),
    Value,
}

type Paths = Vec<(Owner, Option<String>)>;

fn parse(xml: &str, limits: &Limits) -> Result<(Project, Paths)> {
    let mut counted = (0usize, 1usize);
    let mut line_of = |pos: u64| {
        let pos = (pos as usize).min(xml.len());
        if pos > counted.0 {
            counted.1 += xml.as_bytes()[counted.0..pos]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            counted.0 = pos;
        }
        counted.1
    };
    let mut reader = Reader::from_str(xml);
    let mut p = Project::default();
    let mut paths: Paths = Vec::new();
    let mut codes: Vec<(Code, Option<usize>)> = Vec::new();
    // The open elements: what each is, innermost last.
    let mut open: Vec<Open> = Vec::new();
    // Inside a source type this model does not hold (pictures, PDFs, audio, video): its depth.
    let mut skip: Option<usize> = None;
    let mut capture = Capture::None;
    let mut buf = String::new();
    // The coding being read, and where it goes.
    let mut coding: Option<(Coding, Open)> = None;
    let mut value: Option<(Open, VariableValue)> = None;
    let mut saw_project = false;
    loop {
        let pos = reader.buffer_position();
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let at = reader.error_position();
                return Err(Error::Xml {
                    line: line_of(at),
                    message: format!("not well-formed XML: {e}"),
                });
            }
        };
        let err = |line: usize, message: String| Error::Xml { line, message };
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let line = line_of(pos);
                if open.len() >= limits.max_depth {
                    return Err(err(
                        line,
                        format!("elements nested deeper than {} levels", limits.max_depth),
                    ));
                }
                let name = e.local_name().as_ref().to_vec();
                let el = String::from_utf8_lossy(&name).into_owned();
                let a = Attrs::read(e, &el, line)?;
                let parent = open.last().copied();
                let mut me = Open::Other;
                if skip.is_none() {
                    match name.as_slice() {
                        b"Project" if open.is_empty() => {
                            saw_project = true;
                            if !a.namespaces.iter().any(|n| n == NAMESPACE) {
                                return Err(err(line, format!("Project is not in namespace {NAMESPACE}: not a REFI-QDA project")));
                            }
                            p.name = a.get("name").unwrap_or_default();
                            p.origin = a.get("origin").unwrap_or_default();
                            p.created = a.get("creationDateTime");
                        }
                        _ if open.is_empty() => {
                            return Err(err(
                                line,
                                format!(
                                    "the root element is {el}, not Project: not a REFI-QDA project"
                                ),
                            ));
                        }
                        b"User" => p.users.push(User {
                            guid: a.need("guid")?,
                            name: a.get("name").unwrap_or_default(),
                        }),
                        b"Code" if !matches!(parent, Some(Open::Coding)) => {
                            let parent_code = match parent {
                                Some(Open::Code(i)) => Some(i),
                                _ => None,
                            };
                            codes.push((
                                Code {
                                    guid: a.need("guid")?,
                                    name: a.need("name")?,
                                    is_codable: a.get("isCodable").as_deref() != Some("false"),
                                    color: a.get("color"),
                                    description: String::new(),
                                    children: Vec::new(),
                                },
                                parent_code,
                            ));
                            me = Open::Code(codes.len() - 1);
                        }
                        b"Variable" => {
                            let t = a.need("typeOfVariable")?;
                            let kind = VariableType::parse(&t).ok_or_else(|| {
                                err(line, format!("Variable: attribute typeOfVariable: '{t}' is not Text, Boolean, Integer, Float, Date or DateTime"))
                            })?;
                            p.variables.push(Variable {
                                guid: a.need("guid")?,
                                name: a.need("name")?,
                                kind,
                            });
                        }
                        b"Case" => {
                            p.cases.push(Case {
                                guid: a.need("guid")?,
                                name: a.get("name").unwrap_or_default(),
                                ..Default::default()
                            });
                            me = Open::Case(p.cases.len() - 1);
                        }
                        b"SourceRef" => {
                            if let Some(Open::Case(i)) = parent {
                                p.cases[i].sources.push(a.need("targetGUID")?);
                            }
                        }
                        b"TextSource" => {
                            p.sources.push(TextSource {
                                guid: a.need("guid")?,
                                name: a.get("name").unwrap_or_default(),
                                creating_user: a.get("creatingUser"),
                                created: a.get("creationDateTime"),
                                ..Default::default()
                            });
                            let i = p.sources.len() - 1;
                            paths.push((Owner::Source(i), a.get("plainTextPath")));
                            me = Open::Source(i);
                        }
                        b"PictureSource" | b"PDFSource" | b"AudioSource" | b"VideoSource"
                            if !empty =>
                        {
                            skip = Some(open.len());
                        }
                        b"PlainTextSelection" => {
                            let Some(Open::Source(s)) = parent else {
                                return Err(err(
                                    line,
                                    "PlainTextSelection outside a TextSource".into(),
                                ));
                            };
                            let start = a.position("startPosition")?;
                            let end = a.position("endPosition")?;
                            p.sources[s].selections.push(Selection {
                                guid: a.need("guid")?,
                                name: a.get("name"),
                                start,
                                end,
                                creating_user: a.get("creatingUser"),
                                created: a.get("creationDateTime"),
                                ..Default::default()
                            });
                            me = Open::Selection(s, p.sources[s].selections.len() - 1);
                        }
                        b"Coding" => {
                            let owner = match parent {
                                Some(o @ (Open::Source(_) | Open::Selection(..))) => o,
                                _ => Open::Other,
                            };
                            coding = Some((
                                Coding {
                                    guid: a.need("guid")?,
                                    code: String::new(),
                                    creating_user: a.get("creatingUser"),
                                    created: a.get("creationDateTime"),
                                },
                                owner,
                            ));
                            me = Open::Coding;
                        }
                        b"CodeRef" if parent == Some(Open::Coding) => {
                            if let Some((c, _)) = &mut coding {
                                c.code = a.need("targetGUID")?;
                            }
                        }
                        b"NoteRef" => {
                            let target = a.need("targetGUID")?;
                            // A note on a coding is kept with what the coding is of.
                            let owner = match parent {
                                Some(Open::Coding) => coding.as_ref().map(|c| c.1),
                                other => other,
                            };
                            match owner {
                                Some(Open::Source(s)) => p.sources[s].note_refs.push(target),
                                Some(Open::Selection(s, i)) => {
                                    p.sources[s].selections[i].note_refs.push(target)
                                }
                                _ => {}
                            }
                        }
                        b"Note" => {
                            p.notes.push(Note {
                                guid: a.need("guid")?,
                                name: a.get("name").unwrap_or_default(),
                                creating_user: a.get("creatingUser"),
                                created: a.get("creationDateTime"),
                                ..Default::default()
                            });
                            let i = p.notes.len() - 1;
                            paths.push((Owner::Note(i), a.get("plainTextPath")));
                            me = Open::Note(i);
                        }
                        b"VariableValue" => {
                            value = parent.map(|o| {
                                (
                                    o,
                                    VariableValue {
                                        variable: String::new(),
                                        kind: VariableType::Text,
                                        value: String::new(),
                                    },
                                )
                            });
                            me = Open::Value;
                        }
                        b"VariableRef" if parent == Some(Open::Value) => {
                            if let Some((_, v)) = &mut value {
                                v.variable = a.need("targetGUID")?;
                            }
                        }
                        b"Description" => capture = Capture::Description,
                        b"PlainTextContent" => capture = Capture::Content,
                        other if parent == Some(Open::Value) => {
                            if let Some(kind) = VariableType::from_value_element(other) {
                                if let Some((_, v)) = &mut value {
                                    v.kind = kind;
                                }
                                capture = Capture::Value(kind);
                            }
                        }
                        _ => {}
                    }
                }
                if empty {
                    finish(
                        &name,
                        &mut p,
                        &mut codes,
                        &mut capture,
                        &mut buf,
                        &mut coding,
                        &mut value,
                        parent,
                        me,
                    );
                } else {
                    if !matches!(capture, Capture::None) {
                        buf.clear();
                    }
                    open.push(me);
                }
            }
            Event::End(e) => {
                let me = open.pop().unwrap_or(Open::Other);
                if skip.is_some_and(|d| d == open.len()) {
                    skip = None;
                    continue;
                }
                if skip.is_some() {
                    continue;
                }
                let parent = open.last().copied();
                let name = e.local_name().as_ref().to_vec();
                finish(
                    &name,
                    &mut p,
                    &mut codes,
                    &mut capture,
                    &mut buf,
                    &mut coding,
                    &mut value,
                    parent,
                    me,
                );
            }
            Event::Text(t) if capture != Capture::None && skip.is_none() => {
                let text = t.decode().map_err(|x| err(line_of(pos), x.to_string()))?;
                let text = quick_xml::escape::unescape(&text)
                    .map_err(|x| err(line_of(pos), x.to_string()))?;
                buf.push_str(&text);
            }
            Event::CData(t) if capture != Capture::None && skip.is_none() => {
                buf.push_str(&String::from_utf8_lossy(&t));
            }
            Event::GeneralRef(r) if capture != Capture::None && skip.is_none() => {
                let entity = format!("&{};", String::from_utf8_lossy(r.as_ref()));
                let text = quick_xml::escape::unescape(&entity)
                    .map_err(|x| err(line_of(pos), format!("{entity}: {x}")))?;
                buf.push_str(&text);
            }
            _ => {}
        }
    }
    if !saw_project {
        return Err(Error::Xml {
            line: 1,
            message: "no Project element: not a REFI-QDA project".into(),
        });
    }
    p.codes = tree(codes);
    Ok((p, paths))
}

/// Closes element `name`: puts captured text and finished codings and values in place.
#[allow(clippy::too_many_arguments)]
fn finish(
    name: &[u8],
    p: &mut Project,
    codes: &mut [(Code, Option<usize>)],
    capture: &mut Capture,
    buf: &mut String,
    coding: &mut Option<(Coding, Open)>,
    value: &mut Option<(Open, VariableValue)>,
    parent: Option<Open>,
    me: Open,
) {
    let text = std::mem::take(buf);
    match name {
        b"Description" => {
            *capture = Capture::None;
            match parent {
                Some(Open::Code(i)) => codes[i].0.description = text,
                Some(Open::Source(i)) => p.sources[i].description = text,
                Some(Open::Selection(s, i)) => p.sources[s].selections[i].description = text,
                Some(Open::Note(i)) => p.notes[i].description = text,
                _ => {}
            }
        }
        b"PlainTextContent" => {
            *capture = Capture::None;
            match parent {
                Some(Open::Source(i)) => p.sources[i].text = Some(text),
                Some(Open::Note(i)) => p.notes[i].text = text,
                _ => {}
            }
        }
        _ if matches!(capture, Capture::Value(_)) && parent == Some(Open::Value) => {
            *capture = Capture::None;
            if let Some((_, v)) = value {
                v.value = text.trim().to_string();
            }
        }
        b"Coding" if me == Open::Coding => {
            if let Some((c, owner)) = coding.take() {
                match owner {
                    Open::Source(s) => p.sources[s].codings.push(c),
                    Open::Selection(s, i) => p.sources[s].selections[i].codings.push(c),
                    _ => {}
                }
            }
        }
        b"VariableValue" if me == Open::Value => {
            if let Some((owner, v)) = value.take() {
                match owner {
                    Open::Case(i) => p.cases[i].values.push(v),
                    Open::Source(i) => p.sources[i].values.push(v),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Builds the code tree from the flat list (children come after their parent), without
/// recursion.
fn tree(mut codes: Vec<(Code, Option<usize>)>) -> Vec<Code> {
    let mut roots = Vec::new();
    for i in (0..codes.len()).rev() {
        let (mut c, parent) = std::mem::take(&mut codes[i]);
        c.children.reverse();
        match parent {
            Some(pi) if pi < i => codes[pi].0.children.push(c),
            _ => roots.push(c),
        }
    }
    roots.reverse();
    roots
}

/// An element's attributes, decoded, with its name for errors.
struct Attrs {
    el: String,
    line: usize,
    list: Vec<(String, String)>,
    namespaces: Vec<String>,
}

impl Attrs {
    fn read(e: &BytesStart<'_>, el: &str, line: usize) -> Result<Attrs> {
        let mut list = Vec::new();
        let mut namespaces = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|x| Error::Xml {
                line,
                message: format!("{el}: bad attribute: {x}"),
            })?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|x| Error::Xml {
                    line,
                    message: format!("{el}: attribute {key}: {x}"),
                })?
                .into_owned();
            if key == "xmlns" || key.starts_with("xmlns:") {
                namespaces.push(v.clone());
            }
            let local = key.rsplit(':').next().unwrap_or(&key).to_string();
            list.push((local, v));
        }
        Ok(Attrs {
            el: el.to_string(),
            line,
            list,
            namespaces,
        })
    }

    fn get(&self, name: &str) -> Option<String> {
        self.list
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    fn need(&self, name: &str) -> Result<String> {
        match self.get(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(Error::Xml {
                line: self.line,
                message: format!("{}: missing attribute {name}", self.el),
            }),
        }
    }

    fn position(&self, name: &str) -> Result<usize> {
        let v = self.need(name)?;
        v.trim().parse().map_err(|_| Error::Xml {
            line: self.line,
            message: format!(
                "{}: attribute {name}: '{v}' is not a character position (0 or more)",
                self.el
            ),
        })
    }
}
