//! The target's settings: `BRIDGE_TARGET` picks the target, and only that target's variables are
//! read and required (`FALCON_*` for Falcon, `INCYDR_*` for Incydr, `LUMAPPS_*` for LumApps,
//! `ALLTHENTICATE_*` and the `[allthenticate]` table of the TOML file for Allthenticate), so that
//! a deployment of one is not asked for the other's credentials.

use secrecy::SecretString;

use super::secrets::secret_value;
use super::{ConfigError, FileConfig, ServeArgs, invalid, required};
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
    /// LumApps.
    Lumapps,
    /// Allthenticate.
    Allthenticate,
}

impl TargetKind {
    /// How the target is called in messages, without a client (`audit` has none).
    pub fn naming(self) -> Naming {
        match self {
            TargetKind::Falcon => falcon::target::capabilities().naming,
            TargetKind::Incydr => incydr::target::capabilities().naming,
            TargetKind::Lumapps => lumapps::target::capabilities().naming,
            TargetKind::Allthenticate => allthenticate::target::capabilities().naming,
        }
    }
}

/// The target the bridge provisions, and how to reach it.
#[derive(Debug, Clone)]
pub enum TargetSettings {
    Falcon(falcon::ClientConfig),
    Incydr(incydr::ClientConfig),
    Lumapps(lumapps::ClientConfig),
    Allthenticate(AllthenticateSettings),
}

/// Allthenticate's client settings, and how its target invites and which ranks it may grant.
#[derive(Debug, Clone)]
pub struct AllthenticateSettings {
    pub client: allthenticate::ClientConfig,
    pub options: allthenticate::TargetOptions,
}

impl TargetSettings {
    pub fn kind(&self) -> TargetKind {
        match self {
            TargetSettings::Falcon(_) => TargetKind::Falcon,
            TargetSettings::Incydr(_) => TargetKind::Incydr,
            TargetSettings::Lumapps(_) => TargetKind::Lumapps,
            TargetSettings::Allthenticate(_) => TargetKind::Allthenticate,
        }
    }

    /// The API base URL the client calls.
    pub fn base_url(&self) -> &str {
        match self {
            TargetSettings::Falcon(cfg) => &cfg.base_url,
            TargetSettings::Incydr(cfg) => &cfg.base_url,
            TargetSettings::Lumapps(cfg) => &cfg.base_url,
            TargetSettings::Allthenticate(cfg) => &cfg.client.base_url,
        }
    }

