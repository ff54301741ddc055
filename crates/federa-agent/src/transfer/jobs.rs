//! How the runtime carries out the jobs of a switch: their params read,
//! the transfer token resolved from the vault, and the report each
//! completion carries.

use chrono::Utc;
use federa_client::api::jobs::{CompleteJobReq, JobRes};
use federa_client::api::switches::{
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
            let params: ExportParams = resolved_params(client, job).await?;
            let exported = needs_transfers()?
                .export(driver, context, &params)
                .await
                .map_err(|e| e.to_string())?;
            report.exported = Some(exported);
        }
        IMPORT_ACTION => {
            let params: ImportParams = resolved_params(client, job).await?;
            let imported = needs_transfers()?
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
