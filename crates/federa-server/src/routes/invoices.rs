//! `/invoices` and `/statements`: what a consumer owes and what a provider
//! earns for a period, line by line, as JSON or CSV.
//!
//! Bills are computed when asked, from facts that never change: the event
//! log's record of every status each service entered, and every price each
//! offering had. Asking twice for a closed period gives the same bill.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::commerce::Project;
use federa_domain::exchange::billing::LineKind;
use federa_domain::listing::FieldError;
use federa_exchange::billing::{self, Bill, ProjectTotal};
use federa_store::exchange::BilledParty;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::invoices::{BillLineRes, BillRes, ProjectTotalRes};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::routes::documented::{Invalid, Refused};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invoice))
        .routes(routes!(statement))
}

/// The parameters of a bill: whose, and for which period.
struct BillQuery {
    participant_id: Option<Uuid>,
    /// On an invoice: only the services of this project.
    project_id: Option<Uuid>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    csv: bool,
}

fn parse_query(pairs: &[(String, String)], party_param: &str) -> ApiResult<BillQuery> {
    let mut query = BillQuery {
        participant_id: None,
        project_id: None,
        from: None,
        to: None,
        csv: false,
    };
    let mut errors = Vec::new();
    for (key, value) in pairs {
        let key = key.as_str();
        if key == party_param || key == "projectId" {
            match Uuid::parse_str(value) {
                Ok(id) if key == "projectId" => query.project_id = Some(id),
                Ok(id) => query.participant_id = Some(id),
                Err(_) => errors.push(FieldError::new(key, "must be a UUID")),
            }
        } else if key == "from" || key == "to" {
            match DateTime::parse_from_rfc3339(value) {
                Ok(time) => {
                    let time = time.with_timezone(&Utc);
                    if key == "from" {
                        query.from = Some(time);
                    } else {
                        query.to = Some(time);
                    }
                }
                Err(_) => errors.push(FieldError::new(key, "must be an RFC 3339 time")),
            }
        } else if key == "format" {
            match value.as_str() {
                "csv" => query.csv = true,
                "json" => query.csv = false,
                _ => errors.push(FieldError::new("format", "must be json or csv")),
            }
        }
    }
    for (name, missing) in [("from", query.from.is_none()), ("to", query.to.is_none())] {
        if missing {
            errors.push(FieldError::new(name, "is required"));
        }
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if to <= from {
            errors.push(FieldError::new("to", "must be after from"));
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// CSV when the query says so or the client accepts it.
fn wants_csv(query: &BillQuery, headers: &HeaderMap) -> bool {
    query.csv
        || headers
            .get(header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv"))
}

/// The participant billed, checked against the caller's rights.
fn party(
    caller: &Identity,
    query: &BillQuery,
    param: &str,
    owners: impl Fn(Uuid) -> Owners,
) -> ApiResult<Uuid> {
    caller.may(Object::Invoice, Action::Get)?;
    let participant_id = query
        .participant_id
        .or(caller.participant_id())
        .ok_or_else(|| ApiError::field(param, "is required when acting as admin"))?;
    caller.authorize(Object::Invoice, Action::Get, &owners(participant_id))?;
    Ok(participant_id)
}

/// The answer shape of a bill; `projects` for an invoice, whose lines
/// then name their project.
fn bill_res(bill: Bill, projects: Vec<ProjectTotal>) -> BillRes {
    let by_project = !projects.is_empty();
    BillRes {
        projects: projects
            .into_iter()
            .map(|project| ProjectTotalRes {
                project_id: project.project_id,
                total: project.total,
            })
            .collect(),
        participant_id: bill.invoice.participant_id,
        period_from: bill.invoice.period_from,
        period_to: bill.invoice.period_to,
        currency: bill.invoice.currency,
        total: bill.invoice.total,
        lines: bill
            .lines
            .into_iter()
            .map(|billed| BillLineRes {
                service_id: billed.line.service_id,
                service_name: billed.service_name,
                provider_id: billed.provider_id,
                consumer_id: billed.consumer_id,
                project_id: billed.project_id.filter(|_| by_project),
                offering_id: billed.offering_id,
                description: billed.line.description,
                kind: billed.line.kind,
                quantity: billed.line.quantity,
                unit_price: billed.line.unit_price,
                amount: billed.line.amount,
            })
            .collect(),
    }
}

fn kind_name(kind: LineKind) -> &'static str {
    match kind {
        LineKind::RunningHours => "runningHours",
        LineKind::PropertyUnits => "propertyUnits",
        LineKind::Metric => "metric",
    }
}

/// A CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The bill as CSV: one row per line, then a `total` row.
fn csv(bill: &BillRes) -> String {
    let mut out = String::from(
        "serviceId,serviceName,providerId,consumerId,offeringId,description,kind,quantity,unitPrice,amount,currency\r\n",
    );
    for line in &bill.lines {
        let fields = [
            line.service_id.to_string(),
            csv_field(&line.service_name),
            line.provider_id.to_string(),
            line.consumer_id.to_string(),
            line.offering_id.to_string(),
            csv_field(&line.description),
            kind_name(line.kind).to_owned(),
            line.quantity.to_string(),
            line.unit_price.to_string(),
            line.amount.to_string(),
            "EUR".to_owned(),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out.push_str(&format!(",,,,,total,,,,{},EUR\r\n", bill.total));
    out
}

fn answer(bill: BillRes, as_csv: bool) -> Response {
    if as_csv {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            )],
            csv(&bill),
        )
            .into_response()
    } else {
        Json(bill).into_response()
    }
}

/// A consumer's invoice for a period: every service it ordered, billed at
/// the price of the offering in force at each moment. `Accept: text/csv`
/// or `format=csv` gives CSV.
#[utoipa::path(get, path = "/invoices", tag = "Billing",
    params(("consumerId" = Option<Uuid>, Query, description = "defaults to the caller's participant; required of admins"),
        ("from" = DateTime<Utc>, Query, description = "start of the period, RFC 3339, inclusive"),
        ("to" = DateTime<Utc>, Query, description = "end of the period, RFC 3339, exclusive"),
        ("projectId" = Option<Uuid>, Query, description = "only the services of this project of the consumer"),
        ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, body = BillRes, content_type = "application/json"), (status = 200, body = String, content_type = "text/csv"),
        Invalid, Refused))]
