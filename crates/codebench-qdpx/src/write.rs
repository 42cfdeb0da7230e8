//! Writing a [`Project`] as a `.qdpx` zip: `project.qde` in the schema's element order, and
//! each text source's text in `sources/<guid>.txt` (referred to as `internal://<guid>.txt`).

use std::collections::HashSet;
use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::{
    is_guid, Code, Coding, Error, Project, Result, Selection, TextSource, VariableType,
    VariableValue, NAMESPACE, PROJECT_ENTRY, SOURCES_FOLDER,
};

/// The bytes of a `.qdpx` file holding `project`. Refuses (naming the item) a model the schema
/// or the format would reject: a malformed or repeated GUID, a reference to nothing, a
/// selection outside its text, a value that is not of its variable's type. The zip's entries
/// carry a fixed time, so the same project gives the same bytes.
pub fn write(project: &Project) -> Result<Vec<u8>> {
    check(project)?;
    let xml = project_xml(project);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let zerr = |entry: &str, e: zip::result::ZipError| Error::Entry {
        entry: entry.to_string(),
        message: e.to_string(),
    };
    let ioerr = |entry: &str, e: std::io::Error| Error::Entry {
        entry: entry.to_string(),
        message: e.to_string(),
    };
    zip.start_file(PROJECT_ENTRY, opts)
        .map_err(|e| zerr(PROJECT_ENTRY, e))?;
    zip.write_all(xml.as_bytes())
        .map_err(|e| ioerr(PROJECT_ENTRY, e))?;
    for s in &project.sources {
        let name = format!("{SOURCES_FOLDER}{}.txt", s.guid);
        zip.start_file(name.as_str(), opts)
            .map_err(|e| zerr(&name, e))?;
        zip.write_all(s.text.as_deref().unwrap_or("").as_bytes())
            .map_err(|e| ioerr(&name, e))?;
    }
    let out = zip.finish().map_err(|e| zerr("(central directory)", e))?;
    Ok(out.into_inner())
}

/// Checks what the schema and the references need before anything is written.
fn check(p: &Project) -> Result<()> {
    let bad = |m: String| Err(Error::Invalid(m));
    if p.name.trim().is_empty() {
        return bad("the project has no name".into());
    }
    let mut guids = HashSet::new();
    let mut unique = |what: &str, name: &str, g: &str| -> Result<()> {
        if !is_guid(g) {
            return Err(Error::Invalid(format!(
                "{what} '{name}': '{g}' is not a GUID"
            )));
        }
        if !guids.insert(g.to_ascii_lowercase()) {
            return Err(Error::Invalid(format!(
                "{what} '{name}': GUID {g} is used twice"
            )));
        }
        Ok(())
    };
    for u in &p.users {
        unique("user", &u.name, &u.guid)?;
    }
    let mut codes = Vec::new();
    let mut stack: Vec<&Code> = p.codes.iter().collect();
    while let Some(c) = stack.pop() {
        if c.name.trim().is_empty() {
            return bad(format!("code {} has no name", c.guid));
        }
        if let Some(col) = &c.color {
            let hex = col.strip_prefix('#').unwrap_or("");
            if !(hex.len() == 6 || hex.len() == 3) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return bad(format!("code '{}': color '{col}' is not #rrggbb", c.name));
            }
        }
        unique("code", &c.name, &c.guid)?;
        codes.push(c.guid.as_str());
        stack.extend(c.children.iter());
    }
    for v in &p.variables {
        unique("variable", &v.name, &v.guid)?;
    }
    for c in &p.cases {
        unique("case", &c.name, &c.guid)?;
    }
    for s in &p.sources {
        unique("source", &s.name, &s.guid)?;
        for sel in &s.selections {
            unique("selection", &s.name, &sel.guid)?;
            for c in &sel.codings {
                unique("coding", &s.name, &c.guid)?;
            }
        }
        for c in &s.codings {
            unique("coding", &s.name, &c.guid)?;
        }
    }
    for n in &p.notes {
        unique("note", &n.name, &n.guid)?;
    }
    fn has<'a>(mut list: impl Iterator<Item = &'a str>, g: &str) -> bool {
        list.any(|x| x == g)
    }
    let user_ok = |u: &Option<String>| {
        u.as_deref()
            .is_none_or(|u| has(p.users.iter().map(|x| x.guid.as_str()), u))
    };
    let coding_ok = |src: &str, c: &Coding| -> Result<()> {
        if !codes.contains(&c.code.as_str()) {
            return bad(format!(
                "a coding of '{src}' refers to no code ({})",
                c.code
            ));
        }
        if !user_ok(&c.creating_user) {
            return bad(format!("a coding of '{src}' refers to no user"));
        }
        Ok(())
    };
    let note_ok = |src: &str, n: &str| -> Result<()> {
        if !has(p.notes.iter().map(|x| x.guid.as_str()), n) {
            return bad(format!("'{src}' refers to no note ({n})"));
        }
        Ok(())
    };
    let values_ok = |owner: &str, vs: &[VariableValue]| -> Result<()> {
        for v in vs {
            let Some(var) = p.variables.iter().find(|x| x.guid == v.variable) else {
                return bad(format!(
                    "'{owner}' has a value of no variable ({})",
                    v.variable
                ));
            };
            if var.kind != v.kind || !value_fits(v.kind, &v.value) {
                return bad(format!(
                    "'{owner}': '{}' is not a {} value of variable '{}'",
                    v.value,
                    var.kind.as_str(),
                    var.name
                ));
            }
        }
        Ok(())
    };
    for s in &p.sources {
        let Some(text) = &s.text else {
            return bad(format!("source '{}' has no text", s.name));
        };
        let len = text.chars().count();
        if !user_ok(&s.creating_user) {
            return bad(format!("source '{}' refers to no user", s.name));
        }
        for sel in &s.selections {
            if sel.start > sel.end || sel.end > len {
                return bad(format!(
                    "a selection of '{}' ({}..{}) is outside its {len} characters",
                    s.name, sel.start, sel.end
                ));
            }
            if !user_ok(&sel.creating_user) {
                return bad(format!("a selection of '{}' refers to no user", s.name));
            }
            for c in &sel.codings {
                coding_ok(&s.name, c)?;
            }
            for n in &sel.note_refs {
                note_ok(&s.name, n)?;
            }
        }
        for c in &s.codings {
            coding_ok(&s.name, c)?;
        }
        for n in &s.note_refs {
            note_ok(&s.name, n)?;
        }
        values_ok(&s.name, &s.values)?;
    }
    for c in &p.cases {
        values_ok(&c.name, &c.values)?;
        for s in &c.sources {
            if !has(p.sources.iter().map(|x| x.guid.as_str()), s) {
                return bad(format!("case '{}' refers to no source ({s})", c.name));
            }
        }
    }
    for n in &p.notes {
        if !user_ok(&n.creating_user) {
            return bad(format!("note '{}' refers to no user", n.name));
        }
    }
    Ok(())
}

