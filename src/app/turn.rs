//! Asking and answering: sending a prompt (after the budget and the context
//! window agree), the stream's events folding into the answer, how it ends
//! (its cost to the ledger, an entry that says how it ended), stopping,
//! resending, settling a cost with OpenRouter, and saving each entry.

use rust_decimal::Decimal;

use super::hints;
use super::state::{App, Entry, Jump, Mode, Offer, Pending};
use super::update::Fx;
use super::{Effect, StoreOp};
use crate::api::error::ApiError;
use crate::api::sse::StreamEvent;
use crate::chat::answer::{Answer, Status};
use crate::chat::pricing::{Charge, Cost, CostKind, Ledger, TurnCharge, format_usd, sat_add};
use crate::keymap::Action;
use crate::store::{StoredMessage, StoredRole};

pub(super) fn is_current(app: &App, turn: u64) -> bool {
    app.pending.as_ref().is_some_and(|p| p.turn == turn)
}

/// The answer of `turn`: an answer entry's, or a round column's.
fn answer_mut(app: &mut App, turn: u64) -> Option<&mut Answer> {
    app.entries.iter_mut().rev().find_map(|e| match e {
        Entry::Assistant {
            turn: t, answer, ..
        } if *t == turn => Some(&mut **answer),
        Entry::Round(r) => r
            .columns
            .iter_mut()
            .find(|c| c.turn == turn)
            .map(|c| &mut *c.answer),
        _ => None,
    })
}

/// The entry holding the answer of `turn`.
fn answer_index(app: &App, turn: u64) -> Option<usize> {
    app.entries.iter().rposition(|e| match e {
        Entry::Assistant { turn: t, .. } => *t == turn,
        Entry::Round(r) => r.column_of_turn(turn).is_some(),
        _ => false,
    })
}

// ------------------------------------------------------------------ streams

pub(super) fn stream_event(app: &mut App, turn: u64, event: StreamEvent, fx: &mut Fx) {
    if let Some(at) = super::compare::find_turn(app, turn) {
        return super::compare::stream_event(app, at, event, fx);
    }
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
                p.retries += 1;
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
    if let StreamEvent::Retrying { reason, .. } = &event {
        // Each retry is one more request against a `:free` day.
        count_free_request(app, &app.model.clone(), fx);
        // A free model waiting out its limit: its paid twin answers now.
        if matches!(reason, ApiError::RateLimited(_))
            && let Some(twin) = app.catalog.paid_twin(&app.model)
        {
            app.offer = Some(Offer {
                model: twin.id.clone(),
                resend: true,
                leave_out: None,
            });
        }
        return; // Shown as the countdown, not kept in the answer.
    }
    note_progress(app, &event);
    if let Some(a) = answer_mut(app, turn) {
        a.apply(&event);
    }
}

/// How often a streaming answer is saved: at most once a second, and at
/// its end.
pub(super) const CHECKPOINT_MS: u64 = 1_000;

/// Marks the streaming answers as changed when `event` brought something
/// of an answer (and so something billed).
pub(super) fn note_progress(app: &mut App, event: &StreamEvent) {
    if matches!(
        event,
        StreamEvent::Content(_)
            | StreamEvent::Reasoning(_)
            | StreamEvent::Image(_)
            | StreamEvent::Usage(_)
    ) {
        app.checkpoint.dirty = true;
    }
}

/// Saves the answers still streaming, each with its estimated cost in the
/// ledger, when they changed and a second has passed since the last save:
/// a `kill -9`, a crash or a power cut loses at most the last second, and
/// what was received stays billed. Their final save replaces these.
pub(super) fn checkpoint(app: &mut App, fx: &mut Fx) {
    let c = app.checkpoint;
    if !c.dirty || app.now_ms.saturating_sub(c.saved_ms) < CHECKPOINT_MS {
        return;
    }
    app.checkpoint = super::state::Checkpoint {
        saved_ms: app.now_ms,
        dirty: false,
    };
    let mut charges = Vec::new();
    if let Some(p) = app.pending.clone()
        && let Some(i) = answer_index(app, p.turn)
        && let Entry::Assistant { answer, .. } = &app.entries[i]
    {
        let charge = charge_for(app, answer, p.turn, p.started_ms);
        let msg = StoredMessage::from_answer(
            &app.conversation_id,
            i as u32,
            answer,
            Some(charge.cost),
            app.epoch_ms(),
        );
        fx.push(Effect::Store(StoreOp::Put(Box::new(msg))));
        charges.push(charge);
    }
    if let Some(i) = super::compare::open_round(app)
        && let Entry::Round(r) = &app.entries[i]
        && r.is_live()
    {
        save_entry(app, i, fx);
        for col in r
            .columns
            .iter()
            .filter(|c| c.is_live() && c.answer.received())
        {
            charges.push(charge_for(app, &col.answer, col.turn, col.started_ms));
        }
    }
    for charge in charges {
        fx.push(Effect::Store(StoreOp::Charge(Box::new(charge))));
    }
}

