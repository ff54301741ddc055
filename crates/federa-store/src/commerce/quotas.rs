//! The quotas of an order, checked in the transaction that writes the
//! service (or grows its properties): service limits, monthly budgets and
//! limits on quota-counted properties, on the consumer and on the project
//! of the service's group. On PostgreSQL the row holding each
//! quota that is set (the consumer's participant row, then the project's)
//! is locked first, so concurrent orders against one quota take turns and
//! each counts the services the previous ones wrote; SQLite's single
//! writer already takes them one at a time. A row without a quota is never
//! locked, so orders under none never wait for each other.

use federa_domain::commerce::budget::from_cents;
use federa_domain::commerce::{Quota, QuotaMeasure, QuotaScope, QuotaUsage, QuotaUse};
use uuid::Uuid;

use crate::commerce::holders::{counted_services, forecast_sql, holder_table, live_condition};
use crate::error::{Result, StoreError};
use crate::read_cache::read_through;
pub use crate::service_limits::ServiceLimits;
use crate::sql::Arg;
use crate::write::{fetch_optional, Refusal, Statement};
use crate::Store;

/// What the quota check of one order needs.
#[derive(Debug, Clone)]
pub struct QuotaCheck {
    pub consumer_id: Uuid,
    pub group_id: Uuid,
    /// The terminal states of each service type the consumer has services
    /// of (see `EndedStates`).
    pub ended: Vec<(Uuid, Vec<String>)>,
    /// The monthly price of the service ordered, in cents: what it adds to
    /// a budget's forecast. A service without one passes every budget.
    pub monthly_cents: i64,
    /// An approver let the order pass its project's budget.
    pub project_budget_waived: bool,
    /// The write adds a service (an order), rather than growing one (a
    /// change of its properties): only then is the service limit checked.
    pub adds_service: bool,
    /// What the service ordered counts towards each property quota (such
    /// as `("vcpus", 4)`); a quota it counts nothing towards is not checked.
    pub amounts: Vec<(String, i64)>,
    /// The properties each service type of the catalogue counts towards
    /// each quota: `(type, [(quota, property)])`.
    pub counted: Vec<(Uuid, Vec<(String, String)>)>,
}

/// The project of the order's group, `$1`.
const GROUP_PROJECT: &str = "(SELECT project_id FROM service_groups WHERE id = $1)";

/// The column holding `measure`'s limit on its holder's row.
fn limit_column(measure: &QuotaMeasure) -> &'static str {
    match measure {
        QuotaMeasure::Services => "service_limit",
        QuotaMeasure::MonthlyBudget => "monthly_budget",
        QuotaMeasure::Property(_) => "property_limits",
    }
}

/// The expression reading `measure`'s limit; a property limit's name is
/// bound as the next of `args`, which start at `$1`.
fn limit_value(measure: &QuotaMeasure, args: &mut Vec<Arg>) -> String {
    match measure {
        QuotaMeasure::Property(name) => {
            args.push(Arg::Text(name.clone()));
            format!("CAST(property_limits ->> ${} AS NUMERIC)", args.len())
        }
        other => limit_column(other).to_string(),
    }
}

impl QuotaCheck {
    fn live(&self) -> (String, Vec<Arg>) {
        live_condition(&self.ended)
    }

    /// The `SELECT` of what `quota` measures now, over the services it
    /// counts that are not in a terminal state; placeholders from `$2`.
    fn measured(&self, quota: &Quota) -> (String, Vec<Arg>) {
        let (live, mut args) = self.live();
        let (services, holder) = counted_services(quota.scope);
        let sql = match &quota.measure {
            QuotaMeasure::Services => {
                format!("SELECT COUNT(*) FROM {services} WHERE {holder}{live}")
            }
            QuotaMeasure::MonthlyBudget => forecast_sql(quota.scope, &live),
            QuotaMeasure::Property(name) => {
                // Each type names the property it counts in its own way.
                let mut cases = Vec::new();
                for (service_type_id, counted) in &self.counted {
                    for (_, property) in counted.iter().filter(|(quota, _)| quota == name) {
                        args.push(Arg::Uuid(*service_type_id));
                        args.push(Arg::Text(property.clone()));
                        let at = args.len();
                        cases.push(format!("WHEN ${at} THEN s.properties ->> ${}", at + 1));
                    }
                }
                if cases.is_empty() {
                    "SELECT 0".to_string()
                } else {
                    format!(
                        "SELECT COALESCE(SUM(CAST(CASE s.service_type_id {} END AS NUMERIC)), 0) FROM {services} WHERE {holder}{live}",
                        cases.join(" ")
                    )
                }
            }
        };
        (sql, args)
    }

