//! The store's scoped pages: a participant's rows as provider and as
//! consumer come back once each, in the list's order, page after page or
//! cursor after cursor (while rows are added), whichever relation matched
//! them, with totals exact up to the bound, on either backend.

mod support;

use chrono::{DateTime, Duration, Utc};
use federa_domain::access::ListScope;
use federa_domain::listing::{Cursor, ListQuery, PageRequest, Sort, EXACT_TOTAL_MAX};
use federa_domain::provisioning::Service;
use federa_store::Store;
use uuid::Uuid;

/// A participant that provides services to one consumer, consumes another
/// provider's, and orders from its own offer, with several services
/// sharing a creation time so the id must break ties.
struct Federation {
    participant: Uuid,
    /// Every service, the participant's and others'.
    services: Vec<Service>,
    /// The offers it provides, consumes and orders from itself.
    offers: Vec<support::Offer>,
}

async fn federation(store: &Store) -> Federation {
    let providing = support::offer(store).await;
    let participant = providing.provider_id;
    let consuming = support::offer(store).await;
    let consuming = support::another_group(
        store,
        &support::Offer {
            consumer_id: participant,
            ..consuming
        },
    )
    .await;
    let own = support::another_group(
        store,
        &support::Offer {
            consumer_id: participant,
            ..providing.clone()
        },
    )
    .await;
    let unrelated = support::offer(store).await;
    let start = support::now() - Duration::hours(1);
    let offers = [&providing, &consuming, &own, &unrelated];
    for n in 0..40i64 {
        // Four services per second: a page boundary often splits a tie.
        let at = start + Duration::seconds(n / 4);
        let offer = offers[(n % 4) as usize];
        // Names out of creation order, so a sort by name differs.
        support::order_at(store, offer, &format!("svc-{:02}", (n * 7) % 40), at).await;
    }
    let everyone = ListScope::All;
    let services = all_pages(store, everyone, by_creation()).await;
    assert_eq!(services.len(), 40);
    Federation {
        participant,
        services,
        offers: vec![providing, consuming, own],
    }
}

/// The sorts the services list offers, both ways.
const SORTS: [Sort; 4] = [
    Sort {
        column: "created_at",
        descending: false,
    },
    Sort {
        column: "created_at",
        descending: true,
    },
    Sort {
        column: "LOWER(name)",
        descending: false,
    },
    Sort {
        column: "LOWER(name)",
        descending: true,
    },
];

fn by_creation() -> Sort {
    Sort {
        column: "created_at",
        descending: false,
    }
}

fn as_provider_or_consumer(participant: Uuid) -> ListScope {
    ListScope::Matching {
        owner: Some(participant),
        consumer: Some(participant),
        agent: None,
    }
}

fn query(page: u32, page_size: u32, sort: Sort) -> ListQuery {
    ListQuery {
        page: PageRequest { page, page_size },
        filters: Vec::new(),
        sort,
        cursor: None,
    }
}

/// Every page of 100 of the list, in order.
async fn all_pages(store: &Store, scope: ListScope, sort: Sort) -> Vec<Service> {
    let mut services = Vec::new();
    for page in 1.. {
        let answer = store
            .services(scope, &query(page, 100, sort))
            .await
            .expect("read a page");
        services.extend(answer.items);
        if !answer.has_next {
            return services;
        }
    }
    unreachable!()
}

/// What a scope of provider or consumer should list, in `sort`'s order
/// (by creation time or by lower-cased name), the id breaking ties.
fn expected(federation: &Federation, sort: Sort) -> Vec<Uuid> {
    let p = federation.participant;
    let mut mine: Vec<&Service> = federation
        .services
        .iter()
        .filter(|s| s.provider_id == p || s.consumer_id == p)
        .collect();
    let key = |s: &Service| -> (String, DateTime<Utc>) {
        if sort.column == "created_at" {
            (String::new(), s.created_at)
        } else {
            (s.name.to_lowercase(), DateTime::<Utc>::MIN_UTC)
        }
    };
    mine.sort_by(|a, b| {
        let order = key(a).cmp(&key(b));
        let order = if sort.descending {
            order.reverse()
        } else {
            order
        };
        order.then(a.id.cmp(&b.id))
    });
    mine.iter().map(|s| s.id).collect()
}

