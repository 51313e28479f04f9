//! The model picker: type to filter (fuzzy, with nucleo's matcher, the one
//! helix and television use), move, choose. The matches are computed when
//! the filter or the catalog changes and kept in the picker's state, not
//! scored again on every key and every frame.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::state::{App, Mode, PickerState};
use super::update::Fx;
use crate::chat::catalog::Catalog;
use crate::keymap::Action;

/// Opens the picker on every model, the current one selected.
pub(super) fn open(app: &mut App) {
    let matches = filtered_models(&app.catalog, "");
    let selected = matches
        .iter()
        .position(|&i| app.catalog.models[i].id == app.model)
        .unwrap_or(0);
    app.mode = Mode::Picker(PickerState {
        filter: String::new(),
        matches,
        selected,
        marked: app.compare.clone(),
    });
}

/// The filter or the catalog changed: the matches again, the first selected.
pub(super) fn refilter(app: &mut App) {
    if let Mode::Picker(p) = &mut app.mode {
        p.matches = filtered_models(&app.catalog, &p.filter);
        p.selected = 0;
    }
}

/// A key that is no binding: it edits the filter.
pub(super) fn typed(app: &mut App, k: KeyEvent) {
    let Mode::Picker(p) = &mut app.mode else {
        return;
    };
    match k.code {
        KeyCode::Backspace => {
            p.filter.pop();
        }
        KeyCode::Char(c)
            if !k
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            p.filter.push(c);
        }
        _ => return,
    }
    refilter(app);
}

pub(super) fn action(app: &mut App, a: Action, fx: &mut Fx) {
    let Mode::Picker(p) = &mut app.mode else {
        return;
    };
    let last = p.matches.len().saturating_sub(1);
    match a {
        Action::ListUp => p.selected = p.selected.saturating_sub(1),
        Action::ListDown => p.selected = (p.selected + 1).min(last),
        Action::ListPageUp => p.selected = p.selected.saturating_sub(10),
        Action::ListPageDown => p.selected = (p.selected + 10).min(last),
        Action::Mark => {
            if let Some(&i) = p.matches.get(p.selected) {
                let id = app.catalog.models[i].id.clone();
                match p.marked.iter().position(|m| *m == id) {
                    Some(at) => {
                        p.marked.remove(at);
                    }
                    None if p.marked.len() >= super::round::MAX_COLUMNS => {
                        app.flash = Some(format!(
                            "{} models at most side by side",
                            super::round::MAX_COLUMNS
                        ));
                    }
                    None => p.marked.push(id),
                }
                p.selected = (p.selected + 1).min(last);
            }
        }
        // Two or more marked: compare them.
        Action::Choose if p.marked.len() >= 2 => {
            let marked = p.marked.clone();
            app.mode = Mode::Chat;
            super::compare::set(app, marked);
        }
        Action::Choose if p.marked.len() == 1 => {
            app.flash = Some("mark one more model to compare, or unmark it to choose one".into());
        }
        Action::Choose => {
            let chosen = p
                .matches
                .get(p.selected)
                .map(|&i| app.catalog.models[i].id.clone());
            app.mode = Mode::Chat;
            // Every mark taken off: one model again.
            if !app.compare.is_empty() {
                app.compare.clear();
                app.flash = Some("compare mode off".into());
            }
            if let Some(id) = chosen {
                super::commands::switch_model(app, &id, fx);
            }
        }
        Action::Close => app.mode = Mode::Chat,
        _ => {}
    }
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
