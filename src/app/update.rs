//! `update`: one message in, state changed, effects out. Pure: no IO, no
//! clock (time arrives as `Msg::Tick`), no async.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::state::{App, Entry, Mode, Offer, Pending, PickerState};
use super::{Effect, Msg, StoreOp};
use crate::api::error::{ApiError, LimitScope};
use crate::api::sse::StreamEvent;
use crate::chat::answer::{Answer, Status};
use crate::chat::catalog::{Catalog, Model};
use crate::chat::pricing::{Charge, TurnCharge, estimate_tokens, format_usd, per_million};
use crate::chat::request::ReasoningSetting;
use crate::keymap::Action;
use crate::store::{StoredMessage, StoredRole};
use rust_decimal::Decimal;

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut effects = handle(app, msg);
    effects.append(&mut app.outbox);
    effects
}

fn handle(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(ms) => {
            app.now_ms = ms;
            Vec::new()
        }
        Msg::Resize => Vec::new(),
        Msg::Scroll(n) => {
            app.view.get_mut().pending_scroll += i64::from(n) * 3;
            Vec::new()
        }
        Msg::Paste(text) => {
            paste(app, &text);
            Vec::new()
        }
        Msg::Key(k) if k.kind != KeyEventKind::Release => key(app, k),
        Msg::Key(_) => Vec::new(),
        Msg::Stream { turn, event } => {
            stream_event(app, turn, event);
            Vec::new()
        }
        Msg::Failed { turn, error } => {
            if !is_current(app, turn) {
                return Vec::new();
            }
            if let Some(a) = answer_mut(app, turn) {
                a.fail(&error);
            }
            finish_turn(app, turn, Some(error))
        }
        Msg::Attached(result) => {
            match result {
                Ok(a) => {
                    app.flash = Some(format!("attached {}", a.label()));
                    app.attachments.push(a);
                    check_images_readable(app);
                }
                Err(e) => {
                    app.flash = None;
                    push_entry(
                        app,
                        Entry::Error {
                            text: format!("not attached: {e}"),
                            hint: Some("nothing was sent".into()),
                        },
                    );
                }
            }
            Vec::new()
        }
        Msg::ImagesSaved { turn, paths } => {
            if let Some(a) = answer_mut(app, turn) {
                a.image_paths = paths;
            }
            if let Some(i) = app
                .entries
                .iter()
                .rposition(|e| matches!(e, Entry::Assistant { turn: t, .. } if *t == turn))
            {
                save_entry(app, i);
            }
            app.render_cache.get_mut().clear();
            Vec::new()
        }
        Msg::Sessions(result) => {
            if let Mode::Sessions(s) = &mut app.mode {
                match result {
                    Ok(items) => {
                        s.selected = s.selected.min(items.len().saturating_sub(1));
                        s.items = items;
                        s.error = None;
                    }
                    Err(e) => s.error = Some(e),
                }
            }
            Vec::new()
        }
        Msg::SessionLoaded(result) => {
            match result {
                Ok(loaded) => {
                    let mut fx = stop(app);
                    app.restore(&loaded);
                    app.mode = Mode::Chat;
                    app.flash = Some(format!("opened conversation {}", loaded.id));
                    fx.append(&mut app.outbox);
                    return fx;
                }
                Err(e) => app.flash = Some(format!("cannot open it: {e}")),
            }
            Vec::new()
        }
        Msg::SavingOff(why) => {
            app.saving_off = Some(why);
            Vec::new()
        }
        Msg::Edited(result) => {
            match result {
                Ok(text) => {
                    set_input(app, &text);
                    app.flash = Some("back from the editor".into());
                }
                Err(e) => app.flash = Some(format!("editor: {e}")),
            }
            Vec::new()
        }
        Msg::Flash(text) => {
            app.flash = Some(text);
            Vec::new()
        }
        Msg::Catalog(c) => {
            app.catalog = *c;
            app.render_cache.get_mut().clear();
            Vec::new()
        }
        Msg::Ended { turn } => {
            if is_current(app, turn) {
                finish_turn(app, turn, None)
            } else {
                Vec::new()
            }
        }
        Msg::Settled { charge_id, usd } => {
            settled(app, &charge_id, usd);
            Vec::new()
        }
        Msg::Account(a) => {
            app.account = Some(*a);
            Vec::new()
        }
    }
}

/// OpenRouter said what an estimated charge really cost: the ledger, the
/// budget and the answer's header take it, marked settled, and it is saved.
fn settled(app: &mut App, charge_id: &str, usd: Decimal) {
    let Some(c) = app.charges.iter_mut().find(|c| c.id == charge_id) else {
        return;
    };
    let estimate = c.cost.usd;
    c.estimate = Some(estimate);
    c.cost = crate::chat::pricing::Cost::new(usd, crate::chat::pricing::CostKind::Settled);
    let (charge, generation) = (c.clone(), c.generation_id.clone());
    app.ledger = crate::chat::pricing::Ledger::of(&app.charges);
    app.budget.spent_here = crate::chat::pricing::sat_add(app.budget.spent_here, usd - estimate);
    app.outbox
        .push(Effect::Store(StoreOp::Charge(Box::new(charge.clone()))));
    let shown = app.entries.iter().rposition(|e| {
        matches!(e, Entry::Assistant { answer, cost: Some(_), .. }
            if answer.generation_id.is_some() && answer.generation_id == generation)
    });
    if let Some(i) = shown {
        if let Entry::Assistant { cost, .. } = &mut app.entries[i] {
            *cost = Some(charge.cost);
        }
        app.render_cache.get_mut().clear();
        save_entry(app, i);
    }
    app.flash = Some(format!(
        "cost settled with OpenRouter: {} (estimated {})",
        format_usd(usd),
        format_usd(estimate)
    ));
}

fn is_current(app: &App, turn: u64) -> bool {
    app.pending.as_ref().is_some_and(|p| p.turn == turn)
}

