//! The store's scoped pages: a participant's rows as provider and as
//! consumer come back once each, in the list's order, page after page,
//! whichever relation matched them, on either backend.

mod support;

use chrono::{DateTime, Duration, Utc};
use federa_domain::access::ListScope;
use federa_domain::listing::{ListQuery, PageRequest, Sort};
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
    }
}

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
    let sorts = [
        by_creation(),
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
    for sort in sorts {
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
