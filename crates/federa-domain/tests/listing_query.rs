//! The list query parser: pages, filters, sorts and their errors.

use federa_domain::listing::{FilterKind, FilterSpec, ListSpec, Match, Page, PageRequest};
use proptest::prelude::*;

const SPEC: ListSpec = ListSpec {
    filters: &[
        FilterSpec {
            param: "name",
            column: "name",
            kind: FilterKind::Contains,
        },
        FilterSpec {
            param: "status",
            column: "status",
            kind: FilterKind::OneOf(&["On", "Off"]),
        },
        FilterSpec {
            param: "ownerId",
            column: "owner_id",
            kind: FilterKind::Uuid,
        },
        FilterSpec {
            param: "since",
            column: "created_at",
            kind: FilterKind::Since,
        },
        FilterSpec {
            param: "until",
            column: "created_at",
            kind: FilterKind::Until,
        },
        FilterSpec {
            param: "enabled",
            column: "enabled",
            kind: FilterKind::Bool,
        },
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
    raw.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults() {
    let query = SPEC.parse(&[]).unwrap();
    assert_eq!(
        query.page,
        PageRequest {
            page: 1,
            page_size: 10
        }
    );
    assert_eq!(query.sort.column, "created_at");
    assert!(!query.sort.descending);
    assert!(query.filters.is_empty());
}

#[test]
fn values_accumulate_across_repeats_and_commas() {
    let query = SPEC
        .parse(&pairs(&[
            ("status", "On"),
            ("status", "Off"),
            ("name", "Ab,cD"),
            ("unknown", "x"),
        ]))
        .unwrap();
    assert_eq!(query.filters.len(), 2);
    assert_eq!(
        query.filters[0].matching,
        Match::AnyText(vec!["On".into(), "Off".into()])
    );
    assert_eq!(
        query.filters[1].matching,
        Match::Contains(vec!["ab".into(), "cd".into()])
    );
}

#[test]
fn time_bounds_on_one_column_are_both_kept() {
    let query = SPEC
        .parse(&pairs(&[
            ("since", "2026-01-01T00:00:00Z"),
            ("until", "2026-02-01T00:00:00Z"),
        ]))
        .unwrap();
    assert_eq!(query.filters.len(), 2);
}

#[test]
fn sorting() {
    let desc = SPEC.parse(&pairs(&[("sort", "-name")])).unwrap();
    assert_eq!(
        (desc.sort.column, desc.sort.descending),
        ("LOWER(name)", true)
    );
    let asc = SPEC.parse(&pairs(&[("sort", "+createdAt")])).unwrap();
    assert_eq!(
        (asc.sort.column, asc.sort.descending),
        ("created_at", false)
    );
    let space = SPEC.parse(&pairs(&[("sort", " name")])).unwrap();
    assert_eq!(space.sort.column, "LOWER(name)");
}

#[test]
fn every_bad_parameter_is_reported() {
    let errors = SPEC
        .parse(&pairs(&[
            ("page", "0"),
            ("pageSize", "500"),
            ("sort", "secret"),
            ("status", "Maybe"),
            ("ownerId", "42"),
            ("since", "yesterday"),
            ("enabled", "yes"),
        ]))
        .unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["page", "pageSize", "sort", "status", "ownerId", "since", "enabled"]
    );
    assert_eq!(errors[1].message, "must be an integer from 1 to 100");
    assert_eq!(errors[3].message, "must be one of [On, Off], got \"Maybe\"");
}

#[test]
fn page_envelope_arithmetic() {
    let page = Page::new(
        vec![1, 2, 3],
        23,
        PageRequest {
            page: 2,
            page_size: 10,
        },
    );
    assert_eq!(
        (page.total_pages, page.has_next, page.has_prev),
        (3, true, true)
    );
    let last = Page::new(
        vec![1],
        21,
        PageRequest {
            page: 3,
            page_size: 10,
        },
    );
    assert_eq!(
        (last.total_pages, last.has_next, last.has_prev),
        (3, false, true)
    );
    let empty = Page::<u8>::new(vec![], 0, PageRequest::default());
    assert_eq!(
        (empty.total_pages, empty.has_next, empty.has_prev),
        (0, false, false)
    );
}

proptest! {
    #[test]
    fn arbitrary_parameters_never_panic(raw in proptest::collection::vec((".{0,12}", ".{0,24}"), 0..8)) {
        let parsed = SPEC.parse(&raw);
        if let Ok(query) = parsed {
            prop_assert!(query.page.page >= 1);
            prop_assert!((1..=100).contains(&query.page.page_size));
        }
    }
}
