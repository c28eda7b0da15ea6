//! The `filter` query parameter (RFC 7644 §3.4.2.2): parsing it, within its limits, into a
//! [`UserFilter`] or [`GroupFilter`], and evaluating it against a resource.
//!
//! Parsing uses `scim_v2`'s grammar; length and nesting are checked here, so that an oversized
//! filter is refused before and while it is parsed. A filter is evaluated against the resource's
//! SCIM JSON, so it sees exactly what a client sees: attribute names are case-insensitive,
//! `caseExact` attributes (`id`, `externalId`, member and group `value`s) compare exactly and
//! everything else ignores case, as RFC 7643 defines for the User and Group schemas.

use scim_v2::filter::{
    AttrExp, AttrPath, CompValue, CompareOp, Filter, FilterActionError, ParseError, ValFilter,
};
use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::group::{GROUP_SCHEMA, GroupResource};
use crate::lenient::get_ci;
use crate::limits::{DEFAULT_MAX_FILTER_DEPTH, DEFAULT_MAX_FILTER_LEN, Limits};
use crate::schema::{ResourceKind, check_filter};
use crate::text;
use crate::user::{USER_SCHEMA, UserResource};

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

fn parse_filter(
    text: &str,
    limits: FilterLimits,
    resource: ResourceKind,
) -> Result<Filter, ScimError> {
    if text.len() > limits.max_len {
        return Err(ScimError::invalid_filter(format!(
            "the filter is longer than {} characters",
            limits.max_len
        )));
    }
    // The parser bounds nesting (64) and terms (1024) itself, while parsing, so that a hostile
    // filter costs bounded memory; going past those bounds is "too complex", not a syntax error.
    let text = super::sub_attribute_filter::lift(text);
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
        e => ScimError::invalid_filter(syntax_error(&text, &e)),
    })?;
    let depth = filter_depth(&filter);
    if depth > limits.max_depth {
        return Err(ScimError::too_many(format!(
            "the filter is nested {depth} levels deep; at most {} are allowed",
            limits.max_depth
        )));
    }
    // A name no schema defines would match nothing, silently: a typo must be an error.
    check_filter(&filter, resource).map_err(|unknown| {
        ScimError::invalid_filter(format!(
            "the filter names '{}', which {}",
            unknown.attribute,
            unknown.reason()
        ))
    })?;
    Ok(filter)
}

/// How much of the filter a syntax error quotes before the place it points at, and at most of
/// the offending token, in characters.
const QUOTE_BEFORE: usize = 40;
const QUOTE_TOKEN: usize = 40;

const OPERATORS: [&str; 9] = ["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"];
const A_VALUE: &str = r#"a value ("...", a number, true, false or null)"#;

