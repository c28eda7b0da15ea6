//! The subset of the Falcon Query Language the simulator understands.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! filter := all (',' all)*            ',' is OR
//! all    := term ('+' term)*          '+' is AND, binding tighter than OR
//! term   := '(' filter ')' | field ':' op? values
//! op     := '!' | '*' | '!*'          equals (none), not equals, wildcard, not wildcard
//! values := value | '[' value (',' value)* ']'
//! value  := 'quoted text' | bare      bare = null, true, false, numbers, simple words
//! ```
//!
//! Inside quotes `\'` stands for a quote and `\\` for a backslash: Falcon does not document how
//! to escape a quote, and this is the convention most FQL producers use. In a wildcard value `*`
//! matches any run of characters (including none); without `*` a wildcard test is an equality
//! test. Comparisons are case-sensitive except on fields declared `fold_case` (the simulator
//! declares `uid`, because Falcon treats logins as e-mail addresses and Terraform lower-cases
//! them before filtering, so a case-sensitive `uid` would hide real users from the bridge).
//! Operators beyond the subset (`>`, `<`, `~`) are rejected rather than approximated.

use thiserror::Error;

/// A filterable property and how it compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub name: &'static str,
    pub fold_case: bool,
}

impl Field {
    pub(crate) const fn exact(name: &'static str) -> Self {
        Self {
            name,
            fold_case: false,
        }
    }

    pub(crate) const fn folded(name: &'static str) -> Self {
        Self {
            name,
            fold_case: true,
        }
    }
}

/// Why a filter could not be parsed; `position` counts characters from 0.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid filter at position {position}: {problem}")]
pub(crate) struct FqlError {
    pub position: usize,
    pub problem: String,
}

/// A parsed filter, ready to test records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    root: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Any(Vec<Expr>),
    All(Vec<Expr>),
    Test(Test),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Test {
    field: Field,
    op: Op,
    values: Vec<Literal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equals,
    NotEquals,
    Like,
    NotLike,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Literal {
    /// Already lower-cased when the field folds case.
    Text(String),
    Null,
}

impl Filter {
    /// Parses `text`, accepting only the given fields.
    pub(crate) fn parse(text: &str, fields: &[Field]) -> Result<Self, FqlError> {
        let mut parser = Parser {
            chars: text.chars().collect(),
            pos: 0,
            fields,
        };
        let root = parser.any()?;
        parser.skip_ws();
        let after_space = parser.pos > 0 && parser.chars[parser.pos - 1].is_whitespace();
        match parser.peek() {
            None => Ok(Self { root }),
            // A '+' that arrived unencoded decodes to a space between two terms.
            Some(_) if after_space => Err(parser.error(unexpected(' '))),
            Some(c) => Err(parser.error(unexpected(c))),
        }
    }

    /// Whether the record whose field values `lookup` yields passes the filter. `lookup`
    /// returns `None` for a field the record does not have.
    pub(crate) fn matches<'v>(&self, lookup: impl Fn(&'static str) -> Option<&'v str>) -> bool {
        self.root.matches(&lookup)
    }
}

fn unexpected(c: char) -> String {
    if c == ' ' {
        "unexpected space (a literal '+' must be sent percent-encoded as %2B)".to_owned()
    } else {
        format!("unexpected character '{c}'")
    }
}

impl Expr {
    fn matches<'v>(&self, lookup: &impl Fn(&'static str) -> Option<&'v str>) -> bool {
        match self {
            Self::Any(parts) => parts.iter().any(|p| p.matches(lookup)),
            Self::All(parts) => parts.iter().all(|p| p.matches(lookup)),
            Self::Test(test) => test.matches(lookup(test.field.name)),
        }
    }
}

impl Test {
    fn matches(&self, actual: Option<&str>) -> bool {
        let fold = self.field.fold_case;
        match self.op {
            Op::Equals => self.values.iter().any(|v| equals(v, actual, fold)),
            Op::NotEquals => !self.values.iter().any(|v| equals(v, actual, fold)),
            Op::Like => self.values.iter().any(|v| like(v, actual, fold)),
            Op::NotLike => !self.values.iter().any(|v| like(v, actual, fold)),
        }
    }
}

fn equals(expected: &Literal, actual: Option<&str>, fold: bool) -> bool {
    match (expected, actual) {
        (Literal::Null, actual) => actual.is_none_or(str::is_empty),
        (Literal::Text(_), None) => false,
        // `expected` is already lower-cased; comparing char by char avoids an allocation per
        // record, which matters when a batch filter ORs a hundred logins over 100,000 users.
        (Literal::Text(t), Some(a)) if fold => a.chars().flat_map(char::to_lowercase).eq(t.chars()),
        (Literal::Text(t), Some(a)) => a == t,
    }
}

