//! What `update` asks the runtime to do, as data: requests to start and
//! cancel, files to read and write, the store, the clipboard, the editor.
//! Effects are only ever returned; every one that concerns a conversation
//! names it.

use crate::api::types::ChatRequest;

/// Effects gathered while handling one message, returned by `update`.
pub(crate) type Fx = Vec<Effect>;

/// A change to the saved copy of the current conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreOp {
    Put(Box<crate::store::StoredMessage>),
    /// A billed request for the ledger (or its settlement).
    Charge(Box<crate::chat::pricing::Charge>),
    /// One more request to a `:free` model on this UTC day.
    CountFree(String),
    /// The last message of a conversation's current path (its seq).
    Current {
        conversation: String,
        seq: u32,
    },
    Rename {
        id: String,
        title: String,
    },
    /// Delete a conversation (by id).
    Delete(String),
}

/// A conversation as an export writes it, taken from the app's memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub meta: crate::store::ConversationMeta,
    pub messages: Vec<crate::store::StoredMessage>,
    /// Every billed request, replaced answers included.
    pub charges: Vec<crate::chat::pricing::Charge>,
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send `request`; its events come back tagged with `turn`. `edit`:
    /// the image an image model is to edit, read (from its file once
    /// saved) and put in the last user message before sending; if it
    /// cannot be read, the request goes without it and a flash says why.
    Start {
        turn: u64,
        request: Box<ChatRequest>,
        edit: Option<crate::chat::images::Generated>,
    },
    /// Abort the request for `turn` (drops the connection).
    Cancel {
        turn: u64,
    },
    /// Read and check an image file (or take a URL) to attach.
    LoadAttachment(String),
    /// `!command`: run with the shell, bounded in time and output; its
    /// output comes back as a text attachment (`Msg::Attached`).
    RunCommand(String),
    /// `@partial` and Tab: the paths it could be (`Msg::PathsFound`).
    CompletePath(String),
    /// Read the clipboard: an image is attached (`Msg::Attached`), text
    /// pasted (`Msg::Paste`).
    PasteClipboard,
    /// A single-line paste that may name a file: `Msg::PathPasted` when it
    /// does.
    CheckPastedPath(String),
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
    /// Write a conversation to a file (Markdown, or JSON): the saved copy,
    /// or, when the store cannot be trusted (saving paused, off, damaged),
    /// `snapshot`, the conversation as the app holds it.
    Export {
        conversation: String,
        path: Option<String>,
        json: bool,
        snapshot: Option<Box<Snapshot>>,
    },
    /// Ask OpenRouter what `charge`'s generation cost, until it knows
    /// (about a minute); the answer comes back as `Msg::Settled` with the
    /// charge, so it is settled even when its conversation is gone from
    /// the screen (`/clear`, another one opened).
    Settle {
        charge: Box<crate::chat::pricing::Charge>,
    },
    /// Read the account (`/key`, `/credits`); it comes back as `Msg::Account`.
    FetchAccount,
    /// Ask for a conversation's title (`/title`): `request` asks a model
    /// for a few words; the answer comes back as `Msg::Titled`.
    Title {
        conversation: String,
        request: Box<ChatRequest>,
    },
    Quit,
}
