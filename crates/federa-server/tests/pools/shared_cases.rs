//! The cases every pool family passes alike, each run once per family.

use std::collections::BTreeSet;
use std::sync::Arc;

use federa_testkit::{error_paths, ADMIN_TOKEN};
use serde_json::{json, Value};

use super::family::{error, id, names, total, Family, Kit, PROPERTY};

const RACERS: usize = 16;

/// Runs a case once for service pools and once for config pools.
macro_rules! for_both_families {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::super::family::Family;

            #[tokio::test]
            async fn service_pools() {
                super::$case(Family::Service).await;
            }

            #[tokio::test]
            async fn config_pools() {
                super::$case(Family::Config).await;
            }
        }
    )*};
}

for_both_families!(
    pools_are_created_listed_renamed_and_deleted_by_their_owner,
    values_are_typed_listed_and_deletable_only_while_free,
    an_exhausted_pool_refuses_the_holder_and_writes_nothing,
    concurrent_holders_never_share_a_listed_value,
);

async fn pools_are_created_listed_renamed_and_deleted_by_their_owner(family: Family) {
    let kit = family.start("public_ip").await;
    let (server, f) = (&kit.server, &kit.f);
    let mut body = kit.pool_body("Public addresses", "public_ip");
    body["generatorConfig"] = json!({"note": "edge"});
    let created = server.post(family.pools(), &f.provider_token, &body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["name"], "Public addresses");
    assert_eq!(created.body["type"], "public_ip");
    assert_eq!(created.body["propertyType"], "string");
    assert_eq!(created.body["generatorType"], "list");
    assert_eq!(created.body["generatorConfig"], json!({"note": "edge"}));
    let pool = id(&created);
    kit.provider_pool("vlan", &[]).await;
    let path = format!("{}/{pool}", family.pools());

    // The owner and its agent read it; another participant does not.
    for token in [&f.provider_token, &f.agent_token] {
        let got = server.get(&path, token).await;
        assert_eq!(got.status, 200, "{:?}", got.body);
        assert_eq!(got.body["id"], json!(pool));
    }
    let hidden = server.get(&path, &f.consumer_token).await;
    assert_eq!(hidden.status, 403);
    let list = |query: &str| {
        let path = format!("{}?{query}", family.pools());
        async move { server.get(&path, &f.provider_token).await }
    };
    assert_eq!(
        names(&list("sort=name").await),
        ["Public addresses", "vlan pool"]
    );
    assert_eq!(
        names(&list("sort=-type").await),
        ["vlan pool", "Public addresses"]
    );
    assert_eq!(
        names(&list("name=PUBLIC&type=public_ip").await),
        ["Public addresses"]
    );
    assert_eq!(names(&list("generatorType=list").await).len(), 2);
    for bad in ["generatorType=range", "sort=value"] {
        let refused = list(bad).await;
        assert_eq!(refused.status, 400, "{bad}: {:?}", refused.body);
    }
    let strangers = server.get(family.pools(), &f.consumer_token).await;
    assert!(names(&strangers).is_empty());

    let renamed = server
        .patch(
            &path,
            &f.provider_token,
            &json!({"name": "Public v4", "generatorConfig": {"range": "edge"}}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    assert_eq!(renamed.body["name"], "Public v4");
    assert_eq!(renamed.body["type"], "public_ip");
    assert_eq!(renamed.body["generatorConfig"], json!({"range": "edge"}));
    for (change, field) in [
        (json!({"name": ""}), "name"),
        (json!({"generatorConfig": "x"}), "generatorConfig"),
    ] {
        let refused = server.patch(&path, &f.provider_token, &change).await;
        assert_eq!(refused.status, 400, "{change}: {:?}", refused.body);
        assert_eq!(error_paths(&refused.body), [field]);
    }
    let by_agent = server
        .patch(&path, &f.agent_token, &json!({"name": "mine"}))
        .await;
    assert_eq!(by_agent.status, 403);

    // A pool with values left is not deleted; an empty one is.
    let value = id(&kit.add_value(&pool, "edge-1", json!("192.0.2.1")).await);
    let in_use = server.delete(&path, &f.provider_token).await;
    assert_eq!(in_use.status, 409, "{:?}", in_use.body);
    let value_path = format!("{}/{value}", family.values());
    let emptied = server.delete(&value_path, &f.provider_token).await;
    assert_eq!(emptied.status, 204, "{:?}", emptied.body);
    let foreign = server.delete(&path, &f.consumer_token).await;
    assert_eq!(foreign.status, 403);
    let deleted = server.delete(&path, &f.provider_token).await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    assert_eq!(server.get(&path, &f.provider_token).await.status, 404);

    // Each change is one event of the family's kind.
    let (pools, _) = family.event_prefixes();
    for (action, count) in [("created", 2), ("updated", 1), ("deleted", 1)] {
        assert_eq!(
            kit.events(&format!("{pools}.{action}")).await,
            count,
            "{action}"
        );
    }
    server_stop(kit).await;
}

async fn values_are_typed_listed_and_deletable_only_while_free(family: Family) {
    let kit = family.start("public_ip").await;
    let (server, f) = (&kit.server, &kit.f);
    let pool = kit.provider_pool("public_ip", &[]).await;
    let created = kit.add_value(&pool, "edge-1", json!("192.0.2.10")).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["value"], "192.0.2.10");
    assert_eq!(created.body[family.pool_id_field()], json!(pool));
    assert!(
        created.body.get(family.holder_field()).is_none(),
        "a free value"
    );
    let first = id(&created);
    let second = id(&kit.add_value(&pool, "Edge-0", json!("192.0.2.9")).await);

    let bad_inputs = [
        (json!({"name": "v", "value": 7}), "value"),
        (json!({"name": "", "value": "a"}), "name"),
        (
            json!({"name": "v", "value": "a", family.pool_id_field(): uuid::Uuid::now_v7()}),
            family.pool_id_field(),
        ),
    ];
    for (change, field) in bad_inputs {
        let mut body = json!({family.pool_id_field(): pool});
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let refused = server.post(family.values(), &f.provider_token, &body).await;
        assert_eq!(refused.status, 400, "{body}: {:?}", refused.body);
        assert_eq!(error_paths(&refused.body), [field], "{body}");
    }
    for token in [&f.consumer_token, &f.agent_token] {
        let refused = server
            .post(
                family.values(),
                token,
                &json!({family.pool_id_field(): pool, "name": "x", "value": "a"}),
            )
            .await;
        assert_eq!(refused.status, 403, "{:?}", refused.body);
    }
    let first_path = format!("{}/{first}", family.values());
    let got = server.get(&first_path, &f.provider_token).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["name"], "edge-1");
    let by_agent = server.get(&first_path, &f.agent_token).await;
    let expected = if family.agent_reads_values() {
        200
    } else {
        403
    };
    assert_eq!(by_agent.status, expected, "{:?}", by_agent.body);
    assert_eq!(server.get(&first_path, &f.consumer_token).await.status, 403);
    let list = |query: String| {
        let path = format!("{}?{query}", family.values());
        async move { server.get(&path, &f.provider_token).await }
    };
    let by_pool = format!("{}={pool}", family.pool_id_field());
    assert_eq!(
        names(&list(format!("{by_pool}&sort=name")).await),
        ["Edge-0", "edge-1"]
    );
    assert_eq!(
        names(&list("sort=-createdAt".into()).await),
        ["Edge-0", "edge-1"]
    );
    assert_eq!(names(&list("name=1".into()).await), ["edge-1"]);
    let strangers = server.get(family.values(), &f.consumer_token).await;
    assert!(names(&strangers).is_empty());

    // A holder takes the oldest free value, and the value names its holder.
    let taken = kit.take("holder-1").await;
    assert_eq!(taken.status, 201, "{:?}", taken.body);
    assert_eq!(kit.taken(&taken.body), "192.0.2.10");
    let holder = id(&taken);
    let held = server.get(&first_path, &f.provider_token).await;
    assert_eq!(held.body[family.holder_field()], json!(holder));
    assert_eq!(held.body["propertyName"], PROPERTY);
    assert!(held.body["allocatedAt"].is_string(), "{:?}", held.body);
    let by_holder = list(format!("{}={holder}", family.holder_field())).await;
    assert_eq!(names(&by_holder), ["edge-1"]);

    // As Fulcrum, a held value is a 400 naming the holder.
    let refused = server.delete(&first_path, ADMIN_TOKEN).await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(error_paths(&refused.body), [family.holder_field()]);
    assert!(error(&refused.body).contains(&holder), "{:?}", refused.body);
    let second_path = format!("{}/{second}", family.values());
    assert_eq!(
        server.delete(&second_path, &f.consumer_token).await.status,
        403
    );
    let deleted = server.delete(&second_path, &f.provider_token).await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    assert_eq!(
        server.get(&second_path, &f.provider_token).await.status,
        404
    );

    // The holder's end frees the value for the next one.
    kit.end(&holder).await;
    let freed = server.get(&first_path, &f.provider_token).await;
    assert!(
        freed.body.get(family.holder_field()).is_none(),
        "{:?}",
        freed.body
    );
    assert!(freed.body.get("propertyName").is_none(), "{:?}", freed.body);
    assert!(freed.body.get("allocatedAt").is_none(), "{:?}", freed.body);
    let again = kit.take("holder-2").await;
    assert_eq!(again.status, 201, "{:?}", again.body);
    assert_eq!(kit.taken(&again.body), "192.0.2.10");

    let (_, values) = family.event_prefixes();
    for (action, count) in [("created", 2), ("deleted", 1)] {
        assert_eq!(
            kit.events(&format!("{values}.{action}")).await,
            count,
            "{action}"
        );
    }
    server_stop(kit).await;
}

