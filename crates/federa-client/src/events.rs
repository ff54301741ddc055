//! The event log: reading it, and a subscriber's lease on it.

use federa_api::events::{EventAckReq, EventAckRes, EventLeaseReq, EventLeaseRes, EventRes};
use federa_api::PageRes;
use reqwest::Method;

use crate::{Client, ClientError};

impl Client {
    /// A page of the log; `query` is a URL query, already encoded.
    pub async fn events(&self, query: &str) -> Result<PageRes<EventRes>, ClientError> {
        self.fetch(&format!("/events?{query}")).await
    }

    /// Takes or renews a subscriber's lease, with the events after its
    /// acknowledged position.
    pub async fn lease_events(
        &self,
        request: &EventLeaseReq,
    ) -> Result<EventLeaseRes, ClientError> {
        self.submit(Method::POST, "/events/lease", request).await
    }

    /// Acknowledges the events a subscriber has processed.
    pub async fn ack_events(&self, request: &EventAckReq) -> Result<EventAckRes, ClientError> {
        self.submit(Method::POST, "/events/ack", request).await
    }
}
