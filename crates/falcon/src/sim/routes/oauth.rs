//! `/oauth2/token` and `/oauth2/revoke`.
//!
//! Credentials come from the form (`client_id`, `client_secret`) or, as Go's x/oauth2 tries
//! first, from HTTP Basic; `grant_type` is accepted and ignored. Errors carry the `csam`
//! envelope the real token service sends.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::model::{TokenResponse, headers};

use crate::sim::Simulator;
use crate::sim::auth::TokenError;
use crate::sim::ids::is_hex32;
use crate::sim::reply::{CSAM, Outcome, Reply};
use sim_support::locks::{read, write};

type Form = Vec<(String, String)>;

fn form(body: &[u8]) -> Result<Form, Reply> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| Reply::bad_request(format!("malformed form body: {e}")).powered_by(CSAM))
}

fn field<'f>(form: &'f Form, name: &str) -> Option<&'f str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `Authorization: Basic base64(id:secret)`, if present and well-formed.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Form credentials win; Basic fills in when the form has none.
fn credentials(form: &Form, headers: &HeaderMap) -> (String, String) {
    match (field(form, "client_id"), field(form, "client_secret")) {
        (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
        (id, _) => basic_credentials(headers)
            .unwrap_or_else(|| (id.unwrap_or_default().to_owned(), String::new())),
    }
}

pub(super) async fn token(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Outcome {
    let form = form(&body)?;
    let (client_id, secret) = credentials(&form, &headers);
    let member_cid = field(&form, "member_cid").filter(|c| !c.is_empty());
    let client = read(&sim.inner.auth).verify(&client_id, &secret)?.clone();
    let cid = match member_cid {
        None => client.cid.clone(),
        Some(member)
            if is_hex32(member) && read(&sim.inner.directory).is_within(member, &client.cid) =>
        {
            member.to_owned()
        }
        Some(member) => return Err(TokenError::MemberCid(member.to_owned()).into()),
    };
    let lifetime = sim.inner.config.token_lifetime;
    let access_token = write(&sim.inner.auth).issue(&client, &cid, lifetime, Instant::now());
    let body = TokenResponse {
        access_token,
        token_type: "bearer".to_owned(),
        expires_in: lifetime.as_secs(),
    };
    Ok(Reply::raw(StatusCode::CREATED, &body)
        .powered_by(CSAM)
        .with_header(headers::REGION, client.region))
}

pub(super) async fn revoke(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Outcome {
    let form = form(&body)?;
    let (client_id, secret) = credentials(&form, &headers);
    let client_id = read(&sim.inner.auth)
        .verify(&client_id, &secret)?
        .client_id
        .clone();
    let token = field(&form, "token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Reply::bad_request("token is required").powered_by(CSAM))?;
    write(&sim.inner.auth).revoke(token, &client_id);
    Ok(Reply::meta_only().powered_by(CSAM))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_credentials_are_decoded_and_form_wins() {
        let mut headers = HeaderMap::new();
        let encoded = format!("Basic {}", STANDARD.encode("id1:se:cret"));
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&encoded).unwrap_or(HeaderValue::from_static("")),
        );
        assert_eq!(
            basic_credentials(&headers),
            Some(("id1".into(), "se:cret".into()))
        );
        let form_creds: Form = vec![
            ("client_id".into(), "id2".into()),
            ("client_secret".into(), "s2".into()),
        ];
        assert_eq!(
            credentials(&form_creds, &headers),
            ("id2".into(), "s2".into())
        );
        assert_eq!(
            credentials(&Vec::new(), &headers),
            ("id1".into(), "se:cret".into())
        );
        assert_eq!(
            credentials(&Vec::new(), &HeaderMap::new()),
            (String::new(), String::new())
        );
    }
}
