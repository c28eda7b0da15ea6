//! The target's settings: `BRIDGE_TARGET` picks the target, and only that target's variables are
//! read and required (`FALCON_*` for Falcon, `INCYDR_*` for Incydr), so that a deployment of one
//! is not asked for the other's credentials.

use secrecy::SecretString;

use super::secrets::secret_value;
use super::{ConfigError, ServeArgs, invalid, required};
use falcon::Region;
use target_api::Naming;

/// Which target: the value of `BRIDGE_TARGET`, and of `--target` for `demo` and `sim`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    /// CrowdStrike Falcon.
    #[default]
    Falcon,
    /// Code42 Incydr.
    Incydr,
}

impl TargetKind {
    /// How the target is called in messages, without a client (`audit` has none).
    pub fn naming(self) -> Naming {
        match self {
            TargetKind::Falcon => falcon::target::capabilities().naming,
            TargetKind::Incydr => incydr::target::capabilities().naming,
        }
    }
}

/// The target the bridge provisions, and how to reach it.
#[derive(Debug, Clone)]
pub enum TargetSettings {
    Falcon(falcon::ClientConfig),
    Incydr(incydr::ClientConfig),
}

impl TargetSettings {
    pub fn kind(&self) -> TargetKind {
        match self {
            TargetSettings::Falcon(_) => TargetKind::Falcon,
            TargetSettings::Incydr(_) => TargetKind::Incydr,
        }
    }

    /// The API base URL the client calls.
    pub fn base_url(&self) -> &str {
        match self {
            TargetSettings::Falcon(cfg) => &cfg.base_url,
            TargetSettings::Incydr(cfg) => &cfg.base_url,
        }
    }

    pub(super) fn from_args(args: &ServeArgs) -> Result<Self, ConfigError> {
        Ok(match args.bridge_target {
            TargetKind::Falcon => TargetSettings::Falcon(falcon_settings(args)?),
            TargetKind::Incydr => TargetSettings::Incydr(incydr_settings(args)?),
        })
    }
}

fn falcon_settings(args: &ServeArgs) -> Result<falcon::ClientConfig, ConfigError> {
    let client_id = required(args.falcon_client_id.clone(), "FALCON_CLIENT_ID")?;
    let secret = secret_value(args.falcon_client_secret.clone(), "FALCON_CLIENT_SECRET")?;
    let region: Region = args
        .falcon_cloud
        .parse()
        .map_err(|e: falcon::region::UnknownRegion| invalid("FALCON_CLOUD", e.to_string()))?;
    let mut falcon = match &args.falcon_base_url {
        Some(url) => {
            http_url(url, "FALCON_BASE_URL")?;
            // The region still names where the credentials must belong: a proxy in front of
            // eu-1 with FALCON_CLOUD left at us-1 is a mistake worth stopping.
            let mut cfg =
                falcon::ClientConfig::new(url.clone(), client_id, SecretString::from(secret));
            cfg.expected_region = Some(region);
            cfg
        }
        None => falcon::ClientConfig::for_region(region, client_id, SecretString::from(secret)),
    };
    if let Some(cid) = &args.falcon_member_cid {
        let cid = cid.trim().to_ascii_lowercase();
        let cid = cid.split('-').next().unwrap_or_default().to_owned();
        if cid.len() != 32 || !cid.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid(
                "FALCON_MEMBER_CID",
                "must be a 32-character hexadecimal CID",
            ));
        }
        falcon.member_cid = Some(cid);
    }
    Ok(falcon)
}

/// Incydr's API domain follows the tenant's console domain (`api.us.code42.com`, `api.us2...`,
/// `api.ie...`, `api.gov...`), and more exist than are documented: it is a URL, not a region.
fn incydr_settings(args: &ServeArgs) -> Result<incydr::ClientConfig, ConfigError> {
    let base_url = required(args.incydr_base_url.clone(), "INCYDR_BASE_URL")?;
    http_url(&base_url, "INCYDR_BASE_URL")?;
    let client_id = required(args.incydr_client_id.clone(), "INCYDR_CLIENT_ID")?;
    let secret = secret_value(args.incydr_client_secret.clone(), "INCYDR_CLIENT_SECRET")?;
    let mut cfg = incydr::ClientConfig::new(base_url, client_id, SecretString::from(secret));
    if let Some(size) = args.incydr_page_size {
        if !(1..=MAX_INCYDR_PAGE_SIZE).contains(&size) {
            return Err(invalid(
                "INCYDR_PAGE_SIZE",
                format!("must be between 1 and {MAX_INCYDR_PAGE_SIZE}"),
            ));
        }
        cfg.page_size = size;
    }
    Ok(cfg)
}

/// A bound on `INCYDR_PAGE_SIZE` that keeps one page's answer a reasonable size; Incydr's own
/// maximum is undocumented, and a value it refuses shows in `check` as a failed user list.
const MAX_INCYDR_PAGE_SIZE: u32 = 10_000;

