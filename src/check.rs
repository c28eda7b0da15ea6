//! `check`: verifies the configuration and access to the target without changing anything, and
//! prints a report an operator can act on. Exit status 1 when a line is `[FAIL]`, 0 otherwise: a
//! `[warn]` line is worth a look (no group mapping, no SCIM credential for `serve`, a permission
//! that cannot be probed) but is no failure. It needs only what it checks: access to the target
//! and the group mapping; the settings only `serve` needs are reported, not required.
//!
//! How access is proven is the target's own (Falcon: the token's region, a read, and a write
//! with `validate_only`; Incydr: the token and a read, as its API has no write that changes
//! nothing; LumApps: the token, that the impersonated administrator can list users and feeds;
//! Allthenticate: that one `/multipleusers` call accepts the key and reads the organisation);
//! the capabilities, the role catalogue and the group mapping are checked the same way for every
//! target whose groups map to roles. A target with groups of its own (LumApps' feeds) has no
//! mapping: a SCIM group adopts the group of its name or creates it.

use std::fmt::Write as _;

use crate::config::{CoreSettings, ServeReadiness, TargetSettings};
use crate::target::{ConfiguredTarget, refuse_super_rank};
use allthenticate::{AllthenticateClient, AllthenticateError, AllthenticateTarget};
use bridge::groups::{GroupMapping, check_mapping};
use falcon::model::CreateUserRequest;
use falcon::{FalconClient, FalconError};
use incydr::{IncydrClient, IncydrError, IncydrTarget};
use lumapps::{LumAppsClient, LumAppsError, LumAppsTarget};
use target_api::{Capabilities, Entitlement, EntitlementModel, Target};

/// Login used for the write-scope probe; `validate_only` creates nothing.
const PROBE_LOGIN: &str = "falcon-scim-bridge-check@example.invalid";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub verdict: Verdict,
    pub what: String,
    pub detail: String,
}

#[derive(Debug)]
pub struct Report {
    /// The target's product name, for the verdict.
    pub product: &'static str,
    pub lines: Vec<Line>,
}

impl Report {
    pub fn new(product: &'static str) -> Self {
        Self {
            product,
            lines: Vec::new(),
        }
    }

    fn push(&mut self, verdict: Verdict, what: &str, detail: impl Into<String>) {
        self.lines.push(Line {
            verdict,
            what: what.to_owned(),
            detail: detail.into(),
        });
    }

    pub fn passed(&self) -> bool {
        !self.lines.iter().any(|l| l.verdict == Verdict::Fail)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            let tag = match l.verdict {
                Verdict::Ok => "ok  ",
                Verdict::Warn => "warn",
                Verdict::Fail => "FAIL",
            };
            let _ = writeln!(out, "[{tag}] {}: {}", l.what, l.detail);
        }
        let warnings = self
            .lines
            .iter()
            .filter(|l| l.verdict == Verdict::Warn)
            .count();
        let product = self.product;
        let _ = match (self.passed(), warnings) {
            (false, _) => writeln!(out, "verdict: NOT ready; fix the FAIL lines above"),
            (true, 0) => writeln!(
                out,
                "verdict: all checks passed; the bridge can provision this {product} tenant"
            ),
            (true, n) => writeln!(
                out,
                "verdict: all checks passed; the bridge can provision this {product} tenant \
                 ({n} warning{} above: worth a look, not a failure)",
                if n == 1 { "" } else { "s" }
            ),
        };
        out
    }
}

