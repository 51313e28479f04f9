//! The model picker: type to filter (fuzzy: `model::filtered_models`),
//! move, choose, mark models to compare. The matches are computed when the
//! filter or the catalog changes and kept in the picker's state, not scored
//! again on every key and every frame.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::conversation::MAX_ANSWERS;
use super::effect::Fx;
use super::model::{self, filtered_models};
use super::screen::{Mode, PickerState};
use super::state::App;
use crate::keymap::Action;

/// Opens the picker on every model, the current one selected.
pub(super) fn open(app: &mut App) {
    let matches = filtered_models(&app.env.catalog, "");
    let selected = matches
        .iter()
        .position(|&i| app.env.catalog.models[i].id == app.chat.model)
        .unwrap_or(0);
    let marked = if app.chat.comparing {
        app.chat.marked.clone()
    } else {
        Vec::new()
    };
    app.screen.mode = Mode::Picker(PickerState {
        filter: String::new(),
        matches,
        selected,
        marked,
    });
}

/// The filter or the catalog changed: the matches again, the first selected.
pub(super) fn refilter(app: &mut App) {
    if let Mode::Picker(p) = &mut app.screen.mode {
        p.matches = filtered_models(&app.env.catalog, &p.filter);
        p.selected = 0;
    }
}

/// A key that is no binding: it edits the filter.
pub(super) fn typed(app: &mut App, k: KeyEvent) {
    let Mode::Picker(p) = &mut app.screen.mode else {
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
    let Mode::Picker(p) = &mut app.screen.mode else {
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
                let id = app.env.catalog.models[i].id.clone();
                match p.marked.iter().position(|m| *m == id) {
                    Some(at) => {
                        p.marked.remove(at);
                    }
                    None if p.marked.len() >= MAX_ANSWERS => {
                        app.screen.flash =
                            Some(format!("{MAX_ANSWERS} models at most side by side"));
                    }
                    None => p.marked.push(id),
                }
                p.selected = (p.selected + 1).min(last);
            }
        }
        // Two or more marked: compare them.
        Action::Choose if p.marked.len() >= 2 => {
            let marked = p.marked.clone();
            app.screen.mode = Mode::Chat;
            model::compare(app, marked);
        }
        Action::Choose if p.marked.len() == 1 => {
            app.screen.flash =
                Some("mark one more model to compare, or unmark it to choose one".into());
        }
        Action::Choose => {
            let chosen = p
                .matches
                .get(p.selected)
                .map(|&i| app.env.catalog.models[i].id.clone());
            app.screen.mode = Mode::Chat;
            // Every mark taken off: one model again.
            if app.chat.comparing {
                app.chat.comparing = false;
                app.screen.flash = Some("compare mode off".into());
            }
            if let Some(id) = chosen {
                model::switch_model(app, &id, fx);
            }
        }
        Action::Close => app.screen.mode = Mode::Chat,
        _ => {}
    }
}