async fn invoice(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let query = parse_query(&pairs, "consumerId")?;
    let consumer_id = party(&caller, &query, "consumerId", |id| {
        Owners::none().with_consumer(id)
    })?;
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return Err(ApiError::field("from", "is required"));
    };
    if let Some(project_id) = query.project_id {
        let project = state.store.record::<Project>(project_id).await?;
        if project.is_none_or(|project| project.consumer_id != consumer_id) {
            return Err(ApiError::field(
                "projectId",
                "no project of the consumer has this id",
            ));
        }
    }
    let mut bill = billing::bill(
        &state,
        BilledParty::Consumer(consumer_id),
        consumer_id,
        from,
        to,
    )
    .await?;
    if let Some(project_id) = query.project_id {
        bill = bill.of_project(project_id)?;
    }
    let projects = bill.project_totals()?;
    let bill = bill_res(bill, projects);
    Ok(answer(bill, wants_csv(&query, &headers)))
}

/// A provider's statement for a period: every service it ran, with the
/// same lines its consumers are invoiced. `Accept: text/csv` or
/// `format=csv` gives CSV.
#[utoipa::path(get, path = "/statements", tag = "Billing",
    params(("providerId" = Option<Uuid>, Query, description = "defaults to the caller's participant; required of admins"),
        ("from" = DateTime<Utc>, Query, description = "start of the period, RFC 3339, inclusive"),
        ("to" = DateTime<Utc>, Query, description = "end of the period, RFC 3339, exclusive"),
        ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, body = BillRes, content_type = "application/json"), (status = 200, body = String, content_type = "text/csv"),
        Invalid, Refused))]
async fn statement(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Response> {
    let query = parse_query(&pairs, "providerId")?;
    let provider_id = party(&caller, &query, "providerId", Owners::owner)?;
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return Err(ApiError::field("from", "is required"));
    };
    let bill = billing::bill(
        &state,
        BilledParty::Provider(provider_id),
        provider_id,
        from,
        to,
    )
    .await?;
    let bill = bill_res(bill, Vec::new());
    Ok(answer(bill, wants_csv(&query, &headers)))
}
