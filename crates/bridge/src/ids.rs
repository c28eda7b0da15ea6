//! The core's names for things: the SCIM ids of users and groups, read with a fallible `parse`
//! wherever they come from outside (a URL, a group's member list, the store), and the keys the
//! per-identity locks are taken on.

use std::fmt;

/// Longest id the bridge accepts; its own are 36-character UUIDs.
const MAX_ID_LEN: usize = 256;

/// Why a text is not a SCIM id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an id must not be empty")]
    Empty,
    #[error("an id must not be longer than {MAX_ID_LEN} bytes")]
    TooLong,
    #[error("an id must not contain whitespace or control characters")]
    Character,
}

fn check(text: &str) -> Result<(), IdError> {
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    if text.len() > MAX_ID_LEN {
        return Err(IdError::TooLong);
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(IdError::Character);
    }
    Ok(())
}

macro_rules! scim_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Reads an id that comes from outside the core.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                check(text).map(|()| Self(text.to_owned()))
            }

            /// A new id for a resource the bridge creates.
            pub fn generate() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

scim_id!(
    /// The SCIM `id` of a user: stable for the identity's life, across deprovisioning and
    /// reactivation. A target account adopted by the bridge keeps its account id as SCIM id.
    UserId
);

scim_id!(
    /// The SCIM `id` of a group.
    GroupId
);

impl UserId {
    /// The SCIM id a target account has before the bridge adopts it: the account's own id.
    pub fn of_account(account_id: &str) -> Result<Self, IdError> {
        Self::parse(account_id)
    }
}

/// What a per-identity lock is taken on. Requests about one user (or group) are serialised;
/// requests about different ones are not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LockKey {
    User(UserId),
    /// A lower-cased `userName`, held while a user of that name is created or adopted.
    UserName(String),
    Group(GroupId),
    /// A lower-cased group `displayName`, held while a group of that name is created.
    GroupName(String),
}

impl LockKey {
    pub fn user_name(name: &str) -> Self {
        LockKey::UserName(name.to_lowercase())
    }

    pub fn group_name(name: &str) -> Self {
        LockKey::GroupName(name.to_lowercase())
    }

    /// The name of this lock among the replicas sharing a store.
    pub fn shared_name(&self) -> String {
        match self {
            LockKey::User(id) => format!("user:{id}"),
            LockKey::UserName(name) => format!("user-name:{name}"),
            LockKey::Group(id) => format!("group:{id}"),
            LockKey::GroupName(name) => format!("group-name:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_outside_are_checked() {
        assert!(UserId::parse("3f1d9a2e-0000-4000-8000-000000000001").is_ok());
        assert_eq!(UserId::parse(""), Err(IdError::Empty));
        assert_eq!(GroupId::parse("a b"), Err(IdError::Character));
        assert_eq!(GroupId::parse("a\u{7}"), Err(IdError::Character));
        assert_eq!(UserId::parse(&"x".repeat(257)), Err(IdError::TooLong));
        let generated = GroupId::generate();
        assert_eq!(GroupId::parse(generated.as_str()), Ok(generated));
    }

    #[test]
    fn name_keys_ignore_case() {
        assert_eq!(
            LockKey::user_name("Jane@X.com"),
            LockKey::user_name("jane@x.com")
        );
        assert_ne!(
            LockKey::User(UserId::parse("a").unwrap()),
            LockKey::Group(GroupId::parse("a").unwrap())
        );
    }
}
