//! The app's pure core: state (a handful of owned parts, the conversation a
//! tree), the messages that change it, and the effects it asks the runtime
//! to carry out. `update` does no IO, reads no clock and never awaits; it
//! dispatches each message to the file for its concern. No file here
//! imports one that imports it back (`tests/architecture.rs` checks).

mod ask;
mod branches;
pub mod chat;
mod commands;
mod compare;
pub mod composer;
mod context;
pub mod conversation;
pub mod effect;
pub mod env;
mod hints;
mod keys;
mod model;
mod money;
pub mod msg;
mod panels;
mod persist;
mod picker;
mod saving;
pub mod screen;
pub mod scroll;
mod select;
mod sessions;
pub mod state;
mod title;
pub mod update;
pub mod wallet;

pub use ask::slug;
pub use chat::{Chat, Offer};
pub use conversation::{Conversation, NodeId, Note, NoteKind, Shown};
pub use effect::{Effect, Snapshot, StoreOp};
pub use model::{filtered_models, short};
pub use msg::{LoadedSession, MouseKind, Msg, SessionItem};
pub use screen::{Mode, PickerState, Screen, SelectUnit, Selection, SessionsState, TreeState};
pub use scroll::{Jump, ScrollRequest};
pub use state::App;
pub use update::update;
