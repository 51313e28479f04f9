//! The chat screen's keys and the conversation pane's: what each action
//! does, typing and pasting, prompt history, completing a /command, and the
//! pane's own keys (scroll, select, walk to a sibling, copy).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::conversation::NodeId;
use super::effect::{Effect, Fx};
use super::screen::Mode;
use super::scroll::Jump;
use super::state::App;
use super::{ask, branches, commands, compare, model, panels, picker, sessions};
use crate::keymap::{Action, Context};

/// An action of the chat screen. `key` is the key that asked for it: a
/// binding on a plain character types it instead when the box has text.
pub(super) fn chat_action(app: &mut App, a: Action, key: Option<KeyEvent>, fx: &mut Fx) {
    let empty = app.draft().is_empty();
    let plain_char = key.is_some_and(|k| {
        matches!(k.code, KeyCode::Char(_)) && (k.modifiers - KeyModifiers::SHIFT).is_empty()
    });
    let applies = match a {
        Action::HistoryPrev => empty || app.composer.history_pos.is_some(),
        Action::HistoryNext => app.composer.history_pos.is_some(),
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
        Action::Send => send(app, fx),
        Action::Newline => {
            app.composer.input.insert_newline();
        }
        // In a round: the focused column only.
        Action::Stop if compare::stop_focused(app, fx) => {}
        Action::Stop => ask::stop_all(app, fx),
        Action::Quit => {
            if app.is_busy() {
                ask::stop_all(app, fx);
            } else {
                app.screen.mode = Mode::ConfirmQuit;
            }
        }
        Action::ForceQuit => ask::quit(app, fx),
        Action::OpenPicker => picker::open(app),
        Action::OpenCost => panels::open_cost(app, fx),
        Action::Help => {
            app.screen.help_scroll = 0;
            app.screen.mode = Mode::Help;
        }
        Action::ToggleReasoning => app.screen.show_reasoning = !app.screen.show_reasoning,
        Action::ScrollUp => app.screen.scroll.pages -= 1,
        Action::ScrollDown => app.screen.scroll.pages += 1,
        Action::ScrollTop => app.screen.scroll.jump(Jump::Top),
        Action::ScrollBottom => app.screen.scroll.jump(Jump::Bottom),
        Action::HistoryPrev => recall(app, -1),
        Action::HistoryNext => recall(app, 1),
        Action::PrevSibling => branches::walk_last(app, -1, fx),
        Action::NextSibling => branches::walk_last(app, 1, fx),
        Action::AcceptOffer => accept_offer(app, fx),
        Action::PasteClipboard => fx.push(Effect::PasteClipboard),
        Action::Attach => panels::open_attach(app),
        Action::Detach => {
            app.screen.flash = Some(match app.composer.attachments.pop() {
                Some(a) => format!("removed {}", a.label()),
                None => "no attachment to remove".into(),
            })
        }
        Action::Sessions => sessions::open(app, fx),
        Action::CopyAnswer => copy_message(app, fx),
        Action::CopyCode => copy_code(app, fx),
        Action::EditInEditor => fx.push(Effect::Edit(app.draft())),
        Action::FocusConversation if complete_command(app) => {}
        Action::FocusConversation if at_token(app).is_some() => {
            // `@path` and Tab: the runtime looks for what it could be.
            let partial = at_token(app).unwrap_or_default();
            fx.push(Effect::CompletePath(partial));
        }
        Action::FocusConversation if app.conversation.open_ask().is_some() => focus_columns(app),
        Action::FocusConversation => focus(app),
        Action::OpenImage => match latest_image(app) {
            Some(path) => {
                app.screen.flash = Some(format!("opening {path}"));
                fx.push(Effect::Open(path));
            }
            None => app.screen.flash = Some("no saved image yet".into()),
        },
        _ => {}
    }
}

