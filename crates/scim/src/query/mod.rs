//! List queries (RFC 7644 §3.4.2): what a `GET /Users` or `GET /Groups` asks for, and how.
//!
//! `filter.rs` parses the `filter` parameter (with `scim_v2`'s grammar, within
//! [`FilterLimits`], after `sub_attribute_filter.rs` has put Entra's `emails[...].value eq`
//! terms in RFC form) into a [`UserFilter`] or [`GroupFilter`] and evaluates it; `sort.rs` reads
//! `sortBy`/`sortOrder` into a [`SortSpec`]; `paging.rs` reads the query string into
//! [`ListParams`] (`startIndex`/`count`, clamped); `projection.rs` applies
//! `attributes`/`excludedAttributes` to rendered JSON ([`Projection`]). Everything public is
//! re-exported here, so callers name `scim::query::X` whatever file `X` lives in.

mod filter;
mod paging;
mod projection;
mod sort;
mod sub_attribute_filter;

pub(crate) use filter::eval_val;
pub use filter::{FilterLimits, GroupFilter, MAX_FILTER_LEN, UserFilter};
pub use paging::ListParams;
pub use projection::Projection;
pub use sort::SortSpec;

/// A user read from `body`, for the tests of the filter and sort code.
#[cfg(test)]
fn test_user(body: serde_json::Value) -> crate::user::UserResource {
    let now = chrono::Utc::now();
    crate::user::UserResource {
        id: "Id-1".into(),
        write: crate::user::UserWrite::parse(&body).unwrap(),
        groups: Vec::new(),
        created: now,
        last_modified: now,
    }
}
