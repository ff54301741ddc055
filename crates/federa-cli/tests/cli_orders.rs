//! Orders from the command line against a real exchange: a consumer
//! orders a service with a binding quote, reads the quote, lists its
//! orders and accepts one, and the service is ordered at the quoted
//! offering; an order of several services is placed and accepted whole.

mod command_line;

use command_line::{federa, stderr, stdout, FEDERA};
use federa_testkit::processes::Exchange;
use federa_testkit::{Federation, ADMIN_TOKEN};
use serde_json::{json, Value};

/// A provider in Finland with a connected agent and an offering there at
/// 0.10 EUR an hour; the offering as created.
async fn market(api: &federa_testkit::Api) -> (Federation, Value) {
    let federation = Federation::create(api).await;
    api.provider_profile(&federation.provider_id, "FI", "fi-1")
        .await;
    let offering = api
        .post(
            "/api/v1/offerings",
            ADMIN_TOKEN,
            &json!({"participantId": federation.provider_id, "serviceTypeId": federation.service_type_id,
                    "regions": ["fi-1"], "price": {"hourly": "0.10"}}),
        )
        .await;
    assert_eq!(offering.status, 201, "{:?}", offering.body);
    api.report_connected(&federation.agent_token).await;
    (federation, offering.body)
}

#[tokio::test]
async fn a_consumer_orders_reads_the_quote_and_accepts_it() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let (federation, offering) = market(api).await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());
    let properties = [
        "-p",
        "name=web-01",
        "-p",
        "cpu=2",
        "-p",
        "memory=2048",
        "-p",
        "image=ubuntu-22.04",
    ];
    let order = |extra: &'static [&'static str]| {
        let mut args = vec![
            "orders",
            "create",
            "--name",
            "web-01",
            "--type",
            "VM",
            "--group",
            &federation.group_id,
        ];
        args.extend(properties);
        args.extend(extra);
        args
    };

    let refused = federa(url, token, &order(&["--country", "XX"])).await;
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("placement.countries[0]"),
        "{}",
        stderr(&refused)
    );

    let quoted = federa(url, token, &order(&["--country", "FI"])).await;
    assert!(quoted.status.success(), "{}", stderr(&quoted));
    let table = stdout(&quoted);
    assert!(table.contains("Quoted"), "{table}");
    assert!(table.contains("about 73.00 EUR a month"), "{table}");

    let created = federa(url, token, &[order(&["-o", "json"]).as_slice()].concat()).await;
    assert!(created.status.success(), "{}", stderr(&created));
    let placed: Value = serde_json::from_str(&stdout(&created)).expect("an order as JSON");
    let id = placed["id"].as_str().expect("order id").to_string();
    assert_eq!(placed["quote"]["offeringId"], offering["id"]);

    let listed = federa(url, token, &["orders", "list", "--state", "Quoted"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert_eq!(
        stdout(&listed).matches("Quoted").count(),
        2,
        "{}",
        stdout(&listed)
    );

    let accepted = federa(url, token, &["orders", "accept", &id, "-o", "json"]).await;
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let accepted: Value = serde_json::from_str(&stdout(&accepted)).expect("an order as JSON");
    assert_eq!(accepted["state"], "Provisioning");
    let service = api
        .get(
            &format!(
                "/api/v1/services/{}",
                accepted["serviceId"].as_str().unwrap()
            ),
            token,
        )
        .await;
    assert_eq!(service.status, 200, "{:?}", service.body);
    assert_eq!(service.body["providerId"], federation.provider_id.as_str());

    let again = federa(url, token, &["orders", "cancel", &id, "--reason", "late"]).await;
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("Provisioning"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test]
async fn a_consumer_orders_several_services_in_one_order() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let (federation, _) = market(api).await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());
    let item = |name: &str| {
        json!({"name": name, "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
               "properties": {"name": name, "cpu": 2, "memory": 2048, "image": "ubuntu-22.04"},
               "placement": {"countries": ["FI"]}})
    };
    let items = json!([item("web-01"), item("web-02")]).to_string();

    let bad = federa(url, token, &["orders", "create-items", "[{}]"]).await;
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("items"), "{}", stderr(&bad));

    let quoted = federa(url, token, &["orders", "create-items", &items]).await;
    assert!(quoted.status.success(), "{}", stderr(&quoted));
    let table = stdout(&quoted);
    assert_eq!(
        table.matches("about 73.00 EUR a month").count(),
        2,
        "{table}"
    );
    assert!(
        table.contains("Total:    about 146.00 EUR a month"),
        "{table}"
    );

    let placed = federa(
        url,
        token,
        &["orders", "create-items", &items, "-o", "json"],
    )
    .await;
    assert!(placed.status.success(), "{}", stderr(&placed));
    let placed: Value = serde_json::from_str(&stdout(&placed)).expect("an order as JSON");
    assert_eq!(placed["lines"].as_array().map(Vec::len), Some(2));
    let id = placed["id"].as_str().expect("order id");
    let accepted = federa(url, token, &["orders", "accept", id, "-o", "json"]).await;
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let accepted: Value = serde_json::from_str(&stdout(&accepted)).expect("an order as JSON");
    assert_eq!(accepted["state"], "Provisioning");
    assert!(accepted["lines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|line| line["serviceId"].is_string()));
}

#[tokio::test]
async fn a_consumer_orders_a_composition_and_reads_each_components_quote() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let (federation, _) = market(api).await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());
    let component = |key: &str, name: &str| {
        json!({"key": key, "name": name, "serviceTypeId": federation.service_type_id,
               "properties": {"name": name, "cpu": 2, "memory": 2048, "image": "ubuntu-22.04"},
               "placement": {"countries": ["FI"]}})
    };
    let mut web = component("web", "web-01");
    web["dependsOn"] = json!(["db"]);
    let composition = json!({"groupId": federation.group_id, "name": "shop",
                             "components": [component("db", "db-01"), web]})
    .to_string();

    let quoted = federa(url, token, &["orders", "create-composition", &composition]).await;
    assert!(quoted.status.success(), "{}", stderr(&quoted));
    let table = stdout(&quoted);
    assert!(table.contains("Item:     db-01"), "{table}");
    assert!(
        table.contains("Total:    about 146.00 EUR a month"),
        "{table}"
    );

    let bad = federa(url, token, &["orders", "create-composition", "{}"]).await;
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("composition"), "{}", stderr(&bad));
}

