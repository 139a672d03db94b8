//! `candor catalog` subcommands (in progress).

/// `candor catalog` subcommands.
#[derive(clap::Subcommand)]
pub enum CatalogCmd {
    /// Not built yet.
    Status,
}

/// Run a catalog subcommand; returns the exit code.
pub fn run(cmd: CatalogCmd) -> crate::Result<u8> {
    match cmd {
        CatalogCmd::Status => Err(crate::Error::Usage("catalog mode is not built yet".into())),
    }
}