fn answer_mut(app: &mut App, turn: u64) -> Option<&mut Answer> {
    app.entries.iter_mut().rev().find_map(|e| match e {
        Entry::Assistant {
            turn: t, answer, ..
        } if *t == turn => Some(&mut **answer),
        _ => None,
    })
}

fn paste(app: &mut App, text: &str) {
    // Terminals send CRLF or CR in pastes; the input box wants \n. Other
    // controls and bidi overrides (a paste from a web page or a log can carry
    // escape sequences) go in as their visible placeholders: the input box
    // would otherwise hide them, and what is shown is what is sent.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = crate::text::sanitize(&text).into_owned();
    match &mut app.mode {
        Mode::Picker(p) => {
            p.filter.push_str(text.lines().next().unwrap_or(""));
            p.selected = 0;
        }
        Mode::Chat => {
            app.input.insert_str(text);
        }
        _ => {}
    }
}

// ------------------------------------------------------------------ streams

fn stream_event(app: &mut App, turn: u64, event: StreamEvent) {
    if !is_current(app, turn) {
        return; // A stopped or superseded turn: ignore what it still says.
    }
    let now = app.now_ms;
    if let Some(p) = app.pending.as_mut() {
        p.last_event_ms = now;
        match &event {
            StreamEvent::Retrying { wait, reason, .. } => {
                p.retry_at_ms = Some(now + wait.as_millis() as u64);
                p.retry_reason = Some(reason.to_string());
            }
            StreamEvent::Content(_) | StreamEvent::Reasoning(_) | StreamEvent::Image(_) => {
                p.retry_at_ms = None;
                p.retry_reason = None;
                p.first_token_ms.get_or_insert(now);
            }
            StreamEvent::Meta { .. } => {
                p.retry_at_ms = None;
            }
            _ => {}
        }
    }
    if matches!(event, StreamEvent::Retrying { .. }) {
        // Each retry is one more request against a `:free` day.
        count_free_request(app);
        return; // Shown as the countdown, not kept in the answer.
    }
    if let Some(a) = answer_mut(app, turn) {
        a.apply(&event);
    }
}

/// Settles the turn: its cost goes to the ledger, how it ended gets an entry
/// of its own (with what to do next), generated images are saved.
fn finish_turn(app: &mut App, turn: u64, error: Option<ApiError>) -> Vec<Effect> {
    let mut effects = Vec::new();
    app.pending = None;
    let catalog = &app.catalog;
    let idx = app
        .entries
        .iter()
        .rposition(|e| matches!(e, Entry::Assistant { turn: t, .. } if *t == turn));
    let mut follow_up = None;
    let mut replace_at = None;
    let mut own_failure = None;
    // Generated images are filed by conversation, named after the prompt.
    let folder = app.conversation_id.clone();
    let stem = format!(
        "{turn:03}-{}",
        slug(&last_prompt(&app.entries[..idx.unwrap_or(0)]))
    );
    if let Some(i) = idx
        && let Entry::Assistant { answer, cost, .. } = &mut app.entries[i]
    {
        if !answer.status.is_final() {
            answer.conclude(false);
        }
        let nothing_came =
            !answer.received() && matches!(answer.status, Status::Failed | Status::Stopped);
        if nothing_came {
            replace_at = Some(i);
            own_failure = answer.failure.clone();
        } else {
            let c = answer.cost(catalog);
            let computed = answer.usage.as_ref().and_then(|u| {
                catalog
                    .pricing(answer.model())
                    .map(|p| p.compute(u, answer.images_in))
            });
            let charge = Charge {
                id: format!(
                    "{}/{}/{turn}",
                    app.conversation_id,
                    app.clock_base_ms + app.now_ms
                ),
                conversation_id: app.conversation_id.clone(),
                generation_id: answer.generation_id.clone(),
                created_ms: app.clock_base_ms + app.now_ms,
                ..Charge::of_turn(&TurnCharge {
                    model: answer.model(),
                    cost: c,
                    usage: answer.usage.as_ref(),
                    estimate: answer.estimate(),
                    computed,
                })
            };
            app.ledger.add_charge(&charge);
            app.charges.push(charge.clone());
            // A cost OpenRouter did not report (stopped, dropped, usage
            // missing) is settled with /generation in the background.
            if app.openrouter
                && charge.cost.kind == crate::chat::pricing::CostKind::Estimated
                && let Some(generation_id) = charge.generation_id.clone()
            {
                effects.push(Effect::Settle {
                    charge_id: charge.id.clone(),
                    generation_id,
                });
            }
            app.outbox
                .push(Effect::Store(StoreOp::Charge(Box::new(charge))));
            *cost = Some(c);
            app.budget.spent_here = crate::chat::pricing::sat_add(app.budget.spent_here, c.usd);
            if !answer.images.is_empty() {
                effects.push(Effect::SaveImages {
                    turn,
                    folder: folder.clone(),
                    stem: stem.clone(),
                    images: answer.images.clone(),
                });
            }
            if error.is_none() {
                follow_up = ending_entry(answer, &app.settings);
            }
        }
    }
    if let Some(err) = error.or(own_failure) {
        follow_up = Some(error_entry(app, &err));
    }
    // The account after an answer, at most once a minute.
    if app.openrouter
        && app
            .account_asked_ms
            .is_none_or(|t| app.now_ms.saturating_sub(t) >= 60_000)
    {
        app.account_asked_ms = Some(app.now_ms);
        effects.push(Effect::FetchAccount);
    }
    match (replace_at, idx) {
        // Nothing arrived: the failed request leaves only its error, in the
        // answer's place (so no saved message changes its position).
        (Some(i), _) => {
            app.entries[i] = match follow_up {
                // Refused before any answer: exactly $0, and the entry says so.
                Some(Entry::Error { text, hint }) => Entry::Error {
                    text,
                    hint: Some(match hint {
                        Some(h) => format!("{h} · nothing was billed"),
                        None => "nothing was billed".into(),
                    }),
                },
                Some(other) => other,
                None => Entry::Notice("stopped before any answer arrived".into()),
            };
            app.entries_changed_from(i);
            save_entry(app, i);
        }
        (None, i) => {
            if let Some(i) = i {
                save_entry(app, i);
            }
            if let Some(e) = follow_up {
                push_entry(app, e);
            }
        }
    }
    effects
}