    /// The table holding `scope`'s quotas and the condition choosing the row.
    fn holder(&self, scope: QuotaScope) -> (&'static str, String, Arg) {
        let table = holder_table(scope);
        match scope {
            QuotaScope::Consumer => (table, "id = $1".into(), Arg::Uuid(self.consumer_id)),
            QuotaScope::Project => (
                table,
                format!("id = {GROUP_PROJECT}"),
                Arg::Uuid(self.group_id),
            ),
        }
    }

    /// The quotas checked on `scope`'s holder: its service limit when the
    /// write adds a service, its budget unless the service costs nothing or
    /// the budget was waived, and the limit of each property quota the
    /// write adds to.
    fn quotas(&self, scope: QuotaScope) -> Vec<Quota> {
        let mut quotas = Vec::new();
        if self.adds_service {
            quotas.push(Quota::new(scope, QuotaMeasure::Services));
        }
        let waived = scope == QuotaScope::Project && self.project_budget_waived;
        if self.monthly_cents > 0 && !waived {
            quotas.push(Quota::new(scope, QuotaMeasure::MonthlyBudget));
        }
        quotas.extend(
            self.amounts
                .iter()
                .map(|(name, _)| Quota::new(scope, QuotaMeasure::Property(name.clone()))),
        );
        quotas
    }

    /// What the service ordered adds to what `measure` counts.
    fn requested(&self, measure: &QuotaMeasure) -> i64 {
        match measure {
            QuotaMeasure::Services => 1,
            QuotaMeasure::MonthlyBudget => self.monthly_cents,
            QuotaMeasure::Property(name) => self
                .amounts
                .iter()
                .find(|(quota, _)| quota == name)
                .map_or(0, |(_, amount)| *amount),
        }
    }

