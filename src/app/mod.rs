//! The app's pure core: state, the messages that change it, and the effects
//! it asks the runtime to carry out. `update` does no IO and reads no clock.

pub mod state;
pub mod update;

pub use state::{App, Entry, Mode, Pending, PickerState};
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
    Attached(Result<crate::attach::Attachment, String>),
    /// Generated images of `turn` were saved: a path, or why not, per image.
    ImagesSaved {
        turn: u64,
        paths: Vec<Result<String, String>>,
    },
    /// A fresher model catalog arrived.
    Catalog(Box<crate::catalog::Catalog>),
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
    Quit,
}