/// How an answer that did not simply complete ended, and what to do about
/// it. `None` for a complete or stopped answer (the stop says itself).
fn ending_entry(answer: &Answer, settings: &crate::chat::request::Settings) -> Option<Entry> {
    let text = answer.error.clone()?;
    let hint = match answer.status {
        Status::Complete | Status::Stopped | Status::Waiting | Status::Streaming => return None,
        Status::CutShort if answer.spent_on_reasoning() => format!(
            "/reasoning low (or a smaller token budget) leaves room for the answer, or raise max_tokens{}; /retry asks again",
            limit_now(settings)
        ),
        Status::CutShort => format!(
            "raise max_tokens in the config (or ORCHAT_MAX_TOKENS){}, then /retry",
            limit_now(settings)
        ),
        Status::Blocked if answer.text.trim().is_empty() => {
            "rephrase with /edit, or Ctrl+P for another model".into()
        }
        Status::Blocked => {
            "the text above is kept; rephrase with /edit, or Ctrl+P for another model".into()
        }
        Status::Empty => "nothing to show: /retry asks again, or Ctrl+P for another model".into(),
        Status::Incomplete | Status::Failed => "the text above is kept; /retry asks again".into(),
    };
    let text = match answer.status {
        Status::Incomplete | Status::Failed => format!("answer incomplete: {text}"),
        _ => text,
    };
    Some(Entry::Error {
        text: crate::text::sanitize(&text).into_owned(),
        hint: Some(hint),
    })
}

fn limit_now(settings: &crate::chat::request::Settings) -> String {
    settings
        .max_tokens
        .map(|n| format!(" (now {n})"))
        .unwrap_or_default()
}

/// Appends an entry and saves it.
fn push_entry(app: &mut App, e: Entry) {
    app.entries.push(e);
    save_entry(app, app.entries.len() - 1);
}

/// Queues saving entry `i` (its position is its sequence number). A
/// streaming answer is saved when it ends.
fn save_entry(app: &mut App, i: usize) {
    let now = app.epoch_ms();
    let id = app.conversation_id.clone();
    let seq = i as u32;
    let msg = match &app.entries[i] {
        Entry::User { text, images } => StoredMessage::user(
            &id,
            seq,
            text,
            images.iter().map(|a| a.source.clone()).collect(),
            &app.model,
            now,
        ),
        Entry::Assistant { answer, cost, .. } => {
            StoredMessage::from_answer(&id, seq, answer, *cost, now)
        }
        Entry::Error { text, .. } => StoredMessage::new(&id, seq, StoredRole::Error, text, now),
        Entry::Notice(text) => StoredMessage::new(&id, seq, StoredRole::Notice, text, now),
    };
    app.outbox.push(Effect::Store(StoreOp::Put(Box::new(msg))));
}

/// Drops entries from `n` on, here and in the saved conversation.
fn truncate_entries(app: &mut App, n: usize) {
    app.entries.truncate(n);
    app.entries_changed_from(n);
    app.render_cache.get_mut().clear();
    app.outbox.push(Effect::Store(StoreOp::Truncate(n as u32)));
}

