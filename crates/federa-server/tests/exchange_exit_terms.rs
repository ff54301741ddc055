//! Offerings' exit terms over HTTP (EU Data Act, Chapter VI): stated with
//! an offering or left to their defaults, changed with an event, refused
//! with every broken rule named, and shown with each placement candidate
//! together with the switching charge on the exchange's date.

mod exchange_kit;

use chrono::{TimeZone, Utc};
use exchange_kit::{offering, offering_body, preview, profile_in, provider, Provider};
use federa_server::clock::Clock;
use federa_testkit::{error_paths, Federation, Response, TestServer};
use serde_json::{json, Value};

/// Terms a provider able to export might state.
fn stated_terms() -> Value {
    json!({
        "noticePeriodDays": 30,
        "transitionalPeriodDays": 90,
        "exportable": [
            {"name": "data", "format": "application/json"},
            {"name": "disk", "format": "application/octet-stream"}
        ],
        "importable": ["application/json"],
        "switchingCharge": "40.00"
    })
}

/// The body of Nordic's offering in Finland, with `exit_terms` unless
/// they are null.
fn nordic_offering(federation: &Federation, nordic: &Provider, exit_terms: Value) -> Value {
    let mut body = offering_body(federation, nordic, &["fi-hel-1"], json!({"hourly": "0.05"}));
    if !exit_terms.is_null() {
        body["exitTerms"] = exit_terms;
    }
    body
}

async fn publish(server: &TestServer, seller: &Provider, body: &Value) -> Response {
    server.post("/api/v1/offerings", &seller.token, body).await
}

/// Publishes `body` and returns the offering, which must be accepted.
async fn published(server: &TestServer, seller: &Provider, body: &Value) -> Value {
    let created = publish(server, seller, body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body
}

fn default_terms() -> Value {
    json!({
        "noticePeriodDays": 0,
        "transitionalPeriodDays": 30,
        "exportable": [],
        "switchingCharge": "0"
    })
}

#[tokio::test]
async fn stated_exit_terms_round_trip_and_absent_ones_take_the_defaults() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;

    let stated = nordic_offering(&federation, &nordic, stated_terms());
    let stated = published(&server, &nordic, &stated).await;
    assert_eq!(stated["exitTerms"], stated_terms());
    let path = format!("/api/v1/offerings/{}", stated["id"].as_str().unwrap());
    let read = server.get(&path, &federation.consumer_token).await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    assert_eq!(read.body["exitTerms"], stated_terms());

    let silent = nordic_offering(&federation, &nordic, json!(null));
    let silent = published(&server, &nordic, &silent).await;
    assert_eq!(silent["exitTerms"], default_terms());
    // A field left out takes its default; the others are kept as stated.
    let partial = nordic_offering(&federation, &nordic, json!({"noticePeriodDays": 7}));
    let partial = published(&server, &nordic, &partial).await;
    let mut expected = default_terms();
    expected["noticePeriodDays"] = json!(7);
    assert_eq!(partial["exitTerms"], expected);
    let listed = server
        .get(
            &format!("/api/v1/offerings?participantId={}", nordic.id),
            &federation.consumer_token,
        )
        .await;
    let terms: Vec<&Value> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|offering| &offering["exitTerms"])
        .collect();
    assert_eq!(terms.len(), 3, "{:?}", listed.body);
    assert!(terms.contains(&&stated_terms()) && terms.contains(&&default_terms()));
}

#[tokio::test]
async fn an_offering_published_before_exit_terms_were_kept_reads_with_the_defaults() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    let created = nordic_offering(&federation, &nordic, stated_terms());
    let created = published(&server, &nordic, &created).await;
    // What migration 0019 leaves in every offering that existed before it.
    server
        .database
        .execute("UPDATE offerings SET exit_terms = NULL")
        .await;
    let path = format!("/api/v1/offerings/{}", created["id"].as_str().unwrap());
    let read = server.get(&path, &federation.consumer_token).await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    assert_eq!(read.body["exitTerms"], default_terms());
    let answer = preview(&server, &federation, json!({})).await;
    assert_eq!(
        answer["chosen"]["exitTerms"]["switchingChargeDue"], "0",
        "{answer}"
    );
}

#[tokio::test]
async fn changed_exit_terms_replace_the_old_and_are_recorded_in_the_event() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    let created = nordic_offering(&federation, &nordic, json!(null));
    let created = published(&server, &nordic, &created).await;
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/offerings/{id}");

    let price_only = server
        .patch(&path, &nordic.token, &json!({"price": {"hourly": "0.06"}}))
        .await;
    assert_eq!(price_only.status, 200, "{:?}", price_only.body);
    assert_eq!(price_only.body["exitTerms"], default_terms(), "left alone");

    let changed = server
        .patch(&path, &nordic.token, &json!({"exitTerms": stated_terms()}))
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["exitTerms"], stated_terms());
    assert_eq!(
        server.get(&path, &nordic.token).await.body["exitTerms"],
        stated_terms()
    );

    let events = server
        .get(
            &format!("/api/v1/events?entityId={id}&type=offering.updated&pageSize=100"),
            &nordic.token,
        )
        .await;
    assert_eq!(events.status, 200, "{:?}", events.body);
    let recorded: Vec<&Value> = events.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|event| &event["properties"]["exitTerms"])
        .collect();
    assert_eq!(recorded, [&default_terms(), &stated_terms()]);
}

