//! The harness against the PostgreSQL installed here: a server starts on loopback with the
//! settings the crate promises, takes connections as the `bridge` superuser, hands out
//! databases that do not see each other, reports a failed start with its log, and leaves no
//! process or directory behind, even when the test process is killed without dropping it. Each test skips (with the harness's `SKIPPED:` line) where no
//! PostgreSQL is installed, and fails there under `BRIDGE_REQUIRE_POSTGRES=1`.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pg_harness::{HarnessError, ThrowawayPostgres};
use sqlx::{Connection, PgConnection, Row};

async fn server() -> Option<ThrowawayPostgres> {
    let started = Instant::now();
    let server = ThrowawayPostgres::start()
        .await
        .expect("a throwaway PostgreSQL starts");
    if server.is_some() {
        println!("server started in {:?}", started.elapsed());
    }
    server
}

async fn setting(conn: &mut PgConnection, name: &str) -> String {
    sqlx::query_scalar("SELECT current_setting($1)")
        .bind(name)
        .fetch_one(conn)
        .await
        .unwrap()
}

/// The postmaster's pid, from the first line of its pid file.
fn postmaster_pid(server: &ThrowawayPostgres) -> u32 {
    let pid_file = std::fs::read_to_string(server.dir().join("data/postmaster.pid")).unwrap();
    pid_file.lines().next().unwrap().trim().parse().unwrap()
}

/// Whether `pid` is a live process (a zombie waiting for init to reap it is not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_server_listens_on_loopback_and_takes_the_bridge_superuser() {
    let Some(pg) = server().await else { return };
    let url = pg.url();
    assert_eq!(
        url,
        format!("postgres://bridge@127.0.0.1:{}/postgres", pg.port())
    );
    let mut conn = PgConnection::connect(&url).await.unwrap();
    let row = sqlx::query(
        "SELECT current_user::text AS who, rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("who"), "bridge");
    assert!(row.get::<bool, _>("rolsuper"));

    assert_eq!(setting(&mut conn, "listen_addresses").await, "127.0.0.1");
    assert_eq!(setting(&mut conn, "port").await, pg.port().to_string());
    assert_eq!(setting(&mut conn, "server_encoding").await, "UTF8");
    for off in ["fsync", "synchronous_commit", "full_page_writes"] {
        assert_eq!(setting(&mut conn, off).await, "off", "{off}");
    }
    let socket = setting(&mut conn, "unix_socket_directories").await;
    assert!(
        Path::new(&socket).starts_with(pg.dir()),
        "the socket ({socket}) is in the server's own directory, not /var/run/postgresql"
    );
    conn.close().await.unwrap();
}

/// Tests of a later step share one server (in a `static`) and take a database each.
#[test]
fn a_server_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<ThrowawayPostgres>();
}

#[tokio::test]
async fn fresh_databases_do_not_see_each_other() {
    let Some(pg) = server().await else { return };
    let a = pg.fresh_database().await.unwrap();
    let b = pg.fresh_database().await.unwrap();
    assert_ne!(a, b);

    let mut in_a = PgConnection::connect(&a).await.unwrap();
    let mut in_b = PgConnection::connect(&b).await.unwrap();
    sqlx::raw_sql("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('only in a')")
        .execute(&mut in_a)
        .await
        .unwrap();
    let tables_in_b: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 't'")
            .fetch_one(&mut in_b)
            .await
            .unwrap();
    assert_eq!(tables_in_b, 0, "b does not see a's table");
    sqlx::raw_sql("CREATE TABLE t (v TEXT)")
        .execute(&mut in_b)
        .await
        .expect("b may create a table of the same name");
    let rows_in_b: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(&mut in_b)
        .await
        .unwrap();
    assert_eq!(rows_in_b, 0);
    let names: (String, String) = (
        sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(&mut in_a)
            .await
            .unwrap(),
        sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(&mut in_b)
            .await
            .unwrap(),
    );
    assert!(a.ends_with(&names.0) && b.ends_with(&names.1) && names.0 != names.1);
    in_a.close().await.unwrap();
    in_b.close().await.unwrap();
}

#[tokio::test]
async fn dropping_stops_the_server_and_removes_its_directory() {
    let Some(pg) = server().await else { return };
    let (dir, url, pid) = (pg.dir().to_path_buf(), pg.url(), postmaster_pid(&pg));
    assert!(dir.join("data/PG_VERSION").is_file());
    assert!(alive(pid), "the postmaster ({pid}) runs");

    drop(pg);
    assert!(!dir.exists(), "{} is removed", dir.display());
    assert!(!alive(pid), "the postmaster ({pid}) is gone");
    assert!(
        PgConnection::connect(&url).await.is_err(),
        "nothing answers at {url} any more"
    );
}

#[tokio::test]
async fn a_server_that_cannot_start_says_why_and_leaves_nothing() {
    let failed = ThrowawayPostgres::start_with(&[("shared_buffers", "plenty")]).await;
    let err = match failed {
        Ok(None) => return,
        Ok(Some(_)) => panic!("a server with shared_buffers = 'plenty' started"),
        Err(err) => err,
    };
    let HarnessError::Start { ref dir, .. } = err else {
        panic!("not a start failure: {err}");
    };
    let message = err.to_string();
    assert!(
        message.contains("tail of the server log")
            && message.contains(r#"invalid value for parameter "shared_buffers": "plenty""#),
        "the error carries the server's own reason:\n{message}"
    );
    assert!(!dir.exists(), "{} is removed", dir.display());
}

/// Set for the child process of `a_killed_test_process_leaves_no_server`.
const HOLDER: &str = "PG_HARNESS_TEST_HOLDER";

/// Not a test of its own: the process `a_killed_test_process_leaves_no_server` kills. It
/// starts a server, says where, and waits to be killed.
#[tokio::test]
#[ignore = "run by a_killed_test_process_leaves_no_server"]
async fn holder() {
    if std::env::var_os(HOLDER).is_none() {
        return;
    }
    let pg = server().await.expect("binaries were found by the parent");
    println!("HOLDING {} {}", postmaster_pid(&pg), pg.dir().display());
    tokio::time::sleep(Duration::from_secs(600)).await;
    drop(pg);
}

#[tokio::test]
async fn a_killed_test_process_leaves_no_server() {
    // The parent starts no server; this only checks that there is one to start.
    let Some(probe) = server().await else { return };
    drop(probe);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["holder", "--exact", "--ignored", "--nocapture"])
        .env(HOLDER, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let holding = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("HOLDING ").map(str::to_owned))
        .expect("the holder reports its server");
    let (pid, dir) = holding.split_once(' ').unwrap();
    let (pid, dir): (u32, PathBuf) = (pid.parse().unwrap(), dir.into());
    assert!(alive(pid) && dir.exists());

    // SIGKILL: no destructor runs, only the watchdog sees its stdin close.
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while (alive(pid) || dir.exists()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!alive(pid), "the postmaster ({pid}) is stopped");
    assert!(!dir.exists(), "{} is removed", dir.display());
}