fn last_prompt(entries: &[Entry]) -> String {
    entries
        .iter()
        .rev()
        .find_map(|e| match e {
            Entry::User { text, .. } => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The first few words of a prompt, safe as a file name: "a red fox in snow" -> "a-red-fox-in-snow".
pub fn slug(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .take(6)
        .collect();
    let s: String = words.join("-").chars().take(48).collect();
    if s.is_empty() { "image".to_string() } else { s }
}

/// After an attachment: warn (and offer a model) when the current model
/// cannot read images. Returns false when it cannot.
fn check_images_readable(app: &mut App) -> bool {
    if app.attachments.is_empty() || app.current_model().is_none_or(|m| m.accepts_images()) {
        return true;
    }
    let readers: Vec<String> = app
        .catalog
        .image_input_models()
        .filter(|m| !m.outputs_images())
        .map(|m| m.id.clone())
        .take(4)
        .collect();
    let suggestion = readers.first().cloned();
    push_entry(
        app,
        Entry::Error {
            text: format!(
                "{} does not read images; models that do include {}",
                app.model,
                readers.join(", ")
            ),
            hint: suggestion
                .as_ref()
                .map(|m| format!("Ctrl+Y switches to {m} and sends; nothing was sent")),
        },
    );
    app.offer = suggestion.map(|model| Offer {
        model,
        resend: false,
    });
    false
}

fn error_entry(app: &mut App, err: &ApiError) -> Entry {
    let hint = match err {
        ApiError::Auth { .. } => Some(match &app.key_env {
            Some(var) => format!("set {var} (the key this provider reads) and restart"),
            None => "check the key for this provider and restart".to_string(),
        }),
        ApiError::Credits { .. } => Some("add credits, or Ctrl+P to pick a free model".to_string()),
        ApiError::NotFound { .. } => Some("Ctrl+P to pick another model".to_string()),
        ApiError::ContextTooLong { .. } => Some(
            "/clear starts a new conversation; Ctrl+P shows models with larger windows".to_string(),
        ),
        ApiError::RateLimited(r) if r.scope == LimitScope::PerDay => {
            // Only a twin the catalog has: one it lacks would be a 400.
            let paid = Model::paid_variant(&app.model).filter(|p| app.catalog.get(p).is_some());
            match paid {
                Some(paid) => {
                    app.offer = Some(Offer {
                        model: paid.to_string(),
                        resend: true,
                    });
                    Some(format!("Ctrl+Y switches to {paid} (paid) and resends"))
                }
                None if app.model.ends_with(":free") => Some(
                    "no paid twin of this model in the catalog: Ctrl+P for another, or wait until tomorrow"
                        .to_string(),
                ),
                None => Some("wait until tomorrow or add credits".to_string()),
            }
        }
        ApiError::RateLimited(_) => Some(
            "still limited after retrying: wait a minute, or Ctrl+P for another model".to_string(),
        ),
        ApiError::Timeout(_) | ApiError::Network(_) | ApiError::Upstream { .. } => {
            Some("/retry to try again".to_string())
        }
        _ => None,
    };
    Entry::Error {
        text: crate::text::sanitize(&err.to_string()).into_owned(),
        hint,
    }
}

// ------------------------------------------------------------------ keys

fn key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    app.flash = None;
    match app.mode.clone() {
        Mode::Chat => chat_key(app, k),
        Mode::Picker(p) => picker_key(app, k, p),
        Mode::Help
            if matches!(
                k.code,
                KeyCode::Down | KeyCode::Char('j') | KeyCode::PageDown
            ) =>
        {
            let step = if k.code == KeyCode::PageDown { 10 } else { 1 };
            app.help_scroll = app.help_scroll.saturating_add(step);
            Vec::new()
        }
        Mode::Help if matches!(k.code, KeyCode::Up | KeyCode::Char('k') | KeyCode::PageUp) => {
            let step = if k.code == KeyCode::PageUp { 10 } else { 1 };
            app.help_scroll = app.help_scroll.saturating_sub(step);
            Vec::new()
        }
        Mode::Cost | Mode::Help => {
            if matches!(
                k.code,
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::F(1)
            ) || app.keymap.lookup(&k) == Some(Action::OpenCost)
            {
                app.mode = Mode::Chat;
            }
            Vec::new()
        }
        Mode::Attach { stashed_draft } => attach_key(app, k, stashed_draft),
        Mode::Sessions(s) => sessions_key(app, k, s),
        Mode::ConfirmSend { .. } => {
            app.mode = Mode::Chat;
            match k.code {
                KeyCode::Char('y' | 'Y') => send_now(app),
                _ => {
                    app.flash = Some("not sent; the draft is kept".into());
                    Vec::new()
                }
            }
        }
        Mode::ConfirmContext { drop, .. } => {
            app.mode = Mode::Chat;
            match k.code {
                KeyCode::Char('y' | 'Y') if drop.is_some_and(|d| d > app.sent_from) => {
                    let drop = drop.unwrap_or_default();
                    let left_out = drop - app.sent_from;
                    app.sent_from = drop;
                    push_entry(
                        app,
                        Entry::Notice(format!(
                            "{left_out} older message{} left out of what is sent: they no longer fit {}'s context window",
                            if left_out == 1 { " is" } else { "s are" },
                            app.model
                        )),
                    );
                    // The notice is not sent; the draft goes as it was.
                    if over_window(app).is_some() {
                        app.flash =
                            Some("the draft alone is too long for this model: not sent".into());
                        return Vec::new();
                    }
                    send_now(app)
                }
                KeyCode::Char('p' | 'P') => {
                    open_picker(app);
                    app.flash = Some("not sent; pick a model with a larger window".into());
                    Vec::new()
                }
                _ => {
                    app.flash = Some("not sent; the draft is kept".into());
                    Vec::new()
                }
            }
        }
        Mode::ConfirmQuit => match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => quit(app),
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => quit(app),
            _ => {
                app.mode = Mode::Chat;
                Vec::new()
            }
        },
    }
}

fn attach_key(app: &mut App, k: KeyEvent, stashed: String) -> Vec<Effect> {
    match k.code {
        KeyCode::Esc => {
            set_input(app, &stashed);
            app.mode = Mode::Chat;
            Vec::new()
        }
        KeyCode::Enter => {
            let arg = app.draft().trim().to_string();
            set_input(app, &stashed);
            app.mode = Mode::Chat;
            if arg.is_empty() {
                Vec::new()
            } else {
                vec![Effect::LoadAttachment(arg)]
            }
        }
        _ => {
            app.input.input(k);
            Vec::new()
        }
    }
}

fn open_sessions(app: &mut App) -> Vec<Effect> {
    app.mode = Mode::Sessions(super::SessionsState::default());
    vec![Effect::ListSessions(String::new())]
}

/// The session browser: type to search, Enter opens, Ctrl+X deletes (after
/// y), Ctrl+R renames, Esc closes.
fn sessions_key(app: &mut App, k: KeyEvent, mut s: super::SessionsState) -> Vec<Effect> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let selected_id = s.items.get(s.selected).map(|i| i.meta.id.clone());
    if s.confirm_delete {
        s.confirm_delete = false;
        let mut fx = Vec::new();
        if let (KeyCode::Char('y' | 'Y'), Some(id)) = (k.code, &selected_id) {
            fx.push(Effect::Store(StoreOp::Delete(id.clone())));
            fx.push(Effect::ListSessions(s.query.clone()));
            app.flash = Some("conversation deleted".into());
            if *id == app.conversation_id {
                // The open conversation is gone: what follows starts afresh.
                app.conversation_id = fresh_id(app);
            }
        }
        app.mode = Mode::Sessions(s);
        return fx;
    }
    if let Some(mut title) = s.renaming.take() {
        match k.code {
            KeyCode::Enter => {
                let mut fx = Vec::new();
                if let Some(id) = selected_id {
                    fx.push(rename_op(&id, &title));
                    fx.push(Effect::ListSessions(s.query.clone()));
                }
                app.mode = Mode::Sessions(s);
                return fx;
            }
            KeyCode::Esc => {}
            KeyCode::Backspace => {
                title.pop();
                s.renaming = Some(title);
            }
            KeyCode::Char(c) if !ctrl => {
                title.push(c);
                s.renaming = Some(title);
            }
            _ => s.renaming = Some(title),
        }
        app.mode = Mode::Sessions(s);
        return Vec::new();
    }
    let mut fx = Vec::new();
    match k.code {
        KeyCode::Esc => {
            app.mode = Mode::Chat;
            return fx;
        }
        KeyCode::Enter => {
            if let Some(id) = selected_id {
                fx.push(Effect::LoadSession(id));
            }
        }
        KeyCode::Up => s.selected = s.selected.saturating_sub(1),
        KeyCode::Down => s.selected = (s.selected + 1).min(s.items.len().saturating_sub(1)),
        KeyCode::Char('x') if ctrl => s.confirm_delete = selected_id.is_some(),
        KeyCode::Char('r') if ctrl => {
            s.renaming = s.items.get(s.selected).map(|i| i.meta.title.clone());
        }
        KeyCode::Backspace => {
            s.query.pop();
            s.selected = 0;
            fx.push(Effect::ListSessions(s.query.clone()));
        }
        KeyCode::Char(c) if !ctrl => {
            s.query.push(c);
            s.selected = 0;
            fx.push(Effect::ListSessions(s.query.clone()));
        }
        _ => {}
    }
    app.mode = Mode::Sessions(s);
    fx
}

