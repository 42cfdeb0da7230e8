//! What a machine rater must answer, and the check every answer passes before it may become a
//! decision: `{"codes": [...], "rationale": "...", "confidence": 0..1}` with codes of the
//! dimension only (one exactly, or at least one for a many-code dimension). Servers differ in
//! how strictly they enforce a JSON schema, so nothing they send is trusted.

use serde_json::{json, Value};

/// Longest rationale kept, in characters (the rest is cut).
pub const MAX_RATIONALE: usize = 4_000;

/// A validated answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Code ids, each of the dimension, without repeats, in the order given.
    pub codes: Vec<String>,
    /// Why, in the model's words (bounded).
    pub rationale: String,
    /// The model's own confidence, 0 to 1.
    pub confidence: f64,
}

/// The `response_format` of a chat-completions request: a strict JSON schema whose `codes`
/// items are an `enum` of the dimension's code ids.
pub fn response_format(dimension: &str, codes: &[String], many: bool) -> Value {
    let mut items = json!({ "type": "array", "items": { "type": "string", "enum": codes } });
    if many {
        items["minItems"] = json!(1);
    } else {
        items["minItems"] = json!(1);
        items["maxItems"] = json!(1);
    }
    let name: String = format!("codebench_{dimension}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    json!({
        "type": "json_schema",
        "json_schema": {
            "name": name,
            "strict": true,
            "schema": {
                "type": "object",
                "properties": {
                    "codes": items,
                    "rationale": { "type": "string" },
                    "confidence": { "type": "number", "minimum": 0, "maximum": 1 }
                },
                "required": ["codes", "rationale", "confidence"],
                "additionalProperties": false
            }
        }
    })
}

/// Checks an answer's content against the dimension's codes; the error says what is wrong.
pub fn validate(content: &str, codes: &[String], many: bool) -> Result<Answer, String> {
    let text = strip_fence(content.trim());
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let Some(obj) = v.as_object() else {
        return Err("the answer is not a JSON object".into());
    };
    let list = obj
        .get("codes")
        .and_then(Value::as_array)
        .ok_or("the answer has no \"codes\" list")?;
    let mut out: Vec<String> = Vec::new();
    let mut outside: Vec<String> = Vec::new();
    for c in list {
        let Some(s) = c.as_str() else {
            return Err(format!("a code is not a string: {c}"));
        };
        if !codes.iter().any(|k| k == s) {
            outside.push(s.chars().take(100).collect());
        } else if !out.iter().any(|k| k == s) {
            out.push(s.to_string());
        }
    }
    if !outside.is_empty() {
        return Err(format!(
            "codes outside the codebook: {} (allowed: {})",
            outside.join(", "),
            codes.join(", ")
        ));
    }
    if out.is_empty() {
        return Err("the answer gives no code".into());
    }
    if !many && out.len() > 1 {
        return Err(format!(
            "the dimension takes one code, the answer gives {}: {}",
            out.len(),
            out.join(", ")
        ));
    }
    let rationale = obj
        .get("rationale")
        .and_then(Value::as_str)
        .ok_or("the answer has no \"rationale\" text")?;
    let confidence = obj
        .get("confidence")
        .and_then(Value::as_f64)
        .ok_or("the answer has no numeric \"confidence\"")?;
    if !(0.0..=1.0).contains(&confidence) {
        return Err(format!("confidence {confidence} is outside 0 to 1"));
    }
    Ok(Answer {
        codes: out,
        rationale: rationale.chars().take(MAX_RATIONALE).collect(),
        confidence,
    })
}

/// Some servers wrap JSON in a Markdown fence even when asked not to; the fence is removed
/// (the JSON inside is still checked in full).
fn strip_fence(s: &str) -> &str {
    let Some(rest) = s.strip_prefix("```") else {
        return s;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.trim().strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> Vec<String> {
        vec!["model".into(), "tool".into()]
    }

    #[test]
    fn good_answers_pass_and_bad_ones_say_why() {
        let ok = validate(
            r#"{"codes":["tool"],"rationale":"a CLI","confidence":0.8}"#,
            &codes(),
            false,
        )
        .unwrap();
        assert_eq!(ok.codes, vec!["tool"]);
        let fenced = validate(
            "```json\n{\"codes\":[\"model\"],\"rationale\":\"\",\"confidence\":1}\n```",
            &codes(),
            false,
        );
        assert!(fenced.is_ok());
        for (bad, why) in [
            (
                r#"{"codes":["app"],"rationale":"","confidence":0.5}"#,
                "outside the codebook",
            ),
            (
                r#"{"codes":["tool","model"],"rationale":"","confidence":0.5}"#,
                "takes one code",
            ),
            (r#"{"codes":[],"rationale":"","confidence":0.5}"#, "no code"),
            (
                r#"{"codes":["tool"],"rationale":"","confidence":3}"#,
                "outside 0 to 1",
            ),
            (r#"{"codes":["tool"],"confidence":0.5}"#, "rationale"),
            (r#"{"codes":["tool""#, "not JSON"),
            ("[1]", "not a JSON object"),
        ] {
            let e = validate(bad, &codes(), false).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(validate(
            r#"{"codes":["tool","model","tool"],"rationale":"","confidence":0.5}"#,
            &codes(),
            true
        )
        .is_ok_and(|a| a.codes.len() == 2));
    }

    #[test]
    fn the_schema_allows_only_the_codes() {
        let f = response_format("kind", &codes(), false);
        assert_eq!(
            f["json_schema"]["schema"]["properties"]["codes"]["items"]["enum"],
            json!(["model", "tool"])
        );
        assert_eq!(f["json_schema"]["strict"], json!(true));
    }
}
