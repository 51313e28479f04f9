//! The default keys of every screen, each with what it does: the keymap
//! reads them, help lists them, and every hint that names a key asks the
//! keymap in force for it (so a `[keys]` remapping shows everywhere).

use crossterm::event::{KeyCode, KeyModifiers};

use super::{Action, Context};

/// One default binding.
pub struct Binding {
    pub context: Context,
    pub keys: &'static [(KeyModifiers, KeyCode)],
    pub action: Action,
    pub description: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const ALT: KeyModifiers = KeyModifiers::ALT;

const fn b(
    context: Context,
    keys: &'static [(KeyModifiers, KeyCode)],
    action: Action,
    description: &'static str,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        description,
    }
}

use Action as A;
use Context as C;

/// Every default binding, screen by screen, in the order help lists them.
pub const DEFAULTS: &[Binding] = &[
    // ---- the chat screen (the input box has the keyboard)
    b(
        C::Chat,
        &[(NONE, KeyCode::Enter)],
        A::Send,
        "send the message",
    ),
    b(
        C::Chat,
        &[(SHIFT, KeyCode::Enter), (ALT, KeyCode::Enter)],
        A::Newline,
        "new line in the message",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::Esc)],
        A::Stop,
        "stop the answer (in a round, the focused column); the partial text stays",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('p'))],
        A::OpenPicker,
        "choose the model (also /model)",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('o'))],
        A::OpenCost,
        "cost per model, the account (also /cost)",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('t'))],
        A::ToggleReasoning,
        "show or fold reasoning",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('y'))],
        A::AcceptOffer,
        "take the offer: the paid twin after a daily limit, a model that reads the attachment, a pasted file path attached",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('v'))],
        A::PasteClipboard,
        "attach the clipboard's image (a screenshot) as a PNG; text is pasted",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::F(2))],
        A::Attach,
        "attach an image: a file path or an https URL (also /attach)",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::F(3))],
        A::Detach,
        "remove the last attachment (also /detach [N])",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('s')), (NONE, KeyCode::F(5))],
        A::Sessions,
        "saved conversations: search, open, rename, delete (also /sessions)",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('k'))],
        A::CopyAnswer,
        "copy the last answer (or the selected message) to the clipboard",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('b'))],
        A::CopyCode,
        "copy a code block of the last answer; again for the next one",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('e'))],
        A::EditInEditor,
        "compose the message in $VISUAL / $EDITOR",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::Tab)],
        A::FocusConversation,
        "focus the conversation (a round's columns when one is on screen); completes a /command being typed",
    ),
    b(
        C::Chat,
        &[(ALT, KeyCode::Left)],
        A::PrevSibling,
        "the answer before this one (a retry, an edit, a compared answer): another branch",
    ),
    b(
        C::Chat,
        &[(ALT, KeyCode::Right)],
        A::NextSibling,
        "the answer after this one: another branch",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::F(4))],
        A::OpenImage,
        "open the latest generated image in the system viewer",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::PageUp)],
        A::ScrollUp,
        "scroll up a page",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::PageDown)],
        A::ScrollDown,
        "scroll down a page",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Home)],
        A::ScrollTop,
        "scroll to the top",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::End)],
        A::ScrollBottom,
        "scroll to the bottom (follow new text)",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::Up)],
        A::HistoryPrev,
        "earlier prompt (when the box is empty)",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::Down)],
        A::HistoryNext,
        "later prompt (when recalling)",
    ),
    b(
        C::Chat,
        &[(NONE, KeyCode::F(1)), (SHIFT, KeyCode::Char('?'))],
        A::Help,
        "this help (a key that types, such as ?, only when the box is empty)",
    ),
    b(
        C::Chat,
        &[(CTRL, KeyCode::Char('c'))],
        A::Quit,
        "stop the answer (a round's, all of them), or ask to quit",
    ),
    b(C::Chat, &[(CTRL, KeyCode::Char('d'))], A::ForceQuit, "quit"),
    // ---- the conversation pane has the keyboard
    b(
        C::Focus,
        &[(NONE, KeyCode::Char('j')), (NONE, KeyCode::Down)],
        A::LineDown,
        "scroll down a line",
    ),
    b(
        C::Focus,
        &[(NONE, KeyCode::Char('k')), (NONE, KeyCode::Up)],
        A::LineUp,
        "scroll up a line",
    ),
    b(
        C::Focus,
        &[(CTRL, KeyCode::Char('d'))],
        A::HalfPageDown,
        "scroll down half a page",
    ),
    b(
        C::Focus,
        &[(CTRL, KeyCode::Char('u'))],
        A::HalfPageUp,
        "scroll up half a page",
    ),
    b(
        C::Focus,
        &[(NONE, KeyCode::Char('g')), (NONE, KeyCode::Home)],
        A::Top,
        "to the top",
    ),
    b(
        C::Focus,
        &[(SHIFT, KeyCode::Char('G')), (NONE, KeyCode::End)],
        A::Bottom,
        "to the bottom",
    ),
    b(
        C::Focus,
        &[(NONE, KeyCode::Char('['))],
        A::SelectPrev,
        "select the message before",
    ),
    b(
        C::Focus,
        &[(NONE, KeyCode::Char(']'))],
        A::SelectNext,
        "select the message after",
    ),
    b(
        C::Focus,
        &[(NONE, KeyCode::Left), (NONE, KeyCode::Char('h'))],
        A::PrevSibling,
        "the selected message's sibling before (another branch)",
    ),
    b(
        C::Focus,
        &[(NONE, KeyCode::Right), (NONE, KeyCode::Char('l'))],
        A::NextSibling,
        "the selected message's sibling after (another branch)",
    ),
    b(
        C::Focus,
        &[(NONE, KeyCode::Char('y'))],
        A::CopySelected,
        "copy the selected message",
    ),
    b(
        C::Focus,
        &[(NONE, KeyCode::Char('c'))],
        A::CopySelectedCode,
        "copy the selected message's next code block",
    ),
    b(
        C::Focus,
        &[
            (NONE, KeyCode::Tab),
            (NONE, KeyCode::Esc),
            (NONE, KeyCode::Char('i')),
        ],
        A::Unfocus,
        "back to the input",
    ),
    // ---- the columns of a comparison round (after Tab)
    b(
        C::Compare,
        &[
            (NONE, KeyCode::Right),
            (NONE, KeyCode::Tab),
            (NONE, KeyCode::Char('l')),
        ],
        A::NextColumn,
        "the next column",
    ),
    b(
        C::Compare,
        &[
            (NONE, KeyCode::Left),
            (SHIFT, KeyCode::BackTab),
            (NONE, KeyCode::Char('h')),
        ],
        A::PrevColumn,
        "the column before",
    ),
    b(
        C::Compare,
        &[(NONE, KeyCode::Enter)],
        A::Keep,
        "keep this answer: it becomes the reply, its model the current one (also /keep N)",
    ),
    b(
        C::Compare,
        &[(NONE, KeyCode::Esc)],
        A::StopColumn,
        "stop this column (the others go on); back to the input when it is done",
    ),
    b(
        C::Compare,
        &[(NONE, KeyCode::Char('j')), (NONE, KeyCode::Down)],
        A::LineDown,
        "scroll the column down a line",
    ),
    b(
        C::Compare,
        &[(NONE, KeyCode::Char('k')), (NONE, KeyCode::Up)],
        A::LineUp,
        "scroll the column up a line",
    ),
    b(
        C::Compare,
        &[(CTRL, KeyCode::Char('d')), (NONE, KeyCode::PageDown)],
        A::HalfPageDown,
        "scroll the column down half a page",
    ),
    b(
        C::Compare,
        &[(CTRL, KeyCode::Char('u')), (NONE, KeyCode::PageUp)],
        A::HalfPageUp,
        "scroll the column up half a page",
    ),
    b(
        C::Compare,
        &[(NONE, KeyCode::Char('g')), (NONE, KeyCode::Home)],
        A::Top,
        "the column's top",
    ),
    b(
        C::Compare,
        &[(SHIFT, KeyCode::Char('G')), (NONE, KeyCode::End)],
        A::Bottom,
        "the column's bottom",
    ),
    b(
        C::Compare,
        &[(NONE, KeyCode::Char('i'))],
        A::Unfocus,
        "back to the input",
    ),
    // ---- the whole tree (/tree)
    b(
        C::Tree,
        &[(NONE, KeyCode::Up), (NONE, KeyCode::Char('k'))],
        A::ListUp,
        "the message above",
    ),
    b(
        C::Tree,
        &[(NONE, KeyCode::Down), (NONE, KeyCode::Char('j'))],
        A::ListDown,
        "the message below",
    ),
    b(
        C::Tree,
        &[(NONE, KeyCode::PageUp)],
        A::ListPageUp,
        "a page up",
    ),
    b(
        C::Tree,
        &[(NONE, KeyCode::PageDown)],
        A::ListPageDown,
        "a page down",
    ),
    b(
        C::Tree,
        &[(NONE, KeyCode::Enter)],
        A::Choose,
        "go there: the path through it is the current one",
    ),
    b(
        C::Tree,
        &[(NONE, KeyCode::Esc), (NONE, KeyCode::Char('q'))],
        A::Close,
        "close",
    ),
    // ---- the model picker (type to filter)
    b(
        C::Picker,
        &[(NONE, KeyCode::Up)],
        A::ListUp,
        "the model above",
    ),
    b(
        C::Picker,
        &[(NONE, KeyCode::Down)],
        A::ListDown,
        "the model below",
    ),
    b(
        C::Picker,
        &[(NONE, KeyCode::PageUp)],
        A::ListPageUp,
        "a page up",
    ),
    b(
        C::Picker,
        &[(NONE, KeyCode::PageDown)],
        A::ListPageDown,
        "a page down",
    ),
    b(
        C::Picker,
        &[(NONE, KeyCode::Enter)],
        A::Choose,
        "use the model (with 2 to 4 marked: compare them)",
    ),
    b(
        C::Picker,
        &[(NONE, KeyCode::Char(' '))],
        A::Mark,
        "mark or unmark the model to compare",
    ),
    b(C::Picker, &[(NONE, KeyCode::Esc)], A::Close, "close"),
    // ---- saved conversations (type to search)
    b(
        C::Sessions,
        &[(NONE, KeyCode::Up)],
        A::ListUp,
        "the conversation above",
    ),
    b(
        C::Sessions,
        &[(NONE, KeyCode::Down)],
        A::ListDown,
        "the conversation below",
    ),
    b(
        C::Sessions,
        &[(NONE, KeyCode::PageUp)],
        A::ListPageUp,
        "a page up",
    ),
    b(
        C::Sessions,
        &[(NONE, KeyCode::PageDown)],
        A::ListPageDown,
        "a page down",
    ),
    b(
        C::Sessions,
        &[(NONE, KeyCode::Enter)],
        A::Choose,
        "open it (or keep the new title)",
    ),
    b(
        C::Sessions,
        &[(NONE, KeyCode::Esc)],
        A::Close,
        "close (or cancel the new title)",
    ),
    b(
        C::Sessions,
        &[(CTRL, KeyCode::Char('r'))],
        A::RenameSession,
        "rename the selected conversation",
    ),
    b(
        C::Sessions,
        &[(CTRL, KeyCode::Char('x'))],
        A::DeleteSession,
        "delete the selected conversation (asks first)",
    ),
    // ---- help and the cost panel
    b(
        C::Help,
        &[(NONE, KeyCode::Up), (NONE, KeyCode::Char('k'))],
        A::ListUp,
        "scroll up",
    ),
    b(
        C::Help,
        &[(NONE, KeyCode::Down), (NONE, KeyCode::Char('j'))],
        A::ListDown,
        "scroll down",
    ),
    b(
        C::Help,
        &[(NONE, KeyCode::PageUp)],
        A::ListPageUp,
        "a page up",
    ),
    b(
        C::Help,
        &[(NONE, KeyCode::PageDown)],
        A::ListPageDown,
        "a page down",
    ),
    b(
        C::Help,
        &[
            (NONE, KeyCode::Esc),
            (NONE, KeyCode::Enter),
            (NONE, KeyCode::Char('q')),
        ],
        A::Close,
        "close",
    ),
    b(
        C::Cost,
        &[
            (NONE, KeyCode::Esc),
            (NONE, KeyCode::Enter),
            (NONE, KeyCode::Char('q')),
        ],
        A::Close,
        "close",
    ),
    // ---- the attach prompt (type a path or URL)
    b(C::Attach, &[(NONE, KeyCode::Enter)], A::Choose, "attach it"),
    b(C::Attach, &[(NONE, KeyCode::Esc)], A::Close, "cancel"),
    // ---- questions: quit? send over budget? leave out old turns?
    b(
        C::Confirm,
        &[(NONE, KeyCode::Char('y')), (NONE, KeyCode::Enter)],
        A::Yes,
        "yes",
    ),
    b(
        C::Confirm,
        &[(NONE, KeyCode::Char('n')), (NONE, KeyCode::Esc)],
        A::No,
        "no",
    ),
    b(
        C::Confirm,
        &[(NONE, KeyCode::Char('p'))],
        A::PickAnother,
        "pick another model (when the conversation is too long for this one)",
    ),
];
