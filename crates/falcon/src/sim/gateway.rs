//! The API gateway in front of every simulated route: what Falcon does before a request
//! reaches the user-management service.
//!
//! In order: count the call; for the token endpoint charge the per-IP token bucket; for
//! `/user-management` add the configured latency, authenticate the bearer token (charging the
//! per-IP unauthenticated bucket on failure), charge the sliding window of the API client's home
//! CID (not of a `member_cid` child the token acts in), apply any armed fault, and check the
//! scope. Finally render the handler's [`Reply`] with trace id and
//! rate-limit headers. Unknown and deprecated routes answer 404 after being counted, so a test
//! can prove the client never calls them.

use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use crate::model::{headers, routes};

use super::Simulator;
use super::faults::Fault;
use super::rate_limit::{Admission, Bucket, epoch_seconds};
use super::reply::{CSAM, GATEWAY, Reply, take_pending};
use sim_support::Peer;
use sim_support::locks::{lock, read};

/// userActionV1 (password / MFA reset); the bridge does not use it, the simulator serves it
/// (the routes the bridge's client calls are in `crate::model::routes`).
pub(crate) const USER_ACTIONS: &str = "/user-management/entities/user-actions/v1";
/// entitiesRolesV1, the GET twin of entitiesRolesGETV2.
pub(crate) const ENTITIES_ROLES_V1: &str = "/user-management/entities/roles/v1";

/// Which scope an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// Every `/user-management` operation the simulator serves.
const OPERATIONS: &[(Method, &str, Access)] = &[
    (Method::GET, routes::QUERY_USERS, Access::Read),
    (Method::POST, routes::RETRIEVE_USERS, Access::Read),
    (Method::POST, routes::USERS, Access::Write),
    (Method::PATCH, routes::USERS, Access::Write),
    (Method::DELETE, routes::USERS, Access::Write),
    (Method::POST, routes::USER_ROLE_ACTIONS, Access::Write),
    (Method::POST, USER_ACTIONS, Access::Write),
    (Method::GET, routes::QUERY_ROLES, Access::Read),
    (Method::GET, ENTITIES_ROLES_V1, Access::Read),
    (Method::POST, routes::RETRIEVE_ROLES, Access::Read),
    (Method::GET, routes::COMBINED_USER_ROLES, Access::Read),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Token,
    Api(Access),
    Unknown,
}

impl Route {
    fn classify(method: &Method, path: &str) -> Self {
        if *method == Method::POST && (path == routes::TOKEN || path == routes::REVOKE) {
            return Self::Token;
        }
        OPERATIONS
            .iter()
            .find(|(m, p, _)| m == method && *p == path)
            .map_or(Self::Unknown, |&(_, _, access)| Self::Api(access))
    }
}

/// Per-request facts the rendering needs.
struct Call {
    trace_id: String,
    started: Instant,
    method: String,
    path: String,
    peer: Option<Peer>,
}

pub(crate) async fn gateway(
    State(sim): State<Simulator>,
    mut request: Request,
    next: Next,
) -> Response {
    let call = Call {
        trace_id: Uuid::new_v4().to_string(),
        started: Instant::now(),
        method: request.method().as_str().to_owned(),
        path: request.uri().path().to_owned(),
        peer: request
            .extensions()
            .get::<ConnectInfo<Peer>>()
            .map(|ConnectInfo(p)| p.clone()),
    };
    if call.path.starts_with("/_sim/") {
        // Controls are disabled (when enabled their routes are matched before this layer).
        return StatusCode::NOT_FOUND.into_response();
    }
    let route = Route::classify(request.method(), &call.path);
    sim.inner.calls.record(
        &call.method,
        &call.path,
        call.path.starts_with("/user-management/"),
        route == Route::Api(Access::Write),
    );
    let reply = match route {
        Route::Unknown => Err(Reply::error(StatusCode::NOT_FOUND, "Not Found").powered_by(GATEWAY)),
        Route::Token => token_gate(&sim, &call).await,
        Route::Api(access) => api_gate(&sim, &call, access, &mut request).await,
    };
    match reply {
        Ok(Passed::Handle(limit, remaining)) => {
            let mut response = next.run(request).await;
            match take_pending(&mut response) {
                Some(reply) => finish(&sim, &call, rate_headers(reply, limit, remaining)),
                None => response,
            }
        }
        Ok(Passed::Dropped) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Err(reply) => finish(&sim, &call, reply),
    }
}

/// How a request left the gate when it was not refused.
enum Passed {
    /// Go on to the handler; the window had `limit` with `remaining` left.
    Handle(u32, u32),
    /// The connection was cut; whatever is returned is never written.
    Dropped,
}

fn finish(sim: &Simulator, call: &Call, reply: Reply) -> Response {
    reply.render(&call.trace_id, call.started, sim.inner.config.errors_style)
}

fn rate_headers(reply: Reply, limit: u32, remaining: u32) -> Reply {
    reply
        .with_header(headers::RATE_LIMIT, limit)
        .with_header(headers::RATE_REMAINING, remaining)
}

