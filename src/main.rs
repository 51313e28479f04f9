//! The orchat binary: parses the command line and exits with what running
//! it returned (`cli::start` does the work).

use clap::Parser;

fn main() {
    let cli = orchat::cli::Cli::parse();
    std::process::exit(orchat::cli::start::main(cli));
}
