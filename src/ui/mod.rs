//! Drawing. The screen is a function of `&App`: a status bar (provider,
//! model, context gauge, cost meter), the conversation, the input box, a
//! one-line hint, and whichever overlay is open.

pub mod columns;
pub mod compare;
pub mod conversation;
pub mod images;
pub mod overlays;
mod rendered;
pub mod view;

pub use view::View;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::{App, Mode};
use crate::chat::pricing::format_usd_short as format_usd;
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};
use crate::text::sanitize;

/// Draws the whole screen for `app`; `view` keeps what the screen
/// remembers between frames (scroll, caches).
pub fn draw(f: &mut Frame, app: &App, view: &mut View, theme: &Theme) {
    let area = f.area();
    let input_lines = app.input.lines().len().clamp(1, 6) as u16;
    let chips_height = u16::from(!app.attachments.is_empty());
    let [status, body, chips, input, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(chips_height),
        Constraint::Length(input_lines + 2),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_status(f, app, theme, status);
    match crate::app::compare::open_round(app).map(|i| &app.entries[i]) {
        Some(crate::app::Entry::Round(r)) => compare::draw(f, app, view, theme, r, body),
        _ => conversation::draw(f, app, view, theme, body),
    }
    draw_chips(f, app, theme, chips);
    draw_input(f, app, theme, input);
    draw_hint(f, app, theme, hint);
    // Overlays stay above the input box: they never cover its border, and
    // the status bar stays in view.
    let area = Rect {
        y: body.y,
        height: body.height + chips.height,
        ..area
    };
    match &app.mode {
        Mode::Chat => {}
        Mode::Picker(p) => overlays::picker(f, app, theme, p, area),
        Mode::Cost => overlays::cost(f, app, theme, area),
        Mode::Help => overlays::help(f, app, theme, area),
        Mode::ConfirmQuit => overlays::confirm_quit(f, app, theme, area),
        Mode::ConfirmSend { reason } => overlays::confirm_send(f, app, theme, reason, area),
        Mode::ConfirmContext {
            needed,
            window,
            drop,
        } => overlays::confirm_context(f, app, theme, (*needed, *window, *drop), area),
        Mode::Attach { .. } => {}
        Mode::Sessions(s) => overlays::sessions(f, app, theme, s, area),
        Mode::ConfirmRescue => overlays::confirm_rescue(f, app, theme, area),
    }
}

/// Compact token counts: 950, 33K, 1M.
pub fn short_count(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) || n >= 10_000_000 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000_000 {
        format!("{:.1}M", n as f64 / 1_000_000.0)
    } else if n >= 1000 {
        format!("{}K", n / 1000)
    } else {
        n.to_string()
    }
}

