//! Exact money. Prices arrive as decimal strings in USD per token; every cost
//! here is a `Decimal`, so `$0.10/M × 1,000,000` is exactly `$0.10` and
//! subtotals always add up to the total. No float ever holds money.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::api::types::Usage;

/// Decimal text as the wire writes it; see [`crate::api::types::parse_decimal`].
pub use crate::api::types::parse_decimal;

/// Prices of one model in USD per unit. Absent or negative ("-1" marks router
/// models whose price is unknown) read as zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    /// Per prompt token.
    pub prompt: Decimal,
    /// Per completion token (reasoning tokens too, unless `internal_reasoning` is set).
    pub completion: Decimal,
    /// Per request.
    pub request: Decimal,
    /// Per input image.
    pub image: Decimal,
    /// Per image output token; falls back to `completion` when absent.
    pub image_output: Option<Decimal>,
    /// Per reasoning token when it differs from `completion` ("0" means: at `completion`).
    pub internal_reasoning: Decimal,
    /// Per cached prompt token read; falls back to `prompt`.
    pub input_cache_read: Option<Decimal>,
    /// Per audio input token, where it differs from `prompt` (`audio` in
    /// `/models`, PROTOCOL-MEDIA.md §3); falls back to `prompt`.
    pub audio: Option<Decimal>,
}

impl Pricing {
    pub fn is_free(&self) -> bool {
        self.prompt.is_zero() && self.completion.is_zero() && self.request.is_zero()
    }

    fn reasoning_rate(&self) -> Decimal {
        if self.internal_reasoning.is_zero() {
            self.completion
        } else {
            self.internal_reasoning
        }
    }

    /// Cost of input only: what sending `prompt_tokens` and `images` would cost.
    pub fn input_cost(&self, prompt_tokens: u64, images: u64) -> Decimal {
        Decimal::from(prompt_tokens) * self.prompt + Decimal::from(images) * self.image
    }

    /// What reading `cached` prompt tokens from the cache saved against
    /// the full prompt price (USD); zero when the model has no cache price.
    pub fn cache_saving(&self, cached: u64) -> Decimal {
        match self.input_cache_read {
            Some(read) if read < self.prompt => Decimal::from(cached) * (self.prompt - read),
            _ => Decimal::ZERO,
        }
    }

    /// `input_cost` where `audio` of the prompt tokens are audio, at the
    /// audio rate when the model has one (PROTOCOL-MEDIA.md §3:
    /// `(tokens − audio)·prompt + audio·audio`).
    pub fn input_cost_with_audio(&self, prompt_tokens: u64, images: u64, audio: u64) -> Decimal {
        let audio = audio.min(prompt_tokens);
        self.input_cost(prompt_tokens - audio, images)
            + Decimal::from(audio) * self.audio.unwrap_or(self.prompt)
    }

    /// Cost of a turn from its reported token counts: prompt (cached at the
    /// cache-read rate), text output, reasoning and image tokens at their rates,
    /// per-image input price and the per-request fee.
    pub fn compute(&self, usage: &Usage, images_in: u64) -> Decimal {
        let cached = usage.cached_tokens().min(usage.prompt_tokens);
        let fresh = usage.prompt_tokens - cached;
        let reasoning = usage.reasoning_tokens().min(usage.completion_tokens);
        let image_tokens = usage
            .image_tokens()
            .min(usage.completion_tokens - reasoning);
        let text_out = usage.completion_tokens - reasoning - image_tokens;
        Decimal::from(fresh) * self.prompt
            + Decimal::from(cached) * self.input_cache_read.unwrap_or(self.prompt)
            + Decimal::from(text_out) * self.completion
            + Decimal::from(reasoning) * self.reasoning_rate()
            + Decimal::from(image_tokens) * self.image_output.unwrap_or(self.completion)
            + Decimal::from(images_in) * self.image
            + self.request
    }