/// The request failed (an HTTP error, the network, a timeout).
pub(super) fn failed(app: &mut App, turn: u64, error: ApiError, fx: &mut Fx) {
    if let Some(at) = super::compare::find_turn(app, turn) {
        return super::compare::failed(app, at, error, fx);
    }
    if !is_current(app, turn) {
        return;
    }
    if let Some(a) = answer_mut(app, turn) {
        a.fail(&error);
    }
    finish_turn(app, turn, Some(error), fx);
}

/// Settles the turn: its cost goes to the ledger, how it ended gets an entry
/// of its own (with what to do next), generated images are saved.
pub(super) fn finish_turn(app: &mut App, turn: u64, error: Option<ApiError>, fx: &mut Fx) {
    let (started, retried) = app
        .pending
        .take()
        .map_or((app.now_ms, false), |p| (p.started_ms, p.retries > 0));
    // "An answer is still coming" is no longer true.
    if app.flash.as_deref() == Some(hints::still_coming(app).as_str()) {
        app.flash = None;
    }
    let idx = answer_index(app, turn);
    // Generated images are filed by conversation, named after the prompt.
    let folder = app.conversation_id.clone();
    let stem = format!(
        "{turn:03}-{}",
        slug(&last_prompt(&app.entries[..idx.unwrap_or(0)]))
    );
    let mut follow_up = None;
    let mut nothing_came = false;
    let mut own_failure = None;
    if let Some(i) = idx {
        let Entry::Assistant { answer, .. } = &mut app.entries[i] else {
            unreachable!("answer_index finds answers")
        };
        if !answer.status.is_final() {
            answer.conclude(false);
        }
        nothing_came =
            !answer.received() && matches!(answer.status, Status::Failed | Status::Stopped);
        own_failure = answer.failure.clone();
        if !nothing_came {
            charge(app, i, turn, started, fx);
            let Entry::Assistant { answer, .. } = &app.entries[i] else {
                unreachable!()
            };
            if !answer.images.is_empty() {
                fx.push(Effect::SaveImages {
                    turn,
                    folder: folder.clone(),
                    stem: stem.clone(),
                    images: answer.images.clone(),
                });
            }
            if error.is_none() {
                follow_up = hints::ending_entry(app, answer);
            }
        }
    }
    let failure = error.or(if nothing_came { own_failure } else { None });
    if let Some(err) = failure {
        follow_up = Some(hints::error_entry(app, &err, retried));
    }
    // The account after an answer, at most once a minute.
    if app.openrouter
        && app
            .account_asked_ms
            .is_none_or(|t| app.now_ms.saturating_sub(t) >= 60_000)
    {
        app.account_asked_ms = Some(app.now_ms);
        fx.push(Effect::FetchAccount);
    }
    match idx {
        // Nothing arrived: the failed request leaves only its error, in the
        // answer's place (so no saved message changes its position).
        Some(i) if nothing_came => {
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
            save_entry(app, i, fx);
        }
        i => {
            if let Some(i) = i {
                save_entry(app, i, fx);
            }
            if let Some(e) = follow_up {
                push_entry(app, e, fx);
            }
        }
    }
}

/// The answer at `i` was billed: its cost to the ledger (and the store), the
/// budget, and its header; an unreported OpenRouter cost is settled later.
fn charge(app: &mut App, i: usize, turn: u64, started_ms: u64, fx: &mut Fx) {
    let Entry::Assistant { answer, .. } = &app.entries[i] else {
        return;
    };
    let charge = charge_for(app, answer, turn, started_ms);
    let c = record_charge(app, charge, fx);
    if let Entry::Assistant { cost, .. } = &mut app.entries[i] {
        *cost = Some(c);
    }
}

