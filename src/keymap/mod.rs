//! Keys are data: each binding has an action and a description, and the help
//! overlay is generated from the same table the key handling uses.

mod chords;

pub use chords::{chord_label, parse_chord};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Send,
    Newline,
    Stop,
    Quit,
    ForceQuit,
    OpenPicker,
    OpenCost,
    Help,
    ToggleReasoning,
    ScrollUp,
    ScrollDown,
    ScrollTop,
    ScrollBottom,
    HistoryPrev,
    HistoryNext,
    AcceptOffer,
    Attach,
    Detach,
    OpenImage,
    Sessions,
    CopyAnswer,
    CopyCode,
    EditInEditor,
    FocusConversation,
}

pub struct Binding {
    pub keys: &'static [(KeyModifiers, KeyCode)],
    pub label: &'static str,
    pub action: Action,
    pub description: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const ALT: KeyModifiers = KeyModifiers::ALT;

/// The chat screen's keys, in the order help lists them.
pub const CHAT: &[Binding] = &[
    Binding {
        keys: &[(NONE, KeyCode::Enter)],
        label: "Enter",
        action: Action::Send,
        description: "send the message",
    },
    Binding {
        keys: &[(SHIFT, KeyCode::Enter), (ALT, KeyCode::Enter)],
        label: "Shift/Alt+Enter",
        action: Action::Newline,
        description: "new line in the message",
    },
    Binding {
        keys: &[(NONE, KeyCode::Esc)],
        label: "Esc",
        action: Action::Stop,
        description: "stop the answer (the partial text stays)",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('p'))],
        label: "Ctrl+P",
        action: Action::OpenPicker,
        description: "choose the model (also /model)",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('o'))],
        label: "Ctrl+O",
        action: Action::OpenCost,
        description: "cost per model (also /cost)",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('t'))],
        label: "Ctrl+T",
        action: Action::ToggleReasoning,
        description: "show or fold reasoning",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('y'))],
        label: "Ctrl+Y",
        action: Action::AcceptOffer,
        description: "take the offered model (the paid twin after a daily limit, an image reader) and send",
    },
    Binding {
        keys: &[(NONE, KeyCode::F(2))],
        label: "F2",
        action: Action::Attach,
        description: "attach an image: a file path or an https URL (also /attach)",
    },
    Binding {
        keys: &[(NONE, KeyCode::F(3))],
        label: "F3",
        action: Action::Detach,
        description: "remove the last attachment (also /detach [N])",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('s')), (NONE, KeyCode::F(5))],
        label: "Ctrl+S / F5",
        action: Action::Sessions,
        description: "saved conversations: search, open, rename (Ctrl+R), delete (Ctrl+X)",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('k'))],
        label: "Ctrl+K",
        action: Action::CopyAnswer,
        description: "copy the last answer (or the selected message) to the clipboard",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('b'))],
        label: "Ctrl+B",
        action: Action::CopyCode,
        description: "copy a code block of the last answer; again for the next one",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('e'))],
        label: "Ctrl+E",
        action: Action::EditInEditor,
        description: "compose the message in $VISUAL / $EDITOR",
    },
    Binding {
        keys: &[(NONE, KeyCode::Tab)],
        label: "Tab",
        action: Action::FocusConversation,
        description: "focus the conversation: j/k g/G Ctrl+U/Ctrl+D scroll, [ ] select, y copy, c code, Tab back",
    },
    Binding {
        keys: &[(NONE, KeyCode::F(4))],
        label: "F4",
        action: Action::OpenImage,
        description: "open the latest generated image in the system viewer",
    },
    Binding {
        keys: &[(NONE, KeyCode::PageUp)],
        label: "PgUp",
        action: Action::ScrollUp,
        description: "scroll up",
    },
    Binding {
        keys: &[(NONE, KeyCode::PageDown)],
        label: "PgDn",
        action: Action::ScrollDown,
        description: "scroll down",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Home)],
        label: "Ctrl+Home",
        action: Action::ScrollTop,
        description: "scroll to the top",
    },
    Binding {
        keys: &[(CTRL, KeyCode::End)],
        label: "Ctrl+End",
        action: Action::ScrollBottom,
        description: "scroll to the bottom (follow new text)",
    },
    Binding {
        keys: &[(NONE, KeyCode::Up)],
        label: "Up",
        action: Action::HistoryPrev,
        description: "earlier prompt (when the box is empty)",
    },
    Binding {
        keys: &[(NONE, KeyCode::Down)],
        label: "Down",
        action: Action::HistoryNext,
        description: "later prompt (when recalling)",
    },
    Binding {
        keys: &[(NONE, KeyCode::F(1)), (SHIFT, KeyCode::Char('?'))],
        label: "F1 / ?",
        action: Action::Help,
        description: "this help (? when the box is empty)",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('c'))],
        label: "Ctrl+C",
        action: Action::Quit,
        description: "stop the answer, or ask to quit",
    },
    Binding {
        keys: &[(CTRL, KeyCode::Char('d'))],
        label: "Ctrl+D",
        action: Action::ForceQuit,
        description: "quit",
    },
];

