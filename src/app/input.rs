//! The input box and the conversation pane: what the chat screen's actions
//! do, typing and pasting, prompt history, completing a /command, the attach
//! prompt, and the pane's own keys (scroll, select, copy).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::state::{App, Entry, Jump, Mode};
use super::update::Fx;
use super::{Effect, compare, picker, sessions, turn};
use crate::keymap::{Action, Context};

/// An action of the chat screen. `key` is the key that asked for it: a
/// binding on a plain character types it instead when the box has text.
pub(super) fn chat_action(app: &mut App, a: Action, key: Option<KeyEvent>, fx: &mut Fx) {
    let empty = app.draft().is_empty();
    let plain_char = key.is_some_and(|k| {
        matches!(k.code, KeyCode::Char(_)) && (k.modifiers - KeyModifiers::SHIFT).is_empty()
    });
    let applies = match a {
        Action::HistoryPrev => empty || app.history_pos.is_some(),
        Action::HistoryNext => app.history_pos.is_some(),
        // Typed characters win over bindings when the box has text.
        _ => !plain_char || empty,
    };
    if !applies {
        if let Some(k) = key {
            chat_text(app, k);
        }
        return;
    }
    match a {
        Action::Send => turn::send(app, fx),
        Action::Newline => {
            app.input.insert_newline();
        }
        // In a round: the focused column only.
        Action::Stop if compare::stop_focused(app, fx) => {}
        Action::Stop => turn::stop(app, fx),
        Action::Quit => {
            if app.is_busy() {
                turn::stop(app, fx);
                compare::stop_all(app, fx);
            } else {
                app.mode = Mode::ConfirmQuit;
            }
        }
        Action::ForceQuit => turn::quit(app, fx),
        Action::OpenPicker => picker::open(app),
        Action::OpenCost => open_cost(app, fx),
        Action::Help => {
            app.help_scroll = 0;
            app.mode = Mode::Help;
        }
        Action::ToggleReasoning => {
            app.show_reasoning = !app.show_reasoning;
            app.redraw_all();
        }
        Action::ScrollUp => app.scroll.pages -= 1,
        Action::ScrollDown => app.scroll.pages += 1,
        Action::ScrollTop => app.scroll.jump(Jump::Top),
        Action::ScrollBottom => app.scroll.jump(Jump::Bottom),
        Action::HistoryPrev => recall(app, -1),
        Action::HistoryNext => recall(app, 1),
        Action::AcceptOffer => match app.offer.take() {
            // Taken during a rate limit's countdown: the wait is given up
            // (nothing came of it) and the paid twin asked instead.
            Some(o)
                if app
                    .pending
                    .as_ref()
                    .is_some_and(|p| p.retry_at_ms.is_some()) =>
            {
                turn::stop(app, fx);
                super::commands::switch_model(app, &o.model, fx);
                turn::resend(app, fx);
            }
            Some(o) if !app.is_busy() => {
                super::commands::switch_model(app, &o.model, fx);
                match (o.resend, o.leave_out) {
                    (true, Some(from)) => turn::resend_leaving_out(app, from, fx),
                    (true, None) => turn::resend(app, fx),
                    (false, _) => turn::send(app, fx),
                }
            }
            _ => {}
        },
        Action::Attach => open_attach(app),
        Action::Detach => match app.attachments.pop() {
            Some(a) => app.flash = Some(format!("removed {}", a.label())),
            None => app.flash = Some("no attachment to remove".into()),
        },
        Action::Sessions => sessions::open(app, fx),
        Action::CopyAnswer => copy_message(app, fx),
        Action::CopyCode => copy_code(app, fx),
        Action::EditInEditor => fx.push(Effect::Edit(app.draft())),
        Action::FocusConversation if complete_command(app) => {}
        Action::FocusConversation if compare::open_round(app).is_some() => focus_columns(app),
        Action::FocusConversation => focus(app),
        Action::OpenImage => match latest_image(app) {
            Some(path) => {
                app.flash = Some(format!("opening {path}"));
                fx.push(Effect::Open(path));
            }
            None => app.flash = Some("no saved image yet".into()),
        },
        _ => {}
    }
}

