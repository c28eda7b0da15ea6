//! `demo` as a newcomer meets it: the groups of its mapping exist from the start, the three
//! curl lines of its banner work as printed (the third adds a member to a group and Falcon
//! grants the group's roles), a listener on every interface is shown at 127.0.0.1, and a port
//! already in use stops it with one line that names the cause once. `demo --target incydr`'s
//! four curl lines work as printed too: list, adopt, group push, a user arriving in Incydr; and
//! `demo --target lumapps`'s four: list, create a user, create a group (a feed), add a member
//! in one `feed/subscribers/save`; and `demo --target allthenticate`'s five: list, adopt a
//! member, invite a new hire, a group push that is one `/modifyrank`, an invitation accepted.

mod common;

use std::net::SocketAddr;

use common::process::{BIN, bridge_command, outputs_of};
use common::spawn_sim;
use falcon::sim::SimConfig;
use falcon_scim_bridge::demo::Demo;
use serde_json::Value;
use tokio::process::Command;

const TOKEN: &str = "demo-test-token-0123456789abcdefghijklmnopqrstuvwxyz";

/// Starts the demo on `listen`: its banner, and the demo.
async fn start(listen: &str) -> (String, Demo) {
    let demo = Demo::start(listen.parse().unwrap(), Some(TOKEN.to_owned()))
        .await
        .expect("the demo starts");
    (demo.banner(), demo)
}

/// Serves the demo until the returned sender is dropped.
fn serve<S>(demo: Demo<S>) -> (tokio::sync::oneshot::Sender<()>, S) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(demo.app.run_until_stopped(async {
        let _ = rx.await;
    }));
    (tx, demo.sim)
}

/// The banner's curl commands, each joined back onto one line.
fn curl_lines(banner: &str) -> Vec<String> {
    let mut commands: Vec<String> = Vec::new();
    let mut continued = false;
    for line in banner.lines() {
        let line = line.trim();
        if continued {
            let last = commands.last_mut().unwrap();
            last.push(' ');
            last.push_str(line.trim_end_matches('\\').trim());
        } else if line.starts_with("curl ") {
            commands.push(line.trim_end_matches('\\').trim().to_owned());
        } else {
            continue;
        }
        continued = line.ends_with('\\');
    }
    commands
}

/// The single-quoted arguments of a curl line: headers, body (after -d) and URL, in order.
fn quoted(command: &str) -> Vec<&str> {
    command.split('\'').skip(1).step_by(2).collect()
}

