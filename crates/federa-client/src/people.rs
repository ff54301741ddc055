//! A user's personal tokens (users and memberships are collections).

use federa_api::people::{PersonalTokenCreateReq, PersonalTokenRes};
use federa_api::PageRes;
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, ClientError};

impl Client {
    /// Makes a personal token of `user_id`; the answer holds its value, once.
    pub async fn create_personal_token(
        &self,
        user_id: Uuid,
        request: &PersonalTokenCreateReq,
    ) -> Result<PersonalTokenRes, ClientError> {
        self.submit(Method::POST, &format!("/users/{user_id}/tokens"), request)
            .await
    }

    /// A page of `user_id`'s personal tokens, never their values.
    pub async fn personal_tokens(
        &self,
        user_id: Uuid,
        query: &str,
    ) -> Result<PageRes<PersonalTokenRes>, ClientError> {
        self.fetch(&format!("/users/{user_id}/tokens?{query}"))
            .await
    }

    /// Revokes a personal token; it stops working at once.
    pub async fn revoke_personal_token(
        &self,
        user_id: Uuid,
        token_id: Uuid,
    ) -> Result<(), ClientError> {
        self.delete(&format!("/users/{user_id}/tokens/{token_id}"))
            .await
            .map(|_| ())
    }
}
