//! The session browser: saved conversations to search, open, rename and
//! delete.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{centered, key, open_box, table_of, yes_no};
use crate::app::{App, SessionsState};
use crate::chat::pricing::format_usd;
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};
use crate::text::sanitize;
use crate::ui::columns::{self, Column};

pub fn sessions(f: &mut Frame, app: &App, theme: &Theme, s: &SessionsState, area: Rect) {
    let r = centered(area, 94, 86, 40, 10);
    let k = |a| key(app, Context::Sessions, a);
    let title = format!(
        " conversations · type to search · {} open · {} rename · {} delete · {} close ",
        k(Action::Choose),
        k(Action::RenameSession),
        k(Action::DeleteSession),
        k(Action::Close)
    );
    let inner = open_box(f, r, area, &title, theme);
    let [top, table_row] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let prompt = if s.confirm_delete {
        Line::from(Span::styled(
            format!("delete the selected conversation? {}", yes_no(app)),
            theme.warn,
        ))
    } else if let Some(t) = &s.renaming {
        Line::from(vec![
            Span::styled("new title: ", theme.dim),
            Span::raw(sanitize(t).into_owned()),
            Span::styled("▏", theme.border_focus),
        ])
    } else if let Some(e) = &s.error {
        Line::from(Span::styled(crate::text::preview(e, 200), theme.error))
    } else {
        Line::from(vec![
            Span::styled("search: ", theme.dim),
            Span::raw(sanitize(&s.query).into_owned()),
            Span::styled("▏", theme.border_focus),
        ])
    };
    f.render_widget(Paragraph::new(prompt), top);
    let updated = format!("updated{}", crate::time::zone_note(&app.env.tz));
    let mut cols = [
        Column::new("", 11),
        Column::new(&updated, 7),
        Column::new("title", 9).flex_prose().min_width(16),
        Column::new("models", 4),
        Column::new("msgs", 5).right(),
        Column::new("cost", 10).right(),
    ];
    for item in &s.items {
        let m = &item.meta;
        let title = match &item.snippet {
            Some(snip) => format!("{} — {}", m.title, snip),
            None => m.title.clone(),
        };
        let cells = [
            if m.id == app.conversation.id {
                "●"
            } else {
                " "
            }
            .to_string(),
            crate::time::local_minute(m.updated_ms, &app.env.tz),
            sanitize(&crate::text::preview(&title, 120)).into_owned(),
            sanitize(&crate::text::preview(
                &m.models
                    .iter()
                    .map(|x| x.rsplit('/').next().unwrap_or(x))
                    .collect::<Vec<_>>()
                    .join(", "),
                40,
            ))
            .into_owned(),
            m.messages.to_string(),
            match m.unknown_costs {
                0 => format_usd(m.total_cost),
                _ if m.total_cost.is_zero() => "?".to_string(),
                _ => format!("{} + ?", format_usd(m.total_cost)),
            },
        ];
        for (c, v) in cols.iter_mut().zip(cells) {
            c.cells.push(v);
        }
    }
    let fitted = columns::fit(cols.into(), table_row.width as usize, 1);
    let visible = table_row.height.saturating_sub(1) as usize;
    let first = s.selected.saturating_sub(visible.saturating_sub(1));
    let table = table_of(&fitted, s.items.len(), first, visible, theme, |r| {
        (r == s.selected).then_some(theme.selected)
    });
    f.render_widget(table, table_row);
    if s.items.is_empty() && s.error.is_none() {
        let msg = if s.query.is_empty() {
            "no saved conversations yet"
        } else {
            "nothing matches"
        };
        f.render_widget(
            Paragraph::new(Span::styled(msg, theme.dim)),
            Rect {
                y: table_row.y + 1,
                height: 1,
                ..table_row
            },
        );
    }
}
