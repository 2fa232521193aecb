//! The `newsdedup` command-line tool: a thin shell over the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("newsdedup: error: {message}");
            ExitCode::from(1)
        }
    }
}
