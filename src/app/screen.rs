//! What is on screen: which overlay has the keyboard (the mode), whether
//! the conversation pane has it and which message is selected there, what
//! the panes are asked to scroll, the one-line flash, and the reasoning
//! toggle. No view state lives here: scroll positions, render caches and
//! image protocols belong to `ui::View`.

use super::conversation::{Cut, NodeId};
use super::scroll::ScrollRequest;

/// Which overlay has the keyboard.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Chat,
    Picker(PickerState),
    Cost,
    Help,
    ConfirmQuit,
    /// A send that would pass a spending cap waits for y/n.
    ConfirmSend {
        reason: String,
    },
    /// The conversation no longer fits the model's context window: send
    /// with history starting at `drop`, leaving out older messages (yes;
    /// `None` when even the draft alone is too long), pick another model,
    /// or keep the draft (no).
    ConfirmContext {
        needed: u64,
        window: u64,
        drop: Option<Cut>,
    },
    /// The session browser.
    Sessions(SessionsState),
    /// The database is damaged: save this conversation to a new file (y/n)?
    ConfirmRescue,
    /// Typing a path or URL to attach; the draft waits here meanwhile.
    Attach {
        stashed_draft: String,
    },
    /// The whole tree (`/tree`).
    Tree(TreeState),
    /// `!command`: run it and attach its output (y/n)?
    ConfirmCommand {
        command: String,
    },
}

/// A mouse selection in the conversation pane, in screen cells: from
/// `anchor` to `head` in reading order, grown to whole words (a double
/// click) or whole blocks (a triple click).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub anchor: (u16, u16),
    pub head: (u16, u16),
    pub unit: SelectUnit,
    /// The button was released: the text is copied once the view has it.
    pub done: bool,
    pub copied: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectUnit {
    Char,
    Word,
    Block,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionsState {
    /// Full-text query typed so far (empty lists every conversation).
    pub query: String,
    pub selected: usize,
    pub items: Vec<super::msg::SessionItem>,
    /// Waiting for yes/no to delete the selected conversation.
    pub confirm_delete: bool,
    /// Typing a new title for the selected conversation.
    pub renaming: Option<String>,
    pub error: Option<String>,
}

/// The model picker: the filter typed, the models that match it (catalog
/// indices, best first: computed when the filter or the catalog changes,
/// not on every frame) and the row selected.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PickerState {
    pub filter: String,
    pub matches: Vec<usize>,
    pub selected: usize,
    /// Models marked to compare (ids, in the order marked).
    pub marked: Vec<String>,
}

/// The tree overlay: every message in depth-first order with how many
/// branches deep it is (computed when it opens), and the row selected.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TreeState {
    pub rows: Vec<(NodeId, usize)>,
    pub selected: usize,
}

pub struct Screen {
    pub mode: Mode,
    /// The conversation pane (or the compare columns) has the keyboard.
    pub focus_conversation: bool,
    /// The message selected in the conversation pane.
    pub selected: Option<NodeId>,
    /// Which code block CopyCode copied last: (message, block).
    pub code_cursor: Option<(NodeId, usize)>,
    /// How far the help overlay is scrolled.
    pub help_scroll: u16,
    /// What the conversation pane should scroll by (the view applies it).
    pub scroll: ScrollRequest,
    /// What the focused compare column should scroll by.
    pub column_scroll: ScrollRequest,
    /// A one-line message in the status area (what just happened).
    pub flash: Option<String>,
    pub show_reasoning: bool,
    /// The mouse selection, while there is one.
    pub selection: Option<Selection>,
    /// The last click (app clock ms, cell, how many in a row): a double
    /// and a triple click.
    pub last_click: Option<(u64, u16, u16, u8)>,
}

impl Default for Screen {
    fn default() -> Screen {
        Screen {
            mode: Mode::Chat,
            focus_conversation: false,
            selected: None,
            code_cursor: None,
            help_scroll: 0,
            scroll: ScrollRequest::default(),
            column_scroll: ScrollRequest::default(),
            flash: None,
            show_reasoning: true,
            selection: None,
            last_click: None,
        }
    }
}
