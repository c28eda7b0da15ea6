//! `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` (RFC 7643 §5–7), with Okta's Role
//! resource type for the roles `/Roles` serves.
//!
//! They describe what the bridge really does: PATCH and ETags yes, bulk and password change no,
//! filtering and sorting with a page limit, bearer-token authentication; and only the attributes
//! the bridge keeps. Entra reads `/Schemas` when provisioning is saved, so it is a ListResponse
//! with no nulls.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::ScimState;
use super::backend::{Attribute, Description, GroupBackend, RoleBackend, UserBackend};
use super::error::ScimError;
use super::group::GROUP_SCHEMA;
use super::request::{base_url, list_response, scim_json};
use super::role::ROLE_SCHEMA;
use super::user::USER_SCHEMA;

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

type St<B> = State<Arc<ScimState<B>>>;

pub(crate) fn routes<B: UserBackend + GroupBackend + RoleBackend>() -> Router<Arc<ScimState<B>>> {
    Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config::<B>))
        .route("/ResourceTypes", get(resource_types::<B>))
        .route("/ResourceTypes/{name}", get(resource_type::<B>))
        .route("/Schemas", get(schemas::<B>))
        .route("/Schemas/{id}", get(schema::<B>))
}

async fn service_provider_config<B: RoleBackend>(State(st): St<B>, headers: HeaderMap) -> Response {
    let base = base_url(&st.settings, &headers);
    let mut body = json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/falcon-scim-bridge/falcon-scim-bridge#readme",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": st.settings.limits.max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authorization: Bearer with a static token or a JWT of a configured credential",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    });
    if let Some(single) = roles_of(st.backend.as_ref()) {
        // draft-ietf-scim-roles-entitlements; no IdP reads it yet (Okta reads /ResourceTypes).
        // Left out while nothing is open, for strict clients that know only RFC 7643's keys.
        body["roles"] = json!({
            "supported": true,
            "multipleRolesSupported": !single,
            "primarySupported": true,
            "typeSupported": false,
        });
    }
    scim_json(StatusCode::OK, &body)
}

/// The resource types; `roles`: whether some role is open to direct assignment.
fn resource_type_list(base: &str, described: &Description, roles: bool) -> Vec<Value> {
    let mut types = vec![
        (
            "User",
            "/Users",
            USER_SCHEMA,
            described.user_resource.as_str(),
        ),
        (
            "Group",
            "/Groups",
            GROUP_SCHEMA,
            described.group_resource.as_str(),
        ),
    ];
    // Okta Identity Governance discovers assignable roles through this type. It is listed only
    // once the configuration opens some role: a client that finds a type must find resources
    // behind it.
    if roles {
        types.push((
            "Role",
            "/Roles",
            ROLE_SCHEMA,
            described.role_resource.as_str(),
        ));
    }
    types
        .into_iter()
        .map(|(name, endpoint, schema, description)| {
            json!({
                "schemas": [RESOURCE_TYPE_SCHEMA],
                "id": name,
                "name": name,
                "endpoint": endpoint,
                "description": description,
                "schema": schema,
                "schemaExtensions": [],
                "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")},
            })
        })
        .collect()
}

async fn resource_types<B: RoleBackend>(State(st): St<B>, headers: HeaderMap) -> Response {
    let list = resource_type_list(
        &base_url(&st.settings, &headers),
        st.backend.description(),
        !st.backend.roles().is_empty(),
    );
    list_response(list.len(), 1, list)
}

