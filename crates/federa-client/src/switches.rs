//! Switching a service to another provider with its data, and the report
//! a consumer keeps of it.

use federa_api::switches::{CompositionSwitchRes, SwitchCreateReq, SwitchReport, SwitchRes};
use federa_api::PageRes;
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, ClientError, Sent};

impl Client {
    /// Asks for a switch: the exchange places and orders the target at
    /// once, then moves the switch on as its jobs finish.
    pub async fn request_switch(
        &self,
        request: &SwitchCreateReq,
    ) -> Result<Sent<SwitchRes>, ClientError> {
        self.submit(Method::POST, "/switches", request).await
    }

    /// Asks for the switch of a composition (`request.compositionId`): one
    /// switch per member, cutting over together or not at all.
    pub async fn request_composition_switch(
        &self,
        request: &SwitchCreateReq,
    ) -> Result<Sent<CompositionSwitchRes>, ClientError> {
        self.submit(Method::POST, "/switches", request).await
    }

    /// A page of switches; `query` is a URL query, already encoded.
    pub async fn switches(&self, query: &str) -> Result<Sent<PageRes<SwitchRes>>, ClientError> {
        self.fetch(&format!("/switches?{query}")).await
    }

    /// One switch: its plan, stage and history.
    pub async fn switch(&self, id: Uuid) -> Result<Sent<SwitchRes>, ClientError> {
        self.fetch(&format!("/switches/{id}")).await
    }

    /// A switch's report: what was moved, checksums, timings, charges and
    /// the erasure confirmation.
    pub async fn switch_report(&self, id: Uuid) -> Result<Sent<SwitchReport>, ClientError> {
        self.fetch(&format!("/switches/{id}/report")).await
    }

    /// Cancels a switch before its cut-over.
    pub async fn cancel_switch(&self, id: Uuid) -> Result<Sent<SwitchRes>, ClientError> {
        self.switch_step(id, "cancel").await
    }

    /// Lets the source be erased before the transitional period ends.
    pub async fn confirm_erasure(&self, id: Uuid) -> Result<Sent<SwitchRes>, ClientError> {
        self.switch_step(id, "confirm-erasure").await
    }

    async fn switch_step(&self, id: Uuid, step: &str) -> Result<Sent<SwitchRes>, ClientError> {
        self.submit(
            Method::POST,
            &format!("/switches/{id}/{step}"),
            &serde_json::json!({}),
        )
        .await
    }
}
