//! Entra's matching filter on a filtered element's sub-attribute:
//! `emails[type eq "work"].value eq "x"`, which Entra sends when an admin makes the work e-mail
//! the matching attribute (idp-behaviour.md §1). RFC 7644's grammar has no such term, so
//! `scim_v2` refuses it; here it is rewritten, before parsing, into the RFC form that means the
//! same: `emails[(type eq "work") and value eq "x"]`.
//!
//! The rewrite works on the text, but never inside a quoted string, and only where a `]` is
//! followed by `.name`, an operator and (except for `pr`) a value: anything else is left for the
//! parser to accept or explain.

use std::borrow::Cow;

const OPERATORS: [&str; 10] = ["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr"];

/// `text` with every `attr[filter].sub op value` term rewritten as `attr[(filter) and sub op
/// value]`.
pub(crate) fn lift(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut opens: Vec<usize> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = end_of_string(bytes, i),
            b'[' => {
                opens.push(i);
                i += 1;
            }
            b']' => {
                let open = opens.pop();
                match (open, comparison_after(text, i + 1)) {
                    (Some(open), Some((term, end))) if open >= copied => {
                        out.push_str(&text[copied..=open]);
                        out.push('(');
                        out.push_str(&text[open + 1..i]);
                        out.push_str(") and ");
                        out.push_str(term);
                        out.push(']');
                        copied = end;
                        i = end;
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The index just past the string that starts at `start` (a `"`), escapes included.
fn end_of_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// At `at`: `.name op value` (or `.name pr`); the term without its dot, and where it ends.
fn comparison_after(text: &str, at: usize) -> Option<(&str, usize)> {
    let rest = text.get(at..)?.strip_prefix('.')?;
    let start = at + 1;
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$'))
        .unwrap_or(rest.len());
    if name_len == 0 {
        return None;
    }
    let after_name = &rest[name_len..];
    let spaces = after_name.len() - after_name.trim_start().len();
    if spaces == 0 {
        return None;
    }
    let op_at = start + name_len + spaces;
    let op_text = &text[op_at..];
    let op_len = op_text
        .find(|c: char| c.is_whitespace() || c == ')' || c == ']')
        .unwrap_or(op_text.len());
    let op = &op_text[..op_len];
    if !OPERATORS.iter().any(|o| o.eq_ignore_ascii_case(op)) {
        return None;
    }
    let mut end = op_at + op_len;
    if !op.eq_ignore_ascii_case("pr") {
        let value_text = &text[end..];
        let value_at = end + (value_text.len() - value_text.trim_start().len());
        if value_at == end || value_at >= text.len() {
            return None;
        }
        end = if text.as_bytes()[value_at] == b'"' {
            end_of_string(text.as_bytes(), value_at)
        } else {
            let bare = &text[value_at..];
            value_at
                + bare
                    .find(|c: char| c.is_whitespace() || c == ')' || c == ']')
                    .unwrap_or(bare.len())
        };
    }
    Some((&text[start..end], end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entras_work_email_match_becomes_the_rfc_form() {
        assert_eq!(
            lift(r#"emails[type eq "work"].value eq "a@x.io""#),
            r#"emails[(type eq "work") and value eq "a@x.io"]"#
        );
        assert_eq!(
            lift(r#"userName eq "b" or emails[type eq "work" or primary eq true].value co "]. x""#),
            r#"userName eq "b" or emails[(type eq "work" or primary eq true) and value co "]. x"]"#
        );
        assert_eq!(
            lift(r#"(emails[type eq "work"].value pr) and active eq true"#),
            r#"(emails[(type eq "work") and value pr]) and active eq true"#
        );
    }

    #[test]
    fn everything_else_is_left_for_the_parser() {
        for text in [
            r#"userName eq "a]. eq b""#,
            r#"emails[type eq "work"]"#,
            r#"emails[type eq "work"].value"#,
            r#"emails[type eq "work"].value foo "x""#,
            r#"emails[type eq "work"].value eq"#,
            r#"members[value eq "1"] and displayName eq "x""#,
        ] {
            assert!(matches!(lift(text), Cow::Borrowed(_)), "{text}");
        }
    }
}
