//! The attributes that exist: what RFC 7643 defines for the resources the bridge serves, and the
//! check that a filter or a PATCH path names one of them.
//!
//! The table below is RFC 7643's core User schema (§4.1, §8.7.1), its enterprise User extension
//! (§4.3, §8.7.1) and its core Group schema (§4.2, §8.7.1), with every sub-attribute, plus the
//! common attributes every resource has (§3.1: `id`, `externalId`, `meta.*`, and `schemas`).
//! Multi-valued complex attributes also have the default sub-attributes of §2.4 (`type`,
//! `primary`, `display`, `value`, `$ref`), which the published schemas leave out for some of
//! them (`addresses`, `members`) although clients send them (`members[].display`). A unit test
//! compares the table with the schema definitions `scim_v2` embeds from the RFC.
//!
//! "Defined" is not "stored": the bridge keeps a handful of these (see `user.rs`), and the rest
//! (`title`, `phoneNumbers`, the enterprise `manager`, ...) are accepted and ignored, because IdPs
//! send them by default. What is refused is a name no schema has, such as a typo (`userNmae`):
//! a filter on it would silently match nothing, and a PATCH on it would silently change nothing.
//!
//! Names compare ASCII-case-insensitively (RFC 7643 §2.1), with or without the schema URN prefix
//! (`urn:ietf:params:scim:schemas:core:2.0:User:userName`). A User's extension attributes are
//! also recognised without their URN (`department`), because no core attribute shares a name
//! with one and some clients leave the prefix out.

use std::fmt;

use scim_v2::filter::{AttrExp, AttrPath, Filter, PatchPath, ValFilter};

use crate::error::ScimError;
use crate::group::GROUP_SCHEMA;
use crate::patch::PatchOp;
use crate::user::USER_SCHEMA;

pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A resource type the bridge serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// The schemas of this resource type: its core schema first, then its extensions.
    fn schemas(self) -> &'static [Schema] {
        match self {
            Self::User => &[CORE_USER, ENTERPRISE_USER],
            Self::Group => &[CORE_GROUP],
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attribute of a schema.
#[derive(Debug)]
struct Attr {
    name: &'static str,
    /// Its sub-attributes, if it is complex.
    subs: &'static [&'static str],
    /// Multi-valued complex attributes also have the §2.4 defaults.
    multi_complex: bool,
}

const fn simple(name: &'static str) -> Attr {
    Attr {
        name,
        subs: &[],
        multi_complex: false,
    }
}

const fn complex(name: &'static str, subs: &'static [&'static str]) -> Attr {
    Attr {
        name,
        subs,
        multi_complex: false,
    }
}

const fn multi(name: &'static str, subs: &'static [&'static str]) -> Attr {
    Attr {
        name,
        subs,
        multi_complex: true,
    }
}

/// RFC 7643 §2.4: the sub-attributes a multi-valued attribute has unless its schema says more.
const MULTI_VALUED_DEFAULTS: &[&str] = &["type", "primary", "display", "value", "$ref"];

/// The sub-attributes of the plural attributes whose values are strings (§4.1.2).
const PLURAL: &[&str] = &["value", "display", "type", "primary"];

#[derive(Debug)]
struct Schema {
    urn: &'static str,
    attributes: &'static [Attr],
}

/// RFC 7643 §3.1, common to every resource; addressed with the core schema's URN, if any.
const COMMON: &[Attr] = &[
    simple("id"),
    simple("externalId"),
    complex(
        "meta",
        &[
            "resourceType",
            "created",
            "lastModified",
            "location",
            "version",
        ],
    ),
    simple("schemas"),
];

/// RFC 7643 §4.1 (`urn:ietf:params:scim:schemas:core:2.0:User`).
const CORE_USER: Schema = Schema {
    urn: USER_SCHEMA,
    attributes: &[
        simple("userName"),
        complex(
            "name",
            &[
                "formatted",
                "familyName",
                "givenName",
                "middleName",
                "honorificPrefix",
                "honorificSuffix",
            ],
        ),
        simple("displayName"),
        simple("nickName"),
        simple("profileUrl"),
        simple("title"),
        simple("userType"),
        simple("preferredLanguage"),
        simple("locale"),
        simple("timezone"),
        simple("active"),
        simple("password"),
        multi("emails", PLURAL),
        multi("phoneNumbers", PLURAL),
        multi("ims", PLURAL),
        multi("photos", PLURAL),
        multi(
            "addresses",
            &[
                "formatted",
                "streetAddress",
                "locality",
                "region",
                "postalCode",
                "country",
                "type",
            ],
        ),
        multi("groups", &["value", "$ref", "display", "type"]),
        multi("entitlements", PLURAL),
        multi("roles", PLURAL),
        multi("x509Certificates", PLURAL),
    ],
};

/// RFC 7643 §4.3 (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
const ENTERPRISE_USER: Schema = Schema {
    urn: ENTERPRISE_USER_SCHEMA,
    attributes: &[
        simple("employeeNumber"),
        simple("costCenter"),
        simple("organization"),
        simple("division"),
        simple("department"),
        complex("manager", &["value", "$ref", "displayName"]),
    ],
};

/// RFC 7643 §4.2 (`urn:ietf:params:scim:schemas:core:2.0:Group`).
const CORE_GROUP: Schema = Schema {
    urn: GROUP_SCHEMA,
    attributes: &[
        simple("displayName"),
        multi("members", &["value", "$ref", "type"]),
    ],
};

impl Attr {
    fn has_sub(&self, sub: &str) -> bool {
        self.sub_names().any(|s| s.eq_ignore_ascii_case(sub))
    }

    fn sub_names(&self) -> impl Iterator<Item = &'static str> {
        let defaults: &'static [&'static str] = if self.multi_complex {
            MULTI_VALUED_DEFAULTS
        } else {
            &[]
        };
        self.subs.iter().chain(defaults).copied()
    }
}

