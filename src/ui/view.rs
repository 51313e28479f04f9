//! What the screen remembers between frames, owned by the runtime beside the
//! app: where the conversation pane is scrolled to, the scroll requests
//! already applied, wrapped lines and encoded images. `update` never sees
//! it; it asks for scrolling through `App::scroll` (running totals) and for
//! fresh renderings through `App::render_epoch`, and the view takes what
//! changed at the next frame.

use crate::app::{App, Jump, ScrollRequest};

use super::images::ImageCache;
use super::rendered::Cache;

/// The first visible line of the conversation pane: (entry index, line
/// within the entry). `None` follows the bottom.
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
        let now = app.scroll;
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
    /// The app's render epoch the cache was filled under.
    epoch: u64,
    pub(super) cache: Cache,
    pub images: ImageCache,
    /// Each compare column's scroll, by turn.
    pub(super) columns: std::collections::HashMap<u64, super::compare::ColumnScroll>,
    /// The last frame's pane, when it followed the bottom of a full pane.
    bottom: Option<BottomMark>,
    /// This frame's pane moved up by whole lines since the last one.
    shift: Option<(ratatui::layout::Rect, u16)>,
}

/// Where a bottom-following pane was: its area, how many entries, how many
/// lines the last one had, under which render epoch.
#[derive(Clone, Copy, PartialEq)]
struct BottomMark {
    area: ratatui::layout::Rect,
    entries: usize,
    last_len: usize,
    epoch: u64,
}

impl View {
    pub fn new() -> View {
        View::default()
    }

    /// How far the conversation pane moved up since the last frame, in
    /// lines, when only its last entry grew at the bottom: the painter
    /// scrolls the terminal instead of redrawing it (`term::screen::Painter`).
    pub fn take_shift(&mut self) -> Option<(ratatui::layout::Rect, u16)> {
        self.shift.take()
    }

    /// This frame's pane: `following` a full pane's bottom (images aside),
    /// with `entries` entries, the last `last_len` lines long.
    pub(super) fn mark_bottom(
        &mut self,
        area: ratatui::layout::Rect,
        following: bool,
        entries: usize,
        last_len: usize,
    ) {
        let now = following.then_some(BottomMark {
            area,
            entries,
            last_len,
            epoch: self.epoch,
        });
        self.shift = match (self.bottom, now) {
            (Some(was), Some(now))
                if was.area == now.area
                    && was.entries == now.entries
                    && was.epoch == now.epoch
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

    /// Drops cached renderings the app has asked to redraw.
    pub(super) fn sync_epoch(&mut self, app: &App) {
        if self.epoch != app.render_epoch {
            self.epoch = app.render_epoch;
            self.cache.clear();
        }
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
/// which follows the bottom again once within a screen of it.
pub(super) fn resolve(
    view: &mut Scroll,
    app: &App,
    height: usize,
    h: &mut dyn FnMut(usize) -> usize,
) -> (usize, usize) {
    let n = app.entries.len();
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
