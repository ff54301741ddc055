//! Projects over HTTP: a consumer's cost centres, their names unique within
//! the consumer, the service groups that belong to them and the lists that
//! filter by them, each change an event.

use federa_testkit::{error_paths, Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

async fn create_project(server: &TestServer, token: &str, consumer_id: &str, name: &str) -> String {
    let created = server
        .post(
            "/api/v1/projects",
            token,
            &json!({"consumerId": consumer_id, "name": name}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["id"].as_str().unwrap().to_string()
}

/// The group created in `project_id` as the consumer.
async fn group_in(server: &TestServer, f: &Federation, name: &str, project_id: &str) -> String {
    let created = server
        .post(
            "/api/v1/service-groups",
            &f.consumer_token,
            &json!({"name": name, "consumerId": f.consumer_id, "projectId": project_id}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["projectId"], project_id);
    created.body["id"].as_str().unwrap().to_string()
}

/// The ids of a list answer's items.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page:?}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn projects_are_created_read_listed_changed_and_deleted_each_with_an_event() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let created = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": " Research ", "description": "Grant 42"}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["name"], "Research", "names are trimmed");
    assert_eq!(created.body["description"], "Grant 42");
    assert_eq!(created.body["consumerId"], f.consumer_id.as_str());
    let id = created.body["id"].as_str().unwrap().to_string();
    let other = create_project(&server, &f.consumer_token, &f.consumer_id, "Teaching").await;

    let fetched = server
        .get(&format!("/api/v1/projects/{id}"), &f.consumer_token)
        .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["name"], "Research");

    let listed = server
        .get("/api/v1/projects?name=teach", &f.consumer_token)
        .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert_eq!(ids(&listed.body), [other.as_str()]);
    let sorted = server
        .get("/api/v1/projects?sort=name&pageSize=1", &f.consumer_token)
        .await;
    assert_eq!(ids(&sorted.body), [id.as_str()]);
    assert_eq!(sorted.body["totalItems"], 2);
    assert_eq!(sorted.body["hasNext"], true);

    let changed = server
        .patch(
            &format!("/api/v1/projects/{id}"),
            &f.consumer_token,
            &json!({"name": "Research and development", "description": ""}),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["name"], "Research and development");
    assert!(
        changed.body.get("description").is_none(),
        "an empty description removes it: {:?}",
        changed.body
    );

    let deleted = server
        .delete(&format!("/api/v1/projects/{id}"), &f.consumer_token)
        .await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    let gone = server
        .get(&format!("/api/v1/projects/{id}"), &f.consumer_token)
        .await;
    assert_eq!(gone.status, 404);

    let events = server
        .get(&format!("/api/v1/events?entityId={id}"), ADMIN_TOKEN)
        .await;
    let kinds: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["project.created", "project.updated", "project.deleted"]
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_project_input_is_refused_naming_each_field() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let long = "x".repeat(2001);
    let both = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "  ", "description": long}),
        )
        .await;
    assert_eq!(both.status, 400, "{:?}", both.body);
    assert_eq!(error_paths(&both.body), ["name", "description"]);

    let missing = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id}),
        )
        .await;
    assert_eq!(missing.status, 400, "{:?}", missing.body);
    assert_eq!(error_paths(&missing.body), ["name"]);

    let mistyped = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": "not-a-uuid", "name": "x"}),
        )
        .await;
    assert_eq!(mistyped.status, 400, "{:?}", mistyped.body);
    assert_eq!(error_paths(&mistyped.body), ["consumerId"]);

    let nobody = uuid::Uuid::now_v7().to_string();
    let unknown = server
        .post(
            "/api/v1/projects",
            ADMIN_TOKEN,
            &json!({"consumerId": nobody, "name": "x"}),
        )
        .await;
    assert_eq!(unknown.status, 400, "{:?}", unknown.body);
    assert_eq!(error_paths(&unknown.body), ["consumerId"]);

    let id = create_project(&server, &f.consumer_token, &f.consumer_id, "Ops").await;
    let blank = server
        .patch(
            &format!("/api/v1/projects/{id}"),
            &f.consumer_token,
            &json!({"name": "", "description": "y".repeat(2001)}),
        )
        .await;
    assert_eq!(blank.status, 400, "{:?}", blank.body);
    assert_eq!(error_paths(&blank.body), ["name", "description"]);

    let bad_filter = server
        .get("/api/v1/projects?consumerId=nope", &f.consumer_token)
        .await;
    assert_eq!(bad_filter.status, 400, "{:?}", bad_filter.body);
    assert_eq!(error_paths(&bad_filter.body), ["consumerId"]);
    server.stop().await;
}