/// A name that no schema of the resource defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAttribute {
    /// The attribute as the client wrote it (`name.givenNmae`, `emails.typo`).
    pub attribute: String,
    pub resource: ResourceKind,
    /// A defined name close to it, to help with typos.
    pub suggestion: Option<String>,
    /// The schema URN it was qualified with, when the resource has no such schema.
    pub unknown_schema: Option<String>,
}

impl UnknownAttribute {
    /// Why the name is refused: `is not a User attribute (did you mean 'userName'?)`.
    pub fn reason(&self) -> String {
        let mut reason = format!("is not a {} attribute", self.resource);
        if let Some(uri) = &self.unknown_schema {
            let known: Vec<&str> = self.resource.schemas().iter().map(|s| s.urn).collect();
            reason.push_str(&format!(
                " ({uri} is not a {} schema; those are {})",
                self.resource,
                known.join(" and ")
            ));
        } else if let Some(s) = &self.suggestion {
            reason.push_str(&format!(" (did you mean '{s}'?)"));
        }
        reason
    }
}

impl fmt::Display for UnknownAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' {}", self.attribute, self.reason())
    }
}

/// Which attribute `path` names on `resource`, or why none.
fn resolve(path: &AttrPath, resource: ResourceKind) -> Result<&'static Attr, UnknownAttribute> {
    let unknown = |suggestion: Option<String>, unknown_schema: Option<String>| UnknownAttribute {
        attribute: path.to_string(),
        resource,
        suggestion,
        unknown_schema,
    };
    let schemas = resource.schemas();
    // The attributes this path may name, the resource's core schema's first.
    let scope: Vec<&'static Attr> = match path.uri.as_deref() {
        None => schemas
            .iter()
            .flat_map(|s| s.attributes)
            .chain(COMMON)
            .collect(),
        Some(uri) => {
            let Some(index) = schemas.iter().position(|s| s.urn.eq_ignore_ascii_case(uri)) else {
                return Err(unknown(None, Some(uri.to_owned())));
            };
            let schema = &schemas[index];
            // The common attributes belong to no schema; the core URN is accepted for them.
            let common: &'static [Attr] = if index == 0 { COMMON } else { &[] };
            schema.attributes.iter().chain(common).collect()
        }
    };
    let Some(attr) = scope
        .iter()
        .copied()
        .find(|a| a.name.eq_ignore_ascii_case(&path.name))
    else {
        let near = closest(&path.name, scope.iter().map(|a| a.name));
        return Err(unknown(
            near.map(|n| qualified(path.uri.as_deref(), n, None)),
            None,
        ));
    };
    match &path.sub_attr {
        Some(sub) if !attr.has_sub(sub) => {
            let near = closest(sub, attr.sub_names());
            Err(unknown(
                near.map(|n| qualified(path.uri.as_deref(), attr.name, Some(n))),
                None,
            ))
        }
        _ => Ok(attr),
    }
}

