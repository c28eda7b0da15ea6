//! The access token every API call carries: fetched from the token endpoint through the shared
//! cache, checked against the configured region, and refreshed once when Falcon answers 401
//! (a token can be revoked or expire earlier than its lifetime said).

use std::time::Duration;

use client_support::AccessToken;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::call::{Body, Call, Reply};
use super::reply::header;
use super::{FalconClient, LOG_TARGET};
use crate::error::FalconError;
use crate::model::{Envelope, TokenResponse, headers, routes};
use crate::telemetry as names;

impl FalconClient {
    pub(super) async fn token(&self) -> Result<AccessToken, FalconError> {
        self.inner.tokens.get(|| self.fetch_token()).await
    }

    async fn fetch_token(&self) -> Result<AccessToken, FalconError> {
        let cfg = &self.inner.cfg;
        let mut form = vec![
            ("client_id", cfg.client_id.clone()),
            (
                "client_secret",
                cfg.client_secret.expose_secret().to_owned(),
            ),
        ];
        if let Some(member) = &cfg.member_cid {
            form.push(("member_cid", member.clone()));
        }
        let mut call = Call::new("oauth2AccessToken", Method::POST, routes::TOKEN);
        call.body = Body::Form(form);
        let (reply, headers) = self.send::<TokenResponse>(&call, None).await?;
        if let (Some(expected), Some(actual)) =
            (cfg.expected_region, header(&headers, headers::REGION))
            && !actual.eq_ignore_ascii_case(expected.as_str())
        {
            return Err(FalconError::WrongRegion {
                configured: expected.to_string(),
                actual: actual.to_ascii_lowercase(),
            });
        }
        let token: TokenResponse = reply;
        metrics::counter!(names::FALCON_TOKEN_REFRESHES).increment(1);
        tracing::info!(
            target: LOG_TARGET,
            expires_in = token.expires_in,
            "obtained a Falcon access token"
        );
        Ok(AccessToken::new(
            SecretString::from(token.access_token),
            Duration::from_secs(token.expires_in),
            cfg.token_refresh_margin,
        ))
    }

    /// Sends an API call with a token. A 401 (the token expired or was revoked early) is
    /// answered by one refresh and one more attempt.
    pub(super) async fn execute<T: DeserializeOwned>(
        &self,
        call: Call,
    ) -> Result<Reply<T>, FalconError> {
        let token = self.token().await?;
        let reply = match self.send::<Envelope<T>>(&call, Some(&token)).await {
            Err(FalconError::Authentication(f)) if f.status == 401 => {
                tracing::info!(
                    target: LOG_TARGET,
                    operation = call.operation,
                    "Falcon refused the access token; refreshing once"
                );
                self.inner.tokens.invalidate(&token);
                let token = self.token().await?;
                self.send::<Envelope<T>>(&call, Some(&token)).await
            }
            other => other,
        };
        reply.map(|(reply, _)| reply)
    }
}
