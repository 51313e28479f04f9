//! Compare mode: the marked models (2 to 4) each answer the next prompt at
//! once, with the same history, in a round of columns. Each column streams,
//! fails, waits out a rate limit, is stopped and is billed on its own; a
//! failure in one never stops the others. Keeping one makes it the reply
//! and its model the current one; the others stay as alternatives, billed,
//! saved, never sent as history.

use super::round::{Column, MAX_COLUMNS, Round};
use super::state::{App, Entry, Jump, Mode};
use super::update::Fx;
use super::{Effect, hints, input, picker, turn};
use crate::api::error::ApiError;
use crate::api::sse::StreamEvent;
use crate::chat::answer::{Answer, Status};
use crate::chat::pricing::{format_usd, sat_add};
use crate::keymap::{Action, Context};

/// `/compare …`: `MODEL MODEL [MODEL MODEL]` marks the models (fuzzy, as
/// the picker filters); alone, asks the last prompt again of the marked
/// models; `off` leaves compare mode.
pub(super) fn command(app: &mut App, arg: &str, fx: &mut Fx) {
    match arg {
        "off" if app.compare.is_empty() => app.flash = Some("compare mode is not on".into()),
        "off" => {
            app.compare.clear();
            app.flash = Some(format!(
                "compare mode off: prompts go to {} alone",
                short(&app.model)
            ));
        }
        "" if app.compare.len() >= 2 => ask_again(app, fx),
        "" => {
            app.flash = Some(format!(
                "/compare MODEL MODEL [MODEL MODEL], or mark models with {} in the picker",
                app.keymap.key_in(Context::Picker, Action::Mark)
            ))
        }
        _ => {
            let mut models: Vec<String> = Vec::new();
            for word in arg.split_whitespace() {
                let Some(&i) = picker::filtered_models(&app.catalog, word).first() else {
                    app.flash = Some(format!("no model matches {word}"));
                    return;
                };
                let id = app.catalog.models[i].id.clone();
                if !models.contains(&id) {
                    models.push(id);
                }
            }
            set(app, models);
        }
    }
}

/// Compare mode on `models` (2 to 4), or why not.
pub(super) fn set(app: &mut App, models: Vec<String>) {
    if models.len() < 2 || models.len() > MAX_COLUMNS {
        app.flash = Some(format!(
            "compare takes 2 to {MAX_COLUMNS} different models; {} given",
            models.len()
        ));
        return;
    }
    let names: Vec<&str> = models.iter().map(|m| short(m)).collect();
    app.flash = Some(format!(
        "compare: {} · each prompt goes to all · /compare off",
        names.join(", ")
    ));
    app.compare = models;
}

/// The unkept round at the end of the conversation (notices and errors
/// after it aside): the one the screen shows as columns.
pub fn open_round(app: &App) -> Option<usize> {
    for (i, e) in app.entries.iter().enumerate().rev() {
        match e {
            Entry::Notice(_) | Entry::Error { .. } => continue,
            Entry::Round(r) if r.kept.is_none() => return Some(i),
            _ => return None,
        }
    }
    None
}

fn round_mut(app: &mut App, i: usize) -> Option<&mut Round> {
    match app.entries.get_mut(i) {
        Some(Entry::Round(r)) => Some(r),
        _ => None,
    }
}

/// The open round's entry and column a turn belongs to (only the open
/// round streams; finding it looks at the last few entries, not the history).
pub(super) fn find_turn(app: &App, turn: u64) -> Option<(usize, usize)> {
    let i = open_round(app)?;
    match &app.entries[i] {
        Entry::Round(r) => r.column_of_turn(turn).map(|c| (i, c)),
        _ => None,
    }
}

/// Whether a round has columns still streaming.
pub fn round_busy(app: &App) -> bool {
    open_round(app).is_some_and(|i| matches!(&app.entries[i], Entry::Round(r) if r.is_live()))
}

// ------------------------------------------------------------------ asking

/// Why a prompt must wait: a round on screen has answers and none is kept
/// yet (which one is history?). In compare mode or not.
pub(super) fn keep_first(app: &App) -> Option<String> {
    let i = open_round(app)?;
    let Entry::Round(r) = &app.entries[i] else {
        return None;
    };
    r.columns.iter().any(Column::keepable).then(|| {
        format!(
            "keep one answer first: {} then {} on a column, or /keep N",
            app.keymap.key_in(Context::Chat, Action::FocusConversation),
            app.keymap.key_in(Context::Compare, Action::Keep)
        )
    })
}