fn qualified(uri: Option<&str>, name: &str, sub: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(uri) = uri {
        out.push_str(uri);
        out.push(':');
    }
    out.push_str(name);
    if let Some(sub) = sub {
        out.push('.');
        out.push_str(sub);
    }
    out
}

/// Whether `path` names a schema of `resource` as a whole (a PATCH path may: the value is then
/// an object of that extension's attributes). The grammar reads the URN's last segment as the
/// attribute name: `urn:...:enterprise:2.0:User` is `urn:...:enterprise:2.0` + `User`.
fn names_a_schema(path: &AttrPath, resource: ResourceKind) -> bool {
    let Some(uri) = path.uri.as_deref() else {
        return false;
    };
    let whole = format!("{uri}:{}", path.name);
    path.sub_attr.is_none()
        && resource
            .schemas()
            .iter()
            .any(|s| s.urn.eq_ignore_ascii_case(&whole))
}

/// Checks a comparison's attribute inside `parent[...]`: a sub-attribute of `parent`.
fn check_inner(
    parent: &AttrPath,
    parent_attr: &Attr,
    filter: &ValFilter,
    resource: ResourceKind,
) -> Result<(), UnknownAttribute> {
    match filter {
        ValFilter::Attr(AttrExp::Present(path) | AttrExp::Comparison(path, _, _)) => {
            let defined =
                path.uri.is_none() && path.sub_attr.is_none() && parent_attr.has_sub(&path.name);
            if defined {
                return Ok(());
            }
            let written = AttrPath {
                uri: parent.uri.clone(),
                name: parent.name.clone(),
                sub_attr: Some(path.to_string()),
            };
            let near = closest(&path.name, parent_attr.sub_names());
            Err(UnknownAttribute {
                attribute: written.to_string(),
                resource,
                suggestion: near.map(|n| qualified(parent.uri.as_deref(), &parent.name, Some(n))),
                unknown_schema: None,
            })
        }
        ValFilter::Not(inner) => check_inner(parent, parent_attr, inner, resource),
        ValFilter::And(items) | ValFilter::Or(items) => items
            .iter()
            .try_for_each(|f| check_inner(parent, parent_attr, f, resource)),
    }
}

/// Whether `path` is qualified by a schema URN the resource does not have: a custom extension
/// of the IdP's (Okta and Entra send admin-defined attributes under their own extension URNs).
/// The bridge keeps none of its attributes and cannot know them, so it accepts and ignores them
/// rather than fail the IdP's job on each.
fn in_foreign_schema(path: &AttrPath, resource: ResourceKind) -> bool {
    path.uri.as_deref().is_some_and(|uri| {
        !resource
            .schemas()
            .iter()
            .any(|s| s.urn.eq_ignore_ascii_case(uri))
            && !names_a_schema(path, resource)
    })
}

/// The first attribute `filter` names that `resource` does not define. Recursion is bounded by
/// the filter's depth limit, which is checked first.
pub fn check_filter(filter: &Filter, resource: ResourceKind) -> Result<(), UnknownAttribute> {
    match filter {
        Filter::Attr(AttrExp::Present(path) | AttrExp::Comparison(path, _, _))
            if in_foreign_schema(path, resource) =>
        {
            Ok(())
        }
        Filter::ValuePath(vp) if in_foreign_schema(&vp.attr, resource) => Ok(()),
        Filter::Attr(AttrExp::Present(path) | AttrExp::Comparison(path, _, _)) => {
            resolve(path, resource).map(|_| ())
        }
        Filter::ValuePath(vp) => {
            let attr = resolve(&vp.attr, resource)?;
            check_inner(&vp.attr, attr, &vp.filter, resource)
        }
        Filter::Not(inner) => check_filter(inner, resource),
        Filter::And(items) | Filter::Or(items) => {
            items.iter().try_for_each(|f| check_filter(f, resource))
        }
    }
}