async fn resource_type<B: RoleBackend>(
    State(st): St<B>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ScimError> {
    resource_type_list(
        &base_url(&st.settings, &headers),
        st.backend.description(),
        !st.backend.roles().is_empty(),
    )
    .into_iter()
    .find(|r| {
        r["id"]
            .as_str()
            .is_some_and(|id| id.eq_ignore_ascii_case(&name))
    })
    .map(|r| scim_json(StatusCode::OK, &r))
    .ok_or_else(|| ScimError::not_found("ResourceType", &name))
}

fn attr(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

fn with(mut attribute: Value, changes: Value) -> Value {
    if let (Value::Object(a), Value::Object(c)) = (&mut attribute, changes) {
        a.extend(c);
    }
    attribute
}

/// An attribute whose description and mutability the backend decides.
fn described(name: &str, attribute: &Attribute) -> Value {
    with(
        attr(name, "string", &attribute.description),
        json!({"mutability": attribute.mutability.as_str()}),
    )
}

fn user_schema(d: &Description, roles: Option<bool>) -> Value {
    let mut schema = json!({
        "id": USER_SCHEMA,
        "name": "User",
        "description": d.user_schema,
        "attributes": [
            with(described("userName", &d.user_name),
                json!({"required": true, "uniqueness": "server"})),
            with(attr("name", "complex", &d.name),
                json!({"subAttributes": [
                    described("givenName", &d.given_name),
                    described("familyName", &d.family_name),
                    attr("formatted", "string", "The full name, kept by the bridge"),
                ]})),
            attr("displayName", "string", &d.display_name),
            with(attr("emails", "complex", "E-mail addresses, kept by the bridge"),
                json!({"multiValued": true, "subAttributes": [
                    attr("value", "string", "The address"),
                    with(attr("type", "string", "work, home or other"), json!({"canonicalValues": ["work", "home", "other"]})),
                    attr("primary", "boolean", "The primary address"),
                ]})),
            // Required in the sense that it always has a value: absent on create means true.
            with(attr("active", "boolean", &d.active),
                json!({"required": true})),
            with(attr("externalId", "string", "The IdP's id for the user"), json!({"caseExact": true})),
            with(attr("groups", "complex", "The groups the user belongs to"),
                json!({"multiValued": true, "mutability": "readOnly", "subAttributes": [
                    with(attr("value", "string", "The group's id"), json!({"mutability": "readOnly", "caseExact": true})),
                    with(attr("display", "string", "The group's displayName"), json!({"mutability": "readOnly"})),
                ]})),
        ],
    });
    if let (Some(single), Some(Value::Array(attributes))) = (roles, schema.get_mut("attributes")) {
        let description = if single {
            "The role given directly (one; the highest counts), as /Roles lists them"
        } else {
            "The roles given directly, beside those of the user's groups, as /Roles lists them"
        };
        attributes.push(with(
            attr("roles", "complex", description),
            json!({"multiValued": true, "subAttributes": [
                with(attr("value", "string", "A role id from /Roles (or a configured alias)"), json!({"caseExact": true})),
                attr("display", "string", "The role's name, as sent"),
                attr("type", "string", "As sent"),
                attr("primary", "boolean", "As sent"),
            ]}),
        ));
    }
    schema
}

/// Okta's Role schema: what `/Roles` serves.
fn role_schema(d: &Description) -> Value {
    let read_only = |name: &str, description: &str| {
        with(
            attr(name, "string", description),
            json!({"mutability": "readOnly"}),
        )
    };
    json!({
        "id": ROLE_SCHEMA,
        "name": "Role",
        "description": d.role_resource,
        "attributes": [
            with(read_only("id", "The role's id: the value a user's roles carry"),
                json!({"required": true, "caseExact": true, "uniqueness": "server"})),
            with(read_only("displayName", "The role's name"), json!({"required": true})),
            read_only("description", "What the role allows, at most 1,000 characters"),
        ],
    })
}

fn group_schema(d: &Description) -> Value {
    json!({
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": d.group_schema,
        "attributes": [
            with(attr("displayName", "string", "Matched against the [groups] role mapping"),
                json!({"required": true, "uniqueness": "server"})),
            with(attr("externalId", "string", "The IdP's id for the group"), json!({"caseExact": true})),
            with(attr("members", "complex", "The users in the group"),
                json!({"multiValued": true, "subAttributes": [
                    with(attr("value", "string", "The member's User id"), json!({"mutability": "immutable", "caseExact": true})),
                    with(attr("display", "string", "The member's userName"), json!({"mutability": "readOnly"})),
                    with(attr("type", "string", "Always User"), json!({"mutability": "immutable", "canonicalValues": ["User"]})),
                ]})),
        ],
    })
}

/// The schemas; `roles`: `Some(single-valued)` once some role is open to direct assignment,
/// which adds `roles` to the User and the Role schema.
fn schema_list(base: &str, described: &Description, roles: Option<bool>) -> Vec<Value> {
    let mut list = vec![user_schema(described, roles), group_schema(described)];
    if roles.is_some() {
        list.push(role_schema(described));
    }
    list.into_iter()
        .map(|mut s| {
            let id = s["id"].as_str().unwrap_or_default().to_owned();
            s["schemas"] = json!([SCHEMA_SCHEMA]);
            s["meta"] =
                json!({"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")});
            s
        })
        .collect()
}

fn roles_of<B: RoleBackend>(backend: &B) -> Option<bool> {
    (!backend.roles().is_empty()).then(|| backend.single_role())
}

async fn schemas<B: RoleBackend>(State(st): St<B>, headers: HeaderMap) -> Response {
    let list = schema_list(
        &base_url(&st.settings, &headers),
        st.backend.description(),
        roles_of(st.backend.as_ref()),
    );
    list_response(list.len(), 1, list)
}

async fn schema<B: RoleBackend>(
    State(st): St<B>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    schema_list(
        &base_url(&st.settings, &headers),
        st.backend.description(),
        roles_of(st.backend.as_ref()),
    )
    .into_iter()
    .find(|s| s["id"] == id.as_str())
    .map(|s| scim_json(StatusCode::OK, &s))
    .ok_or_else(|| ScimError::not_found("Schema", &id))
}