/// A key that is no binding: typed into the input box.
pub(super) fn chat_text(app: &mut App, k: KeyEvent) {
    app.history_pos = None;
    // A control or bidi character arriving as a key (a terminal without
    // bracketed paste types a paste out key by key) goes in visibly too.
    if let KeyCode::Char(c) = k.code
        && let std::borrow::Cow::Owned(shown) = crate::text::sanitize(c.encode_utf8(&mut [0; 4]))
    {
        app.input.insert_str(shown);
    } else {
        app.input.input(k);
    }
}

/// Tab on a `/command` being typed completes it (or lists the candidates).
fn complete_command(app: &mut App) -> bool {
    let draft = app.draft();
    if !draft.starts_with('/') || draft.contains(char::is_whitespace) {
        return false;
    }
    match crate::keymap::commands::complete(&draft).as_slice() {
        [] => app.flash = Some(format!("no command starts with {draft}")),
        [one] => set_input(app, &format!("{one} ")),
        many => app.flash = Some(many.join(" · ")),
    }
    true
}

fn focus(app: &mut App) {
    app.focus_conversation = true;
    app.selected = app
        .entries
        .iter()
        .rposition(|e| matches!(e, Entry::Assistant { .. }));
    app.redraw_all();
    let k = |a| app.keymap.key_in(Context::Focus, a);
    app.flash = Some(format!(
        "conversation: {}/{} scroll · {} {} select · {} copy · {} code · {} back",
        k(Action::LineDown),
        k(Action::LineUp),
        k(Action::SelectPrev),
        k(Action::SelectNext),
        k(Action::CopySelected),
        k(Action::CopySelectedCode),
        k(Action::Unfocus)
    ));
}

/// The compare columns take the keyboard.
fn focus_columns(app: &mut App) {
    app.focus_conversation = true;
    let k = |a| app.keymap.key_in(Context::Compare, a);
    app.flash = Some(format!(
        "columns: {}/{} move · {} keeps · {} stops one · {}/{} scroll · {} back",
        k(Action::PrevColumn),
        k(Action::NextColumn),
        k(Action::Keep),
        k(Action::StopColumn),
        k(Action::LineDown),
        k(Action::LineUp),
        k(Action::Unfocus)
    ));
}

pub(super) fn unfocus(app: &mut App) {
    app.focus_conversation = false;
    app.selected = None;
    app.redraw_all();
}

/// An action of the conversation pane.
pub(super) fn focus_action(app: &mut App, a: Action, fx: &mut Fx) {
    match a {
        Action::Unfocus => unfocus(app),
        Action::HalfPageUp => app.scroll.half_pages -= 1,
        Action::HalfPageDown => app.scroll.half_pages += 1,
        Action::LineDown => app.scroll.lines += 1,
        Action::LineUp => app.scroll.lines -= 1,
        Action::Top => app.scroll.jump(Jump::Top),
        Action::Bottom => app.scroll.jump(Jump::Bottom),
        Action::SelectPrev | Action::SelectNext => {
            let n = app.entries.len();
            if n > 0 {
                let cur = app.selected.unwrap_or(n);
                app.selected = Some(if a == Action::SelectPrev {
                    cur.saturating_sub(1)
                } else {
                    (cur + 1).min(n - 1)
                });
                app.redraw_all();
            }
        }
        Action::CopySelected => copy_message(app, fx),
        Action::CopySelectedCode => copy_code(app, fx),
        _ => {}
    }
}

/// The attach prompt: a path or URL typed in place of the draft, with a
/// placeholder of its own.
pub(super) fn open_attach(app: &mut App) {
    let stashed_draft = app.draft();
    set_input(app, "");
    app.input
        .set_placeholder_text("a file path (~/photo.png) or an https:// URL");
    app.mode = Mode::Attach { stashed_draft };
}

/// Back from the attach prompt: the draft as it was, the chat's placeholder.
fn close_attach(app: &mut App, stashed_draft: &str) {
    set_input(app, stashed_draft);
    let placeholder = app.chat_placeholder();
    app.input.set_placeholder_text(placeholder);
    app.mode = Mode::Chat;
}