/// Sends what a curl line of the banner sends.
async fn run_curl(http: &reqwest::Client, command: &str) -> (u16, Value) {
    let method = if command.contains("-X PATCH") {
        reqwest::Method::PATCH
    } else if command.contains("-X POST") {
        reqwest::Method::POST
    } else {
        reqwest::Method::GET
    };
    let args = quoted(command);
    let url = *args.last().unwrap();
    let mut req = http.request(method, url);
    for arg in &args[..args.len() - 1] {
        if let Some((name, value)) = arg.split_once(": ") {
            req = req.header(name, value);
        } else {
            req = req.body(arg.to_string());
        }
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_groups_exist_and_every_curl_line_of_the_banner_works() {
    let (banner, demo) = start("127.0.0.1:0").await;
    let base = demo.base_url();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(
        banner.contains(&format!("SCIM base URL : {base}\n")),
        "{banner}"
    );
    let (bob, bob_id) = demo.example_member.clone();
    assert_eq!(bob, "bob.analyst@example.com");
    let (_stop, sim) = serve(demo);
    let http = reqwest::Client::new();

    // GET /Groups is not empty: the mapping's groups were created at start.
    let groups: Value = http
        .get(format!("{base}/Groups"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = groups["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["Falcon Administrators", "Falcon Analysts"],
        "{groups}"
    );

    let curls = curl_lines(&banner);
    assert_eq!(curls.len(), 3, "{banner}");
    // 1: the Falcon users the bridge sees.
    let (status, users) = run_curl(&http, &curls[0]).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["totalResults"], 3, "{users}");
    // 2: a new user.
    let (status, user) = run_curl(&http, &curls[1]).await;
    assert_eq!(status, 201, "{user}");
    assert!(sim.sim.user_by_uid("new.user@example.com").is_some());
    // 3: Bob into "Falcon Analysts", and Falcon grants him the group's roles.
    assert!(curls[2].contains("-X PATCH"), "{}", curls[2]);
    let (status, group) = run_curl(&http, &curls[2]).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["displayName"], "Falcon Analysts", "{group}");
    assert_eq!(group["members"][0]["value"], bob_id.as_str(), "{group}");
    let uuid = sim.sim.user_by_uid(&bob).unwrap().uuid;
    let mut grants = sim.sim.grants_of(&uuid);
    grants.sort();
    assert_eq!(grants, ["event_viewer", "falcon_analyst"]);
}

#[tokio::test]
async fn on_every_interface_the_banner_shows_loopback() {
    let (banner, demo) = start("0.0.0.0:0").await;
    let port = demo.app.local_addr().port();
    let base = format!("http://127.0.0.1:{port}/scim/v2");
    assert_eq!(demo.base_url(), base);
    assert!(!banner.contains("http://0.0.0.0"), "{banner}");
    assert!(
        banner.contains(&format!("Listening on  : 0.0.0.0:{port} (every interface)")),
        "{banner}"
    );
    let curls = curl_lines(&banner);
    assert_eq!(curls.len(), 3, "{banner}");
    for curl in &curls {
        assert!(quoted(curl).last().unwrap().starts_with(&base), "{curl}");
    }
    let (_stop, _sim) = serve(demo);
    let (status, users) = run_curl(&reqwest::Client::new(), &curls[0]).await;
    assert_eq!(status, 200, "{users}");
}

#[tokio::test]
async fn every_curl_line_of_the_incydr_demo_works() {
    let demo = Demo::start_incydr("127.0.0.1:0".parse().unwrap(), Some(TOKEN.to_owned()))
        .await
        .expect("the demo starts");
    let banner = demo.banner();
    let base = demo.base_url();
    assert!(
        banner.contains("runs against an embedded Incydr simulator")
            && banner.contains(&format!("SCIM base URL : {base}\n")),
        "{banner}"
    );
    let (bob, bob_id) = demo.example_member.clone();
    let bridge = demo.app.bridge();
    let (_stop, sim) = serve(demo);
    let http = reqwest::Client::new();

    let groups: Value = http
        .get(format!("{base}/Groups"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = groups["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["Incydr Administrators", "Insider Risk Analysts"],
        "{groups}"
    );

    let curls = curl_lines(&banner);
    assert_eq!(curls.len(), 4, "{banner}");
    // 1: the Incydr users the bridge sees.
    let (status, users) = run_curl(&http, &curls[0]).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["totalResults"], 3, "{users}");
    // 2: an existing Incydr user adopted, nothing created.
    let (status, user) = run_curl(&http, &curls[1]).await;
    assert_eq!(status, 201, "{user}");
    let carol = sim
        .sim
        .user_by_username("carol.responder@example.com")
        .unwrap();
    assert_eq!(user["id"], carol.user_id.as_str(), "{user}");
    assert_eq!(sim.sim.users().len(), 3);
    // 3: Bob into "Insider Risk Analysts": one PUT with the group's roles.
    assert!(curls[2].contains("-X PATCH"), "{}", curls[2]);
    let (status, group) = run_curl(&http, &curls[2]).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["displayName"], "Insider Risk Analysts", "{group}");
    assert_eq!(group["members"][0]["value"], bob_id.as_str(), "{group}");
    let bob = sim.sim.user_by_username(&bob).unwrap();
    assert_eq!(
        sim.sim.roles_of(&bob.user_id).unwrap(),
        ["alerts-read", "insider-risk-analyst"]
    );
    assert_eq!(sim.sim.call_count("PUT", incydr::sim::USER_ROLES), 1);
    // 4: a user arrives in Incydr, and the bridge lists it after a directory refresh.
    let (status, added) = run_curl(&http, &curls[3]).await;
    assert_eq!(status, 201, "{added}");
    assert!(
        sim.sim
            .user_by_username("dave.hunter@example.com")
            .is_some()
    );
    bridge.refresh_directory().await.unwrap();
    let (status, users) = run_curl(&http, &curls[0]).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["totalResults"], 4, "{users}");
}

#[tokio::test]
async fn every_curl_line_of_the_lumapps_demo_works() {
    use lumapps::sim::{FEED_SAVE, FEED_SUBSCRIBERS_SAVE, USER_SAVE};
    let demo = Demo::start_lumapps("127.0.0.1:0".parse().unwrap(), Some(TOKEN.to_owned()))
        .await
        .expect("the demo starts");
    let banner = demo.banner();
    let base = demo.base_url();
    assert!(
        banner.contains("runs against an embedded LumApps simulator")
            && banner.contains(&format!("SCIM base URL : {base}\n")),
        "{banner}"
    );
    let (bob, bob_id) = demo.example_member.clone();
    assert_eq!(bob, "bob.analyst@example.com");
    let (_stop, sim) = serve(demo);
    let http = reqwest::Client::new();
    // The group of the start adopted the seeded feed: no feed was created.
    assert_eq!(sim.sim.feeds().len(), 1);
    assert_eq!(sim.sim.call_count("POST", FEED_SAVE), 0);

    let curls = curl_lines(&banner);
    assert_eq!(curls.len(), 4, "{banner}");
    // 1: the LumApps users the bridge sees: the administrator and the three seeded people.
    let (status, users) = run_curl(&http, &curls[0]).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["totalResults"], 4, "{users}");
    // 2: a new user, created in LumApps as an external user.
    let (status, user) = run_curl(&http, &curls[1]).await;
    assert_eq!(status, 201, "{user}");
    let created = sim.sim.user_by_email("new.user@example.com").unwrap();
    assert_eq!(created["accountType"], "external");
    assert_eq!(sim.sim.call_count("POST", USER_SAVE), 1);
    // 3: a new group: its feed is created.
    let (status, group) = run_curl(&http, &curls[2]).await;
    assert_eq!(status, 201, "{group}");
    assert_eq!(group["displayName"], "Security Team", "{group}");
    assert!(sim.sim.feeds().iter().any(|f| f["name"] == "Security Team"));
    // 4: Bob into "All Staff": one feed/subscribers/save.
    assert!(curls[3].contains("-X PATCH"), "{}", curls[3]);
    let (status, group) = run_curl(&http, &curls[3]).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["displayName"], "All Staff", "{group}");
    let members: Vec<&str> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert!(members.contains(&bob_id.as_str()), "{group}");
    assert_eq!(sim.sim.call_count("POST", FEED_SUBSCRIBERS_SAVE), 1);
    let feed = sim
        .sim
        .feeds()
        .into_iter()
        .find(|f| f["name"] == "All Staff")
        .unwrap();
    let bob_uid = sim.sim.user_by_email(&bob).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let in_feed = sim.sim.feed_members(feed["uid"].as_str().unwrap()).unwrap();
    assert!(in_feed.contains(&bob_uid), "{in_feed:?}");
}