    /// Live estimate while streaming: the prompt as estimated, the output as
    /// received so far (reasoning at its rate, images at ~1290 tokens each).
    pub fn estimate(&self, est: &TokenEstimate) -> Decimal {
        Decimal::from(est.prompt) * self.prompt
            + Decimal::from(est.output) * self.completion
            + Decimal::from(est.reasoning) * self.reasoning_rate()
            + Decimal::from(est.images_out * IMAGE_OUTPUT_TOKENS)
                * self.image_output.unwrap_or(self.completion)
            + Decimal::from(est.images_in) * self.image
            + self.request
    }
}

/// Gemini bills one generated 1024px image as about 1290 output tokens.
pub const IMAGE_OUTPUT_TOKENS: u64 = 1290;

/// Token counts known before usage arrives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenEstimate {
    pub prompt: u64,
    pub output: u64,
    pub reasoning: u64,
    pub images_in: u64,
    pub images_out: u64,
}

/// Input tokens counted for one attached image: Gemini 2.x tokenizes an
/// image with both sides up to 384 px as 258 tokens, and each 768×768 tile of
/// a larger one as 258 more (PROTOCOL.md, "Gemini image input"); one tile is
/// the estimate until the provider reports its count.
pub const IMAGE_INPUT_TOKENS: u64 = 258;

/// The token estimator used before a provider reports usage.
///
/// English averages about four characters per token with the tokenizers in
/// use (GPT, Gemini); CJK and most other non-Latin scripts take about one token
/// per character. So: one token per started run of four ASCII characters plus
/// one per non-ASCII character. It overestimates code slightly, which is the
/// safe side for a cost meter.
pub fn estimate_tokens(text: &str) -> u64 {
    // Counted on bytes, not chars: an ASCII character is one byte below 0x80
    // and every other character has exactly one leading byte of 0xC0 or
    // more. Byte-sized counters over blocks of at most 255 bytes let the
    // compiler count 16 or 32 bytes a step, so the live answer can be
    // recounted every frame (three times) at memory speed.
    let (mut ascii, mut other) = (0u64, 0u64);
    for block in text.as_bytes().chunks(255) {
        let (mut a, mut o) = (0u8, 0u8);
        for &b in block {
            a += u8::from(b < 0x80);
            o += u8::from(b >= 0xC0);
        }
        ascii += u64::from(a);
        other += u64::from(o);
    }
    ascii.div_ceil(4) + other
}

/// How a turn's cost was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CostKind {
    /// The provider's own `usage.cost`.
    Reported,
    /// Reported token counts × the catalog's prices.
    Computed,
    /// Estimated tokens × prices: while streaming, or when usage never came.
    #[default]
    Estimated,
    /// Refused before any answer (an HTTP error): exactly $0.
    #[serde(rename = "not_billed")]
    NotBilled,
    /// No price is known for the model and the provider reported no cost:
    /// unknown, never $0 (the amount is zero only as a placeholder).
    Unknown,
    /// Estimated at first, then replaced by what OpenRouter's `/generation`
    /// says was charged (PROTOCOL.md §4.2).
    Settled,
    /// With the user's own provider key (BYOK): what the provider billed
    /// to that key plus OpenRouter's fee, both as OpenRouter reported them
    /// (PROTOCOL.md §5).
    Byok,
}

