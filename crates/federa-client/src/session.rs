//! Who the token in use speaks for.

use federa_api::session::SessionRes;

use crate::{Client, ClientError, Sent};

impl Client {
    /// The session the token opens: its role and whose it is.
    pub async fn session(&self) -> Result<Sent<SessionRes>, ClientError> {
        self.fetch("/session").await
    }
}
