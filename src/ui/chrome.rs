//! The screen's frame around the conversation: the status bar (provider,
//! model, context gauge, cost meter), the attachment chips, the input box
//! and the one-line hint.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::{App, Mode};
use crate::chat::pricing::format_usd_short as format_usd;
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};
use crate::text::sanitize;

pub(super) fn status(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let bar = theme.status_bar;
    // Parts in order of importance; the least important are dropped first
    // when the terminal is narrow.
    let mut head = vec![
        Span::styled(format!(" {} ", app.env.provider_label), theme.status_key),
        Span::styled(format!(" {} ", sanitize(&app.chat.model)), theme.status_key),
    ];
    // Unknown costs are never added as $0: the total says "+ ?" (or "?").
    let unknown = app.wallet.ledger.unknown();
    let total_text = if unknown > 0 && app.wallet.ledger.total().is_zero() {
        "?".to_string()
    } else if unknown > 0 {
        format!("{} + ?", format_usd(app.total_cost()))
    } else {
        format_usd(app.total_cost())
    };
    let total = Span::styled(format!("│ total {total_text} "), theme.money.patch(bar));
    let turn = app.turn_cost().map(|c| {
        let shown = match c.kind {
            crate::chat::pricing::CostKind::Estimated => format!("≈{}", format_usd(c.usd)),
            crate::chat::pricing::CostKind::Unknown => "?".to_string(),
            _ => format_usd(c.usd),
        };
        Span::styled(format!("│ turn {shown} "), bar)
    });
    // While a `:free` model is in use: today's requests against the cap.
    let free = app
        .free_usage()
        .filter(|_| app.chat.model.ends_with(":free"))
        .map(|(used, cap)| {
            let style = if used >= cap {
                theme.warn.patch(bar)
            } else {
                bar
            };
            Span::styled(format!("│ free {used}/{cap} today "), style)
        });
    let draft = app.draft();
    let send = (!draft.trim().is_empty() && !draft.starts_with('/'))
        .then(|| app.send_estimate_all())
        .flatten()
        .map(|estimate| {
            let send = estimate.map_or_else(|| "?".to_string(), |d| format!("≈{}", format_usd(d)));
            Span::styled(format!("│ send {send} "), theme.warn.patch(bar))
        });
    let ctx = app
        .current_model()
        .filter(|m| m.context_length > 0)
        .map(|m| {
            let (used, _) = app.context_estimate(&draft);
            let pct = (used as f64 / m.context_length as f64 * 100.0).min(999.0);
            let filled = ((pct / 20.0).ceil() as usize).min(5);
            Span::styled(
                format!(
                    "│ ctx {}{} {pct:.0}% ",
                    "▰".repeat(filled),
                    "▱".repeat(5 - filled)
                ),
                if pct >= 80.0 {
                    theme.warn.patch(bar)
                } else {
                    bar
                },
            )
        });
    let width = |spans: &[Span]| spans.iter().map(|s| s.width()).sum::<usize>();
    // Always said, before the money: what would lose work or money unseen.
    let mut tail = Vec::new();
    // The budget warns from 80% of a cap on.
    if let Some((pct, cap, what)) = app.budget_use()
        && pct >= rust_decimal::Decimal::from(80)
    {
        tail.push(Span::styled(
            format!("│ budget {}% of {}/{what} ", pct.round(), format_usd(cap)),
            theme.warn.patch(bar),
        ));
    }
    if app.chat.comparing && app.chat.marked.len() >= 2 {
        // Every prompt goes to several models: said before the money it costs.
        tail.push(Span::styled(
            format!("│ compare ×{} ", app.chat.marked.len()),
            theme.warn.patch(bar),
        ));
    }
    if let Some(role) = &app.chat.role {
        tail.push(Span::styled(
            format!("│ role {} ", crate::text::sanitize(role)),
            theme.dim.patch(bar),
        ));
    }
    if app.chat.settings.web.is_some() {
        // Each prompt searches the web, and pays for it.
        tail.push(Span::styled("│ web ".to_string(), theme.warn.patch(bar)));
    }
    if let Some(state) = app.env.saving.status() {
        // A user who thinks they are saving when they are not loses work.
        // The cost panel has the whole reason.
        tail.push(Span::styled(format!("│ {state} "), theme.warn.patch(bar)));
    }
    let mut room = (area.width as usize).saturating_sub(width(&head) + total.width());
    let mut keep = |part: &Option<Span<'static>>| match part {
        Some(p) if p.width() <= room => {
            room -= p.width();
            true
        }
        _ => false,
    };
    let (keep_free, keep_send, keep_turn, keep_ctx) =
        (keep(&free), keep(&send), keep(&turn), keep(&ctx));
    // free, send, turn, ctx: in order of importance.
    let mut parts = [
        free.filter(|_| keep_free),
        send.filter(|_| keep_send),
        turn.filter(|_| keep_turn),
        ctx.filter(|_| keep_ctx),
    ];
    let fits = |head: &[Span], tail: &[Span], parts: &[Option<Span>]| {
        let optional: usize = parts.iter().flatten().map(Span::width).sum();
        width(head) + width(tail) + total.width() + optional <= area.width as usize
    };
    // The cost and the warnings always show: the provider label goes first
    // when space is short, then the model's vendor prefix, then the least
    // useful figures.
    if !fits(&head, &tail, &parts) {
        head.remove(0);
    }
    if !fits(&head, &tail, &parts) {
        let short = app.chat.model.rsplit('/').next().unwrap_or(&app.chat.model);
        head[0] = Span::styled(format!(" {} ", sanitize(short)), theme.status_key);
    }
    for i in (0..parts.len()).rev() {
        if !fits(&head, &tail, &parts) {
            parts[i] = None;
        }
    }
    let [free, send, turn, ctx] = parts;
    tail.extend(free);
    tail.extend(ctx);
    tail.extend(turn);
    tail.push(total);
    tail.extend(send);
    head.extend(tail);
    f.buffer_mut().set_style(area, bar);
    super::paint::draw_lines(f.buffer_mut(), area, &[Line::from(head)]);
}

