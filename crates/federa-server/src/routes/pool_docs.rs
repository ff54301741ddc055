//! The OpenAPI description of the pool routes of each family. The handlers
//! are shared (`pools`, `pool_values`), so their description is built from
//! the family's data, the query filters from its list spec, rather than
//! written as one attribute per handler and path.

use federa_domain::listing::{FilterKind, ListSpec};
use federa_domain::pools::PoolFamily;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{Content, Paths, Ref, RefOr, Required, ResponseBuilder, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::{ErrorRes, PageRes};
use federa_api::pools::{
    ConfigPoolCreateReq, ConfigPoolValueCreateReq, PoolRes, PoolUpdateReq, PoolValueRes,
    ServicePoolCreateReq, ServicePoolValueCreateReq,
};

/// A family's described routes: the collection path, the item path, and
/// the schemas they refer to.
pub(super) struct Docs {
    pub schemas: Vec<(String, RefOr<Schema>)>,
    pub collection: Paths,
    pub item: Paths,
}

/// What differs in the description of one family's resource.
struct Resource {
    path: &'static str,
    tag: &'static str,
    /// Plural, as in "List service pools".
    plural: &'static str,
    list: &'static ListSpec,
    create_summary: &'static str,
    create_body: RefOr<Schema>,
    page: RefOr<Schema>,
    answer: RefOr<Schema>,
}

pub(super) fn pools(family: PoolFamily) -> Docs {
    let (path, tag, plural, create_summary, create_body) = match family {
        PoolFamily::Service => (
            "/service-pools",
            "Service pools",
            "service pools",
            "Create a pool in a pool set.",
            schema_ref::<ServicePoolCreateReq>(),
        ),
        PoolFamily::Config => (
            "/config-pools",
            "Config pools",
            "config pools",
            "Create a participant's config pool, or a global one (admins only).",
            schema_ref::<ConfigPoolCreateReq>(),
        ),
    };
    let resource = Resource {
        path,
        tag,
        plural,
        list: family.pool_list(),
        create_summary,
        create_body,
        page: PageRes::<PoolRes>::schema(),
        answer: schema_ref::<PoolRes>(),
    };
    let update = resource
        .operation("Rename a pool or change its generator configuration; values already handed out stay with their holders.")
        .request_body(Some(json_body(schema_ref::<PoolUpdateReq>())))
        .response("200", json_response(resource.answer.clone()))
        .response("400", error_response())
        .response("404", bare_response());
    Docs {
        schemas: vec![
            named::<PoolRes>(),
            named::<PoolUpdateReq>(),
            named::<ServicePoolCreateReq>(),
            named::<ConfigPoolCreateReq>(),
            named::<ErrorRes>(),
        ],
        collection: resource.collection(),
        item: resource.item(Some(update)),
    }
}

pub(super) fn values(family: PoolFamily) -> Docs {
    let (path, tag, plural, create_body) = match family {
        PoolFamily::Service => (
            "/service-pool-values",
            "Service pools",
            "service pool values",
            schema_ref::<ServicePoolValueCreateReq>(),
        ),
        PoolFamily::Config => (
            "/config-pool-values",
            "Config pools",
            "config pool values",
            schema_ref::<ConfigPoolValueCreateReq>(),
        ),
    };
    let resource = Resource {
        path,
        tag,
        plural,
        list: family.value_list(),
        create_summary: "Add a value to a list pool.",
        create_body,
        page: PageRes::<PoolValueRes>::schema(),
        answer: schema_ref::<PoolValueRes>(),
    };
    Docs {
        schemas: vec![
            named::<PoolValueRes>(),
            named::<ServicePoolValueCreateReq>(),
            named::<ConfigPoolValueCreateReq>(),
            named::<ErrorRes>(),
        ],
        collection: resource.collection(),
        item: resource.item(None),
    }
}

impl Resource {
    fn operation(&self, summary: &str) -> OperationBuilder {
        OperationBuilder::new()
            .tag(self.tag)
            .summary(Some(summary))
            .response("401", bare_response())
            .response("403", bare_response())
    }

    /// `GET` (list, filtered by the list spec) and `POST` on the collection.
    fn collection(&self) -> Paths {
        let mut list = self
            .operation(&format!("List {}.", self.plural))
            .parameter(query("page", integer()))
            .parameter(query("pageSize", integer()))
            .parameter(query("sort", string(None)));
        for filter in self.list.filters {
            let format = matches!(filter.kind, FilterKind::Uuid).then_some(KnownFormat::Uuid);
            list = list.parameter(query(filter.param, string(format)));
        }
        let list = list
            .response("200", json_response(self.page.clone()))
            .response("400", error_response());
        let create = self
            .operation(self.create_summary)
            .request_body(Some(json_body(self.create_body.clone())))
            .response("201", json_response(self.answer.clone()))
            .response("400", error_response())
            .response("409", error_response());
        let mut paths = Paths::new();
        paths.add_path_operation(self.path, vec![HttpMethod::Get], list.build());
        paths.add_path_operation(self.path, vec![HttpMethod::Post], create.build());
        paths
    }

    /// `GET`, `DELETE` and, where given, `PATCH` on one item.
    fn item(&self, update: Option<OperationBuilder>) -> Paths {
        let path = format!("{}/{{id}}", self.path);
        let with_id = |operation: OperationBuilder| -> Operation {
            operation
                .parameter(
                    ParameterBuilder::new()
                        .name("id")
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(string(Some(KnownFormat::Uuid)))),
                )
                .build()
        };
        let get = self
            .operation("Get one by id.")
            .response("200", json_response(self.answer.clone()))
            .response("404", bare_response());
        let delete = self
            .operation("Delete one that nothing holds or uses.")
            .response("204", bare_response())
            .response("400", error_response())
            .response("404", bare_response())
            .response("409", error_response());
        let mut paths = Paths::new();
        paths.add_path_operation(&path, vec![HttpMethod::Get], with_id(get));
        paths.add_path_operation(&path, vec![HttpMethod::Delete], with_id(delete));
        if let Some(update) = update {
            paths.add_path_operation(&path, vec![HttpMethod::Patch], with_id(update));
        }
        paths
    }
}

fn named<T: ToSchema>() -> (String, RefOr<Schema>) {
    (T::name().into_owned(), T::schema())
}

fn schema_ref<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

fn query(name: &str, schema: Schema) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .schema(Some(schema))
}

fn integer() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(0))
        .into()
}

fn string(format: Option<KnownFormat>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(format.map(SchemaFormat::KnownFormat))
        .into()
}

fn json_body(schema: RefOr<Schema>) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .content("application/json", Content::new(Some(schema)))
        .required(Some(Required::True))
        .build()
}

fn json_response(schema: RefOr<Schema>) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description("")
        .content("application/json", Content::new(Some(schema)))
        .build()
}

fn error_response() -> utoipa::openapi::Response {
    json_response(schema_ref::<ErrorRes>())
}

fn bare_response() -> utoipa::openapi::Response {
    ResponseBuilder::new().description("").build()
}