/// Runs every check against the target; `serve` is what the settings only `serve` needs came
/// to.
pub async fn run(settings: &CoreSettings, serve: &ServeReadiness) -> Report {
    let product = settings.target.kind().naming().product;
    let mut report = Report::new(product);
    report.push(
        Verdict::Ok,
        "configuration",
        format!(
            "{product} API at {}, store {}",
            settings.target.base_url(),
            bridge::store::redacted(&settings.database_url)
        ),
    );
    match serve {
        ServeReadiness::Ready(s) => report.push(
            Verdict::Ok,
            "SCIM endpoint",
            format!(
                "{} credential(s), {} on {}",
                s.tenants
                    .iter()
                    .find(|t| t.core.tenant == settings.tenant)
                    .map_or(0, |t| t.credentials.len()),
                if s.security.tls.is_some() {
                    "HTTPS"
                } else {
                    "HTTP"
                },
                s.listen
            ),
        ),
        ServeReadiness::NoCredentials => report.push(
            Verdict::Warn,
            "SCIM endpoint",
            "no SCIM credential (SCIM_BEARER_TOKENS, or [[credentials]] in BRIDGE_CONFIG): \
             'serve' needs one; 'check' and 'reconcile' do not",
        ),
        ServeReadiness::Invalid(e) => report.push(
            Verdict::Fail,
            "SCIM endpoint",
            format!("{e} ('serve' would stop at start)"),
        ),
    }
    let target = match &settings.target {
        TargetSettings::Falcon(cfg) => falcon_access(&mut report, cfg)
            .await
            .map(ConfiguredTarget::Falcon),
        TargetSettings::Incydr(cfg) => incydr_access(&mut report, cfg)
            .await
            .map(ConfiguredTarget::Incydr),
        TargetSettings::Lumapps(cfg) => lumapps_access(&mut report, cfg)
            .await
            .map(ConfiguredTarget::Lumapps),
        TargetSettings::Allthenticate(cfg) => allthenticate_access(&mut report, cfg)
            .await
            .map(ConfiguredTarget::Allthenticate),
    };
    if let Some(target) = target {
        if matches!(
            target.capabilities().entitlements,
            EntitlementModel::GroupMembership
        ) {
            native_groups(&mut report, &target, settings);
        } else {
            roles_and_mapping(&mut report, &target, settings).await;
        }
    }
    if let TargetSettings::Allthenticate(cfg) = &settings.target {
        rank_rule(&mut report, cfg, settings);
    }
    report
}

/// Falcon's token (and region), read scope and write scope; the client when a token came.
async fn falcon_access(report: &mut Report, cfg: &falcon::ClientConfig) -> Option<FalconClient> {
    let client = match FalconClient::new(cfg.clone()) {
        Ok(c) => c,
        Err(e) => {
            report.push(Verdict::Fail, "Falcon client", e.to_string());
            return None;
        }
    };
    match client.authenticate().await {
        Ok(()) => {
            let region = cfg
                .expected_region
                .map(|r| format!(", region {r} confirmed"))
                .unwrap_or_default();
            report.push(Verdict::Ok, "Falcon token", format!("obtained{region}"));
        }
        Err(e) => {
            report.push(Verdict::Fail, "Falcon token", e.to_string());
            return None;
        }
    }
    match client.query_user_ids(None).await {
        Ok(ids) => report.push(
            Verdict::Ok,
            "read scope",
            format!("{} Falcon users visible", ids.len()),
        ),
        Err(e) => report.push(Verdict::Fail, "read scope", e.to_string()),
    }
    let probe = CreateUserRequest {
        uid: PROBE_LOGIN.to_owned(),
        first_name: "Check".to_owned(),
        last_name: "Probe".to_owned(),
        ..Default::default()
    };
    match client.create_user(&probe, true).await {
        Ok(_) => report.push(
            Verdict::Ok,
            "write scope",
            "createUserV1 with validate_only accepted (nothing created)",
        ),
        // Falcon judged the request itself (e.g. the probe's domain): the scope let it through.
        Err(FalconError::Rejected(f)) if f.status == 400 => report.push(
            Verdict::Ok,
            "write scope",
            format!(
                "createUserV1 with validate_only reached validation ({})",
                f.message
            ),
        ),
        Err(e) => report.push(Verdict::Fail, "write scope", e.to_string()),
    }
    Some(client)
}

