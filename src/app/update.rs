//! `update`: one message in, state changed, effects out. Pure: no IO, no
//! clock (time arrives as `Msg::Tick`), no async. Keys become actions
//! through the keymap's table for the screen in force, then go to the code
//! for their concern: `keys` (the chat screen and the conversation pane),
//! `ask` (asking and answering), `compare`, `branches`, `picker`,
//! `sessions`, `panels`.

use crossterm::event::{KeyEvent, KeyEventKind};

use super::conversation::{Cut, Note};
use super::effect::{Effect, Fx};
use super::msg::Msg;
use super::screen::Mode;
use super::state::App;
use super::{
    ask, branches, compare, keys, model, panels, persist, picker, saving, sessions, title,
};
use crate::keymap::{Action, Context};

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    handle(app, msg, &mut fx);
    app.settle_context();
    // Answers still streaming are saved at most once a second, whatever
    // the message was (the clock ticking included).
    ask::checkpoint(app, &mut fx);
    fx
}

fn handle(app: &mut App, msg: Msg, fx: &mut Fx) {
    match msg {
        Msg::Tick(ms) => app.env.now_ms = ms,
        Msg::Resize => {}
        Msg::Scroll(n) => {
            // The wheel scrolls; a selection, made on screen cells, goes.
            app.screen.selection = None;
            app.screen.scroll.lines += i64::from(n) * 3
        }
        Msg::Mouse { kind, x, y, pane } => super::select::mouse(app, kind, (x, y), pane),
        Msg::Selected(text) => super::select::selected(app, text, fx),
        Msg::Paste(text) => keys::paste(app, &text, fx),
        Msg::PathsFound(partial, found) => keys::paths_found(app, &partial, found, fx),
        Msg::PathPasted(path) => {
            let accept = app.key_label(Action::AcceptOffer);
            app.screen.flash = Some(format!(
                "{} is a file: {accept} attaches it (it stays text otherwise)",
                crate::text::preview(&path, 50)
            ));
            app.chat.offer = Some(super::chat::Offer {
                model: app.chat.model.clone(),
                resend: false,
                leave_out: None,
                attach: Some(path),
            });
        }
        Msg::Key(k) if k.kind != KeyEventKind::Release => key(app, k, fx),
        Msg::Key(_) => {}
        Msg::Action(a) => {
            app.screen.flash = None;
            action(app, a, None, fx);
        }
        Msg::Stream { turn, event } => ask::stream_event(app, turn, event, fx),
        Msg::Failed { turn, error } => ask::failed(app, turn, error, fx),
        Msg::Ended { turn } => ask::ended(app, turn, fx),
        Msg::Attached(result) => match result {
            Ok(a) => {
                if let Some(why) =
                    crate::chat::attach::too_much_together(&app.composer.attachments, &a)
                {
                    app.screen.flash = None;
                    let note = Note::error(
                        format!("not attached: {why}"),
                        Some("send these first, or /detach one; nothing was sent".into()),
                    );
                    persist::note(app, note, fx);
                } else {
                    app.screen.flash = Some(format!("attached {}", a.label()));
                    app.composer.attachments.push(a);
                    ask::check_attachments_readable(app, fx);
                }
            }
            Err(e) => {
                app.screen.flash = None;
                let note = Note::error(
                    format!("not attached: {e}"),
                    Some("nothing was sent".into()),
                );
                persist::note(app, note, fx);
            }
        },
        Msg::ImagesSaved { turn, paths } => ask::images_saved(app, turn, paths, fx),
        Msg::Sessions(result) => sessions::listed(app, result),
        Msg::SessionLoaded(result) => sessions::loaded(app, result, fx),
        Msg::Saving(state) => saving::changed(app, state, fx),
        Msg::HeldElsewhere { id, pid } => saving::held_elsewhere(app, &id, pid, fx),
        Msg::UseModel(id) => {
            if app.chat.model != id {
                model::switch_model(app, &id, fx);
                app.screen.flash = Some(format!("-m: the conversation goes on with {id}"));
            }
        }
        Msg::Terminate => {
            // As a quit: what came is kept, saved and billed.
            ask::quit(app, fx);
        }
        Msg::Edited(result) => match result {
            Ok(text) => {
                app.composer.set(&text);
                app.screen.flash = Some("back from the editor".into());
            }
            Err(e) => app.screen.flash = Some(format!("editor: {e}")),
        },
        Msg::Flash(text) => app.screen.flash = Some(text),
        Msg::Catalog(c) => {
            app.env.catalog = *c;
            picker::refilter(app);
        }
        Msg::Settled { charge, usd } => ask::settled(app, *charge, usd, fx),
        Msg::Account(a) => app.wallet.account = Some(*a),
        Msg::Titled {
            conversation,
            answer,
        } => title::titled(app, conversation, *answer, fx),
    }
}