async fn an_exhausted_pool_refuses_the_holder_and_writes_nothing(family: Family) {
    let kit = family.start("public_ip").await;
    let pool = kit.provider_pool("public_ip", &["192.0.2.1"]).await;
    let first = kit.take("holder-1").await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let before = kit.holders().await;
    let exhausted = kit.take("holder-2").await;
    assert_eq!(exhausted.status, 409, "{:?}", exhausted.body);
    let message = error(&exhausted.body);
    assert!(
        message.starts_with(&format!("{}.{PROPERTY}:", family.filled())),
        "{message}"
    );
    assert!(message.contains("public_ip"), "{message}");
    assert!(message.contains("no free value"), "{message}");
    assert_eq!(
        kit.holders().await,
        before,
        "the refused holder is not written"
    );
    let values = kit.values_of(&pool).await;
    assert_eq!(values[0][family.holder_field()], json!(id(&first)));
    server_stop(kit).await;
}

async fn concurrent_holders_never_share_a_listed_value(family: Family) {
    let kit = Arc::new(family.start("public_ip").await);
    let addresses: Vec<String> = (1..=5).map(|n| format!("192.0.2.{n}")).collect();
    let address_refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let pool = kit.provider_pool("public_ip", &address_refs).await;
    let holders_before = kit.holders().await;

    let racers: Vec<_> = (0..RACERS)
        .map(|n| {
            let kit = kit.clone();
            tokio::spawn(async move { kit.take(&format!("race-{n}")).await })
        })
        .collect();
    let mut statuses = Vec::new();
    let mut created = Vec::new();
    for racer in racers {
        let response = racer.await.unwrap();
        statuses.push(response.status);
        if response.status == 201 {
            created.push(response.body);
        } else {
            assert_eq!(response.status, 409, "{:?}", response.body);
            let message = error(&response.body);
            assert!(
                message.contains(&format!("{}.{PROPERTY}", family.filled())),
                "{message}"
            );
            assert!(message.contains("no free value"), "{message}");
        }
    }
    assert_eq!(created.len(), addresses.len(), "{statuses:?}");

    // Each value went to exactly one holder, and each holder has its value.
    let taken: BTreeSet<(String, String)> = created
        .iter()
        .map(|holder| {
            let value = kit.taken(holder).as_str().expect("an address");
            (
                holder["id"].as_str().unwrap().to_string(),
                value.to_string(),
            )
        })
        .collect();
    let held: BTreeSet<(String, String)> = kit
        .values_of(&pool)
        .await
        .iter()
        .map(|v: &Value| {
            let holder = v[family.holder_field()].as_str().expect("every value held");
            (holder.to_string(), v["value"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(held, taken);
    let addresses_taken: BTreeSet<&String> = taken.iter().map(|(_, a)| a).collect();
    assert_eq!(addresses_taken.len(), addresses.len());
    assert_eq!(
        kit.holders().await,
        holders_before + addresses.len() as u64,
        "no holder without its value"
    );
    if family == Family::Service {
        let jobs = total(&kit.server, "/api/v1/jobs").await;
        assert_eq!(jobs, addresses.len() as u64, "one job per written order");
    }
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        &format!("{family:?} pool race"),
        &format!(
            "{RACERS} concurrent holders on {} values: {} written, {} refused, each value held once",
            addresses.len(),
            created.len(),
            RACERS - created.len()
        ),
    );
    server_stop(Arc::try_unwrap(kit).ok().expect("no racer left")).await;
}

async fn server_stop(kit: Kit) {
    kit.server.stop().await;
}
