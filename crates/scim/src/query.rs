//! List queries: filters (parsed by `scim_v2`'s grammar), sorting, paging and projection.
//!
//! A filter is evaluated against the resource's SCIM JSON, so it sees exactly what a client
//! sees: attribute names are case-insensitive, `caseExact` attributes (`id`, `externalId`,
//! member and group `value`s) compare exactly and everything else ignores case, as RFC 7643
//! defines for the User and Group schemas.

use std::cmp::Ordering;

use scim_v2::filter::{
    AttrExp, AttrPath, CompValue, CompareOp, Filter, FilterActionError, ParseError, ValFilter,
};
use serde_json::{Map, Value};

use super::error::ScimError;
use super::group::{GROUP_SCHEMA, GroupResource};
use super::limits::{DEFAULT_MAX_FILTER_DEPTH, DEFAULT_MAX_FILTER_LEN, Limits};
use super::user::{USER_SCHEMA, UserResource, get_ci};

/// Longest filter accepted by default; Okta's and Entra's filters are a few dozen characters.
pub const MAX_FILTER_LEN: usize = DEFAULT_MAX_FILTER_LEN;

/// How long and how deeply nested a filter may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterLimits {
    pub max_len: usize,
    pub max_depth: usize,
}

impl Default for FilterLimits {
    fn default() -> Self {
        Self {
            max_len: DEFAULT_MAX_FILTER_LEN,
            max_depth: DEFAULT_MAX_FILTER_DEPTH,
        }
    }
}

impl From<&Limits> for FilterLimits {
    fn from(limits: &Limits) -> Self {
        Self {
            max_len: limits.max_filter_len,
            max_depth: limits.max_filter_depth,
        }
    }
}

/// Whether `parent.leaf` compares case-sensitively (RFC 7643 `caseExact: true`): ids, and the
/// `value` (an id) of group members and of a user's groups; e-mail addresses do not.
fn case_exact(parent: Option<&str>, leaf: &str) -> bool {
    let id_like = ["id", "externalId", "$ref"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(leaf));
    let member_id = leaf.eq_ignore_ascii_case("value")
        && parent
            .is_some_and(|p| p.eq_ignore_ascii_case("members") || p.eq_ignore_ascii_case("groups"));
    id_like || member_id
}

fn parse_filter(text: &str, limits: FilterLimits) -> Result<Filter, ScimError> {
    if text.len() > limits.max_len {
        return Err(ScimError::invalid_filter(format!(
            "the filter is longer than {} characters",
            limits.max_len
        )));
    }
    // The parser bounds nesting (64) and terms (1024) itself, while parsing, so that a hostile
    // filter costs bounded memory; going past those bounds is "too complex", not a syntax error.
    let filter = text.parse::<Filter>().map_err(|e| match e {
        ParseError::User {
            error: FilterActionError::DepthExceeded(_),
        } => ScimError::too_many(format!(
            "the filter is nested more than {} levels deep",
            limits.max_depth
        )),
        ParseError::User {
            error: FilterActionError::TooManyTerms(_),
        } => ScimError::too_many(format!(
            "the filter has more than {} comparisons",
            scim_v2::filter::MAX_FILTER_TERMS
        )),
        // The message quotes at most the offending token, never more of the input.
        e => ScimError::invalid_filter(format!("cannot parse the filter: {e}")),
    })?;
    let depth = filter_depth(&filter);
    if depth > limits.max_depth {
        return Err(ScimError::too_many(format!(
            "the filter is nested {depth} levels deep; at most {} are allowed",
            limits.max_depth
        )));
    }
    Ok(filter)
}

/// Nesting depth of a parsed filter: a comparison is 1, each `and`/`or`/`not`/`[...]` adds 1.
/// Recursion is safe here: the parser refused anything deeper than 64.
fn filter_depth(filter: &Filter) -> usize {
    fn val_depth(filter: &ValFilter) -> usize {
        match filter {
            ValFilter::Attr(_) => 1,
            ValFilter::Not(inner) => 1 + val_depth(inner),
            ValFilter::And(items) | ValFilter::Or(items) => {
                1 + items.iter().map(val_depth).max().unwrap_or(0)
            }
        }
    }
    match filter {
        Filter::Attr(_) => 1,
        Filter::ValuePath(vp) => 1 + val_depth(&vp.filter),
        Filter::Not(inner) => 1 + filter_depth(inner),
        Filter::And(items) | Filter::Or(items) => {
            1 + items.iter().map(filter_depth).max().unwrap_or(0)
        }
    }
}

