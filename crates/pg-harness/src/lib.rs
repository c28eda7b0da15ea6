//! A throwaway PostgreSQL server for tests, so that the store's PostgreSQL engine is tested
//! against a real server without a shared one to set up, clean or collide on. Each
//! `ThrowawayPostgres` is a fresh cluster (`initdb`) in a temporary directory, listening on a
//! free loopback port only, with durability off since nothing in it outlives the test; a test
//! takes a database of its own with `fresh_database`, so tests sharing a server stay isolated.
//! Dropping it stops the server and removes the directory; a watchdog process does the same
//! if the test process dies without dropping it (a panic that aborts, a signal, a `static`).
//!
//! Where no PostgreSQL is installed, `start` prints one `SKIPPED:` line and gives `None`, so a
//! developer without it still runs everything else; `BRIDGE_REQUIRE_POSTGRES=1` (CI) turns that
//! into an error. PostgreSQL refuses to run as root: as root, the harness runs it as the
//! `postgres` system user that the Debian package creates.

mod locate;
mod run_as;

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};

use sqlx::{Connection, PgConnection};

use run_as::RunAs;

/// Lines of the server log an error carries: enough for the FATAL and what led to it.
const LOG_TAIL_LINES: usize = 30;

/// Attempts at a port: another process may take the one found free before the server binds it.
const PORT_ATTEMPTS: usize = 3;

