//! Machine raters for Codebench: a language model behind an OpenAI-compatible endpoint, or a
//! local text classifier, labelling units with the codes of one codebook dimension.
//!
//! - [`prompt`] builds the prompt from the codebook (definitions, include / exclude notes,
//!   examples) and one unit's own README and Dockerfile text, bounded, truncation reported.
//! - [`answer`] is the JSON schema the model must follow and the check every answer passes.
//! - [`openai`] is the chat-completions client: retries bounded, waits honoured, stop checks.
//! - [`label`] puts the three together: one unit in, a validated answer or the reason there is
//!   none out.
//! - [`local`] is the network-free backend: features of README and Dockerfile text and of the
//!   Dockerfile analysis, a naive Bayes classifier (smartcore), k-fold cross-validation.
//!
//! Invariants: nothing a server sends is trusted (every answer is validated against the
//! dimension's codes; refusals, cut answers and errors are failures, never labels); no call
//! panics on any answer; the crate knows nothing of storage.
//!
//! With the `mock-server` feature, [`mock`] offers a local chat-completions server for tests.

#![warn(missing_docs)]

pub mod answer;
pub mod local;
#[cfg(feature = "mock-server")]
pub mod mock;
pub mod openai;
pub mod prompt;

use std::time::Duration;

pub use answer::Answer;
pub use openai::{ChatClient, ChatError, ChatOptions, ChatRequest, Message};

/// Longest raw answer kept, in characters.
pub const MAX_RAW: usize = 16_000;

/// What asking the model about one unit gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// The validated answer, or why there is none (recorded as a failed answer).
    pub answer: Result<Answer, String>,
    /// The message content (or the refusal) as received, bounded to [`MAX_RAW`] characters.
    pub raw: Option<String>,
    /// `finish_reason` of the reply.
    pub finish_reason: Option<String>,
    /// Requests sent for this unit.
    pub attempts: u32,
    /// Prompt tokens the server counted.
    pub tokens_in: Option<u64>,
    /// Completion tokens the server counted.
    pub tokens_out: Option<u64>,
    /// The version the server reported: `system_fingerprint`, else the `model` it named.
    pub model_version: Option<String>,
}

/// The request of one unit: the prompt's two messages, the model and the parameters, and
/// the schema allowing only `codes`.
pub fn request(
    model: &str,
    temperature: f64,
    seed: Option<i64>,
    prompt: &prompt::Prompt,
    dimension: &str,
    codes: &[String],
    many: bool,
) -> ChatRequest {
    ChatRequest {
        model: model.to_string(),
        messages: vec![
            Message {
                role: "system".into(),
                content: prompt.system.clone(),
            },
            Message {
                role: "user".into(),
                content: prompt.user.clone(),
            },
        ],
        temperature,
        seed,
        response_format: answer::response_format(dimension, codes, many),
    }
}

/// Asks the model about one unit and validates the answer. `None` when `stop` said stop
/// before there was an answer: nothing is to be recorded, the unit is asked again later.
pub async fn label(
    client: &ChatClient,
    request: &ChatRequest,
    codes: &[String],
    many: bool,
    on_wait: &(dyn Fn(Duration, &str) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Option<Labelled> {
    let (reply, attempts) = client.complete(request, on_wait, stop).await;
    let reply = match reply {
        Ok(r) => r,
        Err(ChatError::Stopped) => return None,
        Err(e) => {
            return Some(Labelled {
                answer: Err(e.to_string()),
                raw: None,
                finish_reason: None,
                attempts,
                tokens_in: None,
                tokens_out: None,
                model_version: None,
            })
        }
    };
    let bounded = |s: &str| s.chars().take(MAX_RAW).collect::<String>();
    let refusal = reply.refusal.as_deref().filter(|r| !r.trim().is_empty());
    let answer = match (
        refusal,
        reply.finish_reason.as_deref(),
        reply.content.as_deref(),
    ) {
        (Some(r), _, _) => Err(format!("the model refused: {}", bounded(r.trim()))),
        (None, Some("length"), _) => {
            Err("the answer was cut at the token limit (finish_reason \"length\")".to_string())
        }
        (None, Some("content_filter"), _) => {
            Err("the server's content filter withheld the answer".to_string())
        }
        (None, _, None) => Err("the reply has no message content".to_string()),
        (None, _, Some(c)) => answer::validate(c, codes, many),
    };
    Some(Labelled {
        answer,
        raw: reply.content.as_deref().or(refusal).map(bounded),
        finish_reason: reply.finish_reason.clone(),
        attempts,
        tokens_in: reply.prompt_tokens,
        tokens_out: reply.completion_tokens,
        model_version: reply.system_fingerprint.clone().or(reply.model.clone()),
    })
}