/// A filter over Users.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFilter(Filter);

impl UserFilter {
    pub fn parse(text: &str) -> Result<Self, ScimError> {
        Self::parse_limited(text, FilterLimits::default())
    }

    pub fn parse_limited(text: &str, limits: FilterLimits) -> Result<Self, ScimError> {
        parse_filter(text, limits).map(Self)
    }

    /// The login in `userName eq "x"` (alone or and-ed with other terms): the IdPs' existence
    /// check, answered from an index instead of a scan.
    pub fn user_name_eq(&self) -> Option<&str> {
        eq_value(&self.0, "userName", USER_SCHEMA)
    }

    pub fn matches(&self, user: &UserResource) -> bool {
        let json = user.to_json("");
        eval(
            &self.0,
            json.as_object().expect("a user renders as an object"),
            USER_SCHEMA,
        )
    }
}

/// A filter over Groups.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFilter(Filter);

impl GroupFilter {
    pub fn parse(text: &str) -> Result<Self, ScimError> {
        Self::parse_limited(text, FilterLimits::default())
    }

    pub fn parse_limited(text: &str, limits: FilterLimits) -> Result<Self, ScimError> {
        parse_filter(text, limits).map(Self)
    }

    /// The name in `displayName eq "x"`: Okta's check before a Group Push.
    pub fn display_name_eq(&self) -> Option<&str> {
        eq_value(&self.0, "displayName", GROUP_SCHEMA)
    }

    /// Whether evaluating the filter needs the member list.
    pub fn needs_members(&self) -> bool {
        mentions(&self.0, "members")
    }

    pub fn matches(&self, group: &GroupResource) -> bool {
        let json = group.to_json("", true);
        eval(
            &self.0,
            json.as_object().expect("a group renders as an object"),
            GROUP_SCHEMA,
        )
    }
}

fn is_attr(path: &AttrPath, name: &str, schema: &str) -> bool {
    path.name.eq_ignore_ascii_case(name)
        && path.sub_attr.is_none()
        && path
            .uri
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(schema))
}

fn eq_value<'f>(filter: &'f Filter, name: &str, schema: &str) -> Option<&'f str> {
    match filter {
        Filter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(v)))
            if is_attr(path, name, schema) =>
        {
            Some(v)
        }
        Filter::And(items) => items.iter().find_map(|f| eq_value(f, name, schema)),
        _ => None,
    }
}

fn mentions(filter: &Filter, name: &str) -> bool {
    match filter {
        Filter::Attr(AttrExp::Present(p) | AttrExp::Comparison(p, _, _)) => {
            p.name.eq_ignore_ascii_case(name)
        }
        Filter::ValuePath(vp) => vp.attr.name.eq_ignore_ascii_case(name),
        Filter::Not(inner) => mentions(inner, name),
        Filter::And(items) | Filter::Or(items) => items.iter().any(|f| mentions(f, name)),
    }
}

/// The object an attribute path starts from: the resource itself, or an extension's block.
fn scope<'a>(
    obj: &'a Map<String, Value>,
    path: &AttrPath,
    schema: &str,
) -> Option<&'a Map<String, Value>> {
    match path.uri.as_deref() {
        None => Some(obj),
        Some(uri) if uri.eq_ignore_ascii_case(schema) => Some(obj),
        Some(uri) => get_ci(obj, uri).and_then(Value::as_object),
    }
}

