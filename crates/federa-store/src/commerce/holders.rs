//! The consumers and projects quotas are set on, and what their quotas
//! count: the holder's table, the services it counts (a consumer all of
//! its own, a project those of its groups), which of them are live (not
//! in a terminal state of their type's lifecycle) and what those are
//! forecast to cost a month. Shared by the quota checks of a write and by
//! the reading of a budget as it stands.

use federa_domain::commerce::QuotaScope;
use uuid::Uuid;

use crate::sql::Arg;

/// The terminal states of each service type: a service in one of its
/// type's terminal states no longer counts. A type left out counts all its
/// services.
pub type EndedStates = [(Uuid, Vec<String>)];

/// The table holding a `scope` holder's quotas.
pub(crate) fn holder_table(scope: QuotaScope) -> &'static str {
    match scope {
        QuotaScope::Consumer => "participants",
        QuotaScope::Project => "projects",
    }
}

/// The `FROM` of the services `s` a `scope` holder counts, and the
/// condition tying them to the holder's row (named by its table).
pub(crate) fn counted_services(scope: QuotaScope) -> (&'static str, &'static str) {
    match scope {
        QuotaScope::Consumer => ("services s", "s.consumer_id = participants.id"),
        QuotaScope::Project => (
            "services s JOIN service_groups g ON g.id = s.group_id",
            "g.project_id = projects.id",
        ),
    }
}

/// The condition leaving out services `s` in a terminal state (starting
/// with ` AND`, empty when none is), its placeholders from `$2`.
pub(crate) fn live_condition(ended_states: &EndedStates) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let mut ended = Vec::new();
    for (service_type_id, states) in ended_states {
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
    (live, args)
}

/// The `SELECT` of the forecast, in cents, of the live services (`live`,
/// from [`live_condition`]) a `scope` holder counts: the sum of their
/// placements' monthly prices.
pub(crate) fn forecast_sql(scope: QuotaScope, live: &str) -> String {
    let (services, holder) = counted_services(scope);
    format!(
        "SELECT COALESCE(SUM(pl.monthly_cents), 0) FROM {services} JOIN placements pl ON pl.service_id = s.id WHERE {holder}{live}"
    )
}
