//! The codebook's tests: the shipped codebook is the study design and round-trips as JSON,
//! faults (duplicate ids, unknown parents, cycles, empty names, malformed JSON, unknown fields)
//! are named, and labels resolve by id, name or alias.

use super::*;

fn small() -> serde_json::Value {
    serde_json::json!({
        "id": "t", "name": "T", "version": "1",
        "dimensions": [{
            "id": "kind", "name": "Kind", "unit": "project", "cardinality": "one",
            "codes": [
                {"id": "a", "name": "A"},
                {"id": "b", "name": "B", "parent": "a", "aliases": ["bee"]}
            ]
        }]
    })
}

fn load_value(v: &serde_json::Value) -> Result<Codebook> {
    Codebook::from_json(&v.to_string(), "test.json")
}

#[test]
fn shipped_codebook_is_the_study_design() {
    let book = Codebook::shipped();
    let kind = book.dimension("kind").unwrap();
    assert_eq!(kind.unit, UnitKind::Project);
    assert_eq!(kind.cardinality, Cardinality::One);
    assert_eq!(kind.codes.len(), 6);
    let purpose = book.dimension("purpose").unwrap();
    assert_eq!(purpose.unit, UnitKind::Dockerfile);
    assert_eq!(purpose.cardinality, Cardinality::Many);
    assert_eq!(
        purpose.codes.iter().filter(|c| c.parent.is_none()).count(),
        21
    );
    for parent in ["model-management", "data-management"] {
        assert_eq!(
            purpose
                .codes
                .iter()
                .filter(|c| c.parent.as_deref() == Some(parent))
                .count(),
            6,
            "{parent}"
        );
    }
    for d in &book.dimensions {
        for c in &d.codes {
            assert!(
                !c.definition.is_empty()
                    && !c.include.is_empty()
                    && !c.exclude.is_empty()
                    && !c.example.is_empty(),
                "{}",
                c.id
            );
        }
    }
    // The raw labels of the reference CSV resolve through aliases.
    assert_eq!(kind.resolve("DL framwork").unwrap().id, "dl-framework");
    assert_eq!(
        kind.resolve("tutorials/ documentation").unwrap().id,
        "documentation-tutorials"
    );
}

#[test]
fn json_round_trip() {
    let book = Codebook::shipped();
    let again = Codebook::from_json(&book.to_json(), "again").unwrap();
    assert_eq!(book, again);
}

#[test]
fn duplicate_ids_are_named() {
    let mut v = small();
    v["dimensions"][0]["codes"][1]["id"] = "a".into();
    v["dimensions"][0]["codes"][1]["parent"] = serde_json::Value::Null;
    let e = load_value(&v).unwrap_err().to_string();
    assert!(e.contains("code 'a' appears twice"), "{e}");
}

#[test]
fn unknown_parent_is_named() {
    let mut v = small();
    v["dimensions"][0]["codes"][1]["parent"] = "zz".into();
    let e = load_value(&v).unwrap_err().to_string();
    assert!(
        e.contains("code 'b'") && e.contains("unknown parent 'zz'"),
        "{e}"
    );
}

#[test]
fn cycles_are_named() {
    let mut v = small();
    v["dimensions"][0]["codes"][0]["parent"] = "b".into();
    let e = load_value(&v).unwrap_err().to_string();
    assert!(e.contains("cycle"), "{e}");
}

#[test]
fn empty_names_are_named() {
    let mut v = small();
    v["dimensions"][0]["codes"][0]["name"] = " ".into();
    let e = load_value(&v).unwrap_err().to_string();
    assert!(e.contains("code 'a'") && e.contains("empty name"), "{e}");
}

#[test]
fn malformed_json_names_line_and_column() {
    let e = Codebook::from_json("{\n  \"id\": \"x\",\n  oops\n}", "bad.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.json") && e.contains("line 3"), "{e}");
}

#[test]
fn unknown_fields_are_refused() {
    let mut v = small();
    v["dimensions"][0]["codes"][0]["colour"] = "red".into();
    let e = load_value(&v).unwrap_err().to_string();
    assert!(e.contains("colour"), "{e}");
}

#[test]
fn resolve_by_id_name_alias() {
    let book = load_value(&small()).unwrap();
    let d = book.dimension("kind").unwrap();
    assert_eq!(d.resolve("b").unwrap().id, "b");
    assert_eq!(d.resolve(" B ").unwrap().id, "b");
    assert_eq!(d.resolve("BEE").unwrap().id, "b");
    assert!(d.resolve("c").is_none());
}
