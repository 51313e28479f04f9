//! Themes: the named styles the screen is drawn with, the built-in dark,
//! light and plain (no colour) themes, and `[themes.NAME]` tables of style
//! strings over a base theme.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::{Deserialize, Serialize};

macro_rules! theme_spec {
    ($($field:ident),* $(,)?) => {
        /// A `[themes.NAME]` table: a style string per named style of
        /// [`Theme`], over a base theme ("dark" unless `base` says "light").
        /// A style string is space-separated words: a foreground colour, `on`
        /// and a background colour, and modifiers (`bold`, `italic`, `dim`,
        /// `underlined`, `reversed`, `crossed_out`). Colours are names (`red`,
        /// `dark_gray`, `light_blue`, …), `#rrggbb` or a 0–255 index.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct ThemeSpec {
            #[serde(skip_serializing_if = "Option::is_none")]
            pub base: Option<String>,
            $(
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<String>,
            )*
        }

        /// The named styles a custom theme may set.
        pub const THEME_STYLES: &[&str] = &[$(stringify!($field)),*];

        impl ThemeSpec {
            /// The base theme with this table's styles over it; the first
            /// unparseable style is returned as (style name, problem).
            pub fn build(&self) -> Result<Theme, (String, String)> {
                let mut theme = match self.base.as_deref() {
                    None | Some("dark") => Theme::dark(),
                    Some("light") => light_theme(),
                    Some(other) => {
                        return Err((
                            "base".into(),
                            format!("expected \"dark\" or \"light\", found \"{other}\""),
                        ))
                    }
                };
                $(
                    if let Some(s) = &self.$field {
                        theme.$field = parse_style(s).map_err(|e| (stringify!($field).to_string(), e))?;
                    }
                )*
                Ok(theme)
            }
        }
    };
}

theme_spec!(
    text,
    dim,
    user_label,
    assistant_label,
    error,
    notice,
    reasoning,
    status_bar,
    status_key,
    hint,
    border,
    border_focus,
    selected,
    gauge,
    warn,
    money,
);

/// The built-in light theme: dark text and muted colours for light backgrounds.
pub fn light_theme() -> Theme {
    let grey = Color::Rgb(100, 100, 100);
    let bar = Color::Rgb(222, 224, 232);
    let s = Style::default();
    Theme {
        text: s,
        dim: s.fg(grey),
        user_label: s.fg(Color::Rgb(0, 80, 170)).add_modifier(Modifier::BOLD),
        assistant_label: s.fg(Color::Rgb(0, 120, 40)).add_modifier(Modifier::BOLD),
        error: s.fg(Color::Rgb(180, 0, 0)),
        notice: s.fg(Color::Rgb(140, 90, 0)),
        reasoning: s.fg(grey).add_modifier(Modifier::ITALIC),
        status_bar: s.bg(bar).fg(Color::Rgb(40, 40, 40)),
        status_key: s.bg(bar).fg(Color::Black).add_modifier(Modifier::BOLD),
        hint: s.fg(grey),
        border: s.fg(Color::Rgb(160, 160, 160)),
        border_focus: s.fg(Color::Rgb(0, 80, 170)),
        selected: s.bg(Color::Rgb(200, 212, 240)).add_modifier(Modifier::BOLD),
        gauge: s.fg(Color::Rgb(0, 80, 170)),
        warn: s.fg(Color::Rgb(160, 80, 0)),
        money: s.fg(Color::Rgb(0, 110, 60)),
        color: true,
    }
}

/// Parses a style string such as `"bold cyan"` or `"white on #1e1e2e"`.
pub fn parse_style(s: &str) -> Result<Style, String> {
    let mut style = Style::default();
    let mut words = s.split_whitespace();
    while let Some(w) = words.next() {
        let lw = w.to_ascii_lowercase();
        let m = match lw.as_str() {
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underline" | "underlined" => Some(Modifier::UNDERLINED),
            "reverse" | "reversed" => Some(Modifier::REVERSED),
            "crossed_out" | "strikethrough" => Some(Modifier::CROSSED_OUT),
            _ => None,
        };
        if let Some(m) = m {
            style = style.add_modifier(m);
        } else if lw == "default" || lw == "none" {
        } else if lw == "on" {
            let c = words
                .next()
                .ok_or_else(|| format!("expected a colour after \"on\" in \"{s}\""))?;
            style = style.bg(parse_colour(c, s)?);
        } else {
            style = style.fg(parse_colour(w, s)?);
        }
    }
    Ok(style)
}

