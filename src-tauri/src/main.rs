//! `codebench-app [--study FILE | FILE] [--open UNIT]`: the Codebench desktop app.

// No console window on Windows release builds; a no-op elsewhere.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    codebench_app::startup::mark_process_start();
    let args = match codebench_app::args::Args::parse(std::env::args_os().skip(1)) {
        Ok(codebench_app::args::Parsed::Run(args)) => args,
        Ok(codebench_app::args::Parsed::Help) => {
            println!("{}", codebench_app::args::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(codebench_app::args::Parsed::Version) => {
            println!("codebench-app {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("codebench-app: {message}\n\n{}", codebench_app::args::USAGE);
            return ExitCode::from(2);
        }
    };
    match codebench_app::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codebench-app: {e}");
            ExitCode::FAILURE
        }
    }
}
