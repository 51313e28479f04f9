//! Saved conversations, the app's side: the browser (type to search, open,
//! rename, delete after a yes) and putting a saved conversation back on
//! screen with its ledger. The store keeps them; the runtime lists and loads
//! them; the overlay draws the list.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::ask;
use super::effect::{Effect, Fx, StoreOp};
use super::msg::{LoadedSession, SessionItem};
use super::screen::{Mode, SessionsState};
use super::scroll::Jump;
use super::state::App;
use crate::keymap::Action;

pub(super) fn open(app: &mut App, fx: &mut Fx) {
    app.screen.mode = Mode::Sessions(SessionsState::default());
    fx.push(Effect::ListSessions(String::new()));
}

/// The list (or why it could not be read) arrived.
pub(super) fn listed(app: &mut App, result: Result<Vec<SessionItem>, String>) {
    if let Mode::Sessions(s) = &mut app.screen.mode {
        match result {
            Ok(items) => {
                s.selected = s.selected.min(items.len().saturating_sub(1));
                s.items = items;
                s.error = None;
            }
            Err(e) => s.error = Some(e),
        }
    }
}

/// A conversation to open arrived (or why it could not be loaded).
pub(super) fn loaded(app: &mut App, result: Result<LoadedSession, String>, fx: &mut Fx) {
    match result {
        Ok(saved) => {
            ask::stop_all(app, fx);
            app.restore(&saved);
            app.screen.mode = Mode::Chat;
            app.screen.flash = Some(format!("opened conversation {}", saved.id));
        }
        Err(e) => app.screen.flash = Some(format!("cannot open it: {e}")),
    }
}

fn selected_id(s: &SessionsState) -> Option<String> {
    s.items.get(s.selected).map(|i| i.meta.id.clone())
}

/// An action of the browser: a list's keys, or (while a new title is
/// typed) keep it or cancel it.
pub(super) fn action(app: &mut App, a: Action, fx: &mut Fx) {
    let Mode::Sessions(s) = &mut app.screen.mode else {
        return;
    };
    if let Some(title) = s.renaming.take() {
        if a == Action::Choose
            && let Some(id) = selected_id(s)
        {
            fx.push(rename_op(&id, &title));
            fx.push(Effect::ListSessions(s.query.clone()));
        }
        if !matches!(a, Action::Choose | Action::Close) {
            s.renaming = Some(title);
        }
        return;
    }
    let last = s.items.len().saturating_sub(1);
    match a {
        Action::Close => app.screen.mode = Mode::Chat,
        Action::Choose => {
            if let Some(id) = selected_id(s) {
                fx.push(Effect::LoadSession(id));
            }
        }
        Action::ListUp => s.selected = s.selected.saturating_sub(1),
        Action::ListDown => s.selected = (s.selected + 1).min(last),
        Action::ListPageUp => s.selected = s.selected.saturating_sub(10),
        Action::ListPageDown => s.selected = (s.selected + 10).min(last),
        Action::DeleteSession => s.confirm_delete = selected_id(s).is_some(),
        Action::RenameSession => {
            s.renaming = s.items.get(s.selected).map(|i| i.meta.title.clone());
        }
        _ => {}
    }
}

/// A key that is no binding: it edits the search, or the new title.
pub(super) fn typed(app: &mut App, k: KeyEvent, fx: &mut Fx) {
    let Mode::Sessions(s) = &mut app.screen.mode else {
        return;
    };
    let plain = !k
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    if let Some(title) = s.renaming.as_mut() {
        match k.code {
            KeyCode::Backspace => {
                title.pop();
            }
            KeyCode::Char(c) if plain => title.push(c),
            _ => {}
        }
        return;
    }
    match k.code {
        KeyCode::Backspace => {
            s.query.pop();
        }
        KeyCode::Char(c) if plain => s.query.push(c),
        _ => return,
    }
    s.selected = 0;
    fx.push(Effect::ListSessions(s.query.clone()));
}

/// The answer to "delete the selected conversation?".
pub(super) fn confirm_delete(app: &mut App, mut s: SessionsState, yes: bool, fx: &mut Fx) {
    s.confirm_delete = false;
    if yes && let Some(id) = selected_id(&s) {
        fx.push(Effect::Store(StoreOp::Delete(id.clone())));
        fx.push(Effect::ListSessions(s.query.clone()));
        app.screen.flash = Some("conversation deleted".into());
        if id == app.conversation.id {
            // The open conversation is gone: what follows starts afresh.
            app.conversation.id = app.fresh_id();
        }
    }
    app.screen.mode = Mode::Sessions(s);
}

pub(super) fn rename_op(id: &str, title: &str) -> Effect {
    Effect::Store(StoreOp::Rename {
        id: id.to_string(),
        title: title.trim().to_string(),
    })
}

impl App {
    /// Replaces the conversation with a saved one: its tree, on the path
    /// that was current, its id, its ledger (every billed request, shown or
    /// not) and its model; a round none was kept of comes back as columns.
    pub fn restore(&mut self, saved: &LoadedSession) {
        let c = super::conversation::restore_with(
            &saved.id,
            &saved.messages,
            saved.current,
            &saved.media,
        );
        self.conversation.replace_with(c);
        self.wallet.set_charges(saved.charges.clone());
        self.screen.scroll.jump(Jump::Bottom);
        self.screen.selected = None;
        let conv = &self.conversation;
        let model = conv.path().iter().rev().find_map(|&i| {
            conv.reply(i)
                .map(|r| r.answer.model_requested.clone())
                .or_else(|| conv.prompt(i).map(|p| p.model.clone()))
                .filter(|m| !m.is_empty())
        });
        if let Some(model) = model {
            self.chat.model = model;
        }
        if let Some(open) = conv.open_ask() {
            self.chat.marked = open
                .answers
                .iter()
                .filter_map(|&i| conv.reply(i).map(|r| r.answer.model_requested.clone()))
                .collect();
            self.chat.comparing = true;
        }
        self.conversation.saved_current = self.conversation.current_seq();
        self.settle_context();
    }
}
