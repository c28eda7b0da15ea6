//! Which user runs `initdb`, `pg_ctl` and the server. All three refuse to run as root (a
//! server bug must not own the machine), and CI containers and this project's sandboxes run
//! tests as root: there the harness runs them as the `postgres` system user that the Debian
//! package creates, through `runuser` or else `setpriv` (both util-linux, no password, no
//! sudo). Anyone else runs them directly.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{HarnessError, io, succeed};

/// The unprivileged user the server runs as when the tests run as root.
const SERVER_USER: &str = "postgres";

/// Where util-linux puts its tools when PATH lacks the sbin directories.
const TOOL_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

#[derive(Debug, Clone)]
pub(crate) enum RunAs {
    /// Not root: run the programs as they are.
    Me,
    /// Root: `runuser -u postgres -- program …`.
    Runuser(PathBuf),
    /// Root without runuser: `setpriv --reuid … --regid … --init-groups -- program …`.
    Setpriv(PathBuf),
}

impl RunAs {
    /// Decides from the owner of `fresh_dir`, a directory this process just created: it belongs
    /// to the effective user (its filesystem uid, to be exact, which is the one that matters
    /// to PostgreSQL's check). That answers "are we root" without `unsafe` `geteuid`.
    pub(crate) fn for_owner_of(fresh_dir: &Path) -> Result<Self, HarnessError> {
        let owner = std::fs::metadata(fresh_dir)
            .map_err(io(format!("reading the owner of {}", fresh_dir.display())))?
            .uid();
        if owner != 0 {
            return Ok(Self::Me);
        }
        if let Some(runuser) = tool("runuser") {
            return Ok(Self::Runuser(runuser));
        }
        tool("setpriv")
            .map(Self::Setpriv)
            .ok_or(HarnessError::NoRunAs)
    }

    /// A command that runs `program` as the server's user.
    pub(crate) fn command(&self, program: &Path) -> Command {
        let mut command = match self {
            Self::Me => return Command::new(program),
            Self::Runuser(runuser) => {
                let mut command = Command::new(runuser);
                command.args(["-u", SERVER_USER, "--"]);
                command
            }
            Self::Setpriv(setpriv) => {
                let mut command = Command::new(setpriv);
                command.args([
                    &format!("--reuid={SERVER_USER}"),
                    &format!("--regid={SERVER_USER}"),
                    "--init-groups",
                    "--",
                ]);
                command
            }
        };
        command.arg(program);
        command
    }

    /// Gives `dir` (and what is in it) to the server's user, who must create the cluster in it
    /// and write its log and socket there.
    pub(crate) fn hand_over(&self, dir: &Path) -> Result<(), HarnessError> {
        if matches!(self, Self::Me) {
            return Ok(());
        }
        let mut chown = Command::new("chown");
        chown.arg("-R").arg(format!("{SERVER_USER}:")).arg(dir);
        succeed(
            "chown to the postgres user (PostgreSQL refuses to run as root; the Debian package \
             creates that user)",
            &mut chown,
        )
    }
}

/// `name` on PATH, else in the usual system directories.
fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(TOOL_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
