//! The `[keys]` table: `action = "chord"` remaps an action on every screen
//! it is on; `[keys.SCREEN]` tables (`[keys.picker]`, `[keys.sessions]`…)
//! remap it on that screen only. Read into `KeyOverride`s for the keymap,
//! every mistake reported at its key with what was expected.

use std::collections::{BTreeMap, HashMap};

use crossterm::event::{KeyCode, KeyModifiers};

use super::errors::closest;
use crate::keymap::{Action, Context, KeyOverride, action_by_name, contexts_of, key_actions};

/// A mistake: the key path (`["keys", "picker", "close"]`) and what is wrong.
pub type KeyError = (Vec<String>, String);

/// The remappings `keys` asks for, checked: known screens and actions, an
/// action only on a screen where it does something, chords that parse, and
/// no chord given two actions on one screen.
pub fn key_overrides(keys: &BTreeMap<String, toml::Value>) -> Result<Vec<KeyOverride>, KeyError> {
    let mut out = Vec::new();
    for (name, value) in keys {
        match value {
            toml::Value::String(_) | toml::Value::Array(_) => {
                let at = ["keys", name.as_str()];
                for chord in chords(value, &at)? {
                    out.push(one(None, name, chord, &at)?);
                }
            }
            toml::Value::Table(table) => {
                let Some(context) = Context::by_name(name) else {
                    let screens: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
                    let hint = match closest(name, &screens) {
                        Some(b) => format!("did you mean \"{b}\"?"),
                        None => format!("screens are {}", screens.join(", ")),
                    };
                    return Err((
                        path(&["keys", name]),
                        format!("unknown screen \"{name}\"; {hint}"),
                    ));
                };
                for (action, value) in table {
                    let at = ["keys", name.as_str(), action.as_str()];
                    for chord in chords(value, &at)? {
                        out.push(one(Some(context), action, chord, &at)?);
                    }
                }
            }
            _ => {
                return Err((
                    path(&["keys", name]),
                    "expected a key chord like \"ctrl+p\", a list of them, or a table for one screen"
                        .into(),
                ));
            }
        }
    }
    check_clashes(keys, &out)?;
    Ok(out)
}

/// A chord, or a list of them (`["esc", "ctrl+g"]`: both keys do it).
fn chords<'v>(value: &'v toml::Value, at: &[&str]) -> Result<Vec<&'v str>, KeyError> {
    let bad = || {
        (
            path(at),
            "expected a key chord like \"ctrl+p\", or a list of them".to_string(),
        )
    };
    match value {
        toml::Value::String(c) => Ok(vec![c.as_str()]),
        toml::Value::Array(list) if !list.is_empty() => {
            list.iter().map(|v| v.as_str().ok_or_else(bad)).collect()
        }
        _ => Err(bad()),
    }
}

fn path(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| s.to_string()).collect()
}

fn action_names() -> Vec<String> {
    key_actions().into_iter().map(|(n, _)| n).collect()
}

fn one(
    context: Option<Context>,
    action: &str,
    chord: &str,
    at: &[&str],
) -> Result<KeyOverride, KeyError> {
    let Some(a) = action_by_name(action) else {
        let owned = action_names();
        let names: Vec<&str> = owned.iter().map(String::as_str).collect();
        let hint = match closest(action, &names) {
            Some(b) => format!("did you mean \"{b}\"?"),
            None => format!("expected one of {}", names.join(", ")),
        };
        return Err((path(at), format!("unknown action \"{action}\"; {hint}")));
    };
    if let Some(ctx) = context {
        let on = contexts_of(a);
        if !on.contains(&ctx) {
            let names: Vec<&str> = on.iter().map(|c| c.name()).collect();
            return Err((
                path(at),
                format!(
                    "{action} does nothing on the {} screen; it works on: {}",
                    ctx.name(),
                    names.join(", ")
                ),
            ));
        }
    }
    let chord = crate::keymap::parse_chord(chord).map_err(|m| (path(at), m))?;
    Ok(KeyOverride {
        context,
        action: a,
        chord,
    })
}

/// Two remappings of one layer (the global ones, or one screen's table)
/// giving one chord two actions on one screen. A screen's table may
/// override a global remapping there: that is what it is for.
fn check_clashes(
    keys: &BTreeMap<String, toml::Value>,
    all: &[KeyOverride],
) -> Result<(), KeyError> {
    let mut seen: HashMap<(bool, Context, KeyModifiers, KeyCode), Action> = HashMap::new();
    for o in all {
        let (m, c) = o.chord;
        for ctx in o.contexts() {
            if let Some(other) = seen.insert((o.context.is_some(), ctx, m, c), o.action)
                && other != o.action
            {
                return Err(clash(keys, o, other));
            }
        }
    }
    Ok(())
}

fn clash(keys: &BTreeMap<String, toml::Value>, o: &KeyOverride, other: Action) -> KeyError {
    let name = crate::keymap::action_name(o.action);
    let value = match o.context {
        None => keys.get(&name),
        Some(c) => keys.get(c.name()).and_then(|t| t.get(&name)),
    };
    // The chord as the user wrote it ("F2"), else as help prints it.
    let chord = value
        .and_then(|v| match v {
            toml::Value::Array(list) => list
                .iter()
                .filter_map(toml::Value::as_str)
                .find(|c| crate::keymap::parse_chord(c).ok() == Some(o.chord)),
            v => v.as_str(),
        })
        .map(str::to_string)
        .unwrap_or_else(|| crate::keymap::chord_label(o.chord.0, o.chord.1));
    let at: Vec<String> = match o.context {
        None => path(&["keys", &name]),
        Some(c) => path(&["keys", c.name(), &name]),
    };
    (
        at,
        format!(
            "\"{chord}\" is already bound to {}",
            crate::keymap::action_name(other)
        ),
    )
}
