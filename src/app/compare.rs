//! Compare mode: the marked models (2 to 4) each answer the next prompt at
//! once, siblings under it, shown as columns until one is kept. Keeping one
//! makes it the current path and ends compare mode (the next prompt goes to
//! the kept model alone); the others stay, billed, saved, walkable, never
//! sent. `/compare` again asks the last prompt of the marked set again.

use super::conversation::NodeId;
use super::effect::Fx;
use super::model::{self, short};
use super::state::App;
use super::{ask, hints, persist};
use crate::keymap::{Action, Context};

/// `/compare …`: `MODEL MODEL [MODEL MODEL]` marks the models (fuzzy, as
/// the picker filters) and turns compare mode on; alone, asks the last
/// prompt again of the marked models; `off` leaves compare mode.
pub(super) fn command(app: &mut App, arg: &str, fx: &mut Fx) {
    match arg {
        "off" if !app.chat.comparing => app.screen.flash = Some("compare mode is not on".into()),
        "off" => {
            app.chat.comparing = false;
            app.screen.flash = Some(format!(
                "compare mode off: prompts go to {} alone",
                short(&app.chat.model)
            ));
        }
        "" if app.chat.marked.len() >= 2 => again(app, fx),
        "" => {
            app.screen.flash = Some(format!(
                "/compare MODEL MODEL [MODEL MODEL], or mark models with {} in the picker",
                app.env.keymap.key_in(Context::Picker, Action::Mark)
            ))
        }
        _ => {
            let mut models: Vec<String> = Vec::new();
            for word in arg.split_whitespace() {
                let Some(&i) = model::filtered_models(&app.env.catalog, word).first() else {
                    app.screen.flash = Some(format!("no model matches {word}"));
                    return;
                };
                let id = app.env.catalog.models[i].id.clone();
                if !models.contains(&id) {
                    models.push(id);
                }
            }
            model::compare(app, models);
        }
    }
}

/// `/compare` alone: the last prompt again, of the marked models (a new
/// round beside the answers it had; compare mode on again).
fn again(app: &mut App, fx: &mut Fx) {
    if app.is_busy() {
        app.screen.flash = Some(hints::still_coming(app));
        return;
    }
    let Some(p) = app.conversation.last_prompt() else {
        app.screen.flash = Some("nothing to ask again yet: type a prompt".into());
        return;
    };
    app.chat.comparing = true;
    let models = app.chat.marked.clone();
    ask::ask(app, p, models, fx);
}

/// The open round's answers.
fn columns(app: &App) -> Vec<NodeId> {
    app.conversation
        .open_ask()
        .map(|o| o.answers.clone())
        .unwrap_or_default()
}

/// Stops the focused column of the open round (the others go on). Returns
/// false when no column there is streaming.
pub(super) fn stop_focused(app: &mut App, fx: &mut Fx) -> bool {
    let Some(open) = app.conversation.open_ask() else {
        return false;
    };
    let (c, id) = (open.focus, open.answers[open.focus]);
    if !app.conversation.reply(id).is_some_and(|r| r.is_live()) {
        return false;
    }
    let model = app
        .conversation
        .reply(id)
        .map(|r| short(&r.answer.model_requested).to_string())
        .unwrap_or_default();
    ask::stop(app, id, fx);
    app.screen.flash = Some(format!(
        "stopped {} ({model}): what came is kept, its cost estimated; {} stops all",
        c + 1,
        app.env.keymap.key_in(Context::Chat, Action::Quit)
    ));
    true
}

/// Makes column `c` (0-based) of the open round the reply: the current path
/// goes through it, its model is the current one, compare mode ends;
/// columns still streaming are stopped first.
pub(super) fn keep(app: &mut App, c: usize, fx: &mut Fx) {
    let cols = columns(app);
    if cols.is_empty() {
        app.screen.flash = Some("no round to keep an answer of".into());
        return;
    }
    let Some(&id) = cols.get(c) else {
        app.screen.flash = Some(format!("/keep takes 1 to {}", cols.len()));
        return;
    };
    if !app
        .conversation
        .reply(id)
        .is_some_and(|r| r.answer.received())
    {
        app.screen.flash = Some(format!("answer {} has nothing to keep yet", c + 1));
        return;
    }
    ask::stop_all(app, fx);
    let model = app
        .conversation
        .reply(id)
        .map(|r| r.answer.model_requested.clone())
        .unwrap_or_default();
    app.conversation.keep(id);
    app.screen.focus_conversation = false;
    app.chat.model = model.clone();
    app.chat.comparing = false;
    persist::save_current(app, fx);
    app.screen.flash = Some(format!(
        "kept {} · the others: {} · /compare asks all {} again",
        short(&model),
        app.key_label(Action::PrevSibling),
        cols.len()
    ));
}

/// `/keep N`.
pub(super) fn keep_command(app: &mut App, arg: &str, fx: &mut Fx) {
    match arg.trim().parse::<usize>() {
        Ok(n) if n >= 1 => keep(app, n - 1, fx),
        _ => app.screen.flash = Some("/keep N keeps answer N of the round (1 is the first)".into()),
    }
}

/// An action on the compare columns (after Tab).
pub(super) fn action(app: &mut App, a: Action, fx: &mut Fx) {
    let Some(open) = app.conversation.open_ask() else {
        app.screen.focus_conversation = false;
        return;
    };
    let n = open.answers.len();
    let focus = open.focus;
    let scroll = &mut app.screen.column_scroll;
    match a {
        Action::NextColumn => app.conversation.focus_column((focus + 1) % n),
        Action::PrevColumn => app.conversation.focus_column((focus + n - 1) % n),
        Action::LineDown => scroll.lines += 1,
        Action::LineUp => scroll.lines -= 1,
        Action::HalfPageDown => scroll.half_pages += 1,
        Action::HalfPageUp => scroll.half_pages -= 1,
        Action::Top => scroll.jump(super::scroll::Jump::Top),
        Action::Bottom => scroll.jump(super::scroll::Jump::Bottom),
        Action::Keep => keep(app, focus, fx),
        // Nothing streaming there: back to the input.
        Action::StopColumn if !stop_focused(app, fx) => app.screen.focus_conversation = false,
        Action::StopColumn => {}
        Action::Unfocus => app.screen.focus_conversation = false,
        _ => {}
    }
}
