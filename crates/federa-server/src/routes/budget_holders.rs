//! What the two holders of a monthly budget, a consumer and a project,
//! share: changing the budget (then reviewing its alert level, since the
//! thresholds now stand against another amount) and showing how it stands.

use axum::Json;
use federa_api::budgets::BudgetRes;
use federa_domain::access::{Action, Identity};
use federa_domain::commerce::budget::edit_budget;
use federa_domain::commerce::{Budget, QuotaScope};
use federa_domain::exchange::Decimal;
use federa_exchange::budgets;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::resource::{self, Edited};
use crate::state::AppState;

/// `async fn budget`: `GET {path}` answers how the budget of the holder of
/// the path's `id` stands, if the caller may read the holder.
macro_rules! budget_route {
    ($(#[doc = $doc:literal])* $path:literal, $tag:literal, $holder:ident) => {
        $(#[doc = $doc])*
        #[utoipa::path(get, path = $path, tag = $tag, params(("id" = Uuid, Path)),
                    responses((status = 200, body = BudgetRes), Refused, Missing))]
        async fn budget(
            State(state): State<AppState>,
            Caller(caller): Caller,
            IdPath(id): IdPath,
        ) -> ApiResult<Json<BudgetRes>> {
            budget_holders::standing::<$holder>(&state, &caller, id).await
        }
    };
}

pub(crate) use budget_route;

/// A record that holds a monthly budget.
pub(crate) trait BudgetHolder: Edited {
    const SCOPE: QuotaScope;

    fn budget_mut(&mut self) -> &mut Option<Budget>;

    /// Its id and the consumer whose services its budget counts.
    fn holder(&self) -> (Uuid, Uuid);
}

/// Saves `changed` with its budget edited by `monthly` and `alerts` (see
/// `edit_budget`), reviewing the alert level when the budget changed.
pub(crate) async fn save_with_budget<R: BudgetHolder>(
    state: &AppState,
    caller: &Identity,
    mut changed: R,
    monthly: Option<Option<Decimal>>,
    alerts: Option<&[u32]>,
) -> ApiResult<Json<R::Res>> {
    let slot = changed.budget_mut();
    let budget = edit_budget(slot.clone(), monthly, alerts)?;
    let budget_changed = budget != *slot;
    *slot = budget;
    let (id, consumer_id) = changed.holder();
    let saved = resource::save(state, caller, changed).await?;
    if budget_changed {
        budgets::review_holder(state, R::SCOPE, id, consumer_id).await?;
    }
    Ok(saved)
}

/// How the budget of the holder `id` stands, if `caller` may read it.
pub(crate) async fn standing<R: BudgetHolder>(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
) -> ApiResult<Json<BudgetRes>> {
    let holder: R = resource::load(state, caller, id, Action::Get).await?;
    let (id, consumer_id) = holder.holder();
    let standing = budgets::standing(state, R::SCOPE, id, consumer_id).await?;
    Ok(Json(BudgetRes::new(
        standing.budget.as_ref(),
        standing.forecast_cents,
        standing.alerted,
    )))
}
