//! The bench's results: one [`ScenarioReport`] per scenario (and per population for the
//! import), rendered as a plain-text table with each target next to its measured value, or
//! serialised as JSON (`--json`).

use std::fmt::Write as _;

use serde::Serialize;

use super::measure::{FalconCalls, Percentiles};

/// Everything one bench run found.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub machine: Machine,
    pub settings: RunSettings,
    pub scenarios: Vec<ScenarioReport>,
}

/// Where the bench ran.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
}

impl Machine {
    pub fn this_one() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
        }
    }
}

/// The simulated Falcon the scenarios ran against, and the bridge's settings that were not its
/// defaults.
#[derive(Debug, Clone, Serialize)]
pub struct RunSettings {
    pub falcon_latency_ms: u64,
    pub falcon_rate_limit_per_minute: u32,
    /// `VAR=value` for each bridge setting the bench changed from its default.
    pub bridge_not_default: Vec<String>,
    /// The bridge's store (SQLite, or PostgreSQL with `--database-url`) and its replicas.
    pub store: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// "1", "2", "3", "4", "5".
    pub scenario: u8,
    pub title: String,
    /// Sizes and concurrency, in words.
    pub setup: String,
    pub scim_ops: u64,
    pub wall_secs: f64,
    pub req_per_sec: f64,
    pub latency: Percentiles,
    pub falcon: FalconCalls,
    pub falcon_calls_per_op: f64,
    /// 429s the bridge answered to the IdP.
    pub idp_429s: u64,
    /// Other answers the IdP did not expect (and transport failures).
    pub errors: u64,
    /// `VmHWM` of the bridge process at the end of the scenario (with several replicas, the
    /// largest replica's).
    pub bridge_peak_rss_bytes: Option<u64>,
    pub checks: Vec<Check>,
}

/// A performance target next to what was measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub what: String,
    pub measured: f64,
    pub unit: String,
    /// The target in words, e.g. "<= 3".
    pub target: String,
    pub met: bool,
}

/// Calls-per-operation targets are exact; measured ratios are compared to two decimals.
const EPSILON: f64 = 0.005;

impl Check {
    pub fn equals(what: impl Into<String>, measured: f64, unit: &str, target: f64) -> Self {
        Self::new(
            what,
            measured,
            unit,
            format!("= {}", num(target)),
            (measured - target).abs() < EPSILON,
        )
    }

    pub fn at_most(what: impl Into<String>, measured: f64, unit: &str, limit: f64) -> Self {
        Self::new(
            what,
            measured,
            unit,
            format!("<= {}", num(limit)),
            measured <= limit + EPSILON,
        )
    }

    pub fn below(what: impl Into<String>, measured: f64, unit: &str, limit: f64) -> Self {
        Self::new(
            what,
            measured,
            unit,
            format!("< {}", num(limit)),
            measured < limit,
        )
    }

    pub fn at_least(what: impl Into<String>, measured: f64, unit: &str, limit: f64) -> Self {
        Self::new(
            what,
            measured,
            unit,
            format!(">= {}", num(limit)),
            measured >= limit,
        )
    }

    fn new(what: impl Into<String>, measured: f64, unit: &str, target: String, met: bool) -> Self {
        Self {
            what: what.into(),
            measured,
            unit: unit.to_owned(),
            target,
            met,
        }
    }
}

/// A number with at most two decimals and no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn mb(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "n/a".to_owned(),
        |b| format!("{:.1} MB", b as f64 / 1_048_576.0),
    )
}

impl ScenarioReport {
    /// The plain-text table of one scenario.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "== Scenario {}: {} ==", self.scenario, self.title);
        let _ = writeln!(out, "{}", self.setup);
        let rows: [(&str, String); 8] = [
            ("SCIM operations", self.scim_ops.to_string()),
            ("wall time", format!("{:.3} s", self.wall_secs)),
            ("SCIM requests/s", format!("{:.1}", self.req_per_sec)),
            (
                "latency p50/p95/p99",
                format!(
                    "{:.2} / {:.2} / {:.2} ms (max {:.2})",
                    self.latency.p50_ms,
                    self.latency.p95_ms,
                    self.latency.p99_ms,
                    self.latency.max_ms
                ),
            ),
            (
                "Falcon calls",
                format!(
                    "{} ({:.2} per SCIM op; {} answered 429 by Falcon)",
                    self.falcon.total, self.falcon_calls_per_op, self.falcon.throttled
                ),
            ),
            ("429s seen by the IdP", self.idp_429s.to_string()),
            ("other errors", self.errors.to_string()),
            ("bridge peak RSS", mb(self.bridge_peak_rss_bytes)),
        ];
        for (name, value) in rows {
            let _ = writeln!(out, "  {name:<24} {value}");
        }
        if !self.checks.is_empty() {
            let width = self
                .checks
                .iter()
                .map(|c| c.what.len())
                .max()
                .unwrap_or(0)
                .max("target".len());
            let _ = writeln!(
                out,
                "  {:<width$}  {:>14}  {:<12}  verdict",
                "target", "measured", "wanted"
            );
            for c in &self.checks {
                let measured = format!("{} {}", num(c.measured), c.unit);
                let target = format!("{} {}", c.target, c.unit);
                let verdict = if c.met { "met" } else { "MISSED" };
                let _ = writeln!(
                    out,
                    "  {:<width$}  {:>14}  {:<12}  {verdict}",
                    c.what,
                    measured.trim_end(),
                    target.trim_end()
                );
            }
        }
        out
    }
}