/// What billing `answer` (of `turn`, asked at `started_ms` on the app's
/// clock) comes to: its cost and how it is known, its tokens, and the id the
/// ledger keeps it under, the same while it streams and once it ended.
pub(super) fn charge_for(app: &App, answer: &Answer, turn: u64, started_ms: u64) -> Charge {
    let c = answer.cost(&app.catalog);
    let computed = answer.usage.as_ref().and_then(|u| {
        app.catalog
            .pricing(answer.model())
            .map(|p| p.compute(u, answer.images_in))
    });
    let now = app.clock_base_ms + app.now_ms;
    Charge {
        id: format!(
            "{}/{}/{turn}",
            app.conversation_id,
            app.clock_base_ms + started_ms
        ),
        conversation_id: app.conversation_id.clone(),
        generation_id: answer.generation_id.clone(),
        created_ms: now,
        ..Charge::of_turn(&TurnCharge {
            model: answer.model(),
            cost: c,
            usage: answer.usage.as_ref(),
            estimate: answer.estimate(),
            computed,
        })
    }
}

/// Puts a charge on the ledger, the budget and the store; an OpenRouter
/// cost that was not reported is settled later. Returns its cost.
pub(super) fn record_charge(app: &mut App, charge: Charge, fx: &mut Fx) -> Cost {
    let c = charge.cost;
    app.ledger.add_charge(&charge);
    app.budget.spent_here = sat_add(app.budget.spent_here, c.usd);
    // A cost OpenRouter did not report (stopped, dropped, usage missing) is
    // settled with /generation in the background.
    if app.openrouter && charge.cost.kind == CostKind::Estimated && charge.generation_id.is_some() {
        fx.push(Effect::Settle {
            charge: Box::new(charge.clone()),
        });
    }
    fx.push(Effect::Store(StoreOp::Charge(Box::new(charge.clone()))));
    app.charges.push(charge);
    c
}

/// OpenRouter said what an estimated charge really cost: the ledger, the
/// budget and the answer's header take it, marked settled, and it is saved.
pub(super) fn settled(app: &mut App, asked: Charge, usd: Decimal, fx: &mut Fx) {
    let Some(c) = app.charges.iter_mut().find(|c| c.id == asked.id) else {
        // Its conversation is no longer on screen (cleared, another
        // opened): the settlement is saved all the same, and the day's
        // spending takes it.
        let mut settled = asked;
        let estimate = settled.cost.usd;
        settled.estimate = Some(estimate);
        settled.cost = Cost::new(usd, CostKind::Settled);
        app.budget.spent_here = sat_add(app.budget.spent_here, usd - estimate);
        fx.push(Effect::Store(StoreOp::Charge(Box::new(settled))));
        return;
    };
    let estimate = c.cost.usd;
    c.estimate = Some(estimate);
    c.cost = Cost::new(usd, CostKind::Settled);
    let (charge, generation) = (c.clone(), c.generation_id.clone());
    app.ledger = Ledger::of(&app.charges);
    app.budget.spent_here = sat_add(app.budget.spent_here, usd - estimate);
    fx.push(Effect::Store(StoreOp::Charge(Box::new(charge.clone()))));
    let same = |a: &Answer| a.generation_id.is_some() && a.generation_id == generation;
    let shown = app.entries.iter().rposition(|e| match e {
        Entry::Assistant { answer, cost, .. } => cost.is_some() && same(answer),
        Entry::Round(r) => r
            .columns
            .iter()
            .any(|c| c.cost.is_some() && same(&c.answer)),
        _ => false,
    });
    if let Some(i) = shown {
        match &mut app.entries[i] {
            Entry::Assistant { cost, .. } => *cost = Some(charge.cost),
            Entry::Round(r) => {
                for c in r.columns.iter_mut().filter(|c| same(&c.answer)) {
                    c.cost = Some(charge.cost);
                }
            }
            _ => {}
        }
        app.redraw_all();
        save_entry(app, i, fx);
    }
    app.flash = Some(format!(
        "cost settled with OpenRouter: {} (estimated {})",
        format_usd(usd),
        format_usd(estimate)
    ));
}

