//! The terminal the app runs in: the guard that sets it up and always puts
//! it back (one panic hook), what the loop draws on (`Screen`, any ratatui
//! backend), its events, handing it to `$EDITOR`, and the clipboard (the
//! system's, or OSC 52 through the terminal).

pub mod clipboard;
pub mod editor;
pub mod events;
pub mod guard;
pub mod probe;
pub mod screen;
