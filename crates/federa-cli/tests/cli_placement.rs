//! Placement from the command line against a real exchange: the preview,
//! ordering by placement instead of by agent, and offerings told by the
//! names of their providers and service types.

mod command_line;

use command_line::{federa, stderr, stdout, FEDERA};
use federa_testkit::processes::Exchange;
use federa_testkit::{Federation, ADMIN_TOKEN};
use serde_json::{json, Value};

/// A federation whose provider "Provider" offers VMs in Finland with a
/// connected agent, on stated exit terms, and whose cheaper provider
/// "Southern Cloud" offers them in Spain with no agent at all and no exit
/// terms stated; returns the two offerings' ids.
async fn two_offerings(exchange: &Exchange, federation: &Federation) -> (String, String) {
    let api = &exchange.api;
    let southern = api.participant("Southern Cloud").await;
    let mut offerings = Vec::new();
    let finnish_exit = json!({"noticePeriodDays": 30, "switchingCharge": "25.00",
        "exportable": [{"name": "disk", "format": "application/octet-stream"}]});
    for (provider, country, region, price, exit_terms) in [
        (
            federation.provider_id.as_str(),
            "FI",
            "fi-hel-1",
            "0.05",
            finnish_exit,
        ),
        (southern.as_str(), "ES", "es-mad-1", "0.01", json!(null)),
    ] {
        api.provider_profile(provider, country, region).await;
        let mut body = json!({"participantId": provider, "serviceTypeId": federation.service_type_id,
                              "regions": [region], "price": {"hourly": price}});
        if !exit_terms.is_null() {
            body["exitTerms"] = exit_terms;
        }
        let offering = api.post("/api/v1/offerings", ADMIN_TOKEN, &body).await;
        assert_eq!(offering.status, 201, "{:?}", offering.body);
        offerings.push(offering.body["id"].as_str().unwrap().to_string());
    }
    api.report_connected(&federation.agent_token).await;
    (offerings.remove(0), offerings.remove(0))
}

/// The VM properties of an order, as `-p` flags.
const VM: [&str; 8] = [
    "-p",
    "name=web-02",
    "-p",
    "cpu=2",
    "-p",
    "memory=2048",
    "-p",
    "image=ubuntu-22.04",
];

/// `federa placement preview` of a VM with `rules`.
async fn preview(url: &str, token: &str, rules: &[&str]) -> std::process::Output {
    let mut args = vec!["placement", "preview", "--type", "VM"];
    args.extend(VM);
    args.extend(rules);
    federa(url, token, &args).await
}

#[tokio::test]
async fn a_placement_preview_names_the_chosen_provider_and_why_the_others_lost() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    let (finnish, spanish) = two_offerings(&exchange, &federation).await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());

    let cheapest = preview(url, token, &[]).await;
    assert!(cheapest.status.success(), "{}", stderr(&cheapest));
    let text = stdout(&cheapest);
    assert!(
        text.starts_with("Chosen:   Provider, region fi-hel-1, agent agent-1, 0.05 EUR/hour\n"),
        "{text}"
    );
    assert!(
        text.contains("Why:      cheapest eligible offering"),
        "{text}"
    );
    assert!(text.contains("Eligible: 1 of 2 offerings"), "{text}");
    // The charge itself depends on the day (none from 12 January 2027);
    // the exchange's tests set their clock to see both sides.
    assert!(
        text.contains("\nExit:     notice of at most 30 days, transitional period of 30 days, exportable: disk (application/octet-stream), switching charge "),
        "{text}"
    );
    let southern = text
        .lines()
        .find(|line| line.starts_with("Southern Cloud"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        southern.contains("0.01") && southern.contains("refused: ") && southern.contains("agent"),
        "{southern}"
    );
    for id in [
        &finnish,
        &spanish,
        &federation.provider_id,
        &federation.agent_id,
    ] {
        assert!(!text.contains(id.as_str()), "names, not ids: {text}");
    }

    // An admin asks for the consumer.
    let for_consumer = preview(url, ADMIN_TOKEN, &["--consumer", &federation.consumer_id]).await;
    assert!(for_consumer.status.success(), "{}", stderr(&for_consumer));
    assert!(
        stdout(&for_consumer).starts_with("Chosen:   Provider, region fi-hel-1, agent agent-1, "),
        "{}",
        stdout(&for_consumer)
    );

    let json = preview(url, token, &["--country", "ES", "-o", "json"]).await;
    assert!(json.status.success(), "{}", stderr(&json));
    let decision: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert!(decision["chosen"].is_null(), "{decision}");
    assert_eq!(decision["effectiveRequest"]["countries"], json!(["ES"]));
    let nowhere = preview(url, token, &["--country", "ES"]).await;
    let text = stdout(&nowhere);
    assert!(
        text.starts_with("No offering can take the service: none of the 2 considered is eligible."),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|line| line.starts_with("Provider ") && line.contains("refused: ")),
        "{text}"
    );

    // Every rule reaches the exchange in its own spelling.
    let ruled = preview(
        url,
        token,
        &[
            "--region",
            "fi-hel-1",
            "--jurisdiction",
            "eu-no-foreign-law",
            "--certification",
            "ISO27001",
            "--max-price",
            "0.10",
            "--strategy",
            "nearest",
            "--near",
            "SE",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(ruled.status.success(), "{}", stderr(&ruled));
    let asked = &serde_json::from_str::<Value>(&stdout(&ruled)).unwrap()["effectiveRequest"];
    assert_eq!(asked["regions"], json!(["fi-hel-1"]), "{asked}");
    assert_eq!(asked["jurisdiction"], "euNoForeignLaw", "{asked}");
    assert_eq!(
        asked["requiredCertifications"],
        json!(["ISO27001"]),
        "{asked}"
    );
    assert_eq!(asked["maxHourlyPrice"], "0.10", "{asked}");
    assert_eq!(asked["strategy"], "nearest", "{asked}");
    assert_eq!(asked["nearCountry"], "SE", "{asked}");

    // Refusals name the flags typed, not the fields of the request.
    let bad = preview(url, token, &["--country", "Finland"]).await;
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("--country") && !stderr(&bad).contains("placement.countries"),
        "{}",
        stderr(&bad)
    );
    let unknown = preview(url, token, &["--certification", "ISO9001"]).await;
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("SecNumCloud"),
        "{}",
        stderr(&unknown)
    );
    exchange.terminate();
}

