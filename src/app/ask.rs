//! Asking and answering. One kind of ask: a prompt asked of one model, or
//! of two to four at once (compare mode), each answer a sibling under the
//! prompt with its own request, clock and cost. Sending (after the budget,
//! the context window and the models' image support agree), the stream's
//! events folding into their answer, how each ends (its cost to the ledger,
//! a note that says how it ended), stopping, asking again, checkpoints
//! while answers stream, and settling a cost with OpenRouter.

use rust_decimal::Decimal;

use super::chat::Offer;
use super::conversation::{Cut, NodeId, Note, Prompt};
use super::effect::{Effect, Fx, StoreOp};
use super::screen::Mode;
use super::scroll::Jump;
use super::state::App;
use super::{hints, persist};
use crate::api::error::ApiError;
use crate::api::sse::StreamEvent;
use crate::chat::answer::{Answer, Status};
use crate::chat::images::Generated;
use crate::chat::pricing::{Charge, Cost, CostKind, TurnCharge, format_usd, sat_add};
use crate::keymap::{Action, Context};

// ------------------------------------------------------------------ sending

/// Sends the draft (a prompt, not a command): when nothing streams, an
/// open round has one kept, the models read its images, and the budget
/// and the context window agree.
pub(super) fn send(app: &mut App, fx: &mut Fx) {
    if app.draft().trim().is_empty() {
        return;
    }
    if app.is_busy() {
        app.screen.flash = Some(hints::still_coming(app));
        return;
    }
    if let Some(why) = keep_first(app) {
        app.screen.flash = Some(why);
        return;
    }
    let models = app.chat.asked();
    if models.len() >= 2 {
        if let Some(why) = round_refused(app, &models) {
            app.screen.flash = Some(why);
            return;
        }
        if let Some(reason) = round_over_budget(app, &models) {
            app.screen.mode = Mode::ConfirmSend { reason };
            return;
        }
        return send_now(app, fx);
    }
    if !check_attachments_readable(app, fx) {
        return; // Nothing sent; the draft and attachments stay.
    }
    if let Some(reason) = over_budget(app) {
        app.screen.mode = Mode::ConfirmSend { reason };
        return;
    }
    if let Some(mode) = over_window(app) {
        app.screen.mode = mode;
        return;
    }
    send_now(app, fx);
}

/// Why a prompt must wait: a round on screen has answers and none is kept
/// yet (which one is history?).
pub(super) fn keep_first(app: &App) -> Option<String> {
    let open = app.conversation.open_ask()?;
    let keepable = open
        .answers
        .iter()
        .any(|&i| app.conversation.reply(i).is_some_and(|r| r.keepable()));
    keepable.then(|| {
        format!(
            "keep one answer first: {} then {} on a column, or /keep N",
            app.env
                .keymap
                .key_in(Context::Chat, Action::FocusConversation),
            app.env.keymap.key_in(Context::Compare, Action::Keep)
        )
    })
}

