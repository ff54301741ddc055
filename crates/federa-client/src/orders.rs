//! Orders with binding quotes: placing one, and moving it on.

use federa_api::orders::{OrderCreateReq, OrderDecisionReq, OrderRes};
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, ClientError, Sent};

impl Client {
    /// Orders one service: the exchange places it now and answers the
    /// order, `Quoted`, with its quote.
    pub async fn place_order(
        &self,
        request: &OrderCreateReq,
    ) -> Result<Sent<OrderRes>, ClientError> {
        self.submit(Method::POST, "/orders", request).await
    }

    /// One order with its quote.
    pub async fn order(&self, id: Uuid) -> Result<Sent<OrderRes>, ClientError> {
        self.fetch(&format!("/orders/{id}")).await
    }

    /// Moves an order on: `step` is `accept`, `cancel`, `approve`,
    /// `reject`, `confirm` or `decline`.
    pub async fn decide_order(
        &self,
        id: Uuid,
        step: &str,
        request: &OrderDecisionReq,
    ) -> Result<Sent<OrderRes>, ClientError> {
        self.submit(Method::POST, &format!("/orders/{id}/{step}"), request)
            .await
    }
}