/// Generated images of `turn` were saved (or not): the answer shows where.
pub(super) fn images_saved(
    app: &mut App,
    turn: u64,
    paths: Vec<Result<String, String>>,
    fx: &mut Fx,
) {
    if let Some(a) = answer_mut(app, turn) {
        a.image_paths = paths;
    }
    if let Some(i) = answer_index(app, turn) {
        save_entry(app, i, fx);
    }
    app.redraw_all();
}

// ------------------------------------------------------------------ entries

/// Appends an entry and saves it.
pub(super) fn push_entry(app: &mut App, e: Entry, fx: &mut Fx) {
    app.entries.push(e);
    save_entry(app, app.entries.len() - 1, fx);
}

/// Saves entry `i` (its position is its sequence number). A streaming
/// answer is saved by `checkpoint` while it streams, and when it ends.
pub(super) fn save_entry(app: &App, i: usize, fx: &mut Fx) {
    fx.push(Effect::Store(StoreOp::Put(Box::new(stored_entry(app, i)))));
}

/// Entry `i` as the store keeps it.
pub(super) fn stored_entry(app: &App, i: usize) -> StoredMessage {
    let now = app.epoch_ms();
    let id = app.conversation_id.as_str();
    let seq = i as u32;
    match &app.entries[i] {
        Entry::User { text, images } => StoredMessage::user(
            id,
            seq,
            text,
            images.iter().map(|a| a.source.clone()).collect(),
            &app.model,
            now,
        ),
        Entry::Assistant { answer, cost, .. } => {
            StoredMessage::from_answer(id, seq, answer, *cost, now)
        }
        Entry::Round(r) => r.to_stored(id, seq, now, app.clock_base_ms, &app.catalog),
        Entry::Error { text, .. } => StoredMessage::new(id, seq, StoredRole::Error, text, now),
        Entry::Notice(text) => StoredMessage::new(id, seq, StoredRole::Notice, text, now),
    }
}

/// Drops entries from `n` on, here and in the saved conversation.
pub(super) fn truncate_entries(app: &mut App, n: usize, fx: &mut Fx) {
    app.entries.truncate(n);
    app.entries_changed_from(n);
    fx.push(Effect::Store(StoreOp::Truncate {
        conversation: app.conversation_id.clone(),
        from: n as u32,
    }));
}

/// The last prompt before entry `i`.
pub(super) fn prompt_before(app: &App, i: usize) -> String {
    last_prompt(&app.entries[..i.min(app.entries.len())])
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
pub(super) fn check_images_readable(app: &mut App, fx: &mut Fx) -> bool {
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
    let accept = app.key_label(Action::AcceptOffer);
    let ids: Vec<&str> = readers.iter().map(String::as_str).collect();
    let text = format!(
        "{} does not read images; {}",
        app.model,
        crate::chat::catalog::Catalog::readers_phrase(&ids)
    );
    let hint = suggestion
        .as_ref()
        .map(|m| format!("{accept} switches to {m} and sends; nothing was sent"));
    push_entry(app, Entry::Error { text, hint }, fx);
    app.offer = suggestion.map(|model| Offer {
        model,
        resend: false,
        leave_out: None,
    });
    false
}

// ------------------------------------------------------------------ sending

/// Sends the draft: a command runs; a prompt goes when nothing streams,
/// the model reads its images, the budget and the context window agree.
pub(super) fn send(app: &mut App, fx: &mut Fx) {
    let text = app.draft();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return;
    }
    if trimmed.starts_with('/') && !trimmed.starts_with("//") {
        let line = trimmed.to_string();
        super::input::set_input(app, "");
        super::update::command(app, &line, fx);
        return;
    }
    if app.is_busy() {
        app.flash = Some(hints::still_coming(app));
        return;
    }
    if let Some(why) = super::compare::keep_first(app) {
        app.flash = Some(why);
        return;
    }
    if app.compare.len() >= 2 {
        return super::compare::send(app, fx);
    }
    if !check_images_readable(app, fx) {
        return; // Nothing sent; the draft and attachments stay.
    }
    if let Some(reason) = over_budget(app) {
        app.mode = Mode::ConfirmSend { reason };
        return;
    }
    if let Some(mode) = over_window(app) {
        app.mode = mode;
        return;
    }
    send_now(app, fx);
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
    let (spent, which, cap) = app.cap_passed_by(input)?;
    Some(format!(
        "sending costs ≈{} in input; with {} spent that passes {which} cap of {}",
        format_usd(input),
        format_usd(spent),
        format_usd(cap)
    ))
}

