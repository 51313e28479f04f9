//! Slash commands: the keymap's table parses the line, this runs it.

use rust_decimal::Decimal;

use super::state::{App, Entry, Jump, Mode};
use super::update::Fx;
use super::{Effect, hints, input, picker, sessions, turn};
use crate::chat::pricing::{format_usd, per_million};
use crate::chat::request::ReasoningSetting;
use crate::keymap::commands::{Command, parse};

pub(super) fn run(app: &mut App, line: &str, fx: &mut Fx) {
    let (cmd, arg) = match parse(line) {
        Ok(c) => c,
        Err(other) => {
            app.flash = Some(format!("unknown command {other}: /help lists them"));
            return;
        }
    };
    match cmd {
        Command::Compare => super::compare::command(app, arg, fx),
        Command::Keep => super::compare::keep_command(app, arg, fx),
        Command::Model if arg.is_empty() => picker::open(app),
        Command::Model => switch_model(app, arg, fx),
        Command::System => {
            app.system = (!arg.is_empty()).then(|| arg.to_string());
            let text = if arg.is_empty() {
                "system prompt cleared".into()
            } else {
                format!("system prompt: {}", crate::text::preview(arg, 60))
            };
            turn::push_entry(app, Entry::Notice(text), fx);
        }
        Command::Reasoning => match ReasoningSetting::parse(arg) {
            Ok(r) => {
                app.settings.reasoning = r;
                app.flash = Some(format!("reasoning: {}", r.label()));
            }
            Err(e) => app.flash = Some(e),
        },
        Command::Retry => {
            if app.is_busy() {
                app.flash = Some(hints::still_coming(app));
                return;
            }
            if !arg.is_empty() {
                switch_model(app, arg, fx);
            }
            turn::resend(app, fx);
        }
        Command::Edit => {
            if app.is_busy() {
                app.flash = Some(hints::still_coming(app));
                return;
            }
            if let Some(i) = app.last_prompt_index()
                && let Entry::User { text, .. } = app.entries[i].clone()
            {
                turn::truncate_entries(app, i, fx);
                input::set_input(app, &text);
            }
        }
        Command::Clear => {
            // Stopped as Esc stops them (billed, and settled later), every
            // column of a round too.
            turn::stop(app, fx);
            super::compare::stop_all(app, fx);
            app.entries.clear();
            app.entries_changed_from(0);
            app.conversation_id = sessions::fresh_id(app);
            app.ledger = Default::default();
            app.charges.clear();
            app.scroll.jump(Jump::Bottom);
            app.flash = Some("new conversation".into());
        }
        // The same as the Attach key, whatever it is bound to.
        Command::Attach if arg.is_empty() => input::open_attach(app),
        Command::Attach => fx.push(Effect::LoadAttachment(arg.to_string())),
        Command::Detach => {
            if arg.is_empty() {
                app.attachments.clear();
                app.flash = Some("attachments removed".into());
            } else {
                match arg.parse::<usize>() {
                    Ok(n) if n >= 1 && n <= app.attachments.len() => {
                        let a = app.attachments.remove(n - 1);
                        app.flash = Some(format!("removed {}", a.label()));
                    }
                    _ => app.flash = Some(format!("no attachment {arg}")),
                }
            }
        }
        Command::Sessions => sessions::open(app, fx),
        Command::Rename => {
            let id = app.conversation_id.clone();
            app.flash = Some(if arg.is_empty() {
                "title reset to the first prompt".into()
            } else {
                format!("renamed to {}", crate::text::preview(arg, 60))
            });
            fx.push(sessions::rename_op(&id, arg));
        }
        Command::Export => {
            let json = arg.split_whitespace().any(|a| a == "--json" || a == "json");
            let path = arg
                .split_whitespace()
                .find(|a| !a.starts_with("--") && *a != "json")
                .map(str::to_string);
            // When the saved copy may be behind (saving paused, off or
            // damaged), the conversation as it is here is exported.
            let snapshot = (app.saving != crate::store::SaveState::Saving)
                .then(|| Box::new(super::saving::snapshot(app)));
            fx.push(Effect::Export {
                conversation: app.conversation_id.clone(),
                path,
                json,
                snapshot,
            });
        }
        Command::Budget => app.flash = Some(budget(app, arg)),
        Command::Preset => preset(app, arg, fx),
        Command::Cost => input::open_cost(app, fx),
        Command::Help => {
            app.help_scroll = 0;
            app.mode = Mode::Help;
        }
        Command::Quit => turn::quit(app, fx),
    }
}

/// The model from now on; the conversation stays. Says its prices, or that
/// they are unknown.
pub(super) fn switch_model(app: &mut App, id: &str, fx: &mut Fx) {
    if app.model == id {
        return;
    }
    app.model = id.to_string();
    let text = match app.catalog.get(id) {
        Some(m) => match &m.pricing {
            Some(p) => format!(
                "model → {} ({} in, {} out per million tokens)",
                m.id,
                per_million(p.prompt),
                per_million(p.completion)
            ),
            None => format!(
                "model → {} (no price known: its costs will show as unknown)",
                m.id
            ),
        },
        None => format!("model → {id} (not in the catalog: its costs will show as unknown)"),
    };
    turn::push_entry(app, Entry::Notice(text), fx);
}

fn preset(app: &mut App, name: &str, fx: &mut Fx) {
    match app.presets.get(name).cloned() {
        Some(text) => {
            app.system = Some(text.clone());
            let notice = format!(
                "system prompt from preset {name}: {}",
                crate::text::preview(&text, 60)
            );
            turn::push_entry(app, Entry::Notice(notice), fx);
        }
        None => {
            let names: Vec<&str> = app.presets.keys().map(String::as_str).collect();
            app.flash = Some(if names.is_empty() {
                "no presets: add [presets] to the config".into()
            } else {
                format!("presets: {}", names.join(", "))
            });
        }
    }
}

/// `/budget`, `/budget day 2.50`, `/budget conversation off`.
fn budget(app: &mut App, arg: &str) -> String {
    let show = |c: Option<Decimal>| c.map_or("none".to_string(), format_usd);
    let mut words = arg.split_whitespace();
    let (which, value) = (words.next(), words.next());
    let Some(which) = which else {
        return format!(
            "budget: conversation {} (spent {}), day {} (spent {})",
            show(app.budget.per_conversation),
            format_usd(app.total_cost()),
            show(app.budget.per_day),
            format_usd(app.spent_today())
        );
    };
    let cap = match value {
        Some("off" | "none") => None,
        Some(v) => match crate::chat::pricing::parse_decimal(v.trim_start_matches('$')) {
            Some(d) if d > Decimal::ZERO => Some(d),
            _ => return format!("budget: '{v}' is not an amount of dollars"),
        },
        None => return "budget: give an amount, e.g. /budget day 2.50, or off".into(),
    };
    match which {
        "conversation" | "conv" => app.budget.per_conversation = cap,
        "day" | "daily" => app.budget.per_day = cap,
        other => return format!("budget: '{other}' is neither conversation nor day"),
    }
    format!("budget for the {which}: {}", show(cap))
}
