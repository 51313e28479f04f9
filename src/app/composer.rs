//! The composer: the input box, the prompts sent before (for Up/Down), the
//! images waiting to go with the next prompt, and the prompt being edited.

use ratatui_textarea::TextArea;

use super::conversation::NodeId;
use crate::chat::attach::Attachment;

pub struct Composer {
    pub input: TextArea<'static>,
    /// Earlier prompts, oldest first, and where Up/Down recall is.
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
    /// Images to send with the next prompt.
    pub attachments: Vec<Attachment>,
    /// The prompt `/edit` took back: the draft goes as its sibling (a new
    /// branch), not after it.
    pub editing: Option<NodeId>,
}

/// An empty input box as the app shows it, with `placeholder` when empty.
fn new_input(placeholder: &str) -> TextArea<'static> {
    let mut input = TextArea::default();
    input.set_cursor_line_style(ratatui::style::Style::default());
    // Dim, not a colour: the same under NO_COLOR and every theme.
    input.set_placeholder_style(
        ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
    );
    input.set_placeholder_text(placeholder.to_string());
    input
}

impl Composer {
    pub fn new(placeholder: &str) -> Composer {
        Composer {
            input: new_input(placeholder),
            history: Vec::new(),
            history_pos: None,
            attachments: Vec::new(),
            editing: None,
        }
    }

    /// What is in the box.
    pub fn draft(&self) -> String {
        self.input.lines().join("\n")
    }

    /// Replaces what is in the box with `text`, the cursor at its end. A new
    /// box, not "select all, cut, type": the text area's select-all stops at
    /// line and column 65,535, so a bigger paste would stay behind (and be
    /// sent again, or doubled by an editor round trip).
    pub fn set(&mut self, text: &str) {
        self.input = new_input(self.input.placeholder_text());
        self.input.insert_str(text);
    }

    pub fn set_placeholder(&mut self, text: &str) {
        self.input.set_placeholder_text(text.to_string());
    }
}
