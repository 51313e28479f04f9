//! The whole tree (`/tree`): one line per message (the first words, the
//! model, what it cost and how it ended), a branch's cost beside where it
//! starts, the current path marked (●); Enter goes there. Only the rows in
//! view are drawn, so a tree of 10,000 messages opens as fast as one of 10.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{centered, key, open_box};
use crate::app::conversation::{Body, NodeId};
use crate::app::{App, TreeState, short};
use crate::chat::answer::Status;
use crate::chat::pricing::{CostKind, format_usd};
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};
use crate::text::sanitize;
use unicode_width::UnicodeWidthStr;

pub fn tree(f: &mut Frame, app: &App, theme: &Theme, t: &TreeState, area: Rect) {
    let r = centered(area, 96, 90, 40, 8);
    let k = |a| key(app, Context::Tree, a);
    let title = format!(
        " the conversation's tree · {} go there · {}/{} move · {} close ",
        k(Action::Choose),
        k(Action::ListUp),
        k(Action::ListDown),
        k(Action::Close)
    );
    let inner = open_box(f, r, area, &title, theme);
    let c = &app.conversation;
    let on_path: std::collections::HashSet<NodeId> = c.path().iter().copied().collect();
    let height = usize::from(inner.height);
    let first = t
        .selected
        .saturating_sub(height / 2)
        .min(t.rows.len().saturating_sub(height));
    let width = usize::from(inner.width);
    let lines: Vec<Line<'static>> = t
        .rows
        .iter()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, &(id, depth))| {
            let line = row(app, id, depth, on_path.contains(&id), width);
            let style = if i == t.selected {
                theme.selected
            } else if on_path.contains(&id) {
                theme.text
            } else {
                theme.dim
            };
            Line::from(Span::styled(line, style))
        })
        .collect();
    crate::ui::paint::draw_lines(f.buffer_mut(), inner, &lines);
}

/// One message as a row, fitted to `width` cells: its place in the tree,
/// the first words (a prompt) or the model, cost and ending (an answer), and
/// where a branch starts, what the branch cost.
fn row(app: &App, id: NodeId, depth: usize, on_path: bool, width: usize) -> String {
    let c = &app.conversation;
    let tree = c.tree();
    let (at, of) = tree.place(id);
    let starts_branch = at > 1;
    let mut head = "│ ".repeat(depth.saturating_sub(usize::from(starts_branch)));
    if starts_branch {
        head.push_str("├─");
    }
    head.push_str(if on_path { "● " } else { "○ " });
    let place = if of > 1 {
        format!(" ‹{at}/{of}›")
    } else {
        String::new()
    };
    let mut tail = String::new();
    if starts_branch || (of > 1 && at == 1) {
        let (cost, unknown) = c.cost_below(id);
        tail = format!(
            "  branch {}{}",
            format_usd(cost),
            if unknown { " + ?" } else { "" }
        );
    }
    let body = match tree.body(id) {
        Some(Body::Prompt(p)) => {
            let words: String = p.text.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("you{place}: {}", sanitize(&words))
        }
        Some(Body::Reply(r)) => {
            let cost = match r.cost {
                Some(cost) if cost.kind == CostKind::Unknown => "cost ?".to_string(),
                Some(cost) if cost.kind == CostKind::Estimated => {
                    format!("≈{}", format_usd(cost.usd))
                }
                Some(cost) => format_usd(cost.usd),
                None if r.is_live() => "streaming".to_string(),
                None => "nothing billed".to_string(),
            };
            let ended = match r.answer.status {
                Status::Complete => String::new(),
                s => format!(" · {}", s.label()),
            };
            format!(
                "{}{place} · {cost}{ended}",
                sanitize(short(r.answer.model()))
            )
        }
        _ => String::new(),
    };
    // The branch's cost stays whole; the words give way.
    let room = width.saturating_sub(head.width() + tail.width());
    let body = if body.width() > room {
        let mut cut = String::new();
        for ch in body.chars() {
            if cut.width() + 2 > room {
                break;
            }
            cut.push(ch);
        }
        format!("{cut}…")
    } else {
        body
    };
    format!("{head}{body}{tail}")
}
