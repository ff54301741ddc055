//! The report of a switch for its consumer: the reads around the domain's
//! [`SwitchReport`] — each end's provider name and country (from the
//! region its service was placed in) and, once the source is erased, the
//! `erase` job the source agent confirmed it with.

use federa_domain::exchange::switch_report::{
    ErasureConfirmation, SwitchEnds, SwitchParty, SwitchReport,
};
use federa_domain::exchange::switching::{SwitchStage, ERASE_ACTION};
use federa_domain::provisioning::JobStatus;
use federa_store::exchange::StoredSwitch;
use uuid::Uuid;

use crate::error::ExchangeResult;
use crate::Exchange;

/// The report of `switch` as it stands.
pub async fn report(exchange: &Exchange, switch: &StoredSwitch) -> ExchangeResult<SwitchReport> {
    let ends = SwitchEnds {
        switch_id: switch.id,
        consumer_id: switch.consumer_id,
        source: party(
            exchange,
            switch.source_service_id,
            switch.source_provider_id,
        )
        .await?,
        target: party(
            exchange,
            switch.target_service_id,
            switch.target_provider_id,
        )
        .await?,
        asked_at: switch.created_at,
    };
    let erasure = erasure(exchange, switch).await?;
    Ok(SwitchReport::of(
        ends,
        &switch.progress,
        &switch.plan,
        erasure,
    ))
}

/// One end of the switch: the provider's name, and the country of the
/// region the service was placed in by its provider's profile.
async fn party(
    exchange: &Exchange,
    service_id: Uuid,
    provider_id: Uuid,
) -> ExchangeResult<SwitchParty> {
    let provider_name = exchange
        .store
        .participant(provider_id)
        .await?
        .map(|provider| provider.name)
        .unwrap_or_default();
    let region = exchange
        .store
        .service_placement(service_id)
        .await?
        .map(|placement| placement.region);
    let country = match region {
        Some(code) => crate::ordering::region_country(exchange, provider_id, &code).await?,
        None => None,
    };
    Ok(SwitchParty {
        service_id,
        provider_id,
        provider_name,
        country,
    })
}

/// The source agent's confirmation: the completed `erase` job a completed
/// switch ends with.
async fn erasure(
    exchange: &Exchange,
    switch: &StoredSwitch,
) -> ExchangeResult<Option<ErasureConfirmation>> {
    if switch.progress.stage != SwitchStage::Completed {
        return Ok(None);
    }
    let job = match switch.job_id {
        Some(id) => exchange.store.job(id).await?,
        None => None,
    };
    let Some(job) =
        job.filter(|job| job.action == ERASE_ACTION && job.status == JobStatus::Completed)
    else {
        return Ok(None);
    };
    let agent_name = exchange
        .store
        .agent(job.agent_id)
        .await?
        .map(|agent| agent.name)
        .unwrap_or_default();
    Ok(Some(ErasureConfirmation {
        confirmed_at: job.completed_at.unwrap_or(job.updated_at),
        job_id: job.id,
        agent_id: job.agent_id,
        agent_name,
        agent_report: job.result.and_then(|result| result.get("erased").cloned()),
    }))
}