fn draw_status(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let bar = theme.status_bar;
    // Parts in order of importance; the least important are dropped first
    // when the terminal is narrow.
    let mut head = vec![
        Span::styled(format!(" {} ", app.provider_label), theme.status_key),
        Span::styled(format!(" {} ", sanitize(&app.model)), theme.status_key),
    ];
    // Unknown costs are never added as $0: the total says "+ ?" (or "?").
    let unknown = app.ledger.unknown();
    let total_text = if unknown > 0 && app.ledger.total().is_zero() {
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
        .filter(|_| app.model.ends_with(":free"))
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
    if app.compare.len() >= 2 {
        // Every prompt goes to several models: said before the money it costs.
        tail.push(Span::styled(
            format!("│ compare ×{} ", app.compare.len()),
            theme.warn.patch(bar),
        ));
    }
    if let Some(state) = app.saving.status() {
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
        let short = app.model.rsplit('/').next().unwrap_or(&app.model);
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
    draw_lines(f.buffer_mut(), area, &[Line::from(head)]);
}

/// Attachments waiting to be sent, as numbered chips (F3 or /detach N removes).
fn draw_chips(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    if area.height == 0 {
        return;
    }
    let mut spans = Vec::new();
    for (i, a) in app.attachments.iter().enumerate() {
        spans.push(Span::styled(
            format!(" 📎{} {} ", i + 1, a.label()),
            theme.selected,
        ));
        spans.push(Span::raw(" "));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_input(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let stop = || app.keymap.key_in(Context::Chat, Action::Stop);
    let title = match (&app.mode, &app.pending) {
        (Mode::Attach { .. }, _) => format!(
            " attach: a file path or https URL · {} attaches · {} cancels ",
            app.keymap.key_in(Context::Attach, Action::Choose),
            app.keymap.key_in(Context::Attach, Action::Close)
        ),
        (_, Some(p)) if p.first_token_ms.is_none() => format!(" waiting… ({} stops) ", stop()),
        (_, Some(_)) => format!(" streaming… ({} stops) ", stop()),
        (_, None) => " message ".to_string(),
    };
    let focused = matches!(app.mode, Mode::Chat | Mode::Attach { .. });
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.border_focus
        } else {
            theme.border
        })
        .title(Span::styled(
            overlays::fit_title(&title, usize::from(area.width.saturating_sub(2))),
            theme.dim,
        ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    f.render_widget(&app.input, inner);
}

fn draw_hint(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let text = match &app.flash {
        Some(msg) => Span::styled(format!(" {}", crate::text::preview(msg, 200)), theme.notice),
        // The keyboard on a round's columns: what the keys there do.
        None if app.key_context() == Context::Compare => {
            let k = |a| app.keymap.key_in(Context::Compare, a);
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
        None if matches!(app.mode, Mode::Attach { .. }) => {
            let k = |a| app.keymap.key_in(Context::Attach, a);
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
        None if crate::app::compare::open_round(app).is_some() => {
            let c = |a| app.keymap.key_in(Context::Chat, a);
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
            let k = |a| app.keymap.key_in(Context::Chat, a);
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
    let text = if app.flash.is_none() {
        Span::styled(
            fit_hints(&text.content, usize::from(area.width)),
            text.style,
        )
    } else {
        text
    };
    draw_lines(f.buffer_mut(), area, &[Line::from(text)]);
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

/// Writes lines into the buffer, one a row, cut at the area's right edge:
/// what `Paragraph` without wrapping draws (the frame's buffer starts blank),
/// without its per-grapheme reflow. Plain ASCII spans, most of a chat, are
/// written a byte a cell; others go through ratatui's grapheme-aware
/// `set_stringn`.
pub(crate) fn draw_lines(buf: &mut ratatui::buffer::Buffer, area: Rect, lines: &[Line<'_>]) {
    let area = area.intersection(buf.area);
    let right = area.right();
    for (row, line) in lines.iter().enumerate().take(usize::from(area.height)) {
        let y = area.y + row as u16;
        let width = || {
            u16::try_from(line.width())
                .unwrap_or(u16::MAX)
                .min(area.width)
        };
        let mut x = area.x
            + match line.alignment {
                Some(ratatui::layout::Alignment::Center) => {
                    (area.width / 2).saturating_sub(width() / 2)
                }
                Some(ratatui::layout::Alignment::Right) => area.width.saturating_sub(width()),
                _ => 0,
            };
        for span in &line.spans {
            if x >= right {
                break;
            }
            let style = line.style.patch(span.style);
            let text = span.content.as_ref();
            if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                let n = text.len().min(usize::from(right - x));
                for i in 0..n {
                    buf[(x, y)].set_symbol(&text[i..i + 1]).set_style(style);
                    x += 1;
                }
            } else {
                x = buf.set_stringn(x, y, text, usize::from(right - x), style).0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Alignment;
    use ratatui::style::{Color, Style};
    use ratatui::widgets::{Paragraph, Widget};

    #[test]
    fn hints_drop_whole_from_the_end() {
        let h = " Enter send · F2 model · F3 cost · F1 help";
        assert_eq!(fit_hints(h, 80), h);
        assert_eq!(fit_hints(h, 35), " Enter send · F2 model · F1 help");
        assert_eq!(fit_hints(h, 24), " Enter send · F1 help");
        assert_eq!(fit_hints(h, 5), " Enter send");
    }

    /// Each cell a terminal shows: its symbol and style, skipping the cells
    /// a wide glyph covers (ratatui never sends those; `set_stringn` resets
    /// them where `Paragraph` keeps the base style, which nobody sees).
    fn visible(buf: &Buffer) -> Vec<(u16, u16, String, Style)> {
        let mut out = Vec::new();
        for y in 0..buf.area.height {
            let mut hidden = 0usize;
            for x in 0..buf.area.width {
                let c = &buf[(x, y)];
                if hidden > 0 {
                    hidden -= 1;
                    continue;
                }
                hidden = unicode_width::UnicodeWidthStr::width(c.symbol()).saturating_sub(1);
                out.push((x, y, c.symbol().to_string(), c.style()));
            }
        }
        out
    }

    /// `draw_lines` writes what an unwrapped `Paragraph` would: same cells,
    /// same styles, cut at the edge the same way (a wide glyph that does not
    /// fit is left out), for plain ASCII, CJK, emoji, styled spans, a line
    /// style and alignment, on a base style already in the buffer.
    #[test]
    fn draw_lines_matches_paragraph() {
        let base = Style::default().bg(Color::Blue);
        let lines = vec![
            Line::from(vec![
                Span::styled(" demo ", Style::default().bold()),
                Span::raw("│ total $0.01 "),
            ]),
            Line::from("日本語のテキストが端で切れる日本語のテキスト"),
            Line::from(vec![Span::raw("ok 👍🏽 "), Span::styled("red", Color::Red)])
                .style(Style::default().italic()),
            Line::from("centred").alignment(Alignment::Center),
            Line::from("right").alignment(Alignment::Right),
            Line::from("a line much longer than the area is wide, cut at the edge"),
            Line::default(),
        ];
        for width in [1u16, 7, 13, 20, 41] {
            let area = Rect::new(0, 0, width, lines.len() as u16);
            let mut want = Buffer::empty(area);
            want.set_style(area, base);
            Paragraph::new(lines.clone()).render(area, &mut want);
            let mut got = Buffer::empty(area);
            got.set_style(area, base);
            draw_lines(&mut got, area, &lines);
            assert_eq!(visible(&got), visible(&want), "at width {width}");
        }
    }
}