/// Whether a PATCH `path` names something `resource` defines.
pub fn check_path(path: &PatchPath, resource: ResourceKind) -> Result<(), UnknownAttribute> {
    match path {
        PatchPath::Attr(attr) if names_a_schema(attr, resource) => Ok(()),
        PatchPath::Attr(attr) if in_foreign_schema(attr, resource) => Ok(()),
        PatchPath::Value(vp) if in_foreign_schema(&vp.attr, resource) => Ok(()),
        PatchPath::Attr(attr) => resolve(attr, resource).map(|_| ()),
        PatchPath::Value(vp) => {
            let attr = resolve(&vp.attr, resource)?;
            check_inner(&vp.attr, attr, &vp.filter, resource)?;
            match &vp.sub_attr {
                Some(sub) if !attr.has_sub(sub) => {
                    let written = AttrPath {
                        uri: vp.attr.uri.clone(),
                        name: vp.attr.name.clone(),
                        sub_attr: Some(sub.clone()),
                    };
                    let near = closest(sub, attr.sub_names());
                    Err(UnknownAttribute {
                        attribute: written.to_string(),
                        resource,
                        suggestion: near
                            .map(|n| qualified(vp.attr.uri.as_deref(), &vp.attr.name, Some(n))),
                        unknown_schema: None,
                    })
                }
                _ => Ok(()),
            }
        }
    }
}

/// Every PATCH operation's `path` names something `resource` defines (400 `invalidPath`
/// otherwise). Pathless operations are read like bodies, leniently, and are not checked here.
pub fn check_patch_paths(ops: &[PatchOp], resource: ResourceKind) -> Result<(), ScimError> {
    for (index, op) in ops.iter().enumerate() {
        if let Some(path) = &op.path {
            check_path(path, resource).map_err(|unknown| {
                ScimError::invalid_path(format!("Operations[{index}].path: {unknown}"))
            })?;
        }
    }
    Ok(())
}

