//! `sortBy` and `sortOrder` (RFC 7644 §3.4.2.3): which User attribute a list is ordered by, and
//! in which direction. Ties break on `id`, so pages stay stable while a client walks them.

use std::cmp::Ordering;

use crate::error::ScimError;
use crate::user::{USER_SCHEMA, UserResource};

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
            SortKey::Email => Some(
                w.emails
                    .iter()
                    .find(|e| e.primary)
                    .or(w.emails.first())
                    .map_or(w.user_name.as_str(), |e| e.value.as_str()),
            ),
            SortKey::Created | SortKey::LastModified => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::query::test_user as user;

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
