//! The app's pure core: state, the messages that change it, and the effects
//! it asks the runtime to carry out. `update` does no IO and reads no clock.

pub mod state;
pub mod update;

pub use state::{App, Entry, Mode, Pending, PickerState, SessionsState};
pub use update::update;

use crossterm::event::KeyEvent;

use crate::api::error::ApiError;
use crate::api::sse::StreamEvent;
use crate::api::types::ChatRequest;

/// Everything that happens to the app.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// Mouse wheel: positive scrolls down.
    Scroll(i32),
    Resize,
    /// The clock moved (milliseconds since the app started).
    Tick(u64),
    /// An event of the stream for `turn`.
    Stream {
        turn: u64,
        event: StreamEvent,
    },
    /// The request for `turn` failed.
    Failed {
        turn: u64,
        error: ApiError,
    },
    /// The stream for `turn` has no more events.
    Ended {
        turn: u64,
    },
    /// An attachment was loaded (or why it could not be).
    Attached(Result<crate::chat::attach::Attachment, String>),
    /// Generated images of `turn` were saved: a path, or why not, per image.
    ImagesSaved {
        turn: u64,
        paths: Vec<Result<String, String>>,
    },
    /// Saved conversations for the browser (or why they could not be read).
    Sessions(Result<Vec<SessionItem>, String>),
    /// A saved conversation to show (or why it could not be loaded).
    SessionLoaded(Result<LoadedSession, String>),
    /// Saving stopped working: the reason, shown in the status bar.
    SavingOff(String),
    /// The editor returned the draft (or why it could not run).
    Edited(Result<String, String>),
    /// Something the runtime did, to say in the hint line.
    Flash(String),
    /// A fresher model catalog arrived.
    Catalog(Box<crate::chat::catalog::Catalog>),
    /// OpenRouter said what a charge really cost (`/generation`), USD.
    Settled {
        charge_id: String,
        usd: rust_decimal::Decimal,
    },
    /// The account behind the key (`/key`, `/credits`).
    Account(Box<crate::api::account::Account>),
}

/// A saved conversation, read back: its messages and its ledger.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadedSession {
    pub id: String,
    pub messages: Vec<crate::store::StoredMessage>,
    pub charges: Vec<crate::chat::pricing::Charge>,
}

/// A change to the saved copy of the current conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreOp {
    Put(Box<crate::store::StoredMessage>),
    /// A billed request for the ledger (or its settlement).
    Charge(Box<crate::chat::pricing::Charge>),
    /// One more request to a `:free` model on this UTC day.
    CountFree(String),
    /// Drop messages from this sequence number on.
    Truncate(u32),
    Rename {
        id: String,
        title: String,
    },
    /// Delete a conversation (by id).
    Delete(String),
}

/// A saved conversation as the session browser lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionItem {
    pub meta: crate::store::ConversationMeta,
    /// Where a search matched, when listing a search.
    pub snippet: Option<String>,
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send `request`; its events come back tagged with `turn`.
    Start {
        turn: u64,
        request: Box<ChatRequest>,
    },
    /// Abort the request for `turn` (drops the connection).
    Cancel {
        turn: u64,
    },
    /// Read and check an image file (or take a URL) to attach.
    LoadAttachment(String),
    /// Save generated images (data URLs) as files under the data directory,
    /// in `images/<folder>/<stem>-<n>.<ext>`.
    SaveImages {
        turn: u64,
        folder: String,
        stem: String,
        images: Vec<String>,
    },
    /// Open a file with the system viewer.
    Open(String),
    /// Put text on the clipboard (system, or OSC 52); `what` names it for the status line.
    Copy {
        text: String,
        what: String,
    },
    /// Suspend the app and edit `draft` in $VISUAL / $EDITOR.
    Edit(String),
    /// Change the saved conversation (the runtime passes it to the store).
    Store(StoreOp),
    /// List saved conversations, filtered by a full-text query when not empty.
    ListSessions(String),
    /// Load a saved conversation into the app.
    LoadSession(String),
    /// Write the conversation to a file (Markdown, or JSON).
    Export {
        path: Option<String>,
        json: bool,
    },
    /// Ask OpenRouter what generation `generation_id` cost, until it knows
    /// (about a minute); the answer comes back as `Msg::Settled`.
    Settle {
        charge_id: String,
        generation_id: String,
    },
    /// Read the account (`/key`, `/credits`); it comes back as `Msg::Account`.
    FetchAccount,
    Quit,
}
