//! What the OpenAPI document repeats on most paths, written once: the page
//! parameters of a list, and the refusals; a path names the sets it takes
//! beside its own parameters and success.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, Response, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses, PartialSchema};

/// `page`, `pageSize`, `sort` and `cursor`, the query parameters every
/// list takes (its filters follow them).
pub struct Paging;

impl IntoParams for Paging {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let query = |name: &str, schema| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .schema(Some(schema))
                .build()
        };
        vec![
            query("page", u32::schema()),
            query("pageSize", u32::schema()),
            query("sort", String::schema()),
            query("cursor", String::schema()),
        ]
    }
}

/// A response with no body.
fn bare() -> RefOr<Response> {
    ResponseBuilder::new().description("").build().into()
}

/// A response with the error envelope (`ErrorRes`) as its body.
fn enveloped() -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorRes")))
        .build();
    ResponseBuilder::new()
        .description("")
        .content("application/json", content)
        .build()
        .into()
}

fn statuses<const N: usize>(
    responses: [(&str, RefOr<Response>); N],
) -> BTreeMap<String, RefOr<Response>> {
    responses
        .into_iter()
        .map(|(status, response)| (status.to_owned(), response))
        .collect()
}

/// 401 and 403: no valid token, or a caller the access table refuses.
pub struct Refused;

impl IntoResponses for Refused {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        statuses([("401", bare()), ("403", bare())])
    }
}

/// 400: the request's fields are wrong; the envelope names each.
pub struct Invalid;

impl IntoResponses for Invalid {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        statuses([("400", enveloped())])
    }
}

/// 404: no object has the path's id, as far as the caller may know.
pub struct Missing;

impl IntoResponses for Missing {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        statuses([("404", bare())])
    }
}

/// 409: the change would break a rule of the stored objects (a name
/// taken, an object still in use); the envelope says which.
pub struct Conflicting;

impl IntoResponses for Conflicting {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        statuses([("409", enveloped())])
    }
}
