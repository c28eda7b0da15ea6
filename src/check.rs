//! `check`: verifies the configuration and Falcon access without changing anything, and prints
//! a report an operator can act on. Exit status 0 only when every line is OK.

use std::fmt::Write as _;

use crate::config::Settings;
use bridge::groups::{GroupMapping, check_mapping};
use falcon::model::CreateUserRequest;
use falcon::{FalconClient, FalconError};
use target_api::{Capabilities, Entitlement, Target};

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

#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<Line>,
}

impl Report {
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
        let verdict = if self.passed() {
            "verdict: all checks passed; the bridge can provision this Falcon tenant"
        } else {
            "verdict: NOT ready; fix the FAIL lines above"
        };
        let _ = writeln!(out, "{verdict}");
        out
    }
}

/// Runs every check against Falcon.
pub async fn run(settings: &Settings) -> Report {
    let mut report = Report::default();
    report.push(
        Verdict::Ok,
        "configuration",
        format!(
            "Falcon API at {}, {} SCIM credential(s), store {}",
            settings.falcon.base_url,
            settings.credential_specs().len(),
            settings.database_url
        ),
    );
    let client = match FalconClient::new(settings.falcon.clone()) {
        Ok(c) => c,
        Err(e) => {
            report.push(Verdict::Fail, "Falcon client", e.to_string());
            return report;
        }
    };
    match client.authenticate().await {
        Ok(()) => {
            let region = settings
                .falcon
                .expected_region
                .map(|r| format!(", region {r} confirmed"))
                .unwrap_or_default();
            report.push(Verdict::Ok, "Falcon token", format!("obtained{region}"));
        }
        Err(e) => {
            report.push(Verdict::Fail, "Falcon token", e.to_string());
            return report;
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
    report.push(Verdict::Ok, "capabilities", describe(client.capabilities()));
    let catalogue: Vec<Entitlement> = match client.entitlement_catalogue().await {
        Ok(roles) => {
            let ids: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
            report.push(
                Verdict::Ok,
                "role catalogue",
                format!("{} roles: {}", roles.len(), ids.join(", ")),
            );
            roles
        }
        Err(e) => {
            report.push(Verdict::Fail, "role catalogue", e.to_string());
            return report;
        }
    };
    let mapping = match GroupMapping::new(&settings.group_roles, settings.refuse_unmapped_groups) {
        Ok(mapping) => mapping,
        Err(e) => {
            report.push(Verdict::Fail, "group mapping", e.to_string());
            return report;
        }
    };
    let problems = check_mapping(&mapping, &catalogue, client.capabilities().naming);
    for p in &problems {
        report.push(Verdict::Fail, "group mapping", p.to_string());
    }
    for (group, roles) in &settings.group_roles {
        if roles
            .iter()
            .all(|r| catalogue.iter().any(|c| c.id.as_str() == r.trim()))
        {
            report.push(
                Verdict::Ok,
                "group mapping",
                format!("'{group}' -> {}", roles.join(", ")),
            );
        }
    }
    if settings.group_roles.is_empty() {
        report.push(
            Verdict::Warn,
            "group mapping",
            "no [groups] in the configuration: only groups named after a Falcon role get roles",
        );
    }
    report
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