/// Sends the draft to every marked model, once the budget, the context
/// windows and the models' image support agree.
pub(super) fn send(app: &mut App, fx: &mut Fx) {
    if let Some(why) = refused(app) {
        app.flash = Some(why);
        return;
    }
    if let Some(reason) = over_budget(app) {
        app.mode = Mode::ConfirmSend { reason };
        return;
    }
    send_now(app, fx);
}

/// Why the marked models cannot all take this prompt, if they cannot.
fn refused(app: &App) -> Option<String> {
    let (needed, _) = app.context_estimate(&app.draft());
    for id in &app.compare {
        let Some(m) = app.catalog.get(id) else {
            continue; // Unknown models are asked anyway; their cost is unknown.
        };
        if !app.attachments.is_empty() && !m.accepts_images() {
            return Some(format!(
                "{id} does not read images: /compare without it, or /detach; nothing was sent"
            ));
        }
        if m.context_length > 0 && needed > m.context_length {
            return Some(format!(
                "the conversation (≈{needed} tokens) no longer fits {id}'s window of {}: /compare without it; nothing was sent",
                m.context_length
            ));
        }
    }
    None
}

/// The round's input estimated on every model together, checked against
/// the caps as a single send is.
fn over_budget(app: &App) -> Option<String> {
    let input = app
        .compare
        .iter()
        .filter_map(|id| app.catalog.get(id))
        .filter_map(|m| app.send_estimate(m))
        .fold(rust_decimal::Decimal::ZERO, sat_add);
    let (spent, which, cap) = app.cap_passed_by(input)?;
    Some(format!(
        "the round costs ≈{} in input on {} models; with {} spent that passes {which} cap of {}",
        format_usd(input),
        app.compare.len(),
        format_usd(spent),
        format_usd(cap)
    ))
}

/// Sends the draft as a round (checks done).
pub(super) fn send_now(app: &mut App, fx: &mut Fx) {
    let text = app.draft();
    app.history.push(text.clone());
    app.history_pos = None;
    input::set_input(app, "");
    let images = std::mem::take(&mut app.attachments);
    turn::push_entry(app, Entry::User { text, images }, fx);
    start_round(app, fx);
}

/// `/compare` alone: the last prompt again, of the marked models.
fn ask_again(app: &mut App, fx: &mut Fx) {
    if app.is_busy() {
        app.flash = Some(hints::still_coming(app));
        return;
    }
    let Some(last_user) = app.last_prompt_index() else {
        app.flash = Some("nothing to ask again yet: type a prompt".into());
        return;
    };
    turn::truncate_entries(app, last_user + 1, fx);
    start_round(app, fx);
}

/// Asks every marked model to answer the conversation as it stands.
fn start_round(app: &mut App, fx: &mut Fx) {
    let messages = app.wire_messages();
    let (prompt_estimate, images_in) = app.context_estimate("");
    // Each column is its model: no fallbacks.
    let settings = crate::chat::request::Settings {
        fallbacks: Vec::new(),
        ..app.settings.clone()
    };
    let mut columns = Vec::new();
    for id in app.compare.clone() {
        let turn = app.next_turn;
        app.next_turn += 1;
        turn::count_free_request(app, &id, fx);
        let request =
            crate::chat::request::build(&id, app.catalog.get(&id), messages.clone(), &settings);
        columns.push(Column::new(
            turn,
            Answer::new(&id, prompt_estimate, images_in),
            app.now_ms,
        ));
        fx.push(Effect::Start {
            turn,
            request: Box::new(request),
        });
    }
    app.entries
        .push(Entry::Round(Box::new(Round::new(columns))));
    app.offer = None;
    app.scroll.jump(Jump::Bottom);
}

// ------------------------------------------------------------------ streams

