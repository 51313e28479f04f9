//! `/title`: a model (the config's `title_model`, else the current one) is
//! asked for a few words naming the conversation, and it is renamed to
//! them. The request is billed like any other.

use super::ask;
use super::effect::{Effect, Fx, StoreOp};
use super::state::App;
use crate::api::types::{Message, Role};
use crate::chat::answer::Answer;
use crate::chat::pricing::{Cost, CostKind, TurnCharge, sat_add};
use crate::chat::request::{ReasoningSetting, Settings};

/// What the model is told.
const ASK: &str = "You name conversations. Reply with a title of at most six words for the conversation below: no quotes, no full stop, nothing else.";

/// Most characters of the conversation sent to be named.
const SENT_CHARS: usize = 4_000;

/// `/title`: asks for one.
pub(super) fn ask_title(app: &mut App, fx: &mut Fx) {
    let c = &app.conversation;
    if c.last_prompt().is_none() {
        app.screen.flash = Some("nothing to name yet: send a prompt first".into());
        return;
    }
    // The current path, each message cut short, the whole within bounds.
    let mut text = String::new();
    for &id in c.path() {
        let (who, said) = match (c.prompt(id), c.reply(id)) {
            (Some(p), _) => ("User", p.text.as_str()),
            (_, Some(r)) => ("Assistant", r.answer.text.as_str()),
            _ => continue,
        };
        let said: String = said.chars().take(600).collect();
        text.push_str(&format!("{who}: {said}\n\n"));
        if text.chars().count() > SENT_CHARS {
            break;
        }
    }
    let text: String = text.chars().take(SENT_CHARS).collect();
    let model = app
        .chat
        .title_model
        .clone()
        .unwrap_or_else(|| app.chat.model.clone());
    let info = app.env.catalog.get(&model);
    // A few words; a model that must think gets room to.
    let (reasoning, max_tokens) = match info {
        Some(m) if m.thinking_mandatory() => (ReasoningSetting::Budget(128), 2_000),
        Some(m) if m.is_thinking() => (ReasoningSetting::Off, 200),
        _ => (ReasoningSetting::Default, 60),
    };
    let settings = Settings {
        max_tokens: Some(max_tokens),
        temperature: None,
        reasoning,
        fallbacks: Vec::new(),
        stream: false,
        web: None,
    };
    let messages = vec![
        Message::text(Role::System, ASK.to_string()),
        Message::text(Role::User, text),
    ];
    let request = crate::chat::request::build(&model, info, messages, &settings);
    ask::count_free_request(app, &model, fx);
    fx.push(Effect::Title {
        conversation: app.conversation.id.clone(),
        request: Box::new(request),
    });
    app.screen.flash = Some(format!("asking {model} for a title…"));
}

/// The title request for `conversation` answered: billed, and the
/// conversation renamed to its words.
pub(super) fn titled(app: &mut App, conversation: String, answer: Answer, fx: &mut Fx) {
    // Billed like an answer: what the provider reported, or our estimate.
    if answer.received() || answer.usage.is_some() {
        let catalog = &app.env.catalog;
        let charge = crate::chat::pricing::Charge {
            id: format!("{conversation}/{}/title", app.epoch_ms()),
            conversation_id: conversation.clone(),
            generation_id: answer.generation_id.clone(),
            created_ms: app.epoch_ms(),
            ..crate::chat::pricing::Charge::of_turn(&TurnCharge {
                model: answer.model(),
                cost: answer.cost(catalog),
                usage: answer.usage.as_ref(),
                estimate: answer.estimate(),
                computed: answer.usage.as_ref().and_then(|u| {
                    catalog
                        .pricing(answer.model())
                        .map(|p| p.compute(u, answer.images_in))
                }),
            })
        };
        if conversation == app.conversation.id {
            ask::record_charge(app, charge, fx);
        } else {
            // Another conversation is open now: its ledger stays its own.
            let usd: Cost = charge.cost;
            if usd.kind != CostKind::Unknown {
                let b = &mut app.wallet.budget;
                b.spent_here = sat_add(b.spent_here, usd.usd);
            }
            fx.push(Effect::Store(StoreOp::Charge(Box::new(charge))));
        }
    }
    let title = clean(&answer.text);
    if title.is_empty() {
        let why = answer
            .error
            .clone()
            .or_else(|| answer.failure.as_ref().map(ToString::to_string))
            .unwrap_or_else(|| "the answer was empty".into());
        app.screen.flash = Some(format!("no title came: {}", hints_line(&why)));
        return;
    }
    fx.push(Effect::Store(StoreOp::Rename {
        id: conversation,
        title: title.clone(),
    }));
    app.screen.flash = Some(format!("renamed to {title}"));
}

/// A model's answer as a title: its first line with words, without quotes,
/// markdown marks or a full stop, at most 60 characters.
fn clean(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.chars().any(char::is_alphanumeric))
        .unwrap_or("");
    let line = line
        .trim_start_matches(['#', '*', '-', ' '])
        .trim_start_matches("Title:")
        .trim_start_matches("title:")
        .trim()
        .trim_matches(['"', '\'', '*', '`', '“', '”', '«', '»'])
        .trim_end_matches(['.', ' '])
        .trim();
    let clean = crate::text::sanitize(line).into_owned();
    let cut: String = clean.chars().take(60).collect();
    cut.trim().to_string()
}

fn hints_line(why: &str) -> String {
    crate::text::preview(why, 120)
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn a_title_is_the_first_line_without_marks() {
        assert_eq!(
            clean("\"Rust lifetimes explained.\"\n"),
            "Rust lifetimes explained"
        );
        assert_eq!(
            clean("## Title: Penguins of the south"),
            "Penguins of the south"
        );
        assert_eq!(clean("\n\n  **Sky colour**  \nmore"), "Sky colour");
        assert_eq!(clean(""), "");
        assert_eq!(clean(&"x".repeat(200)).chars().count(), 60);
    }
}
