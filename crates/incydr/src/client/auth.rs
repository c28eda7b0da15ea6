//! The bearer token every API call carries: fetched from `POST /v1/oauth` with HTTP Basic through
//! the shared cache, and refreshed once when Incydr answers 401 (a token can be revoked, or
//! expire earlier than its `expires_in` said). The SDK does neither; the reference asks for both.

use std::time::Duration;

use reqwest::Method;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use super::call::Call;
use super::reply::{Received, decode};
use super::send::Auth;
use super::{INCYDR_TOKEN_REFRESHES, IncydrClient, LOG_TARGET};
use crate::error::IncydrError;
use crate::model::{TOKEN_LIFETIME_SECS, TokenResponse, routes};
use client_support::AccessToken;

impl IncydrClient {
    pub(super) async fn token(&self) -> Result<AccessToken, IncydrError> {
        self.inner.tokens.get(|| self.fetch_token()).await
    }

    async fn fetch_token(&self) -> Result<AccessToken, IncydrError> {
        let call = Call::new("getToken", Method::POST, routes::TOKEN);
        let received = self.send(&call, Auth::Basic).await?;
        let token: TokenResponse = decode(&call, &received)?;
        // A reply without `expires_in` is read as 0; assume the documented 15 minutes then.
        let lifetime = match token.expires_in {
            0 => TOKEN_LIFETIME_SECS,
            secs => secs,
        };
        metrics::counter!(INCYDR_TOKEN_REFRESHES).increment(1);
        tracing::info!(
            target: LOG_TARGET,
            expires_in = lifetime,
            "obtained an Incydr access token"
        );
        Ok(AccessToken::new(
            SecretString::from(token.access_token),
            Duration::from_secs(lifetime),
            self.inner.cfg.token_refresh_margin,
        ))
    }

    /// Sends an API call with a token. A 401 is answered by one refresh and one more attempt;
    /// a second 401 stands as an authentication error.
    pub(super) async fn execute(&self, call: &Call) -> Result<Received, IncydrError> {
        let token = self.token().await?;
        match self.send(call, Auth::Bearer(&token)).await {
            Err(IncydrError::Authentication { status: 401, .. }) => {
                tracing::info!(
                    target: LOG_TARGET,
                    operation = call.operation,
                    "Incydr refused the access token; refreshing once"
                );
                self.inner.tokens.invalidate(&token);
                let token = self.token().await?;
                self.send(call, Auth::Bearer(&token)).await
            }
            other => other,
        }
    }

    /// [`Self::execute`], then the body decoded as `T`.
    pub(super) async fn execute_json<T: DeserializeOwned>(
        &self,
        call: Call,
    ) -> Result<T, IncydrError> {
        let received = self.execute(&call).await?;
        decode(&call, &received)
    }

    /// [`Self::execute`] for calls answered by an empty 2xx (200 or 204); any body is ignored.
    pub(super) async fn execute_empty(&self, call: Call) -> Result<(), IncydrError> {
        self.execute(&call).await.map(|_| ())
    }
}
