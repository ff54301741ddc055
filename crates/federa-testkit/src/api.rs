//! HTTP calls to a Federa server, as tests make them: through
//! `federa-client`, the one HTTP client of the tree, with each answer's
//! status and body handed back for the test to judge.

use federa_client::api::agents::AgentStatus;
use federa_client::api::jobs::JobRes;
use federa_client::api::participants::{ParticipantCreateReq, ParticipantStatus};
use federa_client::api::tokens::{Role, TokenCreateReq};
use federa_client::{reqwest, Client, Method, Participants, RetryPolicy, Tokens};
use serde_json::Value;
use uuid::Uuid;

/// The admin token every test server is started with.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// Status and decoded JSON body (`Value::Null` when the body is empty or not JSON).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Value,
}

/// A server's root URL and a client; every test server derefs to one, and
/// [`Api::remote`] reaches a server running in another process.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    /// The admin's typed client. A test sees every answer as it came, so
    /// it never retries.
    pub admin: Client,
    /// The same connections, for requests with headers or bodies of the
    /// test's own making.
    pub http: reqwest::Client,
}

impl Api {
    pub fn remote(base: &str) -> Api {
        let admin = Client::new(base, ADMIN_TOKEN)
            .expect("an HTTP client")
            .with_retry(RetryPolicy::once());
        Api {
            base: admin.base().to_string(),
            http: admin.http().clone(),
            admin,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The typed client of another token, never retrying either.
    pub fn client(&self, token: &str) -> Client {
        self.admin.with_token(token)
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
        self.try_call(method, path, token, body)
            .await
            .expect("request sent and answered")
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
        let method = Method::from_bytes(method.as_bytes()).ok()?;
        let reply = self.admin.send_once(method, path, token, body).await.ok()?;
        Some(Response {
            status: reply.status.as_u16(),
            body: reply.body,
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
        self.client(agent_token)
            .report_agent_status(AgentStatus::Connected)
            .await
            .expect("agent status reported");
    }

    /// Claims the agent's only pending job, which must be `action`, and
    /// completes it, as an agent would after doing the work.
    pub async fn run_job(&self, agent_token: &str, action: &str) {
        let agent = self.client(agent_token);
        let pending: Vec<JobRes> = agent
            .get("/jobs/pending")
            .await
            .and_then(|reply| reply.into_json())
            .expect("pending jobs");
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(pending[0].action, action, "{pending:?}");
        let id = pending[0].id;
        agent.claim_job(id).await.expect("job claimed");
        agent
            .complete_job(id, &Default::default())
            .await
            .expect("job completed");
    }

    /// Creates an enabled participant as admin and returns its id.
    pub async fn participant(&self, name: &str) -> String {
        let request = ParticipantCreateReq {
            name: name.to_string(),
            status: ParticipantStatus::Enabled,
        };
        let created = self.admin.create::<Participants>(&request).await;
        created.expect("participant created").id.to_string()
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
        let role: Role =
            serde_json::from_value(Value::String(role.to_string())).expect("a token role");
        let request = TokenCreateReq {
            name: format!("{} token", role.as_str()),
            role,
            expire_at: None,
            scope_id: scope_id.map(|scope| scope.parse::<Uuid>().expect("a scope id")),
        };
        let created = self.admin.create::<Tokens>(&request).await;
        let created = created.expect("token created");
        created.value.expect("a new token's value")
    }
}
