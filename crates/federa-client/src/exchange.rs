//! The market's questions: where a service would be placed, and what a
//! period of use costs.

use federa_api::invoices::BillRes;
use federa_api::placement::{PlacementPreviewReq, PlacementRes};
use reqwest::Method;

use crate::{Client, ClientError, Sent};

impl Client {
    /// Where the exchange would place a service now, and why the other
    /// offerings lost. Nothing is created.
    pub async fn preview_placement(
        &self,
        request: &PlacementPreviewReq,
    ) -> Result<Sent<PlacementRes>, ClientError> {
        self.submit(Method::POST, "/placement/preview", request)
            .await
    }

    /// A consumer's bill; `query` names `from`, `to` and, for an admin,
    /// `consumerId`, already encoded.
    pub async fn bill(&self, query: &str) -> Result<Sent<BillRes>, ClientError> {
        self.fetch(&format!("/invoices?{query}")).await
    }

    /// What a provider earns; `query` names `from`, `to` and, for an
    /// admin, `providerId`, already encoded.
    pub async fn statement(&self, query: &str) -> Result<Sent<BillRes>, ClientError> {
        self.fetch(&format!("/statements?{query}")).await
    }
}