/// Why the marked models cannot all take this prompt, if they cannot.
fn round_refused(app: &App, models: &[String]) -> Option<String> {
    let (needed, _) = app.context_estimate(&app.draft());
    for id in models {
        let Some(m) = app.env.catalog.get(id) else {
            continue; // Unknown models are asked anyway; their cost is unknown.
        };
        if let Some(k) = unread_kind(app, m) {
            return Some(format!(
                "{id} does not read {}: /compare without it, or /detach; nothing was sent",
                k.noun()
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
fn round_over_budget(app: &App, models: &[String]) -> Option<String> {
    let input = models
        .iter()
        .filter_map(|id| app.env.catalog.get(id))
        .filter_map(|m| app.send_estimate(m))
        .fold(Decimal::ZERO, sat_add);
    let (spent, which, cap) = app.cap_passed_by(input)?;
    Some(format!(
        "the round costs ≈{} in input on {} models; with {} spent that passes {which} cap of {}",
        format_usd(input),
        models.len(),
        format_usd(spent),
        format_usd(cap)
    ))
}

/// A request sure to fail is never sent: when the history and the draft
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
    let drop = app.history_to_leave_out(&app.draft(), window);
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

/// The first kind of the draft's attachments `m` does not read.
fn unread_kind(app: &App, m: &crate::chat::catalog::Model) -> Option<crate::chat::attach::Kind> {
    app.composer
        .attachments
        .iter()
        .map(|a| a.kind)
        .find(|k| !m.reads(k.modality()))
}

/// After an attachment: warn (and offer a model that reads every kind
/// attached) when the current model cannot read one of them. Returns false
/// when it cannot.
pub(super) fn check_attachments_readable(app: &mut App, fx: &mut Fx) -> bool {
    let Some(kind) = app.current_model().and_then(|m| unread_kind(app, m)) else {
        return true;
    };
    let kinds: Vec<&str> = app
        .composer
        .attachments
        .iter()
        .map(|a| a.kind.modality())
        .collect();
    let readers: Vec<String> = app
        .env
        .catalog
        .readers_of(kind.modality())
        .filter(|m| !m.outputs_images() && kinds.iter().all(|k| m.reads(k)))
        .map(|m| m.id.clone())
        .take(4)
        .collect();
    let suggestion = readers.first().cloned();
    let accept = app.key_label(Action::AcceptOffer);
    let ids: Vec<&str> = readers.iter().map(String::as_str).collect();
    let text = format!(
        "{} does not read {}; {}",
        app.chat.model,
        kind.noun(),
        crate::chat::catalog::Catalog::readers_phrase(&ids)
    );
    let hint = suggestion
        .as_ref()
        .map(|m| format!("{accept} switches to {m} and sends; nothing was sent"));
    persist::note(app, Note::error(text, hint), fx);
    app.chat.offer = suggestion.map(|model| Offer {
        model,
        resend: false,
        leave_out: None,
        attach: None,
    });
    false
}

/// History no longer fits: it starts at `cut` from now on (older messages
/// stay on screen), then the draft goes.
pub(super) fn leave_out_and_send(app: &mut App, cut: Cut, fx: &mut Fx) {
    let before = app.conversation.history().len();
    let left_out = match cut {
        Cut::At(id) => {
            app.conversation.start_history_at(id);
            before.saturating_sub(app.conversation.history().len())
        }
        Cut::All => before,
    };
    let text = format!(
        "{left_out} older message{} left out of what is sent: they no longer fit {}'s context window",
        if left_out == 1 { " is" } else { "s are" },
        app.chat.model
    );
    persist::note(app, Note::notice(text), fx);
    let all = cut == Cut::All;
    if !all && over_window(app).is_some() {
        app.screen.flash = Some("the draft alone is too long for this model: not sent".into());
        return;
    }
    send_now_cut(app, all, fx);
}

/// Sends the draft (checks done), to every model asked.
pub(super) fn send_now(app: &mut App, fx: &mut Fx) {
    send_now_cut(app, false, fx);
}

/// `send_now`; `alone`: history starts with this prompt.
fn send_now_cut(app: &mut App, alone: bool, fx: &mut Fx) {
    let text = app.draft();
    let c = &mut app.composer;
    c.history.push(text.clone());
    c.history_pos = None;
    c.set("");
    let images = std::mem::take(&mut c.attachments);
    let instead = c.editing.take();
    let models = app.chat.asked();
    let prompt = Prompt {
        text,
        images,
        model: models[0].clone(),
    };
    let epoch = app.epoch_ms();
    let p = app.conversation.add_prompt(prompt, instead, epoch);
    if alone {
        app.conversation.start_history_at(p);
    }
    persist::save(app, p, fx);
    ask(app, p, models, fx);
}

/// Asks `prompt` (the end of the current path) of each of `models`: one
/// answer each, siblings under it.
pub(super) fn ask(app: &mut App, prompt: NodeId, models: Vec<String>, fx: &mut Fx) {
    // History is the path up to the prompt: never the answer it had.
    app.conversation.end_at(prompt);
    app.settle_context();
    let (prompt_estimate, images_in) = app.context_estimate("");
    let messages = app.wire_messages();
    // Each column of a round is its model: no fallbacks.
    let settings = crate::chat::request::Settings {
        fallbacks: if models.len() > 1 {
            Vec::new()
        } else {
            app.chat.settings.fallbacks.clone()
        },
        ..app.chat.settings.clone()
    };
    // An image model gets the picture to edit: one image more.
    let edits: Vec<_> = models.iter().map(|m| app.edit_image_for(m)).collect();
    let answers = models
        .iter()
        .zip(&edits)
        .map(|(m, edit)| {
            let more = u64::from(edit.is_some());
            let mut a = Answer::new(
                m,
                prompt_estimate + more * crate::chat::pricing::IMAGE_INPUT_TOKENS,
                images_in + more,
            );
            a.web = settings.web.is_some();
            a
        })
        .collect();
    let (now, epoch) = (app.env.now_ms, app.epoch_ms());
    let started = app.conversation.ask(prompt, answers, now, epoch);
    for (((turn, _), model), edit) in started.into_iter().zip(&models).zip(edits) {
        count_free_request(app, model, fx);
        let request = crate::chat::request::build(
            model,
            app.env.catalog.get(model),
            messages.clone(),
            &settings,
        );
        fx.push(Effect::Start {
            turn,
            request: Box::new(request),
            edit,
        });
    }
    app.chat.offer = None;
    // Sending follows the answer.
    app.screen.scroll.jump(Jump::Bottom);
    persist::save_current(app, fx);
}

/// `/retry [MODEL]`: the last prompt asked again, of MODEL (else the
/// current one): a new answer beside the old, which is kept.
pub(super) fn ask_again(app: &mut App, fx: &mut Fx) {
    let Some(p) = app.conversation.last_prompt() else {
        app.screen.flash = Some("nothing to ask again yet".into());
        return;
    };
    let model = app.chat.model.clone();
    ask(app, p, vec![model], fx);
}

/// Asks the last prompt again with history starting at `from` (older
/// messages stay on screen): the provider said it was too long.
pub(super) fn ask_again_leaving_out(app: &mut App, from: NodeId, fx: &mut Fx) {
    let Some(p) = app.conversation.last_prompt() else {
        return;
    };
    let before = app.conversation.history().len();
    app.conversation.start_history_at(from);
    let left_out = before.saturating_sub(app.conversation.history().len());
    if left_out > 0 {
        let text = format!(
            "{left_out} older message{} left out of what is sent: the provider said the conversation is too long",
            if left_out == 1 { " is" } else { "s are" }
        );
        let epoch = app.epoch_ms();
        let n = app
            .conversation
            .add_note_after(p, Note::notice(text), epoch);
        persist::save(app, n, fx);
    }
    let model = app.chat.model.clone();
    ask(app, p, vec![model], fx);
}

/// OpenRouter counts every request to a `:free` model against the day,
/// errors included: so does orchat, in the store.
pub(super) fn count_free_request(app: &mut App, model: &str, fx: &mut Fx) {
    if !app.env.openrouter || !model.ends_with(":free") {
        return;
    }
    let today = crate::store::utc_day(app.epoch_ms());
    let w = &mut app.wallet;
    if today != w.free_day {
        w.free_day = today.clone();
        w.free_today = 0;
    }
    w.free_today = w.free_today.saturating_add(1);
    fx.push(Effect::Store(StoreOp::CountFree(today)));
}

// ------------------------------------------------------------------ streams

/// An event of `turn`'s stream, folded into its answer.
pub(super) fn stream_event(app: &mut App, turn: u64, event: StreamEvent, fx: &mut Fx) {
    // A stopped or superseded request: what it still says is ignored.
    let Some(id) = app.conversation.live_of_turn(turn) else {
        return;
    };
    let now = app.env.now_ms;
    let in_round = in_open_round(app, id);
    let Some(r) = app.conversation.reply_mut(id) else {
        return;
    };
    let t = &mut r.timing;
    t.last_event_ms = now;
    match &event {
        StreamEvent::Retrying { wait, reason, .. } => {
            t.retry_at_ms = Some(now + wait.as_millis() as u64);
            t.retry_reason = Some(reason.to_string());
            t.rate_limited = matches!(reason, ApiError::RateLimited(_));
            t.retries += 1;
        }
        StreamEvent::Content(_) | StreamEvent::Reasoning(_) | StreamEvent::Image(_) => {
            t.retry_at_ms = None;
            t.retry_reason = None;
            t.first_token_ms.get_or_insert(now);
        }
        StreamEvent::Meta { .. } => t.retry_at_ms = None,
        _ => {}
    }
    if let StreamEvent::Retrying { reason, .. } = &event {
        let model = r.answer.model_requested.clone();
        // Each retry is one more request against a `:free` day.
        count_free_request(app, &model, fx);
        // A free model waiting out its limit: its paid twin answers now.
        if !in_round
            && matches!(reason, ApiError::RateLimited(_))
            && let Some(twin) = app.env.catalog.paid_twin(&model)
        {
            app.chat.offer = Some(Offer {
                model: twin.id.clone(),
                resend: true,
                leave_out: None,
                attach: None,
            });
        }
        return; // Shown as the countdown, not kept in the answer.
    }
    r.answer.apply(&event);
    note_progress(app, &event);
}

fn in_open_round(app: &App, id: NodeId) -> bool {
    app.conversation
        .open_ask()
        .is_some_and(|o| o.answers.contains(&id))
}

/// How often a streaming answer is saved: at most once a second, and at
/// its end.
pub(super) const CHECKPOINT_MS: u64 = 1_000;

/// Marks the streaming answers as changed when `event` brought something
/// of an answer (and so something billed).
fn note_progress(app: &mut App, event: &StreamEvent) {
    if matches!(
        event,
        StreamEvent::Content(_)
            | StreamEvent::Reasoning(_)
            | StreamEvent::Image(_)
            | StreamEvent::Usage(_)
    ) {
        app.conversation.checkpoint.dirty = true;
    }
}

/// Saves the answers still streaming, each with its estimated cost in the
/// ledger, when they changed and a second has passed since the last save:
/// a `kill -9`, a crash or a power cut loses at most the last second, and
/// what was received stays billed. Their final save replaces these.
pub(super) fn checkpoint(app: &mut App, fx: &mut Fx) {
    let c = app.conversation.checkpoint;
    if !c.dirty || app.env.now_ms.saturating_sub(c.saved_ms) < CHECKPOINT_MS {
        return;
    }
    app.conversation.checkpoint = super::conversation::Checkpoint {
        saved_ms: app.env.now_ms,
        dirty: false,
    };
    let live: Vec<NodeId> = app.conversation.live().collect();
    for id in live {
        let Some(r) = app.conversation.reply(id) else {
            continue;
        };
        if !r.answer.received() {
            continue;
        }
        let charge = charge_for(app, &r.answer, r.timing.turn, r.timing.started_ms);
        persist::save(app, id, fx);
        fx.push(Effect::Store(StoreOp::Charge(Box::new(charge))));
    }
}

/// `turn`'s request failed (an HTTP error, the network, a timeout).
pub(super) fn failed(app: &mut App, turn: u64, error: ApiError, fx: &mut Fx) {
    let Some(id) = app.conversation.live_of_turn(turn) else {
        return;
    };
    if let Some(r) = app.conversation.reply_mut(id) {
        r.answer.fail(&error);
    }
    finish(app, id, Some(error), fx);
}

/// `turn`'s stream has no more events.
pub(super) fn ended(app: &mut App, turn: u64, fx: &mut Fx) {
    if let Some(id) = app.conversation.live_of_turn(turn) {
        finish(app, id, None, fx);
    }
}

/// Ends answer `id`: how it ended (a note after it, with what to do
/// next), its cost to the ledger, its images saved. When nothing came of
/// it, nothing was billed, and its note says so.
fn finish(app: &mut App, id: NodeId, error: Option<ApiError>, fx: &mut Fx) {
    let now = app.env.now_ms;
    let in_round = in_open_round(app, id);
    app.conversation.ended(id);
    let Some(r) = app.conversation.reply_mut(id) else {
        return;
    };
    r.timing.finished_ms = Some(now);
    // Grown by doubling while it streamed: a 10 MB answer had up to 6 MB
    // of spare capacity.
    r.answer.text.shrink_to_fit();
    r.answer.reasoning.shrink_to_fit();
    r.timing.retry_at_ms = None;
    if !r.answer.status.is_final() {
        r.answer.conclude(false);
    }
    let retried = r.timing.retries > 0;
    let nothing_came = r.nothing_came();
    let own_failure = r.answer.failure.clone();
    let (turn, model) = (r.timing.turn, r.answer.model_requested.clone());
    // "An answer is still coming" is no longer true.
    if !app.is_busy() && app.screen.flash.as_deref() == Some(hints::still_coming(app).as_str()) {
        app.screen.flash = None;
    }
    let mut follow_up = None;
    if !nothing_came {
        charge(app, id, fx);
        let r = app.conversation.reply(id).expect("still there");
        if !r.answer.images.is_empty() {
            let prompt = app
                .conversation
                .tree()
                .get(id)
                .and_then(|s| s.parent)
                .and_then(|p| app.conversation.prompt(p))
                .map_or(String::new(), |p| p.text.clone());
            fx.push(Effect::SaveImages {
                turn,
                folder: app.conversation.id.clone(),
                stem: format!("{turn:03}-{}", slug(&prompt)),
                images: r
                    .answer
                    .images
                    .iter()
                    .map(|g| match g {
                        Generated::Url(u) | Generated::Saved(u) => u.clone(),
                    })
                    .collect(),
            });
        }
        if error.is_none() {
            follow_up = hints::ending_note(app, &r.answer);
        }
        if follow_up.is_none() && video_ignored(app, id) {
            follow_up = Some(Note::notice(
                "the provider ignored the video (it counted 0 video tokens): the answer did not see it; a shorter clip, or another model, may be read",
            ));
        }
    }
    let failure = error.or(if nothing_came { own_failure } else { None });
    if let Some(err) = failure {
        let column = in_round.then_some(model.as_str());
        follow_up = Some(hints::error_note(app, &err, retried, column));
    }
    if nothing_came {
        // Refused before any answer: exactly $0, and the note says so.
        follow_up = Some(match follow_up {
            Some(mut n) => {
                n.hint = Some(match n.hint {
                    Some(h) => format!("{h} · nothing was billed"),
                    None => "nothing was billed".into(),
                });
                n
            }
            None => Note::notice("stopped before any answer arrived"),
        });
    }
    if let Some(n) = follow_up {
        let epoch = app.epoch_ms();
        let nid = app.conversation.add_note_after(id, n, epoch);
        persist::save(app, nid, fx);
    }
    persist::save(app, id, fx);
    // The account after answers, at most once a minute; after a round
    // (several answers billed at once) always.
    if !app.is_busy() && app.env.openrouter && (in_round || app.wallet.account_due(now)) {
        app.wallet.account_asked_ms = Some(now);
        fx.push(Effect::FetchAccount);
    }
}

/// Whether answer `id`'s prompt sent a video the provider said it never
/// read: HTTP 200, `video_tokens` 0 (PROTOCOL-MEDIA.md §1.1).
fn video_ignored(app: &App, id: NodeId) -> bool {
    let c = &app.conversation;
    let sent_video = c
        .tree()
        .get(id)
        .and_then(|s| s.parent)
        .and_then(|p| c.prompt(p))
        .is_some_and(|p| {
            p.images
                .iter()
                .any(|a| a.kind == crate::chat::attach::Kind::Video)
        });
    sent_video
        && c.reply(id)
            .and_then(|r| r.answer.usage.as_ref())
            .and_then(|u| u.prompt_tokens_details.as_ref())
            .and_then(|d| d.video_tokens)
            == Some(0)
}

/// Answer `id` was billed: its cost to the ledger (and the store), the
/// budget, and its header; an unreported OpenRouter cost is settled later.
fn charge(app: &mut App, id: NodeId, fx: &mut Fx) {
    let Some(r) = app.conversation.reply(id) else {
        return;
    };
    let charge = charge_for(app, &r.answer, r.timing.turn, r.timing.started_ms);
    let c = record_charge(app, charge, fx);
    if let Some(r) = app.conversation.reply_mut(id) {
        r.cost = Some(c);
    }
}

/// What billing `answer` (of `turn`, asked at `started_ms` on the app's
/// clock) comes to: its cost and how it is known, its tokens, and the id the
/// ledger keeps it under, the same while it streams and once it ended.
pub(super) fn charge_for(app: &App, answer: &Answer, turn: u64, started_ms: u64) -> Charge {
    let catalog = &app.env.catalog;
    let c = answer.cost(catalog);
    // Our prices for the tokens, plus the search's fee: what a reported
    // cost is compared with (the gap is then only about prices).
    let computed = answer.usage.as_ref().and_then(|u| {
        catalog.pricing(answer.model()).map(|p| {
            crate::chat::pricing::sat_add(
                p.compute(u, answer.images_in),
                answer.search_fee().unwrap_or_default(),
            )
        })
    });
    let base = app.env.clock_base_ms;
    Charge {
        id: format!("{}/{}/{turn}", app.conversation.id, base + started_ms),
        conversation_id: app.conversation.id.clone(),
        generation_id: answer.generation_id.clone(),
        created_ms: app.epoch_ms(),
        search: answer.search_fee(),
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
    let w = &mut app.wallet;
    w.ledger.add_charge(&charge);
    w.budget.spent_here = sat_add(w.budget.spent_here, c.usd);
    // A cost OpenRouter did not report (stopped, dropped, usage missing) is
    // settled with /generation in the background.
    if app.env.openrouter
        && charge.cost.kind == CostKind::Estimated
        && charge.generation_id.is_some()
    {
        fx.push(Effect::Settle {
            charge: Box::new(charge.clone()),
        });
    }
    fx.push(Effect::Store(StoreOp::Charge(Box::new(charge.clone()))));
    app.wallet.charges.push(charge);
    c
}

/// OpenRouter said what an estimated charge really cost: the ledger, the
/// budget and the answer's header take it, marked settled, and it is saved.
pub(super) fn settled(app: &mut App, asked: Charge, usd: Decimal, fx: &mut Fx) {
    let w = &mut app.wallet;
    let Some(c) = w.charges.iter_mut().find(|c| c.id == asked.id) else {
        // Its conversation is no longer on screen (cleared, another
        // opened): the settlement is saved all the same, and the day's
        // spending takes it.
        let mut settled = asked;
        let estimate = settled.cost.usd;
        settled.estimate = Some(estimate);
        settled.cost = Cost::new(usd, CostKind::Settled);
        w.budget.spent_here = sat_add(w.budget.spent_here, usd - estimate);
        fx.push(Effect::Store(StoreOp::Charge(Box::new(settled))));
        return;
    };
    let estimate = c.cost.usd;
    c.estimate = Some(estimate);
    c.cost = Cost::new(usd, CostKind::Settled);
    let (charge, generation) = (c.clone(), c.generation_id.clone());
    w.ledger = crate::chat::pricing::Ledger::of(&w.charges);
    w.budget.spent_here = sat_add(w.budget.spent_here, usd - estimate);
    fx.push(Effect::Store(StoreOp::Charge(Box::new(charge.clone()))));
    let shown: Vec<NodeId> = app
        .conversation
        .tree()
        .slots()
        .filter_map(|(id, s)| {
            let r = s.body.reply()?;
            (r.cost.is_some()
                && r.answer.generation_id.is_some()
                && r.answer.generation_id == generation)
                .then_some(id)
        })
        .collect();
    for id in shown {
        if let Some(r) = app.conversation.reply_mut(id) {
            r.cost = Some(charge.cost);
        }
        persist::save(app, id, fx);
    }
    app.screen.flash = Some(format!(
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
    let Some(id) = app.conversation.node_of_turn(turn) else {
        return;
    };
    if let Some(r) = app.conversation.reply_mut(id) {
        // Saved: only the path stays in memory; the file is read back
        // when the image is drawn or sent for an edit.
        for (image, path) in r.answer.images.iter_mut().zip(&paths) {
            if let (Ok(path), Some(_)) = (path, image.inline_url()) {
                *image = Generated::Saved(path.clone());
            }
        }
        r.answer.image_paths = paths;
    }
    persist::save(app, id, fx);
}

// ------------------------------------------------------------------ stopping

/// Stops answer `id`: the connection is dropped, the text so far is kept,
/// marked stopped, its cost estimated.
pub(super) fn stop(app: &mut App, id: NodeId, fx: &mut Fx) {
    let Some(r) = app.conversation.reply_mut(id) else {
        return;
    };
    if !r.is_live() {
        return;
    }
    r.answer.status = Status::Stopped;
    r.answer.error = None;
    let turn = r.timing.turn;
    fx.push(Effect::Cancel { turn });
    finish(app, id, None, fx);
}

/// Stops every answer still streaming; says so.
pub(super) fn stop_all(app: &mut App, fx: &mut Fx) {
    let live: Vec<NodeId> = app.conversation.live().collect();
    for &id in &live {
        stop(app, id, fx);
    }
    match live.len() {
        0 => {}
        1 => {
            app.screen.flash =
                Some("stopped: the partial answer is kept; its cost is estimated".into())
        }
        n => {
            app.screen.flash = Some(format!(
                "stopped {n} answers: what came is kept; their costs are estimated"
            ))
        }
    }
}

pub(super) fn quit(app: &mut App, fx: &mut Fx) {
    stop_all(app, fx);
    fx.push(Effect::Quit);
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