impl CostKind {
    pub fn label(self) -> &'static str {
        match self {
            CostKind::Reported => "reported",
            CostKind::Computed => "computed",
            CostKind::Estimated => "estimated",
            CostKind::NotBilled => "not billed",
            CostKind::Unknown => "unknown",
            CostKind::Settled => "settled",
            CostKind::Byok => "BYOK",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Cost {
    pub usd: Decimal,
    pub kind: CostKind,
}

impl Cost {
    pub fn new(usd: Decimal, kind: CostKind) -> Self {
        Cost { usd, kind }
    }

    /// Settles a finished turn: the provider's reported cost when it sent one,
    /// else the usage priced from the catalog, else the running estimate;
    /// with no price known and none reported, unknown.
    pub fn settle(
        usage: Option<&Usage>,
        pricing: Option<&Pricing>,
        images_in: u64,
        estimate: &TokenEstimate,
    ) -> Cost {
        if let Some(u) = usage {
            // Your own key: OpenRouter's `cost` is only its fee; the request
            // cost that plus what the provider billed to the key.
            if let Some(upstream) = u.byok_upstream() {
                let fee = u.cost.map_or(Decimal::ZERO, |c| c.0);
                return Cost::new(sat_add(upstream, fee), CostKind::Byok);
            }
            if let Some(c) = &u.cost {
                return Cost::new(c.0, CostKind::Reported);
            }
            if let Some(p) = pricing {
                return Cost::new(p.compute(u, images_in), CostKind::Computed);
            }
        }
        match pricing {
            Some(p) => Cost::new(p.estimate(estimate), CostKind::Estimated),
            None => Cost::new(Decimal::ZERO, CostKind::Unknown),
        }
    }
}

/// Formats USD as a figure of record: every digit the amount has (exact
/// decimals never need rounding to be shown), at least two decimals.
/// `$0.00029485`, `$0.00721105`, `$1.50`, `$0.00`. Used by the cost panel,
/// the session lists, exports and answer headers, so rows add up to their
/// total digit for digit.
pub fn format_usd(usd: Decimal) -> String {
    let v = usd.normalize();
    let s = v.abs().to_string();
    let s = match s.find('.') {
        Some(i) if s.len() - i > 2 => s,
        Some(i) => format!("{s}{}", "0".repeat(2 - (s.len() - i - 1))),
        None => format!("{s}.00"),
    };
    if v.is_sign_negative() && !v.is_zero() {
        format!("-${s}")
    } else {
        format!("${s}")
    }
}

/// Formats USD where space is short (the status bar only; the cost panel,
/// one key away, has every digit): four significant digits below a dollar,
/// cents above, so a $0.0000166 turn does not read as $0.00.
pub fn format_usd_short(usd: Decimal) -> String {
    let v = usd.normalize();
    if v.is_zero() {
        return "$0.00".to_string();
    }
    let abs = v.abs();
    let dp = if abs >= Decimal::ONE {
        2
    } else {
        let mut dp = 2u32;
        let mut x = abs * Decimal::from(100);
        while x < Decimal::from(1000) && dp < 10 {
            x *= Decimal::from(10);
            dp += 1;
        }
        dp
    };
    format_usd(v.round_dp(dp))
}

/// Formats a per-token price as USD per million tokens, e.g. `$1.25`.
pub fn per_million(price: Decimal) -> String {
    format_usd(price * Decimal::from(1_000_000))
}

/// Adds exactly, or pins at the largest decimal: a hostile provider's absurd
/// cost must not crash the meter.
pub fn sat_add(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(Decimal::MAX)
}

/// One model's share of a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subtotal {
    /// Billed requests (answers kept or replaced, stopped, failed midway).
    pub turns: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub reasoning_tokens: u64,
    pub image_tokens: u64,
    /// Images sent as input.
    #[serde(default)]
    pub images_in: u64,
    pub cost: Decimal,
    /// The part of `cost` that is only estimated.
    pub estimated: Decimal,
    /// For turns with a reported cost: what our prices computed for them.
    pub computed_for_reported: Decimal,
    /// Sum of reported costs, to show the gap to `computed_for_reported`.
    pub reported: Decimal,
    /// Reported turns our prices cannot compute (no price known for the
    /// model): `computed_for_reported` leaves them out, so there is no gap
    /// to show for them.
    #[serde(default)]
    pub reported_unpriced: u32,
    /// Turns whose cost is unknown (no price known, none reported): not in `cost`.
    #[serde(default)]
    pub unknown: u32,
    /// Costs settled with the provider after the answer (`/generation`).
    #[serde(default)]
    pub settled: Decimal,
    /// What those settled turns had been estimated at.
    #[serde(default)]
    pub settled_estimate: Decimal,
    /// Of `cost`, what web searches cost (PROTOCOL-MEDIA.md §6.2).
    #[serde(default)]
    pub search: Decimal,
    /// Prompt tokens read from the provider's cache.
    #[serde(default)]
    pub cached_tokens: u64,
}

/// How a billed request ended, as its charge records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The answer in the conversation (or replaced by /retry or /edit later:
    /// it was paid for all the same).
    #[default]
    Answer,
    /// An answer kept beside the chosen one (compare mode): paid, never sent
    /// as history.
    Alternative,
}

