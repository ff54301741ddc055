//! Sends the agent's job reports. Reports that are ready within a few
//! milliseconds of each other, or while an earlier request is on its way,
//! go together in one `POST /jobs/finish`; a lone report waits no longer
//! than that. An exchange without that endpoint (Fulcrum Core) gets each
//! report on its job's own endpoint.
//!
//! A request lost on the way is sent again by the client; every report is
//! idempotent on the exchange (the same report is answered as finished
//! again), so a retried request neither loses nor repeats a finish.

use std::time::Duration;

use federa_client::api::jobs::{FinishJobReq, FinishJobsReq, FinishedJobRes, JobOutcome};
use federa_client::{Client, ClientError, StatusCode};
use tokio::sync::{mpsc, oneshot};

/// How long the first report of a request waits for others.
const GATHER: Duration = Duration::from_millis(5);

/// The most reports one request carries (the exchange takes 100).
const MAX_PER_REQUEST: usize = 100;

/// The agent's reports on their way to the exchange.
pub struct Reports {
    queue: mpsc::UnboundedSender<Waiting>,
}

struct Waiting {
    report: FinishJobReq,
    answer: oneshot::Sender<Result<(), ClientError>>,
}

impl Reports {
    /// Starts sending through `client`; stops once dropped.
    pub fn start(client: Client) -> Reports {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(send_all(client, waiting));
        Reports { queue }
    }

    /// Sends `report` and answers once the exchange recorded it (or
    /// already had), or refused it.
    pub async fn send(&self, report: FinishJobReq) -> Result<(), ClientError> {
        let (answer, answered) = oneshot::channel();
        let stopped = || ClientError::Network("the agent stopped reporting".into());
        self.queue
            .send(Waiting { report, answer })
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

async fn send_all(client: Client, mut queue: mpsc::UnboundedReceiver<Waiting>) {
    // Until the exchange shows it has no batch endpoint.
    let mut batches = true;
    while let Some(first) = queue.recv().await {
        let mut gathered = vec![first];
        // Those that became ready while the last request was out are
        // taken at once; then those ready within the window.
        let until = tokio::time::Instant::now() + GATHER;
        while gathered.len() < MAX_PER_REQUEST {
            match tokio::time::timeout_at(until, queue.recv()).await {
                Ok(Some(waiting)) => gathered.push(waiting),
                Ok(None) | Err(_) => break,
            }
        }
        if batches {
            match send_batch(&client, gathered).await {
                Ok(()) => continue,
                Err((no_endpoint, returned)) => {
                    batches &= !no_endpoint;
                    gathered = returned;
                }
            }
        }
        for waiting in gathered {
            let answer = send_one(&client, &waiting.report).await;
            let _ = waiting.answer.send(answer);
        }
    }
}

/// Sends `gathered` in one request and answers each. When the exchange
/// refuses the request as a whole, they come back to be sent one by one
/// (so that one bad report cannot hold up the others), with whether the
/// exchange has no batch endpoint at all.
async fn send_batch(client: &Client, gathered: Vec<Waiting>) -> Result<(), (bool, Vec<Waiting>)> {
    let request = FinishJobsReq {
        jobs: gathered.iter().map(|w| w.report.clone()).collect(),
    };
    match client.finish_jobs(&request).await {
        Ok(answers) if answers.jobs.len() == gathered.len() => {
            for (waiting, answer) in gathered.into_iter().zip(answers.jobs) {
                let _ = waiting.answer.send(outcome(answer));
            }
            Ok(())
        }
        Ok(_) => Err((false, gathered)),
        Err(ClientError::Refused { status, .. }) if status.is_client_error() => {
            let missing = matches!(
                status,
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            );
            Err((missing, gathered))
        }
        Err(error) => {
            for waiting in gathered {
                let _ = waiting.answer.send(Err(error.clone()));
            }
            Ok(())
        }
    }
}

/// One report's answer as the job's own endpoint would have given it.
fn outcome(answer: FinishedJobRes) -> Result<(), ClientError> {
    if answer.finished() {
        return Ok(());
    }
    let status = StatusCode::from_u16(answer.code).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = answer
        .refused
        .and_then(|refused| serde_json::to_value(refused).ok())
        .unwrap_or_default();
    Err(ClientError::from_reply(status, body))
}

/// A report sent on its job's own endpoint.
async fn send_one(client: &Client, report: &FinishJobReq) -> Result<(), ClientError> {
    match report.outcome {
        JobOutcome::Completed => {
            client
                .complete_job(report.job_id, &report.completion())
                .await
        }
        JobOutcome::Failed => {
            let failure = federa_client::api::jobs::FailJobReq {
                error_message: report.error_message.clone().unwrap_or_default(),
                attempt: report.attempt,
            };
            client.fail_job(report.job_id, &failure).await
        }
    }
}
