//! The cost panel: tokens and cost per model, the total, and how the
//! reported costs, the account and the free-model cap stand.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use rust_decimal::Decimal;

use super::{centered, common_vendor, key, open_box, table_of};
use crate::app::App;
use crate::chat::pricing::format_usd;
use crate::config::theme::Theme;
use crate::keymap::{Action, Context};
use crate::text::sanitize;
use crate::ui::columns::{self, Column};
use crate::ui::paint::short_count;

/// A subtotal's cost as the panel shows it: every digit, and `+ ?` for turns
/// whose cost is unknown (`?` when no turn's is known).
fn cost_cell(cost: Decimal, unknown: u32, turns: u32) -> String {
    match unknown {
        0 => format_usd(cost),
        n if n >= turns => "?".to_string(),
        _ => format!("{} + ?", format_usd(cost)),
    }
}

/// The cost panel's columns, with `vendor` left out of the model ids.
fn cost_columns(
    ledger: &crate::chat::pricing::Ledger,
    vendor: Option<&str>,
    catalog: &crate::chat::catalog::Catalog,
) -> Vec<Column> {
    let model_header = match vendor {
        Some(v) => format!("model ({v}…)"),
        None => "model".to_string(),
    };
    let mut cols = vec![
        Column::new(&model_header, 9).flex().min_width(18),
        Column::new("turns", 6).right(),
        Column::new("in", 5).right(),
        Column::new("out", 5).right(),
        Column::new("think", 3).right(),
        Column::new("img in", 2).right(),
        Column::new("img out", 2).right(),
        Column::new("cost", 11).right(),
        Column::new("estimated", 7).right(),
    ];
    // Web searches, apart (their fee is inside the cost): only once one ran.
    let searched = ledger.by_model.values().any(|s| !s.search.is_zero());
    if searched {
        cols.insert(8, Column::new("search", 10).right());
    }
    // Prompt tokens read from the provider's cache and what that saved
    // against the full prompt price: only once there were some.
    let cached = ledger.by_model.values().any(|s| s.cached_tokens > 0);
    if cached {
        cols.insert(3, Column::new("cached", 4).right());
        cols.push(Column::new("cache saved", 5).right());
    }
    let mut push = |mut cells: Vec<String>, search: String, cache: (String, String)| {
        if searched {
            cells.insert(8, search);
        }
        if cached {
            cells.insert(3, cache.0);
            cells.push(cache.1);
        }
        for (c, v) in cols.iter_mut().zip(cells) {
            c.cells.push(v);
        }
    };
    let approx = |d: Decimal| {
        if d.is_zero() {
            String::new()
        } else {
            format!("≈{}", format_usd(d))
        }
    };
    let fee = |d: Decimal| {
        if d.is_zero() {
            String::new()
        } else {
            format_usd(d)
        }
    };
    let mut saved = Decimal::ZERO;
    for (model, s) in &ledger.by_model {
        let shown = vendor.and_then(|v| model.strip_prefix(v)).unwrap_or(model);
        push(
            vec![
                sanitize(shown).into_owned(),
                s.turns.to_string(),
                short_count(s.prompt_tokens),
                short_count(s.completion_tokens),
                short_count(s.reasoning_tokens),
                s.images_in.to_string(),
                short_count(s.image_tokens),
                cost_cell(s.cost, s.unknown, s.turns),
                approx(s.estimated),
            ],
            fee(s.search),
            (
                short_count(s.cached_tokens),
                fee(catalog
                    .pricing(model)
                    .map_or(Decimal::ZERO, |p| p.cache_saving(s.cached_tokens))),
            ),
        );
        saved = crate::chat::pricing::sat_add(
            saved,
            catalog
                .pricing(model)
                .map_or(Decimal::ZERO, |p| p.cache_saving(s.cached_tokens)),
        );
    }
    let turns: u32 = ledger.by_model.values().map(|s| s.turns).sum();
    let search = ledger.by_model.values().fold(Decimal::ZERO, |a, s| {
        crate::chat::pricing::sat_add(a, s.search)
    });
    push(
        vec![
            "total".into(),
            turns.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            cost_cell(ledger.total(), ledger.unknown(), turns),
            approx(ledger.estimated()),
        ],
        fee(search),
        (
            short_count(ledger.by_model.values().map(|s| s.cached_tokens).sum()),
            fee(saved),
        ),
    );
    cols
}

