//! The conversation pane: the current path, each message rendered
//! (`rendered` keeps what can be kept). Finished messages are wrapped once
//! per width and kept until their revision moves on; of a streaming answer
//! only the blocks still open are re-rendered each frame (the settled ones
//! are kept, shared, in the cache), and only once per frame. Drawing walks
//! from the anchor (or the bottom) over visible lines only, so a frame
//! costs the same with 10 or 100,000 messages.

use std::collections::HashMap;
use std::rc::Rc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::app::conversation::{Body as Message, NodeId};
use crate::config::theme::Theme;
use crate::keymap::Action;
use crate::text::sanitize;

use super::answer::{Body, answer_body, assistant_header, note_lines, place_mark, wrap_plain};
use super::rendered::{Caches, Drawn, ImageSlot, Lines, Out, Rendered, visible};
use super::view::View;

/// What the pane lists: the notes before the first prompt (when there are
/// any), then each message of the current path with its notes.
#[derive(Clone, Copy)]
pub(super) struct Items<'a> {
    root: bool,
    path: &'a [NodeId],
}

/// One item of the pane.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Item {
    RootNotes,
    Message(NodeId),
}

impl<'a> Items<'a> {
    pub(super) fn of(app: &'a App) -> Items<'a> {
        let c = &app.conversation;
        Items {
            root: !c.tree().root_notes().is_empty(),
            path: c.path(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.path.len() + usize::from(self.root)
    }

    pub(super) fn get(&self, i: usize) -> Item {
        match (self.root, i) {
            (true, 0) => Item::RootNotes,
            (true, i) => Item::Message(self.path[i - 1]),
            (false, i) => Item::Message(self.path[i]),
        }
    }
}

/// The lines of item `item` at `width`.
fn item_lines(app: &App, theme: &Theme, c: &mut Caches, item: Item, width: u16) -> Lines {
    let id = match item {
        Item::RootNotes => {
            let mut out = Out::default();
            for &n in app.conversation.tree().root_notes() {
                note_lines(app, theme, n, width, &mut out);
            }
            out.push(Line::default());
            let (parts, len) = out.finish();
            return Rc::new(Rendered {
                parts,
                len,
                images: Vec::new(),
            });
        }
        Item::Message(id) => id,
    };
    let Some(slot) = app.conversation.tree().get(id) else {
        return Rc::new(Rendered {
            parts: Vec::new(),
            len: 0,
            images: Vec::new(),
        });
    };
    let selected = app.screen.focus_conversation && app.screen.selected == Some(id);
    let live = slot.body.reply().is_some_and(|r| r.is_live());
    let drawn = Drawn {
        revision: slot.revision,
        width,
        reasoning: app.screen.show_reasoning,
        selected,
    };
    if !live && let Some(lines) = c.cache.get(id, drawn) {
        return lines;
    }
    let mut images = Vec::new();
    let mut out = render_message(app, theme, c, id, width, &mut images);
    if selected {
        // The selected message (for y / c / ←→) stands out by its first line.
        out.patch_first(theme.selected);
    }
    let (parts, len) = out.finish();
    let lines: Lines = Rc::new(Rendered { parts, len, images });
    if !live {
        c.cache.put(id, drawn, lines.clone());
    }
    lines
}

fn render_message(
    app: &App,
    theme: &Theme,
    c: &mut Caches,
    id: NodeId,
    width: u16,
    slots: &mut Vec<ImageSlot>,
) -> Out {
    let mut out = Out::default();
    let Some(slot) = app.conversation.tree().get(id) else {
        return out;
    };
    match &slot.body {
        Message::Prompt(p) => {
            let mut head = vec![Span::styled("▌ you", theme.user_label)];
            if let Some(mark) = place_mark(app, id) {
                head.push(Span::styled(mark, theme.notice));
            }
            out.push(Line::from(head));
            out.extend(wrap_plain(&p.text, theme.text, width, "  "));
            for img in &p.images {
                out.push(Line::from(Span::styled(
                    format!("  📎 {}", img.label()),
                    theme.dim,
                )));
            }
        }
        Message::Reply(r) => {
            // Refused before any answer: its note says it all, unless other
            // branches are here to walk to.
            let (_, of) = app.conversation.tree().place(id);
            if !(r.nothing_came() && of < 2) {
                out.push(assistant_header(app, theme, r, id, width));
                let how = Body {
                    fold_reasoning: false,
                    column: false,
                };
                answer_body(app, theme, c, r, id, how, width, slots, &mut out);
            }
            if of > 1 && !r.is_live() {
                out.extend(wrap_plain(
                    &format!(
                        "  ⇄ {} other answer{} here · {} / {} walk them",
                        of - 1,
                        if of == 2 { "" } else { "s" },
                        app.key_label(Action::PrevSibling),
                        app.key_label(Action::NextSibling)
                    ),
                    theme.dim,
                    width,
                    "",
                ));
            }
        }
        Message::Note(_) => note_lines(app, theme, id, width, &mut out),
    }
    // A blank line between a message and what is said after it.
    if !slot.notes.is_empty() && out.len() > 0 {
        out.push(Line::default());
    }
    for &n in &slot.notes {
        note_lines(app, theme, n, width, &mut out);
    }
    out.push(Line::default());
    out
}

/// Resolves the scroll request against real line heights and draws the
/// visible lines.
pub fn draw(f: &mut Frame, app: &App, view: &mut View, theme: &Theme, area: Rect) {
    let width = area.width.max(1);
    let height = area.height as usize;
    let items = Items::of(app);
    let n = items.len();
    if n == 0 || height == 0 {
        draw_empty(f, app, theme, area);
        return;
    }
    let View {
        scroll,
        cache,
        images,
        ..
    } = view;
    let mut caches = Caches { cache, images };
    // Within a frame an item is rendered at most once (the streaming
    // answer is not cached across frames, and heights and drawing both ask).
    let mut memo: HashMap<usize, Lines> = HashMap::new();
    let mut lines_of = |i: usize| -> Lines {
        Rc::clone(
            memo.entry(i)
                .or_insert_with(|| item_lines(app, theme, &mut caches, items.get(i), width)),
        )
    };
    let (ei, li) = super::view::resolve(scroll, app, n, height, &mut |i| lines_of(i).len());
    let following = scroll.following() && (ei, li) != (0, 0);
    let last_len = lines_of(n - 1).len();
    // Walk forward from the first visible line over visible lines only.
    // (entry, its first line shown, how many shown)
    let mut shown = Vec::new();
    let mut rows = 0;
    let mut images = Vec::new();
    let mut i = ei;
    let mut skip = li;
    while i < n && rows < height {
        let r = lines_of(i);
        let row0 = rows;
        let take = r.len().saturating_sub(skip).min(height - row0);
        rows += take;
        for slot in &r.images {
            let rows = usize::from(slot.protocol.size().height);
            // Only images wholly in view are drawn; the placeholder line says so otherwise.
            if slot.line >= skip && slot.line + rows <= skip + take {
                let y = area.y + (row0 + slot.line - skip) as u16;
                images.push((y, slot.protocol.clone()));
            }
        }
        shown.push((r, skip, take));
        skip = 0;
        i += 1;
    }
    let st = theme.markdown();
    let slices: Vec<_> = shown
        .iter()
        .flat_map(|(r, skip, take)| visible(app, caches.cache, &st, r, *skip, *take))
        .collect();
    let lines: Vec<Line> = slices
        .iter()
        .flat_map(|(p, from, n)| p.lines_from(*from).take(*n))
        .collect();
    super::paint::draw_lines(f.buffer_mut(), area, &lines);
    let last = match items.get(n - 1) {
        Item::Message(id) => Some(id),
        Item::RootNotes => None,
    };
    // Only text moves with a terminal scroll (not a graphics protocol's image).
    view.mark_bottom(area, following && images.is_empty(), n, last, last_len);
    for (y, proto) in images {
        let size = proto.size();
        let rect = Rect {
            x: area.x + 2,
            y,
            width: size.width.min(area.width.saturating_sub(2)),
            height: size.height,
        };
        // The placeholder line under the picture must not show beside it.
        f.render_widget(
            ratatui::widgets::Clear,
            Rect {
                x: area.x,
                y,
                width: area.width,
                height: 1,
            },
        );
        f.render_widget(ratatui_image::Image::new(&proto), rect);
    }
}

fn draw_empty(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mut lines = vec![
        Line::from(Span::styled("orchat", theme.assistant_label)),
        Line::from(Span::styled(
            format!(
                "model {} · {} to change · {} for help",
                sanitize(&app.chat.model),
                app.key_label(Action::OpenPicker),
                app.key_label(Action::Help)
            ),
            theme.dim,
        )),
    ];
    if app.env.provider_label == "demo" {
        lines.push(Line::from(Span::styled(
            "demo mode: answers come from the built-in local server; set OPENROUTER_API_KEY for real models",
            theme.notice,
        )));
    }
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::conversation::Prompt;
    use crate::chat::answer::{Answer, Status};
    use crate::chat::catalog::Catalog;

    fn lines_of(out: Out) -> Vec<Line<'static>> {
        let (parts, len) = out.finish();
        let lines: Vec<Line<'static>> = parts
            .iter()
            .flat_map(|p| match p {
                super::super::rendered::Piece::Lines(p) => p.lines_from(0),
                _ => panic!("a deferred answer in a short test"),
            })
            .map(|l| Line {
                spans: l
                    .spans
                    .into_iter()
                    .map(|s| Span::styled(s.content.into_owned(), s.style))
                    .collect(),
                ..Line::default().style(l.style)
            })
            .collect();
        assert_eq!(lines.len(), len);
        lines
    }

    /// Frame after frame as an answer grows, the streaming answer drawn from
    /// the incremental cache has exactly the lines of a full render.
    #[test]
    fn streaming_answer_matches_a_full_render_as_it_grows() {
        let theme = Theme::dark();
        let mut app = App::new(Catalog::bundled(), "demo", "google/gemini-2.5-flash");
        let text = "# Title\n\npara one with **bold**\n\n```rust\nfn a() {}\n\nfn b() {}\n```\n\n\
                    hostile \u{1b}[31m red\r and \u{202e} bidi\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\nend 日本語";
        let p = app.conversation.add_prompt(
            Prompt {
                text: "q".into(),
                ..Prompt::default()
            },
            None,
            0,
        );
        let [(_, id)] =
            app.conversation
                .ask(p, vec![Answer::new("google/gemini-2.5-flash", 10, 0)], 0, 0)[..]
        else {
            panic!()
        };
        let mut view = View::new();
        for (cut, _) in text.char_indices().skip(1) {
            {
                let r = app.conversation.reply_mut(id).unwrap();
                r.answer.text = text[..cut].to_string();
                r.answer.status = Status::Streaming;
                r.timing.finished_ms = None;
            }
            let mut c = Caches {
                cache: &mut view.cache,
                images: &mut view.images,
            };
            let render = |app: &App, c: &mut Caches| {
                lines_of(render_message(app, &theme, c, id, 40, &mut Vec::new()))
            };
            // Streaming (through the incremental cache), then settled.
            let live = render(&app, &mut c);
            let settled = c.cache.live.first().map_or(0, |l| l.md.settled().len());
            app.conversation.reply_mut(id).unwrap().timing.finished_ms = Some(1);
            let full = render(&app, &mut c);
            assert_eq!(live, full, "at byte {cut}");
            // With no streaming state left, rendered whole: the same lines.
            let scratch = render(&app, &mut c);
            assert_eq!(full, scratch, "at byte {cut}");
            if cut > text.len() / 2 {
                assert!(settled > 0, "the settled blocks were kept at byte {cut}");
            }
            // Drawn finished, the answer's streaming state is let go.
            assert!(c.cache.live.is_empty(), "at byte {cut}");
        }
    }
}