fn http_url(url: &str, var: &'static str) -> Result<(), ConfigError> {
    let parsed = url::Url::parse(url).map_err(|e| invalid(var, format!("not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(var, "must be an http:// or https:// URL"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::args;
    use super::super::{CoreSettings, Settings};
    use super::*;
    use clap::Parser;
    use secrecy::ExposeSecret;

    const INCYDR_SECRET: &str = "incydr-secret-0123456789abcdefghijklmnop";

    /// `args()` switched to Incydr: Incydr's variables set, Falcon's left out.
    fn incydr_args() -> ServeArgs {
        ServeArgs {
            bridge_target: TargetKind::Incydr,
            incydr_base_url: Some("https://api.us.code42.com/".into()),
            incydr_client_id: Some("key-0123".into()),
            incydr_client_secret: Some(INCYDR_SECRET.into()),
            falcon_client_id: None,
            falcon_client_secret: None,
            ..args()
        }
    }

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn bridge_target_is_falcon_unless_it_says_incydr() {
        let parse = |argv: &[&str]| Cli::try_parse_from(argv).map(|c| c.serve.bridge_target);
        assert_eq!(parse(&["bridge"]).unwrap(), TargetKind::Falcon);
        assert_eq!(
            parse(&["bridge", "--bridge-target", "incydr"]).unwrap(),
            TargetKind::Incydr
        );
        assert_eq!(
            parse(&["bridge", "--bridge-target", "Incydr"]).unwrap(),
            TargetKind::Incydr
        );
        let err = parse(&["bridge", "--bridge-target", "code42"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'code42'") && err.contains("[possible values: falcon, incydr]"),
            "{err}"
        );
    }

    #[test]
    fn incydr_settings_load_without_any_falcon_variable() {
        let core = CoreSettings::from_args(&incydr_args()).unwrap();
        let TargetSettings::Incydr(cfg) = &core.target else {
            panic!("{:?}", core.target);
        };
        assert_eq!(cfg.base_url, "https://api.us.code42.com");
        assert_eq!(cfg.client_id, "key-0123");
        assert_eq!(cfg.client_secret.expose_secret(), INCYDR_SECRET);
        assert_eq!(core.target.kind(), TargetKind::Incydr);
        assert_eq!(core.target.base_url(), "https://api.us.code42.com");
        assert_eq!(cfg.page_size, 100, "the SDK's page size unless told");
        let larger = CoreSettings::from_args(&ServeArgs {
            incydr_page_size: Some(500),
            ..incydr_args()
        })
        .unwrap();
        let TargetSettings::Incydr(larger) = &larger.target else {
            panic!("{:?}", larger.target);
        };
        assert_eq!(larger.page_size, 500);
        // FALCON_CLOUD's value is not even looked at.
        let odd_cloud = ServeArgs {
            falcon_cloud: "eu-9".into(),
            ..incydr_args()
        };
        assert!(Settings::from_args(&odd_cloud).is_ok());
    }

    #[test]
    fn falcon_settings_need_no_incydr_variable() {
        let core = CoreSettings::from_args(&args()).unwrap();
        assert!(matches!(core.target, TargetSettings::Falcon(_)));
        assert_eq!(core.target.kind(), TargetKind::Falcon);
        assert_eq!(core.target.base_url(), "https://api.crowdstrike.com");
    }

    #[test]
    fn each_missing_or_wrong_incydr_variable_is_named() {
        let cases: Vec<(ServeArgs, &str)> = vec![
            (
                ServeArgs {
                    incydr_base_url: None,
                    ..incydr_args()
                },
                "INCYDR_BASE_URL: required but not set",
            ),
            (
                ServeArgs {
                    incydr_base_url: Some("api.us.code42.com".into()),
                    ..incydr_args()
                },
                "INCYDR_BASE_URL: not a URL",
            ),
            (
                ServeArgs {
                    incydr_base_url: Some("ftp://api.us.code42.com".into()),
                    ..incydr_args()
                },
                "INCYDR_BASE_URL: must be an http:// or https:// URL",
            ),
            (
                ServeArgs {
                    incydr_client_id: Some("  ".into()),
                    ..incydr_args()
                },
                "INCYDR_CLIENT_ID: required but not set",
            ),
            (
                ServeArgs {
                    incydr_page_size: Some(0),
                    ..incydr_args()
                },
                "INCYDR_PAGE_SIZE: must be between 1 and 10000",
            ),
            (
                ServeArgs {
                    incydr_client_secret: None,
                    ..incydr_args()
                },
                "INCYDR_CLIENT_SECRET: required but not set (set INCYDR_CLIENT_SECRET or \
                 INCYDR_CLIENT_SECRET_FILE)",
            ),
        ];
        for (a, expected) in cases {
            let err = CoreSettings::from_args(&a).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err} should start with {expected}"
            );
            assert!(!err.contains(INCYDR_SECRET), "no secret in {err}");
        }
    }

    #[test]
    fn the_incydr_secret_never_appears_in_debug_output() {
        let s = Settings::from_args(&incydr_args()).unwrap();
        let text = format!("{s:?}");
        assert!(text.contains("api.us.code42.com"), "{text}");
        assert!(!text.contains(INCYDR_SECRET), "{text}");
        let core = CoreSettings::from_args(&incydr_args()).unwrap();
        assert!(!format!("{core:?}").contains(INCYDR_SECRET));
    }
}
