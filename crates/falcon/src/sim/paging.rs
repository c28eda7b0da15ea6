//! Offset/limit paging and `sort` validation shared by the query-style routes (queryUserV1 and
//! CombinedUserRolesV2).
//!
//! Falcon rejects out-of-range values instead of clamping them, so the simulator does too: a
//! client that sends `limit=1000` must learn it on the first call, not from missing users.

use thiserror::Error;

use crate::model::{MAX_PAGE_LIMIT, Pagination};

use super::params::Params;

/// Page size when the caller sends none.
pub(crate) const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum PagingError {
    #[error("invalid offset '{0}': must be an integer >= 0")]
    Offset(String),
    #[error("invalid limit '{0}': must be an integer between 1 and {MAX_PAGE_LIMIT}")]
    Limit(String),
    #[error(
        "invalid sort '{value}': expected one of {allowed} optionally followed by |asc or |desc"
    )]
    Sort { value: String, allowed: String },
}

/// A validated `offset`/`limit` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    /// Reads `offset` and `limit`; absent or empty values take the defaults.
    pub(crate) fn from_params(params: &Params) -> Result<Self, PagingError> {
        let offset = match params.get("offset").filter(|v| !v.is_empty()) {
            None => 0,
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| PagingError::Offset(v.to_owned()))?,
        };
        let limit = match params.get("limit").filter(|v| !v.is_empty()) {
            None => DEFAULT_LIMIT,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=MAX_PAGE_LIMIT as usize).contains(l))
                .ok_or_else(|| PagingError::Limit(v.to_owned()))?,
        };
        Ok(Self { offset, limit })
    }

    /// Cuts this page out of the complete, already sorted result and describes it.
    pub(crate) fn cut<T>(self, all: Vec<T>) -> (Vec<T>, Pagination) {
        let total = all.len();
        let items = all.into_iter().skip(self.offset).take(self.limit).collect();
        let pagination = Pagination {
            offset: self.offset as u64,
            limit: self.limit as u64,
            total: total as u64,
        };
        (items, pagination)
    }
}

impl Page {
    /// Like [`Page::cut`], borrowing the page out of a slice.
    pub(crate) fn cut_slice<T>(self, all: &[T]) -> (&[T], Pagination) {
        let start = self.offset.min(all.len());
        let end = start.saturating_add(self.limit).min(all.len());
        let pagination = Pagination {
            offset: self.offset as u64,
            limit: self.limit as u64,
            total: all.len() as u64,
        };
        (&all[start..end], pagination)
    }
}

/// A validated `sort` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sort {
    pub field: &'static str,
    pub descending: bool,
}

impl Sort {
    /// Parses `field`, `field|asc` or `field|desc`, accepting only `allowed` fields; absent or
    /// empty means `default` (which must itself be valid).
    pub(crate) fn parse(
        value: Option<&str>,
        allowed: &[&'static str],
        default: Sort,
    ) -> Result<Self, PagingError> {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Ok(default);
        };
        let (name, direction) = value.split_once('|').unwrap_or((value, "asc"));
        let descending = match direction {
            "asc" => false,
            "desc" => true,
            _ => return Err(sort_error(value, allowed)),
        };
        let field = allowed
            .iter()
            .copied()
            .find(|f| *f == name)
            .ok_or_else(|| sort_error(value, allowed))?;
        Ok(Self { field, descending })
    }
}

fn sort_error(value: &str, allowed: &[&str]) -> PagingError {
    PagingError::Sort {
        value: value.to_owned(),
        allowed: allowed.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(query: &str) -> Result<Page, PagingError> {
        Page::from_params(&Params::parse(Some(query)).unwrap_or_default())
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            page(""),
            Ok(Page {
                offset: 0,
                limit: 100
            })
        );
        assert_eq!(
            page("offset=1000&limit=500"),
            Ok(Page {
                offset: 1000,
                limit: 500
            })
        );
        assert_eq!(
            page("limit=1"),
            Ok(Page {
                offset: 0,
                limit: 1
            })
        );
        assert_eq!(
            page("limit="),
            Ok(Page {
                offset: 0,
                limit: 100
            })
        );
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        assert_eq!(page("limit=0"), Err(PagingError::Limit("0".into())));
        assert_eq!(page("limit=501"), Err(PagingError::Limit("501".into())));
        assert_eq!(page("limit=ten"), Err(PagingError::Limit("ten".into())));
        assert_eq!(page("offset=-1"), Err(PagingError::Offset("-1".into())));
        assert_eq!(page("offset=x"), Err(PagingError::Offset("x".into())));
    }

    #[test]
    fn cut_reports_total_and_handles_overrun() {
        let (items, p) = Page {
            offset: 2,
            limit: 2,
        }
        .cut((0..5).collect::<Vec<_>>());
        assert_eq!(items, vec![2, 3]);
        assert_eq!(
            p,
            Pagination {
                offset: 2,
                limit: 2,
                total: 5
            }
        );
        let (items, p) = Page {
            offset: 9,
            limit: 2,
        }
        .cut((0..5).collect::<Vec<_>>());
        assert!(items.is_empty());
        assert_eq!(p.total, 5);
        let all: Vec<u32> = (0..5).collect();
        let page = |offset, limit| Page { offset, limit };
        assert_eq!(page(2, 2).cut_slice(&all).0, [2, 3]);
        assert_eq!(page(4, 9).cut_slice(&all).0, [4]);
        assert!(page(9, 2).cut_slice(&all).0.is_empty());
        assert_eq!(page(9, 2).cut_slice(&all).1.total, 5);
    }

    #[test]
    fn sort_values() {
        const ALLOWED: &[&str] = &["uid", "last_name"];
        let default = Sort {
            field: "uid",
            descending: false,
        };
        assert_eq!(Sort::parse(None, ALLOWED, default), Ok(default));
        assert_eq!(
            Sort::parse(Some("last_name|desc"), ALLOWED, default),
            Ok(Sort {
                field: "last_name",
                descending: true
            })
        );
        assert_eq!(
            Sort::parse(Some("last_name"), ALLOWED, default).map(|s| s.descending),
            Ok(false)
        );
        assert!(Sort::parse(Some("email|asc"), ALLOWED, default).is_err());
        assert!(Sort::parse(Some("uid|up"), ALLOWED, default).is_err());
        assert!(Sort::parse(Some("uid.asc"), ALLOWED, default).is_err());
    }
}
