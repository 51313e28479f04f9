//! Everything that happens to the app, as data: keys, pastes, the clock,
//! stream events, and what the runtime's tasks report back.

use crossterm::event::KeyEvent;

use crate::api::error::ApiError;
use crate::api::sse::StreamEvent;

/// Everything that happens to the app.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key. `update` turns it into an `Action` through the table of the
    /// screen in force (`keymap`), or types it.
    Key(KeyEvent),
    /// A key already turned into what it does.
    Action(crate::keymap::Action),
    Paste(String),
    /// The left button in the conversation pane (`pane`: its area as last
    /// drawn, cells): pressed, dragged or released at `x`, `y`.
    Mouse {
        kind: MouseKind,
        x: u16,
        y: u16,
        pane: ratatui::layout::Rect,
    },
    /// The text under a finished selection, as drawn (the view read it).
    Selected(String),
    /// A pasted line names an existing file (its path as pasted).
    PathPasted(String),
    /// What `@partial` could complete to: (the partial, the candidates;
    /// a directory ends in `/`).
    PathsFound(String, Vec<String>),
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
    /// Saving changed: paused (changes wait and are retried), back
    /// (caught up), off or damaged, with the reason.
    Saving(crate::store::SaveState),
    /// The conversation `id` is open in another orchat (process `pid`): this
    /// one continues in a copy, so neither overwrites the other.
    HeldElsewhere {
        id: String,
        pid: Option<u32>,
    },
    /// SIGTERM or SIGHUP: end as a quit does (answers stopped, saved, billed).
    Terminate,
    /// A model named on the command line (`-m` with `--continue`): switch
    /// to it, and say so.
    UseModel(String),
    /// The editor returned the draft (or why it could not run).
    Edited(Result<String, String>),
    /// Something the runtime did, to say in the hint line.
    Flash(String),
    /// A fresher model catalog arrived.
    Catalog(Box<crate::chat::catalog::Catalog>),
    /// OpenRouter said what a charge really cost (`/generation`), USD.
    Settled {
        charge: Box<crate::chat::pricing::Charge>,
        usd: rust_decimal::Decimal,
    },
    /// The account behind the key (`/key`, `/credits`).
    Account(Box<crate::api::account::Account>),
    /// The answer to a title request (`/title`) for `conversation`: its
    /// text is the title; what it cost is billed (an error says why none).
    Titled {
        conversation: String,
        answer: Box<crate::chat::answer::Answer>,
    },
}

/// A saved conversation, read back: its messages and its ledger.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadedSession {
    pub id: String,
    pub messages: Vec<crate::store::StoredMessage>,
    pub charges: Vec<crate::chat::pricing::Charge>,
    /// The last message of the path that was current (its seq).
    pub current: Option<u32>,
    /// Its attachments and generated images, read back from disk.
    pub media: super::conversation::Media,
}

/// A saved conversation as the session browser lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionItem {
    pub meta: crate::store::ConversationMeta,
    /// Where a search matched, when listing a search.
    pub snippet: Option<String>,
}

/// What the left mouse button did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    Down,
    Drag,
    Up,
}
