use serde::Serialize;

pub const DEFAULT_PAGE_SIZE: u32 = 10;
pub const MAX_PAGE_SIZE: u32 = 100;

/// Rows a list counts exactly. Counting is the one part of a page whose
/// cost grows with the list (a page reads `pageSize` rows from an index, a
/// count reads every row it counts), so a list counts at most this many
/// rows plus one: up to a hundred pages of ten answer their exact total,
/// and counting costs about what reading a page does. A longer list's
/// `totalItems` is an estimate, marked by `totalIsEstimate`.
pub const EXACT_TOTAL_MAX: u64 = 1000;

/// A validated page request: `page` ≥ 1, `page_size` in 1..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub page_size: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl PageRequest {
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }

    pub fn limit(&self) -> u64 {
        u64::from(self.page_size)
    }
}

/// How many rows a list holds, as far as it was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// Counted: at most [`EXACT_TOTAL_MAX`].
    Exact(u64),
    /// More than [`EXACT_TOTAL_MAX`]: the database's estimate, or the
    /// bound itself where the database keeps none.
    Estimate(u64),
}

/// Where a page was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePlace {
    /// By page number: `page - 1` pages of rows come before it.
    Number(PageRequest),
    /// After a cursor: how many rows come before it is not counted.
    Cursor(PageRequest),
}

/// The page envelope every list endpoint answers with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_items: u64,
    pub total_pages: u64,
    /// 0 for a page read after a cursor.
    pub current_page: u32,
    pub has_next: bool,
    pub has_prev: bool,
    /// Whether `total_items` (and so `total_pages`) is an estimate; left
    /// out of the wire when false, where the envelope is Fulcrum's own.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_is_estimate: bool,
    /// What to send as `cursor` for the page after this one; none on the
    /// last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of a list counted exactly.
    pub fn new(items: Vec<T>, total_items: u64, request: PageRequest) -> Page<T> {
        let has_next = u64::from(request.page) < total_items.div_ceil(u64::from(request.page_size));
        Page::read(
            items,
            Total::Exact(total_items),
            PagePlace::Number(request),
            has_next,
            None,
        )
    }

    /// A page as read: its rows, the list's total as far as it was
    /// counted, whether a row follows the page (read, not inferred from the
    /// total, which may be an estimate) and the next page's cursor.
    pub fn read(
        items: Vec<T>,
        total: Total,
        place: PagePlace,
        has_next: bool,
        next_cursor: Option<String>,
    ) -> Page<T> {
        let (request, current_page, has_prev, before) = match place {
            PagePlace::Number(request) => (
                request,
                request.page,
                request.page > 1,
                Some(request.offset()),
            ),
            PagePlace::Cursor(request) => (request, 0, true, None),
        };
        let (total_items, total_is_estimate) = match (total, before) {
            (Total::Exact(count), _) => (count, false),
            // The last page read by number knows every row before it and
            // on it: the total is exact after all.
            (Total::Estimate(_), Some(before)) if !has_next && !items.is_empty() => {
                (before + items.len() as u64, false)
            }
            // An estimate never says fewer rows than the walk has seen.
            (Total::Estimate(estimate), Some(before)) => (
                estimate.max(before + items.len() as u64 + u64::from(has_next)),
                true,
            ),
            (Total::Estimate(estimate), None) => (estimate, true),
        };
        Page {
            total_pages: total_items.div_ceil(u64::from(request.page_size)),
            items,
            total_items,
            current_page,
            has_next,
            has_prev,
            total_is_estimate,
            next_cursor: next_cursor.filter(|_| has_next),
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total_items: self.total_items,
            total_pages: self.total_pages,
            current_page: self.current_page,
            has_next: self.has_next,
            has_prev: self.has_prev,
            total_is_estimate: self.total_is_estimate,
            next_cursor: self.next_cursor,
        }
    }
}
