//! How a driver says a job went wrong, in words the exchange can route.

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("the action {0} is not supported by this driver")]
    Unsupported(String),
    #[error("invalid service properties: {0}")]
    Properties(String),
    /// The infrastructure refused or failed; the message goes to the
    /// exchange, where the lifecycle may route it.
    #[error("{0}")]
    Failed(String),
}
