//! Measurements an agent reports.

use federa_api::metric_entries::{MetricEntryBatchReq, MetricEntryBatchRes};
use reqwest::Method;

use crate::{Client, ClientError};

impl Client {
    /// Reports a batch of measurements; the answer gives each entry's
    /// outcome by its position.
    pub async fn report_metric_entries(
        &self,
        batch: &MetricEntryBatchReq,
    ) -> Result<MetricEntryBatchRes, ClientError> {
        self.submit(Method::POST, "/metric-entries/batch", batch)
            .await
    }
}