pub(super) fn parse_colour(c: &str, whole: &str) -> Result<Color, String> {
    Color::from_str(c).map_err(|_| {
        format!(
            "expected a colour (a name like dark_gray, #rrggbb or 0-255) or a modifier (bold, italic, …), found \"{c}\" in \"{whole}\""
        )
    })
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub text: Style,
    pub dim: Style,
    pub user_label: Style,
    pub assistant_label: Style,
    pub error: Style,
    pub notice: Style,
    pub reasoning: Style,
    pub status_bar: Style,
    pub status_key: Style,
    pub hint: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selected: Style,
    pub gauge: Style,
    pub warn: Style,
    pub money: Style,
    /// False for NO_COLOR: markdown and code are then drawn without colour too.
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Theme {
        Theme::dark()
    }
}

impl Theme {
    pub fn dark() -> Theme {
        Theme {
            text: Style::default(),
            dim: Style::default().fg(Color::DarkGray),
            user_label: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            assistant_label: Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
            error: Style::default().fg(Color::Red),
            notice: Style::default().fg(Color::Yellow),
            reasoning: Style::default()
                .fg(Color::DarkGray)
                .add_modifier(Modifier::ITALIC),
            status_bar: Style::default().bg(Color::Rgb(30, 30, 46)).fg(Color::Gray),
            status_key: Style::default()
                .bg(Color::Rgb(30, 30, 46))
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            hint: Style::default().fg(Color::DarkGray),
            border: Style::default().fg(Color::DarkGray),
            border_focus: Style::default().fg(Color::Blue),
            selected: Style::default()
                .bg(Color::Rgb(50, 50, 80))
                .add_modifier(Modifier::BOLD),
            gauge: Style::default().fg(Color::Blue),
            warn: Style::default().fg(Color::Yellow),
            money: Style::default().fg(Color::LightGreen),
            color: true,
        }
    }

    /// No colours at all (NO_COLOR), only emphasis.
    pub fn plain() -> Theme {
        let s = Style::default();
        Theme {
            text: s,
            dim: s,
            user_label: s.add_modifier(Modifier::BOLD),
            assistant_label: s.add_modifier(Modifier::BOLD),
            error: s.add_modifier(Modifier::BOLD),
            notice: s,
            reasoning: s.add_modifier(Modifier::ITALIC),
            status_bar: s.add_modifier(Modifier::REVERSED),
            status_key: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            hint: s,
            border: s,
            border_focus: s.add_modifier(Modifier::BOLD),
            selected: s.add_modifier(Modifier::REVERSED),
            gauge: s,
            warn: s.add_modifier(Modifier::BOLD),
            money: s,
            color: false,
        }
    }

    /// The markdown renderer's styles, derived from this theme: without
    /// colour (and without syntax highlighting) when colour is off.
    pub fn markdown(&self) -> crate::markdown::MdStyles {
        if self.color {
            return crate::markdown::MdStyles::default();
        }
        let s = Style::default();
        crate::markdown::MdStyles {
            text: s,
            heading: s.add_modifier(Modifier::BOLD),
            emphasis: s.add_modifier(Modifier::ITALIC),
            strong: s.add_modifier(Modifier::BOLD),
            code_inline: s,
            code_block: s,
            link: s.add_modifier(Modifier::UNDERLINED),
            quote: s.add_modifier(Modifier::ITALIC),
            list_marker: s,
            table_border: s,
            rule: s,
            math: s.add_modifier(Modifier::ITALIC),
            highlight: false,
        }
    }
}
