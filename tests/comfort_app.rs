//! Everyday comfort, driven as a user would against the local server: the
//! cost panel's cache columns, roles, math.

mod common;

use common::{Driver, screen};
use orchat::server::ServerOptions;

#[tokio::test]
async fn the_cost_panel_shows_cache_hits_and_what_they_saved() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("[[fault:cached:10]] a question asked with a long shared prefix, twice over");
    d.until_idle().await;
    let s = &d.app.wallet.ledger.by_model["google/gemini-2.5-flash"];
    assert_eq!(s.cached_tokens, 10);
    d.submit("/cost");
    let panel = screen(&d.app, 120, 40);
    assert!(panel.contains("cached") && panel.contains("cache saved"), "{panel}");
    // 10 tokens at $0.075/M instead of $0.30/M: $0.00000225 saved.
    assert!(panel.contains("$0.00000225"), "{panel}");
    insta::assert_snapshot!("cost_panel_cache_60x20", screen(&d.app, 60, 20));
    insta::assert_snapshot!("cost_panel_cache_120x40", panel);
    // Without cache hits the columns stay away.
    let mut fresh = Driver::new(ServerOptions::default()).await;
    fresh.submit("hello");
    fresh.until_idle().await;
    fresh.submit("/cost");
    assert!(!screen(&fresh.app, 120, 40).contains("cache saved"));
}