#[tokio::test]
async fn a_scoped_list_pages_through_the_rows_of_either_relation_once_in_order() {
    let test = support::open().await;
    let federation = federation(&test.store).await;
    let scope = as_provider_or_consumer(federation.participant);
    for sort in SORTS {
        let want = expected(&federation, sort);
        // Provider of 10, consumer of 10 and both of 10.
        assert_eq!(want.len(), 30);
        for page_size in [1, 3, 7, 30, 100] {
            let mut got = Vec::new();
            for page in 1..=want.len().div_ceil(page_size as usize) as u32 + 1 {
                let answer = test
                    .store
                    .services(scope, &query(page, page_size, sort))
                    .await
                    .expect("read a page");
                assert_eq!(answer.total_items, 30, "{sort:?} size {page_size}");
                assert_eq!(answer.current_page, page);
                assert_eq!(answer.has_prev, page > 1);
                assert_eq!(
                    answer.has_next,
                    (page as usize) * (page_size as usize) < want.len(),
                    "{sort:?} size {page_size} page {page}"
                );
                got.extend(answer.items.iter().map(|s| s.id));
            }
            assert_eq!(got, want, "{sort:?} size {page_size}");
        }
    }
}

/// Reads the list after `cursor` (from the start without one).
async fn page_after(
    store: &Store,
    scope: ListScope,
    sort: Sort,
    page_size: u32,
    cursor: Option<&str>,
) -> federa_domain::listing::Page<Service> {
    let mut query = query(1, page_size, sort);
    query.cursor = cursor.map(|text| Cursor::decode(text, sort).expect("a cursor of this sort"));
    store.services(scope, &query).await.expect("read a page")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_walk_by_cursor_reads_every_row_once_in_order_while_rows_are_added() {
    let test = support::open().await;
    let federation = federation(&test.store).await;
    let scope = as_provider_or_consumer(federation.participant);
    for sort in SORTS {
        let before = expected(&federation, sort);
        // Rows are added while the walk goes on: at times before, among
        // and after the rows listed, as provider and as consumer.
        let store = test.store.clone();
        let offers = federation.offers.clone();
        let adding = tokio::spawn(async move {
            for n in 0..24i64 {
                let at = support::now() - Duration::minutes(90) + Duration::minutes(5 * n);
                let offer = &offers[(n % 3) as usize];
                support::order_at(&store, offer, &format!("added-{n:02}"), at).await;
                tokio::task::yield_now().await;
            }
        });
        let mut walked: Vec<Service> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = page_after(&test.store, scope, sort, 4, cursor.as_deref()).await;
            assert!(page.items.len() <= 4);
            walked.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => {
                    assert!(!page.has_next);
                    break;
                }
            }
        }
        adding.await.expect("rows added");
        let walked_ids: Vec<Uuid> = walked.iter().map(|s| s.id).collect();
        let mut distinct = walked_ids.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            walked_ids.len(),
            "{sort:?}: a row read twice"
        );
        for id in &before {
            assert!(
                walked_ids.contains(id),
                "{sort:?}: a row listed before was skipped"
            );
        }
        // In the list's order, as the whole list now holds them.
        let now = Federation {
            participant: federation.participant,
            services: all_pages(&test.store, ListScope::All, by_creation()).await,
            offers: federation.offers.clone(),
        };
        let order: Vec<Uuid> = expected(&now, sort)
            .into_iter()
            .filter(|id| walked_ids.contains(id))
            .collect();
        assert_eq!(walked_ids, order, "{sort:?}");
    }
}

#[tokio::test]
async fn a_total_is_exact_up_to_the_bound_and_an_estimate_past_it() {
    let test = support::open().await;
    let offer = support::offer(&test.store).await;
    let scope = as_provider_or_consumer(offer.consumer_id);
    let at = support::now() - Duration::hours(1);
    for n in 0..EXACT_TOTAL_MAX {
        support::order_at(&test.store, &offer, &format!("svc-{n:04}"), at).await;
    }
    let exact = test
        .store
        .services(scope, &query(1, 10, by_creation()))
        .await
        .unwrap();
    assert_eq!(
        (exact.total_items, exact.total_is_estimate),
        (EXACT_TOTAL_MAX, false)
    );
    assert_eq!(exact.total_pages, EXACT_TOTAL_MAX / 10);
    for n in 0..5 {
        support::order_at(&test.store, &offer, &format!("more-{n}"), at).await;
    }
    let total = EXACT_TOTAL_MAX + 5;
    let first = test
        .store
        .services(scope, &query(1, 10, by_creation()))
        .await
        .unwrap();
    assert!(first.total_is_estimate);
    assert!(first.total_items > EXACT_TOTAL_MAX, "{}", first.total_items);
    assert!(first.has_next && first.next_cursor.is_some());
    // The page before the last still says another follows, whatever the
    // estimate; the last page by number knows the total.
    let last_page = total.div_ceil(10) as u32;
    let before_last = test
        .store
        .services(scope, &query(last_page - 1, 10, by_creation()))
        .await
        .unwrap();
    assert!(before_last.has_next);
    assert!(before_last.total_pages >= u64::from(last_page));
    let last = test
        .store
        .services(scope, &query(last_page, 10, by_creation()))
        .await
        .unwrap();
    assert_eq!(last.items.len(), 5);
    assert!(!last.has_next && last.next_cursor.is_none());
    assert_eq!((last.total_items, last.total_is_estimate), (total, false));
}