/// The first lines of the text report.
pub fn header(machine: &Machine, settings: &RunSettings) -> String {
    let mut text = format!(
        "falcon-scim-bridge bench on {} CPUs ({}); Falcon simulator latency {} ms, rate limit {}/min\n",
        machine.cpus,
        machine.cpu_model,
        settings.falcon_latency_ms,
        settings.falcon_rate_limit_per_minute
    );
    if settings.bridge_not_default.is_empty() {
        text.push_str("the bridge runs on its default settings\n");
    } else {
        let _ = writeln!(
            text,
            "the bridge runs on its default settings (its per-credential rate limit included) but \
             for {} (the deletion guard would stop scenario 3's deactivations)",
            settings.bridge_not_default.join(", ")
        );
    }
    let _ = writeln!(text, "store: {}", settings.store);
    text
}

impl BenchReport {
    /// The whole text report: header, one table per scenario, and the targets missed.
    pub fn render(&self) -> String {
        let mut out = header(&self.machine, &self.settings);
        out.push('\n');
        for s in &self.scenarios {
            out.push_str(&s.render());
            out.push('\n');
        }
        out.push_str(&self.summary());
        out
    }

    /// One line: every target met, or the ones missed.
    pub fn summary(&self) -> String {
        let missed: Vec<String> = self
            .scenarios
            .iter()
            .flat_map(|s| {
                s.checks
                    .iter()
                    .filter(|c| !c.met)
                    .map(move |c| format!("scenario {}: {}", s.scenario, c.what))
            })
            .collect();
        if missed.is_empty() {
            "every target met\n".to_owned()
        } else {
            format!("targets missed: {}\n", missed.join("; "))
        }
    }

    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ScenarioReport {
        ScenarioReport {
            scenario: 3,
            title: "Entra incremental cycle".into(),
            setup: "1000 PATCHes at concurrency 20".into(),
            scim_ops: 1000,
            wall_secs: 2.5,
            req_per_sec: 400.0,
            latency: Percentiles {
                p50_ms: 31.0,
                p95_ms: 60.5,
                p99_ms: 95.25,
                max_ms: 120.0,
            },
            falcon: FalconCalls {
                total: 1750,
                throttled: 0,
                tokens: 0,
                by_route: [("PATCH /user-management/entities/users/v1".to_owned(), 500)]
                    .into_iter()
                    .collect(),
            },
            falcon_calls_per_op: 1.75,
            idp_429s: 0,
            errors: 0,
            bridge_peak_rss_bytes: Some(30 * 1_048_576),
            checks: vec![
                Check::equals("Falcon calls per name change", 1.0, "", 1.0),
                Check::at_most("Falcon calls per deactivation", 3.25, "", 3.0),
            ],
        }
    }

    #[test]
    fn checks_compare_as_their_target_says() {
        assert!(Check::equals("x", 1.001, "", 1.0).met);
        assert!(!Check::equals("x", 1.2, "", 1.0).met);
        assert!(Check::at_most("x", 3.0, "", 3.0).met);
        assert!(!Check::below("x", 10.0, "ms", 10.0).met);
        assert!(Check::at_least("x", 5000.0, "req/s", 5000.0).met);
        assert_eq!(Check::at_most("x", 0.0, "", 230.0).target, "<= 230");
        assert_eq!(Check::below("x", 0.0, "", 9.5).target, "< 9.5");
    }

    #[test]
    fn the_table_puts_targets_next_to_measurements() {
        let text = sample().render();
        assert!(text.starts_with("== Scenario 3: Entra incremental cycle ==\n"));
        assert!(text.contains("  SCIM operations          1000\n"), "{text}");
        assert!(text.contains("31.00 / 60.50 / 95.25 ms"), "{text}");
        assert!(text.contains("1750 (1.75 per SCIM op; 0 answered 429 by Falcon)"));
        assert!(text.contains("30.0 MB"));
        let line = |what: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(what))
                .unwrap()
                .to_owned()
        };
        let rename = line("Falcon calls per name change");
        assert!(
            rename.contains("= 1") && rename.ends_with("met"),
            "{rename}"
        );
        let deact = line("Falcon calls per deactivation");
        assert!(
            deact.contains("3.25") && deact.contains("<= 3") && deact.ends_with("MISSED"),
            "{deact}"
        );
    }

    #[test]
    fn the_json_is_plain_data() {
        let report = BenchReport {
            machine: Machine {
                cpus: 2,
                cpu_model: "test".into(),
            },
            settings: RunSettings {
                falcon_latency_ms: 30,
                falcon_rate_limit_per_minute: 6000,
                bridge_not_default: vec!["BRIDGE_MAX_DELETIONS_PER_HOUR=1000000".into()],
                store: "SQLite, a file in a temporary directory".into(),
            },
            scenarios: vec![sample()],
        };
        let value: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(value["scenarios"][0]["falcon"]["total"], 1750);
        assert_eq!(value["scenarios"][0]["checks"][1]["met"], false);
        assert_eq!(value["settings"]["falcon_latency_ms"], 30);
        assert_eq!(
            value["settings"]["bridge_not_default"][0],
            "BRIDGE_MAX_DELETIONS_PER_HOUR=1000000"
        );
        assert!(report.render().contains(
            "the bridge runs on its default settings (its per-credential rate limit included) but \
             for BRIDGE_MAX_DELETIONS_PER_HOUR=1000000"
        ));
        assert!(
            report
                .render()
                .contains("targets missed: scenario 3: Falcon calls per deactivation")
        );
    }
}