/// A stream event for column `c` of the round at entry `i` (`find_turn`).
pub(super) fn stream_event(app: &mut App, (i, c): (usize, usize), event: StreamEvent, fx: &mut Fx) {
    let now = app.now_ms;
    let Some(col) = round_mut(app, i).map(|r| &mut r.columns[c]) else {
        return;
    };
    if !col.is_live() {
        return; // Stopped: what it still says is ignored.
    }
    col.last_event_ms = now;
    match &event {
        StreamEvent::Retrying { wait, reason, .. } => {
            col.retry_at_ms = Some(now + wait.as_millis() as u64);
            col.retry_reason = Some(reason.to_string());
            col.retries += 1;
            let model = col.answer.model_requested.clone();
            turn::count_free_request(app, &model, fx);
            return;
        }
        StreamEvent::Content(_) | StreamEvent::Reasoning(_) | StreamEvent::Image(_) => {
            col.retry_at_ms = None;
            col.retry_reason = None;
            col.first_token_ms.get_or_insert(now);
        }
        StreamEvent::Meta { .. } => col.retry_at_ms = None,
        _ => {}
    }
    col.answer.apply(&event);
    turn::note_progress(app, &event);
}

/// Column `c` of the round at entry `i` failed.
pub(super) fn failed(app: &mut App, (i, c): (usize, usize), error: ApiError, fx: &mut Fx) {
    finish_column(app, i, c, Some(error), fx);
}

/// A column's stream ended; false when `turn` is no column.
pub(super) fn ended(app: &mut App, turn: u64, fx: &mut Fx) -> bool {
    let Some((i, c)) = find_turn(app, turn) else {
        return false;
    };
    finish_column(app, i, c, None, fx);
    true
}

/// Ends column `c` of the round at entry `i`: how it ended, said in the
/// column; its cost to the ledger; its images saved. When it was the last
/// one streaming, the round is saved and its summary flashed.
fn finish_column(app: &mut App, i: usize, c: usize, error: Option<ApiError>, fx: &mut Fx) {
    let now = app.now_ms;
    let retried = round_mut(app, i).is_some_and(|r| r.columns[c].retries > 0);
    let note = error.as_ref().map(|e| hints::error_entry(app, e, retried));
    let Some(round) = round_mut(app, i) else {
        return;
    };
    let col = &mut round.columns[c];
    if !col.is_live() {
        return;
    }
    col.finished_ms = Some(now);
    col.retry_at_ms = None;
    if let Some(e) = &error {
        col.answer.fail(e);
    }
    if !col.answer.status.is_final() {
        col.answer.conclude(false);
    }
    if let Some(Entry::Error { text, hint }) = note {
        col.answer.notes.push(format!("✖ {text}"));
        col.answer.notes.extend(hint.map(|h| format!("→ {h}")));
    }
    let turn = col.turn;
    // A request refused or stopped before any answer cost nothing.
    let billed =
        col.answer.received() || !matches!(col.answer.status, Status::Failed | Status::Stopped);
    let images = col.answer.images.clone();
    if billed && let Some(Entry::Round(r)) = app.entries.get(i) {
        let col = &r.columns[c];
        let charge = turn::charge_for(app, &col.answer, turn, col.started_ms);
        let cost = turn::record_charge(app, charge, fx);
        if let Some(r) = round_mut(app, i) {
            r.columns[c].cost = Some(cost);
        }
    }
    if !images.is_empty() {
        fx.push(Effect::SaveImages {
            turn,
            folder: app.conversation_id.clone(),
            stem: format!("{turn:03}-{}", turn::slug(&turn::prompt_before(app, i))),
            images,
        });
    }
    if let Some(Entry::Round(r)) = app.entries.get(i)
        && !r.is_live()
    {
        round_done(app, i, fx);
    }
    app.redraw_all();
}

/// Every column ended: the round is saved (its summary line is on screen).
fn round_done(app: &mut App, i: usize, fx: &mut Fx) {
    if app.flash.as_deref() == Some(hints::still_coming(app).as_str()) {
        app.flash = None;
    }
    turn::save_entry(app, i, fx);
    if app.openrouter
        && app
            .account_asked_ms
            .is_none_or(|t| app.now_ms.saturating_sub(t) >= 60_000)
    {
        app.account_asked_ms = Some(app.now_ms);
        fx.push(Effect::FetchAccount);
    }
}

