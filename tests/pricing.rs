//! Exact money through the public API: catalog prices × reported usage,
//! settling, the per-model ledger and how dollars are shown.

use std::str::FromStr;

use futures_util::StreamExt;
use orchat::api::sse::{StreamEvent, decode};
use orchat::api::types::{CompletionTokensDetails, PromptTokensDetails, Usage, WireDecimal};
use orchat::chat::catalog::Catalog;
use orchat::chat::pricing::{
    Cost, CostKind, Ledger, Pricing, TokenEstimate, TurnCharge, format_usd, per_million,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn pricing(id: &str) -> Pricing {
    Catalog::bundled()
        .get(id)
        .unwrap_or_else(|| panic!("{id} is in the bundled catalog"))
        .pricing
        .clone()
        .expect("a priced model")
}

fn tokens(prompt: u64, completion: u64) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        ..Usage::default()
    }
}

/// The usage a transcript's stream reports.
fn transcript_usage(text: &'static str) -> Usage {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let stream = futures_util::stream::iter([Ok(bytes::Bytes::from_static(text.as_bytes()))]);
    let events: Vec<_> = rt.block_on(decode(stream).collect());
    events
        .into_iter()
        .filter_map(|e| match e {
            Ok(StreamEvent::Usage(u)) => Some(u),
            _ => None,
        })
        .next_back()
        .expect("the transcript reports usage")
}

#[test]
fn a_million_tokens_each_way_on_gemini_2_0_flash_is_exactly_fifty_cents() {
    let p = pricing("google/gemini-2.0-flash-001");
    let cost = p.compute(&tokens(1_000_000, 1_000_000), 0);
    assert_eq!(cost, dec("0.50"));
    assert_eq!(cost.normalize().to_string(), "0.5");
    assert_eq!(format_usd(cost), "$0.50");
    // Each side on its own, and the per-million display.
    assert_eq!(p.compute(&tokens(1_000_000, 0), 0), dec("0.1"));
    assert_eq!(p.compute(&tokens(0, 1_000_000), 0), dec("0.4"));
    assert_eq!(per_million(p.prompt), "$0.10");
    assert_eq!(per_million(p.completion), "$0.40");
    // Small counts stay exact too: transcript A's 14 + 38 tokens.
    assert_eq!(p.compute(&tokens(14, 38), 0), dec("0.0000166"));
}

#[test]
fn a_thousand_input_images_on_2_5_flash_preview() {
    let p = pricing("google/gemini-2.5-flash-preview");
    assert_eq!(p.input_cost(0, 1000), dec("0.6192"));
    assert_eq!(p.compute(&Usage::default(), 1000), dec("0.6192"));
    assert_eq!(format_usd(p.input_cost(0, 1000)), "$0.6192");
    // Tokens and images add up exactly.
    assert_eq!(p.input_cost(1_000_000, 1000), dec("0.7692"));
}

#[test]
fn reasoning_tokens_are_billed_at_the_completion_rate_on_2_5_pro() {
    let u = transcript_usage(include_str!("fixtures/transcript_b_reasoning.sse"));
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.reasoning_tokens()),
        (21, 412, 356)
    );
    let p = pricing("google/gemini-2.5-pro");
    let computed = p.compute(&u, 0);
    assert_eq!(computed, dec("0.00414625"));
    assert_eq!(
        computed,
        dec("21") * dec("0.00000125") + dec("412") * dec("0.00001")
    );
    assert_eq!(computed, u.cost.unwrap().0, "matches the reported cost");
}

#[test]
fn image_output_tokens_are_billed_at_the_image_output_rate() {
    let u = transcript_usage(include_str!("fixtures/transcript_c_image.sse"));
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.image_tokens()),
        (9, 1298, 1290)
    );
    let p = pricing("google/gemini-2.5-flash-image-preview");
    let expected =
        dec("9") * dec("0.0000003") + dec("8") * dec("0.0000025") + dec("1290") * dec("0.00003");
    assert_eq!(expected, dec("0.0387227"));
    assert_eq!(p.compute(&u, 0), expected);
    assert_eq!(
        p.compute(&u, 0),
        u.cost.unwrap().0,
        "matches the reported cost"
    );
    // Billed as text tokens instead, the same usage would cost much less.
    let as_text = dec("9") * p.prompt + dec("1298") * p.completion;
    assert!(as_text < expected);
    // The free twin costs nothing.
    assert_eq!(
        pricing("google/gemini-2.5-flash-image-preview:free").compute(&u, 3),
        Decimal::ZERO
    );
}

#[test]
fn cached_prompt_tokens_use_the_cache_read_price() {
    let p = pricing("google/gemini-2.5-flash");
    let u = Usage {
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: 400,
            ..Default::default()
        }),
        ..tokens(1000, 100)
    };
    // 600 fresh + 400 cached + 100 out.
    assert_eq!(
        p.compute(&u, 0),
        dec("600") * dec("0.0000003")
            + dec("400") * dec("0.000000075")
            + dec("100") * dec("0.0000025")
    );
    assert_eq!(p.compute(&u, 0), dec("0.00046"));
    // More cached than prompt tokens (a confused server) never goes negative.
    let odd = Usage {
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: 5000,
            ..Default::default()
        }),
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens: 900,
            image_tokens: 900,
        }),
        ..tokens(1000, 100)
    };
    assert!(p.compute(&odd, 0) >= Decimal::ZERO);
}

