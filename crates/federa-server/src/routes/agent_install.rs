//! Installing an agent: the install command an operator runs, the
//! configuration file it downloads, and the one-time exchange of the
//! install credential for the agent's lasting token.
//!
//! The two `/agents/install/{token}/…` endpoints take no bearer: the install
//! credential in the path is the proof. Its plain value, like the bootstrap
//! token's, appears only in the answer that mints it; it is never stored,
//! logged, or shown again.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use federa_domain::access::{Action, Identity, Role};
use federa_domain::catalogue::agent_install::{install_templates, render_command, render_config};
use federa_domain::catalogue::{Agent, AgentInstall, AgentType, INSTALLED_AGENT_TOKEN_LIFETIME};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::FieldError;
use federa_domain::property_schema::VAULT_REFERENCE_PREFIX;
use federa_domain::token::Token;
use federa_store::catalogue::NewToken;
use federa_store::StoreError;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::agent_install::{InstallCommandMetaRes, InstallCommandRes};

use crate::auth::{hash_token_value, new_token_value, Caller};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::IdPath;
use crate::resource;
use crate::routes::documented::{Invalid, Missing, Refused};
use crate::state::AppState;
use federa_api::tokens::TokenRes;
use federa_exchange::secrets;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, get, delete))
        .routes(routes!(regenerate))
        .routes(routes!(config))
        .routes(routes!(exchange))
}

const CONFIG_PATH: &str = "/api/v1/agents/install/{token}/config";

fn install_event(
    kind: EventKind,
    initiator: Initiator,
    agent: &Agent,
    properties: Value,
) -> NewEvent {
    NewEvent::new(kind, initiator, agent.id)
        .provider(Some(agent.provider_id))
        .agent(Some(agent.id))
        .properties(properties)
}

/// The agent's type, which must carry both install templates.
async fn templated_type(state: &AppState, agent: &Agent) -> ApiResult<AgentType> {
    let agent_type = state
        .store
        .agent_type(agent.agent_type_id)
        .await?
        .ok_or_else(|| ApiError::internal("an agent's type is missing"))?;
    if install_templates(&agent_type).is_none() {
        return Err(ApiError::field(
            "agentTypeId",
            "the agent's type has no configTemplate and cmdTemplate to install it with",
        ));
    }
    Ok(agent_type)
}

/// The root URL installers reach this server at: the configured public URL,
/// else the Host the caller used. Only host characters are taken from the
/// header, so it cannot smuggle text into the rendered command.
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// A fresh bootstrap token: agent role, scoped to the agent, expiring with
/// the install credential.
fn bootstrap_token(agent: &Agent, now: DateTime<Utc>, ttl: chrono::Duration) -> Token {
    Token {
        id: Uuid::now_v7(),
        name: format!("install bootstrap for {}", agent.name),
        role: Role::Agent,
        expire_at: Some(now + ttl),
        participant_id: Some(agent.provider_id),
        agent_id: Some(agent.id),
        created_at: now,
        updated_at: now,
    }
}

/// The three secrets-bearing values of a fresh install: the credential's
/// plain value, the bootstrap token and its plain value.
struct Minted {
    install_value: String,
    bootstrap: Token,
    bootstrap_value: String,
}

fn mint(agent: &Agent, now: DateTime<Utc>, ttl: chrono::Duration) -> Minted {
    Minted {
        install_value: new_token_value(),
        bootstrap: bootstrap_token(agent, now, ttl),
        bootstrap_value: new_token_value(),
    }
}