/// Incydr's token and read access; the target when a token came. Incydr grants permissions by
/// the API client's role, not by scopes, and has no write that changes nothing, so write access
/// is said to be unproven rather than probed on a real user.
async fn incydr_access(report: &mut Report, cfg: &incydr::ClientConfig) -> Option<IncydrTarget> {
    let client = match IncydrClient::new(cfg.clone()) {
        Ok(c) => c,
        Err(e) => {
            report.push(Verdict::Fail, "Incydr client", e.to_string());
            return None;
        }
    };
    match client.authenticate().await {
        Ok(()) => report.push(
            Verdict::Ok,
            "Incydr token",
            format!("obtained for API client {}", cfg.client_id),
        ),
        Err(e @ IncydrError::Authentication { .. }) => {
            report.push(
                Verdict::Fail,
                "Incydr token",
                format!("{e} (INCYDR_CLIENT_ID, INCYDR_CLIENT_SECRET)"),
            );
            return None;
        }
        Err(e) => {
            report.push(Verdict::Fail, "Incydr token", e.to_string());
            return None;
        }
    }
    match client.list_users().await {
        Ok(users) => report.push(
            Verdict::Ok,
            "read access",
            format!("{} Incydr users visible", users.len()),
        ),
        Err(e) => report.push(Verdict::Fail, "read access", e.to_string()),
    }
    report.push(
        Verdict::Warn,
        "write access",
        "not probed: Incydr's API has no dry run, and a probe would change a real user. The \
         role catalogue below lists only the roles this API client may assign; whether it may \
         change roles and deactivate users shows at the first change (an error to the IdP, and \
         in the audit log)",
    );
    Some(IncydrTarget::new(client))
}

/// LumApps' token, and that the administrator it impersonates can list users and feeds; the
/// target when a token came. Like Incydr, LumApps has no write that changes nothing, so write
/// access (the administrator being a global administrator) is said to be unproven.
async fn lumapps_access(report: &mut Report, cfg: &lumapps::ClientConfig) -> Option<LumAppsTarget> {
    let client = match LumAppsClient::new(cfg.clone()) {
        Ok(c) => c,
        Err(e) => {
            report.push(Verdict::Fail, "LumApps client", e.to_string());
            return None;
        }
    };
    match client.authenticate().await {
        Ok(()) => report.push(
            Verdict::Ok,
            "LumApps token",
            format!(
                "obtained for application {}, impersonating {}",
                cfg.client_id, cfg.admin_email
            ),
        ),
        Err(e @ LumAppsError::Unauthorized { .. }) => {
            report.push(
                Verdict::Fail,
                "LumApps token",
                format!(
                    "{e} (LUMAPPS_ORGANIZATION_ID, LUMAPPS_CLIENT_ID, LUMAPPS_CLIENT_SECRET, \
                     LUMAPPS_ADMIN_EMAIL)"
                ),
            );
            return None;
        }
        Err(e) => {
            report.push(Verdict::Fail, "LumApps token", e.to_string());
            return None;
        }
    }
    match client.list_users().await {
        Ok(users) => report.push(
            Verdict::Ok,
            "user list",
            format!(
                "{} LumApps users visible to {}",
                users.len(),
                cfg.admin_email
            ),
        ),
        Err(e) => report.push(Verdict::Fail, "user list", e.to_string()),
    }
    match client.list_feeds().await {
        Ok(feeds) if feeds.is_empty() => report.push(
            Verdict::Ok,
            "feed list",
            "no feeds yet: each SCIM group will create its own",
        ),
        Ok(feeds) => {
            let names: Vec<String> = feeds
                .iter()
                .map(|f| format!("'{}'", f.name.as_deref().unwrap_or_default()))
                .collect();
            report.push(
                Verdict::Ok,
                "feed list",
                format!(
                    "{} feeds (a SCIM group of the same name adopts its feed): {}",
                    feeds.len(),
                    names.join(", ")
                ),
            );
        }
        Err(e) => report.push(Verdict::Fail, "feed list", e.to_string()),
    }
    report.push(
        Verdict::Warn,
        "write access",
        format!(
            "not probed: LumApps' API has no dry run, and a probe would change a real user. \
             Writes need {} to be a global administrator; a missing right shows at the first \
             change (an error to the IdP, and in the audit log)",
            cfg.admin_email
        ),
    );
    Some(LumAppsTarget::new(client))
}

