//! REFI-QDA codebook exchange (`.qdc`, namespace `urn:QDA-XML:codebook:1.0`), so a codebook
//! moves between Codebench, ATLAS.ti, MAXQDA, NVivo and QualCoder.
//!
//! Each dimension is written as a top-level, non-codable code holding its codes; sub-codes nest
//! under their parent. REFI-QDA has only a name and a description per code, so the include,
//! exclude and example notes go into the description as labelled paragraphs, and a last line
//! `[codebench …]` keeps ids, units and cardinality: a file Codebench wrote re-imports to the
//! same codebook. A file from another tool imports with ids made from the names.

use std::collections::{HashMap, HashSet};

use quick_xml::events::Event;
use quick_xml::Reader;
use sha2::{Digest, Sha256};

use crate::codebook::{Cardinality, Code, CodeStatus, Codebook, Dimension, UnitKind};
use crate::{Error, Result};

/// The REFI-QDA codebook namespace.
pub const NAMESPACE: &str = "urn:QDA-XML:codebook:1.0";

/// Writes a codebook as a REFI-QDA `.qdc` document.
pub fn to_qdc(book: &Codebook) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!(
        "<CodeBook xmlns=\"{NAMESPACE}\" origin=\"Codebench {}\">\n  <Codes>\n",
        env!("CARGO_PKG_VERSION")
    ));
    for d in &book.dimensions {
        let tag = format!(
            "[codebench codebook={} version={} dimension={} unit={} cardinality={}]",
            book.id,
            book.version,
            d.id,
            d.unit.as_str(),
            d.cardinality.as_str()
        );
        let desc = join_paragraphs(&[d.description.clone(), tag]);
        out.push_str(&format!(
            "    <Code guid=\"{}\" name=\"{}\" isCodable=\"false\">\n      <Description>{}</Description>\n",
            guid(&format!("{}/{}", book.id, d.id)),
            esc(&d.name),
            esc(&desc)
        ));
        for c in d.codes.iter().filter(|c| c.parent.is_none()) {
            write_code(&mut out, book, d, c, 3);
        }
        out.push_str("    </Code>\n");
    }
    out.push_str("  </Codes>\n</CodeBook>\n");
    out
}

fn write_code(out: &mut String, book: &Codebook, d: &Dimension, c: &Code, depth: usize) {
    let pad = "  ".repeat(depth);
    let mut tag = format!("[codebench id={}", c.id);
    if c.status != CodeStatus::Active {
        tag.push_str(&format!(" status={}", c.status.as_str()));
    }
    if let Some(g) = &c.group {
        tag.push_str(&format!(" group={g}"));
    }
    if !c.aliases.is_empty() {
        tag.push_str(&format!(
            " aliases={}",
            serde_json::to_string(&c.aliases).unwrap_or_default()
        ));
    }
    tag.push(']');
    let desc = join_paragraphs(&[
        c.definition.clone(),
        labelled("Include", &c.include),
        labelled("Exclude", &c.exclude),
        labelled("Example", &c.example),
        tag,
    ]);
    out.push_str(&format!(
        "{pad}<Code guid=\"{}\" name=\"{}\" isCodable=\"true\">\n{pad}  <Description>{}</Description>\n",
        guid(&format!("{}/{}/{}", book.id, d.id, c.id)),
        esc(&c.name),
        esc(&desc)
    ));
    for child in d
        .codes
        .iter()
        .filter(|x| x.parent.as_deref() == Some(c.id.as_str()))
    {
        write_code(out, book, d, child, depth + 1);
    }
    out.push_str(&format!("{pad}</Code>\n"));
}

pub(crate) fn labelled(label: &str, text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{label}: {text}")
    }
}

