//! Keys are data. Each screen (`Context`) has its own table of bindings,
//! each with what it does (`tables::DEFAULTS`); the config's `[keys]` remaps
//! any action by name. The app turns a key into an `Action` through the
//! table of the screen in force before it acts on it, and every label that
//! names a key (help, the hint line, hints in messages, overlay titles) is
//! asked of the keymap in force, so a remapping shows everywhere.
//!
//! `commands` is the slash commands' one table: parsing, help and
//! completion. `chords` parses and prints key chords.

mod chords;
pub mod commands;
pub mod tables;

pub use chords::{chord_label, parse_chord};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Which table a key is looked up in: the screen that has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The input box.
    Chat,
    /// The conversation pane (after Tab).
    Focus,
    Picker,
    Sessions,
    Help,
    Cost,
    /// The attach prompt.
    Attach,
    /// A yes/no question.
    Confirm,
    /// The columns of a comparison round (after Tab).
    Compare,
    /// The whole tree (`/tree`).
    Tree,
}

impl Context {
    /// Every screen, in the order help lists them.
    pub const ALL: [Context; 10] = [
        Context::Chat,
        Context::Focus,
        Context::Compare,
        Context::Tree,
        Context::Picker,
        Context::Sessions,
        Context::Attach,
        Context::Confirm,
        Context::Help,
        Context::Cost,
    ];

    /// The screen's name in the config (`[keys.picker]`).
    pub fn name(self) -> &'static str {
        match self {
            Context::Chat => "chat",
            Context::Focus => "conversation",
            Context::Picker => "picker",
            Context::Sessions => "sessions",
            Context::Help => "help",
            Context::Cost => "cost",
            Context::Attach => "attach",
            Context::Confirm => "confirm",
            Context::Compare => "compare",
            Context::Tree => "tree",
        }
    }

    /// The screen a config name stands for.
    pub fn by_name(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }

    /// How help titles this screen's keys.
    pub fn title(self) -> &'static str {
        match self {
            Context::Chat => "chat",
            Context::Focus => "conversation pane",
            Context::Picker => "model picker",
            Context::Sessions => "saved conversations",
            Context::Help => "help",
            Context::Cost => "cost panel",
            Context::Attach => "attach prompt",
            Context::Confirm => "questions",
            Context::Compare => "compare columns",
            Context::Tree => "the conversation's tree",
        }
    }
}

/// What a key does. The config names an action in snake_case
/// (`OpenPicker` is `open_picker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    // The chat screen.
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
    /// Attach the clipboard's image (or paste its text).
    PasteClipboard,
    Detach,
    OpenImage,
    Sessions,
    CopyAnswer,
    CopyCode,
    EditInEditor,
    FocusConversation,
    /// The sibling before (or after) the last answer, or the last prompt
    /// when it was edited: another branch.
    PrevSibling,
    NextSibling,
    // The conversation pane.
    LineUp,
    LineDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    SelectPrev,
    SelectNext,
    CopySelected,
    CopySelectedCode,
    Unfocus,
    // Lists and prompts.
    ListUp,
    ListDown,
    ListPageUp,
    ListPageDown,
    Choose,
    Close,
    RenameSession,
    DeleteSession,
    // Questions.
    Yes,
    No,
    PickAnother,
    // Compare mode.
    Mark,
    NextColumn,
    PrevColumn,
    Keep,
    StopColumn,
}

/// One remapping from the config: `action` on `chord`, on one screen
/// (`[keys.picker] close = "ctrl+g"`) or, with no screen, on every screen
/// the action is on (`[keys] close = "ctrl+g"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyOverride {
    pub context: Option<Context>,
    pub action: Action,
    pub chord: (KeyModifiers, KeyCode),
}

impl KeyOverride {
    /// The screens it applies to.
    pub fn contexts(&self) -> Vec<Context> {
        match self.context {
            Some(c) => vec![c],
            None => contexts_of(self.action),
        }
    }
}

/// The keys in force: the defaults, with the config's remappings.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Context, KeyModifiers, KeyCode, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: tables::DEFAULTS
                .iter()
                .flat_map(|b| {
                    b.keys
                        .iter()
                        .map(move |(m, c)| (b.context, *m, *c, b.action))
                })
                .collect(),
        }
    }
}