/// One billed request, as the ledger keeps it: apart from the visible turns,
/// so an answer replaced by /retry or /edit, a stopped one or a failure that
/// was billed still counts after a reload. Amounts are USD, exact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// Unique: `<conversation>/<epoch ms>/<turn>`.
    pub id: String,
    pub conversation_id: String,
    /// The model billed (the one that answered).
    pub model: String,
    pub cost: Cost,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub reasoning_tokens: u64,
    pub image_tokens: u64,
    pub images_in: u64,
    /// For a reported cost: what the catalog's prices compute (the gap).
    pub computed: Option<Decimal>,
    /// For a settled cost: what it had been estimated at.
    pub estimate: Option<Decimal>,
    /// OpenRouter's generation id, to settle with `/generation`.
    pub generation_id: Option<String>,
    pub outcome: Outcome,
    /// When the request was billed (epoch ms).
    pub created_ms: u64,
    /// Of `cost`, what web searches cost (USD; PROTOCOL-MEDIA.md §6.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<Decimal>,
    /// Prompt tokens read from the provider's cache
    /// (`prompt_tokens_details.cached_tokens`).
    #[serde(default)]
    pub cached_tokens: u64,
}

impl Charge {
    /// The charge for one finished turn: token counts as reported, else as
    /// estimated.
    pub fn of_turn(t: &TurnCharge<'_>) -> Charge {
        let e = &t.estimate;
        let (prompt, completion, reasoning, image) = match t.usage {
            Some(u) => (
                u.prompt_tokens,
                u.completion_tokens,
                u.reasoning_tokens(),
                u.image_tokens(),
            ),
            None => (
                e.prompt,
                e.output.saturating_add(e.reasoning),
                e.reasoning,
                e.images_out.saturating_mul(IMAGE_OUTPUT_TOKENS),
            ),
        };
        Charge {
            model: t.model.to_string(),
            cost: t.cost,
            prompt_tokens: prompt,
            completion_tokens: completion,
            reasoning_tokens: reasoning,
            image_tokens: image,
            images_in: e.images_in,
            computed: t.computed,
            cached_tokens: t
                .usage
                .map_or(0, |u| u.cached_tokens().min(u.prompt_tokens)),
            ..Charge::default()
        }
    }
}

/// Per-model subtotals of a conversation's charges; the total is their
/// exact sum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub by_model: BTreeMap<String, Subtotal>,
}

/// What one finished turn adds to the ledger.
#[derive(Debug, Clone, Default)]
pub struct TurnCharge<'a> {
    pub model: &'a str,
    pub cost: Cost,
    pub usage: Option<&'a Usage>,
    pub estimate: TokenEstimate,
    /// What the catalog's prices compute for the usage (for the estimate gap).
    pub computed: Option<Decimal>,
}

impl Ledger {
    /// The ledger of these charges.
    pub fn of(charges: &[Charge]) -> Ledger {
        let mut l = Ledger::default();
        for c in charges {
            l.add_charge(c);
        }
        l
    }

    pub fn add(&mut self, t: TurnCharge<'_>) {
        self.add_charge(&Charge::of_turn(&t));
    }

