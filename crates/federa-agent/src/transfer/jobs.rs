//! How the runtime carries out the jobs of a switch: their params read,
//! the transfer token resolved from the vault, and the report each
//! completion carries.

use chrono::Utc;
use federa_client::api::jobs::{CompleteJobReq, JobRes};
use federa_client::api::switch_jobs::{
    ErasedRes, ExportParams, ImportParams, ERASE_ACTION, EXPORT_ACTION, IMPORT_ACTION,
};
use federa_client::Client;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Transfers;
use crate::driver::{Driver, JobContext};
use crate::secrets;

/// Whether `action` is a step of a switch rather than a driver's own.
pub(crate) fn is_switch_action(action: &str) -> bool {
    [EXPORT_ACTION, IMPORT_ACTION, ERASE_ACTION].contains(&action)
}

/// Runs one step of a switch; the report to complete the job with, or the
/// message to fail it with.
pub(crate) async fn carry_out(
    transfers: Option<&Transfers>,
    driver: &dyn Driver,
    client: &Client,
    job: &JobRes,
    context: &JobContext,
) -> Result<CompleteJobReq, String> {
    let needs_transfers = || {
        transfers.ok_or_else(|| {
            format!(
                "this agent cannot {}: its configuration has no [transfer]",
                job.action
            )
        })
    };
    let mut report = CompleteJobReq::default();
    match job.action.as_str() {
        EXPORT_ACTION => {
            let transfers = needs_transfers()?;
            let params: ExportParams = resolved_params(client, job).await?;
            let exported = transfers
                .export(driver, context, &params)
                .await
                .map_err(|e| e.to_string())?;
            report.exported = Some(exported);
        }
        IMPORT_ACTION => {
            let transfers = needs_transfers()?;
            let params: ImportParams = resolved_params(client, job).await?;
            let imported = transfers
                .import(driver, context, &params)
                .await
                .map_err(|e| e.to_string())?;
            report.imported = Some(imported);
        }
        _ => {
            let erased = match transfers {
                Some(transfers) => transfers.erase(driver, context).await,
                None => driver
                    .erase(context)
                    .await
                    .map(|()| ErasedRes { at: Utc::now() }),
            };
            report.erased = Some(erased.map_err(|e| e.to_string())?);
        }
    }
    Ok(report)
}

/// The job's params with their `vault://` references resolved. The
/// resolved token is in the value returned and nowhere else: it is not
/// logged, and a refusal names the field, never its value.
async fn resolved_params<T: DeserializeOwned>(client: &Client, job: &JobRes) -> Result<T, String> {
    let mut params = match &job.params {
        Some(Value::Object(params)) => params.clone(),
        _ => return Err(format!("the {} job has no params", job.action)),
    };
    secrets::resolve(client, &mut params).await?;
    serde_json::from_value(Value::Object(params))
        .map_err(|e| format!("invalid {} params: {e}", job.action))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ProcessDriver;
    use crate::TransferConfig;
    use federa_client::api::jobs::JobStatus;
    use serde_json::json;
    use uuid::Uuid;

    fn job_res(service_id: Uuid, action: &str, params: Value) -> JobRes {
        let now = Utc::now();
        JobRes {
            id: Uuid::new_v4(),
            provider_id: Uuid::new_v4(),
            consumer_id: Uuid::new_v4(),
            agent_id: Uuid::new_v4(),
            service_id,
            action: action.into(),
            params: Some(params),
            status: JobStatus::Processing,
            priority: 0,
            error_message: None,
            claimed_at: Some(now),
            lease_expires_at: None,
            attempts: 1,
            completed_at: None,
            created_at: now,
            updated_at: now,
            service: None,
        }
    }

    fn context(service_id: Uuid, action: &str) -> JobContext {
        JobContext {
            job_id: "job".into(),
            action: action.into(),
            service_id: service_id.to_string(),
            service_name: "store".into(),
            properties: json!({"program": "kv-store"}).as_object().unwrap().clone(),
            agent_instance_id: None,
            agent_instance_data: None,
        }
    }

    #[tokio::test]
    async fn the_steps_of_a_switch_complete_with_their_reports_and_bad_params_name_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let driver =
            ProcessDriver::new(dir.path().join("work"), [24960, 24969], true, false).unwrap();
        let transfers = Transfers::start(&TransferConfig {
            dir: dir.path().join("transfers"),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            public_url: None,
            expiry_seconds: 60,
        })
        .await
        .unwrap();
        // Never called: these params hold no `vault://` reference.
        let client = Client::new("http://127.0.0.1:9", "unused").unwrap();
        let (source, target) = (Uuid::new_v4(), Uuid::new_v4());
        for service in [source, target] {
            driver.execute(&context(service, "create")).await.unwrap();
        }
        let run = |service: Uuid, action: &'static str, params: Value| {
            let job = job_res(service, action, params);
            let (transfers, driver, client) = (&transfers, &driver, &client);
            async move {
                carry_out(
                    Some(transfers),
                    driver,
                    client,
                    &job,
                    &context(service, action),
                )
                .await
            }
        };

        let switch_id = Uuid::new_v4();
        let error = run(
            source,
            "export",
            json!({"switchId": switch_id, "transferToken": "t"}),
        )
        .await
        .unwrap_err();
        assert!(
            error.contains("invalid export params") && error.contains("format"),
            "{error}"
        );
        let report = run(
            source,
            "export",
            json!({"switchId": switch_id, "format": "application/json", "transferToken": "t"}),
        )
        .await
        .unwrap();
        let exported = report.exported.expect("an export report");
        assert_eq!(exported.source.size_bytes, 2, "an empty store exports {{}}");
        assert!(report.imported.is_none() && report.erased.is_none());

        let report = run(
            target,
            "import",
            json!({"switchId": switch_id, "source": exported.source, "transferToken": "t"}),
        )
        .await
        .unwrap();
        assert_eq!(report.imported.unwrap().sha256, exported.source.sha256);

        let report = run(source, "erase", json!({})).await.unwrap();
        assert!(report.erased.is_some());
        let without = carry_out(
            None,
            &driver,
            &client,
            &job_res(target, "import", json!({})),
            &context(target, "import"),
        )
        .await
        .unwrap_err();
        assert!(without.contains("no [transfer]"), "{without}");
    }
}
