//! 1-based paging over an ordered listing, with the total of matching items.
//!
//! A page past the end is empty but still reports `totalCount`, so a client that stops on a
//! short page and one that counts against the total both terminate.

/// The largest `pageSize` the simulator serves; above it a 400. Incydr documents no maximum;
/// 500 is a guess that leaves the SDK's 100 well inside.
pub const MAX_PAGE_SIZE: u32 = 500;

/// A validated page request: `page` ≥ 1, 1 ≤ `size` ≤ [`MAX_PAGE_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageRequest {
    pub page: u32,
    pub size: u32,
}

impl PageRequest {
    /// The slice of `items` this page covers; empty past the end.
    pub(crate) fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let size = self.size as usize;
        let start = (self.page.saturating_sub(1) as usize).saturating_mul(size);
        if start >= items.len() {
            return &[];
        }
        let end = start.saturating_add(size).min(items.len());
        &items[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_the_list_once_and_then_run_empty() {
        let items: Vec<u32> = (1..=7).collect();
        let page = |page| PageRequest { page, size: 3 }.slice(&items).to_vec();
        assert_eq!(page(1), [1, 2, 3]);
        assert_eq!(page(2), [4, 5, 6]);
        assert_eq!(page(3), [7]);
        assert!(page(4).is_empty());
        assert!(page(u32::MAX).is_empty());
        let whole = PageRequest { page: 1, size: 500 }.slice(&items);
        assert_eq!(whole.len(), 7);
    }
}