/// A one-line account of a syntax error for an IdP admin: where (the character position, and the
/// filter quoted up to that point), and what was expected there, in words rather than grammar
/// symbols. For example: `cannot parse the filter at character 10: 'userName eq' <- here;
/// expected a value ("...", a number, true, false or null)`.
fn syntax_error(text: &str, error: &ParseError) -> String {
    // The parser reads the filter without its surrounding whitespace; its offsets are in bytes.
    let lead = text.len() - text.trim_start().len();
    let body = text.trim();
    let (start, end, hint) = match error {
        ParseError::InvalidToken { location } => {
            let at = lead + location;
            let c = text[at..].chars().next().unwrap_or(' ');
            let hint = if c == '"' {
                "a string value has no closing '\"'".to_owned()
            } else if c == '\'' {
                "string values are in double quotes (\"...\"), not single quotes".to_owned()
            } else {
                format!(
                    "'{}' cannot appear here (attribute names are ASCII letters, digits, '_' and '-'; values are quoted)",
                    text::quoted(&c.to_string())
                )
            };
            (at, at + c.len_utf8(), hint)
        }
        ParseError::UnrecognizedEof { expected, .. } => {
            let at = lead + body.len();
            // A trailing `not` is read as an attribute name (the keyword needs a space after it).
            let last = body.rsplit(char::is_whitespace).next().unwrap_or_default();
            let hint = match ["and", "or", "not"]
                .iter()
                .find(|kw| last.eq_ignore_ascii_case(kw))
            {
                Some(kw) => format!("expected a comparison after '{kw}'"),
                None => format!(
                    "the filter ends where {} was expected",
                    expectation(expected)
                ),
            };
            (at, at, hint)
        }
        ParseError::UnrecognizedToken {
            token: (from, token, to),
            expected,
        } => {
            // Operator tokens carry the spaces around them; point at the word.
            let word = token.trim();
            let from = lead + from + (token.len() - token.trim_start().len());
            let to = lead + to - (token.len() - token.trim_end().len());
            let at_end = to == lead + body.len();
            // `userName eq` reads `eq` as an attribute name: an operator or a connective counts
            // as one only with a space on each side (and something after it).
            let read_as_name = word.len() == token.len();
            let keyword = |words: &[&'static str]| {
                words
                    .iter()
                    .copied()
                    .find(|w| read_as_name && word.eq_ignore_ascii_case(w))
            };
            let operator = keyword(&OPERATORS).or(keyword(&["pr"]));
            let connective = keyword(&["and", "or", "not"]);
            let hint = match (operator, connective) {
                (Some(op), _) if at_end && op != "pr" => format!("expected {A_VALUE}"),
                (Some(_), _) | (_, Some(_)) if !at_end => {
                    format!("'{word}' needs a space on each side")
                }
                (_, Some(kw)) => format!("expected a comparison after '{kw}'"),
                _ if [")", "]"].contains(&word) && !expected.iter().any(|e| e.contains(word)) => {
                    format!("this '{word}' closes nothing")
                }
                _ => format!("expected {}", expectation(expected)),
            };
            (from, to, hint)
        }
        ParseError::ExtraToken {
            token: (from, _, to),
        } => (
            lead + from,
            lead + to,
            "expected 'and', 'or' or the end of the filter".to_owned(),
        ),
        ParseError::User { error } => {
            let (token, hint) = match error {
                FilterActionError::InvalidAttrPath(path) => (
                    Some(path.as_str()),
                    "an attribute path has at most one '.' (attribute.subAttribute)".to_owned(),
                ),
                FilterActionError::InvalidAttrName(path) => (
                    Some(path.as_str()),
                    "attribute names start with a letter, then letters, digits, '_' or '-'"
                        .to_owned(),
                ),
                FilterActionError::InvalidCompValue(e) => {
                    (None, format!("a value is not valid JSON ({e})"))
                }
                other => (None, other.to_string()),
            };
            match token.and_then(|t| text.find(t).map(|at| (at, at + t.len()))) {
                Some((from, to)) => (from, to, hint),
                None => return format!("cannot parse the filter: {hint}"),
            }
        }
    };
    let place = if start >= lead + body.len() {
        "at its end".to_owned()
    } else {
        format!("at character {}", text[..start].chars().count() + 1)
    };
    format!(
        "cannot parse the filter {place}: '{}' <- here; {hint}",
        excerpt(text, lead, start, end)
    )
}

/// The filter from up to [`QUOTE_BEFORE`] characters before `start` to the end of the token at
/// `start..end` (at most [`QUOTE_TOKEN`] characters of it), on one line.
fn excerpt(text: &str, lead: usize, start: usize, end: usize) -> String {
    let lead = lead.min(text.len());
    let start = start.clamp(lead, text.len());
    let end = end.clamp(start, text.len());
    let before: Vec<(usize, char)> = text[lead..start].char_indices().collect();
    let from = before
        .len()
        .checked_sub(QUOTE_BEFORE)
        .map_or(lead, |skip| lead + before[skip].0);
    let token: String = text[start..end].chars().take(QUOTE_TOKEN).collect();
    let cut_before = if from > lead { "..." } else { "" };
    let cut_after = if token.len() < end - start { "..." } else { "" };
    format!(
        "{cut_before}{}{}{cut_after}",
        text::quoted(&text[from..start]),
        text::quoted(&token)
    )
}

