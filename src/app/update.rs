//! `update`: one message in, state changed, effects out. Pure: no IO, no
//! clock (time arrives as `Msg::Tick`), no async. Keys become actions
//! through the keymap's table for the screen in force, then go to the file
//! for their concern: `turn` (asking and answering), `input` (the input box
//! and the conversation pane), `commands`, `picker`, `sessions`.

use crossterm::event::{KeyEvent, KeyEventKind};

use super::state::{App, Entry, Mode};
use super::{Effect, Msg, commands, input, picker, sessions, turn};
use crate::keymap::{Action, Context};

/// Effects gathered while handling one message, returned by `update`.
pub(super) type Fx = Vec<Effect>;

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    handle(app, msg, &mut fx);
    app.settle_context();
    // Answers still streaming are saved at most once a second, whatever
    // the message was (the clock ticking included).
    turn::checkpoint(app, &mut fx);
    fx
}

fn handle(app: &mut App, msg: Msg, fx: &mut Fx) {
    match msg {
        Msg::Tick(ms) => app.now_ms = ms,
        Msg::Resize => {}
        Msg::Scroll(n) => app.scroll.lines += i64::from(n) * 3,
        Msg::Paste(text) => input::paste(app, &text),
        Msg::Key(k) if k.kind != KeyEventKind::Release => key(app, k, fx),
        Msg::Key(_) => {}
        Msg::Action(a) => {
            app.flash = None;
            action(app, a, None, fx);
        }
        Msg::Stream { turn, event } => turn::stream_event(app, turn, event, fx),
        Msg::Failed { turn, error } => turn::failed(app, turn, error, fx),
        Msg::Ended { turn } => {
            if super::compare::ended(app, turn, fx) {
            } else if turn::is_current(app, turn) {
                turn::finish_turn(app, turn, None, fx);
            }
        }
        Msg::Attached(result) => match result {
            Ok(a) => {
                app.flash = Some(format!("attached {}", a.label()));
                app.attachments.push(a);
                turn::check_images_readable(app, fx);
            }
            Err(e) => {
                app.flash = None;
                turn::push_entry(
                    app,
                    Entry::Error {
                        text: format!("not attached: {e}"),
                        hint: Some("nothing was sent".into()),
                    },
                    fx,
                );
            }
        },
        Msg::ImagesSaved { turn, paths } => turn::images_saved(app, turn, paths, fx),
        Msg::Sessions(result) => sessions::listed(app, result),
        Msg::SessionLoaded(result) => sessions::loaded(app, result, fx),
        Msg::Saving(state) => super::saving::changed(app, state, fx),
        Msg::HeldElsewhere { id, pid } => super::saving::held_elsewhere(app, &id, pid, fx),
        Msg::UseModel(id) => {
            if app.model != id {
                super::commands::switch_model(app, &id, fx);
                app.flash = Some(format!("-m: the conversation goes on with {id}"));
            }
        }
        Msg::Terminate => {
            // As a quit: what came is kept, saved and billed.
            turn::stop(app, fx);
            super::compare::stop_all(app, fx);
            fx.push(Effect::Quit);
        }
        Msg::Edited(result) => match result {
            Ok(text) => {
                input::set_input(app, &text);
                app.flash = Some("back from the editor".into());
            }
            Err(e) => app.flash = Some(format!("editor: {e}")),
        },
        Msg::Flash(text) => app.flash = Some(text),
        Msg::Catalog(c) => {
            app.catalog = *c;
            picker::refilter(app);
            app.redraw_all();
        }
        Msg::Settled { charge, usd } => turn::settled(app, *charge, usd, fx),
        Msg::Account(a) => app.account = Some(*a),
    }
}

/// A key: an action on the screen in force, else text for whatever takes
/// text there.
fn key(app: &mut App, k: KeyEvent, fx: &mut Fx) {
    app.flash = None;
    let context = app.key_context();
    match app.keymap.action(context, &k) {
        Some(a) => action(app, a, Some(k), fx),
        None => typed(app, context, k, fx),
    }
}