fn rename_op(id: &str, title: &str) -> Effect {
    Effect::Store(StoreOp::Rename {
        id: id.to_string(),
        title: title.trim().to_string(),
    })
}

/// A new conversation id: unique per process (the first id's random part)
/// and per moment (the clock), without reading either here.
fn fresh_id(app: &App) -> String {
    let base: String = app.conversation_id.chars().take(6).collect();
    format!("{base}{:x}", app.epoch_ms())
}

/// `/budget`, `/budget day 2.50`, `/budget conversation off`.
fn budget_command(app: &mut App, arg: &str) -> String {
    let show = |c: Option<Decimal>| c.map_or("none".to_string(), format_usd);
    let mut words = arg.split_whitespace();
    let (which, value) = (words.next(), words.next());
    let Some(which) = which else {
        return format!(
            "budget: conversation {} (spent {}), day {} (spent {})",
            show(app.budget.per_conversation),
            format_usd(app.total_cost()),
            show(app.budget.per_day),
            format_usd(app.spent_today())
        );
    };
    let cap = match value {
        Some("off" | "none") => None,
        Some(v) => match crate::chat::pricing::parse_decimal(v.trim_start_matches('$')) {
            Some(d) if d > Decimal::ZERO => Some(d),
            _ => return format!("budget: '{v}' is not an amount of dollars"),
        },
        None => return "budget: give an amount, e.g. /budget day 2.50, or off".into(),
    };
    match which {
        "conversation" | "conv" => app.budget.per_conversation = cap,
        "day" | "daily" => app.budget.per_day = cap,
        other => return format!("budget: '{other}' is neither conversation nor day"),
    }
    format!("budget for the {which}: {}", show(cap))
}

fn last_answer_index(app: &App) -> Option<usize> {
    app.entries
        .iter()
        .rposition(|e| matches!(e, Entry::Assistant { .. }))
}

/// The text of the selected message, or of the last answer.
fn message_text(app: &App, i: usize) -> Option<String> {
    match app.entries.get(i)? {
        Entry::User { text, .. } => Some(text.clone()),
        Entry::Assistant { answer, .. } => Some(answer.text.clone()),
        Entry::Error { text, .. } | Entry::Notice(text) => Some(text.clone()),
    }
}

fn copy_message(app: &mut App) -> Vec<Effect> {
    let Some(i) = app.selected.or_else(|| last_answer_index(app)) else {
        app.flash = Some("nothing to copy yet".into());
        return Vec::new();
    };
    let what = if app.selected.is_some() {
        "the selected message"
    } else {
        "the last answer"
    };
    match message_text(app, i) {
        Some(text) => vec![Effect::Copy {
            text,
            what: what.to_string(),
        }],
        None => Vec::new(),
    }
}

/// Copies a fenced code block of the selected message (else the last
/// answer); each press takes the next one, wrapping round.
fn copy_code(app: &mut App) -> Vec<Effect> {
    let Some(i) = app.selected.or_else(|| last_answer_index(app)) else {
        app.flash = Some("nothing to copy yet".into());
        return Vec::new();
    };
    let blocks = crate::markdown::code_blocks(&message_text(app, i).unwrap_or_default());
    if blocks.is_empty() {
        app.flash = Some("no code block in that message".into());
        return Vec::new();
    }
    let current = app.code_cursor.filter(|(e, _)| *e == i).map(|(_, b)| b);
    let n = crate::markdown::next_index(blocks.len(), current).unwrap_or(0);
    app.code_cursor = Some((i, n));
    vec![Effect::Copy {
        text: blocks[n].clone(),
        what: format!("code block {} of {}", n + 1, blocks.len()),
    }]
}

/// Keys while the conversation pane has the keyboard: vim-style scrolling,
/// selecting a message, copying it or its code.
fn conversation_key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let half = i64::from(app.view.get_mut().height.max(2)) / 2;
    let scroll = |app: &mut App, n: i64| app.view.get_mut().pending_scroll += n;
    match k.code {
        KeyCode::Tab | KeyCode::Esc | KeyCode::Char('i') => {
            app.focus_conversation = false;
            app.selected = None;
            app.render_cache.get_mut().clear();
        }
        KeyCode::Char('u') if ctrl => scroll(app, -half),
        KeyCode::Char('d') if ctrl => scroll(app, half),
        KeyCode::Char('j') | KeyCode::Down => scroll(app, 1),
        KeyCode::Char('k') | KeyCode::Up => scroll(app, -1),
        KeyCode::Char('g') | KeyCode::Home => app.view.get_mut().to_top = true,
        KeyCode::Char('G') | KeyCode::End => {
            let v = app.view.get_mut();
            v.anchor = None;
            v.pending_scroll = 0;
        }
        KeyCode::Char('[') | KeyCode::Char(']') => {
            let n = app.entries.len();
            if n > 0 {
                let cur = app.selected.unwrap_or(n);
                app.selected = Some(if k.code == KeyCode::Char('[') {
                    cur.saturating_sub(1)
                } else {
                    (cur + 1).min(n - 1)
                });
                app.render_cache.get_mut().clear();
            }
        }
        KeyCode::Char('y') => return copy_message(app),
        KeyCode::Char('c') => return copy_code(app),
        _ => {
            if app.keymap.lookup(&k).is_some() {
                // Global keys (quit, picker, help) still work here.
                app.focus_conversation = false;
                app.selected = None;
                app.render_cache.get_mut().clear();
                return chat_key(app, k);
            }
        }
    }
    Vec::new()
}

