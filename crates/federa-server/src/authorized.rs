//! The one way a handler reaches a single object for a caller: whether the
//! caller's role may do the action to that kind of object at all, then
//! the object read (404 when it does not exist), then whether the caller
//! may do it to this object, judged by its owners.

use std::future::Future;

use federa_domain::access::{Action, Identity, Object, Owners};
use federa_store::StoreError;

use crate::error::{ApiError, ApiResult};

/// The object `fetch` reads, if `caller` may do `action` to it; `owners`
/// says whose it is. The read is not started when the role alone refuses.
pub async fn fetch_authorized<T>(
    caller: &Identity,
    object: Object,
    action: Action,
    fetch: impl Future<Output = Result<Option<T>, StoreError>>,
    owners: impl FnOnce(&T) -> Owners,
) -> ApiResult<T> {
    caller.may(object, action)?;
    let found = fetch.await?.ok_or(ApiError::NotFound)?;
    caller.authorize(object, action, &owners(&found))?;
    Ok(found)
}
