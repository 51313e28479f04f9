//! Whether saving works right now, as the writer sees it, and who is told
//! when that changes. One line of words for each state, fit for a status
//! bar, the cost panel, the log and `orchat doctor`.

use std::sync::{Arc, Mutex};

/// Whether what orchat queues for saving reaches the disk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SaveState {
    /// Every change is written as it comes.
    #[default]
    Saving,
    /// Changes wait in memory, in order, and are tried again (with backoff)
    /// until they are written: the database is locked by another program,
    /// the disk is full, a write failed with an I/O error. `queued` counts
    /// the changes waiting.
    Paused { reason: String, queued: usize },
    /// Nothing is written: the database is read-only, or its file was
    /// deleted or replaced. Changes made meanwhile stay in memory.
    Off { reason: String },
    /// SQLite found the file damaged: it is never written again.
    Damaged { reason: String },
}

impl SaveState {
    /// One line: "saving paused: the database is locked by another program".
    /// Empty while saving works.
    pub fn line(&self) -> String {
        match self {
            SaveState::Saving => String::new(),
            SaveState::Paused { reason, queued } => format!(
                "saving paused: {reason} ({queued} change{} waiting; retrying)",
                if *queued == 1 { "" } else { "s" }
            ),
            SaveState::Off { reason } => format!("saving off: {reason}"),
            SaveState::Damaged { reason } => format!("saving stopped: {reason}"),
        }
    }

    /// What to say the moment it happens (a flash): shorter than `line`.
    pub fn news(&self) -> String {
        match self {
            SaveState::Paused { reason, .. } => {
                format!("saving paused: {reason}; retrying")
            }
            other => other.line(),
        }
    }

    /// A few words for the status bar: "saving paused: locked". `None`
    /// while saving works.
    pub fn status(&self) -> Option<String> {
        let state = match self {
            SaveState::Saving => return None,
            SaveState::Paused { .. } => "saving paused",
            SaveState::Off { .. } => "saving off",
            SaveState::Damaged { .. } => return Some("saving off: damaged".into()),
        };
        let reason = self.reason().unwrap_or("").to_ascii_lowercase();
        let why = [
            ("locked", "locked"),
            ("disk is full", "disk full"),
            ("read-only", "read-only"),
            ("deleted or replaced", "file gone"),
            ("data directory", "no data dir"),
            ("cannot create", "no data dir"),
            ("write failed", "write error"),
        ]
        .iter()
        .find(|(k, _)| reason.contains(k))
        .map(|(_, w)| *w);
        Some(match why {
            Some(w) => format!("{state}: {w}"),
            None => state.to_string(),
        })
    }

    /// The reason in words, without the state's name.
    pub fn reason(&self) -> Option<&str> {
        match self {
            SaveState::Saving => None,
            SaveState::Paused { reason, .. }
            | SaveState::Off { reason }
            | SaveState::Damaged { reason } => Some(reason),
        }
    }

    /// Whether writes still have a chance of reaching this file.
    pub fn writes_possible(&self) -> bool {
        matches!(self, SaveState::Saving | SaveState::Paused { .. })
    }
}

/// Called on the writer's thread with each new state.
pub type Listener = Box<dyn Fn(&SaveState) + Send>;

/// The writer's state, shared with the handles, and the listener told of
/// each change.
#[derive(Default)]
pub(super) struct Health {
    state: SaveState,
    /// The last change that could never be written (a constraint, a bug),
    /// dropped so the others could go on: one line.
    dropped: Option<String>,
    listener: Option<Listener>,
}

pub(super) type SharedHealth = Arc<Mutex<Health>>;

impl Health {
    pub(super) fn state(&self) -> &SaveState {
        &self.state
    }

    pub(super) fn dropped(&self) -> Option<&str> {
        self.dropped.as_deref()
    }

    pub(super) fn set_listener(&mut self, l: Option<Listener>) {
        self.listener = l;
    }

    pub(super) fn with_state(state: SaveState) -> Health {
        Health {
            state,
            ..Health::default()
        }
    }

    pub(super) fn starting(state: SaveState) -> SharedHealth {
        Arc::new(Mutex::new(Health::with_state(state)))
    }
}

/// Moves to `state`; logs and tells the listener when it changed (the number
/// of queued changes growing is not news).
pub(super) fn set(health: &SharedHealth, state: SaveState) {
    let Ok(mut h) = health.lock() else { return };
    let same_kind = std::mem::discriminant(&h.state) == std::mem::discriminant(&state)
        && h.state.reason() == state.reason();
    if same_kind {
        h.state = state;
        return;
    }
    match &state {
        SaveState::Saving => tracing::info!("saving conversations again: caught up"),
        other => tracing::warn!("{}", other.line()),
    }
    h.state = state;
    if let Some(l) = &h.listener {
        l(&h.state);
    }
}

/// Records a change that was dropped because it can never be written.
pub(super) fn dropped(health: &SharedHealth, reason: String) {
    tracing::warn!("a change could not be saved and was dropped: {reason}");
    if let Ok(mut h) = health.lock() {
        h.dropped = Some(reason);
    }
}