pub fn cost(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let ledger = &app.wallet.ledger;
    let foot_lines = foot_lines(app);
    let rows = ledger.by_model.len() + 1;
    // As tall as what it holds (the table with its total row first, then
    // the notes as they wrap), at least 70% of the screen.
    let inner_w = usize::from(centered(area, 96, 70, 40, 10).width.saturating_sub(2)).max(1);
    let foot_rows: usize = foot_lines
        .iter()
        .map(|l| {
            unicode_width::UnicodeWidthStr::width(l.as_str())
                .div_ceil(inner_w)
                .max(1)
        })
        .sum();
    let need = u16::try_from(rows + 1 + foot_rows + 2).unwrap_or(u16::MAX);
    let r = centered(area, 96, 70, 40, 10.max(need));
    let title = format!(
        " cost per model · {} close ",
        key(app, Context::Cost, Action::Close)
    );
    let inner = open_box(f, r, area, &title, theme);
    // Whole ids where there is room; the shared `google/` goes when the ids
    // would be cut.
    let full = cost_columns(ledger, None, &app.env.catalog);
    let vendor = common_vendor(ledger.by_model.keys().map(String::as_str));
    let cols = match columns::fit(full.clone(), inner.width as usize, 1).first() {
        Some((c, w)) if *w < c.natural() && vendor.is_some() => {
            cost_columns(ledger, vendor.as_deref(), &app.env.catalog)
        }
        _ => full,
    };
    let table_height = u16::try_from(rows + 1)
        .unwrap_or(u16::MAX)
        .min(inner.height);
    let [table_area, foot] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(inner);
    let fitted = columns::fit(cols, table_area.width as usize, 1);
    let table = table_of(&fitted, rows, 0, rows, theme, |r| {
        (r + 1 == rows).then_some(theme.assistant_label)
    });
    f.render_widget(table, table_area);
    f.render_widget(
        Paragraph::new(
            foot_lines
                .into_iter()
                .map(|l| Line::from(Span::styled(l, theme.dim)))
                .collect::<Vec<_>>(),
        )
        .wrap(ratatui::widgets::Wrap { trim: true }),
        foot,
    );
}

/// The notes under the table: reported against our prices, settlement,
/// unknown prices, the account, free-model use, and why saving is off.
fn foot_lines(app: &App) -> Vec<String> {
    let ledger = &app.wallet.ledger;
    let reported: Decimal = ledger.by_model.values().map(|s| s.reported).sum();
    // Our prices can only be compared where we have them: a reported cost of
    // a model with no known price is "?", never $0 and a false gap.
    let priced = |s: &&crate::chat::pricing::Subtotal| s.reported_unpriced == 0;
    let reported_priced: Decimal = ledger
        .by_model
        .values()
        .filter(priced)
        .map(|s| s.reported)
        .sum();
    let ours: Decimal = ledger
        .by_model
        .values()
        .filter(priced)
        .map(|s| s.computed_for_reported)
        .sum();
    let unpriced = ledger.by_model.values().any(|s| s.reported_unpriced > 0);
    let mut foot_lines = Vec::new();
    // Cache hits in one line too, for a panel too narrow for their columns.
    let cached: u64 = ledger.by_model.values().map(|s| s.cached_tokens).sum();
    if cached > 0 {
        let saved = ledger.by_model.iter().fold(Decimal::ZERO, |a, (m, s)| {
            crate::chat::pricing::sat_add(
                a,
                app.env
                    .catalog
                    .pricing(m)
                    .map_or(Decimal::ZERO, |p| p.cache_saving(s.cached_tokens)),
            )
        });
        foot_lines.push(format!(
            "cache: {cached} prompt tokens read from the provider's cache saved {}",
            format_usd(saved)
        ));
    }
    // Every branch is billed; the path on screen is one of them.
    let branches = app
        .conversation
        .tree()
        .slots()
        .filter(|(_, s)| !s.body.is_note() && s.children.is_empty())
        .count();
    if branches > 1 {
        let (path, unknown) = app.conversation.path_cost();
        foot_lines.push(format!(
            "this path {}{} of {} in all ({branches} branches, every one billed)",
            format_usd(path),
            if unknown { " + ?" } else { "" },
            format_usd(ledger.total())
        ));
    }
    if reported.is_zero() && !unpriced {
        foot_lines.push("no reported costs yet".to_string());
    } else if unpriced && reported_priced.is_zero() {
        foot_lines.push(format!(
            "reported {} · our prices say ? (no price known for the model)",
            format_usd(reported)
        ));
    } else if unpriced {
        foot_lines.push(format!(
            "reported {} · our prices say {} + ? · gap {} on the priced models",
            format_usd(reported),
            format_usd(ours),
            format_usd(reported_priced - ours)
        ));
    } else {
        foot_lines.push(format!(
            "reported {} · our prices say {} · gap {}",
            format_usd(reported),
            format_usd(ours),
            format_usd(reported - ours)
        ));
    }
    let (settled, was_estimated) = ledger.settled();
    if !settled.is_zero() || !was_estimated.is_zero() {
        foot_lines.push(format!(
            "settled with OpenRouter {} · estimated {} · off {}",
            format_usd(settled),
            format_usd(was_estimated),
            format_usd(settled - was_estimated)
        ));
    }
    if ledger.unknown() > 0 {
        foot_lines.push("? no price known, none reported".into());
    }
    if let Some(a) = &app.wallet.account {
        let used = a.usage.map_or("?".into(), format_usd);
        foot_lines.push(match (a.limit, a.remaining) {
            (Some(l), Some(r)) => format!(
                "account {used} used · {} limit · {} left",
                format_usd(l),
                format_usd(r)
            ),
            _ => format!("account {used} used · no limit"),
        });
    }
    if let Some((used, cap)) = app.free_usage() {
        foot_lines.push(format!(
            "free models today {used}/{cap} (UTC, errors count)"
        ));
    }
    if app.env.saving != crate::store::SaveState::Saving {
        // Why saving does not work, whole: the status bar has a few words.
        foot_lines.insert(
            0,
            crate::text::sanitize(&app.env.saving.line()).into_owned(),
        );
    }
    foot_lines
}