    pub(super) fn from_args(args: &ServeArgs, file: &FileConfig) -> Result<Self, ConfigError> {
        Ok(match args.bridge_target {
            TargetKind::Falcon => TargetSettings::Falcon(falcon_settings(args)?),
            TargetKind::Incydr => TargetSettings::Incydr(incydr_settings(args)?),
            TargetKind::Lumapps => TargetSettings::Lumapps(lumapps_settings(args)?),
            TargetKind::Allthenticate => {
                TargetSettings::Allthenticate(allthenticate_settings(args, file)?)
            }
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

/// LumApps lives on the customer's cell (`https://go-cell-001.api.lumapps.com`, `ms-cell-002`…),
/// a URL rather than a region. The token impersonates `LUMAPPS_ADMIN_EMAIL`, so it must at least
/// look like an e-mail: LumApps' refusal of a malformed one would only say 401.
fn lumapps_settings(args: &ServeArgs) -> Result<lumapps::ClientConfig, ConfigError> {
    let base_url = required(args.lumapps_base_url.clone(), "LUMAPPS_BASE_URL")?;
    http_url(&base_url, "LUMAPPS_BASE_URL")?;
    let organization_id = required(
        args.lumapps_organization_id.clone(),
        "LUMAPPS_ORGANIZATION_ID",
    )?;
    if organization_id.contains(['/', '?', '#']) || organization_id.contains(char::is_whitespace) {
        // It becomes a path segment of the token URL.
        return Err(invalid(
            "LUMAPPS_ORGANIZATION_ID",
            "must be the organisation id alone (no '/', '?', '#' or spaces)",
        ));
    }
    let client_id = required(args.lumapps_client_id.clone(), "LUMAPPS_CLIENT_ID")?;
    let secret = secret_value(args.lumapps_client_secret.clone(), "LUMAPPS_CLIENT_SECRET")?;
    let admin_email = required(args.lumapps_admin_email.clone(), "LUMAPPS_ADMIN_EMAIL")?;
    let at_a_domain = admin_email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if !at_a_domain || admin_email.contains(char::is_whitespace) {
        return Err(invalid(
            "LUMAPPS_ADMIN_EMAIL",
            "must be the e-mail address of a LumApps global administrator",
        ));
    }
    Ok(lumapps::ClientConfig::new(
        base_url,
        organization_id,
        client_id,
        SecretString::from(secret),
        admin_email,
    ))
}

/// Allthenticate publishes no base URL, so it is always configured. The header the key travels
/// in is not documented either: `Authorization` (as `Bearer <key>`) unless
/// `ALLTHENTICATE_API_KEY_HEADER` names another, which then carries the bare key. Whether a group
/// may grant SUPER is `allow_super_rank` of the file's `[allthenticate]` table, which
/// `ALLTHENTICATE_ALLOW_SUPER_RANK` overrides when set.
fn allthenticate_settings(
    args: &ServeArgs,
    file: &FileConfig,
) -> Result<AllthenticateSettings, ConfigError> {
    let base_url = required(
        args.allthenticate_base_url.clone(),
        "ALLTHENTICATE_BASE_URL",
    )?;
    http_url(&base_url, "ALLTHENTICATE_BASE_URL")?;
    let key = secret_value(args.allthenticate_api_key.clone(), "ALLTHENTICATE_API_KEY")?;
    let mut client = allthenticate::ClientConfig::new(base_url, SecretString::from(key));
    if let Some(header) = args
        .allthenticate_api_key_header
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(invalid(
                "ALLTHENTICATE_API_KEY_HEADER",
                format!("'{header}' is not an HTTP header name"),
            ));
        }
        client = client.key_header(header);
    }
    Ok(AllthenticateSettings {
        client,
        options: allthenticate::TargetOptions {
            invite_without_email: args.allthenticate_invite_without_email,
            allow_super_rank: args
                .allthenticate_allow_super_rank
                .unwrap_or(file.allthenticate.allow_super_rank),
        },
    })
}

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
            err.contains("'code42'")
                && err.contains("[possible values: falcon, incydr, lumapps, allthenticate]"),
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

    const LUMAPPS_SECRET: &str = "lumapps-secret-0123456789abcdefghijklmnop";

    /// `args()` switched to LumApps: LumApps' variables set, Falcon's left out.
    fn lumapps_args() -> ServeArgs {
        ServeArgs {
            bridge_target: TargetKind::Lumapps,
            lumapps_base_url: Some("https://go-cell-001.api.lumapps.com/".into()),
            lumapps_organization_id: Some("4664706704539648".into()),
            lumapps_client_id: Some("app-0123".into()),
            lumapps_client_secret: Some(LUMAPPS_SECRET.into()),
            lumapps_admin_email: Some("admin@corp.example".into()),
            falcon_client_id: None,
            falcon_client_secret: None,
            ..args()
        }
    }

    #[test]
    fn bridge_target_lumapps_is_accepted_in_any_case() {
        let parse = |argv: &[&str]| Cli::try_parse_from(argv).map(|c| c.serve.bridge_target);
        assert_eq!(
            parse(&["bridge", "--bridge-target", "lumapps"]).unwrap(),
            TargetKind::Lumapps
        );
        assert_eq!(
            parse(&["bridge", "--bridge-target", "LumApps"]).unwrap(),
            TargetKind::Lumapps
        );
    }

    #[test]
    fn lumapps_settings_load_without_any_falcon_variable() {
        let core = CoreSettings::from_args(&lumapps_args()).unwrap();
        let TargetSettings::Lumapps(cfg) = &core.target else {
            panic!("{:?}", core.target);
        };
        assert_eq!(cfg.base_url, "https://go-cell-001.api.lumapps.com");
        assert_eq!(cfg.organization_id, "4664706704539648");
        assert_eq!(cfg.client_id, "app-0123");
        assert_eq!(cfg.client_secret.expose_secret(), LUMAPPS_SECRET);
        assert_eq!(cfg.admin_email, "admin@corp.example");
        assert_eq!(core.target.kind(), TargetKind::Lumapps);
        assert_eq!(
            core.target.base_url(),
            "https://go-cell-001.api.lumapps.com"
        );
    }

    #[test]
    fn each_missing_or_wrong_lumapps_variable_is_named() {
        let cases: Vec<(ServeArgs, &str)> = vec![
            (
                ServeArgs {
                    lumapps_base_url: None,
                    ..lumapps_args()
                },
                "LUMAPPS_BASE_URL: required but not set",
            ),
            (
                ServeArgs {
                    lumapps_base_url: Some("go-cell-001.api.lumapps.com".into()),
                    ..lumapps_args()
                },
                "LUMAPPS_BASE_URL: not a URL",
            ),
            (
                ServeArgs {
                    lumapps_base_url: Some("ftp://go-cell-001.api.lumapps.com".into()),
                    ..lumapps_args()
                },
                "LUMAPPS_BASE_URL: must be an http:// or https:// URL",
            ),
            (
                ServeArgs {
                    lumapps_organization_id: None,
                    ..lumapps_args()
                },
                "LUMAPPS_ORGANIZATION_ID: required but not set",
            ),
            (
                ServeArgs {
                    lumapps_organization_id: Some("4664/706".into()),
                    ..lumapps_args()
                },
                "LUMAPPS_ORGANIZATION_ID: must be the organisation id alone",
            ),
            (
                ServeArgs {
                    lumapps_client_id: Some("  ".into()),
                    ..lumapps_args()
                },
                "LUMAPPS_CLIENT_ID: required but not set",
            ),
            (
                ServeArgs {
                    lumapps_client_secret: None,
                    ..lumapps_args()
                },
                "LUMAPPS_CLIENT_SECRET: required but not set (set LUMAPPS_CLIENT_SECRET or \
                 LUMAPPS_CLIENT_SECRET_FILE)",
            ),
            (
                ServeArgs {
                    lumapps_admin_email: None,
                    ..lumapps_args()
                },
                "LUMAPPS_ADMIN_EMAIL: required but not set",
            ),
            (
                ServeArgs {
                    lumapps_admin_email: Some("admin".into()),
                    ..lumapps_args()
                },
                "LUMAPPS_ADMIN_EMAIL: must be the e-mail address of a LumApps global administrator",
            ),
        ];
        for (a, expected) in cases {
            let err = CoreSettings::from_args(&a).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err} should start with {expected}"
            );
            assert!(!err.contains(LUMAPPS_SECRET), "no secret in {err}");
        }
    }

    #[test]
    fn the_lumapps_secret_never_appears_in_debug_output() {
        let s = Settings::from_args(&lumapps_args()).unwrap();
        let text = format!("{s:?}");
        assert!(text.contains("go-cell-001.api.lumapps.com"), "{text}");
        assert!(!text.contains(LUMAPPS_SECRET), "{text}");
        let core = CoreSettings::from_args(&lumapps_args()).unwrap();
        assert!(!format!("{core:?}").contains(LUMAPPS_SECRET));
    }

    const ALLTHENTICATE_KEY: &str = "allthenticate-key-0123456789abcdefghijklmnop";

    /// `args()` switched to Allthenticate: its variables set, Falcon's left out.
    fn allthenticate_args() -> ServeArgs {
        ServeArgs {
            bridge_target: TargetKind::Allthenticate,
            allthenticate_base_url: Some("https://api.allthenticate.example/".into()),
            allthenticate_api_key: Some(ALLTHENTICATE_KEY.into()),
            falcon_client_id: None,
            falcon_client_secret: None,
            ..args()
        }
    }

    fn allthenticate_of(core: &CoreSettings) -> &AllthenticateSettings {
        match &core.target {
            TargetSettings::Allthenticate(cfg) => cfg,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bridge_target_allthenticate_is_accepted_in_any_case() {
        let parse = |argv: &[&str]| Cli::try_parse_from(argv).map(|c| c.serve.bridge_target);
        for spelling in ["allthenticate", "Allthenticate", "ALLTHENTICATE"] {
            assert_eq!(
                parse(&["bridge", "--bridge-target", spelling]).unwrap(),
                TargetKind::Allthenticate
            );
        }
    }

    #[test]
    fn allthenticate_settings_load_with_their_defaults_and_no_falcon_variable() {
        let core = CoreSettings::from_args(&allthenticate_args()).unwrap();
        let cfg = allthenticate_of(&core);
        assert_eq!(cfg.client.base_url, "https://api.allthenticate.example");
        assert_eq!(cfg.client.api_key.expose_secret(), ALLTHENTICATE_KEY);
        assert_eq!(cfg.client.key_header, "Authorization");
        assert_eq!(
            cfg.options,
            allthenticate::TargetOptions {
                invite_without_email: false,
                allow_super_rank: false,
            }
        );
        assert_eq!(core.target.kind(), TargetKind::Allthenticate);
        assert_eq!(core.target.base_url(), "https://api.allthenticate.example");

        let custom = CoreSettings::from_args(&ServeArgs {
            allthenticate_api_key_header: Some(" X-API-Key ".into()),
            allthenticate_invite_without_email: true,
            allthenticate_allow_super_rank: Some(true),
            ..allthenticate_args()
        })
        .unwrap();
        let cfg = allthenticate_of(&custom);
        assert_eq!(cfg.client.key_header, "X-API-Key");
        assert!(cfg.options.invite_without_email);
        assert!(cfg.options.allow_super_rank);
    }

    #[test]
    fn allow_super_rank_comes_from_the_allthenticate_table_unless_the_variable_says() {
        let dir = std::env::temp_dir().join(format!("fsb-allth-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bridge.toml");
        std::fs::write(
            &file,
            "[groups]\n\"Allthenticate Owners\" = \"SUPER\"\n\n[allthenticate]\nallow_super_rank = true\n",
        )
        .unwrap();
        let with_file = ServeArgs {
            bridge_config: Some(file.clone()),
            ..allthenticate_args()
        };
        let core = CoreSettings::from_args(&with_file).unwrap();
        assert!(allthenticate_of(&core).options.allow_super_rank);
        assert_eq!(core.group_roles["Allthenticate Owners"], ["SUPER"]);
        // The variable, when set, wins over the file.
        let core = CoreSettings::from_args(&ServeArgs {
            allthenticate_allow_super_rank: Some(false),
            ..with_file
        })
        .unwrap();
        assert!(!allthenticate_of(&core).options.allow_super_rank);
        // A typo in the table is an error, as anywhere in the file.
        std::fs::write(&file, "[allthenticate]\nallow_super_ranks = true\n").unwrap();
        let err = CoreSettings::from_args(&ServeArgs {
            bridge_config: Some(file),
            ..allthenticate_args()
        })
        .unwrap_err();
        assert_eq!(err.var, "BRIDGE_CONFIG");
        assert!(err.problem.contains("allow_super_ranks"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn each_missing_or_wrong_allthenticate_variable_is_named() {
        let cases: Vec<(ServeArgs, &str)> = vec![
            (
                ServeArgs {
                    allthenticate_base_url: None,
                    ..allthenticate_args()
                },
                "ALLTHENTICATE_BASE_URL: required but not set",
            ),
            (
                ServeArgs {
                    allthenticate_base_url: Some("api.allthenticate.example".into()),
                    ..allthenticate_args()
                },
                "ALLTHENTICATE_BASE_URL: not a URL",
            ),
            (
                ServeArgs {
                    allthenticate_base_url: Some("ftp://api.allthenticate.example".into()),
                    ..allthenticate_args()
                },
                "ALLTHENTICATE_BASE_URL: must be an http:// or https:// URL",
            ),
            (
                ServeArgs {
                    allthenticate_api_key: Some("   ".into()),
                    ..allthenticate_args()
                },
                "ALLTHENTICATE_API_KEY: required but not set (set ALLTHENTICATE_API_KEY or \
                 ALLTHENTICATE_API_KEY_FILE)",
            ),
            (
                ServeArgs {
                    allthenticate_api_key_header: Some("X API Key".into()),
                    ..allthenticate_args()
                },
                "ALLTHENTICATE_API_KEY_HEADER: 'X API Key' is not an HTTP header name",
            ),
        ];
        for (a, expected) in cases {
            let err = CoreSettings::from_args(&a).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err} should start with {expected}"
            );
            assert!(!err.contains(ALLTHENTICATE_KEY), "no key in {err}");
        }
    }

    #[test]
    fn the_allthenticate_key_never_appears_in_debug_output() {
        let s = Settings::from_args(&allthenticate_args()).unwrap();
        let text = format!("{s:?}");
        assert!(text.contains("api.allthenticate.example"), "{text}");
        assert!(!text.contains(ALLTHENTICATE_KEY), "{text}");
        let core = CoreSettings::from_args(&allthenticate_args()).unwrap();
        assert!(!format!("{core:?}").contains(ALLTHENTICATE_KEY));
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
