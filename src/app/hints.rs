//! What to do next, in words: the note for a failure (the provider's words
//! and a hint), for an answer that ended short, and the short messages that
//! name a key. Every key named here is asked of the keymap in force.

use super::chat::Offer;
use super::conversation::{NodeId, Note};
use super::state::App;
use crate::api::error::{ApiError, LimitScope};
use crate::chat::answer::{Answer, Status};
use crate::keymap::Action;

/// "an answer is still coming: Esc stops it".
pub(super) fn still_coming(app: &App) -> String {
    format!(
        "an answer is still coming: {} stops it",
        app.key_label(Action::Stop)
    )
}

/// The note for a failed request, with what to do next. A daily limit on
/// a `:free` model offers its paid twin (when the catalog has one); a
/// conversation the provider found too long offers to leave out its older
/// half. `retried`: the client tried again before giving up (a hint never
/// speaks of retries that did not happen). `column`: the model of a
/// compare column that failed (its way out names it, and offers nothing:
/// the other columns go on).
pub(super) fn error_note(
    app: &mut App,
    err: &ApiError,
    retried: bool,
    column: Option<&str>,
) -> Note {
    let picker = app.key_label(Action::OpenPicker);
    let accept = app.key_label(Action::AcceptOffer);
    let text = crate::text::sanitize(&err.to_string()).into_owned();
    if let Some(model) = column {
        // A column's own way out: ask its model again, alone.
        let hint = match err {
            ApiError::Auth { .. } | ApiError::Credits { .. } => None,
            _ => Some(format!(
                "/retry {model} asks it again on its own; the other answers stay"
            )),
        };
        return Note::error(text, hint);
    }
    let hint = match err {
        ApiError::Auth { .. } => Some(match &app.env.key_env {
            Some(var) => format!("set {var} (the key this provider reads) and restart"),
            None => "check the key for this provider and restart".to_string(),
        }),
        ApiError::Credits { .. } => Some(format!("add credits, or {picker} to pick a free model")),
        ApiError::NotFound { .. } => Some(format!("{picker} to pick another model")),
        ApiError::InputNotRead { .. } => Some(format!(
            "{picker} to pick a model that reads it (the picker lists what each reads), or /detach and /retry"
        )),
        ApiError::TooLarge { .. } => Some(
            "the file stays attached to that prompt: /edit to send it without, or with a smaller one"
                .to_string(),
        ),
        ApiError::ContextTooLong { .. } => Some(match older_half(app) {
            Some(from) => {
                app.chat.offer = Some(Offer {
                    model: app.chat.model.clone(),
                    resend: true,
                    leave_out: Some(from),
                    attach: None,
                });
                format!(
                    "{accept} leaves out the older turns and asks again; {picker} picks a model with a larger window"
                )
            }
            None => format!(
                "shorten the last prompt (/edit), or {picker} for a model with a larger window"
            ),
        }),
        ApiError::RateLimited(r) if r.scope == LimitScope::PerDay => {
            // Only a twin the catalog has: one it lacks would be a 400.
            let paid = app
                .env
                .catalog
                .paid_twin(&app.chat.model)
                .map(|m| m.id.clone());
            match paid {
                Some(paid) => {
                    app.chat.offer = Some(Offer {
                        model: paid.to_string(),
                        resend: true,
                        leave_out: None,
                        attach: None,
                    });
                    Some(format!("{accept} switches to {paid} (paid) and resends"))
                }
                None if app.current_model().is_some_and(|m| m.is_free()) => Some(format!(
                    "no paid twin of this model in the catalog: {picker} for another, or wait until tomorrow"
                )),
                None => Some("wait until tomorrow or add credits".to_string()),
            }
        }
        ApiError::RateLimited(_) if retried => Some(format!(
            "still limited after retrying: wait a minute, or {picker} for another model"
        )),
        ApiError::RateLimited(_) => Some(format!(
            "wait a minute, then /retry; or {picker} for another model"
        )),
        ApiError::Timeout(_) | ApiError::Network(_) | ApiError::Upstream { .. } => {
            Some("/retry to try again".to_string())
        }
        _ => None,
    };
    Note::error(text, hint)
}

/// How an answer that did not simply complete ended, and what to do about
/// it. `None` for a complete or stopped answer (the stop says itself).
pub(super) fn ending_note(app: &App, answer: &Answer) -> Option<Note> {
    let text = answer.error.clone()?;
    let picker = app.key_label(Action::OpenPicker);
    let prev = app.key_label(Action::PrevSibling);
    let hint = match answer.status {
        Status::Complete | Status::Stopped | Status::Waiting | Status::Streaming => return None,
        Status::CutShort if answer.spent_on_reasoning() => format!(
            "/reasoning low (or a smaller token budget) leaves room for the answer, or raise max_tokens{}; /retry asks again",
            limit_now(app)
        ),
        Status::CutShort => format!(
            "raise max_tokens in the config (or ORCHAT_MAX_TOKENS){}, then /retry",
            limit_now(app)
        ),
        Status::Blocked if answer.text.trim().is_empty() => {
            format!("rephrase with /edit, or {picker} for another model")
        }
        Status::Blocked => {
            format!("the text above is kept; rephrase with /edit, or {picker} for another model")
        }
        Status::Empty => {
            format!(
                "nothing to show: /retry asks again ({prev} walks back), or {picker} for another model"
            )
        }
        Status::Incomplete | Status::Failed | Status::Interrupted => {
            "the text above is kept; /retry asks again".into()
        }
    };
    let text = match answer.status {
        Status::Incomplete | Status::Failed => format!("answer incomplete: {text}"),
        _ => text,
    };
    Some(Note::error(
        crate::text::sanitize(&text).into_owned(),
        Some(hint),
    ))
}

/// Where history should start so the older half of what is sent now is
/// left out (at a prompt, before the last one); `None` when there is no
/// older turn to leave out.
fn older_half(app: &App) -> Option<NodeId> {
    let last = app.conversation.last_prompt()?;
    let (tokens, _) = app.context_estimate("");
    let super::conversation::Cut::At(from) =
        app.history_to_leave_out("", tokens.max(2) / 2 * 10 / 9)?
    else {
        return None;
    };
    let history = app.conversation.history();
    let at = |id: NodeId| history.iter().position(|&i| i == id);
    (at(from)? > 0 && at(from)? <= at(last)?).then_some(from)
}

fn limit_now(app: &App) -> String {
    app.chat
        .settings
        .max_tokens
        .map(|n| format!(" (now {n})"))
        .unwrap_or_default()
}
