//! The `candor` command: `main` turns any error into one message and exit
//! code 2; `candor::cli::run` dispatches the subcommands and returns the
//! exit code (0 nothing to report, 1 findings, 2 error).

use std::process::ExitCode;

fn main() -> ExitCode {
    candor::extract::model::single_threaded_ops();
    match candor::cli::run() {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("candor: error: {err}");
            ExitCode::from(2)
        }
    }
}

/// A closed stdout (e.g. `candor ... | head`) ends the run quietly.
fn is_broken_pipe(err: &candor::Error) -> bool {
    matches!(err, candor::Error::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
}
