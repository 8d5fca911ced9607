//! Paginated lists — the API's lists past 1,000 rows, Backstage's
//! `entities/by-query`, the portal's `all/{kind}/` pages: how a list is cut
//! into pages, where each page is, and the `pagination` object that says
//! where an API page goes on. No items are one empty page, so a list's
//! first page always exists.

use super::view::Pagination;

/// Where the pages of a list are: page 1 at `first`, page N at
/// `{prefix}N{suffix}`.
pub struct PagePaths {
    pub first: String,
    pub prefix: String,
    pub suffix: &'static str,
}

impl PagePaths {
    pub fn new(first: String, prefix: String, suffix: &'static str) -> PagePaths {
        PagePaths { first, prefix, suffix }
    }

    /// The path of page `number` (from 1).
    pub fn path(&self, number: usize) -> String {
        if number == 1 {
            self.first.clone()
        } else {
            format!("{}{number}{}", self.prefix, self.suffix)
        }
    }
}

/// One page of a list.
pub struct ListPage<'i, 'p, T> {
    /// From 1.
    pub number: usize,
    /// How many pages the list has.
    pub count: usize,
    /// How many items the whole list has.
    pub total: usize,
    pub rows: &'i [T],
    paths: &'p PagePaths,
}

impl<T> ListPage<'_, '_, T> {
    pub fn path(&self) -> String {
        self.paths.path(self.number)
    }

    pub fn next(&self) -> Option<String> {
        (self.number < self.count).then(|| self.paths.path(self.number + 1))
    }

    /// This page's rows, each made by `row`.
    pub fn rows_by<R>(&self, row: impl Fn(&T) -> R) -> Vec<R> {
        self.rows.iter().map(row).collect()
    }

    pub fn prev(&self) -> Option<String> {
        (self.number > 1).then(|| self.paths.path(self.number - 1))
    }

    /// The API's `pagination` object of this page.
    pub fn pagination(&self) -> Pagination {
        Pagination {
            has_more: self.number < self.count,
            next: self.next(),
            total_count: self.total,
        }
    }
}

/// `items` in pages of `size` at `paths`, numbered from 1: the pages whose
/// rows `selected` accepts (a rendering of what an edit affected makes
/// only those).
pub fn pages<'i, 'p, T>(
    items: &'i [T],
    size: usize,
    paths: &'p PagePaths,
    selected: impl Fn(&[T]) -> bool,
) -> impl Iterator<Item = ListPage<'i, 'p, T>> {
    let total = items.len();
    let count = total.div_ceil(size).max(1);
    (1..=count)
        .map(move |number| ListPage {
            number,
            count,
            total,
            rows: &items[((number - 1) * size).min(total)..(number * size).min(total)],
            paths,
        })
        .filter(move |page| selected(page.rows))
}
