//! Small screens opened from the chat: the attach prompt (a path or URL
//! typed in place of the draft, with its own placeholder) and the cost
//! panel (the account refreshed when it is a minute old).

use super::effect::{Effect, Fx};
use super::screen::Mode;
use super::state::App;
use crate::keymap::Action;

/// The attach prompt: the draft waits while a path or URL is typed.
pub(super) fn open_attach(app: &mut App) {
    let stashed_draft = app.draft();
    app.composer.set("");
    app.composer
        .set_placeholder("a file path (~/photo.png) or an https:// URL");
    app.screen.mode = Mode::Attach { stashed_draft };
}

/// Back from the attach prompt: the draft as it was, the chat's placeholder.
fn close_attach(app: &mut App, stashed_draft: &str) {
    app.composer.set(stashed_draft);
    let placeholder = app.chat_placeholder();
    app.composer.set_placeholder(&placeholder);
    app.screen.mode = Mode::Chat;
}

pub(super) fn attach_action(app: &mut App, a: Action, fx: &mut Fx) {
    let Mode::Attach { stashed_draft } = app.screen.mode.clone() else {
        return;
    };
    match a {
        Action::Close => close_attach(app, &stashed_draft),
        Action::Choose => {
            let arg = app.draft().trim().to_string();
            close_attach(app, &stashed_draft);
            if !arg.is_empty() {
                fx.push(Effect::LoadAttachment(arg));
            }
        }
        _ => {}
    }
}

/// The cost panel; the account in it is refreshed when it is a minute old.
pub(super) fn open_cost(app: &mut App, fx: &mut Fx) {
    app.screen.mode = Mode::Cost;
    let now = app.env.now_ms;
    if app.env.openrouter && app.wallet.account_due(now) {
        app.wallet.account_asked_ms = Some(now);
        fx.push(Effect::FetchAccount);
    }
}