    pub fn add_charge(&mut self, c: &Charge) {
        let s = self.by_model.entry(c.model.clone()).or_default();
        s.turns = s.turns.saturating_add(1);
        s.images_in = s.images_in.saturating_add(c.images_in);
        s.prompt_tokens = s.prompt_tokens.saturating_add(c.prompt_tokens);
        s.completion_tokens = s.completion_tokens.saturating_add(c.completion_tokens);
        s.reasoning_tokens = s.reasoning_tokens.saturating_add(c.reasoning_tokens);
        s.image_tokens = s.image_tokens.saturating_add(c.image_tokens);
        s.cost = sat_add(s.cost, c.cost.usd);
        s.cached_tokens = s.cached_tokens.saturating_add(c.cached_tokens);
        if let Some(fee) = c.search.filter(|_| c.cost.kind != CostKind::NotBilled) {
            s.search = sat_add(s.search, fee);
        }
        match c.cost.kind {
            CostKind::Estimated => s.estimated = sat_add(s.estimated, c.cost.usd),
            CostKind::Reported | CostKind::Byok => {
                s.reported = sat_add(s.reported, c.cost.usd);
                match c.computed {
                    Some(x) => s.computed_for_reported = sat_add(s.computed_for_reported, x),
                    None => s.reported_unpriced = s.reported_unpriced.saturating_add(1),
                }
            }
            CostKind::Settled => {
                s.settled = sat_add(s.settled, c.cost.usd);
                if let Some(e) = c.estimate {
                    s.settled_estimate = sat_add(s.settled_estimate, e);
                }
            }
            CostKind::Unknown => s.unknown = s.unknown.saturating_add(1),
            CostKind::Computed | CostKind::NotBilled => {}
        }
    }

    pub fn total(&self) -> Decimal {
        self.by_model
            .values()
            .map(|s| s.cost)
            .fold(Decimal::ZERO, sat_add)
    }

    /// Turns whose cost is unknown, in all models.
    pub fn unknown(&self) -> u32 {
        self.by_model.values().map(|s| s.unknown).sum()
    }

    pub fn estimated(&self) -> Decimal {
        self.by_model
            .values()
            .map(|s| s.estimated)
            .fold(Decimal::ZERO, sat_add)
    }

    /// Settled costs, and what they had been estimated at.
    pub fn settled(&self) -> (Decimal, Decimal) {
        self.by_model
            .values()
            .fold((Decimal::ZERO, Decimal::ZERO), |(a, b), s| {
                (sat_add(a, s.settled), sat_add(b, s.settled_estimate))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wire_decimals_exactly() {
        assert_eq!(
            parse_decimal("0.00000125"),
            Some(Decimal::new(125, 8)),
            "plain"
        );
        assert_eq!(parse_decimal("1.66e-5"), Some(Decimal::new(166, 7)));
        assert_eq!(parse_decimal("-1"), Some(Decimal::from(-1)));
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal(""), None);
    }

    #[test]
    fn figures_of_record_show_every_digit() {
        assert_eq!(format_usd(Decimal::new(166, 7)), "$0.0000166");
        assert_eq!(format_usd(Decimal::new(5, 1)), "$0.50");
        assert_eq!(format_usd(Decimal::new(123456, 3)), "$123.456");
        assert_eq!(format_usd(Decimal::ZERO), "$0.00");
        assert_eq!(format_usd(Decimal::new(414625, 8)), "$0.00414625");
        assert_eq!(format_usd(Decimal::new(29485, 8)), "$0.00029485");
        assert_eq!(format_usd(Decimal::new(-5, 2)), "-$0.05");
        // Rows sum to the total digit for digit.
        let rows = [Decimal::new(29485, 8), Decimal::new(691620, 8)];
        assert_eq!(format_usd(rows.iter().sum()), "$0.00721105");
    }

    #[test]
    fn the_status_bar_form_keeps_four_significant_digits() {
        assert_eq!(format_usd_short(Decimal::new(166, 7)), "$0.0000166");
        assert_eq!(format_usd_short(Decimal::new(123456, 3)), "$123.46");
        assert_eq!(format_usd_short(Decimal::new(414625, 8)), "$0.004146");
        assert_eq!(format_usd_short(Decimal::ZERO), "$0.00");
    }

    #[test]
    fn estimator_counts_ascii_by_four_and_cjk_by_one() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens("日本語"), 3);
        assert_eq!(estimate_tokens("a😀é\u{1b}"), 3, "emoji and é are one each");
    }

    proptest::proptest! {
        /// The byte-counting estimator equals counting characters.
        #[test]
        fn estimator_on_bytes_equals_counting_chars(text in "\\PC*|[a-z日本😀é ]{0,64}") {
            let ascii = text.chars().filter(char::is_ascii).count() as u64;
            let other = text.chars().count() as u64 - ascii;
            proptest::prop_assert_eq!(estimate_tokens(&text), ascii.div_ceil(4) + other);
        }
    }
}
