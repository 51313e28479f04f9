//! `orchat sessions list|show|export|import|delete|search`: the saved
//! conversations from the shell. An ID may be any unique prefix of one.
//!
//! Exit codes: 0 done; 1 it failed (the store cannot be opened, no such
//! conversation, a file cannot be read or written); 2 bad usage (an
//! ambiguous ID, delete without --yes when nobody can be asked).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::chat::pricing::format_usd;
use crate::store::{Change, Store, StoreError, export};
use crate::text::sanitize;

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum SessionsCommand {
    /// List saved conversations, most recent first.
    List,
    /// Print a conversation.
    Show {
        /// The conversation (a unique prefix is enough).
        id: String,
    },
    /// Export a conversation as Markdown or JSON.
    Export {
        id: String,
        /// md: readable, with front matter; json: complete, for import.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Import a conversation from a JSON export (under a new id if its own
    /// is taken).
    Import { file: PathBuf },
    /// Delete a conversation.
    Delete {
        id: String,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// Search every conversation's messages and reasoning.
    Search {
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[value(alias = "markdown")]
    Md,
    Json,
}

/// The largest file `import` reads: an export holds text and paths, not
/// images, so this is far beyond any real one.
const IMPORT_LIMIT: u64 = 256 << 20;

const OK: i32 = 0;
const FAILED: i32 = 1;
const USAGE: i32 = 2;

/// Runs a sessions command against the store at `store_path`, printing to
/// stdout and stderr. Asks before deleting only when stdin is a terminal.
pub fn run(store_path: &Path, cmd: SessionsCommand) -> i32 {
    let stdin = std::io::stdin();
    let tz = crate::time::system_zone();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    if stdin.is_terminal() {
        let mut lock = stdin.lock();
        run_with(store_path, cmd, &tz, &mut out, &mut err, Some(&mut lock))
    } else {
        run_with(store_path, cmd, &tz, &mut out, &mut err, None)
    }
}

/// `run` with its streams given: `answers` is where a confirmation is read
/// from (None: nobody to ask, so `delete` needs `--yes`).
pub fn run_with(
    store_path: &Path,
    cmd: SessionsCommand,
    tz: &jiff::tz::TimeZone,
    out: &mut dyn Write,
    err: &mut dyn Write,
    answers: Option<&mut dyn BufRead>,
) -> i32 {
    let mut cli = Cli {
        path: store_path,
        tz,
        out,
        err,
    };
    let code = match cmd {
        SessionsCommand::List => cli.list(),
        SessionsCommand::Show { id } => cli.show(&id),
        SessionsCommand::Export { id, format, output } => cli.export(&id, format, output),
        SessionsCommand::Import { file } => cli.import(&file),
        SessionsCommand::Delete { id, yes } => cli.delete(&id, yes, answers),
        SessionsCommand::Search { query } => cli.search(&query.join(" ")),
    };
    let _ = cli.out.flush();
    code
}

struct Cli<'a> {
    path: &'a Path,
    /// The zone dates are listed in.
    tz: &'a jiff::tz::TimeZone,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
}

impl Cli<'_> {
    fn fail(&mut self, code: i32, msg: impl std::fmt::Display) -> i32 {
        let _ = writeln!(self.err, "orchat: {msg}");
        code
    }

    /// Opens the store to read. Nothing saved yet is not an error (and
    /// creates nothing); a store that cannot be written is still read.
    fn reader(&mut self) -> Result<Option<Store>, i32> {
        if !self.path.exists() {
            return Ok(None);
        }
        let opened = match Store::open_read_only(self.path) {
            // An older layout is brought forward by a normal open.
            Err(StoreError::NeedsUpgrade { .. }) => Store::open(self.path),
            r => r,
        };
        opened
            .map(Some)
            .map_err(|e| self.fail(FAILED, e.to_string()))
    }

    fn writer(&mut self) -> Result<Store, i32> {
        Store::open(self.path).map_err(|e| self.fail(FAILED, e.to_string()))
    }

    /// The one conversation `prefix` names.
    fn resolve(&mut self, store: Option<&Store>, prefix: &str) -> Result<String, i32> {
        if prefix.is_empty() {
            return Err(self.fail(USAGE, "an empty ID names no conversation"));
        }
        let ids = match store.map(|s| s.ids_with_prefix(prefix)) {
            None => Vec::new(),
            Some(Ok(ids)) => ids,
            Some(Err(e)) => return Err(self.fail(FAILED, e)),
        };
        match ids.as_slice() {
            [id] => Ok(id.clone()),
            [] => Err(self.fail(FAILED, format!("no saved conversation matches {prefix}"))),
            many => Err(self.fail(
                USAGE,
                format!(
                    "{prefix} matches {} conversations ({}); type more of the ID",
                    many.len(),
                    many.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    fn list(&mut self) -> i32 {
        let store = match self.reader() {
            Ok(Some(s)) => s,
            Ok(None) => return self.fail(OK, "no saved conversations yet"),
            Err(code) => return code,
        };
        let metas = match store.list() {
            Ok(m) => m,
            Err(e) => return self.fail(FAILED, e),
        };
        if metas.is_empty() {
            return self.fail(OK, "no saved conversations yet");
        }
        // Columns line up whatever the ids' lengths; on a narrow terminal
        // the models go first, the cost never.
        use crate::ui::columns::{Column, plain};
        let updated = format!("UPDATED{}", crate::time::zone_note(self.tz));
        let mut cols = [
            Column::new("ID", 8),
            Column::new(&updated, 6),
            Column::new("TITLE", 9).flex_prose(),
            Column::new("MODELS", 4),
            Column::new("MSGS", 5).right(),
            Column::new("COST", 10).right(),
        ];
        for m in &metas {
            let date = crate::time::local_minute(m.updated_ms, self.tz);
            let title = if m.title.is_empty() {
                "(untitled)"
            } else {
                &m.title
            };
            let cost = match m.unknown_costs {
                0 => format_usd(m.total_cost),
                _ if m.total_cost.is_zero() => "?".to_string(),
                _ => format!("{} + ?", format_usd(m.total_cost)),
            };
            let cells = [
                sanitize(&m.id).into_owned(),
                date,
                sanitize(&crate::text::preview(title, 60)).into_owned(),
                sanitize(&m.models.join(", ")).into_owned(),
                m.messages.to_string(),
                cost,
            ];
            for (c, v) in cols.iter_mut().zip(cells) {
                c.cells.push(v);
            }
        }
        let width = if std::io::stdout().is_terminal() {
            crossterm::terminal::size().map_or(usize::MAX, |(w, _)| w as usize)
        } else {
            usize::MAX
        };
        for line in plain(cols.into(), width, 2) {
            let _ = writeln!(self.out, "{line}");
        }
        OK
    }

    fn load(&mut self, prefix: &str) -> Result<(Store, String), i32> {
        let store = self.reader()?;
        let id = self.resolve(store.as_ref(), prefix)?;
        // resolve found the id, so the store exists.
        Ok((store.expect("resolved an id"), id))
    }

    fn show(&mut self, prefix: &str) -> i32 {
        let (store, id) = match self.load(prefix) {
            Ok(x) => x,
            Err(code) => return code,
        };
        match store.load(&id) {
            Ok(Some((meta, msgs))) => {
                // For reading in a terminal: answers and titles came from the
                // network and may carry escape sequences (export keeps them).
                let text = export::transcript(&meta, &msgs);
                let _ = self.out.write_all(sanitize(&text).as_bytes());
                OK
            }
            Ok(None) => self.fail(FAILED, format!("conversation {id} was just deleted")),
            Err(e) => self.fail(FAILED, e),
        }
    }

    fn export(&mut self, prefix: &str, format: Format, output: Option<PathBuf>) -> i32 {
        let (store, id) = match self.load(prefix) {
            Ok(x) => x,
            Err(code) => return code,
        };
        let (meta, msgs) = match store.load(&id) {
            Ok(Some(x)) => x,
            Ok(None) => return self.fail(FAILED, format!("conversation {id} was just deleted")),
            Err(e) => return self.fail(FAILED, e),
        };
        let text = match format {
            Format::Md => export::markdown(&meta, &msgs),
            Format::Json => export::json(&meta, &msgs),
        };
        match output {
            None => match self.out.write_all(text.as_bytes()) {
                Ok(()) => OK,
                Err(e) => self.fail(FAILED, format!("cannot write the export: {e}")),
            },
            Some(p) => match std::fs::write(&p, text) {
                Ok(()) => {
                    let _ = writeln!(self.err, "exported {id} to {}", p.display());
                    OK
                }
                Err(e) => self.fail(FAILED, format!("cannot write {}: {e}", p.display())),
            },
        }
    }

    fn import(&mut self, file: &Path) -> i32 {
        let text = match crate::paths::read_file_at_most(file, IMPORT_LIMIT) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => return self.fail(FAILED, format!("cannot read {}: {e}", file.display())),
        };
        // Changes an orchat could not save when it quit: applied as they were.
        if let Some(changes) = export::read_unsaved(&text) {
            return self.apply_unsaved(file, changes);
        }
        let doc = match export::import_json(&text) {
            Ok(x) => x,
            Err(e) => return self.fail(FAILED, format!("{}: {e}", file.display())),
        };
        let store = match self.writer() {
            Ok(s) => s,
            Err(code) => return code,
        };
        let count = doc.messages.len();
        match store.import_with(doc.meta, doc.messages, doc.charges) {
            Ok(id) => {
                let _ = writeln!(self.out, "{id}");
                let _ = writeln!(self.err, "imported {count} messages as {id}");
                OK
            }
            Err(e) => self.fail(FAILED, e),
        }
    }

    /// Applies a file of changes that could not be saved (`unsaved-….json`).
    fn apply_unsaved(&mut self, file: &Path, changes: Result<Vec<Change>, String>) -> i32 {
        let changes = match changes {
            Ok(c) => c,
            Err(e) => return self.fail(FAILED, format!("{}: {e}", file.display())),
        };
        let store = match self.writer() {
            Ok(s) => s,
            Err(code) => return code,
        };
        let count = changes.len();
        store.apply(changes);
        if !store.flush_within(std::time::Duration::from_secs(10)) {
            let why = store.health().unwrap_or_else(|| "saving paused".into());
            return self.fail(FAILED, format!("not all saved: {why}; the file is kept"));
        }
        let _ = writeln!(
            self.err,
            "saved {count} change{} from {}; the file can be deleted",
            if count == 1 { "" } else { "s" },
            file.display()
        );
        OK
    }

    fn delete(&mut self, prefix: &str, yes: bool, answers: Option<&mut dyn BufRead>) -> i32 {
        let (reader, id) = match self.load(prefix) {
            Ok(x) => x,
            Err(code) => return code,
        };
        if !yes {
            let Some(answers) = answers else {
                return self.fail(USAGE, format!("not deleting {id} without --yes"));
            };
            let what = match reader.load(&id) {
                Ok(Some((m, _))) => format!("\"{}\" ({} messages)", m.title, m.messages),
                _ => id.clone(),
            };
            let _ = write!(self.err, "delete {what}? [y/N] ");
            let _ = self.err.flush();
            let mut line = String::new();
            let _ = answers.read_line(&mut line);
            if !matches!(line.trim().to_lowercase().as_str(), "y" | "yes") {
                return self.fail(FAILED, "not deleted");
            }
        }
        drop(reader);
        let store = match self.writer() {
            Ok(s) => s,
            Err(code) => return code,
        };
        store.delete(&id);
        store.flush();
        if let Some(h) = store.health() {
            return self.fail(FAILED, format!("not deleted: {h}"));
        }
        let _ = writeln!(self.err, "deleted {id}");
        OK
    }

    fn search(&mut self, query: &str) -> i32 {
        let store = match self.reader() {
            Ok(Some(s)) => s,
            Ok(None) => return self.fail(OK, "no saved conversations yet"),
            Err(code) => return code,
        };
        let hits = match store.search(query) {
            Ok(h) => h,
            Err(e) => return self.fail(FAILED, e),
        };
        if hits.is_empty() {
            return self.fail(OK, format!("nothing matches {query}"));
        }
        for h in &hits {
            let _ = writeln!(
                self.out,
                "{}  #{:<3} {}  {}",
                sanitize(&h.conversation_id),
                h.seq,
                fit(&sanitize(&h.title), 30),
                sanitize(&h.snippet)
            );
        }
        OK
    }
}

/// `s` cut or padded to exactly `width` terminal columns.
fn fit(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    if s.width() <= width {
        out.push_str(s);
        used = s.width();
    } else {
        for c in s.chars() {
            let w = c.width().unwrap_or(0);
            if used + w + 1 > width {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    }
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_and_pads_by_columns() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        // Wide characters take two columns each.
        assert_eq!(fit("日本語です", 5), "日本…");
        assert_eq!(fit("日本語です", 5).width(), 5);
    }
}
