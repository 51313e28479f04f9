//! The orchat binary: parses the command line and exits with what running
//! it returned (`cli::start` does the work).

use clap::Parser;

/// Notes whether stdout was closed (`orchat -p … >&-`) before Rust's
/// runtime, which opens /dev/null in the place of a closed standard
/// descriptor, hides it: an answer written to nowhere would be paid for
/// with nobody reading. Runs from `.init_array`, before `main`'s runtime.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static NOTE_CLOSED_STDOUT: extern "C" fn() = {
    extern "C" fn note() {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        if unsafe { libc::fcntl(1, libc::F_GETFD) } == -1 {
            orchat::cli::oneshot::STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    note
};

fn main() {
    let cli = orchat::cli::Cli::parse();
    std::process::exit(orchat::cli::start::main(cli));
}
