//! Per-server measurements: size from the server's flavor, uptime from its
//! launch time, and vCPU-hours from Nova's `os-simple-tenant-usage`.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::compute::Compute;
use super::error::OpenStackError;
use super::SERVICE_ID_KEY;
use crate::driver::MetricSample;

/// The metric types this driver reports, each for the resource
/// [`RESOURCE`]: vCPUs and memory of a running server, seconds since it
/// booted, and the vCPU-hours Nova counted for it.
pub const METRIC_TYPES: [&str; 4] = ["vcpus", "memory_bytes", "uptime_seconds", "vcpu_hours"];
pub const RESOURCE: &str = "server";

pub async fn collect(compute: &Compute, prefix: &str) -> Result<Vec<MetricSample>, OpenStackError> {
    let servers: Vec<_> = compute
        .servers_matching(&format!("^{prefix}"))
        .await?
        .into_iter()
        .filter(|s| s.status == "ACTIVE" && s.metadata.contains_key(SERVICE_ID_KEY))
        .collect();
    if servers.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let launched: Vec<Option<DateTime<Utc>>> = servers
        .iter()
        .map(|s| s.launched_at.as_deref().and_then(parse_nova_time))
        .collect();
    let since = launched.iter().flatten().min().copied().unwrap_or(now);
    let project_id = compute.session().token().await?.project_id.clone();
    let usage = compute.usage(&project_id, since, now).await?;
    let mut samples = Vec::new();
    for (server, launched) in servers.iter().zip(launched) {
        let service_id = server.metadata[SERVICE_ID_KEY].clone();
        let vcpu_hours = usage
            .iter()
            .filter(|u| u.instance_id == server.id)
            .map(|u| u.hours * u.vcpus as f64)
            .sum::<f64>();
        let uptime = launched
            .map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0);
        let values = [
            server.flavor.vcpus as f64,
            server.flavor.ram as f64 * 1024.0 * 1024.0,
            uptime,
            vcpu_hours,
        ];
        for (type_name, value) in METRIC_TYPES.into_iter().zip(values) {
            samples.push(MetricSample {
                service_id: service_id.clone(),
                resource_id: RESOURCE.into(),
                type_name: type_name.into(),
                value,
                at: now,
            });
        }
    }
    Ok(samples)
}

/// Nova writes times in UTC without a zone, with or without microseconds.
fn parse_nova_time(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nova_times_are_utc() {
        let at = parse_nova_time("2026-12-02T19:30:00.000000").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-02T19:30:00+00:00");
        assert!(parse_nova_time("2026-12-02T19:30:00").is_some());
        assert!(parse_nova_time("yesterday").is_none());
    }
}