/// Every value an attribute path designates (multi-valued attributes flatten).
fn values<'a>(obj: &'a Map<String, Value>, path: &AttrPath, schema: &str) -> Vec<&'a Value> {
    let Some(base) = scope(obj, path, schema) else {
        return Vec::new();
    };
    let Some(top) = get_ci(base, &path.name) else {
        return Vec::new();
    };
    let items: Vec<&Value> = match top {
        Value::Array(list) => list.iter().collect(),
        other => vec![other],
    };
    items
        .into_iter()
        .filter_map(|item| match (&path.sub_attr, item) {
            (Some(sub), Value::Object(o)) => get_ci(o, sub),
            (Some(_), _) => None,
            // A multi-valued complex attribute without a sub-attribute means its `value`s.
            (None, Value::Object(o)) => get_ci(o, "value"),
            (None, v) => Some(v),
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// The attribute a comparison finally looks at, and the multi-valued attribute around it.
fn leaf_of<'p>(path: &'p AttrPath, element_of: Option<&'p str>) -> (Option<&'p str>, &'p str) {
    match &path.sub_attr {
        Some(sub) => (Some(path.name.as_str()), sub.as_str()),
        None => (element_of, path.name.as_str()),
    }
}

fn eval(filter: &Filter, obj: &Map<String, Value>, schema: &str) -> bool {
    match filter {
        Filter::Attr(exp) => eval_exp(exp, obj, schema, None),
        Filter::ValuePath(vp) => {
            let Some(Value::Array(list)) =
                scope(obj, &vp.attr, schema).and_then(|b| get_ci(b, &vp.attr.name))
            else {
                return false;
            };
            list.iter()
                .filter_map(Value::as_object)
                .any(|element| eval_val(&vp.filter, element, &vp.attr.name))
        }
        Filter::Not(inner) => !eval(inner, obj, schema),
        Filter::And(items) => items.iter().all(|f| eval(f, obj, schema)),
        Filter::Or(items) => items.iter().any(|f| eval(f, obj, schema)),
    }
}

/// A filter inside `[...]`, evaluated on one element of a multi-valued attribute.
pub(crate) fn eval_val(filter: &ValFilter, element: &Map<String, Value>, attribute: &str) -> bool {
    match filter {
        // Inside brackets, paths are relative to the element; no schema URI applies.
        ValFilter::Attr(exp) => eval_exp(exp, element, "", Some(attribute)),
        ValFilter::Not(inner) => !eval_val(inner, element, attribute),
        ValFilter::And(items) => items.iter().all(|f| eval_val(f, element, attribute)),
        ValFilter::Or(items) => items.iter().any(|f| eval_val(f, element, attribute)),
    }
}

fn eval_exp(
    exp: &AttrExp,
    obj: &Map<String, Value>,
    schema: &str,
    element_of: Option<&str>,
) -> bool {
    match exp {
        AttrExp::Present(path) => values(obj, path, schema).iter().any(|v| match v {
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        }),
        AttrExp::Comparison(path, op, wanted) => {
            let (parent, leaf) = leaf_of(path, element_of);
            // `members eq "id"` compares the members' `value`s.
            let exact = case_exact(parent, leaf)
                || case_exact(Some(leaf), "value") && path.sub_attr.is_none();
            let found = values(obj, path, schema);
            match (op, wanted) {
                (CompareOp::Eq, CompValue::Null) => found.is_empty(),
                (CompareOp::Ne, CompValue::Null) => !found.is_empty(),
                (CompareOp::Ne, _) => !found
                    .iter()
                    .any(|v| compare(v, &CompareOp::Eq, wanted, exact)),
                _ => found.iter().any(|v| compare(v, op, wanted, exact)),
            }
        }
    }
}

fn compare(actual: &Value, op: &CompareOp, wanted: &CompValue, exact: bool) -> bool {
    match (actual, wanted) {
        (Value::String(a), CompValue::Str(w)) => {
            let (a, w) = if exact {
                (a.clone(), w.clone())
            } else {
                (a.to_lowercase(), w.to_lowercase())
            };
            match op {
                CompareOp::Eq => a == w,
                CompareOp::Ne => a != w,
                CompareOp::Co => a.contains(&w),
                CompareOp::Sw => a.starts_with(&w),
                CompareOp::Ew => a.ends_with(&w),
                CompareOp::Gt => a > w,
                CompareOp::Lt => a < w,
                CompareOp::Ge => a >= w,
                CompareOp::Le => a <= w,
            }
        }
        (Value::Bool(a), CompValue::True) => matches!(op, CompareOp::Eq) == *a,
        (Value::Bool(a), CompValue::False) => matches!(op, CompareOp::Eq) != *a,
        (Value::Number(a), CompValue::Number(w)) => {
            let (Some(a), Some(w)) = (a.as_f64(), w.as_f64()) else {
                return false;
            };
            match op {
                CompareOp::Eq => a == w,
                CompareOp::Ne => a != w,
                CompareOp::Gt => a > w,
                CompareOp::Lt => a < w,
                CompareOp::Ge => a >= w,
                CompareOp::Le => a <= w,
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
            }
        }
        _ => false,
    }
}

/// `sortBy` and `sortOrder` for Users (RFC 7644 §3.4.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortSpec {
    key: SortKey,
    descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Id,
    UserName,
    ExternalId,
    DisplayName,
    GivenName,
    FamilyName,
    Email,
    Created,
    LastModified,
}

