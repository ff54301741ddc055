//! Projects, one row each.

use chrono::{DateTime, Utc};
use federa_domain::commerce::{OverBudget, Project};
use federa_domain::exchange::money::parse_amount;
use uuid::Uuid;

use crate::commerce::budgets::{budget, budget_args, property_limits, property_limits_arg};
use crate::records::{Record, Table};
use crate::sql::{Arg, ScopeColumns};
use federa_domain::commerce::PropertyLimits;
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    consumer_id: Uuid,
    name: String,
    description: Option<String>,
    service_limit: Option<i32>,
    approval_threshold: Option<String>,
    monthly_budget: Option<i64>,
    budget_alerts: Option<String>,
    property_limits: Option<Json<PropertyLimits>>,
    over_budget: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Project {
    fn from(row: Row) -> Project {
        Project {
            id: row.id,
            consumer_id: row.consumer_id,
            name: row.name,
            description: row.description,
            service_limit: row
                .service_limit
                .and_then(|limit| u32::try_from(limit).ok()),
            // Written only from a decimal, so it always parses back.
            approval_threshold: row.approval_threshold.and_then(|text| parse_amount(&text)),
            budget: budget(row.monthly_budget, row.budget_alerts),
            property_limits: property_limits(row.property_limits),
            // Written only from the enum.
            over_budget: OverBudget::parse(&row.over_budget).unwrap_or_default(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Record for Project {
    type Row = Row;
    const TABLE: Table = Table::new(
        "projects",
        &[
            "id",
            "consumer_id",
            "name",
            "description",
            "service_limit",
            "approval_threshold",
            "monthly_budget",
            "budget_alerts",
            "property_limits",
            "over_budget",
            "created_at",
            "updated_at",
        ],
        &[
            "name",
            "description",
            "service_limit",
            "approval_threshold",
            "monthly_budget",
            "budget_alerts",
            "property_limits",
            "over_budget",
            "updated_at",
        ],
    )
    .scoped(ScopeColumns {
        owner: Some("consumer_id"),
        consumer: Some("consumer_id"),
        agent: None,
    })
    .taken("the consumer already has a project with this name")
    .in_use("the project still has service groups; move or delete them first");

    fn values(&self) -> Vec<Arg> {
        let mut values = vec![
            Arg::Uuid(self.id),
            Arg::Uuid(self.consumer_id),
            Arg::Text(self.name.clone()),
            Arg::OptText(self.description.clone()),
            Arg::OptInt(self.service_limit.map(i64::from)),
            Arg::OptText(self.approval_threshold.map(|amount| amount.to_string())),
        ];
        values.extend(budget_args(self.budget.as_ref()));
        values.push(property_limits_arg(&self.property_limits));
        values.extend([
            Arg::Text(self.over_budget.as_str().into()),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]);
        values
    }
}
