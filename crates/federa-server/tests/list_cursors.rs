//! Keyset pages over HTTP: `nextCursor` leads through a list in its order,
//! through the typed client too, a Fulcrum client's `page` walk answers as
//! before, and a cursor that is not one is a 400 naming `cursor`, never a
//! 500, on both backends.

use federa_testkit::federa_client::Services;
use federa_testkit::{Federation, TestServer};
use serde_json::Value;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_string())
        .collect()
}

#[tokio::test]
async fn next_cursor_walks_a_list_in_its_order_as_pages_by_number_do() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let consumer = federation.consumer_token.clone();
    for n in 0..7 {
        federation.order_service(&server, &format!("web-{n}")).await;
    }
    for sort in ["createdAt", "-createdAt", "name", "-name"] {
        let mut by_number = Vec::new();
        for page in 1..=3 {
            let answer = server
                .get(
                    &format!("/api/v1/services?pageSize=3&sort={sort}&page={page}"),
                    &consumer,
                )
                .await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            // Fulcrum's members, as they were, and the totals exact: an
            // exact page says nothing of estimates.
            assert_eq!(answer.body["totalItems"], 7);
            assert_eq!(answer.body["totalPages"], 3);
            assert_eq!(answer.body["currentPage"], page);
            assert_eq!(answer.body["hasNext"], page < 3);
            assert_eq!(answer.body["hasPrev"], page > 1);
            assert!(answer.body.get("totalIsEstimate").is_none());
            by_number.extend(ids(&answer.body));
        }
        let mut by_cursor = Vec::new();
        let mut path = format!("/api/v1/services?pageSize=3&sort={sort}");
        loop {
            let answer = server.get(&path, &consumer).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            by_cursor.extend(ids(&answer.body));
            let Some(cursor) = answer.body["nextCursor"].as_str() else {
                assert_eq!(answer.body["hasNext"], false);
                break;
            };
            assert_eq!(answer.body["hasNext"], true);
            path = format!("/api/v1/services?pageSize=3&sort={sort}&cursor={cursor}");
        }
        assert_eq!(by_cursor, by_number, "sort {sort}");
    }
    // The typed client reads the same members.
    let client = server.client(&consumer);
    let first = client.list::<Services>("pageSize=4").await.expect("a page");
    assert!(!first.total_is_estimate);
    let cursor = first.next_cursor.expect("a next page");
    let second = client
        .list::<Services>(&format!("pageSize=4&cursor={cursor}"))
        .await
        .expect("the next page");
    assert_eq!(second.items.len(), 3);
    assert_eq!(second.current_page, 0);
    assert!(second.has_prev && !second.has_next && second.next_cursor.is_none());
    server.stop().await;
}

#[tokio::test]
async fn a_cursor_that_is_not_one_is_a_400_naming_the_field() {
    use base64::Engine;
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let consumer = federation.consumer_token.clone();
    for n in 0..3 {
        federation.order_service(&server, &format!("web-{n}")).await;
    }
    let first = server.get("/api/v1/services?pageSize=1", &consumer).await;
    let cursor = first.body["nextCursor"]
        .as_str()
        .expect("a cursor")
        .to_string();
    let encode = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let made_up = |key: &str| {
        encode(&format!(
            r#"{{"column":"created_at","descending":false,"key":{key},"id":{{"uuid":"00000000-0000-0000-0000-000000000000"}}}}"#
        ))
    };
    let refused = [
        ("not base64", "cursor=%21%21".to_string(), "cursor"),
        (
            "not a cursor",
            format!("cursor={}", encode("[1,2]")),
            "cursor",
        ),
        (
            "another sort",
            format!("cursor={cursor}&sort=-createdAt"),
            "cursor",
        ),
        (
            "with a page number",
            format!("cursor={cursor}&page=2"),
            "page",
        ),
    ];
    for (what, query, field) in refused {
        let answer = server
            .get(&format!("/api/v1/services?{query}"), &consumer)
            .await;
        assert_eq!(answer.status, 400, "{what}: {}", answer.body);
        assert_eq!(
            federa_testkit::error_paths(&answer.body),
            vec![field.to_string()],
            "{what}"
        );
    }
    // A key of another type than the column's: PostgreSQL cannot compare
    // them (400), SQLite compares by storage class (a page); never a 500.
    for key in [
        r#"{"text":"yesterday"}"#,
        r#"{"int":5}"#,
        r#"{"float":1.5}"#,
        r#"{"uuid":"00000000-0000-0000-0000-000000000000"}"#,
    ] {
        let answer = server
            .get(
                &format!("/api/v1/services?cursor={}", made_up(key)),
                &consumer,
            )
            .await;
        match answer.status {
            200 => {}
            400 => assert_eq!(
                federa_testkit::error_paths(&answer.body),
                vec!["cursor".to_string()]
            ),
            other => panic!("key {key}: {other} {}", answer.body),
        }
    }
    server.stop().await;
}