/// The selected message's generated image, else the most recent one saved.
fn latest_image(app: &App) -> Option<String> {
    let upto = app.selected.map_or(app.entries.len(), |i| i + 1);
    app.entries[..upto.min(app.entries.len())]
        .iter()
        .rev()
        .find_map(|e| match e {
            Entry::Assistant { answer, .. } => answer
                .image_paths
                .iter()
                .rev()
                .find_map(|p| p.as_ref().ok().cloned()),
            _ => None,
        })
}

fn quit(app: &mut App) -> Vec<Effect> {
    app.quit = true;
    let mut fx = stop(app);
    fx.push(Effect::Quit);
    fx
}

fn chat_key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    if app.focus_conversation {
        return conversation_key(app, k);
    }
    let empty = app.draft().is_empty();
    let action = app.keymap.lookup(&k).filter(|a| match a {
        // Typed characters win over bindings when the box has text.
        Action::Help => k.code == KeyCode::F(1) || empty,
        Action::HistoryPrev => empty || app.history_pos.is_some(),
        Action::HistoryNext => app.history_pos.is_some(),
        _ => true,
    });
    let Some(action) = action else {
        app.history_pos = None;
        // A control or bidi character arriving as a key (a terminal without
        // bracketed paste types a paste out key by key) goes in visibly too.
        if let KeyCode::Char(c) = k.code
            && let std::borrow::Cow::Owned(shown) =
                crate::text::sanitize(c.encode_utf8(&mut [0; 4]))
        {
            app.input.insert_str(shown);
        } else {
            app.input.input(k);
        }
        return Vec::new();
    };
    match action {
        Action::Send => send(app),
        Action::Newline => {
            app.input.insert_newline();
            Vec::new()
        }
        Action::Stop => stop(app),
        Action::Quit => {
            if app.is_busy() {
                stop(app)
            } else {
                app.mode = Mode::ConfirmQuit;
                Vec::new()
            }
        }
        Action::ForceQuit => quit(app),
        Action::OpenPicker => {
            open_picker(app);
            Vec::new()
        }
        Action::OpenCost => open_cost(app),
        Action::Help => {
            app.help_scroll = 0;
            app.mode = Mode::Help;
            Vec::new()
        }
        Action::ToggleReasoning => {
            app.show_reasoning = !app.show_reasoning;
            app.render_cache.get_mut().clear();
            Vec::new()
        }
        Action::ScrollUp => {
            let h = i64::from(app.view.get_mut().height.max(2));
            app.view.get_mut().pending_scroll -= h - 1;
            Vec::new()
        }
        Action::ScrollDown => {
            let h = i64::from(app.view.get_mut().height.max(2));
            app.view.get_mut().pending_scroll += h - 1;
            Vec::new()
        }
        Action::ScrollTop => {
            app.view.get_mut().to_top = true;
            Vec::new()
        }
        Action::ScrollBottom => {
            let v = app.view.get_mut();
            v.anchor = None;
            v.pending_scroll = 0;
            Vec::new()
        }
        Action::HistoryPrev => {
            recall(app, -1);
            Vec::new()
        }
        Action::HistoryNext => {
            recall(app, 1);
            Vec::new()
        }
        Action::AcceptOffer => match app.offer.take() {
            Some(o) if !app.is_busy() => {
                switch_model(app, &o.model);
                if o.resend { resend(app) } else { send(app) }
            }
            _ => Vec::new(),
        },
        Action::Attach => {
            let stashed_draft = app.draft();
            set_input(app, "");
            app.mode = Mode::Attach { stashed_draft };
            Vec::new()
        }
        Action::Detach => {
            match app.attachments.pop() {
                Some(a) => app.flash = Some(format!("removed {}", a.label())),
                None => app.flash = Some("no attachment to remove".into()),
            }
            Vec::new()
        }
        Action::Sessions => open_sessions(app),
        Action::CopyAnswer => copy_message(app),
        Action::CopyCode => copy_code(app),
        Action::EditInEditor => vec![Effect::Edit(app.draft())],
        Action::FocusConversation => {
            app.focus_conversation = true;
            app.selected = last_answer_index(app);
            app.render_cache.get_mut().clear();
            app.flash =
                Some("conversation: j/k scroll · [ ] select · y copy · c code · Tab back".into());
            Vec::new()
        }
        Action::OpenImage => match latest_image(app) {
            Some(path) => {
                app.flash = Some(format!("opening {path}"));
                vec![Effect::Open(path)]
            }
            None => {
                app.flash = Some("no saved image yet".into());
                Vec::new()
            }
        },
    }
}

