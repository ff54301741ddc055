//! A Keystone v3 session: a token for the cloud's credentials, renewed
//! before it expires or when a service refuses it, and the service catalog
//! it came with, which says where Nova and Glance are.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::clouds::{Cloud, Credentials, Named};
use super::error::OpenStackError;

/// A token is renewed this long before Keystone says it expires.
const RENEW_BEFORE: chrono::Duration = chrono::Duration::minutes(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Session {
    http: reqwest::Client,
    /// For image data, whose transfer may take far longer than a call:
    /// bounded by how long one read waits, not by the whole.
    data_http: reqwest::Client,
    cloud: Cloud,
    token: Mutex<Option<Arc<Token>>>,
}

/// What one authentication gave.
pub struct Token {
    value: String,
    expires_at: DateTime<Utc>,
    pub project_id: String,
    catalog: Vec<CatalogEntry>,
}

#[derive(Deserialize)]
struct TokenBody {
    token: TokenInfo,
}

#[derive(Deserialize)]
struct TokenInfo {
    expires_at: DateTime<Utc>,
    project: Option<IdOnly>,
    #[serde(default)]
    catalog: Vec<CatalogEntry>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize, Debug)]
struct CatalogEntry {
    #[serde(rename = "type")]
    service_type: String,
    #[serde(default)]
    endpoints: Vec<Endpoint>,
}

#[derive(Deserialize, Debug)]
struct Endpoint {
    interface: String,
    region_id: Option<String>,
    region: Option<String>,
    url: String,
}

/// A service's answer.
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Session {
    /// Authenticates at once, so bad credentials show when the agent starts.
    pub async fn open(cloud: Cloud) -> Result<Session, OpenStackError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| OpenStackError::Transport(format!("cannot build an HTTP client: {e}")))?;
        let data_http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| OpenStackError::Transport(format!("cannot build an HTTP client: {e}")))?;
        let session = Session {
            http,
            data_http,
            cloud,
            token: Mutex::new(None),
        };
        session.token().await?;
        Ok(session)
    }

    /// The current token, renewed when close to expiry.
    pub async fn token(&self) -> Result<Arc<Token>, OpenStackError> {
        let mut current = self.token.lock().await;
        if let Some(token) = current.as_ref() {
            if token.expires_at - RENEW_BEFORE > Utc::now() {
                return Ok(token.clone());
            }
        }
        let token = Arc::new(self.authenticate().await?);
        *current = Some(token.clone());
        Ok(token)
    }

    async fn forget(&self, stale: &Arc<Token>) {
        let mut current = self.token.lock().await;
        if current.as_ref().is_some_and(|t| Arc::ptr_eq(t, stale)) {
            *current = None;
        }
    }

    async fn authenticate(&self) -> Result<Token, OpenStackError> {
        let url = format!("{}/auth/tokens", self.cloud.auth_url);
        let reply = self
            .http
            .post(&url)
            .json(&auth_body(&self.cloud.credentials))
            .send()
            .await
            .map_err(|e| {
                OpenStackError::Transport(format!("cannot reach Keystone at {url}: {e}"))
            })?;
        let status = reply.status();
        let value = reply
            .headers()
            .get("X-Subject-Token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body: Value = reply.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(OpenStackError::Authentication(format!(
                "Keystone at {} refused the credentials of cloud {:?}: {status}: {}",
                self.cloud.auth_url,
                self.cloud.name,
                super::error::message_of(&body)
            )));
        }
        let value = value.ok_or_else(|| {
            OpenStackError::Authentication("Keystone answered without X-Subject-Token".into())
        })?;
        let info: TokenBody = serde_json::from_value(body).map_err(|e| {
            OpenStackError::Authentication(format!("unreadable token from Keystone: {e}"))
        })?;
        let project_id = info.token.project.map(|p| p.id).ok_or_else(|| {
            OpenStackError::Authentication(format!(
                "the token of cloud {:?} is not scoped to a project",
                self.cloud.name
            ))
        })?;
        Ok(Token {
            value,
            expires_at: info.token.expires_at,
            project_id,
            catalog: info.token.catalog,
        })
    }

    /// The URL of `service_type` in the catalog, for the cloud's interface
    /// and region.
    pub fn endpoint(&self, token: &Token, service_type: &str) -> Result<String, OpenStackError> {
        let region = self.cloud.region.as_deref();
        token
            .catalog
            .iter()
            .filter(|entry| entry.service_type == service_type)
            .flat_map(|entry| entry.endpoints.iter())
            .find(|endpoint| {
                endpoint.interface == self.cloud.interface
                    && region.is_none_or(|region| {
                        endpoint.region_id.as_deref() == Some(region)
                            || endpoint.region.as_deref() == Some(region)
                    })
            })
            .map(|endpoint| endpoint.url.trim_end_matches('/').to_string())
            .ok_or_else(|| {
                OpenStackError::Failed(format!(
                    "the service catalog of cloud {:?} has no {} endpoint for {service_type}{}",
                    self.cloud.name,
                    self.cloud.interface,
                    region.map(|r| format!(" in {r}")).unwrap_or_default()
                ))
            })
    }

    /// Calls `service_type` at `path`, with a microversion header when
    /// given; a refused token is renewed and the call made once more.
    pub async fn call(
        &self,
        service_type: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        microversion: Option<&str>,
    ) -> Result<Reply, OpenStackError> {
        let mut renewed = false;
        loop {
            let token = self.token().await?;
            let url = format!("{}{path}", self.endpoint(&token, service_type)?);
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header("X-Auth-Token", &token.value)
                .header("Accept", "application/json");
            if let Some(version) = microversion {
                request =
                    request.header("OpenStack-API-Version", format!("{service_type} {version}"));
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let reply = request
                .send()
                .await
                .map_err(|e| OpenStackError::Transport(format!("{method} {url} failed: {e}")))?;
            let status = reply.status();
            if status == StatusCode::UNAUTHORIZED && !renewed {
                self.forget(&token).await;
                renewed = true;
                continue;
            }
            let text = reply.text().await.unwrap_or_default();
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            return Ok(Reply { status, body });
        }
    }
}

