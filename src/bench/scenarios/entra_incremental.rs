//! Scenario 3, an Entra incremental cycle: PATCHes in Entra's shape (capitalised ops, string
//! booleans) that rename users, deactivate members of a group and reactivate them. Each phase
//! is measured on its own, since each kind of change has its own Falcon call budget.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Env, Measured, no_429, push_groups, push_users, report};
use crate::bench::driver::{Tally, run_concurrently};
use crate::bench::measure::FalconCalls;
use crate::bench::report::{Check, ScenarioReport};
use crate::bench::{BenchArgs, BenchError};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn entra_patch(ops: Value) -> Value {
    json!({"schemas":[PATCH_OP],"Operations": ops})
}

/// One phase of PATCHes: `(id, body)` pairs at `concurrency`.
async fn patch_phase(
    env: &Env,
    patches: Vec<(String, Value)>,
    concurrency: usize,
) -> (Tally, Duration, FalconCalls) {
    FalconCalls::start(&env.sim.sim);
    let idp = &env.idp;
    let (tally, _, wall) = run_concurrently(patches, concurrency, |(id, body)| async move {
        let answer = idp.patch(&format!("/Users/{id}"), &body, 200).await;
        (vec![answer.sample], ())
    })
    .await;
    (tally, wall, FalconCalls::read(&env.sim.sim))
}

/// Scenario 3: an Entra incremental cycle of PATCHes: name changes, deactivations, and
/// reactivations of users who are members of a group.
pub async fn entra_incremental(args: &BenchArgs) -> Result<ScenarioReport, BenchError> {
    let renames = args.patches / 2;
    let toggles = (args.patches - renames) / 2;
    let c = args.patch_concurrency;
    let env = Env::start(args, 0, c).await?;

    // Set-up (not measured): the users, and a group holding those that will be toggled.
    let (_, ids, _) = push_users(&env.idp, "entra", renames + toggles, c, true).await?;
    let toggled: Vec<String> = ids[renames..].to_vec();
    if !toggled.is_empty() {
        let (setup, _, _) = push_groups(&env.idp, &toggled, 1, toggled.len(), 1).await;
        if setup.errors + setup.idp_429s > 0 {
            return Err(BenchError::Unexpected(
                "the set-up group push failed".into(),
            ));
        }
    }

    let rename_bodies = ids[..renames]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let ops = json!([
                {"op":"Replace","path":"name.givenName","value":format!("Renamed{i}")},
                {"op":"Replace","path":"displayName","value":format!("Renamed{i} User")}
            ]);
            (id.clone(), entra_patch(ops))
        })
        .collect();
    let active = |value: &str| entra_patch(json!([{"op":"Replace","path":"active","value":value}]));
    let deactivations = toggled
        .iter()
        .map(|id| (id.clone(), active("False")))
        .collect();
    let reactivations = toggled
        .iter()
        .map(|id| (id.clone(), active("True")))
        .collect();

    let (mut tally, mut wall, rename_calls) = patch_phase(&env, rename_bodies, c).await;
    let (t, w, deactivation_calls) = patch_phase(&env, deactivations, c).await;
    tally.merge(t);
    wall += w;
    let (t, w, reactivation_calls) = patch_phase(&env, reactivations, c).await;
    tally.merge(t);
    wall += w;

    let checks = vec![
        Check::equals(
            "Falcon calls per name change",
            rename_calls.per(renames as u64),
            "",
            1.0,
        ),
        Check::at_most(
            "Falcon calls per deactivation",
            deactivation_calls.per(toggles as u64),
            "",
            3.0,
        ),
        Check::equals(
            "Falcon calls per reactivation with groups",
            reactivation_calls.per(toggles as u64),
            "",
            2.0,
        ),
        no_429(&tally),
    ];
    let falcon = rename_calls
        .plus(&deactivation_calls)
        .plus(&reactivation_calls);
    let rss = env.finish().await?;
    Ok(report(
        3,
        "Entra incremental cycle",
        format!(
            "{renames} name changes, then {toggles} deactivations and {toggles} reactivations \
             (of members of a group); PATCH at concurrency {c}"
        ),
        Measured {
            tally,
            wall,
            falcon,
        },
        rss,
        checks,
    ))
}
