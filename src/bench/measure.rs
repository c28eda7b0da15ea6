//! What the bench measures besides wall time: latency percentiles over the requests of a
//! phase, the bridge's peak resident set (`VmHWM` of `/proc/<pid>/status`), the Falcon calls
//! a phase cost (from the simulator's counters), and the lowest time the Falcon rate limit and
//! latency allow for a given number of calls.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use falcon::model::routes;
use falcon::sim::Simulator;

/// Latency percentiles of a set of requests, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles (the smallest sample with at least p % of the samples at or
    /// below it); all zero for no samples. Sorts `samples`.
    pub fn of(samples: &mut [Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let at = |p: f64| {
            let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
            ms(samples[rank.clamp(1, samples.len()) - 1])
        };
        Self {
            p50_ms: at(50.0),
            p95_ms: at(95.0),
            p99_ms: at(99.0),
            max_ms: ms(samples[samples.len() - 1]),
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident set size of process `pid` in bytes (`VmHWM`), where `/proc` exists.
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

/// `VmHWM:    12345 kB` -> bytes.
pub fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// The Falcon calls of one phase, read from the simulator's counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FalconCalls {
    /// `/user-management` calls plus token requests.
    pub total: u64,
    /// Calls the simulator answered with 429.
    pub throttled: u64,
    /// Token requests (in `total`; Falcon counts them per IP, not against the CID's window).
    pub tokens: u64,
    /// Calls per `"METHOD /path"`.
    pub by_route: BTreeMap<String, u64>,
}

impl FalconCalls {
    /// Zeroes the simulator's counters: the next [`FalconCalls::read`] covers what follows.
    pub fn start(sim: &Simulator) {
        sim.reset_counts();
    }

    pub fn read(sim: &Simulator) -> Self {
        let by_route = sim.call_counts();
        let tokens = by_route
            .iter()
            .filter(|(route, _)| route.ends_with(routes::TOKEN))
            .map(|(_, n)| n)
            .sum::<u64>();
        Self {
            total: sim.total_calls() + tokens,
            throttled: sim.throttled_count(),
            tokens,
            by_route,
        }
    }

    /// The calls of this phase and of `other` together.
    pub fn plus(mut self, other: &Self) -> Self {
        self.total += other.total;
        self.throttled += other.throttled;
        self.tokens += other.tokens;
        for (route, n) in &other.by_route {
            *self.by_route.entry(route.clone()).or_default() += n;
        }
        self
    }

    /// `/user-management` calls Falcon admitted: what its per-CID window counted.
    pub fn admitted(&self) -> u64 {
        (self.total - self.tokens).saturating_sub(self.throttled)
    }

    /// Calls per operation, 0 when there was no operation.
    pub fn per(&self, ops: u64) -> f64 {
        if ops == 0 {
            0.0
        } else {
            self.total as f64 / ops as f64
        }
    }
}

/// The least time `calls` Falcon calls can take under a sliding one-minute window of
/// `limit_per_minute`: the k-th call cannot start before `60 s * floor((k-1) / limit)`.
pub fn rate_floor(calls: u64, limit_per_minute: u32) -> Duration {
    if calls == 0 || limit_per_minute == 0 {
        return Duration::ZERO;
    }
    Duration::from_secs(60 * ((calls - 1) / u64::from(limit_per_minute)))
}

/// The least time `calls` independent Falcon calls of `latency` each take when at most
/// `parallelism` can be in flight.
pub fn latency_floor(calls: u64, parallelism: usize, latency: Duration) -> Duration {
    let rounds = calls.div_ceil(parallelism.max(1) as u64);
    latency.saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let p = Percentiles::of(&mut samples);
        assert_eq!(p.p50_ms, 50.0);
        assert_eq!(p.p95_ms, 95.0);
        assert_eq!(p.p99_ms, 99.0);
        assert_eq!(p.max_ms, 100.0);

        let mut one = vec![Duration::from_micros(1500)];
        let p = Percentiles::of(&mut one);
        assert_eq!((p.p50_ms, p.p99_ms), (1.5, 1.5));
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
    }

    #[test]
    fn vm_hwm_is_read_in_bytes() {
        let status = "Name:\tfalcon-scim-bri\nVmPeak:\t  200000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(51200 * 1024));
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
    }

    #[test]
    fn floors() {
        assert_eq!(rate_floor(0, 6000), Duration::ZERO);
        assert_eq!(rate_floor(6000, 6000), Duration::ZERO);
        assert_eq!(rate_floor(6001, 6000), Duration::from_secs(60));
        assert_eq!(rate_floor(2000, 1000), Duration::from_secs(60));
        let lat = Duration::from_millis(30);
        assert_eq!(latency_floor(1000, 10, lat), Duration::from_secs(3));
        assert_eq!(latency_floor(1001, 10, lat), Duration::from_millis(3030));
        assert_eq!(latency_floor(0, 10, lat), Duration::ZERO);
    }
}