/// A key: an action on the screen in force, else text for whatever takes
/// text there.
fn key(app: &mut App, k: KeyEvent, fx: &mut Fx) {
    app.screen.flash = None;
    let context = app.key_context();
    match app.env.keymap.action(context, &k) {
        Some(a) => action(app, a, Some(k), fx),
        None => typed(app, context, k, fx),
    }
}

/// A key no binding of the screen claims.
fn typed(app: &mut App, context: Context, k: KeyEvent, fx: &mut Fx) {
    // An overlay's own opening key closes it again.
    let opener = match &app.screen.mode {
        Mode::Picker(_) => Some(Action::OpenPicker),
        Mode::Cost => Some(Action::OpenCost),
        Mode::Help => Some(Action::Help),
        Mode::Sessions(_) => Some(Action::Sessions),
        _ => None,
    };
    if opener.is_some() && app.env.keymap.lookup(&k) == opener {
        app.screen.mode = Mode::Chat;
        return;
    }
    match context {
        Context::Chat => keys::chat_text(app, k),
        Context::Attach => {
            app.composer.input.input(k);
        }
        Context::Picker => picker::typed(app, k),
        Context::Sessions => sessions::typed(app, k, fx),
        Context::Focus | Context::Compare => {
            // The chat screen's keys (quit, picker, help) still work here.
            if app.env.keymap.lookup(&k).is_some() {
                keys::unfocus(app);
                key(app, k, fx);
            }
        }
        // A question answered by any other key is answered no; a second
        // Quit (Ctrl+C twice) quits.
        Context::Confirm => {
            if app.env.keymap.lookup(&k) == Some(Action::Quit)
                && app.screen.mode == Mode::ConfirmQuit
            {
                ask::quit(app, fx);
            } else {
                confirm(app, Action::No, fx);
            }
        }
        Context::Help | Context::Cost | Context::Tree => {}
    }
}

/// What an action does on the screen in force. `key` is the key that asked,
/// when one did (a typed character that is also a binding types instead).
fn action(app: &mut App, a: Action, key: Option<KeyEvent>, fx: &mut Fx) {
    match app.key_context() {
        Context::Chat => keys::chat_action(app, a, key, fx),
        Context::Focus => keys::focus_action(app, a, fx),
        Context::Compare => compare::action(app, a, fx),
        Context::Picker => picker::action(app, a, fx),
        Context::Sessions => sessions::action(app, a, fx),
        Context::Tree => branches::tree_action(app, a, fx),
        Context::Help => {
            let s = &mut app.screen;
            match a {
                Action::ListDown => s.help_scroll = s.help_scroll.saturating_add(1),
                Action::ListUp => s.help_scroll = s.help_scroll.saturating_sub(1),
                Action::ListPageDown => s.help_scroll = s.help_scroll.saturating_add(10),
                Action::ListPageUp => s.help_scroll = s.help_scroll.saturating_sub(10),
                Action::Close => s.mode = Mode::Chat,
                _ => {}
            }
        }
        Context::Cost => {
            if a == Action::Close {
                app.screen.mode = Mode::Chat;
            }
        }
        Context::Attach => panels::attach_action(app, a, fx),
        Context::Confirm => confirm(app, a, fx),
    }
}

/// A yes/no question answered.
fn confirm(app: &mut App, a: Action, fx: &mut Fx) {
    let mode = std::mem::replace(&mut app.screen.mode, Mode::Chat);
    match mode {
        Mode::ConfirmQuit => {
            if a == Action::Yes {
                ask::quit(app, fx);
            }
        }
        Mode::ConfirmSend { .. } => match a {
            Action::Yes => ask::send_now(app, fx),
            _ => app.screen.flash = Some("not sent; the draft is kept".into()),
        },
        Mode::ConfirmContext { drop, .. } => match (a, drop) {
            (Action::Yes, Some(cut)) if cut_helps(app, cut) => {
                ask::leave_out_and_send(app, cut, fx)
            }
            (Action::PickAnother, _) => {
                picker::open(app);
                app.screen.flash = Some("not sent; pick a model with a larger window".into());
            }
            _ => app.screen.flash = Some("not sent; the draft is kept".into()),
        },
        Mode::Sessions(s) => sessions::confirm_delete(app, s, a == Action::Yes, fx),
        Mode::ConfirmRescue => saving::rescue(app, a == Action::Yes, fx),
        Mode::ConfirmCommand { command } => {
            if a == Action::Yes {
                app.screen.flash = Some(format!("running {}…", crate::text::preview(&command, 40)));
                fx.push(super::effect::Effect::RunCommand(command));
            } else {
                app.composer.set(&format!("!{command}"));
                app.screen.flash = Some("not run; the command is back in the box".into());
            }
        }
        other => app.screen.mode = other,
    }
}

/// Whether starting history at `cut` leaves anything out.
fn cut_helps(app: &App, cut: Cut) -> bool {
    match cut {
        Cut::All => true,
        Cut::At(id) => app.conversation.history().first() != Some(&id),
    }
}
