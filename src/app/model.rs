//! Which model answers: switching it (a notice says its prices), finding
//! models by a fuzzy filter (nucleo's matcher, the one helix and television
//! use), and marking models to compare.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::conversation::{MAX_ANSWERS, Note};
use super::effect::Fx;
use super::state::App;
use crate::chat::catalog::Catalog;
use crate::chat::pricing::per_million;

/// The model from now on; the conversation stays. Says its prices, or that
/// they are unknown.
pub(super) fn switch_model(app: &mut App, id: &str, fx: &mut Fx) {
    if app.chat.model == id {
        return;
    }
    app.chat.model = id.to_string();
    let text = match app.env.catalog.get(id) {
        Some(m) => match &m.pricing {
            Some(p) => format!(
                "model → {} ({} in, {} out per million tokens)",
                m.id,
                per_million(p.prompt),
                per_million(p.completion)
            ),
            None => format!(
                "model → {} (no price known: its costs will show as unknown)",
                m.id
            ),
        },
        None => format!("model → {id} (not in the catalog: its costs will show as unknown)"),
    };
    super::persist::note(app, Note::notice(text), fx);
}

/// The model from now on, said in the hint line only: for asking the same
/// prompt again of it (`/retry MODEL`, a paid twin), where a notice in the
/// conversation would hang off the answer being replaced.
pub(super) fn use_model(app: &mut App, id: &str) {
    if app.chat.model != id {
        app.chat.model = id.to_string();
        app.screen.flash = Some(format!("model → {id}"));
    }
}

/// Compare mode on `models` (2 to 4), or why not.
pub(super) fn compare(app: &mut App, models: Vec<String>) {
    if models.len() < 2 || models.len() > MAX_ANSWERS {
        app.screen.flash = Some(format!(
            "compare takes 2 to {MAX_ANSWERS} different models; {} given",
            models.len()
        ));
        return;
    }
    let names: Vec<&str> = models.iter().map(|m| short(m)).collect();
    app.screen.flash = Some(format!(
        "compare: {} · each prompt goes to all · /compare off",
        names.join(", ")
    ));
    app.chat.marked = models;
    app.chat.comparing = true;
}

/// `google/gemini-2.5-flash` → `gemini-2.5-flash`.
pub fn short(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// Catalog indices matching `filter`, best first: nucleo's fuzzy score over
/// the id and the name (the better of the two), words of the filter all
/// matching, ties in catalog order. An empty filter keeps the catalog's order.
pub fn filtered_models(catalog: &Catalog, filter: &str) -> Vec<usize> {
    if filter.trim().is_empty() {
        return (0..catalog.models.len()).collect();
    }
    let pattern = Pattern::parse(filter, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = catalog
        .models
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let id = pattern.score(Utf32Str::new(&m.id, &mut buf), &mut matcher);
            let name = pattern.score(Utf32Str::new(&m.name, &mut buf), &mut matcher);
            id.max(name).map(|s| (s, i))
        })
        .collect();
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}
