//! Saving, the app's side: what the store says of itself (paused, caught
//! up, off, damaged) is shown at once; a damaged database's conversation is
//! offered to a new file; a conversation another orchat has open goes on in
//! a copy, so neither overwrites the other.

use super::conversation::{NodeId, Note};
use super::effect::{Effect, Fx};
use super::persist;
use super::screen::Mode;
use super::state::App;
use crate::store::{ConversationMeta, SaveState};

/// The store's state changed.
pub(super) fn changed(app: &mut App, state: SaveState, fx: &mut Fx) {
    let was = std::mem::replace(&mut app.env.saving, state.clone());
    match &state {
        SaveState::Saving => {
            if matches!(was, SaveState::Paused { .. }) {
                app.screen.flash = Some("saved: everything that waited is written".into());
            }
        }
        SaveState::Paused { .. } | SaveState::Off { .. } => {
            if std::mem::discriminant(&was) != std::mem::discriminant(&state) {
                app.screen.flash = Some(state.news());
            }
        }
        SaveState::Damaged { reason } => {
            let text = format!("{reason}; this conversation stays here, in memory");
            let hint = "y saves it to a new file now; /export PATH --json does it any time";
            persist::note(app, Note::error(text, Some(hint.into())), fx);
            if app.screen.mode == Mode::Chat {
                app.screen.mode = Mode::ConfirmRescue;
            }
        }
    }
}

/// The answer to "save this conversation to a new file?".
pub(super) fn rescue(app: &mut App, yes: bool, fx: &mut Fx) {
    if yes {
        fx.push(Effect::Export {
            conversation: app.conversation.id.clone(),
            path: None,
            json: true,
            snapshot: Some(Box::new(snapshot(app))),
        });
    } else {
        app.screen.flash = Some("not saved; /export PATH --json saves it later".into());
    }
}

/// The conversation as an export would have it, from memory: its messages
/// (every branch, as the store would keep them) and its ledger.
pub(super) fn snapshot(app: &App) -> super::effect::Snapshot {
    let c = &app.conversation;
    let messages: Vec<_> = (0..c.tree().len() as NodeId)
        .filter_map(|i| c.to_stored(i, &app.env.catalog))
        .collect();
    let title = messages
        .iter()
        .find(|m| m.role == crate::store::StoredRole::User)
        .map(|m| crate::store::title_from_prompt(&m.text))
        .unwrap_or_default();
    let mut models: Vec<String> = Vec::new();
    for ch in &app.wallet.charges {
        if !models.contains(&ch.model) {
            models.push(ch.model.clone());
        }
    }
    let created = messages.first().map_or(app.epoch_ms(), |m| m.created_ms);
    super::effect::Snapshot {
        meta: ConversationMeta {
            id: c.id.clone(),
            title,
            created_ms: created,
            updated_ms: app.epoch_ms(),
            models,
            messages: messages
                .iter()
                .filter(|m| {
                    matches!(
                        m.role,
                        crate::store::StoredRole::User | crate::store::StoredRole::Assistant
                    )
                })
                .count() as u32,
            total_cost: app.wallet.ledger.total(),
            unknown_costs: app.wallet.ledger.unknown(),
            current: c.current_seq(),
        },
        messages,
        charges: app.wallet.charges.clone(),
    }
}

/// Another orchat has conversation `id` open: this one goes on in a copy
/// (a new id, every message saved again under it), so neither overwrites
/// the other. What was billed stays with the original.
pub(super) fn held_elsewhere(app: &mut App, id: &str, pid: Option<u32>, fx: &mut Fx) {
    if app.conversation.id != id {
        return; // Already moved on.
    }
    let copy = app.fresh_id();
    app.conversation.id.clone_from(&copy);
    app.wallet.set_charges(Vec::new());
    persist::save_all(app, fx);
    let who = pid.map_or("another orchat".to_string(), |p| {
        format!("another orchat (process {p})")
    });
    let text = format!(
        "conversation {id} is open in {who}: this window goes on in a copy, {copy}, so neither overwrites the other; what was billed stays with {id}"
    );
    persist::note(app, Note::notice(text), fx);
    app.screen.flash = Some(format!("continuing in a copy: {copy}"));
}
