//! Slash commands: the keymap's table parses the line, this runs it. Each
//! command is a few lines here calling the code for its concern.

use rust_decimal::Decimal;

use super::conversation::Note;
use super::effect::{Effect, Fx};
use super::screen::Mode;
use super::scroll::Jump;
use super::state::App;
use super::{ask, branches, compare, hints, model, panels, persist, picker, sessions, title};
use crate::chat::pricing::format_usd;
use crate::chat::request::ReasoningSetting;
use crate::keymap::Action;
use crate::keymap::commands::{Command, parse};

pub(super) fn run(app: &mut App, line: &str, fx: &mut Fx) {
    let (cmd, arg) = match parse(line) {
        Ok(c) => c,
        Err(other) => {
            app.screen.flash = Some(format!("unknown command {other}: /help lists them"));
            return;
        }
    };
    // Commands that ask, walk or fork wait for the answers streaming.
    let asks = matches!(
        cmd,
        Command::Retry | Command::Edit | Command::Tree | Command::Fork
    );
    if asks && app.is_busy() {
        app.screen.flash = Some(hints::still_coming(app));
        return;
    }
    match cmd {
        Command::Compare => compare::command(app, arg, fx),
        Command::Keep => compare::keep_command(app, arg, fx),
        Command::Model if arg.is_empty() => picker::open(app),
        Command::Model => model::switch_model(app, arg, fx),
        Command::System => {
            app.chat.system = (!arg.is_empty()).then(|| arg.to_string());
            let text = if arg.is_empty() {
                "system prompt cleared".into()
            } else {
                format!("system prompt: {}", crate::text::preview(arg, 60))
            };
            persist::note(app, Note::notice(text), fx);
        }
        Command::Reasoning => match ReasoningSetting::parse(arg) {
            Ok(r) => {
                app.chat.settings.reasoning = r;
                app.screen.flash = Some(format!("reasoning: {}", r.label()));
            }
            Err(e) => app.screen.flash = Some(e),
        },
        Command::Retry => {
            if !arg.is_empty() {
                model::use_model(app, arg);
            }
            ask::ask_again(app, fx);
        }
        Command::Edit => edit(app),
        Command::Tree => branches::open_tree(app),
        Command::Fork => branches::fork(app, fx),
        Command::Title => title::ask_title(app, fx),
        Command::Clear => {
            // Stopped as Esc stops them (billed, and settled later).
            ask::stop_all(app, fx);
            let id = app.fresh_id();
            app.conversation.clear(&id);
            app.wallet.set_charges(Vec::new());
            app.composer.editing = None;
            app.screen.selected = None;
            app.screen.scroll.jump(Jump::Bottom);
            app.screen.flash = Some("new conversation".into());
        }
        // The same as the Attach key, whatever it is bound to.
        Command::Attach if arg.is_empty() => panels::open_attach(app),
        Command::Attach => fx.push(Effect::LoadAttachment(arg.to_string())),
        Command::Paste => fx.push(Effect::PasteClipboard),
        Command::Web => web(app, arg),
        Command::Role => role(app, arg, fx),
        Command::Detach => {
            let a = &mut app.composer.attachments;
            app.screen.flash = Some(if arg.is_empty() {
                a.clear();
                "attachments removed".into()
            } else {
                match arg.parse::<usize>() {
                    Ok(n) if n >= 1 && n <= a.len() => {
                        format!("removed {}", a.remove(n - 1).label())
                    }
                    _ => format!("no attachment {arg}"),
                }
            });
        }
        Command::Sessions => sessions::open(app, fx),
        Command::Rename => {
            let id = app.conversation.id.clone();
            app.screen.flash = Some(if arg.is_empty() {
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
            let snapshot = (app.env.saving != crate::store::SaveState::Saving)
                .then(|| Box::new(super::saving::snapshot(app)));
            fx.push(Effect::Export {
                conversation: app.conversation.id.clone(),
                path,
                json,
                snapshot,
            });
        }
        Command::Budget => app.screen.flash = Some(budget(app, arg)),
        Command::Preset => preset(app, arg, fx),
        Command::Cost => panels::open_cost(app, fx),
        Command::Help => {
            app.screen.help_scroll = 0;
            app.screen.mode = Mode::Help;
        }
        Command::Quit => ask::quit(app, fx),
    }
}

/// `/edit`: the last prompt back in the box; sent, it goes beside the old
/// one as a new branch (the old one and its answers are kept).
fn edit(app: &mut App) {
    let c = &app.conversation;
    let Some(p) = c.last_prompt() else {
        app.screen.flash = Some("no prompt to edit yet".into());
        return;
    };
    let (text, attached) = c
        .prompt(p)
        .map(|p| (p.text.clone(), p.images.clone()))
        .unwrap_or_default();
    app.composer.set(&text);
    // Its attachments come back with it: /detach sends it without one.
    app.composer.attachments = attached.into_iter().filter(|a| !a.is_missing()).collect();
    app.composer.editing = Some(p);
    app.screen.flash = Some(format!(
        "editing the last prompt: sent, it starts a new branch beside it ({} walks back)",
        app.key_label(Action::PrevSibling)
    ));
}

/// `/role NAME`: the role's system prompt, model, reasoning and
/// temperature at once (what it leaves out stays); said in the
/// conversation, named in the status bar.
pub(super) fn role(app: &mut App, name: &str, fx: &mut Fx) {
    let name = name.trim();
    let Some(spec) = app.chat.roles.get(name).cloned() else {
        let known: Vec<&str> = app.chat.roles.keys().map(String::as_str).collect();
        app.screen.flash = Some(if known.is_empty() {
            "no roles yet: add [roles.NAME] to the config (system_prompt, model, reasoning, temperature)".into()
        } else {
            format!("no role '{name}'; roles: {}", known.join(", "))
        });
        return;
    };
    if let Some(r) = &spec.reasoning {
        match ReasoningSetting::parse(r) {
            Ok(r) => app.chat.settings.reasoning = r,
            Err(e) => {
                app.screen.flash = Some(format!("role {name}: {e}; nothing changed"));
                return;
            }
        }
    }
    if let Some(t) = spec.temperature {
        app.chat.settings.temperature = Some(t as f32);
    }
    if let Some(p) = &spec.system_prompt {
        app.chat.system = (!p.trim().is_empty()).then(|| p.clone());
    }
    if let Some(m) = &spec.model {
        super::model::use_model(app, m);
    }
    app.chat.role = Some(name.to_string());
    let mut said = vec![format!("role {name}")];
    if let Some(m) = &spec.model {
        said.push(format!("model {m}"));
    }
    if spec.reasoning.is_some() {
        said.push(format!("reasoning {}", app.chat.settings.reasoning.label()));
    }
    if let Some(t) = spec.temperature {
        said.push(format!("temperature {t}"));
    }
    if let Some(p) = &spec.system_prompt {
        said.push(format!("system prompt: {}", crate::text::preview(p, 50)));
    }
    persist::note(app, Note::notice(said.join(" · ")), fx);
}

/// `/web on|off`: web search on the next prompts, where the provider has
/// it (OpenRouter); elsewhere it says so and changes nothing.
fn web(app: &mut App, arg: &str) {
    let on = match arg.trim().to_ascii_lowercase().as_str() {
        "on" | "" if app.chat.settings.web.is_none() => true,
        "on" => true,
        "off" | "" => false,
        other => {
            app.screen.flash = Some(format!("/web on or /web off, not '{other}'"));
            return;
        }
    };
    if on && !app.env.openrouter {
        app.screen.flash = Some(format!(
            "{} has no web search (OpenRouter has); nothing changed",
            app.env.provider_label
        ));
        return;
    }
    app.chat.settings.web = on.then(|| app.chat.web_setup.clone());
    app.screen.flash = Some(if on {
        format!(
            "web search on: each prompt searches (about {} a search, listed apart); /web off stops",
            crate::chat::pricing::format_usd(app.chat.web_setup.fee())
        )
    } else {
        "web search off".into()
    });
}

fn preset(app: &mut App, name: &str, fx: &mut Fx) {
    match app.chat.presets.get(name).cloned() {
        Some(text) => {
            app.chat.system = Some(text.clone());
            let notice = format!(
                "system prompt from preset {name}: {}",
                crate::text::preview(&text, 60)
            );
            persist::note(app, Note::notice(notice), fx);
        }
        None => {
            let names: Vec<&str> = app.chat.presets.keys().map(String::as_str).collect();
            app.screen.flash = Some(if names.is_empty() {
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
        let b = &app.wallet.budget;
        return format!(
            "budget: conversation {} (spent {}), day {} (spent {})",
            show(b.per_conversation),
            format_usd(app.total_cost()),
            show(b.per_day),
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
        "conversation" | "conv" => app.wallet.budget.per_conversation = cap,
        "day" | "daily" => app.wallet.budget.per_day = cap,
        other => return format!("budget: '{other}' is neither conversation nor day"),
    }
    format!("budget for the {which}: {}", show(cap))
}