/// The most rows the chips take: more attachments than fit say how many
/// more there are.
const MAX_CHIP_ROWS: usize = 3;

/// Attachments waiting to be sent, as numbered chips laid out in rows of
/// `width` cells (each chip whole, cut only when one alone is wider), at
/// most `MAX_CHIP_ROWS` of them.
pub(super) fn chip_rows(app: &App, width: u16) -> Vec<Vec<String>> {
    use unicode_width::UnicodeWidthStr;
    let width = usize::from(width).max(8);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut used = 0;
    let all = &app.composer.attachments;
    for (i, a) in all.iter().enumerate() {
        let chip = format!(" 📎{} {} ", i + 1, a.label());
        let w = chip.width();
        if rows.is_empty() || used + 1 + w > width {
            if rows.len() == MAX_CHIP_ROWS {
                // The last row makes room for how many more there are.
                let last = rows.last_mut().expect("a row");
                let mut left = all.len() - i;
                let more = |n: usize| format!(" +{n} more ");
                while last.len() > 1
                    && last.iter().map(|c| c.width() + 1).sum::<usize>() + more(left).width()
                        > width
                {
                    last.pop();
                    left += 1;
                }
                last.push(more(left));
                break;
            }
            rows.push(Vec::new());
            used = 0;
        }
        used += w + 1;
        rows.last_mut().expect("a row").push(if w > width {
            crate::text::preview(&chip, width)
        } else {
            chip
        });
    }
    rows
}