fn like(pattern: &Literal, actual: Option<&str>, fold: bool) -> bool {
    match (pattern, actual) {
        (Literal::Text(p), Some(a)) if fold => glob(p, &a.to_lowercase()),
        (Literal::Text(p), Some(a)) => glob(p, a),
        _ => equals(pattern, actual, fold),
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last star was and which text position it currently swallows up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if p.get(pi) == Some(&'*') {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if p.get(pi) == Some(&t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((star, swallowed)) = backtrack {
            pi = star + 1;
            ti = swallowed + 1;
            backtrack = Some((star, swallowed + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

struct Parser<'f> {
    chars: Vec<char>,
    pos: usize,
    fields: &'f [Field],
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn error(&self, problem: impl Into<String>) -> FqlError {
        FqlError {
            position: self.pos,
            problem: problem.into(),
        }
    }

    fn any(&mut self) -> Result<Expr, FqlError> {
        let mut parts = vec![self.all()?];
        while self.eat(',') {
            parts.push(self.all()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Any(parts)
        })
    }

    fn all(&mut self) -> Result<Expr, FqlError> {
        let mut parts = vec![self.term()?];
        while self.eat('+') {
            parts.push(self.term()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::All(parts)
        })
    }

    fn term(&mut self) -> Result<Expr, FqlError> {
        if self.eat('(') {
            let inner = self.any()?;
            if !self.eat(')') {
                return Err(self.error("expected ')'"));
            }
            return Ok(inner);
        }
        self.skip_ws();
        let field = self.field()?;
        if !self.eat(':') {
            return Err(self.error(format!("expected ':' after field '{}'", field.name)));
        }
        let op = self.op()?;
        let values = self.values(field)?;
        Ok(Expr::Test(Test { field, op, values }))
    }

    fn field(&mut self) -> Result<Field, FqlError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        if name.is_empty() {
            return Err(self.error(match self.peek() {
                None => "expected a field name, found the end of the filter".to_owned(),
                Some(c) => format!("expected a field name, found '{c}'"),
            }));
        }
        self.fields
            .iter()
            .copied()
            .find(|f| f.name == name)
            .ok_or_else(|| {
                let allowed: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
                FqlError {
                    position: start,
                    problem: format!("unknown field '{name}' (allowed: {})", allowed.join(", ")),
                }
            })
    }

    fn op(&mut self) -> Result<Op, FqlError> {
        self.skip_ws();
        match self.peek() {
            Some('!') => {
                self.pos += 1;
                if self.peek() == Some('*') {
                    self.pos += 1;
                    Ok(Op::NotLike)
                } else if self.peek() == Some('~') {
                    Err(self.error("operator '!~' is not supported by the simulator"))
                } else {
                    Ok(Op::NotEquals)
                }
            }
            Some('*') => {
                self.pos += 1;
                Ok(Op::Like)
            }
            Some(c @ ('>' | '<' | '~')) => {
                Err(self.error(format!("operator '{c}' is not supported by the simulator")))
            }
            _ => Ok(Op::Equals),
        }
    }

    fn values(&mut self, field: Field) -> Result<Vec<Literal>, FqlError> {
        if !self.eat('[') {
            return Ok(vec![self.value(field)?]);
        }
        if self.eat(']') {
            return Err(self.error("empty value list"));
        }
        let mut values = vec![self.value(field)?];
        while self.eat(',') {
            values.push(self.value(field)?);
        }
        if !self.eat(']') {
            return Err(self.error("expected ',' or ']' in value list"));
        }
        Ok(values)
    }

    fn value(&mut self, field: Field) -> Result<Literal, FqlError> {
        self.skip_ws();
        let text = if self.peek() == Some('\'') {
            self.quoted()?
        } else {
            let start = self.pos;
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
            {
                self.pos += 1;
            }
            if start == self.pos {
                return Err(self.error(format!(
                    "expected a value in single quotes for field '{}'",
                    field.name
                )));
            }
            let bare: String = self.chars[start..self.pos].iter().collect();
            if bare == "null" {
                return Ok(Literal::Null);
            }
            bare
        };
        Ok(Literal::Text(if field.fold_case {
            text.to_lowercase()
        } else {
            text
        }))
    }

    fn quoted(&mut self) -> Result<String, FqlError> {
        let opened_at = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(FqlError {
                        position: opened_at,
                        problem: "unterminated quoted value".to_owned(),
                    });
                }
                Some('\'') => {
                    self.pos += 1;
                    return Ok(text);
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ ('\'' | '\\')) => {
                            text.push(c);
                            self.pos += 1;
                        }
                        // Any other backslash is literal, so Windows-style text survives.
                        _ => text.push('\\'),
                    }
                }
                Some(c) => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[
        Field::folded("uid"),
        Field::exact("first_name"),
        Field::exact("last_name"),
        Field::exact("status"),
    ];

    fn user<'a>(
        uid: &'a str,
        first: &'a str,
        last: &'a str,
    ) -> impl Fn(&'static str) -> Option<&'a str> {
        move |field| match field {
            "uid" => Some(uid),
            "first_name" => Some(first),
            "last_name" => Some(last),
            "status" => Some("active"),
            _ => None,
        }
    }

    fn check(filter: &str, uid: &str, first: &str, last: &str) -> bool {
        Filter::parse(filter, FIELDS)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(user(uid, first, last))
    }

    #[test]
    fn equality_and_negation() {
        assert!(check("first_name:'Jane'", "j@x.com", "Jane", "Doe"));
        assert!(
            !check("first_name:'jane'", "j@x.com", "Jane", "Doe"),
            "names are case-sensitive"
        );
        assert!(check("first_name:!'Bob'", "j@x.com", "Jane", "Doe"));
        assert!(!check("first_name:!'Jane'", "j@x.com", "Jane", "Doe"));
    }

    #[test]
    fn uid_compares_case_insensitively() {
        assert!(check(
            "uid:'Jane.Doe@Example.com'",
            "jane.doe@example.com",
            "J",
            "D"
        ));
        assert!(check(
            "uid:'jane.doe@example.com'",
            "JANE.DOE@example.com",
            "J",
            "D"
        ));
        assert!(check("uid:*'JANE*'", "jane.doe@example.com", "J", "D"));
    }

    #[test]
    fn wildcards() {
        assert!(check("uid:*'*doe*'", "jane.doe@example.com", "J", "D"));
        assert!(check("uid:*'jane*.com'", "jane.doe@example.com", "J", "D"));
        assert!(!check("uid:*'*.org'", "jane.doe@example.com", "J", "D"));
        assert!(check(
            "uid:*'jane.doe@example.com'",
            "jane.doe@example.com",
            "J",
            "D"
        ));
        assert!(
            !check("uid:*'jane'", "jane.doe@example.com", "J", "D"),
            "no star = whole value"
        );
        assert!(check("uid:!*'*.org'", "jane.doe@example.com", "J", "D"));
        assert!(
            glob("a*b*c", "aXXbYYc") && glob("*", "") && !glob("a*b", "acb c") && glob("**a", "a")
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        // (first=Bob AND last=Doe) OR first=Jane
        assert!(check(
            "first_name:'Bob'+last_name:'Doe',first_name:'Jane'",
            "u@x",
            "Jane",
            "Roe"
        ));
        assert!(!check(
            "first_name:'Bob'+last_name:'Doe',first_name:'Ann'",
            "u@x",
            "Jane",
            "Doe"
        ));
        assert!(check(
            "first_name:'Jane'+(last_name:'X',last_name:'Doe')",
            "u@x",
            "Jane",
            "Doe"
        ));
        assert!(!check(
            "first_name:'Jane'+(last_name:'X',last_name:'Y')",
            "u@x",
            "Jane",
            "Doe"
        ));
    }

    #[test]
    fn lists_and_batches() {
        assert!(check("uid:['a@x.com','b@x.com']", "B@x.com", "J", "D"));
        assert!(!check("uid:!['a@x.com','b@x.com']", "b@x.com", "J", "D"));
        assert!(check("uid:*'a@x.com',uid:*'b@x.com'", "b@x.com", "J", "D"));
        assert!(
            check("status:active", "u@x", "J", "D"),
            "bare words are values"
        );
    }

    #[test]
    fn escaped_quote_and_spaces() {
        assert!(check(r"last_name:'O\'Brien'", "u@x", "Pat", "O'Brien"));
        assert!(check(r"last_name:'a\\b'", "u@x", "Pat", r"a\b"));
        assert!(check(
            " first_name : 'Pat' + last_name:'Lee' ",
            "u@x",
            "Pat",
            "Lee"
        ));
        assert!(check("last_name:null", "u@x", "Pat", ""));
    }

    #[test]
    fn errors_name_the_problem() {
        let err = |f: &str| {
            Filter::parse(f, FIELDS)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err("email:'x'").contains("unknown field 'email'"));
        assert!(err("uid'x'").contains("expected ':' after field 'uid'"));
        assert!(err("uid:'x").contains("unterminated"));
        assert!(err("uid:'x' last_name:'y'").contains("%2B"));
        assert!(err("uid:>'x'").contains("operator '>'"));
        assert!(err("uid:[]").contains("empty value list"));
        assert!(err("(uid:'x'").contains("expected ')'"));
        assert!(err("uid:'x',").contains("found the end"));
        assert!(err("uid:").contains("expected a value"));
        assert_eq!(
            Filter::parse("uid:'x')", FIELDS).err().map(|e| e.position),
            Some(7)
        );
    }
}