/// `google/gemini-2.5-flash` → `gemini-2.5-flash`.
pub fn short(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

// ------------------------------------------------------------------ keys

/// Stops the focused column of the open round (the others go on). Returns
/// false when no column there is streaming.
pub(super) fn stop_focused(app: &mut App, fx: &mut Fx) -> bool {
    let Some(i) = open_round(app) else {
        return false;
    };
    let Some(r) = round_mut(app, i) else {
        return false;
    };
    let c = r.focus;
    if !r.columns[c].is_live() {
        return false;
    }
    stop_column(app, i, c, fx);
    true
}

/// Stops every column still streaming.
pub(super) fn stop_all(app: &mut App, fx: &mut Fx) {
    let Some(i) = open_round(app) else {
        return;
    };
    let live: Vec<usize> = match &app.entries[i] {
        Entry::Round(r) => (0..r.columns.len())
            .filter(|&c| r.columns[c].is_live())
            .collect(),
        _ => Vec::new(),
    };
    let n = live.len();
    for c in live {
        stop_column(app, i, c, fx);
    }
    if n > 1 {
        app.flash = Some(format!(
            "stopped {n} answers: what came is kept; their costs are estimated"
        ));
    }
}

fn stop_column(app: &mut App, i: usize, c: usize, fx: &mut Fx) {
    let Some(r) = round_mut(app, i) else {
        return;
    };
    let col = &mut r.columns[c];
    col.answer.status = Status::Stopped;
    col.answer.error = None;
    let turn = col.turn;
    let model = short(&col.answer.model_requested).to_string();
    fx.push(Effect::Cancel { turn });
    finish_column(app, i, c, None, fx);
    app.flash = Some(format!(
        "stopped {} ({model}): what came is kept, its cost estimated; {} stops all",
        c + 1,
        app.keymap.key_in(Context::Chat, Action::Quit)
    ));
}

/// Makes column `c` (0-based) of the open round the reply: its model is the
/// current one from now on; columns still streaming are stopped first.
pub(super) fn keep(app: &mut App, c: usize, fx: &mut Fx) {
    let Some(i) = open_round(app) else {
        app.flash = Some("no round to keep an answer of".into());
        return;
    };
    let n = match &app.entries[i] {
        Entry::Round(r) => r.columns.len(),
        _ => 0,
    };
    if c >= n {
        app.flash = Some(format!("/keep takes 1 to {n}"));
        return;
    }
    let received = matches!(&app.entries[i], Entry::Round(r) if r.columns[c].answer.received());
    if !received {
        app.flash = Some(format!("answer {} has nothing to keep yet", c + 1));
        return;
    }
    stop_all(app, fx);
    let Some(r) = round_mut(app, i) else {
        return;
    };
    r.kept = Some(c);
    r.focus = c;
    let model = r.columns[c].answer.model_requested.clone();
    let others = r.columns.len() - 1;
    app.focus_conversation = false;
    app.model = model.clone();
    app.entries_changed_from(i);
    turn::save_entry(app, i, fx);
    app.flash = Some(format!(
        "kept {} ({others} alternative{} saved); it answers from here",
        short(&model),
        if others == 1 { "" } else { "s" },
    ));
}

/// `/keep N`.
pub(super) fn keep_command(app: &mut App, arg: &str, fx: &mut Fx) {
    match arg.trim().parse::<usize>() {
        Ok(n) if n >= 1 => keep(app, n - 1, fx),
        _ => app.flash = Some("/keep N keeps answer N of the round (1 is the first)".into()),
    }
}

/// An action on the compare columns (after Tab).
pub(super) fn action(app: &mut App, a: Action, fx: &mut Fx) {
    let Some(i) = open_round(app) else {
        app.focus_conversation = false;
        return;
    };
    let Some(r) = round_mut(app, i) else {
        return;
    };
    let n = r.columns.len();
    let focus = r.focus;
    let scroll = &mut r.columns[focus].scroll;
    match a {
        Action::NextColumn => r.focus = (focus + 1) % n,
        Action::PrevColumn => r.focus = (focus + n - 1) % n,
        Action::LineDown => scroll.lines += 1,
        Action::LineUp => scroll.lines -= 1,
        Action::HalfPageDown => scroll.half_pages += 1,
        Action::HalfPageUp => scroll.half_pages -= 1,
        Action::Top => scroll.jump(Jump::Top),
        Action::Bottom => scroll.jump(Jump::Bottom),
        Action::Keep => keep(app, focus, fx),
        // Nothing streaming there: back to the input.
        Action::StopColumn if !stop_focused(app, fx) => app.focus_conversation = false,
        Action::StopColumn => {}
        Action::Unfocus => app.focus_conversation = false,
        _ => {}
    }
}