impl Session {
    /// Calls `service_type` at `path` for raw bytes, sending `upload` (a
    /// body and its content type) if given, and answers the response to
    /// be read a chunk at a time. A body cannot be sent twice, so the
    /// token is not renewed on refusal: it was fresh for five minutes.
    pub async fn data(
        &self,
        service_type: &str,
        method: Method,
        path: &str,
        upload: Option<(reqwest::Body, &str)>,
    ) -> Result<reqwest::Response, OpenStackError> {
        let token = self.token().await?;
        let url = format!("{}{path}", self.endpoint(&token, service_type)?);
        let mut request = self
            .data_http
            .request(method.clone(), &url)
            .header("X-Auth-Token", &token.value);
        if let Some((body, content_type)) = upload {
            request = request.header("Content-Type", content_type).body(body);
        }
        let reply = request
            .send()
            .await
            .map_err(|e| OpenStackError::Transport(format!("{method} {url} failed: {e}")))?;
        if reply.status().is_success() {
            return Ok(reply);
        }
        let status = reply.status();
        let text = reply.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Err(OpenStackError::Failed(format!(
            "{method} {path} refused: {} ({})",
            super::error::message_of(&body),
            status.as_u16()
        )))
    }
}

/// Keystone's authentication request for the credentials.
fn auth_body(credentials: &Credentials) -> Value {
    match credentials {
        Credentials::Password {
            user,
            password,
            project,
        } => {
            let mut user = named(user);
            user["password"] = json!(password);
            json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": user}},
                "scope": {"project": named(project)},
            }})
        }
        Credentials::ApplicationCredential {
            id,
            name,
            user,
            secret,
        } => {
            let mut credential = json!({"secret": secret});
            if let Some(id) = id {
                credential["id"] = json!(id);
            } else {
                credential["name"] = json!(name);
                if let Some(user) = user {
                    credential["user"] = named(user);
                }
            }
            json!({"auth": {"identity": {
                "methods": ["application_credential"],
                "application_credential": credential,
            }}})
        }
    }
}

fn named(named: &Named) -> Value {
    if let Some(id) = &named.id {
        return json!({"id": id});
    }
    let domain = match (&named.domain_id, &named.domain_name) {
        (Some(id), _) => json!({"id": id}),
        (None, Some(name)) => json!({"name": name}),
        (None, None) => json!({"id": "default"}),
    };
    json!({"name": named.name, "domain": domain})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_authenticates_by_names_in_domains() {
        let body = auth_body(&Credentials::Password {
            user: Named {
                id: None,
                name: Some("u".into()),
                domain_id: None,
                domain_name: Some("Default".into()),
            },
            password: "p".into(),
            project: Named {
                id: Some("p1".into()),
                name: None,
                domain_id: None,
                domain_name: None,
            },
        });
        assert_eq!(
            body,
            json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {"name": "u", "domain": {"name": "Default"}, "password": "p"}}},
                "scope": {"project": {"id": "p1"}},
            }})
        );
    }

    #[test]
    fn an_application_credential_by_id_needs_no_scope() {
        let body = auth_body(&Credentials::ApplicationCredential {
            id: Some("c1".into()),
            name: None,
            user: None,
            secret: "s".into(),
        });
        assert_eq!(
            body,
            json!({"auth": {"identity": {"methods": ["application_credential"], "application_credential": {"id": "c1", "secret": "s"}}}})
        );
    }
}
