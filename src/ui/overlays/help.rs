//! The help overlay: every screen's keys as the keymap in force has them,
//! then the commands.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{centered, key, open_box};
use crate::app::App;
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};

/// Two columns with a hanging indent: a key (or command) and what it does,
/// the description wrapped under itself.
fn help_rows(
    rows: &[(String, &str)],
    style: ratatui::style::Style,
    width: u16,
) -> Vec<Line<'static>> {
    let key_w = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(36)
        + 2;
    let desc_w = (width as usize).saturating_sub(key_w).max(10) as u16;
    let mut out = Vec::new();
    for (k, d) in rows {
        // A key (or usage) wider than its column: the description under it.
        let long = k.chars().count() + 2 > key_w;
        if long {
            out.push(Line::from(Span::styled(k.clone(), style)));
        }
        let wrapped = crate::markdown::wrap_line(Line::from(d.to_string()), desc_w);
        for (i, w) in wrapped.into_iter().enumerate() {
            let head = if i == 0 && !long {
                format!("{k:<key_w$}")
            } else {
                " ".repeat(key_w)
            };
            let mut spans = vec![Span::styled(head, style)];
            spans.extend(w.spans);
            out.push(Line::from(spans));
        }
    }
    out
}

pub fn help(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let r = centered(area, 86, 94, 40, 10);
    let h = |a| key(app, Context::Help, a);
    let title = format!(
        " keys and commands · {} {} {} {} scroll · {} close ",
        h(Action::ListUp),
        h(Action::ListDown),
        h(Action::ListPageUp),
        h(Action::ListPageDown),
        h(Action::Close)
    );
    let inner = open_box(f, r, area, &title, theme);
    // Every screen's keys as the keymap in force has them, then the commands.
    let mut lines = Vec::new();
    for context in Context::ALL {
        lines.push(Line::from(Span::styled(
            format!("{} · [keys.{}]", context.title(), context.name()),
            theme.dim,
        )));
        let rows = app.env.keymap.help_rows(context);
        lines.extend(help_rows(&rows, theme.assistant_label, inner.width));
        lines.push(Line::default());
    }
    let commands: Vec<(String, &str)> = crate::keymap::commands::COMMANDS
        .iter()
        .map(|c| (c.usage.to_string(), c.description))
        .collect();
    lines.push(Line::from(Span::styled(
        format!(
            "commands ({} completes one being typed):",
            key(app, Context::Chat, Action::FocusConversation)
        ),
        theme.dim,
    )));
    lines.extend(help_rows(&commands, theme.user_label, inner.width));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled("the mouse:", theme.dim)));
    let mouse: Vec<(String, &str)> = vec![
        (
            "drag".into(),
            "selects text in the conversation; releasing copies it (past the top or bottom scrolls)",
        ),
        ("double click".into(), "selects a word and copies it"),
        (
            "triple click".into(),
            "selects a paragraph or a whole code block and copies it",
        ),
        ("wheel".into(), "scrolls"),
        (
            "Shift+drag".into(),
            "the terminal's own selection (or start orchat with --no-mouse)",
        ),
    ];
    lines.extend(help_rows(&mouse, theme.assistant_label, inner.width));
    let max_scroll = lines.len().saturating_sub(inner.height as usize) as u16;
    f.render_widget(
        Paragraph::new(lines).scroll((app.screen.help_scroll.min(max_scroll), 0)),
        inner,
    );
}