/// The create/regenerate answer, kept out of every cache.
fn command_response(
    status: StatusCode,
    state: &AppState,
    headers: &HeaderMap,
    agent: &Agent,
    agent_type: &AgentType,
    minted: &Minted,
    expires_at: DateTime<Utc>,
) -> ApiResult<Response> {
    let (_, cmd_template) = install_templates(agent_type).ok_or_else(|| {
        ApiError::internal("an agent type without install templates reached the install command")
    })?;
    // The install credential is base64url, so it needs no escaping in a path.
    let url = format!(
        "{}{}",
        public_base(state, headers),
        CONFIG_PATH.replace("{token}", &minted.install_value)
    );
    let empty = Map::new();
    let configuration = agent.configuration.as_ref().unwrap_or(&empty);
    let install_command =
        render_command(cmd_template, configuration, &url, &minted.bootstrap_value).map_err(
            |missing| FieldError::new(&missing.0, missing.to_string()).under("configuration"),
        )?;
    let body = InstallCommandRes {
        install_command,
        url,
        expires_at,
    };
    Ok((status, [(CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// Create the install command of an agent whose type has install
/// templates. It and its bootstrap token expire after five minutes (the
/// server's `--agent-install-ttl-seconds`).
#[utoipa::path(post, path = "/agents/{id}/install-command", tag = "Agents", params(("id" = Uuid, Path)),
    responses((status = 201, body = InstallCommandRes), Invalid, Refused, Missing,
        (status = 409, body = crate::routes::ErrorRes, description = "the agent already has an install command that has not expired")))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let agent = resource::load::<Agent>(&state, &caller, id, Action::Update).await?;
    let agent_type = templated_type(&state, &agent).await?;
    let now = clock::now();
    let existing = state.store.agent_install(agent.id).await?;
    if existing.as_ref().is_some_and(|i| !i.is_expired(now)) {
        return Err(ApiError::Conflict(
            "the agent already has a live install command; regenerate or delete it".into(),
        ));
    }
    let minted = mint(&agent, now, state.install_ttl);
    let install = AgentInstall {
        id: Uuid::now_v7(),
        agent_id: agent.id,
        bootstrap_token_id: minted.bootstrap.id,
        expires_at: now + state.install_ttl,
        created_at: now,
        updated_at: now,
    };
    let event = install_event(
        EventKind::AgentInstallTokenCreated,
        Initiator::of(&caller),
        &agent,
        json!({"expiresAt": install.expires_at}),
    );
    state
        .store
        .create_agent_install(
            &install,
            &hash_token_value(&minted.install_value),
            NewToken {
                token: &minted.bootstrap,
                hashed_value: &hash_token_value(&minted.bootstrap_value),
            },
            existing.as_ref(),
            &event,
        )
        .await
        .map_err(|error| match error {
            // Another request replaced or created it first.
            StoreError::NotFound | StoreError::Conflict(_) => ApiError::Conflict(
                "the agent already has a live install command; regenerate or delete it".into(),
            ),
            other => other.into(),
        })?;
    command_response(
        StatusCode::CREATED,
        &state,
        &headers,
        &agent,
        &agent_type,
        &minted,
        install.expires_at,
    )
}

/// When the agent's install command was made and when it expires; never
/// the command, its URL or its token.
#[utoipa::path(get, path = "/agents/{id}/install-command", tag = "Agents", params(("id" = Uuid, Path)),
    responses((status = 200, body = InstallCommandMetaRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<InstallCommandMetaRes>> {
    let agent = resource::load::<Agent>(&state, &caller, id, Action::Get).await?;
    let install = state
        .store
        .agent_install(agent.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(InstallCommandMetaRes {
        id: install.id,
        expires_at: install.expires_at,
        created_at: install.created_at,
    }))
}

/// Replace the agent's install command, expired or not, with a new one; the
/// old URL and bootstrap token stop working.
#[utoipa::path(post, path = "/agents/{id}/install-command/regenerate", tag = "Agents", params(("id" = Uuid, Path)),
    responses((status = 200, body = InstallCommandRes), Invalid, Refused, Missing))]
async fn regenerate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let agent = resource::load::<Agent>(&state, &caller, id, Action::Update).await?;
    let agent_type = templated_type(&state, &agent).await?;
    let old = state
        .store
        .agent_install(agent.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = clock::now();
    let minted = mint(&agent, now, state.install_ttl);
    let new = AgentInstall {
        bootstrap_token_id: minted.bootstrap.id,
        expires_at: now + state.install_ttl,
        updated_at: now,
        ..old.clone()
    };
    let event = install_event(
        EventKind::AgentInstallTokenRegenerated,
        Initiator::of(&caller),
        &agent,
        json!({"expiresAt": new.expires_at}),
    );
    state
        .store
        .regenerate_agent_install(
            &old,
            &new,
            &hash_token_value(&minted.install_value),
            NewToken {
                token: &minted.bootstrap,
                hashed_value: &hash_token_value(&minted.bootstrap_value),
            },
            &event,
        )
        .await?;
    command_response(
        StatusCode::OK,
        &state,
        &headers,
        &agent,
        &agent_type,
        &minted,
        new.expires_at,
    )
}

/// Delete the agent's install command and its bootstrap token.
#[utoipa::path(delete, path = "/agents/{id}/install-command", tag = "Agents", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let agent = resource::load::<Agent>(&state, &caller, id, Action::Update).await?;
    let install = state
        .store
        .agent_install(agent.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let event = install_event(
        EventKind::AgentInstallTokenRevoked,
        Initiator::of(&caller),
        &agent,
        json!({}),
    );
    state
        .store
        .delete_agent_install(&install, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The live install credential named by `value`, and its agent. Unknown and
/// expired credentials are the same 404, so neither can be told apart.
async fn live_install(state: &AppState, value: &str) -> ApiResult<(AgentInstall, Agent)> {
    let install = state
        .store
        .agent_install_by_hash(&hash_token_value(value))
        .await?
        .filter(|install| !install.is_expired(clock::now()))
        .ok_or(ApiError::NotFound)?;
    let agent = state
        .store
        .agent(install.agent_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // A disabled agent or provider installs nothing, like an unknown one.
    crate::auth::refuse_disabled(state, &Identity::agent(agent.id, agent.provider_id))
        .await
        .map_err(|_| ApiError::NotFound)?;
    Ok((install, agent))
}

/// The configuration with every `vault://` reference, at any depth,
/// replaced by its plain value, read as the agent itself would.
async fn resolved_configuration(state: &AppState, agent: &Agent) -> ApiResult<Map<String, Value>> {
    let Some(configuration) = &agent.configuration else {
        return Ok(Map::new());
    };
    let mut configuration = Value::Object(configuration.clone());
    let as_agent = Identity::agent(agent.id, agent.provider_id);
    let mut plain = std::collections::BTreeMap::new();
    for reference in secrets::references(&configuration) {
        let value = secrets::resolve(state, &as_agent, &reference).await?;
        plain.insert(format!("{VAULT_REFERENCE_PREFIX}{reference}"), value);
    }
    substitute(&mut configuration, &plain);
    match configuration {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::internal(
            "a configuration with its secrets substituted is not an object",
        )),
    }
}

fn substitute(value: &mut Value, plain: &std::collections::BTreeMap<String, Value>) {
    match value {
        Value::String(text) => {
            if let Some(resolved) = plain.get(text.as_str()) {
                *value = resolved.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| substitute(item, plain)),
        Value::Object(map) => map.values_mut().for_each(|item| substitute(item, plain)),
        _ => {}
    }
}

/// The agent's configuration file: its type's configTemplate filled from
/// its configuration, secrets in plain text. The install credential in the
/// path authenticates the call; no bearer is needed. Any failure (unknown
/// or expired credential, no templates, a value missing) is the same 404.
#[utoipa::path(get, path = "/agents/install/{token}/config", tag = "Agents", security(()),
    params(("token" = String, Path, description = "the install credential from the install command's URL")),
    responses((status = 200, description = "the rendered configuration, in the agent type's configContentType", content_type = "text/plain", body = String),
        Missing))]
async fn config(State(state): State<AppState>, Path(value): Path<String>) -> ApiResult<Response> {
    let (_, agent) = live_install(&state, &value).await?;
    let agent_type = state
        .store
        .agent_type(agent.agent_type_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (config_template, _) = install_templates(&agent_type).ok_or(ApiError::NotFound)?;
    let configuration = resolved_configuration(&state, &agent).await.map_err(|_| {
        tracing::warn!(agent = %agent.id, "install configuration: a secret did not resolve");
        ApiError::NotFound
    })?;
    let body = render_config(config_template, &configuration).map_err(|missing| {
        tracing::info!(agent = %agent.id, %missing, "install configuration cannot be rendered");
        ApiError::NotFound
    })?;
    let content_type = agent_type
        .config_content_type
        .unwrap_or_else(|| "text/plain".into());
    Ok((
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "no-store".into()),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        ],
        body,
    )
        .into_response())
}

/// Trade a live install credential, once, for the agent's lasting
/// agent-role token (valid a year; the owning participant rotates it with
/// `POST /tokens/{id}/regenerate`). The credential and its bootstrap token
/// stop working; a second exchange finds nothing. No bearer is needed.
#[utoipa::path(post, path = "/agents/install/{token}/exchange", tag = "Agents", security(()),
    params(("token" = String, Path, description = "the install credential from the install command's URL")),
    responses((status = 201, body = TokenRes, description = "the agent's token; its value is in this answer only"),
        (status = 404, description = "unknown, expired or already exchanged")))]
async fn exchange(State(state): State<AppState>, Path(value): Path<String>) -> ApiResult<Response> {
    let (install, agent) = live_install(&state, &value).await?;
    let now = clock::now();
    let token = Token {
        id: Uuid::now_v7(),
        name: format!("agent {}", agent.name),
        role: Role::Agent,
        expire_at: Some(now + INSTALLED_AGENT_TOKEN_LIFETIME),
        participant_id: Some(agent.provider_id),
        agent_id: Some(agent.id),
        created_at: now,
        updated_at: now,
    };
    let token_value = new_token_value();
    let as_agent = Identity::agent(agent.id, agent.provider_id);
    let event = install_event(
        EventKind::AgentInstallTokenExchanged,
        Initiator::of(&as_agent),
        &agent,
        json!({"tokenId": token.id}),
    );
    state
        .store
        .exchange_agent_install(
            &install,
            NewToken {
                token: &token,
                hashed_value: &hash_token_value(&token_value),
            },
            &event,
            now,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        [(CACHE_CONTROL, "no-store")],
        Json(TokenRes::new(token, Some(token_value))),
    )
        .into_response())
}