/// Whether `v` is a lexical value of the schema type of `kind`.
fn value_fits(kind: VariableType, v: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let signed = |s: &str| digits(s.strip_prefix(['-', '+']).unwrap_or(s));
    match kind {
        VariableType::Text => true,
        VariableType::Boolean => matches!(v, "true" | "false" | "1" | "0"),
        VariableType::Integer => signed(v),
        VariableType::Float => {
            let body = v.strip_prefix(['-', '+']).unwrap_or(v);
            let (a, b) = body.split_once('.').unwrap_or((body, ""));
            (digits(a) || digits(b)) && a.bytes().chain(b.bytes()).all(|x| x.is_ascii_digit())
        }
        VariableType::Date => is_date(v),
        VariableType::DateTime => v.split_once('T').is_some_and(|(d, t)| {
            is_date(d) && t.len() >= 8 && t.as_bytes()[2] == b':' && t.as_bytes()[5] == b':'
        }),
    }
}

fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Text content escaped so that every character survives an XML parser (a carriage return
/// would otherwise be folded into the line feed after it).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value escaped (quotes, and the whitespace a parser would fold into spaces).
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push_str(&text(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

/// ` name="value"` for each given attribute.
fn attrs(list: &[(&str, Option<&str>)]) -> String {
    list.iter()
        .filter_map(|(k, v)| v.map(|v| format!(" {k}=\"{}\"", attr(v))))
        .collect()
}

fn project_xml(p: &Project) -> String {
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    o.push_str(&format!(
        "<Project xmlns=\"{NAMESPACE}\"{}>\n",
        attrs(&[
            ("name", Some(&p.name)),
            (
                "origin",
                Some(&p.origin)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.as_str())
            ),
            ("creationDateTime", p.created.as_deref()),
        ])
    ));
    if !p.users.is_empty() {
        o.push_str("  <Users>\n");
        for u in &p.users {
            o.push_str(&format!(
                "    <User{}/>\n",
                attrs(&[("guid", Some(&u.guid)), ("name", Some(&u.name))])
            ));
        }
        o.push_str("  </Users>\n");
    }
    if !p.codes.is_empty() {
        o.push_str("  <CodeBook>\n    <Codes>\n");
        for c in &p.codes {
            code_xml(&mut o, c, 3);
        }
        o.push_str("    </Codes>\n  </CodeBook>\n");
    }
    if !p.variables.is_empty() {
        o.push_str("  <Variables>\n");
        for v in &p.variables {
            o.push_str(&format!(
                "    <Variable{}/>\n",
                attrs(&[
                    ("guid", Some(&v.guid)),
                    ("name", Some(&v.name)),
                    ("typeOfVariable", Some(v.kind.as_str())),
                ])
            ));
        }
        o.push_str("  </Variables>\n");
    }
    if !p.cases.is_empty() {
        o.push_str("  <Cases>\n");
        for c in &p.cases {
            o.push_str(&format!(
                "    <Case{}>\n",
                attrs(&[("guid", Some(&c.guid)), ("name", Some(&c.name))])
            ));
            values_xml(&mut o, &c.values, 6);
            for s in &c.sources {
                o.push_str(&format!("      <SourceRef targetGUID=\"{}\"/>\n", attr(s)));
            }
            o.push_str("    </Case>\n");
        }
        o.push_str("  </Cases>\n");
    }
    if !p.sources.is_empty() {
        o.push_str("  <Sources>\n");
        for s in &p.sources {
            source_xml(&mut o, s);
        }
        o.push_str("  </Sources>\n");
    }
    if !p.notes.is_empty() {
        o.push_str("  <Notes>\n");
        for n in &p.notes {
            o.push_str(&format!(
                "    <Note{}>\n",
                attrs(&[
                    ("guid", Some(&n.guid)),
                    ("name", Some(&n.name)),
                    ("creatingUser", n.creating_user.as_deref()),
                    ("creationDateTime", n.created.as_deref()),
                ])
            ));
            if !n.description.is_empty() {
                o.push_str(&format!(
                    "      <Description>{}</Description>\n",
                    text(&n.description)
                ));
            }
            o.push_str(&format!(
                "      <PlainTextContent>{}</PlainTextContent>\n    </Note>\n",
                text(&n.text)
            ));
        }
        o.push_str("  </Notes>\n");
    }
    o.push_str("</Project>\n");
    o
}

fn code_xml(o: &mut String, c: &Code, depth: usize) {
    let pad = "  ".repeat(depth);
    let head = attrs(&[
        ("guid", Some(&c.guid)),
        ("name", Some(&c.name)),
        (
            "isCodable",
            Some(if c.is_codable { "true" } else { "false" }),
        ),
        ("color", c.color.as_deref()),
    ]);
    if c.description.is_empty() && c.children.is_empty() {
        o.push_str(&format!("{pad}<Code{head}/>\n"));
        return;
    }
    o.push_str(&format!("{pad}<Code{head}>\n"));
    if !c.description.is_empty() {
        o.push_str(&format!(
            "{pad}  <Description>{}</Description>\n",
            text(&c.description)
        ));
    }
    for child in &c.children {
        code_xml(o, child, depth + 1);
    }
    o.push_str(&format!("{pad}</Code>\n"));
}

fn values_xml(o: &mut String, values: &[VariableValue], depth: usize) {
    let pad = " ".repeat(depth);
    for v in values {
        let el = v.kind.value_element();
        o.push_str(&format!(
            "{pad}<VariableValue>\n{pad}  <VariableRef targetGUID=\"{}\"/>\n{pad}  <{el}>{}</{el}>\n{pad}</VariableValue>\n",
            attr(&v.variable),
            text(&v.value)
        ));
    }
}

fn coding_xml(o: &mut String, c: &Coding, pad: &str) {
    o.push_str(&format!(
        "{pad}<Coding{}>\n{pad}  <CodeRef targetGUID=\"{}\"/>\n{pad}</Coding>\n",
        attrs(&[
            ("guid", Some(&c.guid)),
            ("creatingUser", c.creating_user.as_deref()),
            ("creationDateTime", c.created.as_deref()),
        ]),
        attr(&c.code)
    ));
}

fn selection_xml(o: &mut String, s: &Selection) {
    let (start, end) = (s.start.to_string(), s.end.to_string());
    o.push_str(&format!(
        "      <PlainTextSelection{}>\n",
        attrs(&[
            ("guid", Some(&s.guid)),
            ("name", s.name.as_deref()),
            ("startPosition", Some(&start)),
            ("endPosition", Some(&end)),
            ("creatingUser", s.creating_user.as_deref()),
            ("creationDateTime", s.created.as_deref()),
        ])
    ));
    if !s.description.is_empty() {
        o.push_str(&format!(
            "        <Description>{}</Description>\n",
            text(&s.description)
        ));
    }
    for c in &s.codings {
        coding_xml(o, c, "        ");
    }
    for n in &s.note_refs {
        o.push_str(&format!("        <NoteRef targetGUID=\"{}\"/>\n", attr(n)));
    }
    o.push_str("      </PlainTextSelection>\n");
}

fn source_xml(o: &mut String, s: &TextSource) {
    let path = format!("internal://{}.txt", s.guid);
    o.push_str(&format!(
        "    <TextSource{}>\n",
        attrs(&[
            ("guid", Some(&s.guid)),
            ("name", Some(&s.name)),
            ("plainTextPath", Some(&path)),
            ("creatingUser", s.creating_user.as_deref()),
            ("creationDateTime", s.created.as_deref()),
        ])
    ));
    if !s.description.is_empty() {
        o.push_str(&format!(
            "      <Description>{}</Description>\n",
            text(&s.description)
        ));
    }
    for sel in &s.selections {
        selection_xml(o, sel);
    }
    for c in &s.codings {
        coding_xml(o, c, "      ");
    }
    for n in &s.note_refs {
        o.push_str(&format!("      <NoteRef targetGUID=\"{}\"/>\n", attr(n)));
    }
    values_xml(o, &s.values, 6);
    o.push_str("    </TextSource>\n");
}