#[tokio::test]
async fn every_curl_line_of_the_allthenticate_demo_works() {
    let demo = Demo::start_allthenticate("127.0.0.1:0".parse().unwrap(), Some(TOKEN.to_owned()))
        .await
        .expect("the demo starts");
    let banner = demo.banner();
    let base = demo.base_url();
    assert!(
        banner.contains("runs against an embedded Allthenticate simulator")
            && banner.contains(&format!("SCIM base URL : {base}\n")),
        "{banner}"
    );
    let (bob, bob_id) = demo.example_member.clone();
    assert_eq!(bob, "bob.analyst@example.com");
    let (_stop, sim) = serve(demo);
    let http = reqwest::Client::new();

    let curls = curl_lines(&banner);
    assert_eq!(curls.len(), 5, "{banner}");
    // 1: the members the bridge sees: the demo organisation's five and two of the demo's people.
    let (status, users) = run_curl(&http, &curls[0]).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["totalResults"], 7, "{users}");
    // 2: a member the IdP pushes is linked, and nobody is invited.
    let (status, user) = run_curl(&http, &curls[1]).await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["userName"], "carol.responder@example.com", "{user}");
    assert_eq!(sim.sim.call_count("PUT", "/invites"), 0);
    // 3: a new hire is invited, and pending: 201, listed, not a member yet.
    let (status, nina) = run_curl(&http, &curls[2]).await;
    assert_eq!(status, 201, "{nina}");
    assert_eq!(nina["userName"], "nina.newhire@example.com", "{nina}");
    assert_eq!(sim.sim.call_count("PUT", "/invites"), 1);
    assert!(sim.sim.user("nina.newhire@example.com").is_none());
    let (status, users) = run_curl(&http, &curls[0]).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["totalResults"], 8, "{users}");
    // 4: Bob into "Allthenticate Admins": one /modifyrank, and he is ADMIN.
    let (status, group) = run_curl(&http, &curls[3]).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["displayName"], "Allthenticate Admins", "{group}");
    assert!(
        group["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["value"] == bob_id.as_str()),
        "{group}"
    );
    assert_eq!(sim.sim.call_count("POST", "/modifyrank"), 1);
    assert_eq!(sim.sim.user(&bob).unwrap().rank, allthenticate::Rank::Admin);
    // 5: the pending invitation accepted: Erin is a member now.
    assert!(curls[4].contains("/_sim/invites/accept"), "{}", curls[4]);
    let (status, erin) = run_curl(&http, &curls[4]).await;
    assert_eq!(status, 200, "{erin}");
    let erin = sim
        .sim
        .user(allthenticate::sim::DEMO_PENDING_INVITE)
        .unwrap();
    assert_eq!(erin.first_name, "Erin");
    let waiting: Vec<String> = sim.sim.invites().into_iter().map(|i| i.email).collect();
    assert_eq!(waiting, ["nina.newhire@example.com"]);
}