impl Keymap {
    /// The defaults with `overrides` applied. A remapped action loses its
    /// default keys on the screens the remapping covers; a chord taken by a
    /// remapping no longer does what it did there. Screen remappings come
    /// after the global ones, so on their screen they win.
    pub fn with_overrides(overrides: &[KeyOverride]) -> Keymap {
        let mut km = Keymap::default();
        let global = overrides.iter().filter(|o| o.context.is_none());
        let screen = overrides.iter().filter(|o| o.context.is_some());
        // (screen, action, by a screen remapping): default keys already dropped.
        let mut cleared: Vec<(Context, Action, bool)> = Vec::new();
        for o in global.chain(screen) {
            let by_screen = o.context.is_some();
            let (m, c) = o.chord;
            for ctx in o.contexts() {
                if !cleared.contains(&(ctx, o.action, by_screen)) {
                    km.bindings
                        .retain(|(x, _, _, a)| !(*x == ctx && *a == o.action));
                    cleared.push((ctx, o.action, by_screen));
                }
                km.bindings
                    .retain(|(x, bm, bc, _)| !(*x == ctx && *bm == m && *bc == c));
                km.bindings.push((ctx, m, c, o.action));
            }
        }
        km
    }

    /// The action a key does on a screen. Terminals report Shift on some
    /// characters ('?', 'G'), so a binding with Shift also matches without.
    pub fn action(&self, context: Context, key: &KeyEvent) -> Option<Action> {
        let mods = key.modifiers;
        self.bindings
            .iter()
            .find(|(x, m, c, _)| {
                *x == context
                    && *c == key.code
                    // BackTab comes with Shift from some terminals, without from others.
                    && (*c == KeyCode::BackTab
                        || *m == mods
                        || (*m == KeyModifiers::SHIFT
                            && mods == KeyModifiers::NONE
                            && matches!(c, KeyCode::Char(_))))
            })
            .map(|(_, _, _, a)| *a)
    }

    /// The chat screen's action for a key (the app's global keys).
    pub fn lookup(&self, key: &KeyEvent) -> Option<Action> {
        self.action(Context::Chat, key)
    }

    /// Every key for `action`, as help shows them ("Ctrl+S / F5").
    pub fn label(&self, action: Action) -> String {
        self.labels_in(None, action)
    }

    /// The keys for `action` on one screen ("Esc").
    pub fn label_in(&self, context: Context, action: Action) -> String {
        self.labels_in(Some(context), action)
    }

    fn labels_in(&self, context: Option<Context>, action: Action) -> String {
        let mut labels: Vec<String> = Vec::new();
        for (x, m, c, a) in &self.bindings {
            if *a == action && context.is_none_or(|ctx| ctx == *x) {
                let l = chord_label(*m, *c);
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
        }
        if labels.is_empty() {
            "(unbound)".to_string()
        } else {
            labels.join(" / ")
        }
    }

    /// The first key for `action`, for hints in running text ("Ctrl+P").
    pub fn key(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(_, _, _, a)| *a == action)
            .map_or_else(
                || "(unbound)".to_string(),
                |(_, m, c, _)| chord_label(*m, *c),
            )
    }

    /// The first key for `action` on one screen.
    pub fn key_in(&self, context: Context, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(x, _, _, a)| *x == context && *a == action)
            .map_or_else(
                || "(unbound)".to_string(),
                |(_, m, c, _)| chord_label(*m, *c),
            )
    }

    /// The bindings of a screen in force, with their descriptions, for help.
    pub fn help_rows(&self, context: Context) -> Vec<(String, &'static str)> {
        let mut rows: Vec<(String, &'static str)> = Vec::new();
        for b in tables::DEFAULTS.iter().filter(|b| b.context == context) {
            if rows.iter().any(|(_, d)| *d == b.description) {
                continue;
            }
            rows.push((self.label_in(context, b.action), b.description));
        }
        rows
    }
}

/// The screens an action is bound on by default (where it does something).
pub fn contexts_of(action: Action) -> Vec<Context> {
    let mut out = Vec::new();
    for b in tables::DEFAULTS.iter().filter(|b| b.action == action) {
        if !out.contains(&b.context) {
            out.push(b.context);
        }
    }
    out
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

/// Every action `[keys]` may bind, with what it does (its first
/// description), in the order help lists them.
pub fn key_actions() -> Vec<(String, &'static str)> {
    let mut all: Vec<(String, &'static str)> = Vec::new();
    for b in tables::DEFAULTS {
        let name = action_name(b.action);
        if !all.iter().any(|(n, _)| *n == name) {
            all.push((name, b.description));
        }
    }
    all
}

/// The action an action name stands for; `None` for unknown names.
pub fn action_by_name(name: &str) -> Option<Action> {
    tables::DEFAULTS
        .iter()
        .map(|b| b.action)
        .find(|a| action_name(*a) == name)
}
