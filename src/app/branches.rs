//! Moving between branches: stepping to a sibling of the last answer (or
//! of an edited prompt, or of the message selected in the pane), the whole
//! tree in an overlay (`/tree`) to go anywhere, and `/fork` to start a new
//! conversation from the current path.

use super::conversation::NodeId;
use super::effect::Fx;
use super::screen::{Mode, TreeState};
use super::scroll::Jump;
use super::state::App;
use super::{hints, persist};
use crate::keymap::Action;

/// What the chat screen's Alt+←/→ step between: the siblings of the last
/// answer when it has any, else of the last prompt (it was edited).
fn walk_target(app: &App) -> Option<NodeId> {
    let c = &app.conversation;
    let has_siblings = |id: NodeId| c.tree().place(id).1 > 1;
    c.last_reply()
        .filter(|&r| has_siblings(r))
        .or_else(|| c.last_prompt().filter(|&p| has_siblings(p)))
}

/// Alt+← / Alt+→ on the chat screen.
pub(super) fn walk_last(app: &mut App, step: isize, fx: &mut Fx) {
    if app.is_busy() {
        app.screen.flash = Some(hints::still_coming(app));
        return;
    }
    if app.conversation.open_ask().is_some() {
        app.screen.flash = Some(
            super::ask::keep_first(app)
                .unwrap_or_else(|| "the round is still open: keep one answer first".into()),
        );
        return;
    }
    let Some(id) = walk_target(app) else {
        app.screen.flash = Some(
            "no other branch here: /retry asks again beside this answer, /edit beside the prompt"
                .into(),
        );
        return;
    };
    walk(app, id, step, fx);
    app.screen.scroll.jump(Jump::Bottom);
}

/// ←/→ in the conversation pane: the selected message's siblings.
pub(super) fn walk_selected(app: &mut App, step: isize, fx: &mut Fx) {
    if app.is_busy() {
        app.screen.flash = Some(hints::still_coming(app));
        return;
    }
    let Some(id) = app.screen.selected else {
        return;
    };
    if let Some(to) = walk(app, id, step, fx) {
        app.screen.selected = Some(to);
    }
}

/// Steps from `id` to the sibling `step` away; says where it is now.
fn walk(app: &mut App, id: NodeId, step: isize, fx: &mut Fx) -> Option<NodeId> {
    let (at, of) = app.conversation.tree().place(id);
    if of < 2 {
        app.screen.flash = Some("this message has no other branch".into());
        return None;
    }
    let Some(to) = app.conversation.walk(id, step) else {
        app.screen.flash = Some(format!(
            "{at}/{of}: the {} branch",
            if step < 0 { "first" } else { "last" }
        ));
        return None;
    };
    persist::save_current(app, fx);
    let (at, of) = app.conversation.tree().place(to);
    let what = match app.conversation.reply(to) {
        Some(r) => format!("{}'s answer", super::model::short(r.answer.model())),
        None => "this version of the prompt".into(),
    };
    app.screen.flash = Some(format!(
        "‹{at}/{of}› {what} · {} / {} walk",
        app.key_label(Action::PrevSibling),
        app.key_label(Action::NextSibling)
    ));
    Some(to)
}

/// `/tree`: every message, the current path marked.
pub(super) fn open_tree(app: &mut App) {
    let c = &app.conversation;
    if c.is_empty() {
        app.screen.flash = Some("nothing in this conversation yet".into());
        return;
    }
    let rows = c.tree().depth_first();
    let here = c.open_ask().map(|o| o.prompt).or(c.current());
    let selected = rows
        .iter()
        .position(|&(id, _)| Some(id) == here)
        .unwrap_or(0);
    app.screen.mode = Mode::Tree(TreeState { rows, selected });
}

/// An action of the tree overlay.
pub(super) fn tree_action(app: &mut App, a: Action, fx: &mut Fx) {
    let Mode::Tree(t) = &mut app.screen.mode else {
        return;
    };
    let last = t.rows.len().saturating_sub(1);
    match a {
        Action::ListUp => t.selected = t.selected.saturating_sub(1),
        Action::ListDown => t.selected = (t.selected + 1).min(last),
        Action::ListPageUp => t.selected = t.selected.saturating_sub(10),
        Action::ListPageDown => t.selected = (t.selected + 10).min(last),
        Action::Choose => {
            let Some(&(id, _)) = t.rows.get(t.selected) else {
                return;
            };
            app.screen.mode = Mode::Chat;
            if app.is_busy() {
                app.screen.flash = Some(hints::still_coming(app));
                return;
            }
            app.conversation.go_to(id);
            persist::save_current(app, fx);
            app.screen.scroll.jump(Jump::Bottom);
            app.screen.flash = Some("the path through it is the current one now".into());
        }
        Action::Close => app.screen.mode = Mode::Chat,
        _ => {}
    }
}

/// `/fork`: a new saved conversation whose messages are the current path;
/// the original keeps every branch and what it was billed.
pub(super) fn fork(app: &mut App, fx: &mut Fx) {
    if app.is_busy() {
        app.screen.flash = Some(hints::still_coming(app));
        return;
    }
    if app.conversation.is_empty() {
        app.screen.flash = Some("nothing to fork yet".into());
        return;
    }
    let (from, to) = (app.conversation.id.clone(), app.fresh_id());
    let f = app.conversation.fork(&to);
    app.conversation.replace_with(f);
    app.wallet.set_charges(Vec::new());
    persist::save_all(app, fx);
    let text = format!(
        "forked from {from}: this conversation starts with its current path; {from} keeps every branch and what it was billed"
    );
    persist::note(app, super::conversation::Note::notice(text), fx);
    app.screen.flash = Some(format!("forked: {to}"));
}
