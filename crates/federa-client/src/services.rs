//! Ordering services and acting on them; the rest is in
//! [`crate::collections::Services`].

use federa_api::placement::OrderedServiceRes;
use federa_api::services::{ServiceCreateReq, ServiceRes};
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, ClientError};

impl Client {
    /// Orders a service; the answer carries the placement decision when
    /// the exchange chose the provider.
    pub async fn order_service(
        &self,
        order: &ServiceCreateReq,
    ) -> Result<OrderedServiceRes, ClientError> {
        self.submit(Method::POST, "/services", order).await
    }

    /// Asks for `action` (`start`, `stop`, or any action of the service's
    /// lifecycle); the agent carries it out through a job.
    pub async fn act_on_service(&self, id: Uuid, action: &str) -> Result<ServiceRes, ClientError> {
        self.submit(
            Method::POST,
            &format!("/services/{id}/{action}"),
            &serde_json::json!({}),
        )
        .await
    }
}