/// The cost panel; the account in it is refreshed when it is a minute old.
fn open_cost(app: &mut App) -> Vec<Effect> {
    app.mode = Mode::Cost;
    let stale = app
        .account_asked_ms
        .is_none_or(|t| app.now_ms.saturating_sub(t) >= 60_000);
    if app.openrouter && stale {
        app.account_asked_ms = Some(app.now_ms);
        return vec![Effect::FetchAccount];
    }
    Vec::new()
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

fn set_input(app: &mut App, text: &str) {
    app.input.select_all();
    app.input.cut();
    app.input.insert_str(text);
}

fn stop(app: &mut App) -> Vec<Effect> {
    let Some(p) = app.pending.clone() else {
        return Vec::new();
    };
    if let Some(a) = answer_mut(app, p.turn) {
        a.status = Status::Stopped;
        a.error = None;
    }
    let mut fx = vec![Effect::Cancel { turn: p.turn }];
    fx.extend(finish_turn(app, p.turn, None));
    app.flash = Some("stopped: the partial answer is kept; its cost is estimated".into());
    fx
}

fn send(app: &mut App) -> Vec<Effect> {
    let text = app.draft();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    if trimmed.starts_with('/') && !trimmed.starts_with("//") {
        let line = trimmed.to_string();
        set_input(app, "");
        return command(app, &line);
    }
    if app.is_busy() {
        app.flash = Some("an answer is still coming: Esc stops it".into());
        return Vec::new();
    }
    if !check_images_readable(app) {
        return Vec::new(); // Nothing sent; the draft and attachments stay.
    }
    if let Some(reason) = over_budget(app) {
        app.mode = Mode::ConfirmSend { reason };
        return Vec::new();
    }
    if let Some(mode) = over_window(app) {
        app.mode = mode;
        return Vec::new();
    }
    send_now(app)
}

/// A request sure to fail is never sent: when the conversation and the draft
/// no longer fit the model's context window (after switching to a 32K image
/// model, say), ask first.
fn over_window(app: &App) -> Option<Mode> {
    let window = app.current_model()?.context_length;
    if window == 0 {
        return None;
    }
    let (needed, _) = app.context_estimate(&app.draft());
    if needed <= window {
        return None;
    }
    let drop = app.entries_to_leave_out(&app.draft(), window);
    Some(Mode::ConfirmContext {
        needed,
        window,
        drop,
    })
}

/// Whether sending the draft would pass a cap on its input cost alone: the
/// spend so far plus the estimated input. Says which cap, by how much.
fn over_budget(app: &App) -> Option<String> {
    let model = app.current_model()?;
    let input = app.send_estimate(model)?;
    let checks = [
        (
            app.budget.per_conversation,
            app.total_cost(),
            "this conversation's",
        ),
        (app.budget.per_day, app.spent_today(), "today's"),
    ];
    checks.into_iter().find_map(|(cap, spent, which)| {
        let cap = cap?;
        (spent + input > cap).then(|| {
            format!(
                "sending costs ≈{} in input; with {} spent that passes {which} cap of {}",
                format_usd(input),
                format_usd(spent),
                format_usd(cap)
            )
        })
    })
}

/// Sends the draft (checks done).
fn send_now(app: &mut App) -> Vec<Effect> {
    let text = app.draft();
    app.history.push(text.clone());
    app.history_pos = None;
    set_input(app, "");
    let images = std::mem::take(&mut app.attachments);
    push_entry(app, Entry::User { text, images });
    start_turn(app)
}

/// Starts an answer to the conversation as it stands (its last entry a prompt).
fn start_turn(app: &mut App) -> Vec<Effect> {
    let turn = app.next_turn;
    app.next_turn += 1;
    count_free_request(app);
    let (prompt_estimate, images_in) = app.context_estimate("");
    let request = crate::chat::request::build(
        &app.model,
        app.current_model(),
        app.wire_messages(),
        &app.settings,
    );
    app.entries.push(Entry::Assistant {
        turn,
        answer: Box::new(Answer::new(&app.model, prompt_estimate, images_in)),
        cost: None,
    });
    app.pending = Some(Pending {
        turn,
        started_ms: app.now_ms,
        last_event_ms: app.now_ms,
        first_token_ms: None,
        retry_at_ms: None,
        retry_reason: None,
    });
    app.offer = None;
    // Sending follows the answer.
    let v = app.view.get_mut();
    v.anchor = None;
    v.pending_scroll = 0;
    vec![Effect::Start {
        turn,
        request: Box::new(request),
    }]
}

/// OpenRouter counts every request to a `:free` model against the day,
/// errors included: so does orchat, in the store.
fn count_free_request(app: &mut App) {
    if !app.openrouter || !app.model.ends_with(":free") {
        return;
    }
    let today = crate::store::utc_day(app.epoch_ms());
    if today != app.free_day {
        app.free_day = today.clone();
        app.free_today = 0;
    }
    app.free_today = app.free_today.saturating_add(1);
    app.outbox.push(Effect::Store(StoreOp::CountFree(today)));
}

/// Drops everything after the last prompt and asks again.
fn resend(app: &mut App) -> Vec<Effect> {
    let Some(last_user) = app
        .entries
        .iter()
        .rposition(|e| matches!(e, Entry::User { .. }))
    else {
        app.flash = Some("nothing to resend yet".into());
        return Vec::new();
    };
    truncate_entries(app, last_user + 1);
    start_turn(app)
}

fn switch_model(app: &mut App, id: &str) {
    if app.model == id {
        return;
    }
    app.model = id.to_string();
    let text = match app.catalog.get(id) {
        Some(m) => match &m.pricing {
            Some(p) => format!(
                "model → {} ({} in, {} out per million tokens)",
                m.id,
                per_million(p.prompt),
                per_million(p.completion)
            ),
            None => format!(
                "model → {} (no price known: its costs will show as unknown)",
                m.id
            ),
        },
        None => format!("model → {id} (not in the catalog: its costs will show as unknown)"),
    };
    push_entry(app, Entry::Notice(text));
}

fn command(app: &mut App, line: &str) -> Vec<Effect> {
    let (cmd, arg) = match line.split_once(char::is_whitespace) {
        Some((c, a)) => (c, a.trim()),
        None => (line, ""),
    };
    match cmd {
        "/model" if arg.is_empty() => open_picker(app),
        "/model" => switch_model(app, arg),
        "/system" => {
            app.system = (!arg.is_empty()).then(|| arg.to_string());
            push_entry(
                app,
                Entry::Notice(if arg.is_empty() {
                    "system prompt cleared".into()
                } else {
                    format!("system prompt: {}", crate::text::preview(arg, 60))
                }),
            );
        }
        "/reasoning" => match ReasoningSetting::parse(arg) {
            Ok(r) => {
                app.set_reasoning(r);
                app.flash = Some(format!("reasoning: {}", r.label()));
            }
            Err(e) => app.flash = Some(e),
        },
        "/retry" => {
            if app.is_busy() {
                app.flash = Some("an answer is still coming: Esc stops it".into());
                return Vec::new();
            }
            if !arg.is_empty() {
                switch_model(app, arg);
            }
            return resend(app);
        }
        "/edit" => {
            if app.is_busy() {
                app.flash = Some("an answer is still coming: Esc stops it".into());
                return Vec::new();
            }
            if let Some(i) = app
                .entries
                .iter()
                .rposition(|e| matches!(e, Entry::User { .. }))
                && let Entry::User { text, .. } = app.entries[i].clone()
            {
                truncate_entries(app, i);
                set_input(app, &text);
            }
        }
        "/clear" => {
            let mut fx = stop(app);
            app.entries.clear();
            app.entries_changed_from(0);
            app.conversation_id = fresh_id(app);
            app.ledger = Default::default();
            app.charges.clear();
            app.render_cache.get_mut().clear();
            *app.view.get_mut() = Default::default();
            app.flash = Some("new conversation".into());
            return std::mem::take(&mut fx);
        }
        "/attach" if !arg.is_empty() => return vec![Effect::LoadAttachment(arg.to_string())],
        "/attach" => {
            return chat_key(app, KeyEvent::new(KeyCode::F(2), KeyModifiers::NONE));
        }
        "/detach" => {
            if arg.is_empty() {
                app.attachments.clear();
                app.flash = Some("attachments removed".into());
            } else {
                match arg.parse::<usize>() {
                    Ok(n) if n >= 1 && n <= app.attachments.len() => {
                        let a = app.attachments.remove(n - 1);
                        app.flash = Some(format!("removed {}", a.label()));
                    }
                    _ => app.flash = Some(format!("no attachment {arg}")),
                }
            }
        }
        "/sessions" => return open_sessions(app),
        "/rename" => {
            let id = app.conversation_id.clone();
            app.flash = Some(if arg.is_empty() {
                "title reset to the first prompt".into()
            } else {
                format!("renamed to {}", crate::text::preview(arg, 60))
            });
            return vec![rename_op(&id, arg)];
        }
        "/export" => {
            let json = arg.split_whitespace().any(|a| a == "--json" || a == "json");
            let path = arg
                .split_whitespace()
                .find(|a| !a.starts_with("--") && *a != "json")
                .map(str::to_string);
            return vec![Effect::Export { path, json }];
        }
        "/budget" => app.flash = Some(budget_command(app, arg)),
        "/preset" => match app.presets.get(arg).cloned() {
            Some(text) => {
                app.system = Some(text.clone());
                push_entry(
                    app,
                    Entry::Notice(format!(
                        "system prompt from preset {arg}: {}",
                        crate::text::preview(&text, 60)
                    )),
                );
            }
            None => {
                let names: Vec<&str> = app.presets.keys().map(String::as_str).collect();
                app.flash = Some(if names.is_empty() {
                    "no presets: add [presets] to the config".into()
                } else {
                    format!("presets: {}", names.join(", "))
                });
            }
        },
        "/cost" => return open_cost(app),
        "/help" => {
            app.help_scroll = 0;
            app.mode = Mode::Help;
        }
        "/quit" | "/q" | "/exit" => return quit(app),
        other => {
            app.flash = Some(format!("unknown command {other}: /help lists them"));
        }
    }
    Vec::new()
}

// ------------------------------------------------------------------ picker

fn open_picker(app: &mut App) {
    let selected = filtered_models(&app.catalog, "")
        .iter()
        .position(|&i| app.catalog.models[i].id == app.model)
        .unwrap_or(0);
    app.mode = Mode::Picker(PickerState {
        filter: String::new(),
        selected,
    });
}

fn picker_key(app: &mut App, k: KeyEvent, mut p: PickerState) -> Vec<Effect> {
    let matches = filtered_models(&app.catalog, &p.filter);
    match k.code {
        KeyCode::Esc => {
            app.mode = Mode::Chat;
            return Vec::new();
        }
        KeyCode::Enter => {
            if let Some(&i) = matches.get(p.selected) {
                let id = app.catalog.models[i].id.clone();
                switch_model(app, &id);
            }
            app.mode = Mode::Chat;
            return Vec::new();
        }
        KeyCode::Up => p.selected = p.selected.saturating_sub(1),
        KeyCode::Down => p.selected = (p.selected + 1).min(matches.len().saturating_sub(1)),
        KeyCode::PageUp => p.selected = p.selected.saturating_sub(10),
        KeyCode::PageDown => p.selected = (p.selected + 10).min(matches.len().saturating_sub(1)),
        KeyCode::Backspace => {
            p.filter.pop();
            p.selected = 0;
        }
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
            p.filter.push(c);
            p.selected = 0;
        }
        KeyCode::Char('p') => {
            app.mode = Mode::Chat;
            return Vec::new();
        }
        _ => {}
    }
    app.mode = Mode::Picker(p);
    Vec::new()
}