/// A key no binding of the screen claims.
fn typed(app: &mut App, context: Context, k: KeyEvent, fx: &mut Fx) {
    // An overlay's own opening key closes it again.
    let opener = match &app.mode {
        Mode::Picker(_) => Some(Action::OpenPicker),
        Mode::Cost => Some(Action::OpenCost),
        Mode::Help => Some(Action::Help),
        Mode::Sessions(_) => Some(Action::Sessions),
        _ => None,
    };
    if opener.is_some() && app.keymap.lookup(&k) == opener {
        app.mode = Mode::Chat;
        return;
    }
    match context {
        Context::Chat => input::chat_text(app, k),
        Context::Attach => {
            app.input.input(k);
        }
        Context::Picker => picker::typed(app, k),
        Context::Sessions => sessions::typed(app, k, fx),
        Context::Focus | Context::Compare => {
            // The chat screen's keys (quit, picker, help) still work here.
            if app.keymap.lookup(&k).is_some() {
                input::unfocus(app);
                key(app, k, fx);
            }
        }
        // A question answered by any other key is answered no; a second
        // Quit (Ctrl+C twice) quits.
        Context::Confirm => {
            if app.keymap.lookup(&k) == Some(Action::Quit) && app.mode == Mode::ConfirmQuit {
                turn::quit(app, fx);
            } else {
                confirm(app, Action::No, fx);
            }
        }
        Context::Help | Context::Cost => {}
    }
}

/// What an action does on the screen in force. `key` is the key that asked,
/// when one did (a typed character that is also a binding types instead).
fn action(app: &mut App, a: Action, key: Option<KeyEvent>, fx: &mut Fx) {
    match app.key_context() {
        Context::Chat => input::chat_action(app, a, key, fx),
        Context::Focus => input::focus_action(app, a, fx),
        Context::Compare => super::compare::action(app, a, fx),
        Context::Picker => picker::action(app, a, fx),
        Context::Sessions => sessions::action(app, a, fx),
        Context::Help => match a {
            Action::ListDown => app.help_scroll = app.help_scroll.saturating_add(1),
            Action::ListUp => app.help_scroll = app.help_scroll.saturating_sub(1),
            Action::ListPageDown => app.help_scroll = app.help_scroll.saturating_add(10),
            Action::ListPageUp => app.help_scroll = app.help_scroll.saturating_sub(10),
            Action::Close => app.mode = Mode::Chat,
            _ => {}
        },
        Context::Cost => {
            if a == Action::Close {
                app.mode = Mode::Chat;
            }
        }
        Context::Attach => input::attach_action(app, a, fx),
        Context::Confirm => confirm(app, a, fx),
    }
}

/// A yes/no question answered.
fn confirm(app: &mut App, a: Action, fx: &mut Fx) {
    let mode = std::mem::replace(&mut app.mode, Mode::Chat);
    match mode {
        Mode::ConfirmQuit => {
            if a == Action::Yes {
                turn::quit(app, fx);
            }
        }
        Mode::ConfirmSend { .. } => match a {
            Action::Yes => turn::send_now(app, fx),
            _ => app.flash = Some("not sent; the draft is kept".into()),
        },
        Mode::ConfirmContext { drop, .. } => match a {
            Action::Yes if drop.is_some_and(|d| d > app.sent_from) => {
                turn::leave_out_and_send(app, drop.unwrap_or_default(), fx)
            }
            Action::PickAnother => {
                picker::open(app);
                app.flash = Some("not sent; pick a model with a larger window".into());
            }
            _ => app.flash = Some("not sent; the draft is kept".into()),
        },
        Mode::Sessions(s) => sessions::confirm_delete(app, s, a == Action::Yes, fx),
        Mode::ConfirmRescue => super::saving::rescue(app, a == Action::Yes, fx),
        other => app.mode = other,
    }
}

/// Slash commands typed into the input box.
pub(super) fn command(app: &mut App, line: &str, fx: &mut Fx) {
    commands::run(app, line, fx);
}
