//! Migration 0031 turns every order of one service, as the orders before
//! it were written, into an order of one line: its item, quote and
//! service move into the line, and the line index finds it by provider
//! and by service, so its bills keep their quote and its provider keeps
//! seeing it.

use std::path::Path;
use std::str::FromStr;

use federa_domain::access::ListScope;
use federa_domain::commerce::{Order, OrderState, ORDER_LIST};
use federa_store::Store;
use federa_test_database::TestDatabase;
use serde_json::json;
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, PgConnection, SqliteConnection};
use uuid::Uuid;

/// The last migration before orders had lines.
const BEFORE_LINES: i64 = 30;

/// Runs the backend's migrations up to `BEFORE_LINES` on `url`.
async fn migrate_before_lines(url: &str, postgres: bool) {
    let set = if postgres { "postgres" } else { "sqlite" };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(set);
    let mut migrator = Migrator::new(dir).await.expect("read the migrations");
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|migration| migration.version <= BEFORE_LINES)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    if postgres {
        let mut db = PgConnection::connect(url).await.expect("connect");
        migrator.run(&mut db).await.expect("migrate");
        db.close().await.expect("close");
    } else {
        let options = SqliteConnectOptions::from_str(url)
            .expect("SQLite URL")
            .create_if_missing(true);
        let mut db = SqliteConnection::connect_with(&options)
            .await
            .expect("connect");
        migrator.run(&mut db).await.expect("migrate");
        db.close().await.expect("close");
    }
}

/// An id as the backend's SQL writes it literally.
fn id(postgres: bool, id: Uuid) -> String {
    if postgres {
        format!("'{id}'")
    } else {
        format!("X'{}'", id.simple())
    }
}

#[tokio::test]
async fn an_order_of_one_service_becomes_an_order_of_one_line() {
    let database = TestDatabase::create().await;
    let postgres = database.url.starts_with("postgres");
    migrate_before_lines(&database.url, postgres).await;

    let (consumer, provider, order_id, service_id, offering_id) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let item = json!({
        "name": "db-1",
        "serviceTypeId": Uuid::now_v7(),
        "groupId": Uuid::now_v7(),
        "properties": {"vcpus": 2},
        "placement": {},
    });
    let quote = json!({
        "offeringId": offering_id,
        "offeringVersion": 2,
        "providerId": provider,
        "providerName": "Nordic",
        "region": "fi-hel-1",
        "price": {"hourly": "0.02"},
        "hourlyPrice": "0.02",
        "monthlyEstimate": "14.60",
        "currency": "EUR",
        "exitTerms": {},
        "requiresAcceptance": false,
        "termDays": 365,
        "expiresAt": "2026-01-02T00:00:00Z",
    });
    let at = "2026-01-01T00:00:00+00:00";
    database
        .execute(&format!(
            "INSERT INTO participants (id, name, status, created_at, updated_at) VALUES ({c}, 'Consumer', 'Enabled', '{at}', '{at}'); \
             INSERT INTO orders (id, consumer_id, provider_id, state, item, quote, service_id, accepted_at, created_at, updated_at) \
             VALUES ({o}, {c}, {p}, 'Done', '{item}', '{quote}', {s}, '{at}', '{at}', '{at}');",
            c = id(postgres, consumer),
            p = id(postgres, provider),
            o = id(postgres, order_id),
            s = id(postgres, service_id),
        ))
        .await;

    let store = Store::open(&database.url).await.expect("migrate the rest");
    let order: Order = store
        .record(order_id)
        .await
        .expect("read")
        .expect("the order is kept");
    assert_eq!(order.state, OrderState::Done);
    assert_eq!(order.lines.len(), 1);
    let line = &order.lines[0];
    assert_eq!(line.item.name, "db-1");
    assert_eq!(line.item.properties["vcpus"], json!(2));
    assert_eq!(line.quote.offering_id, offering_id);
    assert_eq!(line.quote.offering_version, 2);
    assert_eq!(line.quote.provider_id, provider);
    assert_eq!(line.service_id, Some(service_id));
    assert_eq!(order.monthly_estimate().to_string(), "14.60");

    // Its bills find the quote, a finished job finds the order.
    let quoted = store.quoted_services(&[service_id]).await.expect("quotes");
    assert_eq!(quoted.len(), 1);
    assert_eq!(quoted[0].quote.offering_id, offering_id);
    let found = store.service_order(service_id).await.expect("read");
    assert_eq!(found.map(|order| order.id), Some(order_id));

    // Its provider lists it, by scope and by filter; another does not.
    let query = ORDER_LIST
        .parse(&[("providerId".to_string(), provider.to_string())])
        .expect("query");
    let scope = |participant| ListScope::Matching {
        owner: Some(participant),
        consumer: Some(participant),
        agent: None,
    };
    let theirs = store
        .records::<Order>(scope(provider), &query)
        .await
        .expect("list");
    assert_eq!(theirs.items.len(), 1);
    let other = store
        .records::<Order>(scope(Uuid::now_v7()), &query)
        .await
        .expect("list");
    assert!(other.items.is_empty());
    store.close().await;
}
