//! Where the PostgreSQL server binaries are, and what a test does when there are none.
//!
//! Debian installs `initdb`, `pg_ctl` and `postgres` under `/usr/lib/postgresql/<major>/bin`
//! and keeps them off PATH; other systems (Homebrew, Nix, source builds) put them on PATH.
//! `PG_BIN` overrides both, for a machine with several versions or an unusual layout. A
//! machine without any skips the tests with a visible line, except where
//! `BRIDGE_REQUIRE_POSTGRES=1` (CI) says a skip would hide a missing package.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::HarnessError;

/// Where Debian's packages put each major version's binaries.
pub(crate) const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// The programs the harness runs; a directory is only usable with all three.
const PROGRAMS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// The directory holding `initdb`, `pg_ctl` and `postgres`: `pg_bin` (the value of `PG_BIN`)
/// when given, else the highest version under `debian_root`, else the directory of the first
/// `initdb` on `path` (the value of PATH). `None` when there is none; an error when `pg_bin`
/// names a directory without them, since a wrong explicit setting must not pass as a skip.
pub(crate) fn binaries(
    pg_bin: Option<&OsStr>,
    debian_root: &Path,
    path: Option<&OsStr>,
) -> Result<Option<PathBuf>, HarnessError> {
    if let Some(dir) = pg_bin.filter(|dir| !dir.is_empty()) {
        let dir = PathBuf::from(dir);
        return if complete(&dir) {
            Ok(Some(dir))
        } else {
            Err(HarnessError::BadPgBin(dir))
        };
    }
    if let Some(dir) = highest_version(debian_root) {
        return Ok(Some(dir));
    }
    Ok(path.and_then(on_path))
}

/// What `start` answers when `binaries` found none: an error naming the package when the
/// caller requires PostgreSQL, else `None` after one line on `out`. `start` passes the
/// process's stderr itself, not `eprintln!`, which the test harness captures and shows only
/// for failing tests: a skip must be visible in a passing run.
pub(crate) fn unavailable<T>(
    require: bool,
    out: &mut dyn std::io::Write,
) -> Result<Option<T>, HarnessError> {
    if require {
        return Err(HarnessError::Missing);
    }
    let _ = writeln!(
        out,
        "SKIPPED: no PostgreSQL binaries (apt-get install postgresql, or set PG_BIN)"
    );
    Ok(None)
}

fn complete(dir: &Path) -> bool {
    PROGRAMS.iter().all(|program| dir.join(program).is_file())
}

/// `<root>/<version>/bin` with the highest version holding all three programs. Versions
/// compare numerically, part by part, so that 10 is above 9.6.
fn highest_version(root: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(root).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = version_key(&entry.file_name().to_string_lossy())?;
            let bin = entry.path().join("bin");
            complete(&bin).then_some((version, bin))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, bin)| bin)
}

fn version_key(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// The first PATH directory with an `initdb` whose siblings are complete. A packaging that
/// links `initdb` onto PATH alone (Homebrew) has the rest beside the link's target.
fn on_path(path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path).find_map(|dir| {
        let initdb = dir.join("initdb");
        if !initdb.is_file() {
            return None;
        }
        if complete(&dir) {
            return Some(dir);
        }
        let real = std::fs::canonicalize(&initdb).ok()?;
        let real_dir = real.parent()?;
        complete(real_dir).then(|| real_dir.to_path_buf())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory removed when the test ends, pass or fail.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!(
                "pg-harness-locate-{}",
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::create_dir(&dir).unwrap();
            Self(dir)
        }

        /// Makes `<dir>` hold the named (empty) programs.
        fn programs(&self, dir: &str, names: &[&str]) -> PathBuf {
            let dir = self.0.join(dir);
            std::fs::create_dir_all(&dir).unwrap();
            for name in names {
                std::fs::write(dir.join(name), "").unwrap();
            }
            dir
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_highest_complete_debian_version_wins() {
        let scratch = Scratch::new();
        scratch.programs("lib/9.6/bin", &PROGRAMS);
        let fifteen = scratch.programs("lib/15/bin", &PROGRAMS);
        scratch.programs("lib/16/bin", &["initdb"]);
        scratch.programs("lib/not-a-version/bin", &PROGRAMS);
        let on_path = scratch.programs("usr-bin", &PROGRAMS);
        let found = binaries(None, &scratch.0.join("lib"), Some(on_path.as_os_str())).unwrap();
        assert_eq!(
            found,
            Some(fifteen),
            "16 lacks pg_ctl and postgres; 15 is above 9.6; Debian's come before PATH"
        );
    }

    #[test]
    fn pg_bin_overrides_and_must_be_complete() {
        let scratch = Scratch::new();
        scratch.programs("lib/15/bin", &PROGRAMS);
        let custom = scratch.programs("custom", &PROGRAMS);
        let lib = scratch.0.join("lib");
        assert_eq!(
            binaries(Some(custom.as_os_str()), &lib, None).unwrap(),
            Some(custom)
        );
        let partial = scratch.programs("partial", &["initdb", "pg_ctl"]);
        let err = binaries(Some(partial.as_os_str()), &lib, None).unwrap_err();
        assert!(matches!(err, HarnessError::BadPgBin(ref dir) if *dir == partial));
        assert!(err.to_string().contains("PG_BIN"), "{err}");
    }

    #[test]
    fn path_is_the_last_resort() {
        let scratch = Scratch::new();
        let incomplete = scratch.programs("a", &["initdb"]);
        let complete = scratch.programs("b", &PROGRAMS);
        let path = std::env::join_paths([incomplete, complete.clone()]).unwrap();
        let nowhere = scratch.0.join("no-such-root");
        assert_eq!(
            binaries(None, &nowhere, Some(&path)).unwrap(),
            Some(complete)
        );
        assert_eq!(binaries(None, &nowhere, None).unwrap(), None);
        let empty = std::env::join_paths([scratch.0.join("a")]).unwrap();
        assert_eq!(binaries(None, &nowhere, Some(&empty)).unwrap(), None);
    }

    #[test]
    fn nothing_found_skips_unless_required() {
        let mut out = Vec::new();
        assert!(matches!(unavailable::<()>(false, &mut out), Ok(None)));
        let line = String::from_utf8(out).unwrap();
        assert!(
            line.starts_with("SKIPPED: ") && line.ends_with('\n'),
            "{line}"
        );
        assert_eq!(line.lines().count(), 1, "one line");

        let mut out = Vec::new();
        let err = unavailable::<()>(true, &mut out).unwrap_err();
        assert!(out.is_empty(), "a required server is an error, not a skip");
        let message = err.to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(message.contains("BRIDGE_REQUIRE_POSTGRES"), "{message}");
    }
}
