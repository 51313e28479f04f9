//! `orchat key set|delete`: a provider's key in the system keyring. The
//! key is read from stdin (not echoed on a terminal), checked as any key
//! is, and never printed.

use std::io::{BufRead, IsTerminal};

use super::KeyCommand;
use crate::config::keyring::KeyStore;

const EXIT_OK: i32 = 0;
const EXIT_FAILED: i32 = 1;

/// Runs `cmd` for `provider` against `store`, the key (for `set`) read from
/// `input`; one line on stderr either way.
pub fn run(cmd: KeyCommand, provider: &str, store: &dyn KeyStore, input: &mut dyn BufRead) -> i32 {
    match cmd {
        KeyCommand::Set { .. } => {
            let key = match read_key(provider, input) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("orchat: {e}");
                    return EXIT_FAILED;
                }
            };
            match store.set(provider, &key) {
                Ok(()) => {
                    eprintln!(
                        "orchat: the key for {provider} is in the system keyring; orchat reads it when the environment has none"
                    );
                    EXIT_OK
                }
                Err(e) => {
                    eprintln!("orchat: not saved: {e}");
                    EXIT_FAILED
                }
            }
        }
        KeyCommand::Delete { .. } => match store.delete(provider) {
            Ok(true) => {
                eprintln!("orchat: the key for {provider} is gone from the system keyring");
                EXIT_OK
            }
            Ok(false) => {
                eprintln!("orchat: the system keyring has no key for {provider}");
                EXIT_OK
            }
            Err(e) => {
                eprintln!("orchat: {e}");
                EXIT_FAILED
            }
        },
    }
}

/// One line from `input`, checked as a key; on a terminal the typing is
/// not echoed.
fn read_key(provider: &str, input: &mut dyn BufRead) -> Result<String, String> {
    let tty = std::io::stdin().is_terminal();
    if tty {
        eprint!("key for {provider} (not shown): ");
    }
    let _echo = tty.then(EchoOff::new);
    let mut line = String::new();
    // A key is one short line: more than 16 KiB is not one.
    let mut bounded = std::io::Read::take(&mut *input, 16 * 1024);
    std::io::BufRead::read_line(&mut std::io::BufReader::new(&mut bounded), &mut line)
        .map_err(|e| format!("cannot read the key: {e}"))?;
    if tty {
        eprintln!();
    }
    let key = crate::api::key::ApiKey::parse(line.trim(), "the key given")?
        .ok_or("no key given (type or pipe it: `echo $KEY | orchat key set`)")?;
    Ok(key.expose().to_string())
}

/// Echo off on the terminal while it lives.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> EchoOff {
        // SAFETY: termios calls on stdin with a valid struct.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return EchoOff(None);
            }
            let old = t;
            t.c_lflag &= !libc::ECHO;
            libc::tcsetattr(0, libc::TCSANOW, &t);
            EchoOff(Some(old))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(old) = self.0 {
            // SAFETY: restoring what tcgetattr gave.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, &old) };
        }
    }
}
