//! Building Falcon Query Language (FQL) filters with correct quoting.
//!
//! FQL strings are single-quoted; how Falcon escapes a quote inside a value is undocumented, so we
//! backslash-escape `\` and `'` (a login such as `o'brien@example.com` is a legal e-mail).

/// `field:'value'`, an exact match.
pub fn eq(field: &str, value: &str) -> String {
    format!("{field}:'{}'", escape(value))
}

/// `field:['a','b']`, any of the values.
pub fn any_of<'a>(field: &str, values: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = values
        .into_iter()
        .map(|v| format!("'{}'", escape(v)))
        .collect();
    format!("{field}:[{}]", quoted.join(","))
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(eq("uid", "jane@example.com"), "uid:'jane@example.com'");
        assert_eq!(eq("uid", "o'brien@x.com"), r"uid:'o\'brien@x.com'");
        assert_eq!(eq("uid", r"a\b"), r"uid:'a\\b'");
        assert_eq!(any_of("uid", ["a@x", "b@x"]), "uid:['a@x','b@x']");
    }
}