impl SortSpec {
    pub fn parse(sort_by: &str, sort_order: Option<&str>) -> Result<Self, ScimError> {
        let path = sort_by
            .strip_prefix(USER_SCHEMA)
            .and_then(|p| p.strip_prefix(':'))
            .unwrap_or(sort_by)
            .to_ascii_lowercase();
        let key = match path.as_str() {
            "id" => SortKey::Id,
            "username" => SortKey::UserName,
            "externalid" => SortKey::ExternalId,
            "displayname" => SortKey::DisplayName,
            "name.givenname" => SortKey::GivenName,
            "name.familyname" => SortKey::FamilyName,
            "emails" | "emails.value" => SortKey::Email,
            "meta.created" => SortKey::Created,
            "meta.lastmodified" => SortKey::LastModified,
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "sortBy: cannot sort by '{sort_by}'; supported: id, userName, externalId, displayName, \
                     name.givenName, name.familyName, emails.value, meta.created, meta.lastModified"
                )));
            }
        };
        let descending = match sort_order.map(str::to_ascii_lowercase).as_deref() {
            None | Some("ascending") => false,
            Some("descending") => true,
            Some(other) => {
                return Err(ScimError::invalid_value(format!(
                    "sortOrder must be 'ascending' or 'descending', not '{other}'"
                )));
            }
        };
        Ok(Self { key, descending })
    }

    pub fn compare(&self, a: &UserResource, b: &UserResource) -> Ordering {
        let ordering = match self.key {
            SortKey::Created => a.created.cmp(&b.created),
            SortKey::LastModified => a.last_modified.cmp(&b.last_modified),
            _ => {
                let (x, y) = (self.text(a), self.text(b));
                // Absent values sort last ascending (RFC 7644 §3.4.2.3).
                match (x, y) {
                    (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                }
            }
        };
        let ordering = ordering.then_with(|| a.id.cmp(&b.id));
        if self.descending {
            ordering.reverse()
        } else {
            ordering
        }
    }

    fn text<'u>(&self, user: &'u UserResource) -> Option<&'u str> {
        let w = &user.write;
        match self.key {
            SortKey::Id => Some(&user.id),
            SortKey::UserName => Some(&w.user_name),
            SortKey::ExternalId => w.external_id.as_deref(),
            SortKey::DisplayName => w.display_name.as_deref(),
            SortKey::GivenName => w.name.given_name.as_deref(),
            SortKey::FamilyName => w.name.family_name.as_deref(),
            SortKey::Email => w
                .emails
                .iter()
                .find(|e| e.primary)
                .or(w.emails.first())
                .map(|e| e.value.as_str()),
            SortKey::Created | SortKey::LastModified => None,
        }
    }
}

/// The query parameters of a list request, read case-insensitively; unknown ones are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    pub filter: Option<String>,
    pub start_index: usize,
    pub count: usize,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub projection: Projection,
}