/// Catalog indices matching `filter`, best first. Fuzzy: the filter's
/// characters appear in order in the id or name; tighter and earlier matches
/// rank higher. An empty filter keeps the catalog's order.
pub fn filtered_models(catalog: &Catalog, filter: &str) -> Vec<usize> {
    let f: Vec<char> = filter
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if f.is_empty() {
        return (0..catalog.models.len()).collect();
    }
    let mut scored: Vec<(i64, usize)> = catalog
        .models
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let a = fuzzy_score(&m.id.to_lowercase(), &f);
            let b = fuzzy_score(&m.name.to_lowercase(), &f);
            a.max(b).map(|s| (s, i))
        })
        .collect();
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

fn fuzzy_score(hay: &str, needle: &[char]) -> Option<i64> {
    let hay: Vec<char> = hay.chars().collect();
    let mut score = 0i64;
    let mut hi = 0usize;
    let mut prev: Option<usize> = None;
    for &c in needle {
        let found = hay[hi..].iter().position(|&h| h == c)? + hi;
        score += match prev {
            Some(p) if found == p + 1 => 10, // consecutive
            _ => 1,
        };
        if found == 0 || matches!(hay.get(found.wrapping_sub(1)), Some('/' | '-' | ' ' | ':')) {
            score += 5; // start of a word
        }
        prev = Some(found);
        hi = found + 1;
    }
    Some(score * 100 - hay.len() as i64)
}

/// Tokens a draft of `text` adds (for the status bar's send estimate).
pub fn draft_tokens(text: &str) -> u64 {
    estimate_tokens(text)
}