/// What the grammar expected, in words: `an operator (eq, ...) or '['`.
fn expectation(expected: &[String]) -> String {
    let has = |names: &[&str]| {
        expected
            .iter()
            .any(|e| names.contains(&e.trim_matches('"')))
    };
    let mut wanted: Vec<String> = Vec::new();
    if has(&["AttrNameTok", "AttrPathTok"]) {
        wanted.push("an attribute name".into());
    }
    if has(&OPERATORS) {
        wanted.push(format!("an operator ({} or pr)", OPERATORS.join(", ")));
    } else if has(&["pr"]) {
        wanted.push("'pr'".into());
    }
    if has(&["StringLit", "NumberLit", "true", "false", "null"]) {
        wanted.push(A_VALUE.into());
    }
    // After a complete comparison the grammar may list only one of the two connectives.
    if has(&["and", "or"]) {
        wanted.push("'and'".into());
        wanted.push("'or'".into());
    }
    for symbol in ["not", "(", "[", ")", "]", "."] {
        if has(&[symbol]) {
            wanted.push(format!("'{symbol}'"));
        }
    }
    match wanted.split_last() {
        None => "something else".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
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
        parse_filter(text, limits, ResourceKind::User).map(Self)
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
        parse_filter(text, limits, ResourceKind::Group).map(Self)
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ScimType;
    use crate::query::test_user as user;

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
    fn syntax_errors_say_where_and_what_in_one_line() {
        let cases = [
            (
                "userName eq",
                r#"cannot parse the filter at character 10: 'userName eq' <- here; expected a value ("...", a number, true, false or null)"#,
            ),
            (
                "  userName eq\"a\"",
                "cannot parse the filter at character 12: 'userName eq' <- here; 'eq' needs a space on each side",
            ),
            (
                r#"userName xx "a""#,
                "cannot parse the filter at character 10: 'userName xx' <- here; expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le or pr) or '['",
            ),
            (
                r#"(userName eq "a""#,
                r#"cannot parse the filter at its end: '(userName eq "a"' <- here; the filter ends where 'and', 'or' or ')' was expected"#,
            ),
            (
                r#"userName eq "a" )"#,
                r#"cannot parse the filter at character 17: 'userName eq "a" )' <- here; this ')' closes nothing"#,
            ),
            (
                r#"userName eq "unterminated"#,
                r#"cannot parse the filter at character 13: 'userName eq "' <- here; a string value has no closing '"'"#,
            ),
            (
                "userName eq 'a'",
                r#"cannot parse the filter at character 13: 'userName eq '' <- here; string values are in double quotes ("..."), not single quotes"#,
            ),
            (
                r#"userName eq "a" and"#,
                r#"cannot parse the filter at character 17: 'userName eq "a" and' <- here; expected a comparison after 'and'"#,
            ),
            (
                r#"userName eq "a" and not"#,
                r#"cannot parse the filter at its end: 'userName eq "a" and not' <- here; expected a comparison after 'not'"#,
            ),
            (
                "a.b.c eq 1",
                "cannot parse the filter at character 1: 'a.b.c' <- here; an attribute path has at most one '.' (attribute.subAttribute)",
            ),
            (
                "d\u{ef}splayName eq \"x\"",
                "cannot parse the filter at character 2: 'd\u{ef}' <- here; '\u{ef}' cannot appear here (attribute names are ASCII letters, digits, '_' and '-'; values are quoted)",
            ),
            (
                "userName eq \"a\"\n or user\u{202e}Name pr",
                "cannot parse the filter at character 25: 'userName eq \"a\"\\u{a} or user\\u{202e}' <- here; '\\u{202e}' cannot appear here (attribute names are ASCII letters, digits, '_' and '-'; values are quoted)",
            ),
        ];
        for (f, want) in cases {
            let err = UserFilter::parse(f).unwrap_err();
            assert_eq!(err.scim_type, Some(ScimType::InvalidFilter), "{f}");
            assert_eq!(err.detail, want, "{f:?}");
            assert!(!err.detail.contains('\n'));
        }
        // A long filter is quoted from a little before the place, not whole.
        let long = format!(r#"userName eq "{}" and"#, "a".repeat(500));
        let detail = UserFilter::parse(&long).unwrap_err().detail;
        assert!(
            detail.starts_with("cannot parse the filter at character 516: '...aaaa"),
            "{detail}"
        );
        assert!(detail.len() < 200, "{detail}");
    }

    #[test]
    fn undefined_attributes_are_invalid_filter() {
        for (f, needle) in [
            (
                r#"userNmae eq "x""#,
                "the filter names 'userNmae', which is not a User attribute (did you mean 'userName'?)",
            ),
            (
                r#"userName eq "a" and not (foo pr)"#,
                "the filter names 'foo', which is not a User attribute",
            ),
            (
                r#"emails[typo eq "work"]"#,
                "the filter names 'emails.typo', which is not a User attribute (did you mean 'emails.type'?)",
            ),
        ] {
            let err = UserFilter::parse(f).unwrap_err();
            assert_eq!(err.scim_type, Some(ScimType::InvalidFilter), "{f}");
            assert_eq!(err.detail, needle, "{f}");
        }
        let err = GroupFilter::parse(r#"userName eq "x""#).unwrap_err();
        assert_eq!(
            err.detail,
            "the filter names 'userName', which is not a Group attribute"
        );
        assert!(GroupFilter::parse(r#"displayName eq "x" and members[value eq "u"]"#).is_ok());
        // Defined but not stored: accepted, and matches nothing.
        let u = user(json!({"userName":"a@x.io"}));
        for f in [
            "title pr",
            r#"phoneNumbers[type eq "work"]"#,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr",
        ] {
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
            assert_eq!(err.scim_type, Some(ScimType::InvalidFilter), "{f}");
        }
    }
}
