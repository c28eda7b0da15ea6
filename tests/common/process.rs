//! Running the real `falcon-scim-bridge` binary against an in-process simulator: for what only a
//! process shows (signals, exit codes, logs, a crash and a restart).

use std::process::Stdio;
use std::time::{Duration, Instant};

use falcon::sim::RunningSim;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

use super::TEST_TOKEN;

pub const BIN: &str = env!("CARGO_BIN_EXE_falcon-scim-bridge");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `falcon-scim-bridge ARGS` with the environment `serve` needs against `sim`, plus `extra`.
pub fn bridge_command(sim: &RunningSim, args: &[&str], extra: &[(&str, String)]) -> Command {
    let client = sim.sim.default_client();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("FALCON_BASE_URL", &sim.base_url)
        .env("FALCON_CLIENT_ID", &client.client_id)
        .env("FALCON_CLIENT_SECRET", &client.client_secret)
        .env("SCIM_BEARER_TOKENS", TEST_TOKEN)
        .env("BRIDGE_DATABASE_URL", "sqlite::memory:")
        .env("BRIDGE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in extra {
        cmd.env(key, value);
    }
    cmd
}

/// `serve` on `port` against `sim`.
pub fn serve(sim: &RunningSim, port: u16, extra: &[(&str, String)]) -> Child {
    let mut extra = extra.to_vec();
    extra.push(("BRIDGE_LISTEN", format!("127.0.0.1:{port}")));
    bridge_command(sim, &["serve"], &extra)
        .spawn()
        .expect("the binary starts")
}

pub async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = format!("http://127.0.0.1:{port}/healthz");
    while Instant::now() < deadline {
        if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the bridge did not become healthy on port {port}");
}

pub fn signal(child: &Child, sig: &str) {
    let pid = child.id().expect("the child runs").to_string();
    let status = std::process::Command::new("kill")
        .args([sig, &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the child; its exit status and everything it printed.
pub async fn output_of(child: Child) -> (std::process::ExitStatus, String) {
    let (status, out, err) = outputs_of(child).await;
    (status, out + &err)
}

/// Waits for the child; its exit status, stdout and stderr.
pub async fn outputs_of(mut child: Child) -> (std::process::ExitStatus, String, String) {
    let mut out = String::new();
    let mut err = String::new();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (_, _, status) = tokio::join!(
        stdout.read_to_string(&mut out),
        stderr.read_to_string(&mut err),
        child.wait()
    );
    (status.unwrap(), out, err)
}

/// Starts reading the child's output at once: a chatty child (debug logging) would otherwise
/// block on a full pipe. Finish with [`finish`].
pub fn drain(child: &mut Child) -> tokio::task::JoinHandle<String> {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    tokio::spawn(async move {
        let mut out = String::new();
        let mut err = String::new();
        let _ = tokio::join!(
            stdout.read_to_string(&mut out),
            stderr.read_to_string(&mut err)
        );
        out + &err
    })
}

pub async fn finish(
    mut child: Child,
    output: tokio::task::JoinHandle<String>,
) -> (std::process::ExitStatus, String) {
    let status = child.wait().await.unwrap();
    (status, output.await.unwrap())
}
