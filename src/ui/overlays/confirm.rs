//! The questions asked before acting: send over budget, send a conversation
//! too long for the model, and quit.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{centered, key, open_box, yes_no};
use crate::app::App;
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};
use crate::text::sanitize;
use crate::ui::paint::short_count;

pub fn confirm_send(f: &mut Frame, app: &App, theme: &Theme, reason: &str, area: Rect) {
    let r = centered(area, 70, 30, 30, 6);
    let r = Rect {
        height: r.height.min(6),
        ..r
    };
    let inner = open_box(f, r, area, " over budget ", theme);
    let lines = vec![
        Line::from(Span::styled(reason.to_string(), theme.warn)),
        Line::from(format!("Send anyway?  {}", yes_no(app))),
    ];
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        inner,
    );
}

/// `!command`: run it and attach its output?
pub fn confirm_command(f: &mut Frame, app: &App, theme: &Theme, command: &str, area: Rect) {
    let r = centered(area, 70, 30, 30, 7);
    let r = Rect {
        height: r.height.min(7),
        ..r
    };
    let inner = open_box(f, r, area, " run a command ", theme);
    let lines = vec![
        Line::from(Span::styled(
            format!("$ {}", crate::text::sanitize(command)),
            theme.warn,
        )),
        Line::from(
            "Runs in your shell here; its output (at most 256 KB, with its exit status) is attached to the next message.",
        ),
        Line::from(format!("Run it?  {}", yes_no(app))),
    ];
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        inner,
    );
}

/// The conversation no longer fits the model's window: what to do.
pub fn confirm_context(
    f: &mut Frame,
    app: &App,
    theme: &Theme,
    (needed, window, drop): (u64, u64, Option<crate::app::conversation::Cut>),
    area: Rect,
) {
    let r = centered(area, 70, 40, 30, 8);
    let r = Rect {
        height: r.height.min(8),
        ..r
    };
    let inner = open_box(f, r, area, " too long for this model ", theme);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "the conversation is ≈{} tokens; {} takes {}",
            short_count(needed),
            sanitize(&app.chat.model),
            short_count(window)
        ),
        theme.warn,
    ))];
    let history = app.conversation.history();
    let left = match drop {
        Some(crate::app::conversation::Cut::All) => Some(history.len()),
        Some(crate::app::conversation::Cut::At(d)) => {
            history.iter().position(|&i| i == d).filter(|&n| n > 0)
        }
        None => None,
    };
    match left {
        Some(left_out) => {
            lines.push(Line::from(format!(
                "{}  leave out the {left_out} oldest message{} and send",
                key(app, Context::Confirm, Action::Yes),
                if left_out == 1 { "" } else { "s" }
            )));
        }
        _ => lines.push(Line::from("the draft alone is too long for it")),
    }
    lines.push(Line::from(format!(
        "{}  pick a model with a larger window",
        key(app, Context::Confirm, Action::PickAnother)
    )));
    lines.push(Line::from(format!(
        "{}  keep the draft, send nothing",
        key(app, Context::Confirm, Action::No)
    )));
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        inner,
    );
}

pub fn confirm_quit(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let r = centered(area, 40, 20, 24, 3);
    let r = Rect { height: 3, ..r };
    let inner = open_box(f, r, area, " quit? ", theme);
    f.render_widget(
        Paragraph::new(format!("Quit orchat?  {}", yes_no(app))),
        inner,
    );
}

/// The database is damaged: save the conversation to a new file?
pub fn confirm_rescue(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let r = centered(area, 70, 40, 30, 8);
    let r = Rect {
        height: r.height.min(8),
        ..r
    };
    let inner = open_box(f, r, area, " the database is damaged ", theme);
    let why = app.env.saving.line();
    let lines = vec![
        Line::from(Span::styled(sanitize(&why).into_owned(), theme.warn)),
        Line::from("This conversation is still here, in memory."),
        Line::from(format!(
            "Save it to a new file (JSON, importable)?  {}",
            yes_no(app)
        )),
    ];
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        inner,
    );
}