/// How often `needle` occurs in `text`.
fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

#[tokio::test]
async fn a_port_in_use_stops_the_demo_with_its_cause_said_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = taken.local_addr().unwrap();
    let out = Command::new(BIN)
        .args(["demo", "--listen", &addr.to_string()])
        .env_clear()
        .env("RUST_LOG", "warn")
        .env("BRIDGE_LOG_FORMAT", "text")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("falcon-scim-bridge: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert_eq!(
        line,
        format!(
            "falcon-scim-bridge: cannot listen on {addr}: Address already in use (os error 98)"
        ),
        "{stderr}"
    );
    assert_eq!(count(&stderr, "Address already in use"), 1, "{stderr}");
    drop(taken);
}

#[tokio::test]
async fn a_store_that_cannot_open_stops_serve_with_its_cause_said_once() {
    let sim = spawn_sim(SimConfig::default()).await;
    let missing = std::env::temp_dir()
        .join(format!("fsb-missing-{}", uuid::Uuid::new_v4()))
        .join("bridge.db");
    let url = format!("sqlite://{}", missing.display());
    let child = bridge_command(&sim, &["serve"], &[("BRIDGE_DATABASE_URL", url.clone())])
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let (status, _, stderr) = outputs_of(child).await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("falcon-scim-bridge: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert!(
        line.starts_with(&format!(
            "falcon-scim-bridge: cannot open the store at {url}: "
        )),
        "{line}"
    );
    assert_eq!(count(line, "unable to open database file"), 1, "{line}");
}
