//! The pieces of the `/_sim/` HTTP test controls that every simulator answers the same way:
//! plain JSON (`{"error": "..."}` with 400 on a body that does not parse) because no target
//! client reads them, and the fault control, whose body only differs by the simulator's fault
//! wire form. The routers themselves stay with each simulator: their controls differ.

use axum::Json;
use axum::http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::faults::ArmFault;

/// What a control handler answers.
pub type Answer = (StatusCode, Json<Value>);

pub fn failure(status: StatusCode, message: impl std::fmt::Display) -> Answer {
    (status, Json(json!({ "error": message.to_string() })))
}

/// The JSON body as `T`, or the 400 that says why not.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Answer> {
    serde_json::from_slice(body).map_err(|e| failure(StatusCode::BAD_REQUEST, e))
}

/// `POST /_sim/faults`: hands the parsed [`ArmFault`] (its fault in the simulator's wire form
/// `S`) to `arm` as route, method, fault and times, and answers 201 `{"armed": times}`; a body
/// that did not parse keeps its answer. Parsing stays with the caller because simulators read
/// bodies differently (Allthenticate's empty body is `{}`).
pub fn arm_fault<S>(
    request: Result<ArmFault<S>, Answer>,
    arm: impl FnOnce(&str, Option<&str>, S, u32),
) -> Answer {
    match request {
        Err(answer) => answer,
        Ok(req) => {
            arm(&req.route, req.method.as_deref(), req.fault, req.times);
            (StatusCode::CREATED, Json(json!({ "armed": req.times })))
        }
    }
}

/// `GET /_sim/calls`: the counters as they serialize.
pub fn calls(counts: &impl Serialize) -> Answer {
    (
        StatusCode::OK,
        Json(serde_json::to_value(counts).unwrap_or_default()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::{Fault, FaultSpec};

    #[test]
    fn a_fault_is_armed_from_its_body_or_the_body_is_refused() {
        let mut armed = None;
        let (status, Json(body)) = arm_fault(
            parse(br#"{"route":"/a","method":"POST","fault":{"status":503},"times":2}"#),
            |route: &str, method: Option<&str>, spec: FaultSpec<Option<u64>>, times| {
                armed = Some((
                    route.to_owned(),
                    method.map(str::to_owned),
                    Fault::from(spec),
                    times,
                ));
            },
        );
        assert_eq!((status, body), (StatusCode::CREATED, json!({ "armed": 2 })));
        assert_eq!(
            armed,
            Some(("/a".into(), Some("POST".into()), Fault::Status(503), 2))
        );
        let (status, Json(body)) = arm_fault(
            parse(br#"{"route":"/a"}"#),
            |_, _, _: FaultSpec<u64>, _| unreachable!(),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"].as_str().is_some_and(|e| e.contains("fault")));
    }
}
