//! HTTP calls to a Federa server, as tests make them.

use serde_json::Value;

use crate::server::{Response, ADMIN_TOKEN};

/// A server's root URL and an HTTP client; every test server derefs to one,
/// and [`Api::remote`] reaches a server running in another process.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn remote(base: &str) -> Api {
        Api {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request to `path` (relative to the server root) with an
    /// optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body read");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Response { status, body }
    }

    /// As [`Api::call`], but `None` when the connection fails (for tests
    /// that kill the server under load).
    pub async fn try_call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Option<Response> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.ok()?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.ok()?;
        Some(Response {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.call("POST", path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.call("PATCH", path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.call("DELETE", path, Some(token), None).await
    }

    /// Reports the agent of `agent_token` connected, as its runtime does on
    /// start; placement considers connected agents only.
    pub async fn report_connected(&self, agent_token: &str) {
        let connected = self
            .call(
                "PUT",
                "/api/v1/agents/me/status",
                Some(agent_token),
                Some(&serde_json::json!({"status": "Connected"})),
            )
            .await;
        assert_eq!(connected.status, 200, "{:?}", connected.body);
    }

    /// Claims the agent's only pending job, which must be `action`, and
    /// completes it, as an agent would after doing the work.
    pub async fn run_job(&self, agent_token: &str, action: &str) {
        let pending = self.get("/api/v1/jobs/pending", agent_token).await;
        assert_eq!(pending.status, 200, "{:?}", pending.body);
        let jobs = pending.body.as_array().expect("a bare array");
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        assert_eq!(jobs[0]["action"], action, "{jobs:?}");
        let id = jobs[0]["id"].as_str().expect("job id");
        let empty = serde_json::json!({});
        let claimed = self
            .post(&format!("/api/v1/jobs/{id}/claim"), agent_token, &empty)
            .await;
        assert_eq!(claimed.status, 204, "{:?}", claimed.body);
        let completed = self
            .post(&format!("/api/v1/jobs/{id}/complete"), agent_token, &empty)
            .await;
        assert_eq!(completed.status, 204, "{:?}", completed.body);
    }

    /// Creates an enabled participant as admin and returns its id.
    pub async fn participant(&self, name: &str) -> String {
        let created = self
            .post(
                "/api/v1/participants",
                ADMIN_TOKEN,
                &serde_json::json!({"name": name, "status": "Enabled"}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        created.body["id"].as_str().expect("id").to_string()
    }

    /// Sets, as admin, a participant's status (`Enabled` or `Disabled`).
    pub async fn set_participant_status(&self, participant_id: &str, status: &str) {
        let changed = self
            .patch(
                &format!("/api/v1/participants/{participant_id}"),
                ADMIN_TOKEN,
                &serde_json::json!({"status": status}),
            )
            .await;
        assert_eq!(changed.status, 200, "{:?}", changed.body);
    }

    /// Publishes, as admin, the profile of the provider `participant_id`:
    /// under the law of `country`, with one region `region` there.
    pub async fn provider_profile(&self, participant_id: &str, country: &str, region: &str) {
        let published = self
            .post(
                "/api/v1/provider-profiles",
                ADMIN_TOKEN,
                &serde_json::json!({"participantId": participant_id, "jurisdiction": country,
                                    "regions": [{"code": region, "country": country}]}),
            )
            .await;
        assert_eq!(published.status, 201, "{:?}", published.body);
    }

    /// Creates a token as admin and returns its plain value.
    pub async fn token(&self, role: &str, scope_id: Option<&str>) -> String {
        let mut body = serde_json::json!({"name": format!("{role} token"), "role": role});
        if let Some(scope) = scope_id {
            body["scopeId"] = Value::String(scope.to_string());
        }
        let created = self.post("/api/v1/tokens", ADMIN_TOKEN, &body).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        created.body["value"].as_str().expect("value").to_string()
    }
}