#[tokio::test]
async fn a_project_name_is_unique_within_its_consumer_only() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let first = create_project(&server, &f.consumer_token, &f.consumer_id, "Web").await;
    let again = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "Web"}),
        )
        .await;
    assert_eq!(again.status, 409, "{:?}", again.body);
    assert_eq!(
        again.body["error"],
        "the consumer already has a project with this name"
    );

    let second = create_project(&server, &f.consumer_token, &f.consumer_id, "Batch").await;
    let renamed = server
        .patch(
            &format!("/api/v1/projects/{second}"),
            &f.consumer_token,
            &json!({"name": "Web"}),
        )
        .await;
    assert_eq!(renamed.status, 409, "{:?}", renamed.body);

    let other = server.participant("Other consumer").await;
    let other_token = server.token("participant", Some(&other)).await;
    let same_name = create_project(&server, &other_token, &other, "Web").await;
    assert_ne!(same_name, first);
    server.stop().await;
}

#[tokio::test]
async fn a_group_belongs_only_to_a_project_of_its_own_consumer() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let mine = create_project(&server, &f.consumer_token, &f.consumer_id, "Mine").await;
    let other = server.participant("Other consumer").await;
    let other_token = server.token("participant", Some(&other)).await;
    let theirs = create_project(&server, &other_token, &other, "Theirs").await;

    let refused = server
        .post(
            "/api/v1/service-groups",
            &f.consumer_token,
            &json!({"name": "g", "consumerId": f.consumer_id, "projectId": theirs}),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(error_paths(&refused.body), ["projectId"]);
    let as_admin = server
        .post(
            "/api/v1/service-groups",
            ADMIN_TOKEN,
            &json!({"name": "g", "consumerId": f.consumer_id, "projectId": theirs}),
        )
        .await;
    assert_eq!(as_admin.status, 400, "{:?}", as_admin.body);
    assert_eq!(error_paths(&as_admin.body), ["projectId"]);
    let unknown = server
        .post(
            "/api/v1/service-groups",
            &f.consumer_token,
            &json!({"name": "g", "consumerId": f.consumer_id, "projectId": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(unknown.status, 400, "{:?}", unknown.body);
    assert_eq!(error_paths(&unknown.body), ["projectId"]);

    let moved_away = server
        .patch(
            &format!("/api/v1/service-groups/{}", f.group_id),
            &f.consumer_token,
            &json!({"projectId": theirs}),
        )
        .await;
    assert_eq!(moved_away.status, 400, "{:?}", moved_away.body);
    assert_eq!(error_paths(&moved_away.body), ["projectId"]);

    let moved = server
        .patch(
            &format!("/api/v1/service-groups/{}", f.group_id),
            &f.consumer_token,
            &json!({"projectId": mine}),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(moved.body["projectId"], mine.as_str());
    let read = server
        .get(
            &format!("/api/v1/service-groups/{}", f.group_id),
            &f.consumer_token,
        )
        .await;
    assert_eq!(read.body["projectId"], mine.as_str());
    server.stop().await;
}

#[tokio::test]
async fn service_groups_and_services_are_listed_by_project() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let research = create_project(&server, &f.consumer_token, &f.consumer_id, "Research").await;
    let teaching = create_project(&server, &f.consumer_token, &f.consumer_id, "Teaching").await;
    let lab = group_in(&server, &f, "lab", &research).await;
    let class = group_in(&server, &f, "class", &teaching).await;

    let mut in_lab = f.order("vm-lab");
    in_lab["groupId"] = json!(lab);
    let lab_service = server
        .post("/api/v1/services", &f.consumer_token, &in_lab)
        .await;
    assert_eq!(lab_service.status, 201, "{:?}", lab_service.body);
    let mut in_class = f.order("vm-class");
    in_class["groupId"] = json!(class);
    let class_service = server
        .post("/api/v1/services", &f.consumer_token, &in_class)
        .await;
    assert_eq!(class_service.status, 201, "{:?}", class_service.body);
    // A service of a group outside any project is in neither list.
    f.order_service(&server, "vm-loose").await;

    let groups = server
        .get(
            &format!("/api/v1/service-groups?projectId={research}"),
            &f.consumer_token,
        )
        .await;
    assert_eq!(groups.status, 200, "{:?}", groups.body);
    assert_eq!(ids(&groups.body), [lab.as_str()]);

    let services = server
        .get(
            &format!("/api/v1/services?projectId={teaching}"),
            &f.consumer_token,
        )
        .await;
    assert_eq!(services.status, 200, "{:?}", services.body);
    assert_eq!(ids(&services.body), [id_of(&class_service.body)]);
    assert_eq!(services.body["totalItems"], 1);
    let research_services = server
        .get(
            &format!("/api/v1/services?projectId={research}"),
            &f.consumer_token,
        )
        .await;
    assert_eq!(ids(&research_services.body), [id_of(&lab_service.body)]);

    let bad = server
        .get("/api/v1/services?projectId=nope", &f.consumer_token)
        .await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    assert_eq!(error_paths(&bad.body), ["projectId"]);
    server.stop().await;
}

/// The service's id in an order's answer.
fn id_of(ordered: &Value) -> String {
    ordered["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an ordered service: {ordered:?}"))
        .to_string()
}

#[tokio::test]
async fn a_project_is_not_deleted_while_a_group_belongs_to_it() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let project = create_project(&server, &f.consumer_token, &f.consumer_id, "Busy").await;
    let group = group_in(&server, &f, "busy group", &project).await;
    let refused = server
        .delete(&format!("/api/v1/projects/{project}"), &f.consumer_token)
        .await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(
        refused.body["error"],
        "the project still has service groups; move or delete them first"
    );
    let still = server
        .get(&format!("/api/v1/projects/{project}"), &f.consumer_token)
        .await;
    assert_eq!(still.status, 200);

    let emptied = server
        .delete(
            &format!("/api/v1/service-groups/{group}"),
            &f.consumer_token,
        )
        .await;
    assert_eq!(emptied.status, 204, "{:?}", emptied.body);
    let deleted = server
        .delete(&format!("/api/v1/projects/{project}"), &f.consumer_token)
        .await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    server.stop().await;
}

#[tokio::test]
async fn a_consumer_sees_and_changes_only_its_own_projects() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let project = create_project(&server, &f.consumer_token, &f.consumer_id, "Private").await;
    let path = format!("/api/v1/projects/{project}");

    let for_other = server
        .post(
            "/api/v1/projects",
            &f.provider_token,
            &json!({"consumerId": f.consumer_id, "name": "Planted"}),
        )
        .await;
    assert_eq!(for_other.status, 403, "{:?}", for_other.body);
    assert_eq!(server.get(&path, &f.provider_token).await.status, 403);
    assert_eq!(
        server
            .patch(&path, &f.provider_token, &json!({"name": "Taken over"}))
            .await
            .status,
        403
    );
    assert_eq!(server.delete(&path, &f.provider_token).await.status, 403);
    let strangers = server.get("/api/v1/projects", &f.provider_token).await;
    assert_eq!(strangers.status, 200);
    assert_eq!(strangers.body["totalItems"], 0);
    assert_eq!(server.get(&path, &f.agent_token).await.status, 403);

    let admin = server.get("/api/v1/projects", ADMIN_TOKEN).await;
    assert_eq!(ids(&admin.body), [project.as_str()]);
    server.stop().await;
}
