//! What the app asks of a pane's scroll: running totals the view applies
//! the change of (only the view knows line heights and its own height),
//! and the last jump.

/// Where a scroll goes when it jumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jump {
    #[default]
    Bottom,
    Top,
}

/// Scrolling asked for, in running totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScrollRequest {
    /// Lines scrolled down (negative: up), in all.
    pub lines: i64,
    /// Pages (the pane's height less a line) scrolled down, in all.
    pub pages: i64,
    /// Half pages scrolled down, in all.
    pub half_pages: i64,
    /// Counts jumps, so the view takes each once.
    pub jumps: u64,
    pub jump: Jump,
}

impl ScrollRequest {
    pub fn jump(&mut self, to: Jump) {
        self.jumps += 1;
        self.jump = to;
    }
}