/// The chips (F3 or /detach N removes).
pub(super) fn chips(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    if area.height == 0 {
        return;
    }
    let lines: Vec<Line> = chip_rows(app, area.width)
        .into_iter()
        .map(|row| {
            let mut spans = Vec::new();
            for chip in row {
                spans.push(Span::styled(chip, theme.selected));
                spans.push(Span::raw(" "));
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}

pub(super) fn input(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let keymap = &app.env.keymap;
    let stop = || keymap.key_in(Context::Chat, Action::Stop);
    // The one answer streaming (a round's columns say their own state).
    let c = &app.conversation;
    let single = c
        .open_ask()
        .is_none()
        .then(|| c.live().find_map(|i| c.reply(i)))
        .flatten();
    let title = match (&app.screen.mode, single) {
        (Mode::Attach { .. }, _) => format!(
            " attach: a file path or https URL · {} attaches · {} cancels ",
            keymap.key_in(Context::Attach, Action::Choose),
            keymap.key_in(Context::Attach, Action::Close)
        ),
        (_, Some(r)) if r.timing.first_token_ms.is_none() => {
            format!(" waiting… ({} stops) ", stop())
        }
        (_, Some(_)) => format!(" streaming… ({} stops) ", stop()),
        (_, None) if app.composer.editing.is_some() => {
            " editing the last prompt · sent, it starts a new branch ".to_string()
        }
        (_, None) => " message ".to_string(),
    };
    let focused = matches!(app.screen.mode, Mode::Chat | Mode::Attach { .. });
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.border_focus
        } else {
            theme.border
        })
        .title(Span::styled(
            super::overlays::fit_title(&title, usize::from(area.width.saturating_sub(2))),
            theme.dim,
        ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    f.render_widget(&app.composer.input, inner);
}

pub(super) fn hint(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let text = match &app.screen.flash {
        Some(msg) => Span::styled(format!(" {}", crate::text::preview(msg, 200)), theme.notice),
        // The keyboard on a round's columns: what the keys there do.
        None if app.key_context() == Context::Compare => {
            let k = |a| app.env.keymap.key_in(Context::Compare, a);
            Span::styled(
                format!(
                    " {}/{} column · {} keep · {} stop · {}/{} scroll · {} back",
                    k(Action::PrevColumn),
                    k(Action::NextColumn),
                    k(Action::Keep),
                    k(Action::StopColumn),
                    k(Action::LineDown),
                    k(Action::LineUp),
                    k(Action::Unfocus)
                ),
                theme.hint,
            )
        }
        // The attach prompt: its own keys, not the chat's.
        None if matches!(app.screen.mode, Mode::Attach { .. }) => {
            let k = |a| app.env.keymap.key_in(Context::Attach, a);
            Span::styled(
                format!(
                    " {} attaches · {} cancels (the draft comes back) · images, up to 20 MB",
                    k(Action::Choose),
                    k(Action::Close)
                ),
                theme.hint,
            )
        }
        // A round on screen, the keyboard in the box.
        None if app.conversation.open_ask().is_some() => {
            let c = |a| app.env.keymap.key_in(Context::Chat, a);
            Span::styled(
                format!(
                    " {} to the columns · {} stops one · {} stops all · /keep N · /compare off",
                    c(Action::FocusConversation),
                    c(Action::Stop),
                    c(Action::Quit)
                ),
                theme.hint,
            )
        }
        None => {
            let k = |a| app.env.keymap.key_in(Context::Chat, a);
            Span::styled(
                format!(
                    " {} send · {} model · {} cost · {} stop · {} quit · {} help",
                    k(Action::Send),
                    k(Action::OpenPicker),
                    k(Action::OpenCost),
                    k(Action::Stop),
                    k(Action::Quit),
                    k(Action::Help)
                ),
                theme.hint,
            )
        }
    };
    // Key hints drop whole from the end rather than cut a word ("F1 hel").
    let text = if app.screen.flash.is_none() {
        Span::styled(
            fit_hints(&text.content, usize::from(area.width)),
            text.style,
        )
    } else {
        text
    };
    super::paint::draw_lines(f.buffer_mut(), area, &[Line::from(text)]);
}

/// A hint line " a · b · c" fitted to `width` cells by leaving out whole
/// hints before the last (the way to help stays); then the last, then the
/// first is cut only when alone too wide.
fn fit_hints(line: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut parts: Vec<&str> = line.split(" · ").collect();
    while parts.len() > 2 && parts.join(" · ").width() > width {
        parts.remove(parts.len() - 2);
    }
    if parts.len() == 2 && parts.join(" · ").width() > width {
        parts.pop();
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::fit_hints;

    #[test]
    fn hints_drop_whole_from_the_end() {
        let h = " Enter send · F2 model · F3 cost · F1 help";
        assert_eq!(fit_hints(h, 80), h);
        assert_eq!(fit_hints(h, 35), " Enter send · F2 model · F1 help");
        assert_eq!(fit_hints(h, 24), " Enter send · F1 help");
        assert_eq!(fit_hints(h, 5), " Enter send");
    }
}
