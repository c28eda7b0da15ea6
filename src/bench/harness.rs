//! The two processes a scenario runs against: the Falcon simulator inside the bench process,
//! and the bridge as a child process (`<this executable> serve`), so that the bridge's peak
//! RSS is its own and not the simulator's or the load generator's.
//!
//! The bridge runs with its default settings (the rate limit included) except the deletion
//! guard, which is lifted ([`LIFTED`]); it logs as deployed (JSON at `info`). For debugging a
//! scenario:
//! `FSB_BENCH_BRIDGE_LOG` sets its `RUST_LOG`, and with `FSB_BENCH_KEEP` set the temporary
//! directory (store, configuration and the bridge's log) is kept.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use super::BenchError;
use falcon::sim::{RunningSim, SimConfig, Simulator};
use falcon::{ClientConfig, FalconClient};
use secrecy::SecretString;

/// E-mail domain of the users seeded into Falcon.
pub const SEED_DOMAIN: &str = "bench.example.com";

/// The groups the bench pushes and the Falcon roles the bridge's configuration maps them to
/// (default role ids of the simulator's catalogue).
pub const GROUPS: [(&str, &[&str]); 5] = [
    ("Bench Analysts", &["falcon_analyst", "event_viewer"]),
    ("Bench Investigators", &["falcon_investigator"]),
    ("Bench Help Desk", &["help_desk"]),
    ("Bench Dashboards", &["dashboard_admin"]),
    ("Bench Firewall", &["firewall_manager"]),
];

/// The one setting of the bridge under test that is not its default, as the report says.
pub const LIFTED: (&str, &str) = ("BRIDGE_MAX_DELETIONS_PER_HOUR", "1000000");

/// How long the bridge may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the bridge may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(25);

/// Starts a simulator on a free loopback port with `users` generated Falcon users.
pub async fn start_sim(
    latency: Duration,
    rate_limit_per_minute: u32,
    users: usize,
) -> Result<RunningSim, BenchError> {
    let sim = Simulator::new(SimConfig {
        latency,
        rate_limit_per_minute,
        ..SimConfig::default()
    });
    if users > 0 {
        sim.seed_users(users, SEED_DOMAIN);
    }
    Ok(sim.spawn(([127, 0, 0, 1], 0).into()).await?)
}

/// The latency a Falcon call to `sim` really takes, seen from a client on this machine: the
/// median of a few sequential calls (the simulator's sleep is rounded up to the timer's
/// millisecond ticks, and loopback HTTP adds its own). Costs a few calls; reset the counters
/// afterwards.
pub async fn calibrate_latency(sim: &RunningSim) -> Result<Duration, BenchError> {
    const PROBES: usize = 21;
    let spec = sim.sim.default_client();
    let client = FalconClient::new(ClientConfig::new(
        sim.base_url.clone(),
        spec.client_id,
        SecretString::from(spec.client_secret),
    ))
    .map_err(|e| BenchError::Unexpected(format!("calibration client: {e}")))?;
    client
        .authenticate()
        .await
        .map_err(|e| BenchError::Unexpected(format!("calibration token: {e}")))?;
    let mut samples = Vec::with_capacity(PROBES);
    for _ in 0..PROBES {
        let started = Instant::now();
        client
            .role_ids()
            .await
            .map_err(|e| BenchError::Unexpected(format!("calibration call: {e}")))?;
        samples.push(started.elapsed());
    }
    samples.sort_unstable();
    Ok(samples[PROBES / 2])
}

/// The bridge under test, running as a child process.
pub struct BridgeProcess {
    child: Child,
    pid: u32,
    /// `http://127.0.0.1:PORT`
    pub root: String,
    /// The bearer token it accepts.
    pub token: String,
    spawned_at: Instant,
    dir: PathBuf,
}

impl BridgeProcess {
    /// Starts `<exe> serve` against `sim`, with a SQLite store and configuration in a fresh
    /// temporary directory and a token of its own. Returns at once; see
    /// [`BridgeProcess::wait_ready`].
    pub fn spawn(sim: &RunningSim, exe: &Path) -> Result<Self, BenchError> {
        Self::spawn_with(sim, exe, None, &new_token())
    }