/// Slash commands, for help and completion.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "/model [ID]",
        "choose the model (opens the picker without an id)",
    ),
    ("/system TEXT", "set the system prompt (empty clears it)"),
    (
        "/reasoning off|low|medium|high|N",
        "reasoning effort or token budget",
    ),
    ("/attach PATH|URL", "attach an image to the next message"),
    ("/sessions", "saved conversations (Ctrl+S)"),
    (
        "/budget [conversation|day] [AMOUNT|off]",
        "show or set the spending caps",
    ),
    (
        "/preset NAME",
        "use a system prompt from the config's [presets]",
    ),
    ("/rename TITLE", "name this conversation"),
    (
        "/export [PATH] [--json]",
        "write this conversation as Markdown or JSON",
    ),
    ("/detach [N]", "remove attachment N (all without N)"),
    (
        "/retry [MODEL]",
        "regenerate the last answer, optionally with another model",
    ),
    ("/edit", "edit the last prompt and resend"),
    ("/clear", "start a new conversation"),
    ("/cost", "cost per model"),
    ("/help", "keys and commands"),
    ("/quit", "quit"),
];

/// The keys in force: the defaults above, with the config's remappings.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(KeyModifiers, KeyCode, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: CHAT
                .iter()
                .flat_map(|b| b.keys.iter().map(move |(m, c)| (*m, *c, b.action)))
                .collect(),
        }
    }
}

impl Keymap {
    /// The defaults with `overrides` (action name, chord) applied: a
    /// remapped action loses its default keys, and a chord taken by a
    /// remapping no longer does what it did. Unknown names are skipped (the
    /// config check reports them).
    pub fn with_overrides(overrides: &[(String, KeyModifiers, KeyCode)]) -> Keymap {
        let mut km = Keymap::default();
        let mut remapped: Vec<Action> = Vec::new();
        for (name, m, c) in overrides {
            let Some(action) = CHAT
                .iter()
                .map(|b| b.action)
                .find(|a| action_name(*a) == *name)
            else {
                continue;
            };
            if !remapped.contains(&action) {
                km.bindings.retain(|(_, _, a)| *a != action);
                remapped.push(action);
            }
            km.bindings.retain(|(bm, bc, _)| !(bm == m && bc == c));
            km.bindings.push((*m, *c, action));
        }
        km
    }

    /// The action bound to a key. Terminals report Shift on some
    /// characters ('?', 'G'), so a binding with Shift also matches without.
    pub fn lookup(&self, key: &KeyEvent) -> Option<Action> {
        let mods = key.modifiers;
        self.bindings
            .iter()
            .find(|(m, c, _)| {
                *c == key.code
                    && (*m == mods
                        || (*m == SHIFT && mods == NONE && matches!(c, KeyCode::Char(_))))
            })
            .map(|(_, _, a)| *a)
    }

    /// The keys for `action`, as help shows them ("Ctrl+P / F1").
    pub fn label(&self, action: Action) -> String {
        let labels: Vec<String> = self
            .bindings
            .iter()
            .filter(|(_, _, a)| *a == action)
            .map(|(m, c, _)| chord_label(*m, *c))
            .collect();
        if labels.is_empty() {
            "(unbound)".to_string()
        } else {
            labels.join(" / ")
        }
    }
}

/// `OpenPicker` -> `open_picker`: how the config names actions.
pub fn action_name(action: Action) -> String {
    let mut name = String::new();
    for (i, c) in format!("{action:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

/// Actions the app adds beyond the keymap's table (clipboard and editor),
/// bindable before the keymap has entries for them.
pub const EXTRA_ACTIONS: &[(&str, &str)] = &[
    ("copy_answer", "copy the last answer"),
    ("copy_code", "copy the next code block (cycles)"),
    ("edit_in_editor", "compose the message in $VISUAL / $EDITOR"),
];

/// Every action `[keys]` may bind, with what it does: the keymap's actions
/// (read from its table, so new ones are bindable at once) and
/// [`EXTRA_ACTIONS`].
pub fn key_actions() -> Vec<(String, &'static str)> {
    let mut all: Vec<(String, &'static str)> = Vec::new();
    for b in CHAT {
        let name = action_name(b.action);
        if !all.iter().any(|(n, _)| *n == name) {
            all.push((name, b.description));
        }
    }
    for (name, what) in EXTRA_ACTIONS {
        if !all.iter().any(|(n, _)| n == name) {
            all.push((name.to_string(), what));
        }
    }
    all
}

/// The keymap action an action name stands for; `None` for
/// [`EXTRA_ACTIONS`] the keymap has no variant for, and for unknown names.
pub fn action_by_name(name: &str) -> Option<Action> {
    CHAT.iter()
        .map(|b| b.action)
        .find(|a| action_name(*a) == name)
}
