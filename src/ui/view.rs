//! What the screen remembers between frames, owned by the runtime beside the
//! app: where the conversation pane and each compare column are scrolled
//! to, the scroll requests already applied, wrapped lines and encoded
//! images. `update` never sees it; it asks for scrolling through
//! `Screen::scroll` (running totals), and a message's lines are drawn again
//! when its revision moves on.

use crate::app::conversation::NodeId;
use crate::app::{App, Jump, ScrollRequest};

use super::images::ImageCache;
use super::rendered::Cache;

/// The first visible line of the conversation pane: (item index, line
/// within the item). `None` follows the bottom.
pub(super) type Anchor = Option<(usize, usize)>;

/// The conversation pane's scroll: where it is, and which of the app's
/// requests it has taken.
#[derive(Default)]
pub(super) struct Scroll {
    anchor: Anchor,
    /// The app's scroll request as of the last frame.
    applied: ScrollRequest,
}

impl Scroll {
    /// Following the bottom (not scrolled up).
    pub(super) fn following(&self) -> bool {
        self.anchor.is_none()
    }

    /// The scroll asked for since the last frame, in lines for a pane
    /// `height` rows high (a page is the height less a line, as in `less`),
    /// and a jump if one was asked for. Marks it applied.
    fn take(&mut self, app: &App, height: usize) -> (Option<Jump>, i64) {
        let now = app.screen.scroll;
        let was = std::mem::replace(&mut self.applied, now);
        let h = (height.max(2)) as i64;
        let lines = (now.lines - was.lines)
            + (now.pages - was.pages) * (h - 1)
            + (now.half_pages - was.half_pages) * (h / 2);
        let jump = (now.jumps != was.jumps).then_some(now.jump);
        (jump, lines)
    }
}

#[derive(Default)]
pub struct View {
    pub(super) scroll: Scroll,
    pub(super) cache: Cache,
    pub images: ImageCache,
    /// Each compare column's scroll, by answer.
    pub(super) columns: std::collections::HashMap<NodeId, ColumnScroll>,
    /// The last frame's pane, when it followed the bottom of a full pane.
    bottom: Option<BottomMark>,
    /// This frame's pane moved up by whole lines since the last one.
    shift: Option<(ratatui::layout::Rect, u16)>,
    /// The conversation pane as last drawn (mouse events are read in it).
    pub pane: ratatui::layout::Rect,
    /// The text under the mouse selection, as last drawn.
    pub selection_text: Option<String>,
    /// The conversation the caches hold (its id and how many messages its
    /// tree had): another one, or a tree that shrank (`/clear`), drops them.
    drawn_for: (String, usize),
    /// Set when the caches were dropped: the runtime gives the memory back.
    pub released: bool,
}

/// Where a bottom-following pane was: its area, how many items, which the
/// last one was and how many lines it had.
#[derive(Clone, Copy, PartialEq)]
struct BottomMark {
    area: ratatui::layout::Rect,
    items: usize,
    last: Option<NodeId>,
    last_len: usize,
}

impl View {
    pub fn new() -> View {
        View::default()
    }

    /// Bytes of rendered lines the view keeps between frames (see
    /// `Cache::kept_bytes`).
    pub fn kept_bytes(&self) -> usize {
        self.cache.kept_bytes()
    }

    /// How many messages' rendered lines are kept (finished entries and
    /// streaming answers): what a conversation holds beyond its text.
    pub fn cached_entries(&self) -> usize {
        self.cache.slots.iter().filter(|s| s.is_some()).count() + self.cache.live.len()
    }

    /// Keeps the caches only for the conversation `id` with `messages`
    /// messages in its tree (an arena: it only grows while it is the same
    /// conversation). A new or cleared conversation drops every rendered
    /// line of the old one, and sets `released`.
    pub(super) fn follow(&mut self, id: &str, messages: usize) {
        let (was, had) = &self.drawn_for;
        if was != id || messages < *had {
            let dropped = !self.cache.slots.is_empty() || !self.cache.live.is_empty();
            self.cache = Cache::default();
            self.columns.clear();
            self.bottom = None;
            self.released |= dropped;
            self.drawn_for = (id.to_string(), messages);
        } else {
            self.drawn_for.1 = messages;
        }
    }

    /// How far the conversation pane moved up since the last frame, in
    /// lines, when only its last entry grew at the bottom: the painter
    /// scrolls the terminal instead of redrawing it (`term::screen::Painter`).
    pub fn take_shift(&mut self) -> Option<(ratatui::layout::Rect, u16)> {
        self.shift.take()
    }

