//! Accounts as the core sees them: a reference it stores and hands back, and the profile
//! attributes that every target has in some form.

use chrono::{DateTime, Utc};

/// Where an identity lives in the target. The core stores it with the identity and passes it
/// back on every call; it reads only [`AccountRef::id`] (to match and to show), never `detail`.
/// It can change over an identity's life (Falcon re-creates an account on reactivation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountRef {
    /// The account's id in the target, unique within the tenant.
    pub id: String,
    /// What else the target needs to address the account (Falcon: the CID it lives in).
    pub detail: Option<String>,
}

impl AccountRef {
    pub fn new(id: impl Into<String>, detail: Option<String>) -> Self {
        Self {
            id: id.into(),
            detail,
        }
    }
}

/// The profile attributes the bridge provisions. Empty names are absent names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// The login: an e-mail address, compared case-insensitively.
    pub login: String,
    pub given_name: String,
    pub family_name: String,
}

/// An account as the target holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub reference: AccountRef,
    pub profile: Profile,
    /// Whether the account can sign in (false while the target's own deactivation holds).
    pub active: bool,
    pub created: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
}
