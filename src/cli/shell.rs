//! Shell citizenship: completions and a man page, generated from the clap
//! command so they never drift from the real flags.
//!
//! Public API:
//! - [`completions`]`(shell, &mut cmd, out)`: `orchat completions SHELL`
//!   (bash, zsh, fish, elvish, powershell).
//! - [`man`]`(cmd, out) -> io::Result<()>`: `orchat man` (roff, for `man -l -`).
//!
//! Wiring: `Completions { shell: clap_complete::Shell }` and `Man` subcommands,
//! calling these with `<Cli as clap::CommandFactory>::command()` and stdout.
//!
//! Installing: `orchat completions bash > ~/.local/share/bash-completion/completions/orchat`,
//! `orchat completions zsh > ~/.zfunc/_orchat`, `orchat completions fish >
//! ~/.config/fish/completions/orchat.fish`, `orchat man > ~/.local/share/man/man1/orchat.1`.

use std::io::{self, Write};

pub use clap_complete::Shell;

/// Writes the completion script for `shell`.
pub fn completions(shell: Shell, cmd: &mut clap::Command, out: &mut dyn Write) {
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, cmd, name, out);
}

/// Writes the man page (section 1, roff).
pub fn man(cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    clap_mangen::Man::new(cmd).render(out)
}