#[test]
fn settle_prefers_reported_then_computed_then_estimated() {
    let p = pricing("google/gemini-2.5-flash-image-preview");
    let est = TokenEstimate {
        prompt: 100,
        output: 50,
        reasoning: 10,
        images_in: 1,
        images_out: 1,
    };
    let plain = tokens(100, 60);
    let reported = Usage {
        cost: Some(WireDecimal(dec("0.123"))),
        ..plain.clone()
    };

    let c = Cost::settle(Some(&reported), Some(&p), 1, &est);
    assert_eq!(c, Cost::new(dec("0.123"), CostKind::Reported));
    // Reported wins even with no prices known.
    let c = Cost::settle(Some(&reported), None, 1, &est);
    assert_eq!(c.kind, CostKind::Reported);

    let c = Cost::settle(Some(&plain), Some(&p), 1, &est);
    assert_eq!(c.kind, CostKind::Computed);
    assert_eq!(c.usd, p.compute(&plain, 1));
    assert_eq!(
        c.usd,
        dec("100") * dec("0.0000003") + dec("60") * dec("0.0000025") + dec("0.001238")
    );

    let c = Cost::settle(None, Some(&p), 1, &est);
    assert_eq!(c.kind, CostKind::Estimated);
    // 100 in, 50 out, 10 reasoning, one image in, one image out (1290 tokens).
    assert_eq!(
        c.usd,
        dec("0.00003") + dec("0.000125") + dec("0.000025") + dec("0.001238") + dec("0.0387")
    );
    assert_eq!(c.usd, p.estimate(&est));

    // No price known and none reported: unknown, never $0.
    let c = Cost::settle(None, None, 0, &est);
    assert_eq!(c, Cost::new(Decimal::ZERO, CostKind::Unknown));
    assert_eq!(
        (
            CostKind::Reported.label(),
            CostKind::Computed.label(),
            CostKind::Estimated.label()
        ),
        ("reported", "computed", "estimated")
    );
}

#[test]
fn format_usd_outputs() {
    let cases = [
        ("0", "$0.00"),
        ("0.0000166", "$0.0000166"),
        ("0.00414625", "$0.00414625"),
        ("0.0387227", "$0.0387227"),
        ("0.5", "$0.50"),
        ("0.50", "$0.50"),
        ("0.6192", "$0.6192"),
        ("1", "$1.00"),
        ("1.5", "$1.50"),
        ("123.456", "$123.456"),
        ("0.999999", "$0.999999"),
        ("9.999", "$9.999"),
        ("-0.5", "-$0.50"),
        ("12345678.9", "$12345678.90"),
    ];
    for (v, want) in cases {
        assert_eq!(format_usd(dec(v)), want, "format_usd({v})");
    }
}

// ------------------------------------------------------------ the ledger

const MODELS: [&str; 2] = ["google/gemini-2.5-pro", "google/gemini-2.0-flash-001"];

#[derive(Debug, Clone)]
struct Turn {
    model: usize,
    usd: Decimal,
    kind: CostKind,
    prompt: u64,
    completion: u64,
}