fn throttled(
    sim: &Simulator,
    limit: u32,
    retry_after_epoch: u64,
    powered_by: &'static str,
) -> Reply {
    sim.inner.calls.record_throttled();
    Reply::error(StatusCode::TOO_MANY_REQUESTS, "API rate limit exceeded.")
        .powered_by(powered_by)
        .with_header(headers::RATE_LIMIT, limit)
        .with_header(headers::RATE_REMAINING, 0)
        .with_header(headers::RATE_RETRY_AFTER, retry_after_epoch)
}

fn admit(sim: &Simulator, bucket: Bucket, powered_by: &'static str) -> Result<(u32, u32), Reply> {
    let now = Instant::now();
    match sim
        .inner
        .limiter
        .admit(bucket, sim.inner.config.rate_limit_per_minute, now)
    {
        Admission::Allowed { limit, remaining } => Ok((limit, remaining)),
        Admission::Throttled { limit, retry_at } => Err(throttled(
            sim,
            limit,
            epoch_seconds(retry_at, now),
            powered_by,
        )),
    }
}

async fn token_gate(sim: &Simulator, call: &Call) -> Result<Passed, Reply> {
    let ip = call.peer.as_ref().map(|p| p.addr.ip());
    let (limit, remaining) = admit(sim, Bucket::TokenEndpoint(ip), CSAM)?;
    apply_fault(sim, call, limit, CSAM).await?;
    Ok(if call.peer_dropped() {
        Passed::Dropped
    } else {
        Passed::Handle(limit, remaining)
    })
}