impl ListParams {
    /// Parses a raw query string. `startIndex` below 1 counts as 1 and `count` is clamped to
    /// `0..=max_results`, as RFC 7644 §3.4.2.4 asks.
    pub fn parse(query: Option<&str>, max_results: usize) -> Result<Self, ScimError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| ScimError::invalid_syntax(format!("cannot read the query string: {e}")))?;
        let mut params = Self {
            start_index: 1,
            count: max_results,
            ..Self::default()
        };
        let mut attributes = None;
        let mut excluded = None;
        for (key, value) in pairs {
            match key.to_ascii_lowercase().as_str() {
                "filter" => params.filter = Some(value),
                "startindex" => {
                    params.start_index = parse_number(&value, "startIndex")?.max(1) as usize
                }
                "count" => {
                    params.count = (parse_number(&value, "count")?.max(0) as usize).min(max_results)
                }
                "sortby" => params.sort_by = Some(value),
                "sortorder" => params.sort_order = Some(value),
                "attributes" => attributes = Some(value),
                "excludedattributes" => excluded = Some(value),
                _ => {}
            }
        }
        params.projection = Projection::new(attributes.as_deref(), excluded.as_deref());
        Ok(params)
    }
}

fn parse_number(value: &str, name: &str) -> Result<i64, ScimError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, not '{value}'")))
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.9), applied to rendered JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    attributes: Vec<String>,
    excluded: Vec<String>,
}

/// Always returned whatever the client asks (RFC 7643 `returned: always`).
const ALWAYS: &[&str] = &["schemas", "id"];

impl Projection {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let split = |s: Option<&str>| -> Vec<String> {
            s.unwrap_or("")
                .split(',')
                .map(|a| strip_schema(a.trim()).to_ascii_lowercase())
                .filter(|a| !a.is_empty())
                .collect()
        };
        Self {
            attributes: split(attributes),
            excluded: split(excluded),
        }
    }

    pub fn from_query(query: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
        let find = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        Self::new(find("attributes"), find("excludedAttributes"))
    }

    pub fn is_identity(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Whether the top-level attribute `name` survives the projection.
    pub fn includes(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        if self.excluded.contains(&name) {
            return false;
        }
        self.attributes.is_empty()
            || self
                .attributes
                .iter()
                .any(|a| *a == name || a.split('.').next() == Some(name.as_str()))
    }

    pub fn apply(&self, resource: &mut Value) {
        if self.is_identity() {
            return;
        }
        let Value::Object(obj) = resource else {
            return;
        };
        obj.retain(|key, value| {
            let lower = key.to_ascii_lowercase();
            if ALWAYS.contains(&lower.as_str()) {
                return true;
            }
            if self.excluded.contains(&lower) {
                return false;
            }
            if let Value::Object(inner) = value {
                self.project_sub(&lower, inner);
            }
            self.attributes.is_empty()
                || self
                    .attributes
                    .iter()
                    .any(|a| *a == lower || a.split_once('.').is_some_and(|(top, _)| top == lower))
        });
    }

    fn project_sub(&self, top: &str, inner: &mut Map<String, Value>) {
        let prefix = format!("{top}.");
        let wanted: Vec<&str> = self
            .attributes
            .iter()
            .filter_map(|a| a.strip_prefix(&prefix))
            .collect();
        let whole = self.attributes.iter().any(|a| a == top);
        inner.retain(|key, _| {
            let lower = key.to_ascii_lowercase();
            let excluded = self
                .excluded
                .iter()
                .any(|e| e.strip_prefix(&prefix) == Some(lower.as_str()));
            !excluded && (whole || wanted.is_empty() || wanted.contains(&lower.as_str()))
        });
    }
}

