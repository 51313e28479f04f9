//! The money screens at 120x40, 80x24 and 60x20: the cost panel, the model
//! picker and the session list keep every figure whole (the cost column is
//! the last to go), ids that differ stay different, and columns line up.
//! Each snapshot was read by eye.

mod common;

use std::str::FromStr;

use common::{ctrl, new_app, screen, type_text};
use orchat::app::{App, Mode, Msg, SessionItem, SessionsState, update};
use orchat::chat::pricing::{Charge, Cost, CostKind, Ledger};
use orchat::store::ConversationMeta;
use rust_decimal::Decimal;

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (60, 20)];

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn charge(model: &str, usd: &str, kind: CostKind, tokens: (u64, u64, u64)) -> Charge {
    Charge {
        id: format!("c/{model}/{usd}"),
        conversation_id: "c".into(),
        model: model.into(),
        cost: Cost::new(dec(usd), kind),
        prompt_tokens: tokens.0,
        completion_tokens: tokens.1,
        reasoning_tokens: tokens.2,
        computed: (kind == CostKind::Reported).then(|| dec(usd)),
        estimate: (kind == CostKind::Settled).then(|| dec("0.0041")),
        ..Charge::default()
    }
}

/// A conversation that paid for five requests on four models: one partly at
/// the cache-read price, a reported 2.5 Pro answer, a stopped one settled
/// with OpenRouter, an estimate, and a local model with no known price.
fn billed_app() -> App {
    let mut app = new_app();
    app.env.openrouter = true;
    app.wallet.charges = vec![
        charge(
            "google/gemini-2.5-flash",
            "0.00029485",
            CostKind::Computed,
            (1290, 62, 0),
        ),
        charge(
            "google/gemini-2.5-pro",
            "0.00414625",
            CostKind::Reported,
            (21, 412, 356),
        ),
        charge(
            "google/gemini-2.5-pro",
            "0.0042",
            CostKind::Settled,
            (30, 400, 350),
        ),
        charge(
            "google/gemini-2.0-flash-001",
            "0.0000166",
            CostKind::Estimated,
            (14, 38, 0),
        ),
        charge("local/mystery-7b", "0", CostKind::Unknown, (9, 120, 0)),
    ];
    app.wallet.ledger = Ledger::of(&app.wallet.charges);
    app.wallet.account = Some(orchat::api::account::Account {
        usage: Some(dec("1.2345678")),
        limit: Some(dec("10")),
        remaining: Some(dec("8.7654322")),
        is_free_tier: false,
        credits_purchased: Some(dec("20")),
    });
    app.wallet.free_day = orchat::store::utc_day(app.epoch_ms());
    app.wallet.free_today = 12;
    app
}

#[test]
fn the_cost_panel_keeps_every_digit_at_every_size() {
    let mut app = billed_app();
    update(&mut app, ctrl('o'));
    assert!(matches!(app.screen.mode, Mode::Cost));
    let total = app.wallet.ledger.total();
    assert_eq!(
        total,
        dec("0.0086577"),
        "0.00029485 + 0.00414625 + 0.0042 + 0.0000166"
    );
    for (w, h) in SIZES {
        let s = screen(&app, w, h);
        for figure in ["$0.00029485", "$0.00834625", "$0.0000166", "$0.0086577 + ?"] {
            assert!(s.contains(figure), "{figure} at {w}x{h}:\n{s}");
        }
        insta::assert_snapshot!(format!("cost_panel_{w}x{h}"), s);
    }
}

#[test]
fn the_picker_keeps_ids_distinct_and_tags_at_every_size() {
    let mut app = billed_app();
    type_text(&mut app, "describe this picture in a few words");
    update(&mut app, ctrl('p'));
    for c in "image".chars() {
        update(
            &mut app,
            Msg::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Char(c),
            )),
        );
    }
    for (w, h) in SIZES {
        let s = screen(&app, w, h);
        // The paid and the free image preview never look alike.
        let rows: Vec<&str> = s
            .lines()
            .filter(|l| l.contains("image-pre") || l.contains("…"))
            .collect();
        let ids: std::collections::BTreeSet<&str> = rows
            .iter()
            .filter_map(|l| {
                l.split_whitespace()
                    .find(|w| w.contains("gemini") || w.contains('…'))
            })
            .collect();
        assert_eq!(ids.len(), rows.len(), "ids alike at {w}x{h}:\n{s}");
        assert!(s.contains("free 12/1000"), "the :free day at {w}x{h}:\n{s}");
        assert!(s.contains("≈$0.00000"), "send-now digits at {w}x{h}:\n{s}");
        insta::assert_snapshot!(format!("picker_{w}x{h}"), s);
    }
}

#[test]
fn the_session_list_keeps_the_cost_whole_at_every_size() {
    let mut app = new_app();
    let item = |id: &str, title: &str, cost: &str, unknown: u32| SessionItem {
        meta: ConversationMeta {
            id: id.into(),
            title: title.into(),
            created_ms: 1_700_000_000_000,
            updated_ms: 1_700_000_000_000,
            models: vec![
                "google/gemini-2.5-flash".into(),
                "google/gemini-2.5-pro".into(),
            ],
            messages: 12,
            total_cost: dec(cost),
            unknown_costs: unknown,
            current: None,
        },
        snippet: None,
    };
    app.screen.mode = Mode::Sessions(SessionsState {
        items: vec![
            item(
                "3fa2c1d0e9b8",
                "How do lifetimes work in Rust?",
                "0.00721105",
                0,
            ),
            item(
                "imported-with-a-much-longer-id",
                "Penguins",
                "0.00029485",
                0,
            ),
            item("ab", "A local model", "0", 2),
        ],
        ..SessionsState::default()
    });
    for (w, h) in SIZES {
        let s = screen(&app, w, h);
        for figure in ["$0.00721105", "$0.00029485", "?"] {
            assert!(s.contains(figure), "{figure} at {w}x{h}:\n{s}");
        }
        insta::assert_snapshot!(format!("sessions_{w}x{h}"), s);
    }
}