/// Enter: a `/command` runs; anything else is a prompt.
pub(super) fn send(app: &mut App, fx: &mut Fx) {
    let draft = app.draft();
    let trimmed = draft.trim();
    // `!command`: asked first, then its output attached (never sent as is).
    if let Some(cmd) = trimmed.strip_prefix('!').map(str::trim)
        && !cmd.is_empty()
        && !cmd.contains('\n')
    {
        let command = cmd.to_string();
        app.composer.set("");
        app.screen.mode = Mode::ConfirmCommand { command };
        return;
    }
    if trimmed.starts_with('/') && !trimmed.starts_with("//") {
        let line = trimmed.to_string();
        app.composer.set("");
        commands::run(app, &line, fx);
        return;
    }
    ask::send(app, fx);
}

/// The way out on offer (Ctrl+Y): the model switched, then the draft sent
/// or the last prompt asked again.
fn accept_offer(app: &mut App, fx: &mut Fx) {
    let waiting = app
        .conversation
        .live()
        .filter_map(|i| app.conversation.reply(i))
        .any(|r| r.timing.retry_at_ms.is_some());
    match app.chat.offer.take() {
        // A pasted path: out of the box, into the attachments.
        Some(super::chat::Offer {
            attach: Some(path), ..
        }) => {
            let text = app.composer.draft();
            if let Some(i) = text.rfind(path.as_str()) {
                let rest = format!("{}{}", &text[..i], &text[i + path.len()..]);
                app.composer.set(rest.trim_end());
            }
            fx.push(Effect::LoadAttachment(path));
        }
        // Taken during a rate limit's countdown: the wait is given up
        // (nothing came of it) and the paid twin asked instead.
        Some(o) if waiting => {
            ask::stop_all(app, fx);
            model::use_model(app, &o.model);
            ask::ask_again(app, fx);
        }
        Some(o) if !app.is_busy() => match (o.resend, o.leave_out) {
            (true, Some(from)) => {
                model::use_model(app, &o.model);
                ask::ask_again_leaving_out(app, from, fx);
            }
            (true, None) => {
                model::use_model(app, &o.model);
                ask::ask_again(app, fx);
            }
            (false, _) => {
                model::switch_model(app, &o.model, fx);
                ask::send(app, fx);
            }
        },
        _ => {}
    }
}

/// A key that is no binding: typed into the input box.
pub(super) fn chat_text(app: &mut App, k: KeyEvent) {
    app.composer.history_pos = None;
    // A control or bidi character arriving as a key (a terminal without
    // bracketed paste types a paste out key by key) goes in visibly too.
    if let KeyCode::Char(c) = k.code
        && let std::borrow::Cow::Owned(shown) = crate::text::sanitize(c.encode_utf8(&mut [0; 4]))
    {
        app.composer.input.insert_str(shown);
    } else {
        app.composer.input.input(k);
    }
}

/// The `@path` being typed at the end of the draft (without the `@`).
fn at_token(app: &App) -> Option<String> {
    let draft = app.draft();
    if draft.ends_with(char::is_whitespace) {
        return None;
    }
    let last = draft.rsplit(char::is_whitespace).next()?;
    last.strip_prefix('@').map(str::to_string)
}

/// What `@partial` completes to: one file is attached (and leaves the
/// box), one folder opens for the next Tab, several share what they can
/// and are listed.
pub(super) fn paths_found(app: &mut App, partial: &str, found: Vec<String>, fx: &mut Fx) {
    if at_token(app).as_deref() != Some(partial) {
        return; // typed on meanwhile
    }
    let draft = app.draft();
    let head = &draft[..draft.len() - partial.len() - 1];
    match found.as_slice() {
        [] => app.screen.flash = Some(format!("no file matches @{partial}")),
        [one] if !one.ends_with('/') => {
            app.composer.set(head.trim_end());
            fx.push(Effect::LoadAttachment(one.clone()));
        }
        [one] => app.composer.set(&format!("{head}@{one}")),
        many => {
            let mut common = many[0].clone();
            for m in &many[1..] {
                while !m.starts_with(&common) {
                    common.pop();
                }
            }
            if common.len() > partial.len() {
                app.composer.set(&format!("{head}@{common}"));
            }
            let names: Vec<&str> = many
                .iter()
                .take(12)
                .map(|m| m.trim_end_matches('/').rsplit('/').next().unwrap_or(m))
                .collect();
            let more = many.len().saturating_sub(12);
            app.screen.flash = Some(if more > 0 {
                format!("{} · +{more} more", names.join(" · "))
            } else {
                names.join(" · ")
            });
        }
    }
}