#[tokio::test]
async fn a_service_ordered_by_placement_prints_itself_as_json_or_explains_its_provider() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    let (finnish, _) = two_offerings(&exchange, &federation).await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());
    let group = federation.group_id.as_str();

    let mut args = vec![
        "services",
        "create",
        "--name",
        "placed",
        "--type",
        "VM",
        "--group",
        group,
        "--country",
        "FI",
        "--json",
    ];
    args.extend(VM);
    let created = federa(url, token, &args).await;
    assert!(created.status.success(), "{}", stderr(&created));
    let service: Value = serde_json::from_str(&stdout(&created)).unwrap();
    assert_eq!(service["name"], "placed");
    assert_eq!(service["agentId"], federation.agent_id.as_str());
    assert_eq!(
        service["placement"]["chosen"]["offeringId"],
        finnish.as_str()
    );

    let mut args = vec![
        "services", "create", "--name", "cheapest", "--type", "VM", "--group", group, "--place",
    ];
    args.extend(VM);
    let created = federa(url, token, &args).await;
    assert!(created.status.success(), "{}", stderr(&created));
    let text = stdout(&created);
    assert!(
        text.lines()
            .any(|line| line.starts_with("name") && line.contains("cheapest")),
        "{text}"
    );
    assert!(
        text.contains("Chosen:   Provider, region fi-hel-1, agent agent-1, 0.05 EUR/hour"),
        "{text}"
    );

    // Nowhere to go is a refusal naming the flag; an agent and placement
    // rules together are a usage error.
    let mut args = vec![
        "services",
        "create",
        "--name",
        "nowhere",
        "--type",
        "VM",
        "--group",
        group,
        "--country",
        "PT",
    ];
    args.extend(VM);
    let refused = federa(url, token, &args).await;
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("placement"),
        "{}",
        stderr(&refused)
    );
    let mut args = vec![
        "services",
        "create",
        "--name",
        "both",
        "--type",
        "VM",
        "--group",
        group,
        "--agent",
        &federation.agent_id,
        "--country",
        "FI",
    ];
    args.extend(VM);
    let both = federa(url, token, &args).await;
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    assert!(stderr(&both).contains("--agent"), "{}", stderr(&both));
    exchange.terminate();
}

#[tokio::test]
async fn offerings_list_names_providers_and_service_types_with_regions_and_price() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    let (finnish, spanish) = two_offerings(&exchange, &federation).await;
    let listed = federa(
        &api.base,
        &federation.consumer_token,
        &["offerings", "list", "--sort", "createdAt"],
    )
    .await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let table = stdout(&listed);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "ID", "PROVIDER", "SERVICE", "TYPE", "REGIONS", "EUR/HOUR", "NOTICE", "DAYS", "SWITCH",
            "EUR"
        ],
        "{table}"
    );
    for (line, id, provider, region, price_and_exit) in [
        (
            lines[1],
            &finnish,
            "Provider",
            "fi-hel-1",
            ["0.05", "30", "25.00"],
        ),
        (
            lines[2],
            &spanish,
            "Southern Cloud",
            "es-mad-1",
            ["0.01", "0", "0"],
        ),
    ] {
        assert!(line.starts_with(id.as_str()), "{table}");
        let rest = &line[id.len()..];
        assert!(
            rest.contains(provider) && rest.contains(" VM ") && rest.contains(region),
            "{table}"
        );
        let words: Vec<&str> = rest.split_whitespace().collect();
        assert_eq!(words[words.len() - 3..], price_and_exit, "{table}");
        assert_eq!(
            rest.matches('-').count(),
            region.matches('-').count(),
            "no other ids: {table}"
        );
    }
    exchange.terminate();
}
