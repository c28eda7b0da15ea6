//! Cursor paging over an ordered listing, as `user/list` and `feed/list` serve it.
//!
//! The cursor is opaque to clients: base64url of the offset of the next item, marked when the
//! page it opens is the "empty `more: true` page" edge case. `maxResults` defaults to 30 and is
//! capped (silently) at the configured page cap; zero or a non-number is a 400. A cursor that
//! does not decode is a 400. With the edge-case switch on, the first page's cursor opens one
//! page with no items and `more: true`, whose cursor opens the real second page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `maxResults` when the request names none.
pub const DEFAULT_PAGE_SIZE: usize = 30;

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// The real page starting at this offset.
    At(usize),
    /// An empty `more: true` page, then the real page at this offset.
    EmptyBefore(usize),
}

impl Cursor {
    pub(crate) fn encode(self) -> String {
        let text = match self {
            Self::At(offset) => format!("at:{offset}"),
            Self::EmptyBefore(offset) => format!("empty:{offset}"),
        };
        URL_SAFE_NO_PAD.encode(text)
    }

    pub(crate) fn decode(cursor: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (kind, offset) = text.split_once(':')?;
        let offset = offset.parse().ok()?;
        match kind {
            "at" => Some(Self::At(offset)),
            "empty" => Some(Self::EmptyBefore(offset)),
            _ => None,
        }
    }
}

/// One page: its items, whether more follow, and the cursor to the next page when they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub more: bool,
    pub cursor: Option<String>,
}

/// The page of `items` that `cursor` opens, `size` items at most (already capped).
pub(crate) fn page<T: Clone>(
    items: &[T],
    cursor: Option<Cursor>,
    size: usize,
    empty_page_before_next: bool,
) -> Page<T> {
    let offset = match cursor {
        None => 0,
        Some(Cursor::At(offset)) => offset,
        Some(Cursor::EmptyBefore(offset)) => {
            return Page {
                items: Vec::new(),
                more: true,
                cursor: Some(Cursor::At(offset).encode()),
            };
        }
    };
    let start = offset.min(items.len());
    let end = start.saturating_add(size.max(1)).min(items.len());
    let more = end < items.len();
    let cursor = more.then(|| {
        if empty_page_before_next && offset == 0 {
            Cursor::EmptyBefore(end).encode()
        } else {
            Cursor::At(end).encode()
        }
    });
    Page {
        items: items[start..end].to_vec(),
        more,
        cursor,
    }
}

/// `maxResults` → the page size: default 30, capped at `cap`; 0 or a non-number is an error.
pub(crate) fn page_size(max_results: Option<&str>, cap: usize) -> Result<usize, String> {
    match max_results {
        None => Ok(DEFAULT_PAGE_SIZE.min(cap.max(1))),
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(0) | Err(_) => Err(format!(
                "Invalid value '{raw}' for maxResults: a positive integer is required"
            )),
            Ok(n) => Ok(n.min(cap.max(1))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follow(items: &[u32], size: usize, edge: bool) -> (Vec<u32>, Vec<usize>) {
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        let mut cursor = None;
        loop {
            let p = page(items, cursor, size, edge);
            sizes.push(p.items.len());
            seen.extend(p.items);
            if !p.more {
                assert!(p.cursor.is_none());
                return (seen, sizes);
            }
            cursor = Some(Cursor::decode(&p.cursor.unwrap()).unwrap());
        }
    }

    #[test]
    fn following_the_cursor_covers_the_list_once() {
        let items: Vec<u32> = (1..=7).collect();
        assert_eq!(follow(&items, 3, false), (items.clone(), vec![3, 3, 1]));
        assert_eq!(follow(&items, 3, true), (items.clone(), vec![3, 0, 3, 1]));
        assert_eq!(follow(&items, 7, true), (items.clone(), vec![7]));
        assert_eq!(follow(&[], 3, true), (vec![], vec![0]));
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        for c in [Cursor::At(0), Cursor::At(42), Cursor::EmptyBefore(7)] {
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
        assert_eq!(Cursor::decode("garbage!"), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode("at:x")), None);
    }

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(None, 100), Ok(30));
        assert_eq!(page_size(Some("250"), 100), Ok(100));
        assert_eq!(page_size(Some("5"), 100), Ok(5));
        assert!(page_size(Some("0"), 100).is_err());
        assert!(page_size(Some("ten"), 100).is_err());
    }
}