/// The defined name closest to a misspelt one, if it is close enough to be a typo.
fn closest(wrong: &str, names: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    let wrong = wrong.to_ascii_lowercase();
    let budget = (wrong.chars().count() / 3).clamp(1, 2);
    names
        .map(|n| (edit_distance(&wrong, &n.to_ascii_lowercase()), n))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance, with a swap of two neighbours counting as one edit (`userNmae`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Names are short (an attribute name is at most a few dozen characters).
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> Filter {
        text.parse().unwrap()
    }

    fn path(text: &str) -> PatchPath {
        text.parse().unwrap()
    }

    #[test]
    fn defined_user_filters_pass() {
        for f in [
            r#"userName eq "a""#,
            r#"USERNAME Eq "a""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#,
            r#"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:USERNAME eq "a""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x""#,
            r#"department eq "x""#,
            r#"emails[type eq "work" and value co "@x"]"#,
            r#"emails.value eq "x" and emails.type eq "work""#,
            r#"emails[not (primary eq true)]"#,
            r#"addresses[type eq "work" and primary eq true]"#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"id eq "1" or externalId eq "2" or schemas eq "x""#,
            "title pr and phoneNumbers pr and preferredLanguage pr and name.middleName pr",
            r#"groups.display eq "x" and groups[value eq "g"]"#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:meta.created pr"#,
            // A custom extension of the IdP's: accepted, though nothing matches.
            r#"urn:example:custom:2.0:User:badge eq "x""#,
        ] {
            assert_eq!(check_filter(&filter(f), ResourceKind::User), Ok(()), "{f}");
        }
    }

    #[test]
    fn defined_group_filters_pass() {
        for f in [
            r#"displayName eq "SOC""#,
            r#"externalId eq "x" and id pr"#,
            r#"members[value eq "u1"] or members.value eq "u2" or members eq "u3""#,
            r#"members[display eq "alice"]"#,
            r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "SOC""#,
        ] {
            assert_eq!(check_filter(&filter(f), ResourceKind::Group), Ok(()), "{f}");
        }
    }

    fn refused(f: &str, resource: ResourceKind) -> UnknownAttribute {
        check_filter(&filter(f), resource).unwrap_err()
    }

    #[test]
    fn undefined_filter_attributes_are_named() {
        let user = ResourceKind::User;
        let cases = [
            (
                r#"userNmae eq "x""#,
                "'userNmae' is not a User attribute (did you mean 'userName'?)",
            ),
            (r#"foo eq "x""#, "'foo' is not a User attribute"),
            (
                r#"userName eq "a" and foo pr"#,
                "'foo' is not a User attribute",
            ),
            (
                r#"userName eq "a" or (active eq true and not (bar pr))"#,
                "'bar' is not a User attribute",
            ),
            (
                r#"emails[typo eq "work"]"#,
                "'emails.typo' is not a User attribute (did you mean 'emails.type'?)",
            ),
            (
                r#"emails[type eq "work" and valeu pr]"#,
                "'emails.valeu' is not a User attribute (did you mean 'emails.value'?)",
            ),
            (
                r#"name.givenNmae eq "x""#,
                "'name.givenNmae' is not a User attribute (did you mean 'name.givenName'?)",
            ),
            (
                r#"userName.value eq "x""#,
                "'userName.value' is not a User attribute",
            ),
            (r#"members pr"#, "'members' is not a User attribute"),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName eq "x""#,
                "'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName' is not a User attribute",
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:departmnet eq "x""#,
                "(did you mean 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'?)",
            ),
        ];
        for (f, needle) in cases {
            let unknown = refused(f, user).to_string();
            assert!(unknown.contains(needle), "{f}: {unknown}");
        }
        let group = refused(r#"userName eq "x""#, ResourceKind::Group).to_string();
        assert_eq!(group, "'userName' is not a Group attribute");
        let group = refused(r#"displayNmae eq "x""#, ResourceKind::Group).to_string();
        assert_eq!(
            group,
            "'displayNmae' is not a Group attribute (did you mean 'displayName'?)"
        );
    }

    #[test]
    fn patch_paths_idps_send_are_defined() {
        for p in [
            "active",
            "Active",
            "name.familyName",
            r#"emails[type eq "work"].value"#,
            r#"emails[type eq "home"].display"#,
            r#"addresses[type eq "work"].formatted"#,
            r#"addresses[type eq "work"].streetAddress"#,
            r#"phoneNumbers[type eq "mobile"].value"#,
            "title",
            "preferredLanguage",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
            "roles",
            "password",
            // Admin-defined attributes under the IdP's own extension URN are ignored.
            "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:costCenter",
            "urn:okta:custom:2.0:User:badge",
        ] {
            assert_eq!(check_path(&path(p), ResourceKind::User), Ok(()), "{p}");
        }
        for p in [
            "members",
            r#"members[value eq "u1"]"#,
            "displayName",
            "externalId",
            "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
        ] {
            assert_eq!(check_path(&path(p), ResourceKind::Group), Ok(()), "{p}");
        }
    }

    #[test]
    fn undefined_patch_paths_are_named() {
        let cases = [
            (
                "activ",
                "'activ' is not a User attribute (did you mean 'active'?)",
            ),
            (
                "name.givenNmae",
                "'name.givenNmae' is not a User attribute (did you mean 'name.givenName'?)",
            ),
            (r#"emails[type eq "work"].valeu"#, "'emails.valeu'"),
            (r#"emails[typo eq "work"].value"#, "'emails.typo'"),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:mgr",
                "'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:mgr'",
            ),
        ];
        for (p, needle) in cases {
            let unknown = check_path(&path(p), ResourceKind::User)
                .unwrap_err()
                .to_string();
            assert!(unknown.starts_with(needle), "{p}: {unknown}");
        }
        assert!(check_path(&path("owner"), ResourceKind::Group).is_err());
        assert!(check_path(&path("userName"), ResourceKind::Group).is_err());
    }

    #[test]
    fn typos_are_near_and_strangers_are_not() {
        assert_eq!(edit_distance("usernmae", "username"), 1);
        assert_eq!(edit_distance("activ", "active"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest("foo", CORE_USER.attributes.iter().map(|a| a.name)),
            None
        );
        assert_eq!(
            closest("emals", ["emails", "ims"].into_iter()),
            Some("emails")
        );
    }

    /// The table is RFC 7643's, as `scim_v2` embeds the RFC's schema definitions.
    #[test]
    fn the_table_is_the_rfc_schemas() {
        let rfc =
            scim_v2::models::scim_schema::get_schemas(vec!["user", "enterprise_user", "group"])
                .unwrap();
        let ours = [&CORE_USER, &ENTERPRISE_USER, &CORE_GROUP];
        assert_eq!(rfc.len(), ours.len());
        for (published, table) in rfc.iter().zip(ours) {
            assert_eq!(published.id, table.urn);
            let names: Vec<&str> = published
                .attributes
                .iter()
                .map(|a| a.name.as_str())
                .collect();
            let mine: Vec<&str> = table.attributes.iter().map(|a| a.name).collect();
            assert_eq!(names, mine, "{}", table.urn);
            for (attribute, attr) in published.attributes.iter().zip(table.attributes) {
                let subs: Vec<&str> = attribute
                    .sub_attributes
                    .as_slice()
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                assert_eq!(subs, attr.subs, "{}.{}", table.urn, attr.name);
                let multi_complex = attribute.multi_valued && attribute.r#type == "complex";
                assert_eq!(multi_complex, attr.multi_complex, "{}", attr.name);
            }
        }
    }
}
