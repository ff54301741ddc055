//! The handlers a record resource shares with every other: reading one,
//! listing a page and deleting one, each through `resource` and each
//! documented for OpenAPI. A route module names its path, tag, record and
//! answer type, and the macro writes the rest, so the many resources read
//! and answer one way.
//!
//! The names a handler uses (`State`, `Caller`, `IdPath`, `QueryPairs`,
//! `Json`, `ApiResult`, `AppState`, `Page`, `PageRes`, `StatusCode`,
//! `Uuid`, `resource` and the documented answers) resolve where the macro
//! is used, as that module's imports.

/// `async fn get`: `GET {path}` answers the record of the path's `id` as
/// `res`, if the caller may read it.
macro_rules! get_route {
    ($(#[doc = $doc:tt])* $path:literal, $tag:literal, $record:ident => $res:ident) => {
        $(#[doc = $doc])*
        #[utoipa::path(get, path = $path, tag = $tag, params(("id" = Uuid, Path)),
            responses((status = 200, body = $res), Refused, Missing))]
        async fn get(
            State(state): State<AppState>,
            Caller(caller): Caller,
            IdPath(id): IdPath,
        ) -> ApiResult<Json<$res>> {
            resource::get::<$record>(&state, &caller, id).await
        }
    };
}

/// `async fn list`: `GET {path}` answers a page of the records the caller
/// may list, filtered and sorted by the record's list rules; `params` are
/// the documented query parameters.
macro_rules! list_route {
    ($(#[doc = $doc:tt])* $path:literal, $tag:literal, params($($params:tt)*), $record:ident => $res:ident) => {
        $(#[doc = $doc])*
        #[utoipa::path(get, path = $path, tag = $tag,
            params($($params)*),
            responses((status = 200, body = PageRes<$res>), Invalid, Refused))]
        async fn list(
            State(state): State<AppState>,
            Caller(caller): Caller,
            QueryPairs(pairs): QueryPairs,
        ) -> ApiResult<Json<Page<$res>>> {
            resource::list::<$record>(&state, &caller, &pairs).await
        }
    };
}

/// `async fn delete`: `DELETE {path}` deletes the record of the path's
/// `id` with its event, if the caller may; `responses` are the documented
/// refusals besides 204.
macro_rules! delete_route {
    ($(#[doc = $doc:tt])* $path:literal, $tag:literal, $record:ident, responses($($responses:tt)*)) => {
        $(#[doc = $doc])*
        #[utoipa::path(delete, path = $path, tag = $tag, params(("id" = Uuid, Path)),
            responses((status = 204), $($responses)*))]
        async fn delete(
            State(state): State<AppState>,
            Caller(caller): Caller,
            IdPath(id): IdPath,
        ) -> ApiResult<StatusCode> {
            resource::delete::<$record>(&state, &caller, id).await
        }
    };
}

pub(crate) use {delete_route, get_route, list_route};