    /// This frame's pane: `following` a full pane's bottom (images aside),
    /// with `items` items, the last (`last`) `last_len` lines long.
    pub(super) fn mark_bottom(
        &mut self,
        area: ratatui::layout::Rect,
        following: bool,
        items: usize,
        last: Option<NodeId>,
        last_len: usize,
    ) {
        let now = following.then_some(BottomMark {
            area,
            items,
            last,
            last_len,
        });
        self.shift = match (self.bottom, now) {
            (Some(was), Some(now))
                if was.area == now.area
                    && was.items == now.items
                    && was.last == now.last
                    && now.last_len > was.last_len =>
            {
                u16::try_from(now.last_len - was.last_len)
                    .ok()
                    .filter(|&n| n < area.height)
                    .map(|n| (area, n))
            }
            _ => None,
        };
        self.bottom = now;
    }
}

/// The anchor that shows the last `height` lines of `n` entries whose
/// heights `h` gives.
pub(super) fn bottom_anchor(
    n: usize,
    height: usize,
    h: &mut dyn FnMut(usize) -> usize,
) -> (usize, usize) {
    let mut need = height;
    let mut i = n;
    while i > 0 {
        i -= 1;
        let hi = h(i);
        if hi >= need {
            return (i, hi - need);
        }
        need -= hi;
    }
    (0, 0)
}

/// `a` moved by `delta` lines (negative: up), kept within the entries.
pub(super) fn move_anchor(
    a: (usize, usize),
    delta: i64,
    n: usize,
    h: &mut dyn FnMut(usize) -> usize,
) -> (usize, usize) {
    let (mut i, mut l) = a;
    if delta < 0 {
        let mut left = delta.unsigned_abs() as usize;
        while left > 0 {
            if l >= left {
                l -= left;
                left = 0;
            } else {
                left -= l + 1;
                if i == 0 {
                    return (0, 0);
                }
                i -= 1;
                l = h(i).saturating_sub(1);
            }
        }
    } else {
        let mut left = delta as usize;
        while left > 0 && i < n {
            let hi = h(i);
            if l + left < hi {
                l += left;
                left = 0;
            } else {
                left -= hi - l;
                i += 1;
                l = 0;
            }
        }
        if i >= n {
            let last = n.saturating_sub(1);
            return (last, h(last).saturating_sub(1));
        }
    }
    (i, l)
}

/// Where the pane starts this frame: the request applied to the anchor,
/// which follows the bottom again once within a screen of it. `n` items.
pub(super) fn resolve(
    view: &mut Scroll,
    app: &App,
    n: usize,
    height: usize,
    h: &mut dyn FnMut(usize) -> usize,
) -> (usize, usize) {
    let (jump, delta) = view.take(app, height);
    match jump {
        Some(Jump::Top) => view.anchor = Some((0, 0)),
        Some(Jump::Bottom) => view.anchor = None,
        None => {}
    }
    if delta != 0 {
        let start = match view.anchor {
            Some(a) => a,
            None => bottom_anchor(n, height, h),
        };
        view.anchor = Some(move_anchor(start, delta, n, h));
    }
    if let Some(a) = view.anchor {
        let mut below = 0usize;
        let mut i = a.0;
        while i < n && below < height + a.1 + 1 {
            below += h(i);
            i += 1;
        }
        if below.saturating_sub(a.1) <= height {
            view.anchor = None;
        }
    }
    view.anchor.unwrap_or_else(|| bottom_anchor(n, height, h))
}

/// A compare column's scroll: the first line shown (`None` follows the
/// bottom), and the app's requests already applied.
#[derive(Default)]
pub struct ColumnScroll {
    top: Option<usize>,
    applied: ScrollRequest,
}

impl ColumnScroll {
    pub(super) fn new(follow: bool, asked: ScrollRequest) -> ColumnScroll {
        ColumnScroll {
            top: (!follow).then_some(0),
            applied: asked,
        }
    }

    /// The first line to show of `len` in `height` rows, after the
    /// requests that came since the last frame (`asked`: `None` when the
    /// column has not the keyboard; what was asked meanwhile is not its).
    pub(super) fn resolve(
        &mut self,
        asked: &ScrollRequest,
        focused: bool,
        len: usize,
        height: usize,
    ) -> usize {
        let was = std::mem::replace(&mut self.applied, *asked);
        let last = len.saturating_sub(height);
        if focused {
            if asked.jumps != was.jumps {
                self.top = match asked.jump {
                    Jump::Top => Some(0),
                    Jump::Bottom => None,
                };
            }
            let h = height.max(2) as i64;
            let delta = (asked.lines - was.lines)
                + (asked.pages - was.pages) * (h - 1)
                + (asked.half_pages - was.half_pages) * (h / 2);
            if delta != 0 {
                let from = self.top.unwrap_or(last) as i64;
                let to = (from + delta).clamp(0, last as i64) as usize;
                self.top = (to < last).then_some(to);
            }
        }
        match self.top {
            Some(t) if t < last => t,
            _ => {
                self.top = None;
                last
            }
        }
    }
}