#[tokio::test]
async fn serve_binds_quotes_for_the_hours_it_is_told() {
    let data = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", data.path().join("federa.db").display());
    let exchange = Exchange::start_with(
        FEDERA,
        &database,
        "127.0.0.1:0",
        60,
        &["--quote-validity-hours", "2"],
        data,
    )
    .await;
    let api = &exchange.api;
    let (federation, _) = market(api).await;
    let mut order = federation.order("web-01");
    order["placement"] = json!({"countries": ["FI"]});
    let placed = api
        .post("/api/v1/orders", &federation.consumer_token, &order)
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let expires: chrono::DateTime<chrono::Utc> = placed.body["quote"]["expiresAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ahead = expires - chrono::Utc::now();
    assert!(
        ahead > chrono::Duration::minutes(119) && ahead <= chrono::Duration::hours(2),
        "{ahead:?}"
    );
}

#[tokio::test]
async fn a_consumer_budgets_a_project_and_reads_how_the_budget_stands() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let (federation, _) = market(api).await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());
    let body = json!({"consumerId": federation.consumer_id, "name": "Research", "monthlyBudget": "100.00"});
    let created = federa(
        url,
        token,
        &[
            "projects",
            "create",
            "--json",
            &body.to_string(),
            "-o",
            "id",
        ],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let project_id = stdout(&created).trim().to_string();
    let listed = federa(url, token, &["projects", "list"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains("Research"), "{}", stdout(&listed));
    assert!(stdout(&listed).contains("100.00"), "{}", stdout(&listed));

    let group = api
        .post(
            "/api/v1/service-groups",
            token,
            &json!({"name": "research", "consumerId": federation.consumer_id, "projectId": project_id}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    // 0.10 EUR an hour is 73.00 EUR a month: the first service fits, the
    // second would take the forecast to 146.00.
    let mut order = federation.order("web-01");
    order["groupId"] = group.body["id"].clone();
    order["placement"] = json!({"countries": ["FI"]});
    let first = api.post("/api/v1/services", token, &order).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    order["name"] = json!("web-02");
    let refused = api.post("/api/v1/services", token, &order).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(refused.body["quota"]["name"], "project.monthlyBudget");

    let standing = federa(
        url,
        token,
        &["projects", "budget", &project_id, "-o", "json"],
    )
    .await;
    assert!(standing.status.success(), "{}", stderr(&standing));
    let standing: Value = serde_json::from_str(&stdout(&standing)).expect("a budget as JSON");
    assert_eq!(
        standing,
        json!({"monthlyBudget": "100.00", "forecast": "73.00", "budgetAlerts": [80, 100], "alerted": 0})
    );
    let own = federa(
        url,
        token,
        &["participants", "budget", &federation.consumer_id],
    )
    .await;
    assert!(own.status.success(), "{}", stderr(&own));
    assert!(stdout(&own).contains("73.00"), "{}", stdout(&own));
}
