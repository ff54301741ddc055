//! The service quotas of an order, checked in the transaction that writes
//! the service. On PostgreSQL the row holding each limit that is set (the
//! consumer's participant row, then the project's) is locked first, so
//! concurrent orders against one limit take turns and each counts the
//! services the previous ones wrote; SQLite's single writer already takes
//! them one at a time. A row without a limit is never locked, so orders
//! under no limit never wait for each other.

use federa_domain::commerce::{QuotaScope, QuotaUsage};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::sql::Arg;
use crate::write::{fetch_optional, Refusal, Statement};
use crate::Store;

/// What the quota check of one order needs.
#[derive(Debug, Clone)]
pub struct QuotaCheck {
    pub consumer_id: Uuid,
    pub group_id: Uuid,
    /// The terminal states of each service type the consumer has services
    /// of: a service in one of its type's terminal states no longer counts.
    /// A type left out counts all its services.
    pub ended: Vec<(Uuid, Vec<String>)>,
}

/// The limits that apply to an order, as last written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ServiceLimits {
    pub consumer_limit: Option<i32>,
    pub project_id: Option<Uuid>,
    pub project_limit: Option<i32>,
}

impl ServiceLimits {
    pub fn any(&self) -> bool {
        self.consumer_limit.is_some() || self.project_limit.is_some()
    }
}

/// The project of the order's group, `$1`.
const GROUP_PROJECT: &str = "(SELECT project_id FROM service_groups WHERE id = $1)";

impl QuotaCheck {
    /// `SELECT COUNT(*)` of the services `scope` counts that are not in a
    /// terminal state; its own placeholders start after `$1`.
    fn counted(&self, scope: QuotaScope) -> (String, Vec<Arg>) {
        let mut args = Vec::new();
        let mut ended = Vec::new();
        for (service_type_id, states) in &self.ended {
            if states.is_empty() {
                continue;
            }
            args.push(Arg::Uuid(*service_type_id));
            let type_at = args.len() + 1;
            let mut placeholders = Vec::new();
            for state in states {
                args.push(Arg::Text(state.clone()));
                placeholders.push(format!("${}", args.len() + 1));
            }
            ended.push(format!(
                "(s.service_type_id = ${type_at} AND s.status IN ({}))",
                placeholders.join(", ")
            ));
        }
        let live = if ended.is_empty() {
            String::new()
        } else {
            format!(" AND NOT ({})", ended.join(" OR "))
        };
        let sql = match scope {
            QuotaScope::Consumer => {
                format!("SELECT COUNT(*) FROM services s WHERE s.consumer_id = participants.id{live}")
            }
            QuotaScope::Project => format!(
                "SELECT COUNT(*) FROM services s JOIN service_groups g ON g.id = s.group_id WHERE g.project_id = projects.id{live}"
            ),
        };
        (sql, args)
    }

    /// The table holding `scope`'s limit and the condition choosing the row.
    fn holder(&self, scope: QuotaScope) -> (&'static str, String, Arg) {
        match scope {
            QuotaScope::Consumer => (
                "participants",
                "id = $1".into(),
                Arg::Uuid(self.consumer_id),
            ),
            QuotaScope::Project => (
                "projects",
                format!("id = {GROUP_PROJECT}"),
                Arg::Uuid(self.group_id),
            ),
        }
    }

    /// Locks the row of `scope`'s limit, if one is set (PostgreSQL), then
    /// refuses the write when as many services as the limit already count.
    fn statements(&self, scope: QuotaScope) -> [Statement; 2] {
        let (table, row, key) = self.holder(scope);
        let lock = Statement::new(
            format!("SELECT id FROM {table} WHERE {row} AND service_limit IS NOT NULL FOR NO KEY UPDATE"),
            vec![key.clone()],
        )
        .postgres_only();
        let (counted, mut args) = self.counted(scope);
        args.insert(0, key);
        // Changes the row, to no effect, only when the limit is reached;
        // that change refuses the whole write.
        let reached = Statement::new(
            format!("UPDATE {table} SET service_limit = service_limit WHERE {row} AND service_limit IS NOT NULL AND service_limit <= ({counted})"),
            args,
        )
        .refuse_if_changed(Refusal::QuotaReached(scope));
        [lock, reached]
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
    service_limit: i32,
    count: i64,
}

fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

impl Store {
    /// The limits set on `consumer_id` and on the project of `group_id`.
    pub async fn service_limits(&self, consumer_id: Uuid, group_id: Uuid) -> Result<ServiceLimits> {
        let limits: Option<ServiceLimits> = fetch_optional(
            &self.read,
            "SELECT c.service_limit AS consumer_limit, p.id AS project_id, p.service_limit AS project_limit \
             FROM participants c LEFT JOIN service_groups g ON g.id = $2 LEFT JOIN projects p ON p.id = g.project_id \
             WHERE c.id = $1",
            &[Arg::Uuid(consumer_id), Arg::Uuid(group_id)],
        )
        .await?;
        Ok(limits.unwrap_or(ServiceLimits {
            consumer_limit: None,
            project_id: None,
            project_limit: None,
        }))
    }

    /// The reached quota `scope` as it stands now, for the refusal.
    async fn quota_usage(
        &self,
        check: &QuotaCheck,
        scope: QuotaScope,
    ) -> Result<Option<QuotaUsage>> {
        let (table, row, key) = check.holder(scope);
        let (counted, mut args) = check.counted(scope);
        args.insert(0, key);
        let usage: Option<UsageRow> = fetch_optional(
            &self.read,
            &format!("SELECT id, service_limit, ({counted}) AS count FROM {table} WHERE {row} AND service_limit IS NOT NULL"),
            &args,
        )
        .await?;
        Ok(usage.map(|usage| QuotaUsage {
            scope,
            holder_id: usage.id,
            limit: count(i64::from(usage.service_limit)),
            count: count(usage.count),
        }))
    }

    /// `written`, with a refusal by a reached quota saying the quota's
    /// limit and count.
    pub(crate) async fn within_quotas<T>(
        &self,
        check: Option<&QuotaCheck>,
        written: Result<T>,
    ) -> Result<T> {
        match (written, check) {
            (Err(StoreError::QuotaReached(scope)), Some(check)) => {
                match self.quota_usage(check, scope).await? {
                    Some(usage) => Err(StoreError::QuotaExceeded(usage)),
                    None => Err(StoreError::QuotaReached(scope)),
                }
            }
            (written, _) => written,
        }
    }
}
