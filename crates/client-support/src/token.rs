//! The bearer-token cache a client keeps for a token endpoint (OAuth-style: a token with a
//! lifetime, fetched with the client's credentials).
//!
//! The cache hands out the current token until it is within the refresh margin of its expiry;
//! then exactly one caller fetches a new one while the others wait for that fetch and take its
//! result, so a burst of calls at expiry is one token request. How a token is fetched is the
//! client's: the `fetch` argument of [`TokenCache::get`]. The token itself sits behind a plain
//! lock, apart from the refresh, so that readiness can ask how old it is without waiting for a
//! refresh in flight. A client that sees its token refused (a 401) drops it with
//! [`TokenCache::invalidate`] and asks again, once.

use std::future::Future;
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use secrecy::{ExposeSecret, SecretString};

/// A bearer token and the moment the client stops using it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token itself; `Debug` does not show it.
    pub value: SecretString,
    /// When the client stops using it and fetches a new one.
    pub refresh_at: Instant,
    pub obtained_at: SystemTime,
}

impl AccessToken {
    /// Schedules the refresh `margin` before expiry, but never later than 80 % into the
    /// lifetime: a short-lived token (a test's, or a tenant's odd setting) would otherwise be
    /// refreshed on every call, or never before it expired.
    pub fn new(value: SecretString, expires_in: Duration, margin: Duration) -> Self {
        Self {
            value,
            refresh_at: Instant::now() + refresh_after(expires_in, margin),
            obtained_at: SystemTime::now(),
        }
    }

    fn is_fresh(&self) -> bool {
        Instant::now() < self.refresh_at
    }
}

/// How long after it was issued a token with this lifetime is refreshed.
pub fn refresh_after(expires_in: Duration, margin: Duration) -> Duration {
    expires_in.saturating_sub(margin.min(expires_in / 5))
}

/// The token in use and the single-flight refresh; one per client (and so per credentials).
#[derive(Debug, Default)]
pub struct TokenCache {
    current: RwLock<Option<AccessToken>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl TokenCache {
    /// The current token, or a new one from `fetch` when there is none or it is due.
    pub async fn get<F, Fut, E>(&self, fetch: F) -> Result<AccessToken, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, E>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _only_one = self.refreshing.lock().await;
        // Whoever held the lock before us may have fetched one already.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let token = fetch().await?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }

    /// Drops `stale` (the target answered 401 to it) unless another caller replaced it already.
    pub fn invalidate(&self, stale: &AccessToken) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == stale.value.expose_secret())
        {
            *current = None;
        }
    }

    /// When the token in use was obtained, if there is one the client still uses.
    pub fn obtained_at(&self) -> Option<SystemTime> {
        self.fresh().map(|t| t.obtained_at)
    }

    fn fresh(&self) -> Option<AccessToken> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current.as_ref().filter(|t| t.is_fresh()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn token(name: &str) -> AccessToken {
        AccessToken::new(
            SecretString::from(name),
            Duration::from_secs(900),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn a_token_is_refreshed_a_margin_before_expiry_capped_at_a_fifth() {
        let margin = Duration::from_secs(60);
        assert_eq!(
            refresh_after(Duration::from_secs(900), margin),
            Duration::from_secs(840)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(10), margin),
            Duration::from_secs(8)
        );
        assert_eq!(refresh_after(Duration::ZERO, margin), Duration::ZERO);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, ()>(token("t1"))
                    })
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().value.expose_secret(), "t1");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_late_invalidation_keeps_the_newer_token() {
        let cache = TokenCache::default();
        let first = cache
            .get(|| async { Ok::<_, ()>(token("a")) })
            .await
            .unwrap();
        cache.invalidate(&first);
        let second = cache
            .get(|| async { Ok::<_, ()>(token("b")) })
            .await
            .unwrap();
        assert_eq!(second.value.expose_secret(), "b");
        cache.invalidate(&first);
        let third = cache
            .get(|| async { Ok::<_, ()>(token("c")) })
            .await
            .unwrap();
        assert_eq!(third.value.expose_secret(), "b");
    }

    #[tokio::test]
    async fn the_age_of_the_token_in_use_is_known_without_a_call() {
        let cache = TokenCache::default();
        assert!(cache.obtained_at().is_none(), "no token yet");
        let before = SystemTime::now();
        let first = cache
            .get(|| async { Ok::<_, ()>(token("a")) })
            .await
            .unwrap();
        let at = cache.obtained_at().expect("a token in use");
        assert!(at >= before && at <= SystemTime::now());
        cache.invalidate(&first);
        assert!(
            cache.obtained_at().is_none(),
            "a refused token is not in use"
        );
        // A token past its refresh point is not in use either: the next call fetches anew.
        let due = AccessToken::new(SecretString::from("d"), Duration::ZERO, Duration::ZERO);
        cache.get(|| async { Ok::<_, ()>(due) }).await.unwrap();
        assert!(cache.obtained_at().is_none());
    }
}
