//! The OAuth2 access-token cache.
//!
//! Falcon tokens live 30 minutes. The cache hands out the current token until it is close to
//! expiry, then exactly one caller refreshes it while every other caller waits for that refresh
//! (a burst of requests at expiry must not become a burst of token requests: the token endpoint
//! has its own, much smaller, rate limit).

use std::future::Future;
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub value: SecretString,
    /// When we stop using it; some time before Falcon's own expiry.
    pub refresh_at: Instant,
    pub obtained_at: SystemTime,
}

impl AccessToken {
    /// Schedules the refresh `margin` before expiry, but never later than 80 % into a short
    /// lifetime (the simulator's tests use lifetimes of a few seconds).
    pub fn new(value: SecretString, expires_in: Duration, margin: Duration) -> Self {
        let early = margin.min(expires_in / 5);
        Self {
            value,
            refresh_at: Instant::now() + expires_in.saturating_sub(early),
            obtained_at: SystemTime::now(),
        }
    }

    fn is_fresh(&self) -> bool {
        Instant::now() < self.refresh_at
    }
}

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
        // Whoever held the lock before us may have refreshed already.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let token = fetch().await?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }

    /// Drops `stale` (after Falcon answered 401 to it) unless a newer token replaced it already.
    pub fn invalidate(&self, stale: &AccessToken) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == stale.value.expose_secret())
        {
            *current = None;
        }
    }

    /// When the token in use was obtained, if there is one that is still valid.
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

    fn token(name: &str, life: Duration) -> AccessToken {
        AccessToken::new(SecretString::from(name), life, Duration::from_secs(120))
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, ()>(token("t1", Duration::from_secs(1799)))
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
    async fn invalidate_forces_a_new_token_but_not_twice() {
        let cache = TokenCache::default();
        let first = cache
            .get(|| async { Ok::<_, ()>(token("a", Duration::from_secs(1799))) })
            .await
            .unwrap();
        cache.invalidate(&first);
        let second = cache
            .get(|| async { Ok::<_, ()>(token("b", Duration::from_secs(1799))) })
            .await
            .unwrap();
        assert_eq!(second.value.expose_secret(), "b");
        // A late 401 on the old token must not throw away the new one.
        cache.invalidate(&first);
        assert!(cache.obtained_at().is_some());
    }

    #[test]
    fn short_lifetimes_refresh_at_eighty_percent() {
        let t = token("a", Duration::from_secs(10));
        let left = t.refresh_at.saturating_duration_since(Instant::now());
        assert!(left <= Duration::from_secs(8) && left > Duration::from_secs(7));
    }
}