pub(crate) fn join_paragraphs(parts: &[String]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// A stable GUID (RFC 4122 layout, version 5 style) for a codebook path.
pub(crate) fn guid(key: &str) -> String {
    let h = Sha256::digest(format!("codebench:{key}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A code read from the XML, before it becomes a codebook entry. Codes are kept flat, in
/// document order, each naming its parent: no recursion reads or builds a deep file.
#[derive(Debug, Default)]
struct Node {
    name: String,
    codable: bool,
    description: String,
    parent: Option<usize>,
    has_children: bool,
    line: usize,
}

/// Deepest nesting of codes accepted (a dimension, its codes, their sub-codes...).
const MAX_DEPTH: usize = 64;

/// Reads a REFI-QDA `.qdc` document into a validated codebook; `source` names it in errors.
/// One pass, iterative, linear in the size of the file.
pub fn from_qdc(xml: &str, source: &str) -> Result<Codebook> {
    let err = |line: usize, message: String| Error::Codebook {
        source_name: source.to_string(),
        message: format!("line {line}: {message}"),
    };
    // Lines are counted as the reader moves on (positions only grow).
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
    let mut nodes: Vec<Node> = Vec::new();
    // The open Code elements, innermost last.
    let mut open: Vec<usize> = Vec::new();
    let mut in_description = false;
    let mut saw_codebook = false;
    loop {
        let pos = reader.buffer_position();
        match reader.read_event() {
            Err(e) => {
                let at = reader.error_position();
                return Err(err(line_of(at), format!("not well-formed XML: {e}")));
            }
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == b"CodeBook" => {
                saw_codebook = true;
                let ns = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == b"xmlns")
                    .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                if ns.as_deref() != Some(NAMESPACE) {
                    return Err(err(
                        line_of(pos),
                        format!("CodeBook is not in namespace {NAMESPACE}"),
                    ));
                }
            }
            Ok(ev @ (Event::Start(_) | Event::Empty(_))) => {
                let (e, empty) = match &ev {
                    Event::Start(e) => (e, false),
                    Event::Empty(e) => (e, true),
                    _ => continue,
                };
                match e.local_name().as_ref() {
                    b"Code" => {
                        let line = line_of(pos);
                        if open.len() >= MAX_DEPTH {
                            return Err(err(
                                line,
                                format!("codes nested deeper than {MAX_DEPTH} levels"),
                            ));
                        }
                        let mut node = Node {
                            codable: true,
                            line,
                            parent: open.last().copied(),
                            ..Default::default()
                        };
                        for a in e.attributes() {
                            let a = a.map_err(|x| err(line, format!("bad attribute: {x}")))?;
                            let v = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map_err(|x| err(line, x.to_string()))?
                                .into_owned();
                            match a.key.as_ref() {
                                b"name" => node.name = v,
                                b"isCodable" => node.codable = v != "false",
                                _ => {}
                            }
                        }
                        if node.name.trim().is_empty() {
                            return Err(err(node.line, "a Code has no name".into()));
                        }
                        if let Some(p) = node.parent.and_then(|p| nodes.get_mut(p)) {
                            p.has_children = true;
                        }
                        nodes.push(node);
                        if !empty {
                            open.push(nodes.len() - 1);
                        }
                    }
                    b"Description" if !empty => in_description = true,
                    _ => {}
                }
            }
            Ok(Event::Text(t)) if in_description => {
                let text = t.decode().map_err(|x| err(line_of(pos), x.to_string()))?;
                let text = quick_xml::escape::unescape(&text)
                    .map_err(|x| err(line_of(pos), x.to_string()))?;
                if let Some(n) = open.last().and_then(|i| nodes.get_mut(*i)) {
                    n.description.push_str(&text);
                }
            }
            Ok(Event::GeneralRef(r)) if in_description => {
                let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                let entity = format!("&{name};");
                let text = quick_xml::escape::unescape(&entity)
                    .map_err(|x| err(line_of(pos), x.to_string()))?;
                if let Some(n) = open.last().and_then(|i| nodes.get_mut(*i)) {
                    n.description.push_str(&text);
                }
            }
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                b"Description" => in_description = false,
                b"Code" if open.pop().is_none() => {
                    return Err(err(line_of(pos), "unbalanced Code".into()));
                }
                _ => {}
            },
            Ok(_) => {}
        }
    }
    if !saw_codebook {
        return Err(err(
            1,
            "no CodeBook element: not a REFI-QDA codebook".into(),
        ));
    }
    build(&nodes, source)
}

/// Splits a description into its free text and the `[codebench …]` tag's fields.
fn untag(description: &str) -> (String, HashMap<String, String>) {
    let mut fields = HashMap::new();
    let mut text = description.trim().to_string();
    if let Some(start) = text.rfind("[codebench ") {
        if text.ends_with(']') {
            let inner = &text[start + "[codebench ".len()..text.len() - 1];
            let mut rest = inner;
            while let Some((k, after)) = rest.split_once('=') {
                let k = k.trim().to_string();
                let (v, next) = if after.starts_with('[') {
                    let end = after.find(']').map(|i| i + 1).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                } else {
                    match after.find(' ') {
                        Some(i) => (&after[..i], &after[i..]),
                        None => (after, ""),
                    }
                };
                fields.insert(k, v.to_string());
                rest = next.trim_start();
            }
            text = text[..start].trim_end().to_string();
        }
    }
    (text, fields)
}

/// Splits a code description into definition and the labelled notes.
fn notes(text: &str) -> (String, String, String, String) {
    let (mut def, mut inc, mut exc, mut ex) =
        (Vec::new(), String::new(), String::new(), String::new());
    for para in text.split("\n\n") {
        if let Some(v) = para.strip_prefix("Include: ") {
            inc = v.to_string();
        } else if let Some(v) = para.strip_prefix("Exclude: ") {
            exc = v.to_string();
        } else if let Some(v) = para.strip_prefix("Example: ") {
            ex = v.to_string();
        } else if !para.trim().is_empty() {
            def.push(para.to_string());
        }
    }
    (def.join("\n\n"), inc, exc, ex)
}

fn build(nodes: &[Node], source: &str) -> Result<Codebook> {
    let mut book_id = None;
    let mut version = None;
    let mut dims: Vec<Dimension> = Vec::new();
    let mut dim_ids: HashSet<String> = HashSet::new();
    // Each node's top-level ancestor, and the dimension it went into (document order means a
    // parent always comes before its children).
    let mut top: Vec<usize> = Vec::with_capacity(nodes.len());
    let mut dim_of_top: HashMap<usize, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        let t = match n.parent {
            None => i,
            Some(p) => top.get(p).copied().unwrap_or(i),
        };
        top.push(t);
        if n.parent.is_some() {
            continue;
        }
        let (text, f) = untag(&n.description);
        let is_dimension = f.contains_key("dimension") || (!n.codable && n.has_children);
        if !is_dimension {
            continue;
        }
        book_id = book_id.or(f.get("codebook").cloned());
        version = version.or(f.get("version").cloned());
        let id = match f.get("dimension") {
            Some(id) if dim_ids.insert(id.clone()) => id.clone(),
            _ => crate::codebook::slug(&n.name, &mut dim_ids),
        };
        let unit = if f.get("unit").map(String::as_str) == Some("dockerfile") {
            UnitKind::Dockerfile
        } else {
            UnitKind::Project
        };
        let cardinality = if f.get("cardinality").map(String::as_str) == Some("one") {
            Cardinality::One
        } else {
            Cardinality::Many
        };
        dim_of_top.insert(i, dims.len());
        dims.push(Dimension {
            id,
            name: n.name.clone(),
            unit,
            cardinality,
            description: text,
            codes: Vec::new(),
        });
    }
    // Top-level codes that are not dimensions (foreign files) are gathered in one dimension.
    let loose = nodes
        .iter()
        .enumerate()
        .any(|(i, n)| n.parent.is_none() && !dim_of_top.contains_key(&i));
    let loose_dim = if loose {
        let id = crate::codebook::slug("codes", &mut dim_ids);
        dims.push(Dimension {
            id,
            name: "Codes".into(),
            unit: UnitKind::Project,
            cardinality: Cardinality::Many,
            description: format!("Codes imported from {source}"),
            codes: Vec::new(),
        });
        Some(dims.len() - 1)
    } else {
        None
    };
    let mut slugs: Vec<crate::codebook::Slugs> =
        (0..dims.len()).map(|_| Default::default()).collect();
    let mut code_id: Vec<Option<String>> = vec![None; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let t = top[i];
        let (d, parent) = match dim_of_top.get(&t) {
            // A dimension itself is not a code; its children are its codes.
            Some(_) if t == i => continue,
            Some(&d) => (d, n.parent.filter(|p| *p != t)),
            None => match loose_dim {
                Some(d) => (d, n.parent),
                None => continue,
            },
        };
        let (text, f) = untag(&n.description);
        let (Some(dim), Some(sl)) = (dims.get_mut(d), slugs.get_mut(d)) else {
            continue;
        };
        let id = match f.get("id") {
            Some(id) if sl.claim(id) => id.clone(),
            _ => sl.make(&n.name),
        };
        let (definition, include, exclude, example) = notes(&text);
        dim.codes.push(Code {
            id: id.clone(),
            name: n.name.clone(),
            definition,
            include,
            exclude,
            example,
            aliases: f
                .get("aliases")
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default(),
            group: f.get("group").cloned(),
            parent: parent.and_then(|p| code_id.get(p).cloned().flatten()),
            status: match f.get("status").map(String::as_str) {
                Some("proposed") => CodeStatus::Proposed,
                Some("retired") => CodeStatus::Retired,
                _ => CodeStatus::Active,
            },
        });
        code_id[i] = Some(id);
    }
    let book = Codebook {
        id: book_id.unwrap_or_else(|| "imported".into()),
        name: source.rsplit('/').next().unwrap_or(source).to_string(),
        version: version.unwrap_or_else(|| "1".into()),
        description: format!("Imported from the REFI-QDA codebook {source}"),
        source: String::new(),
        dimensions: dims,
        schema: None,
    };
    book.validate().map_err(|message| Error::Codebook {
        source_name: source.to_string(),
        message,
    })?;
    Ok(book)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deeply_nested_file_is_refused_without_overflowing_the_stack() {
        let depth = 200_000;
        let mut xml = format!("<?xml version=\"1.0\"?><CodeBook xmlns=\"{NAMESPACE}\"><Codes>");
        xml.push_str(&"<Code name=\"x\">".repeat(depth));
        xml.push_str(&"</Code>".repeat(depth));
        xml.push_str("</Codes></CodeBook>");
        let e = from_qdc(&xml, "deep.qdc").unwrap_err().to_string();
        assert!(e.contains("nested deeper than 64 levels"), "{e}");
    }

    #[test]
    fn many_codes_of_one_name_are_refused_in_one_pass() {
        let n = 20_000;
        let mut xml = format!("<?xml version=\"1.0\"?><CodeBook xmlns=\"{NAMESPACE}\"><Codes><Code name=\"Dim\" isCodable=\"false\">");
        for _ in 0..n {
            xml.push_str("<Code name=\"Same\"/>");
        }
        xml.push_str("</Code></Codes></CodeBook>");
        // Ids are made in one pass (each name remembers its next number), then the codebook's
        // rule refuses two codes of one name, naming them.
        let e = from_qdc(&xml, "same.qdc").unwrap_err().to_string();
        assert!(
            e.contains("label 'Same' of code 'same-2' is also a label of code 'same'"),
            "{e}"
        );
    }

    #[test]
    fn shipped_codebook_round_trips_through_qdc() {
        let book = Codebook::shipped();
        let xml = to_qdc(&book);
        assert!(xml.contains("xmlns=\"urn:QDA-XML:codebook:1.0\""));
        let again = from_qdc(&xml, "ml-docker-2022.qdc").unwrap();
        assert_eq!(again.dimensions, book.dimensions);
        assert_eq!(
            (again.id.as_str(), again.version.as_str()),
            (book.id.as_str(), book.version.as_str())
        );
    }

    #[test]
    fn foreign_codebook_imports_with_slug_ids() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti">
  <Codes>
    <Code guid="a" name="Emotions" isCodable="false">
      <Code guid="b" name="Joy &amp; delight" isCodable="true"><Description>Happy &lt;things&gt;</Description>
        <Code guid="c" name="Relief" isCodable="true"/>
      </Code>
    </Code>
    <Code guid="d" name="Loose code" isCodable="true"/>
  </Codes>
</CodeBook>"#;
        let book = from_qdc(xml, "atlas.qdc").unwrap();
        assert_eq!(book.dimensions.len(), 2);
        let emo = &book.dimensions[0];
        assert_eq!(emo.id, "emotions");
        assert_eq!(emo.codes[0].id, "joy-delight");
        assert_eq!(emo.codes[0].definition, "Happy <things>");
        assert_eq!(emo.codes[1].parent.as_deref(), Some("joy-delight"));
        assert_eq!(book.dimensions[1].codes[0].name, "Loose code");
    }

    #[test]
    fn malformed_qdc_names_the_line() {
        let e = from_qdc("<?xml version=\"1.0\"?>\n<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\">\n<Codes>\n<Code name=\"x\">\n</Codes>", "bad.qdc")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.qdc") && e.contains("line"), "{e}");
        let e = from_qdc("<CodeBook xmlns=\"urn:other\"/>", "x.qdc")
            .unwrap_err()
            .to_string();
        assert!(e.contains("namespace"), "{e}");
    }
}