    /// Like [`BridgeProcess::spawn`], storing on `store_url` when given (several replicas
    /// share one PostgreSQL database), and accepting `token`. The configuration and the log
    /// are in a fresh temporary directory either way, and so is the SQLite store without a URL.
    pub fn spawn_with(
        sim: &RunningSim,
        exe: &Path,
        store_url: Option<&str>,
        token: &str,
    ) -> Result<Self, BenchError> {
        let dir = std::env::temp_dir().join(format!("fsb-bench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("bridge.toml");
        std::fs::write(&config, group_config())?;
        let log = std::fs::File::create(dir.join("bridge.log"))?;
        let port = free_port()?;
        let store_url = match store_url {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}", dir.join("bridge.db").display()),
        };
        let client = sim.sim.default_client();
        let child = Command::new(exe)
            .arg("serve")
            .env_clear()
            .env("FALCON_BASE_URL", &sim.base_url)
            .env("FALCON_CLIENT_ID", &client.client_id)
            .env("FALCON_CLIENT_SECRET", &client.client_secret)
            .env("SCIM_BEARER_TOKENS", token)
            .env("BRIDGE_LISTEN", format!("127.0.0.1:{port}"))
            .env("BRIDGE_DATABASE_URL", &store_url)
            .env("BRIDGE_CONFIG", &config)
            // Every setting is the default but this one (see `LIFTED`): the deletion guard would
            // rightly stop scenario 3's 250 deactivations an hour; the bench measures the bridge,
            // not the guard. Ignored where it is absent.
            .env(LIFTED.0, LIFTED.1)
            // Logged as deployed (JSON at the default level): logging is part of the cost.
            .env(
                "RUST_LOG",
                std::env::var("FSB_BENCH_BRIDGE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        let pid = child
            .id()
            .ok_or_else(|| BenchError::Bridge("the bridge exited at once".into()))?;
        Ok(Self {
            child,
            pid,
            root: format!("http://127.0.0.1:{port}"),
            token: token.to_owned(),
            spawned_at: Instant::now(),
            dir,
        })
    }

    /// Waits until `/readyz` answers 200; returns the time since the process was spawned.
    pub async fn wait_ready(&mut self) -> Result<Duration, BenchError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/readyz", self.root);
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(BenchError::Bridge(format!(
                    "the bridge exited during start-up ({status}): {}",
                    self.log_tail()
                )));
            }
            if http
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(self.spawned_at.elapsed());
            }
            if self.spawned_at.elapsed() > READY_TIMEOUT {
                return Err(BenchError::Bridge(format!(
                    "the bridge was not ready after {} s: {}",
                    READY_TIMEOUT.as_secs(),
                    self.log_tail()
                )));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The bridge's peak resident set so far, in bytes.
    pub fn peak_rss(&self) -> Option<u64> {
        super::measure::peak_rss(self.pid)
    }

    /// SIGTERM, then waits for the exit (killing it after a while) and removes the temporary
    /// directory.
    pub async fn stop(mut self) -> Result<(), BenchError> {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        if !sent.is_ok_and(|s| s.success()) {
            self.child.start_kill()?;
        }
        if tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .is_err()
        {
            self.child.start_kill()?;
            self.child.wait().await?;
        }
        let log = std::fs::read_to_string(self.dir.join("bridge.log")).unwrap_or_default();
        let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
        if let Some(first) = errors.first() {
            tracing::warn!(
                count = errors.len(),
                first = %first,
                "the bridge logged errors during the scenario"
            );
        }
        Ok(())
    }

    /// The last lines the bridge logged (for error messages).
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("bridge.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }
}

impl Drop for BridgeProcess {
    fn drop(&mut self) {
        // The child itself is killed by `kill_on_drop` if it still runs.
        if std::env::var_os("FSB_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A bearer token for the bridge under test (its replicas share one).
pub fn new_token() -> String {
    format!(
        "bench-{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Whether `url` names a PostgreSQL server.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A fresh database for one scenario on the PostgreSQL server of `--database-url`, created
/// over a connection to the URL given and dropped by [`BenchDatabase::remove`] once the
/// bridges have stopped (or, failing that, when the value is dropped).
pub struct BenchDatabase {
    /// The server's URL, as given (its database is the one connected to for CREATE and DROP).
    server: String,
    name: String,
    /// The server's URL with the database name replaced by `name`.
    pub url: String,
    removed: bool,
}

impl BenchDatabase {
    /// `CREATE DATABASE fsb_bench_<uuid>` on `server`.
    pub async fn create(server: &str) -> Result<Self, BenchError> {
        use sqlx::Connection as _;
        let name = format!("fsb_bench_{}", uuid::Uuid::new_v4().simple());
        let url = Self::with_database(server, &name)?;
        let shown = Self::redacted(server);
        let mut conn = sqlx::PgConnection::connect(server)
            .await
            .map_err(|e| BenchError::Database(format!("connecting to {shown}: {e}")))?;
        // The name is ours (hex after a fixed prefix), so quoting it needs no escaping.
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .map_err(|e| BenchError::Database(format!("creating {name} on {shown}: {e}")))?;
        let _ = conn.close().await;
        Ok(Self {
            server: server.to_owned(),
            name,
            url,
            removed: false,
        })
    }

    /// Drops the database, best effort (a warning if it fails): `WITH (FORCE)` ends sessions
    /// a killed bridge may have left (PostgreSQL 13 and later).
    pub async fn remove(mut self) {
        self.removed = true;
        if let Err(e) = drop_database(&self.server, &self.name).await {
            tracing::warn!(database = %self.name, error = %e, "could not drop the bench database");
        }
    }

    /// `server` with its database replaced by `database`.
    fn with_database(server: &str, database: &str) -> Result<String, BenchError> {
        let mut url = url::Url::parse(server).map_err(|e| {
            BenchError::Usage(format!(
                "--database-url {} is not a URL: {e}",
                Self::redacted(server)
            ))
        })?;
        url.set_path(&format!("/{database}"));
        Ok(url.to_string())
    }

    /// `server` with its database shown as `fsb_bench_<uuid>` and any password hidden.
    pub fn shown(server: &str) -> String {
        const PLACEHOLDER: &str = "fsb_bench_UUID";
        match Self::with_database(server, PLACEHOLDER) {
            Ok(url) => Self::redacted(&url).replace(PLACEHOLDER, "fsb_bench_<uuid>"),
            Err(_) => Self::redacted(server),
        }
    }

    /// `url` with any password replaced by `***`.
    pub fn redacted(url: &str) -> String {
        match url::Url::parse(url) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            Ok(parsed) => parsed.to_string(),
            Err(_) => "(not a URL)".into(),
        }
    }
}

impl Drop for BenchDatabase {
    /// A scenario that failed half-way still drops its database: on a thread of its own with a
    /// runtime of its own, since this may run inside the bench's runtime.
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
                .and_then(|rt| rt.block_on(drop_database(&server, &name)))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            tracing::warn!(database = %self.name, "could not drop the bench database");
        }
    }
}

async fn drop_database(server: &str, name: &str) -> Result<(), String> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(server)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let _ = conn.close().await;
    Ok(())
}

/// The `[groups]` table of the bridge's TOML configuration.
fn group_config() -> String {
    let mut text = String::from("[groups]\n");
    for (name, roles) in GROUPS {
        let roles: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
        text.push_str(&format!("\"{name}\" = [{}]\n", roles.join(", ")));
    }
    text
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_configuration_is_valid_toml_for_the_bridge() {
        let parsed: crate::config::FileConfig = toml::from_str(&group_config()).unwrap();
        assert_eq!(parsed.groups.len(), GROUPS.len());
        assert_eq!(
            parsed.groups["Bench Analysts"],
            ["falcon_analyst", "event_viewer"]
        );
    }
}
