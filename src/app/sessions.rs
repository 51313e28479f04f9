//! Saved conversations, the app's side: the browser (type to search, open,
//! rename, delete after a yes) and putting a saved conversation back on
//! screen with its ledger. The store keeps them; the runtime lists and loads
//! them; the overlay draws the list.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::state::{App, Entry, Jump, Mode, SessionsState};
use super::update::Fx;
use super::{Effect, LoadedSession, SessionItem, StoreOp, turn};
use crate::chat::attach::Attachment;
use crate::chat::pricing::Ledger;
use crate::keymap::Action;
use crate::store::StoredRole;

pub(super) fn open(app: &mut App, fx: &mut Fx) {
    app.mode = Mode::Sessions(SessionsState::default());
    fx.push(Effect::ListSessions(String::new()));
}

/// The list (or why it could not be read) arrived.
pub(super) fn listed(app: &mut App, result: Result<Vec<SessionItem>, String>) {
    if let Mode::Sessions(s) = &mut app.mode {
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
            turn::stop(app, fx);
            app.restore(&saved);
            app.mode = Mode::Chat;
            app.flash = Some(format!("opened conversation {}", saved.id));
        }
        Err(e) => app.flash = Some(format!("cannot open it: {e}")),
    }
}

fn selected_id(s: &SessionsState) -> Option<String> {
    s.items.get(s.selected).map(|i| i.meta.id.clone())
}

/// An action of the browser: a list's keys, or (while a new title is
/// typed) keep it or cancel it.
pub(super) fn action(app: &mut App, a: Action, fx: &mut Fx) {
    let Mode::Sessions(s) = &mut app.mode else {
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
        Action::Close => app.mode = Mode::Chat,
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
    let Mode::Sessions(s) = &mut app.mode else {
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
        app.flash = Some("conversation deleted".into());
        if id == app.conversation_id {
            // The open conversation is gone: what follows starts afresh.
            app.conversation_id = fresh_id(app);
        }
    }
    app.mode = Mode::Sessions(s);
}

pub(super) fn rename_op(id: &str, title: &str) -> Effect {
    Effect::Store(StoreOp::Rename {
        id: id.to_string(),
        title: title.trim().to_string(),
    })
}

/// A new conversation id: unique per process (the first id's random part)
/// and per moment (the clock), without reading either here.
pub(super) fn fresh_id(app: &App) -> String {
    let base: String = app.conversation_id.chars().take(6).collect();
    format!("{base}{:x}", app.epoch_ms())
}

impl App {
    /// Replaces the conversation with a saved one: its messages, its id, and
    /// its ledger (every billed request, shown or not).
    pub fn restore(&mut self, saved: &LoadedSession) {
        self.entries.clear();
        self.entries_changed_from(0);
        self.charges = saved.charges.clone();
        self.ledger = Ledger::of(&self.charges);
        self.conversation_id = saved.id.clone();
        self.pending = None;
        self.scroll.jump(Jump::Bottom);
        for m in &saved.messages {
            let entry = match m.role {
                StoredRole::User => Entry::User {
                    text: m.text.clone(),
                    images: m
                        .attachments
                        .iter()
                        .map(|s| Attachment {
                            source: s.clone(),
                            url: s.clone(),
                            bytes: None,
                            mime: None,
                            dims: None,
                        })
                        .collect(),
                },
                StoredRole::Assistant if m.round.is_some() => {
                    let saved = m.round.as_ref().expect("checked");
                    Entry::Round(Box::new(super::round::Round::from_stored(
                        saved,
                        &mut self.next_turn,
                    )))
                }
                StoredRole::Assistant => {
                    let turn = self.next_turn;
                    self.next_turn += 1;
                    Entry::Assistant {
                        turn,
                        answer: Box::new(m.to_answer()),
                        cost: m.cost_value(),
                    }
                }
                StoredRole::Error => Entry::Error {
                    text: m.text.clone(),
                    hint: None,
                },
                StoredRole::Notice => Entry::Notice(m.text.clone()),
            };
            self.entries.push(entry);
        }
        if let Some(model) = saved
            .messages
            .iter()
            .rev()
            .find_map(|m| m.model_requested.clone())
        {
            self.model = model;
        }
        // A round none was kept of comes back in compare mode, its models marked.
        if let Some(i) = super::compare::open_round(self)
            && let Entry::Round(r) = &self.entries[i]
        {
            self.compare = r
                .columns
                .iter()
                .map(|c| c.answer.model_requested.clone())
                .collect();
        }
        self.settle_context();
    }
}