fn turn() -> impl Strategy<Value = Turn> {
    (
        0usize..2,
        0i64..10_000_000_000,
        0u32..=12,
        prop_oneof![
            Just(CostKind::Reported),
            Just(CostKind::Computed),
            Just(CostKind::Estimated)
        ],
        0u64..100_000,
        0u64..100_000,
    )
        .prop_map(|(model, m, scale, kind, prompt, completion)| Turn {
            model,
            usd: Decimal::new(m, scale),
            kind,
            prompt,
            completion,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn ledger_subtotals_sum_exactly_to_the_total(turns in prop::collection::vec(turn(), 0..60)) {
        let mut ledger = Ledger::default();
        let usages: Vec<Usage> = turns.iter().map(|t| tokens(t.prompt, t.completion)).collect();
        for (t, u) in turns.iter().zip(&usages) {
            ledger.add(TurnCharge {
                model: MODELS[t.model],
                cost: Cost::new(t.usd, t.kind),
                usage: Some(u),
                ..TurnCharge::default()
            });
        }
        let expected_total: Decimal = turns.iter().map(|t| t.usd).sum();
        let subtotal_sum: Decimal = ledger.by_model.values().map(|s| s.cost).sum();
        prop_assert_eq!(ledger.total(), expected_total);
        prop_assert_eq!(subtotal_sum, ledger.total());
        let expected_estimated: Decimal = turns
            .iter()
            .filter(|t| t.kind == CostKind::Estimated)
            .map(|t| t.usd)
            .sum();
        prop_assert_eq!(ledger.estimated(), expected_estimated);
        for (i, id) in MODELS.iter().enumerate() {
            let mine: Vec<&Turn> = turns.iter().filter(|t| t.model == i).collect();
            match ledger.by_model.get(*id) {
                None => prop_assert!(mine.is_empty()),
                Some(s) => {
                    prop_assert_eq!(s.turns as usize, mine.len());
                    prop_assert_eq!(s.cost, mine.iter().map(|t| t.usd).sum::<Decimal>());
                    prop_assert_eq!(s.prompt_tokens, mine.iter().map(|t| t.prompt).sum::<u64>());
                    prop_assert_eq!(
                        s.completion_tokens,
                        mine.iter().map(|t| t.completion).sum::<u64>()
                    );
                    prop_assert_eq!(
                        s.reported,
                        mine.iter()
                            .filter(|t| t.kind == CostKind::Reported)
                            .map(|t| t.usd)
                            .sum::<Decimal>()
                    );
                }
            }
        }
        prop_assert!(ledger.by_model.len() <= 2);
    }

    #[test]
    fn format_usd_is_within_half_a_last_digit(m in -10_000_000_000i64..10_000_000_000, scale in 0u32..=9) {
        let v = Decimal::new(m, scale);
        let s = format_usd(v);
        let body = s.strip_prefix("-$").or_else(|| s.strip_prefix('$'));
        prop_assert!(body.is_some(), "{} has no $", s);
        let body = body.unwrap();
        let decimals = body.split_once('.').map(|(_, d)| d.len());
        prop_assert!(decimals.is_some_and(|d| d >= 2), "{} shows fewer than two decimals", s);
        let shown = dec(body) * if s.starts_with('-') { Decimal::NEGATIVE_ONE } else { Decimal::ONE };
        let unit = Decimal::new(1, decimals.unwrap() as u32);
        prop_assert!((shown - v).abs() * Decimal::TWO <= unit, "{} shown as {}", v, s);
        // Below a dollar, at least three significant digits survive.
        if !v.is_zero() && v.abs() < Decimal::ONE && v.abs() >= dec("0.00000001") {
            prop_assert!((shown - v).abs() <= v.abs() / Decimal::from(1000), "{} shown as {}", v, s);
        }
    }
}

#[test]
fn ledger_keeps_estimates_and_reported_gaps_apart() {
    let mut ledger = Ledger::default();
    let u = tokens(21, 412);
    ledger.add(TurnCharge {
        model: "google/gemini-2.5-pro",
        cost: Cost::new(dec("0.00414625"), CostKind::Reported),
        usage: Some(&u),
        computed: Some(dec("0.004")),
        ..TurnCharge::default()
    });
    ledger.add(TurnCharge {
        model: "google/gemini-2.0-flash-001",
        cost: Cost::new(dec("0.0000166"), CostKind::Estimated),
        usage: None,
        estimate: TokenEstimate {
            prompt: 14,
            output: 30,
            reasoning: 8,
            images_in: 0,
            images_out: 1,
        },
        computed: None,
    });
    assert_eq!(ledger.total(), dec("0.00416285"));
    assert_eq!(ledger.estimated(), dec("0.0000166"));
    let pro = &ledger.by_model["google/gemini-2.5-pro"];
    assert_eq!(
        (pro.reported, pro.computed_for_reported),
        (dec("0.00414625"), dec("0.004"))
    );
    let flash = &ledger.by_model["google/gemini-2.0-flash-001"];
    assert_eq!(
        (
            flash.prompt_tokens,
            flash.completion_tokens,
            flash.reasoning_tokens,
            flash.image_tokens
        ),
        (14, 38, 8, 1290)
    );
    assert_eq!(format_usd(ledger.total()), "$0.00416285");
}

#[test]
fn thinking_left_out_of_completion_tokens_is_still_billed() {
    // Google's endpoint: prompt 21, completion 0, total 81, reasoning 60, on
    // gemini-2.5-flash at $0.30 / $2.50 per million: exactly $0.0001563.
    let mut u: orchat::api::types::Usage = serde_json::from_str(
        r#"{"prompt_tokens":21,"completion_tokens":0,"total_tokens":81,"completion_tokens_details":{"reasoning_tokens":60}}"#,
    )
    .unwrap();
    u.normalize();
    assert_eq!((u.completion_tokens, u.total_tokens), (60, 81));
    let p = orchat::chat::catalog::Catalog::bundled()
        .get("google/gemini-2.5-flash")
        .unwrap()
        .pricing
        .clone()
        .expect("a priced model");
    assert_eq!(p.compute(&u, 0).normalize().to_string(), "0.0001563");
    // Omitted completion tokens with only a total: the same.
    let mut u: orchat::api::types::Usage =
        serde_json::from_str(r#"{"prompt_tokens":21,"total_tokens":81}"#).unwrap();
    u.normalize();
    assert_eq!(u.completion_tokens, 60);
    // OpenRouter's counts (completion includes reasoning) are left as they are.
    let mut u: orchat::api::types::Usage = serde_json::from_str(
        r#"{"prompt_tokens":21,"completion_tokens":412,"total_tokens":433,"completion_tokens_details":{"reasoning_tokens":356}}"#,
    )
    .unwrap();
    u.normalize();
    assert_eq!((u.completion_tokens, u.total_tokens), (412, 433));
}