/// Allthenticate's key and read access, both proven by one `/multipleusers` (the whole
/// organisation, there being no paging); the target when the key was accepted. Its API has no
/// write that changes nothing, so write access is said to be unproven.
async fn allthenticate_access(
    report: &mut Report,
    cfg: &crate::config::AllthenticateSettings,
) -> Option<AllthenticateTarget> {
    let client = match AllthenticateClient::new(cfg.client.clone()) {
        Ok(c) => c,
        Err(e) => {
            report.push(Verdict::Fail, "Allthenticate client", e.to_string());
            return None;
        }
    };
    let header = &cfg.client.key_header;
    let sent_as = if header.eq_ignore_ascii_case("Authorization") {
        format!("{header}: Bearer")
    } else {
        header.clone()
    };
    match client.list_users().await {
        Ok(users) => {
            report.push(
                Verdict::Ok,
                "Allthenticate API key",
                format!("accepted (sent in {sent_as})"),
            );
            report.push(
                Verdict::Ok,
                "read access",
                format!("{} Allthenticate users visible", users.len()),
            );
        }
        Err(e @ AllthenticateError::Unauthorized { .. }) => {
            report.push(
                Verdict::Fail,
                "Allthenticate API key",
                format!(
                    "{e} (sent in {sent_as}; ALLTHENTICATE_API_KEY, ALLTHENTICATE_API_KEY_HEADER; \
                     a key may have expired in the admin portal)"
                ),
            );
            return None;
        }
        Err(e) => {
            report.push(Verdict::Fail, "read access", e.to_string());
            return None;
        }
    }
    report.push(
        Verdict::Warn,
        "write access",
        "not probed: Allthenticate's API has no dry run, and a probe would change a real user. \
         Whether the key may invite, suspend and change ranks shows at the first change (an \
         error to the IdP, and in the audit log)",
    );
    Some(AllthenticateTarget::new(client, cfg.options))
}

/// How groups become ranks, and whether a group may grant SUPER: a mapping to SUPER without
/// `allow_super_rank` stops `serve` at start, so it fails here too.
fn rank_rule(
    report: &mut Report,
    cfg: &crate::config::AllthenticateSettings,
    settings: &CoreSettings,
) {
    if let Err(refused) = refuse_super_rank(
        &settings.target,
        &settings.group_roles,
        &settings.policy.direct_roles,
    ) {
        report.push(
            Verdict::Fail,
            "rank mapping",
            format!("{refused} ('serve' would stop at start)"),
        );
        return;
    }
    let super_rank = if cfg.options.allow_super_rank {
        "a group may grant SUPER (allow_super_rank)"
    } else {
        "no group may grant SUPER (allow_super_rank is off)"
    };
    let invites = if cfg.options.invite_without_email {
        "invited without Allthenticate's e-mail"
    } else {
        "invited by Allthenticate's e-mail"
    };
    report.push(
        Verdict::Ok,
        "rank mapping",
        format!(
            "a user gets the highest rank its groups map, REGULAR when none (a rank no group \
             maps, given by hand, stays); {super_rank}; new users are {invites}"
        ),
    );
}

/// Groups of the target's own (LumApps' feeds): no role catalogue to check and no mapping to
/// resolve, as a SCIM group adopts the target group of its name or creates it. A `[groups]`
/// mapping left in the configuration does nothing, which the operator should know.
fn native_groups(report: &mut Report, target: &ConfiguredTarget, settings: &CoreSettings) {
    let naming = target.capabilities().naming;
    report.push(Verdict::Ok, "capabilities", describe(target.capabilities()));
    if !settings.policy.direct_roles.is_off() {
        direct_roles(report, target, settings, &[]);
    }
    if !settings.group_roles.is_empty() {
        let names: Vec<String> = settings
            .group_roles
            .keys()
            .map(|g| format!("'{g}'"))
            .collect();
        report.push(
            Verdict::Warn,
            "group mapping",
            format!(
                "[groups] ({}) is ignored for {}: a SCIM group is the {} {} of the same name, \
                 adopted or created",
                names.join(", "),
                naming.product,
                naming.product,
                naming.entitlement
            ),
        );
    }
}