pub(super) fn attach_action(app: &mut App, a: Action, fx: &mut Fx) {
    let Mode::Attach { stashed_draft } = app.mode.clone() else {
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
    app.mode = Mode::Cost;
    let stale = app
        .account_asked_ms
        .is_none_or(|t| app.now_ms.saturating_sub(t) >= 60_000);
    if app.openrouter && stale {
        app.account_asked_ms = Some(app.now_ms);
        fx.push(Effect::FetchAccount);
    }
}

pub(super) fn paste(app: &mut App, text: &str) {
    // Terminals send CRLF or CR in pastes; the input box wants \n. Other
    // controls and bidi overrides (a paste from a web page or a log can carry
    // escape sequences) go in as their visible placeholders: the input box
    // would otherwise hide them, and what is shown is what is sent.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = crate::text::sanitize(&text).into_owned();
    match &mut app.mode {
        Mode::Picker(p) => {
            p.filter.push_str(text.lines().next().unwrap_or(""));
            picker::refilter(app);
        }
        Mode::Chat | Mode::Attach { .. } => {
            app.input.insert_str(text);
        }
        _ => {}
    }
}

fn recall(app: &mut App, dir: i64) {
    if app.history.is_empty() {
        return;
    }
    let last = app.history.len() as i64 - 1;
    let pos = match app.history_pos {
        None if dir < 0 => last,
        None => return,
        Some(p) => p as i64 + dir,
    };
    if pos > last {
        app.history_pos = None;
        set_input(app, "");
        return;
    }
    let pos = pos.clamp(0, last) as usize;
    app.history_pos = Some(pos);
    let text = app.history[pos].clone();
    set_input(app, &text);
}

/// Replaces what is in the box with `text`, the cursor at its end. A new
/// box, not "select all, cut, type": the text area's select-all stops at
/// line and column 65,535, so a bigger paste would stay behind (and be sent
/// again, or doubled by an editor round trip).
pub(super) fn set_input(app: &mut App, text: &str) {
    app.input = crate::app::state::new_input(app.input.placeholder_text());
    app.input.insert_str(text);
}

// ------------------------------------------------------------------ copying

fn last_answer_index(app: &App) -> Option<usize> {
    app.entries
        .iter()
        .rposition(|e| matches!(e, Entry::Assistant { .. } | Entry::Round(_)))
}

/// A round's answer to copy or open: the kept one, else the focused column.
fn round_answer(r: &super::round::Round) -> &crate::chat::answer::Answer {
    &r.columns[r.kept.unwrap_or(r.focus)].answer
}

/// The text of the selected message, or of the last answer.
fn message_text(app: &App, i: usize) -> Option<String> {
    match app.entries.get(i)? {
        Entry::User { text, .. } => Some(text.clone()),
        Entry::Assistant { answer, .. } => Some(answer.text.clone()),
        Entry::Round(r) => Some(round_answer(r).text.clone()),
        Entry::Error { text, .. } | Entry::Notice(text) => Some(text.clone()),
    }
}

fn copy_message(app: &mut App, fx: &mut Fx) {
    let Some(i) = app.selected.or_else(|| last_answer_index(app)) else {
        app.flash = Some("nothing to copy yet".into());
        return;
    };
    let what = if app.selected.is_some() {
        "the selected message"
    } else {
        "the last answer"
    };
    if let Some(text) = message_text(app, i) {
        fx.push(Effect::Copy {
            text,
            what: what.to_string(),
        });
    }
}

/// Copies a fenced code block of the selected message (else the last
/// answer); each press takes the next one, wrapping round.
fn copy_code(app: &mut App, fx: &mut Fx) {
    let Some(i) = app.selected.or_else(|| last_answer_index(app)) else {
        app.flash = Some("nothing to copy yet".into());
        return;
    };
    let blocks = crate::markdown::code_blocks(&message_text(app, i).unwrap_or_default());
    if blocks.is_empty() {
        app.flash = Some("no code block in that message".into());
        return;
    }
    let current = app.code_cursor.filter(|(e, _)| *e == i).map(|(_, b)| b);
    let n = crate::markdown::next_index(blocks.len(), current).unwrap_or(0);
    app.code_cursor = Some((i, n));
    fx.push(Effect::Copy {
        text: blocks[n].clone(),
        what: format!("code block {} of {}", n + 1, blocks.len()),
    });
}

/// The selected message's generated image, else the most recent one saved.
fn latest_image(app: &App) -> Option<String> {
    let upto = app.selected.map_or(app.entries.len(), |i| i + 1);
    app.entries[..upto.min(app.entries.len())]
        .iter()
        .rev()
        .find_map(|e| {
            let answer = match e {
                Entry::Assistant { answer, .. } => answer,
                Entry::Round(r) => round_answer(r),
                _ => return None,
            };
            answer
                .image_paths
                .iter()
                .rev()
                .find_map(|p| p.as_ref().ok().cloned())
        })
}