fn strip_schema(attr: &str) -> &str {
    for schema in [USER_SCHEMA, GROUP_SCHEMA] {
        if let Some(rest) = attr.strip_prefix(schema).and_then(|r| r.strip_prefix(':')) {
            return rest;
        }
    }
    attr
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;
    use crate::user::UserWrite;

    fn user(body: Value) -> UserResource {
        let now = Utc::now();
        UserResource {
            id: "Id-1".into(),
            write: UserWrite::parse(&body).unwrap(),
            groups: Vec::new(),
            created: now,
            last_modified: now,
        }
    }

    #[test]
    fn user_name_is_case_insensitive_in_name_and_value() {
        let u = user(json!({"userName":"Alice@Example.com"}));
        for f in [
            r#"userName eq "alice@example.com""#,
            r#"USERNAME Eq "ALICE@EXAMPLE.COM""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@example.com""#,
        ] {
            let filter = UserFilter::parse(f).unwrap();
            assert!(filter.matches(&u), "{f}");
            assert_eq!(
                filter.user_name_eq().map(str::to_lowercase).as_deref(),
                Some("alice@example.com")
            );
        }
    }

    #[test]
    fn operators_value_paths_and_case_exact_ids() {
        let u = user(
            json!({"userName":"a@x.io","externalId":"ExT","active":false,
            "name":{"givenName":"Ann"},"emails":[{"value":"a@x.io","type":"work","primary":true}]}),
        );
        let yes = [
            r#"externalId eq "ExT""#,
            r#"name.givenName sw "an""#,
            r#"emails[type eq "work" and value co "@X."]"#,
            r#"emails.value ew ".io""#,
            "active eq false",
            "title eq null",
            "name.givenName pr and not (displayName pr)",
            r#"userName eq "nobody@x.io" or id eq "Id-1""#,
        ];
        for f in yes {
            assert!(UserFilter::parse(f).unwrap().matches(&u), "{f}");
        }
        let no = [
            r#"externalId eq "ext""#,
            r#"id eq "id-1""#,
            "active eq true",
            r#"emails[type eq "home"]"#,
        ];
        for f in no {
            assert!(!UserFilter::parse(f).unwrap().matches(&u), "{f}");
        }
    }

    #[test]
    fn bad_filters_are_invalid_filter() {
        for f in [
            "userName eq",
            "userName xx \"a\"",
            "(userName eq \"a\"",
            &"a".repeat(MAX_FILTER_LEN + 1),
        ] {
            let err = UserFilter::parse(f).unwrap_err();
            assert_eq!(err.scim_type, Some("invalidFilter"), "{f}");
        }
    }

    #[test]
    fn list_params_clamp_and_refuse_garbage() {
        let p = ListParams::parse(
            Some("startIndex=0&count=5000&filter=userName%20eq%20%22a%22&foo=1"),
            1000,
        )
        .unwrap();
        assert_eq!((p.start_index, p.count), (1, 1000));
        assert_eq!(p.filter.as_deref(), Some(r#"userName eq "a""#));
        let p = ListParams::parse(Some("count=-3"), 1000).unwrap();
        assert_eq!(p.count, 0);
        assert!(
            ListParams::parse(Some("startIndex=abc"), 1000)
                .unwrap_err()
                .detail
                .contains("startIndex")
        );
    }

    #[test]
    fn projection_keeps_always_returned_attributes() {
        let mut v = json!({"schemas":[],"id":"1","userName":"a","name":{"givenName":"A","familyName":"B"},"emails":[]});
        Projection::new(Some("name.givenName"), None).apply(&mut v);
        assert_eq!(v, json!({"schemas":[],"id":"1","name":{"givenName":"A"}}));
        let mut v = json!({"schemas":[],"id":"1","displayName":"g","members":[{"value":"u"}]});
        let p = Projection::new(None, Some("members"));
        assert!(!p.includes("members"));
        p.apply(&mut v);
        assert!(v.get("members").is_none());
    }

    #[test]
    fn sorting_is_stable_and_reversible() {
        let a = user(json!({"userName":"a@x.io"}));
        let mut b = user(json!({"userName":"B@x.io"}));
        b.id = "Id-2".into();
        let asc = SortSpec::parse("userName", None).unwrap();
        assert_eq!(asc.compare(&a, &b), Ordering::Less);
        let desc = SortSpec::parse("userName", Some("descending")).unwrap();
        assert_eq!(desc.compare(&a, &b), Ordering::Greater);
        assert!(SortSpec::parse("nickName", None).is_err());
    }
}
