//! The bearer token every API call carries: fetched from the v2 application-token endpoint with
//! HTTP Basic and a form body naming the impersonated admin, through the shared cache; refreshed
//! once when LumApps answers 401 (the SDK's behaviour: a token can be revoked, or expire earlier
//! than its `expires_in` said).

use std::time::Duration;

use reqwest::Method;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use super::call::Call;
use super::reply::{Received, decode, header_call_id};
use super::send::Auth;
use super::{LOG_TARGET, LUMAPPS_TOKEN_REFRESHES, LumAppsClient};
use crate::error::LumAppsError;
use crate::model::{TOKEN_LIFETIME_SECS, TokenResponse, routes};
use client_support::AccessToken;

impl LumAppsClient {
    pub(super) async fn token(&self) -> Result<AccessToken, LumAppsError> {
        self.inner.tokens.get(|| self.fetch_token()).await
    }

    async fn fetch_token(&self) -> Result<AccessToken, LumAppsError> {
        let cfg = &self.inner.cfg;
        let form = serde_urlencoded::to_string([
            ("grant_type", "client_credentials"),
            ("user_email", cfg.admin_email.as_str()),
        ])
        .unwrap_or_default();
        let call = Call::new(
            "application-token",
            Method::POST,
            routes::application_token(&cfg.organization_id),
        )
        .about(format!("organization {}", cfg.organization_id))
        .form(form);
        let received = self.send(&call, Auth::Basic).await?;
        let token: TokenResponse = decode(&call, &received)?;
        if token.access_token.is_empty() {
            return Err(LumAppsError::Decode {
                operation: call.operation,
                detail: "the answer holds no access_token".into(),
                call_id: header_call_id(&received),
            });
        }
        // A reply without `expires_in` is read as 0; assume about an hour then.
        let lifetime = match token.expires_in {
            0 => TOKEN_LIFETIME_SECS,
            secs => secs,
        };
        metrics::counter!(LUMAPPS_TOKEN_REFRESHES).increment(1);
        tracing::info!(
            target: LOG_TARGET,
            expires_in = lifetime,
            admin = %cfg.admin_email,
            "obtained a LumApps application token"
        );
        Ok(AccessToken::new(
            SecretString::from(token.access_token),
            Duration::from_secs(lifetime),
            cfg.token_refresh_margin,
        ))
    }

    /// Sends an API call with a token. A 401 is answered by one refresh and one more attempt;
    /// a second 401 stands as [`LumAppsError::Unauthorized`].
    pub(super) async fn execute(&self, call: &Call) -> Result<Received, LumAppsError> {
        let token = self.token().await?;
        match self.send(call, Auth::Bearer(&token)).await {
            Err(LumAppsError::Unauthorized { status: 401, .. }) => {
                tracing::info!(
                    target: LOG_TARGET,
                    operation = call.operation,
                    "LumApps refused the application token; refreshing once"
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
    ) -> Result<T, LumAppsError> {
        let received = self.execute(&call).await?;
        decode(&call, &received)
    }

    /// [`Self::execute`] for calls whose answer carries nothing the caller needs (`{}`).
    pub(super) async fn execute_empty(&self, call: Call) -> Result<(), LumAppsError> {
        self.execute(&call).await.map(|_| ())
    }
}
