//! Key chords as people write them in the config (`"ctrl+p"`, `"f1"`) and
//! as help shows them (`Ctrl+P`).

use crossterm::event::{KeyCode, KeyModifiers};

const CHORD_KEYS: &str = "a character, f1-f24, enter, esc, tab, backtab, backspace, delete, insert, home, end, pageup, pagedown, up, down, left, right or space";

/// Parses a key chord: modifiers (`ctrl`, `alt`, `shift`, `super`) and a key
/// joined by `+`, case-insensitive: `"ctrl+p"`, `"f1"`, `"alt+enter"`,
/// `"ctrl++"` (the plus key). Letters are matched as crossterm reports them:
/// lowercase, or uppercase with `shift`; `shift+tab` is `BackTab`.
pub fn parse_chord(s: &str) -> Result<(KeyModifiers, KeyCode), String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!(
            "expected a key chord like \"ctrl+p\" or \"f1\", found \"{s}\""
        ));
    }
    let (mods_part, key_part) = if t == "+" {
        ("", "+")
    } else if let Some(m) = t.strip_suffix("++") {
        (m, "+")
    } else {
        t.rsplit_once('+').unwrap_or(("", t))
    };
    let mut mods = KeyModifiers::NONE;
    if !mods_part.is_empty() {
        for m in mods_part.split('+') {
            mods |= match m.trim().to_ascii_lowercase().as_str() {
                "ctrl" | "control" => KeyModifiers::CONTROL,
                "alt" | "meta" | "option" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                "super" | "cmd" | "win" => KeyModifiers::SUPER,
                other => {
                    return Err(format!(
                        "expected a modifier (ctrl, alt, shift, super), found \"{other}\" in \"{s}\""
                    ));
                }
            };
        }
    }
    let lower = key_part.trim().to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "space" => KeyCode::Char(' '),
        f if f.len() > 1 && f.starts_with('f') && f[1..].chars().all(|c| c.is_ascii_digit()) => {
            match f[1..].parse::<u8>() {
                Ok(n @ 1..=24) => KeyCode::F(n),
                _ => {
                    return Err(format!(
                        "expected {CHORD_KEYS}, found \"{key_part}\" in \"{s}\""
                    ));
                }
            }
        }
        _ => {
            let mut chars = key_part.trim().chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => {
                    if c.is_alphabetic() && mods.contains(KeyModifiers::SHIFT) {
                        KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
                    } else {
                        KeyCode::Char(c.to_lowercase().next().unwrap_or(c))
                    }
                }
                _ => {
                    return Err(format!(
                        "expected {CHORD_KEYS}, found \"{key_part}\" in \"{s}\""
                    ));
                }
            }
        }
    };
    Ok((mods, code))
}

/// A chord as people write it: "Ctrl+P", "Shift+Enter", "F1", "?".
pub fn chord_label(m: KeyModifiers, c: KeyCode) -> String {
    let mut s = String::new();
    if m.contains(KeyModifiers::CONTROL) {
        s.push_str("Ctrl+");
    }
    if m.contains(KeyModifiers::ALT) {
        s.push_str("Alt+");
    }
    let key = match c {
        KeyCode::Char(' ') => "Space".into(),
        KeyCode::Char(ch) => {
            // A plain letter is shown as typed ("y", "j"), a shifted one as
            // it comes out ("G", "?"); with Ctrl or Alt, the way menus
            // write it ("Ctrl+P", "Ctrl+Shift+P").
            if s.is_empty() {
                return ch.to_string();
            }
            if m.contains(KeyModifiers::SHIFT) && ch.is_alphabetic() {
                s.push_str("Shift+");
            }
            ch.to_uppercase().to_string()
        }
        KeyCode::F(n) => format!("F{n}"),
        // Shift+Tab, as terminals report it.
        KeyCode::BackTab => return format!("{s}Shift+Tab"),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Esc => "Esc".into(),
        other => {
            if m.contains(KeyModifiers::SHIFT) {
                s.push_str("Shift+");
            }
            format!("{other:?}")
        }
    };
    format!("{s}{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chords_parse_to_what_crossterm_reports() {
        assert_eq!(
            parse_chord("ctrl+p"),
            Ok((KeyModifiers::CONTROL, KeyCode::Char('p')))
        );
        assert_eq!(
            parse_chord("Ctrl+P"),
            Ok((KeyModifiers::CONTROL, KeyCode::Char('p')))
        );
        assert_eq!(parse_chord("f1"), Ok((KeyModifiers::NONE, KeyCode::F(1))));
        assert_eq!(
            parse_chord("alt+enter"),
            Ok((KeyModifiers::ALT, KeyCode::Enter))
        );
        assert_eq!(
            parse_chord("ctrl++"),
            Ok((KeyModifiers::CONTROL, KeyCode::Char('+')))
        );
        assert_eq!(
            parse_chord("shift+tab"),
            Ok((KeyModifiers::SHIFT, KeyCode::BackTab))
        );
        assert_eq!(
            parse_chord("ctrl+shift+a"),
            Ok((
                KeyModifiers::CONTROL | KeyModifiers::SHIFT,
                KeyCode::Char('A')
            ))
        );
        assert!(parse_chord("f25").unwrap_err().contains("f1-f24"));
        assert!(parse_chord("hyper+x").unwrap_err().contains("\"hyper\""));
        assert!(parse_chord("ctrl+").is_err());
    }
}
