//! The `newsdedup` command-line tool: a thin shell over the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// The cleaner allocates and frees many small buffers per paragraph, and
/// from several threads: mimalloc's per-thread free lists cut the time
/// the system allocator takes there (measured in the README). Its `no_thp`
/// feature (Cargo.toml) keeps it from asking for transparent huge pages,
/// whose 2 MiB zeroing cost system time and peak memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