/// The oldest entries no longer fit: from `drop` on is sent, then the draft.
pub(super) fn leave_out_and_send(app: &mut App, drop: usize, fx: &mut Fx) {
    let left_out = drop - app.sent_from;
    app.sent_from = drop;
    let text = format!(
        "{left_out} older message{} left out of what is sent: they no longer fit {}'s context window",
        if left_out == 1 { " is" } else { "s are" },
        app.model
    );
    push_entry(app, Entry::Notice(text), fx);
    // The notice is not sent; the draft goes as it was.
    if over_window(app).is_some() {
        app.flash = Some("the draft alone is too long for this model: not sent".into());
        return;
    }
    send_now(app, fx);
}

/// Sends the draft (checks done), to every marked model in compare mode.
pub(super) fn send_now(app: &mut App, fx: &mut Fx) {
    if app.compare.len() >= 2 {
        return super::compare::send_now(app, fx);
    }
    let text = app.draft();
    app.history.push(text.clone());
    app.history_pos = None;
    super::input::set_input(app, "");
    let images = std::mem::take(&mut app.attachments);
    push_entry(app, Entry::User { text, images }, fx);
    start_turn(app, fx);
}

/// Starts an answer to the conversation as it stands (its last entry a prompt).
fn start_turn(app: &mut App, fx: &mut Fx) {
    let turn = app.next_turn;
    app.next_turn += 1;
    count_free_request(app, &app.model.clone(), fx);
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
        retries: 0,
    });
    app.offer = None;
    // Sending follows the answer.
    app.scroll.jump(Jump::Bottom);
    fx.push(Effect::Start {
        turn,
        request: Box::new(request),
    });
}

/// OpenRouter counts every request to a `:free` model against the day,
/// errors included: so does orchat, in the store.
pub(super) fn count_free_request(app: &mut App, model: &str, fx: &mut Fx) {
    if !app.openrouter || !model.ends_with(":free") {
        return;
    }
    let today = crate::store::utc_day(app.epoch_ms());
    if today != app.free_day {
        app.free_day = today.clone();
        app.free_today = 0;
    }
    app.free_today = app.free_today.saturating_add(1);
    fx.push(Effect::Store(StoreOp::CountFree(today)));
}

/// Asks the last prompt again with entries before `from` left out of what
/// is sent (they stay on screen): the provider said it was too long.
pub(super) fn resend_leaving_out(app: &mut App, from: usize, fx: &mut Fx) {
    let Some(last_user) = app.last_prompt_index() else {
        return;
    };
    if from <= app.sent_from || from > last_user {
        return resend(app, fx);
    }
    truncate_entries(app, last_user + 1, fx);
    let left_out = from - app.sent_from;
    app.sent_from = from;
    let text = format!(
        "{left_out} older message{} left out of what is sent: the provider said the conversation is too long",
        if left_out == 1 { " is" } else { "s are" }
    );
    push_entry(app, Entry::Notice(text), fx);
    start_turn(app, fx);
}

/// Drops everything after the last prompt and asks again.
pub(super) fn resend(app: &mut App, fx: &mut Fx) {
    let Some(last_user) = app.last_prompt_index() else {
        app.flash = Some("nothing to resend yet".into());
        return;
    };
    truncate_entries(app, last_user + 1, fx);
    start_turn(app, fx);
}

/// Stops the answer: the connection is dropped, the text so far is kept,
/// marked stopped, its cost estimated.
pub(super) fn stop(app: &mut App, fx: &mut Fx) {
    let Some(p) = app.pending.clone() else {
        return;
    };
    if let Some(a) = answer_mut(app, p.turn) {
        a.status = Status::Stopped;
        a.error = None;
    }
    fx.push(Effect::Cancel { turn: p.turn });
    finish_turn(app, p.turn, None, fx);
    app.flash = Some("stopped: the partial answer is kept; its cost is estimated".into());
}

pub(super) fn quit(app: &mut App, fx: &mut Fx) {
    stop(app, fx);
    fx.push(Effect::Quit);
}
