//! One struct of named styles; every widget takes its colours from here.

use ratatui::style::{Color, Modifier, Style};

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
            highlight: false,
        }
    }
}