/// The capabilities, the role catalogue and the group mapping against it: the same for every
/// target whose groups map to roles.
async fn roles_and_mapping(
    report: &mut Report,
    target: &ConfiguredTarget,
    settings: &CoreSettings,
) {
    let naming = target.capabilities().naming;
    report.push(Verdict::Ok, "capabilities", describe(target.capabilities()));
    // Falcon's and Incydr's "role catalogue", Allthenticate's "rank catalogue".
    let catalogue_line = format!("{} catalogue", naming.entitlement);
    let catalogue: Vec<Entitlement> = match target.entitlement_catalogue().await {
        Ok(roles) => {
            let ids: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
            report.push(
                Verdict::Ok,
                &catalogue_line,
                format!(
                    "{} {}s: {}",
                    roles.len(),
                    naming.entitlement,
                    ids.join(", ")
                ),
            );
            roles
        }
        Err(e) => {
            report.push(Verdict::Fail, &catalogue_line, e.to_string());
            return;
        }
    };
    let mapping = match GroupMapping::new(&settings.group_roles, settings.refuse_unmapped_groups) {
        Ok(mapping) => mapping,
        Err(e) => {
            report.push(Verdict::Fail, "group mapping", e.to_string());
            return;
        }
    };
    let problems = check_mapping(&mapping, &catalogue, naming);
    for p in &problems {
        report.push(Verdict::Fail, "group mapping", p.to_string());
    }
    for group in settings.group_roles.keys() {
        if problems.iter().any(|p| &p.group == group) {
            continue;
        }
        // Display names are shown as the ids they resolve to: what the target will be sent.
        let ids: Vec<String> = mapping
            .resolve(group, &catalogue)
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect();
        report.push(
            Verdict::Ok,
            "group mapping",
            format!("'{group}' -> {}", ids.join(", ")),
        );
    }
    if settings.group_roles.is_empty() {
        report.push(
            Verdict::Warn,
            "group mapping",
            format!(
                "no [groups] in the configuration: only groups named after a {} {} get {}s",
                naming.product, naming.entitlement, naming.entitlement
            ),
        );
    }
    direct_roles(report, target, settings, &catalogue);
}

/// The roles open to direct assignment (`assignable_roles`, `[role_aliases]`), which `/Roles`
/// publishes.
fn direct_roles(
    report: &mut Report,
    target: &ConfiguredTarget,
    settings: &CoreSettings,
    catalogue: &[Entitlement],
) {
    const LINE: &str = "direct roles";
    let caps = target.capabilities();
    let noun = caps.naming.entitlement;
    match settings
        .policy
        .direct_roles
        .resolve(catalogue, &caps.entitlements, caps.naming)
    {
        Err(problems) => {
            for p in problems {
                report.push(Verdict::Fail, LINE, p.to_string());
            }
        }
        Ok(open) if open.roles.is_empty() => report.push(
            Verdict::Ok,
            LINE,
            format!(
                "none: {noun}s come only from groups (assignable_roles opens some to direct                  assignment and /Roles)"
            ),
        ),
        Ok(open) => {
            let ids: Vec<&str> = open.roles.iter().map(|r| r.id.as_str()).collect();
            report.push(
                Verdict::Ok,
                LINE,
                format!(
                    "{} {noun}s open to direct assignment (published by /Roles): {}",
                    ids.len(),
                    ids.join(", ")
                ),
            );
            for (alias, id) in &open.aliases {
                report.push(Verdict::Ok, LINE, format!("alias '{alias}' -> {id}"));
            }
        }
    }
}

/// One line on what the target can do, so that an operator knows what `active:false`, DELETE
/// and a group push will do before the IdP sends them.
fn describe(caps: &Capabilities) -> String {
    use target_api::{CreateMode, DeactivateMode, DeleteMode, EntitlementModel};
    let product = caps.naming.product;
    let create = match caps.create {
        CreateMode::Direct => "POST /Users creates the user",
        CreateMode::Invite => "POST /Users invites the user",
        CreateMode::AdoptOnly => "POST /Users only adopts existing users",
    };
    let deactivate = match caps.deactivate {
        DeactivateMode::Emulated => {
            "active:false revokes every role and deletes the user (re-created on active:true)"
        }
        DeactivateMode::Native | DeactivateMode::Field | DeactivateMode::Toggle => {
            "active:false deactivates the user"
        }
    };
    let delete = match caps.delete {
        DeleteMode::Hard => "DELETE removes the user for good",
        DeleteMode::RemoveFromOrg => "DELETE removes the user from the organisation",
        DeleteMode::None => "DELETE deactivates the user",
    };
    let groups = match &caps.entitlements {
        EntitlementModel::RoleSet { replace_all, .. } => {
            if *replace_all {
                "groups map to roles, set as a whole"
            } else {
                "groups map to roles, granted and revoked one by one"
            }
        }
        EntitlementModel::SingleRank { .. } => "groups map to one rank per user",
        EntitlementModel::GroupMembership => "groups are the target's own groups",
    };
    let names = if caps.profile.names {
        "names writable"
    } else {
        "names read-only"
    };
    format!("{product}: {create}; {deactivate}; {delete}; {groups}; {names}")
}
