//! `falcon-scim-bridge sim --target incydr` (and `--target lumapps`, `--target
//! allthenticate`): a simulator alone, as a newcomer or a
//! separate bridge process uses it. It prints the settings that point a client at it, and the
//! credentials it prints do get a token.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_falcon-scim-bridge");

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `sim` with `args` and reads its printed `NAME=value` lines until the secret (a client
/// secret, or Allthenticate's API key).
fn start(args: &[&str]) -> (Running, Vec<(String, String)>) {
    let mut child = Command::new(BIN)
        .arg("sim")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut settings = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("stdout is text");
        if let Some((name, value)) = line.split_once('=') {
            settings.push((name.to_owned(), value.to_owned()));
            if name.ends_with("_CLIENT_SECRET") || name.ends_with("_API_KEY") {
                break;
            }
        }
    }
    (running, settings)
}

fn value<'a>(settings: &'a [(String, String)], name: &str) -> &'a str {
    settings
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{name} printed: {settings:?}"))
}

#[tokio::test]
async fn the_incydr_simulator_prints_working_settings_and_holds_its_seeded_users() {
    let (_sim, settings) = start(&["--target", "incydr", "--users", "3"]);
    let base = value(&settings, "INCYDR_BASE_URL");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{base}/v1/oauth"))
        .basic_auth(
            value(&settings, "INCYDR_CLIENT_ID"),
            Some(value(&settings, "INCYDR_CLIENT_SECRET")),
        )
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the printed credentials get a token")
        .json()
        .await
        .unwrap();
    let page: serde_json::Value = http
        .get(format!("{base}/v1/users"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalCount"], 3, "{page}");
}

#[tokio::test]
async fn the_lumapps_simulator_prints_working_settings_and_holds_its_seeded_users() {
    let (_sim, settings) = start(&["--target", "lumapps", "--users", "3"]);
    let base = value(&settings, "LUMAPPS_BASE_URL");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let org = value(&settings, "LUMAPPS_ORGANIZATION_ID");
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{base}/v2/organizations/{org}/application-token"))
        .basic_auth(
            value(&settings, "LUMAPPS_CLIENT_ID"),
            Some(value(&settings, "LUMAPPS_CLIENT_SECRET")),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("user_email", value(&settings, "LUMAPPS_ADMIN_EMAIL")),
        ])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the printed credentials get a token")
        .json()
        .await
        .unwrap();
    let page: serde_json::Value = http
        .get(format!(
            "{base}/_ah/api/lumsites/v1/user/list?maxResults=100"
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The administrator the token impersonates, and the three seeded users.
    assert_eq!(page["items"].as_array().map(Vec::len), Some(4), "{page}");
}

#[tokio::test]
async fn the_allthenticate_simulator_prints_working_settings_and_holds_the_demo_and_its_users() {
    let (_sim, settings) = start(&["--target", "allthenticate", "--users", "3"]);
    let base = value(&settings, "ALLTHENTICATE_BASE_URL");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(
        value(&settings, "ALLTHENTICATE_API_KEY_HEADER"),
        "Authorization"
    );
    let users: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/multipleusers"))
        .bearer_auth(value(&settings, "ALLTHENTICATE_API_KEY"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the printed key is accepted")
        .json()
        .await
        .unwrap();
    // The demo organisation's five members and the three seeded users.
    assert_eq!(users.as_array().map(Vec::len), Some(8), "{users}");
}

#[tokio::test]
async fn the_falcon_simulator_stays_the_default() {
    let (_sim, settings) = start(&[]);
    assert!(value(&settings, "FALCON_BASE_URL").starts_with("http://127.0.0.1:"));
    assert!(!value(&settings, "FALCON_CLIENT_ID").is_empty());
}
