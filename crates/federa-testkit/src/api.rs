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
