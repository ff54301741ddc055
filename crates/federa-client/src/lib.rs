//! A typed client for `/api/v1`: one method per resource action, taking
//! and answering the wire types of `federa-api`, with bearer
//! authentication and retries with exponential backoff and jitter on
//! network errors, 5xx and 429 (honouring `Retry-After`). Used by the
//! agent, the command line, the demo, the test kit and the bench.
//!
//! `send` and the verbs below it remain for what has no wire type: the
//! command line's generic commands, which pass documents through as given.
//! An answer shown as it came is read as [`Sent`]: typed, with its document.

mod agents;
mod collections;
mod error;
mod events;
mod exchange;
mod install;
mod jobs;
mod metric_entries;
mod orders;
mod people;
mod retry;
mod sent;
mod services;
mod session;
mod switches;
mod vault;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use collections::*;
pub use error::ClientError;
pub use federa_api as api;
pub use jobs::Claimed;
pub use reqwest;
pub use reqwest::{Method, StatusCode};
pub use retry::RetryPolicy;
pub use sent::Sent;

/// A connection to one exchange with one token. Clones share the token, so
/// a token renewed through one is used by all.
#[derive(Clone)]
pub struct Client {
    base: String,
    token: std::sync::Arc<std::sync::RwLock<String>>,
    http: reqwest::Client,
    retry: RetryPolicy,
}

/// A decoded answer: its status, headers and JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The body as `T`, or an error carrying the server's message when the
    /// status is not a success.
    pub fn into_json<T: DeserializeOwned>(self) -> Result<T, ClientError> {
        if !self.status.is_success() {
            return Err(ClientError::from_reply(self.status, self.body));
        }
        serde_json::from_value(self.body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Success without a body expected.
    pub fn into_ok(self) -> Result<(), ClientError> {
        if self.status.is_success() {
            Ok(())
        } else {
            Err(ClientError::from_reply(self.status, self.body))
        }
    }
}

/// How long an idle connection is kept for reuse. Below the exchange's
/// default keep-alive (it closes a connection idle for 10 s), so a request
/// is never written onto a connection the server is closing at that
/// moment: such a request fails without an answer, and one sent once
/// (a test's, a job's completion) would be lost to the race.
pub const IDLE_CONNECTION_KEPT: Duration = Duration::from_secs(4);

impl Client {
    /// `base` is the server root, e.g. `http://127.0.0.1:3000`.
    pub fn new(base: &str, token: &str) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(IDLE_CONNECTION_KEPT)
            .build()
            .map_err(|e| ClientError::Network(e.to_string()))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_string(),
            token: std::sync::Arc::new(std::sync::RwLock::new(token.to_string())),
            http,
            retry: RetryPolicy::default(),
        })
    }

    /// A client for `token` over this one's connections, with its retries.
    pub fn with_token(&self, token: &str) -> Client {
        Client {
            base: self.base.clone(),
            token: std::sync::Arc::new(std::sync::RwLock::new(token.to_string())),
            http: self.http.clone(),
            retry: self.retry,
        }
    }

    /// The HTTP client underneath, for requests no method here makes:
    /// headers of the caller's choosing, bodies that are not JSON.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Client {
        self.retry = retry;
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `token` from now on, from this client and all its clones.
    pub fn set_token(&self, token: &str) {
        *self.token.write().unwrap_or_else(|e| e.into_inner()) = token.to_string();
    }

    /// The token this client sends.
    pub fn bearer_value(&self) -> String {
        self.bearer()
    }

    fn bearer(&self) -> String {
        self.token.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sends `method path` (under `/api/v1`) with an optional JSON body and
    /// a per-attempt `timeout`, retrying what is worth retrying.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<Reply, ClientError> {
        let url = format!("{}/api/v1{}", self.base, path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(self.bearer())
                .timeout(timeout);
            if let Some(body) = body {
                request = request.json(body);
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry::retry_after(response.headers());
                    let headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(bytes) => Ok((status, headers, retry_after, bytes)),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            let wait = match outcome {
                Ok((status, headers, retry_after, bytes)) => {
                    let retryable =
                        status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
                    if !retryable || attempt >= self.retry.attempts {
                        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        return Ok(Reply {
                            status,
                            headers,
                            body,
                        });
                    }
                    tracing::debug!(%status, attempt, path, "retrying");
                    retry_after.unwrap_or_else(|| self.retry.backoff(attempt))
                }
                Err(message) => {
                    if attempt >= self.retry.attempts {
                        return Err(ClientError::Network(message));
                    }
                    tracing::debug!(%message, attempt, path, "network error; retrying");
                    self.retry.backoff(attempt)
                }
            };
            tokio::time::sleep(wait.min(self.retry.max_delay)).await;
        }
    }

    /// Sends `method path` (from the server root, so `/healthz` too) once,
    /// bearing `token` instead of this client's, or none: for a caller that
    /// judges every answer itself, so nothing is retried and no time limit
    /// is set.
    pub async fn send_once(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Reply, ClientError> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let network = |e: reqwest::Error| ClientError::Network(e.to_string());
        let response = request.send().await.map_err(network)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(network)?;
        Ok(Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }

    /// Opens a long-lived response, e.g. a Server-Sent Events stream, to
    /// read in chunks. Not retried: the caller resumes where it stopped.
    pub async fn open(
        &self,
        path: &str,
        headers: &[(&str, String)],
    ) -> Result<reqwest::Response, ClientError> {
        let mut request = self
            .http
            .get(format!("{}/api/v1{}", self.base, path))
            .bearer_auth(self.bearer());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ClientError::Network(e.to_string()))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.json().await.unwrap_or(Value::Null);
            return Err(ClientError::from_reply(status, body));
        }
        Ok(response)
    }

    /// `GET path`, decoded as `T`.
    pub async fn fetch<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.get(path).await?.into_json()
    }

    /// `method path` with `body`, its answer decoded as `T`.
    pub async fn submit<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let body = encode(body)?;
        self.send(method, path, Some(&body), self.retry.timeout)
            .await?
            .into_json()
    }

    /// `method path` with `body`, when only success matters.
    pub async fn submit_ok<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<(), ClientError> {
        let body = encode(body)?;
        self.send(method, path, Some(&body), self.retry.timeout)
            .await?
            .into_ok()
    }

    pub async fn get(&self, path: &str) -> Result<Reply, ClientError> {
        self.send(Method::GET, path, None, self.retry.timeout).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Reply, ClientError> {
        self.send(Method::POST, path, Some(body), self.retry.timeout)
            .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Reply, ClientError> {
        self.send(Method::PUT, path, Some(body), self.retry.timeout)
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Result<Reply, ClientError> {
        self.send(Method::PATCH, path, Some(body), self.retry.timeout)
            .await
    }

    pub async fn delete(&self, path: &str) -> Result<Reply, ClientError> {
        self.send(Method::DELETE, path, None, self.retry.timeout)
            .await
    }
}

fn encode<B: Serialize + ?Sized>(body: &B) -> Result<Value, ClientError> {
    serde_json::to_value(body).map_err(|e| ClientError::Decode(e.to_string()))
}