#[tokio::test]
async fn every_broken_exit_term_is_named_in_one_answer() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    let broken = nordic_offering(
        &federation,
        &nordic,
        json!({
            "noticePeriodDays": 61,
            "transitionalPeriodDays": 29,
            "exportable": [
                {"name": "data", "format": "application/json"},
                {"name": "data", "format": "text/csv"},
                {"name": "logs", "format": "text"}
            ],
            "importable": ["application/json", "csv"],
            "switchingCharge": "-0.01"
        }),
    );
    let refused = publish(&server, &nordic, &broken).await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(
        error_paths(&refused.body),
        [
            "exitTerms.noticePeriodDays",
            "exitTerms.transitionalPeriodDays",
            "exitTerms.exportable[1].name",
            "exitTerms.exportable[2].format",
            "exitTerms.importable[1]",
            "exitTerms.switchingCharge",
        ]
    );
    let messages: Vec<&str> = refused.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["message"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        messages,
        [
            "must be at most 60 days (two months)",
            "must be from 30 to 210 days (30 days, extendable to seven months)",
            "`data` is listed twice",
            "must be a media type such as application/json",
            "must be a media type such as application/json",
            "must not be negative",
        ]
    );

    let created = nordic_offering(&federation, &nordic, json!(null));
    let created = published(&server, &nordic, &created).await;
    let path = format!("/api/v1/offerings/{}", created["id"].as_str().unwrap());
    let too_long = server
        .patch(
            &path,
            &nordic.token,
            &json!({"exitTerms": {"transitionalPeriodDays": 211}}),
        )
        .await;
    assert_eq!(too_long.status, 400, "{:?}", too_long.body);
    assert_eq!(
        error_paths(&too_long.body),
        ["exitTerms.transitionalPeriodDays"]
    );
    // A charge as a JSON number could arrive as a float; it is refused
    // like every other amount.
    let number = server
        .patch(
            &path,
            &nordic.token,
            &json!({"exitTerms": {"switchingCharge": 5}}),
        )
        .await;
    assert_eq!(number.status, 400, "{:?}", number.body);
    assert_eq!(
        server.get(&path, &nordic.token).await.body["exitTerms"],
        default_terms(),
        "nothing refused was kept"
    );
}

/// A preview on an exchange whose clock reads `moment`, where Nordic
/// (cheaper, stated terms) and Rhein (no terms stated) offer the type.
async fn preview_on(moment: chrono::DateTime<Utc>) -> Value {
    let server = TestServer::start_configured(|settings| {
        settings.clock = Clock::starting_at(moment);
    })
    .await;
    let federation = Federation::create(&server).await;
    let nordic = provider(&server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    let rhein = provider(&server, &federation, "Rhein", profile_in("DE", "de-fra-1")).await;
    // Nordic's offering at 0.05 EUR/h is the cheaper one.
    published(
        &server,
        &nordic,
        &nordic_offering(&federation, &nordic, stated_terms()),
    )
    .await;
    offering(
        &server,
        &federation,
        &rhein,
        &["de-fra-1"],
        json!({"hourly": "0.09"}),
    )
    .await;
    let answer = preview(&server, &federation, json!({})).await;
    assert_eq!(answer["chosen"]["participantId"], nordic.id.as_str());
    let rhein_terms = answer["considered"]
        .as_array()
        .expect("considered")
        .iter()
        .find(|verdict| verdict["participantId"] == rhein.id.as_str())
        .map(|verdict| verdict["exitTerms"].clone())
        .expect("Rhein considered");
    let mut expected = default_terms();
    expected["date"] = json!(moment.date_naive().to_string());
    expected["switchingChargeDue"] = json!("0");
    assert_eq!(rhein_terms, expected, "the defaults, charging nothing");
    answer
}

/// Nordic's terms as the preview shows them, on `date`, due `charge`.
fn nordic_terms_on(date: &str, charge: &str) -> Value {
    let mut expected = stated_terms();
    expected["date"] = json!(date);
    expected["switchingChargeDue"] = json!(charge);
    expected
}

#[tokio::test]
async fn a_preview_shows_each_candidates_exit_terms_and_the_charge_due_before_2027_01_12() {
    let moment = Utc.with_ymd_and_hms(2027, 1, 11, 12, 0, 0).unwrap();
    let preview = preview_on(moment).await;
    let expected = nordic_terms_on("2027-01-11", "40.00");
    assert_eq!(preview["chosen"]["exitTerms"], expected);
    let chosen_verdict = &preview["considered"][0];
    assert_eq!(
        chosen_verdict["participantId"],
        preview["chosen"]["participantId"]
    );
    assert_eq!(chosen_verdict["exitTerms"], expected);
}

#[tokio::test]
async fn from_2027_01_12_a_preview_shows_no_switching_charge_due() {
    let moment = Utc.with_ymd_and_hms(2027, 1, 12, 0, 0, 0).unwrap();
    let preview = preview_on(moment).await;
    // The stated charge stays shown; none of it is due any more.
    assert_eq!(
        preview["chosen"]["exitTerms"],
        nordic_terms_on("2027-01-12", "0")
    );
}
