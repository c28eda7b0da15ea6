//! Names a person can trust: the characters refused in a login, an e-mail address or a name.
//!
//! A userName, e-mail address or name is read by people (in Falcon's console, in audit logs, in
//! the IdP) who decide from it who someone is. Control characters (Unicode general category Cc)
//! and invisible format characters (Cf: bidirectional overrides and isolates such as U+202E and
//! U+2066..U+2069, zero-width U+200B..U+200D, U+2060, U+FEFF, the soft hyphen U+00AD, ...) make
//! a string look like another one, or like nothing; so such a value is refused with 400
//! `invalidValue` naming the attribute and the code point. The one exception: a person's name
//! may hold the zero-width joiner and non-joiner (U+200D, U+200C), which Persian, Kurdish and
//! Indic spellings need. Cc is `char::is_control`; Cf comes from `unicode-properties` (the
//! unicode-rs tables, UAX #44).

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::ScimError;

/// Whether `c` is a control character (Cc) or an invisible format character (Cf).
pub fn is_untrusted(c: char) -> bool {
    c.is_control() || c.general_category() == GeneralCategory::Format
}

/// The first control or format character of `value`.
pub fn first_untrusted(value: &str) -> Option<char> {
    value.chars().find(|&c| is_untrusted(c))
}

/// The refusal of `attribute` for containing `c`.
pub fn untrusted_error(attribute: &str, c: char) -> ScimError {
    ScimError::invalid_value(format!(
        "{attribute} contains U+{:04X} (an invisible or control character)",
        u32::from(c)
    ))
}

/// Refuses `value` if it holds a control or format character.
pub fn check(attribute: &str, value: &str) -> Result<(), ScimError> {
    match first_untrusted(value) {
        Some(c) => Err(untrusted_error(attribute, c)),
        None => Ok(()),
    }
}

/// The zero-width non-joiner and joiner (U+200C, U+200D): format characters that Persian,
/// Kurdish and Indic spellings of people's names need, and emoji sequences too.
const JOINERS: [char; 2] = ['\u{200C}', '\u{200D}'];

/// Like [`check`], for a person's name: the joiners that scripts need in names are allowed
/// there (never in a login or an e-mail address, which people compare by eye).
pub fn check_name(attribute: &str, value: &str) -> Result<(), ScimError> {
    match value
        .chars()
        .find(|&c| is_untrusted(c) && !JOINERS.contains(&c))
    {
        Some(c) => Err(untrusted_error(attribute, c)),
        None => Ok(()),
    }
}

/// `text` safe to quote in a one-line message: control and format characters are shown as
/// `\u{...}` escapes instead of being reproduced.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_untrusted(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_may_hold_the_joiners_their_scripts_need_logins_may_not() {
        // "Alireza" in Persian, written with a zero-width non-joiner.
        let persian = "\u{639}\u{644}\u{6CC}\u{200C}\u{631}\u{636}\u{627}";
        assert!(check_name("name.givenName", persian).is_ok());
        assert!(check("userName", persian).is_err());
        let bidi = check_name("name.givenName", "Ann\u{202E}a").unwrap_err();
        assert_eq!(
            bidi.detail,
            "name.givenName contains U+202E (an invisible or control character)"
        );
        assert!(check_name("name.familyName", "Do\u{200B}e").is_err());
    }

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for c in [
            '\u{0}',
            '\u{7}',
            '\t',
            '\n',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{9f}', // Cc
            '\u{ad}',
            '\u{61c}',
            '\u{180e}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202e}',
            '\u{2060}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{fff9}',
            '\u{e0001}',
            '\u{e0041}', // Cf
        ] {
            assert!(is_untrusted(c), "U+{:04X}", u32::from(c));
        }
        for c in [
            'a', 'é', 'ß', ' ', '\u{a0}', '-', '\'', '李', 'ä', '\u{301}', '@', '😀',
        ] {
            assert!(!is_untrusted(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn the_refusal_names_attribute_and_code_point() {
        let err = check("userName", "admin\u{202e}moc.evil@x.io").unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(
            err.detail,
            "userName contains U+202E (an invisible or control character)"
        );
        assert_eq!(
            check("name.givenName", "Jo\u{200b}hn").unwrap_err().detail,
            "name.givenName contains U+200B (an invisible or control character)"
        );
        assert_eq!(
            check("emails.value", "\u{e0041}@x.io").unwrap_err().detail,
            "emails.value contains U+E0041 (an invisible or control character)"
        );
        assert!(check("displayName", "José Müller-Lüdenscheidt").is_ok());
    }

    #[test]
    fn quoting_keeps_one_visible_line() {
        assert_eq!(quoted("a\nb\u{202e}c"), "a\\u{a}b\\u{202e}c");
        assert_eq!(quoted("plain é"), "plain é");
    }
}