async fn api_gate(
    sim: &Simulator,
    call: &Call,
    access: Access,
    request: &mut Request,
) -> Result<Passed, Reply> {
    let latency = *lock(&sim.inner.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let now = Instant::now();
    let caller =
        bearer(request.headers()).and_then(|token| read(&sim.inner.auth).authenticate(token, now));
    let Some(caller) = caller else {
        let ip = call.peer.as_ref().map(|p| p.addr.ip());
        let (limit, remaining) = admit(sim, Bucket::Unauthenticated(ip), GATEWAY)?;
        return Err(rate_headers(
            Reply::error(
                StatusCode::UNAUTHORIZED,
                "access denied, invalid bearer token",
            )
            .powered_by(GATEWAY),
            limit,
            remaining,
        ));
    };
    // Charged to the minting client's own CID; the handlers still act in `caller.cid`.
    let (limit, remaining) = admit(sim, Bucket::Cid(caller.billed_cid.clone()), GATEWAY)?;
    sim.inner.calls.record_token(&caller.token);
    apply_fault(sim, call, limit, GATEWAY).await?;
    if call.peer_dropped() {
        return Ok(Passed::Dropped);
    }
    let allowed = match access {
        Access::Read => caller.scopes.read,
        Access::Write => caller.scopes.write,
    };
    if !allowed {
        return Err(rate_headers(
            Reply::error(StatusCode::FORBIDDEN, "access denied, authorization failed")
                .powered_by(GATEWAY),
            limit,
            remaining,
        ));
    }
    request.extensions_mut().insert(caller);
    Ok(Passed::Handle(limit, remaining))
}

impl Call {
    fn peer_dropped(&self) -> bool {
        self.peer.as_ref().is_some_and(|p| p.switch.is_tripped())
    }
}

/// Applies the next armed fault for this call, if any. `Err` is the reply that replaces the
/// normal handling; a `Drop` trips the connection's switch and lets the caller notice.
async fn apply_fault(
    sim: &Simulator,
    call: &Call,
    limit: u32,
    powered_by: &'static str,
) -> Result<(), Reply> {
    let Some(fault) = sim.inner.faults.take(&call.method, &call.path) else {
        return Ok(());
    };
    match fault {
        Fault::Delay(pause) => {
            tokio::time::sleep(pause).await;
            Ok(())
        }
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = status.canonical_reason().unwrap_or("injected fault");
            Err(Reply::error(status, message).powered_by(powered_by))
        }
        Fault::RateLimit { retry_after_secs } => {
            let now = Instant::now();
            let retry_at = now + std::time::Duration::from_secs(retry_after_secs);
            Err(throttled(
                sim,
                limit,
                epoch_seconds(retry_at, now),
                powered_by,
            ))
        }
        Fault::Drop => match &call.peer {
            Some(peer) => {
                peer.switch.trip();
                Ok(())
            }
            // Mounted without `Simulator::spawn` there is no connection to cut; a 503 is the
            // closest visible failure.
            None => Err(Reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "connection drop requested, but the simulator is not served by Simulator::spawn",
            )),
        },
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TokenResponse;
    use crate::sim::ids::{random_hex32, random_secret};
    use crate::sim::{ApiClientSpec, Scopes, SimConfig};
    use axum::http::HeaderValue;

    #[test]
    fn routes_are_classified_by_method_and_path() {
        assert_eq!(Route::classify(&Method::POST, routes::TOKEN), Route::Token);
        assert_eq!(Route::classify(&Method::GET, routes::TOKEN), Route::Unknown);
        assert_eq!(
            Route::classify(&Method::POST, routes::RETRIEVE_USERS),
            Route::Api(Access::Read)
        );
        assert_eq!(
            Route::classify(&Method::DELETE, routes::USERS),
            Route::Api(Access::Write)
        );
        assert_eq!(Route::classify(&Method::PUT, routes::USERS), Route::Unknown);
        assert_eq!(
            Route::classify(&Method::GET, "/users/entities/users/v1"),
            Route::Unknown
        );
        assert_eq!(
            Route::classify(&Method::GET, "/user-management/combined/user-roles/v1"),
            Route::Unknown
        );
    }

    #[test]
    fn bearer_tokens_are_parsed_strictly() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(AUTHORIZATION, HeaderValue::from_static(v));
            h
        };
        assert_eq!(bearer(&with("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&with("bearer abc")), Some("abc"));
        assert_eq!(bearer(&with("Basic abc")), None);
        assert_eq!(bearer(&with("Bearer ")), None);
        assert_eq!(bearer(&with("Bearerabc")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    /// A token for `client`, acting in `member_cid` when given.
    async fn mint(
        http: &reqwest::Client,
        base_url: &str,
        client: &ApiClientSpec,
        member_cid: Option<&str>,
    ) -> String {
        let mut form = vec![
            ("client_id", client.client_id.as_str()),
            ("client_secret", client.client_secret.as_str()),
        ];
        if let Some(member) = member_cid {
            form.push(("member_cid", member));
        }
        let reply = http
            .post(format!("{base_url}{}", routes::TOKEN))
            .form(&form)
            .send()
            .await
            .expect("token request");
        assert_eq!(reply.status(), StatusCode::CREATED);
        let token: TokenResponse = reply.json().await.expect("token body");
        token.access_token
    }

    /// queryUserV1 with `token`: the status, the rate-limit headers and the uuids listed.
    async fn query_users(
        http: &reqwest::Client,
        base_url: &str,
        token: &str,
    ) -> (StatusCode, Option<u32>, Option<u32>, Vec<String>) {
        let reply = http
            .get(format!("{base_url}{}", routes::QUERY_USERS))
            .bearer_auth(token)
            .send()
            .await
            .expect("query request");
        let number = |name: &str| {
            reply
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u32>().ok())
        };
        let (limit, remaining) = (number(headers::RATE_LIMIT), number(headers::RATE_REMAINING));
        let status = reply.status();
        let body: serde_json::Value = reply.json().await.expect("query body");
        let ids = body["resources"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        (status, limit, remaining, ids)
    }

    #[tokio::test]
    async fn a_parent_client_acting_in_children_is_charged_to_its_own_cid() {
        let sim = Simulator::new(SimConfig {
            rate_limit_per_minute: 5,
            ..SimConfig::default()
        });
        let parent = sim.default_client();
        let children = sim.child_cids();
        assert_eq!(children.len(), 2);
        let home_user = sim.seed_user("home@corp.example", "Home", "User");
        let other = ApiClientSpec {
            client_id: random_hex32(),
            client_secret: random_secret(),
            cid: random_hex32(),
            scopes: Scopes::READ_ONLY,
            region: "us-1".into(),
        };
        sim.add_client(other.clone());
        let running = sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let (http, url) = (reqwest::Client::new(), running.base_url.as_str());

        let at_home = mint(&http, url, &parent, None).await;
        let in_first = mint(&http, url, &parent, Some(&children[0])).await;
        let in_second = mint(&http, url, &parent, Some(&children[1])).await;
        let elsewhere = mint(&http, url, &other, None).await;

        // Five calls spread over the home CID and both children count down one window...
        let spread = [&at_home, &in_first, &in_second, &in_first, &in_second];
        for (left, token) in (0..5).rev().zip(spread) {
            let (status, limit, remaining, ids) = query_users(&http, url, token).await;
            assert_eq!(
                (status, limit, remaining),
                (StatusCode::OK, Some(5), Some(left))
            );
            // ...while each token still sees only the CID it acts in.
            let expected = if token == &at_home {
                vec![home_user.uuid.clone()]
            } else {
                Vec::new()
            };
            assert_eq!(ids, expected);
        }
        // ...so the sixth is refused whichever CID it acts in.
        for token in [&in_first, &in_second, &at_home] {
            let (status, limit, remaining, _) = query_users(&http, url, token).await;
            assert_eq!(
                (status, limit, remaining),
                (StatusCode::TOO_MANY_REQUESTS, Some(5), Some(0))
            );
        }
        assert_eq!(running.sim.throttled_count(), 3);

        // Another API client, homed in another CID, has a window of its own.
        let (status, limit, remaining, _) = query_users(&http, url, &elsewhere).await;
        assert_eq!(
            (status, limit, remaining),
            (StatusCode::OK, Some(5), Some(4))
        );
        running.shutdown().await;
    }
}
