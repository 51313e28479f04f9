//! What reaches the store of the conversation: a message as it is now, and
//! where the current path ends when that moved.

use super::conversation::NodeId;
use super::effect::{Effect, Fx, StoreOp};
use super::state::App;

/// Saves message `id` as it is now (a streaming answer with what came so
/// far; saving it again replaces it).
pub(super) fn save(app: &App, id: NodeId, fx: &mut Fx) {
    if let Some(m) = app.conversation.to_stored(id, &app.env.catalog) {
        fx.push(Effect::Store(StoreOp::Put(Box::new(m))));
    }
}

/// Saves where the current path ends, when it moved since last saved.
pub(super) fn save_current(app: &mut App, fx: &mut Fx) {
    let now = app.conversation.current_seq();
    if now != app.conversation.saved_current
        && let Some(seq) = now
    {
        app.conversation.saved_current = Some(seq);
        fx.push(Effect::Store(StoreOp::Current {
            conversation: app.conversation.id.clone(),
            seq,
        }));
    }
}

/// Every message of the conversation, saved again (under a new id, say),
/// and where its current path ends.
pub(super) fn save_all(app: &mut App, fx: &mut Fx) {
    for id in 0..app.conversation.tree().len() as NodeId {
        save(app, id, fx);
    }
    app.conversation.saved_current = None;
    save_current(app, fx);
}

/// A note after the current message, saved.
pub(super) fn note(app: &mut App, note: super::conversation::Note, fx: &mut Fx) -> NodeId {
    let epoch = app.epoch_ms();
    let id = app.conversation.add_note(note, epoch);
    save(app, id, fx);
    id
}