    /// Locks the row of `scope`'s quotas, if one is set (PostgreSQL), then
    /// refuses the write when a quota would be passed.
    fn statements(&self, scope: QuotaScope) -> Vec<Statement> {
        let (table, row, key) = self.holder(scope);
        let quotas = self.quotas(scope);
        if quotas.is_empty() {
            return Vec::new();
        }
        let mut columns: Vec<&str> = quotas.iter().map(|q| limit_column(&q.measure)).collect();
        columns.dedup();
        let set = columns
            .iter()
            .map(|column| format!("{column} IS NOT NULL"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let mut statements = vec![Statement::new(
            format!("SELECT id FROM {table} WHERE {row} AND ({set}) FOR NO KEY UPDATE"),
            vec![key.clone()],
        )
        .postgres_only()];
        for quota in quotas {
            let (measured, mut args) = self.measured(&quota);
            args.insert(0, key.clone());
            let column = limit_column(&quota.measure);
            let limit = limit_value(&quota.measure, &mut args);
            // The service being written is not counted yet: a quota is
            // passed once what it counts plus what this service adds is
            // above the limit.
            args.push(Arg::Int(self.requested(&quota.measure)));
            let passed = format!("{limit} < ({measured}) + ${}", args.len());
            // Changes the row, to no effect, only when the quota would be
            // passed; that change refuses the whole write.
            statements.push(
                Statement::new(
                    format!("UPDATE {table} SET {column} = {column} WHERE {row} AND {limit} IS NOT NULL AND {passed}"),
                    args,
                )
                .refuse_if_changed(Refusal::QuotaReached(quota)),
            );
        }
        statements
    }
}

/// The statements checking an order's quotas, the consumer's first so
/// that concurrent orders lock the rows in one order.
pub(crate) fn quota_statements(check: &QuotaCheck) -> Vec<Statement> {
    [QuotaScope::Consumer, QuotaScope::Project]
        .into_iter()
        .flat_map(|scope| check.statements(scope))
        .collect()
}

#[derive(sqlx::FromRow)]
struct UsageRow {
    id: Uuid,
    limit_value: i64,
    measured: i64,
}

fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

impl Store {
    /// The quotas set on `consumer_id` and on the project of `group_id`;
    /// kept in memory (see [`crate::read_cache`]).
    pub async fn service_limits(&self, consumer_id: Uuid, group_id: Uuid) -> Result<ServiceLimits> {
        let load = self.read_service_limits(consumer_id, group_id);
        let key = (consumer_id, group_id);
        read_through(&self.caches, &self.caches.limits, key, |_| true, load).await
    }

    async fn read_service_limits(
        &self,
        consumer_id: Uuid,
        group_id: Uuid,
    ) -> Result<ServiceLimits> {
        let limits: Option<ServiceLimits> = fetch_optional(
            &self.read,
            "SELECT c.service_limit AS consumer_limit, c.monthly_budget AS consumer_budget, \
             p.id AS project_id, p.service_limit AS project_limit, p.monthly_budget AS project_budget, \
             (c.property_limits IS NOT NULL OR p.property_limits IS NOT NULL) AS property_limits \
             FROM participants c LEFT JOIN service_groups g ON g.id = $2 LEFT JOIN projects p ON p.id = g.project_id \
             WHERE c.id = $1",
            &[Arg::Uuid(consumer_id), Arg::Uuid(group_id)],
        )
        .await?;
        Ok(limits.unwrap_or(ServiceLimits {
            consumer_limit: None,
            consumer_budget: None,
            project_id: None,
            project_limit: None,
            project_budget: None,
            property_limits: false,
        }))
    }

    /// How far the passed `quota` is used as it stands now, for the refusal.
    async fn quota_usage(&self, check: &QuotaCheck, quota: Quota) -> Result<Option<QuotaUsage>> {
        let (table, row, key) = check.holder(quota.scope);
        let (measured, mut args) = check.measured(&quota);
        args.insert(0, key);
        let limit = limit_value(&quota.measure, &mut args);
        let usage: Option<UsageRow> = fetch_optional(
            &self.read,
            &format!("SELECT id, CAST({limit} AS BIGINT) AS limit_value, CAST(({measured}) AS BIGINT) AS measured FROM {table} WHERE {row} AND {limit} IS NOT NULL"),
            &args,
        )
        .await?;
        let requested = check.requested(&quota.measure);
        Ok(usage.map(|usage| QuotaUsage {
            scope: quota.scope,
            holder_id: usage.id,
            used: match quota.measure {
                QuotaMeasure::Property(name) => QuotaUse::Property {
                    name,
                    limit: usage.limit_value,
                    total: usage.measured,
                    requested,
                },
                QuotaMeasure::Services => QuotaUse::Services {
                    limit: count(usage.limit_value),
                    count: count(usage.measured),
                },
                QuotaMeasure::MonthlyBudget => QuotaUse::MonthlyBudget {
                    budget: from_cents(usage.limit_value),
                    forecast: from_cents(usage.measured),
                    requested: from_cents(check.monthly_cents),
                },
            },
        }))
    }

    /// `written`, with a refusal by a passed quota saying how far it is used.
    pub(crate) async fn within_quotas<T>(
        &self,
        check: Option<&QuotaCheck>,
        written: Result<T>,
    ) -> Result<T> {
        match (written, check) {
            (Err(StoreError::QuotaReached(quota)), Some(check)) => {
                match self.quota_usage(check, quota.clone()).await? {
                    Some(usage) => Err(StoreError::QuotaExceeded(usage)),
                    None => Err(StoreError::QuotaReached(quota)),
                }
            }
            (written, _) => written,
        }
    }
}