/// Tab on a `/command` being typed completes it (or lists the candidates).
fn complete_command(app: &mut App) -> bool {
    let draft = app.draft();
    // `/role NA` and `/preset NA`: the config's names.
    for (cmd, names) in [
        ("/role ", app.chat.roles.keys().cloned().collect::<Vec<_>>()),
        ("/preset ", app.chat.presets.keys().cloned().collect()),
    ] {
        if let Some(part) = draft.strip_prefix(cmd)
            && !part.contains(char::is_whitespace)
        {
            let hits: Vec<&String> = names.iter().filter(|n| n.starts_with(part)).collect();
            match hits.as_slice() {
                [] => app.screen.flash = Some(format!("no {}starts with {part}", &cmd[1..])),
                [one] => app.composer.set(&format!("{cmd}{one}")),
                many => {
                    app.screen.flash = Some(
                        many.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(" · "),
                    )
                }
            }
            return true;
        }
    }
    if !draft.starts_with('/') || draft.contains(char::is_whitespace) {
        return false;
    }
    match crate::keymap::commands::complete(&draft).as_slice() {
        [] => app.screen.flash = Some(format!("no command starts with {draft}")),
        [one] => app.composer.set(&format!("{one} ")),
        many => app.screen.flash = Some(many.join(" · ")),
    }
    true
}

fn focus(app: &mut App) {
    app.screen.focus_conversation = true;
    app.screen.selected = app
        .conversation
        .last_reply()
        .or(app.conversation.last_prompt());
    let k = |a| app.env.keymap.key_in(Context::Focus, a);
    app.screen.flash = Some(format!(
        "conversation: {}/{} scroll · {} {} select · {} {} branches · {} copy · {} back",
        k(Action::LineDown),
        k(Action::LineUp),
        k(Action::SelectPrev),
        k(Action::SelectNext),
        k(Action::PrevSibling),
        k(Action::NextSibling),
        k(Action::CopySelected),
        k(Action::Unfocus)
    ));
}