/// Seconds `pg_ctl -w` waits for the server to accept connections; a loaded CI machine with
/// two cores can take a while, a broken start fails long before that.
const START_TIMEOUT_SECS: &str = "60";

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error(
        "no PostgreSQL binaries found (PG_BIN unset, none under /usr/lib/postgresql/*/bin, no \
         initdb on PATH) and BRIDGE_REQUIRE_POSTGRES=1 forbids skipping: install them \
         (apt-get install postgresql) or set PG_BIN to the directory holding initdb, pg_ctl \
         and postgres"
    )]
    Missing,
    #[error("PG_BIN={0} does not hold initdb, pg_ctl and postgres")]
    BadPgBin(PathBuf),
    #[error(
        "running as root, and PostgreSQL refuses root: the harness runs it as the `postgres` \
         user through runuser or setpriv (util-linux), and found neither"
    )]
    NoRunAs,
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} failed ({status}):\n{output}")]
    Command {
        what: String,
        status: ExitStatus,
        output: String,
    },
    #[error(
        "PostgreSQL did not start in {}: {detail}\n--- tail of the server log ---\n{log_tail}",
        dir.display()
    )]
    Start {
        /// The server's directory, removed since.
        dir: PathBuf,
        /// What `pg_ctl` said.
        detail: String,
        log_tail: String,
    },
    #[error("{what} on the throwaway server ({url}): {source}")]
    Sql {
        what: String,
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("the start task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A running throwaway server. See the crate documentation.
#[derive(Debug)]
pub struct ThrowawayPostgres {
    /// The temporary directory: `data/` (the cluster), `socket/`, `server.log`.
    dir: PathBuf,
    /// Where `initdb` and `pg_ctl` are.
    bin: PathBuf,
    run_as: RunAs,
    port: u16,
    /// Stops the server and removes `dir` once its stdin closes, which happens when this value
    /// is dropped or, failing that, when the process exits however it exits.
    watchdog: Option<Watchdog>,
}

#[derive(Debug)]
struct Watchdog {
    child: Child,
    /// Held open, never written: its end of file is the watchdog's signal.
    stdin: Option<ChildStdin>,
}

impl ThrowawayPostgres {
    /// Starts a server, or gives `None` (after a `SKIPPED:` line on stderr) where no
    /// PostgreSQL binaries are installed and `BRIDGE_REQUIRE_POSTGRES` is not `1`.
    pub async fn start() -> Result<Option<Self>, HarnessError> {
        Self::start_with(&[]).await
    }

    /// [`ThrowawayPostgres::start`] for a test: `None` to skip (the `SKIPPED:` line said why),
    /// and a panic, naming the cause, where the binaries exist but the server does not start.
    pub async fn for_test() -> Option<Self> {
        match Self::start().await {
            Ok(server) => server,
            Err(e) => panic!("the throwaway PostgreSQL server: {e}"),
        }
    }

    /// `start`, with extra server settings (`postgresql.conf` names and values).
    pub async fn start_with(settings: &[(&str, &str)]) -> Result<Option<Self>, HarnessError> {
        let settings: Vec<(String, String)> = settings
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        // initdb and pg_ctl block for a second or so; off the runtime's worker, other tasks
        // (another test's server starting on a shared runtime) keep going meanwhile.
        tokio::task::spawn_blocking(move || Self::start_blocking(&settings)).await?
    }

    fn start_blocking(settings: &[(String, String)]) -> Result<Option<Self>, HarnessError> {
        let pg_bin = std::env::var_os("PG_BIN");
        let path = std::env::var_os("PATH");
        let Some(bin) = locate::binaries(
            pg_bin.as_deref(),
            Path::new(locate::DEBIAN_ROOT),
            path.as_deref(),
        )?
        else {
            let require = std::env::var_os("BRIDGE_REQUIRE_POSTGRES").is_some_and(|v| v == "1");
            return locate::unavailable(require, &mut std::io::stderr());
        };

        let dir =
            std::env::temp_dir().join(format!("pg-harness-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).map_err(io(format!("creating {}", dir.display())))?;
        let run_as = match RunAs::for_owner_of(&dir) {
            Ok(run_as) => run_as,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        // From here on, dropping `server` (an early return included) cleans up, and the
        // watchdog does if this process dies first, even in the middle of initdb.
        let mut server = Self {
            dir,
            bin,
            run_as,
            port: 0,
            watchdog: None,
        };
        server.watchdog = Some(server.spawn_watchdog()?);
        server.prepare(settings)?;
        server.port = server.run()?;
        Ok(Some(server))
    }

    /// The URL of the `postgres` database, as the superuser `bridge`.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// Creates a database no one else uses and returns its URL.
    pub async fn fresh_database(&self) -> Result<String, HarnessError> {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let url = self.url();
        let sql = |what: &str| {
            let (what, url) = (what.to_owned(), url.clone());
            move |source| HarnessError::Sql { what, url, source }
        };
        let mut conn = PgConnection::connect(&url)
            .await
            .map_err(sql("connecting"))?;
        // The name is ours (hex), so quoting it needs no escaping.
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .map_err(sql("creating a database"))?;
        conn.close().await.map_err(sql("disconnecting"))?;
        Ok(self.database_url(&name))
    }

    /// Stops the server as an outage would (`pg_ctl stop -m fast`: clients are disconnected),
    /// keeping its data for [`ThrowawayPostgres::resume`].
    pub async fn pause(&self) -> Result<(), HarnessError> {
        let mut stop = self.program("pg_ctl");
        stop.arg("-D")
            .arg(self.data())
            .args(["-w", "-m", "fast", "stop"]);
        tokio::task::spawn_blocking(move || succeed("pg_ctl stop", &mut stop)).await?
    }

    /// Starts a paused server again, on the same port, with the same data.
    pub async fn resume(&self) -> Result<(), HarnessError> {
        let mut start = self.program("pg_ctl");
        start
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log())
            .args(["-w", "-t", START_TIMEOUT_SECS])
            .args(["-o", &format!("-p {}", self.port), "start"]);
        tokio::task::spawn_blocking(move || succeed("pg_ctl start", &mut start)).await?
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's temporary directory (the cluster in `data/`, the log in `server.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn database_url(&self, database: &str) -> String {
        format!("postgres://bridge@127.0.0.1:{}/{database}", self.port)
    }

    /// `program` from the server's binaries, run as the server's user, in the server's
    /// directory: the postgres user may not be allowed into the test's working directory.
    fn program(&self, program: &str) -> Command {
        let mut command = self.run_as.command(&self.bin.join(program));
        command.current_dir(&self.dir);
        command
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The cluster: `initdb`, then the settings of a server no one relies on.
    fn prepare(&self, settings: &[(String, String)]) -> Result<(), HarnessError> {
        let socket = self.dir.join("socket");
        std::fs::create_dir(&socket).map_err(io(format!("creating {}", socket.display())))?;
        self.run_as.hand_over(&self.dir)?;
        let mut initdb = self.program("initdb");
        initdb
            .arg("-D")
            .arg(self.data())
            .args(["--username=bridge", "--auth=trust", "--encoding=UTF8"])
            // The C locale exists everywhere and sorts the same everywhere.
            .args(["--locale=C", "--no-sync"]);
        succeed("initdb", &mut initdb)?;

        let mut conf = String::from("\n# pg-harness: a throwaway server\n");
        let defaults = [
            ("listen_addresses", "127.0.0.1"),
            ("unix_socket_directories", &*socket.to_string_lossy()),
            // Nothing here outlives the test: durability only costs time.
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
        ];
        let extra = settings.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        for (name, value) in defaults.into_iter().chain(extra) {
            let _ = writeln!(conf, "{name} = '{}'", value.replace('\'', "''"));
        }
        let file = self.data().join("postgresql.conf");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(io(format!("appending to {}", file.display())))
    }

    /// Starts the server on a free port and returns the port.
    fn run(&self) -> Result<u16, HarnessError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            let mut pg_ctl = self.program("pg_ctl");
            pg_ctl
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(self.log())
                .args(["-w", "-t", START_TIMEOUT_SECS])
                .args(["-o", &format!("-p {port}"), "start"]);
            let output = pg_ctl.output().map_err(io("running pg_ctl start"))?;
            if output.status.success() {
                return Ok(port);
            }
            let log_tail = tail(&self.log(), LOG_TAIL_LINES);
            let taken = log_tail.contains("Address already in use");
            if taken && attempt < PORT_ATTEMPTS {
                continue;
            }
            return Err(HarnessError::Start {
                dir: self.dir.clone(),
                detail: combined(&output),
                log_tail,
            });
        }
    }

    /// A shell that waits for its stdin to close, then stops the server and removes the
    /// directory. In a process group of its own, so that the Ctrl-C which kills the test
    /// process does not kill it too. Arguments reach it as `$0` and `$@`, never spliced into
    /// the script, so no path needs quoting.
    fn spawn_watchdog(&self) -> Result<Watchdog, HarnessError> {
        use std::os::unix::process::CommandExt as _;
        let stop = self.run_as.command(&self.bin.join("pg_ctl"));
        let mut sh = Command::new("/bin/sh");
        sh.arg("-c")
            .arg(r#"while read -r _; do :; done; "$@" >/dev/null 2>&1; rm -rf -- "$0""#)
            .arg(&self.dir)
            .arg(stop.get_program())
            .args(stop.get_args())
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .current_dir("/")
            .process_group(0);
        let mut child = sh.spawn().map_err(io("starting the watchdog shell"))?;
        let stdin = child.stdin.take();
        Ok(Watchdog { child, stdin })
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        // Immediate: the data is thrown away, so there is nothing to flush or checkpoint.
        if self.data().join("postmaster.pid").exists() {
            let _ = self
                .program("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(mut watchdog) = self.watchdog.take() {
            // Its work is done; closing stdin lets it exit, and waiting reaps it.
            drop(watchdog.stdin.take());
            let _ = watchdog.child.wait();
        }
    }
}

/// A port nothing listens on now. The listener closes before the server binds the port; `run`
/// retries in the rare case another process took it in between.
fn free_port() -> Result<u16, HarnessError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(io("finding a free loopback port"))
}

/// Runs `command`, turning a failure into an error that carries its output.
fn succeed(what: &str, command: &mut Command) -> Result<(), HarnessError> {
    let output = command.output().map_err(io(format!("running {what}")))?;
    if output.status.success() {
        return Ok(());
    }
    Err(HarnessError::Command {
        what: what.to_owned(),
        status: output.status,
        output: combined(&output),
    })
}

fn combined(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text.trim_end().to_owned()
}

/// The last `lines` lines of the file at `path`, or why there are none.
fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(no server log at {}: {e})", path.display()),
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> HarnessError {
    let what = what.into();
    move |source| HarnessError::Io { what, source }
}
