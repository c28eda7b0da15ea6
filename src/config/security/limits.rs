//! Request limits of the SCIM endpoint: body size, PATCH operations, filter length and depth,
//! page size, group members, request time and the per-credential rate. A variable left unset
//! keeps the default of `scim::limits::Limits`. A zero, which would refuse every request, stops
//! the bridge at start instead, except for the rates, where it turns a limit off (the write
//! rate's zero turns reads off too, unless their own rate is set); the filter depth is also
//! bounded by what the filter parser itself accepts.

use std::time::Duration;

use super::SecurityArgs;
use crate::config::{ConfigError, invalid};
use scim::limits::{Limits, PARSER_MAX_FILTER_DEPTH, RateLimit};

/// The limits from `args`, defaults where unset, each checked for sense.
pub(in crate::config) fn limits(args: &SecurityArgs) -> Result<Limits, ConfigError> {
    let d = Limits::default();
    let at_least_one = |value: Option<usize>, default: usize, var: &'static str| match value {
        Some(0) => Err(invalid(var, "must be at least 1")),
        Some(v) => Ok(v),
        None => Ok(default),
    };
    let max_filter_depth = at_least_one(
        args.bridge_max_filter_depth,
        d.max_filter_depth,
        "BRIDGE_MAX_FILTER_DEPTH",
    )?;
    if max_filter_depth > PARSER_MAX_FILTER_DEPTH {
        return Err(invalid(
            "BRIDGE_MAX_FILTER_DEPTH",
            format!("at most {PARSER_MAX_FILTER_DEPTH} (the filter parser's own bound)"),
        ));
    }
    let timeout = match args.bridge_request_timeout_secs {
        Some(0) => return Err(invalid("BRIDGE_REQUEST_TIMEOUT_SECS", "must be at least 1")),
        Some(secs) => Duration::from_secs(secs),
        None => d.request_timeout,
    };
    let burst = match args.bridge_rate_limit_burst {
        Some(0) => return Err(invalid("BRIDGE_RATE_LIMIT_BURST", "must be at least 1")),
        Some(b) => b,
        None => d.rate_limit.burst,
    };
    Ok(Limits {
        max_body_bytes: at_least_one(
            args.bridge_max_body_bytes,
            d.max_body_bytes,
            "BRIDGE_MAX_BODY_BYTES",
        )?,
        max_patch_operations: at_least_one(
            args.bridge_max_patch_operations,
            d.max_patch_operations,
            "BRIDGE_MAX_PATCH_OPERATIONS",
        )?,
        max_filter_len: at_least_one(
            args.bridge_max_filter_length,
            d.max_filter_len,
            "BRIDGE_MAX_FILTER_LENGTH",
        )?,
        max_filter_depth,
        max_results: at_least_one(args.bridge_max_results, d.max_results, "BRIDGE_MAX_RESULTS")?,
        max_members: at_least_one(args.bridge_max_members, d.max_members, "BRIDGE_MAX_MEMBERS")?,
        request_timeout: timeout,
        rate_limit: RateLimit {
            per_minute: args
                .bridge_rate_limit_per_minute
                .unwrap_or(d.rate_limit.per_minute),
            burst,
            // `BRIDGE_RATE_LIMIT_PER_MINUTE=0` has always meant "no rate limit at all": reads
            // stay unlimited with it unless their own variable says otherwise.
            reads_per_minute: match (
                args.bridge_rate_limit_reads_per_minute,
                args.bridge_rate_limit_per_minute,
            ) {
                (Some(reads), _) => reads,
                (None, Some(0)) => 0,
                (None, _) => d.rate_limit.reads_per_minute,
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::args;
    use crate::config::{ServeArgs, Settings};

    #[test]
    fn limits_default_and_refuse_nonsense() {
        let s = Settings::from_args(&args()).unwrap();
        assert_eq!(s.security.limits, Limits::default());
        let s = Settings::from_args(&ServeArgs {
            security: SecurityArgs {
                bridge_max_members: Some(50),
                bridge_rate_limit_per_minute: Some(0),
                bridge_request_timeout_secs: Some(5),
                ..Default::default()
            },
            ..args()
        })
        .unwrap();
        assert_eq!(s.security.limits.max_members, 50);
        assert_eq!(s.security.limits.rate_limit.per_minute, 0);
        assert_eq!(s.security.limits.rate_limit.reads_per_minute, 0);
        assert_eq!(s.security.limits.request_timeout, Duration::from_secs(5));
        let rate = |security: SecurityArgs| {
            Settings::from_args(&ServeArgs { security, ..args() })
                .unwrap()
                .security
                .limits
                .rate_limit
        };
        assert_eq!(
            rate(SecurityArgs::default()),
            RateLimit {
                per_minute: 6000,
                burst: 6000,
                reads_per_minute: 600_000
            }
        );
        assert_eq!(
            rate(SecurityArgs {
                bridge_rate_limit_per_minute: Some(1200),
                bridge_rate_limit_burst: Some(200),
                ..Default::default()
            }),
            RateLimit {
                per_minute: 1200,
                burst: 200,
                reads_per_minute: 600_000
            }
        );
        assert_eq!(
            rate(SecurityArgs {
                bridge_rate_limit_per_minute: Some(0),
                bridge_rate_limit_reads_per_minute: Some(3000),
                ..Default::default()
            })
            .reads_per_minute,
            3000
        );
        assert_eq!(
            rate(SecurityArgs {
                bridge_rate_limit_reads_per_minute: Some(0),
                ..Default::default()
            }),
            RateLimit {
                per_minute: 6000,
                burst: 6000,
                reads_per_minute: 0
            }
        );
        for (security, var) in [
            (
                SecurityArgs {
                    bridge_max_filter_depth: Some(65),
                    ..Default::default()
                },
                "BRIDGE_MAX_FILTER_DEPTH",
            ),
            (
                SecurityArgs {
                    bridge_max_body_bytes: Some(0),
                    ..Default::default()
                },
                "BRIDGE_MAX_BODY_BYTES",
            ),
            (
                SecurityArgs {
                    bridge_request_timeout_secs: Some(0),
                    ..Default::default()
                },
                "BRIDGE_REQUEST_TIMEOUT_SECS",
            ),
            (
                SecurityArgs {
                    bridge_rate_limit_burst: Some(0),
                    ..Default::default()
                },
                "BRIDGE_RATE_LIMIT_BURST",
            ),
        ] {
            let err = Settings::from_args(&ServeArgs { security, ..args() }).unwrap_err();
            assert_eq!(err.var, var);
        }
    }
}
