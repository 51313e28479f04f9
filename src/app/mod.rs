//! The app's pure core: state, the messages that change it, and the effects
//! it asks the runtime to carry out. `update` does no IO, reads no clock and
//! never awaits; it dispatches each message to the file for its concern.

mod commands;
pub mod compare;
mod context;
pub mod effect;
mod hints;
mod input;
mod money;
pub mod msg;
mod picker;
pub mod round;
mod saving;
mod sessions;
pub mod state;
mod turn;
pub mod update;

pub use effect::{Effect, Snapshot, StoreOp};
pub use msg::{LoadedSession, Msg, SessionItem};
pub use picker::filtered_models;
pub use state::{App, Entry, Jump, Mode, Pending, PickerState, ScrollRequest, SessionsState};
pub use turn::slug;
pub use update::update;
