//! `/projects`: a consumer's cost centres. Its service groups (and so
//! their services) may belong to one; lists of groups and services filter
//! by `projectId`. A project is deleted only once no group belongs to it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::commerce::budget::edit_budget;
use federa_domain::commerce::{
    check_description, check_property_limits, Budget, Project, QuotaScope, PROJECT_LIST,
};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::Decimal;
use federa_domain::listing::{ListSpec, Page};
use federa_domain::participant::{check_name, Participant};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::budgets::BudgetRes;
use federa_api::projects::{ProjectCreateReq, ProjectRes, ProjectUpdateReq};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::budget_holders::{self, budget_route, BudgetHolder};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::record_routes::{delete_route, get_route, list_route};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(budget))
}

impl Resource for Project {
    const OBJECT: Object = Object::Project;
    const LIST: ListSpec = PROJECT_LIST;
    type Res = ProjectRes;

    fn res(self) -> ProjectRes {
        self.into()
    }

    fn owners(&self) -> Owners {
        Project::owners(self)
    }
}

impl BudgetHolder for Project {
    const SCOPE: QuotaScope = QuotaScope::Project;

    fn budget_mut(&mut self) -> &mut Option<Budget> {
        &mut self.budget
    }

    fn holder(&self) -> (Uuid, Uuid) {
        (self.id, self.consumer_id)
    }
}

impl Edited for Project {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::ProjectCreated,
        updated: EventKind::ProjectUpdated,
        deleted: EventKind::ProjectDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        NewEvent::new(kind, Initiator::of(caller), self.id)
            .consumer(Some(self.consumer_id))
            .properties(json!({
                "name": self.name,
                "description": self.description,
                "serviceLimit": self.service_limit,
                "approvalThreshold": self.approval_threshold,
                "monthlyBudget": self.budget.as_ref().map(Budget::monthly),
                "overBudget": self.over_budget,
            }))
    }
}

/// The checked name and description, or every field that failed.
fn checked_text(
    name: Option<&str>,
    description: Option<&str>,
) -> ApiResult<(Option<String>, Option<Option<String>>)> {
    let name = name.map(|name| check_name("name", name)).transpose();
    let description = description
        .map(|text| check_description("description", text))
        .transpose();
    match (name, description) {
        (Ok(name), Ok(description)) => Ok((name, description)),
        (name, description) => Err(ApiError::Invalid(
            name.err().into_iter().chain(description.err()).collect(),
        )),
    }
}

/// An approval threshold is an amount of EUR, never below zero.
fn check_threshold(threshold: Option<Decimal>) -> ApiResult<()> {
    match threshold {
        Some(amount) if amount.is_sign_negative() => {
            Err(ApiError::field("approvalThreshold", "must not be negative"))
        }
        _ => Ok(()),
    }
}

/// The project `project_id` names, refused as `projectId` unless it is one
/// of `consumer_id`'s: another consumer's project is answered as missing,
/// so its existence is not revealed.
pub(crate) async fn consumers_project(
    state: &AppState,
    project_id: Uuid,
    consumer_id: Uuid,
) -> ApiResult<Project> {
    let what = "project of the group's consumer";
    let project = resource::referenced::<Project>(state, project_id, "projectId", what).await?;
    if project.consumer_id != consumer_id {
        return Err(ApiError::field(
            "projectId",
            format!("no {what} has this id"),
        ));
    }
    Ok(project)
}

list_route!(
    /// List the projects the caller may see.
    "/projects", "Projects",
    params(Paging, ("name" = Option<String>, Query), ("consumerId" = Option<Uuid>, Query)),
    Project => ProjectRes
);

/// Create a project for a consumer; its name is unique within the consumer.
#[utoipa::path(post, path = "/projects", tag = "Projects", request_body = ProjectCreateReq,
    responses((status = 201, body = ProjectRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ProjectCreateReq>,
) -> ApiResult<(StatusCode, Json<ProjectRes>)> {
    caller.authorize(
        Object::Project,
        Action::Create,
        &Owners::owner(req.consumer_id),
    )?;
    let (name, description) = checked_text(Some(&req.name), req.description.as_deref())?;
    check_threshold(req.approval_threshold)?;
    let budget = edit_budget(
        None,
        req.monthly_budget.map(Some),
        req.budget_alerts.as_deref(),
    )?;
    let property_limits = req.property_limits.unwrap_or_default();
    check_property_limits(&property_limits)?;
    resource::referenced::<Participant>(&state, req.consumer_id, "consumerId", "participant")
        .await?;
    let now = clock::now();
    let project = Project {
        id: Uuid::now_v7(),
        consumer_id: req.consumer_id,
        name: name.unwrap_or_default(),
        description: description.flatten(),
        service_limit: req.service_limit,
        approval_threshold: req.approval_threshold,
        budget,
        over_budget: req.over_budget.unwrap_or_default(),
        property_limits,
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, project).await
}

get_route!(
    /// Get a project.
    "/projects/{id}", "Projects", Project => ProjectRes
);

/// Rename a project, change its description or its service limit.
#[utoipa::path(patch, path = "/projects/{id}", tag = "Projects", params(("id" = Uuid, Path)), request_body = ProjectUpdateReq,
    responses((status = 200, body = ProjectRes), Invalid, Refused, Missing, Conflicting))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ProjectUpdateReq>,
) -> ApiResult<Json<ProjectRes>> {
    let mut project: Project = resource::load(&state, &caller, id, Action::Update).await?;
    let (name, description) = checked_text(req.name.as_deref(), req.description.as_deref())?;
    if let Some(name) = name {
        project.name = name;
    }
    if let Some(description) = description {
        project.description = description;
    }
    if let Some(service_limit) = req.service_limit {
        project.service_limit = service_limit;
    }
    if let Some(threshold) = req.approval_threshold {
        check_threshold(threshold)?;
        project.approval_threshold = threshold;
    }
    if let Some(over_budget) = req.over_budget {
        project.over_budget = over_budget;
    }
    if let Some(limits) = req.property_limits {
        check_property_limits(&limits)?;
        project.property_limits = limits;
    }
    project.updated_at = clock::now();
    let alerts = req.budget_alerts.as_deref();
    budget_holders::save_with_budget(&state, &caller, project, req.monthly_budget, alerts).await
}

budget_route!(
    /// How a project's monthly budget stands: the budget, the forecast of its
    /// services and the alert threshold last reached.
    "/projects/{id}/budget", "Projects", Project
);

delete_route!(
    /// Delete a project that no service group belongs to.
    "/projects/{id}", "Projects", Project,
    responses(Refused, Missing, Conflicting)
);