/// The compare columns take the keyboard.
fn focus_columns(app: &mut App) {
    app.screen.focus_conversation = true;
    let k = |a| app.env.keymap.key_in(Context::Compare, a);
    app.screen.flash = Some(format!(
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
    app.screen.focus_conversation = false;
    app.screen.selected = None;
}

/// An action of the conversation pane.
pub(super) fn focus_action(app: &mut App, a: Action, fx: &mut Fx) {
    let s = &mut app.screen.scroll;
    match a {
        Action::Unfocus => unfocus(app),
        Action::HalfPageUp => s.half_pages -= 1,
        Action::HalfPageDown => s.half_pages += 1,
        Action::LineDown => s.lines += 1,
        Action::LineUp => s.lines -= 1,
        Action::Top => s.jump(Jump::Top),
        Action::Bottom => s.jump(Jump::Bottom),
        Action::SelectPrev | Action::SelectNext => {
            let path = app.conversation.path();
            if let Some(&last) = path.last() {
                let at = app
                    .screen
                    .selected
                    .and_then(|s| path.iter().position(|&i| i == s))
                    .unwrap_or(path.len());
                let to = if a == Action::SelectPrev {
                    at.saturating_sub(1)
                } else {
                    (at + 1).min(path.len() - 1)
                };
                app.screen.selected = Some(path.get(to).copied().unwrap_or(last));
            }
        }
        Action::PrevSibling => branches::walk_selected(app, -1, fx),
        Action::NextSibling => branches::walk_selected(app, 1, fx),
        Action::CopySelected => copy_message(app, fx),
        Action::CopySelectedCode => copy_code(app, fx),
        _ => {}
    }
}

pub(super) fn paste(app: &mut App, text: &str, fx: &mut Fx) {
    // One line that may be a file's path (dragged from a file manager,
    // copied from a shell): the runtime looks, and offers to attach it.
    let line = text.trim();
    if matches!(app.screen.mode, Mode::Chat)
        && !line.contains('\n')
        && (line.starts_with('/') || line.starts_with("~/") || line.starts_with("file://"))
        && line.len() < 4096
    {
        fx.push(Effect::CheckPastedPath(line.to_string()));
    }
    // Terminals send CRLF or CR in pastes; the input box wants \n. Other
    // controls and bidi overrides (a paste from a web page or a log can carry
    // escape sequences) go in as their visible placeholders: the input box
    // would otherwise hide them, and what is shown is what is sent.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = crate::text::sanitize(&text).into_owned();
    match &mut app.screen.mode {
        Mode::Picker(p) => {
            p.filter.push_str(text.lines().next().unwrap_or(""));
            picker::refilter(app);
        }
        Mode::Chat | Mode::Attach { .. } => {
            app.composer.input.insert_str(text);
        }
        _ => {}
    }
}

fn recall(app: &mut App, dir: i64) {
    let c = &mut app.composer;
    if c.history.is_empty() {
        return;
    }
    let last = c.history.len() as i64 - 1;
    let pos = match c.history_pos {
        None if dir < 0 => last,
        None => return,
        Some(p) => p as i64 + dir,
    };
    if pos > last {
        c.history_pos = None;
        c.set("");
        return;
    }
    let pos = pos.clamp(0, last) as usize;
    c.history_pos = Some(pos);
    let text = c.history[pos].clone();
    c.set(&text);
}

// ------------------------------------------------------------------ copying

/// The message copy and open act on: the selected one, else the open
/// round's focused column, else the last answer.
fn target(app: &App) -> Option<NodeId> {
    let c = &app.conversation;
    app.screen
        .selected
        .or_else(|| c.open_ask().map(|o| o.answers[o.focus]))
        .or_else(|| c.last_reply())
}

/// A message's text.
fn message_text(app: &App, id: NodeId) -> Option<String> {
    let c = &app.conversation;
    c.prompt(id)
        .map(|p| p.text.clone())
        .or_else(|| c.reply(id).map(|r| r.answer.text.clone()))
        .or_else(|| c.note(id).map(|n| n.text.clone()))
}

fn copy_message(app: &mut App, fx: &mut Fx) {
    let Some(id) = target(app) else {
        app.screen.flash = Some("nothing to copy yet".into());
        return;
    };
    let what = if app.screen.selected.is_some() {
        "the selected message"
    } else {
        "the last answer"
    };
    if let Some(text) = message_text(app, id) {
        fx.push(Effect::Copy {
            text,
            what: what.to_string(),
        });
    }
}

/// Copies a fenced code block of the selected message (else the last
/// answer); each press takes the next one, wrapping round.
fn copy_code(app: &mut App, fx: &mut Fx) {
    let Some(id) = target(app) else {
        app.screen.flash = Some("nothing to copy yet".into());
        return;
    };
    let blocks = crate::markdown::code_blocks(&message_text(app, id).unwrap_or_default());
    if blocks.is_empty() {
        app.screen.flash = Some("no code block in that message".into());
        return;
    }
    let current = app
        .screen
        .code_cursor
        .filter(|(e, _)| *e == id)
        .map(|(_, b)| b);
    let n = crate::markdown::next_index(blocks.len(), current).unwrap_or(0);
    app.screen.code_cursor = Some((id, n));
    fx.push(Effect::Copy {
        text: blocks[n].clone(),
        what: format!("code block {} of {}", n + 1, blocks.len()),
    });
}

/// The selected message's generated image (or the focused column's), else
/// the most recent one saved on the current path.
fn latest_image(app: &App) -> Option<String> {
    let c = &app.conversation;
    let saved = |id: NodeId| {
        c.reply(id)?
            .answer
            .image_paths
            .iter()
            .rev()
            .find_map(|p| p.as_ref().ok().cloned())
    };
    if let Some(id) = app
        .screen
        .selected
        .or_else(|| c.open_ask().map(|o| o.answers[o.focus]))
        && let Some(p) = saved(id)
    {
        return Some(p);
    }
    let path = c.path();
    let upto = app
        .screen
        .selected
        .and_then(|s| path.iter().position(|&i| i == s))
        .map_or(path.len(), |i| i + 1);
    path[..upto].iter().rev().find_map(|&i| saved(i))
}
