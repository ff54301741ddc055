//! People over HTTP: users an admin keeps, their memberships of
//! participants with a role and projects, and the personal tokens through
//! which they act with exactly that role's rights, every change an event
//! naming the person who made it.

use federa_testkit::{error_paths, Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

/// A user made by the admin.
async fn user(server: &TestServer, name: &str) -> String {
    let created = server
        .post("/api/v1/users", ADMIN_TOKEN, &json!({"name": name}))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["id"].as_str().unwrap().to_string()
}

/// Makes `user_id` a member of `participant_id` as `token` and answers the membership's id.
async fn membership(
    server: &TestServer,
    token: &str,
    user_id: &str,
    participant_id: &str,
    role: &str,
    projects: &[&str],
) -> String {
    let created = server
        .post(
            "/api/v1/memberships",
            token,
            &json!({"userId": user_id, "participantId": participant_id, "role": role, "projectIds": projects}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["id"].as_str().unwrap().to_string()
}

/// A personal token of `user_id` for `participant_id`, made by the admin.
async fn personal_token(server: &TestServer, user_id: &str, participant_id: &str) -> String {
    let created = server
        .post(
            &format!("/api/v1/users/{user_id}/tokens"),
            ADMIN_TOKEN,
            &json!({"name": "laptop", "participantId": participant_id}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["value"].as_str().unwrap().to_string()
}

/// A new user who is a `role` of the consumer (in `projects`), with a personal token.
async fn person(
    server: &TestServer,
    f: &Federation,
    role: &str,
    projects: &[&str],
) -> (String, String) {
    let user_id = user(server, role).await;
    membership(
        server,
        ADMIN_TOKEN,
        &user_id,
        &f.consumer_id,
        role,
        projects,
    )
    .await;
    let token = personal_token(server, &user_id, &f.consumer_id).await;
    (user_id, token)
}

/// A project of the consumer with one service group in it; the group's id.
async fn project_group(server: &TestServer, f: &Federation, name: &str) -> (String, String) {
    let project = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": name}),
        )
        .await;
    assert_eq!(project.status, 201, "{:?}", project.body);
    let project_id = project.body["id"].as_str().unwrap().to_string();
    let group = server
        .post(
            "/api/v1/service-groups",
            &f.consumer_token,
            &json!({"name": name, "consumerId": f.consumer_id, "projectId": project_id}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    (project_id, group.body["id"].as_str().unwrap().to_string())
}

fn order_in(f: &Federation, name: &str, group_id: &str) -> Value {
    let mut order = f.order(name);
    order["groupId"] = json!(group_id);
    order
}

fn items(page: &Value) -> &Vec<Value> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page:?}"))
}

#[tokio::test]
async fn users_are_created_read_listed_changed_and_deleted_by_an_admin_each_with_an_event() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let created = server
        .post(
            "/api/v1/users",
            ADMIN_TOKEN,
            &json!({"name": " Ada ", "email": "ada@example.eu", "oidcSubject": "sub-ada"}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["name"], "Ada");
    assert_eq!(created.body["email"], "ada@example.eu");
    assert_eq!(created.body["oidcSubject"], "sub-ada");
    let id = created.body["id"].as_str().unwrap().to_string();

    let taken = server
        .post(
            "/api/v1/users",
            ADMIN_TOKEN,
            &json!({"name": "Other", "oidcSubject": "sub-ada"}),
        )
        .await;
    assert_eq!(taken.status, 409, "{:?}", taken.body);

    let invalid = server
        .post(
            "/api/v1/users",
            ADMIN_TOKEN,
            &json!({"name": " ", "email": "not an address"}),
        )
        .await;
    assert_eq!(invalid.status, 400, "{:?}", invalid.body);
    assert_eq!(error_paths(&invalid.body), ["name", "email"]);
    let untyped = server
        .post("/api/v1/users", ADMIN_TOKEN, &json!({"email": 5}))
        .await;
    assert!([400, 422].contains(&untyped.status), "{:?}", untyped.body);

    let listed = server.get("/api/v1/users?name=ad", ADMIN_TOKEN).await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert_eq!(items(&listed.body).len(), 1);

    let changed = server
        .patch(
            &format!("/api/v1/users/{id}"),
            ADMIN_TOKEN,
            &json!({"name": "Ada L.", "email": ""}),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["name"], "Ada L.");
    assert!(changed.body.get("email").is_none(), "{:?}", changed.body);

    // A participant's own credential reaches no user.
    for (method, path) in [
        ("GET", "/api/v1/users".to_string()),
        ("GET", format!("/api/v1/users/{id}")),
    ] {
        let refused = server.get(&path, &f.consumer_token).await;
        assert_eq!(refused.status, 403, "{method} {path}: {:?}", refused.body);
    }

    let deleted = server
        .delete(&format!("/api/v1/users/{id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    let gone = server
        .get(&format!("/api/v1/users/{id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(gone.status, 404);

    let events = server
        .get(&format!("/api/v1/events?entityId={id}"), ADMIN_TOKEN)
        .await;
    let kinds: Vec<&str> = items(&events.body)
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["user.created", "user.updated", "user.deleted"]);
    assert!(
        !events.body.to_string().contains("ada@example.eu"),
        "an address stays out of the log"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_viewer_reads_its_participant_but_cannot_order() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let service_id = f.order_service(&server, "existing").await;
    let (_, viewer) = person(&server, &f, "viewer", &[]).await;

    let seen = server
        .get(&format!("/api/v1/services/{service_id}"), &viewer)
        .await;
    assert_eq!(seen.status, 200, "{:?}", seen.body);
    let session = server.get("/api/v1/session", &viewer).await;
    assert_eq!(session.body["participantId"], f.consumer_id.as_str());

    let ordered = server
        .post("/api/v1/services", &viewer, &f.order("refused"))
        .await;
    assert_eq!(ordered.status, 403, "{:?}", ordered.body);
    assert!(
        ordered.body["error"].as_str().unwrap().contains("viewer"),
        "{:?}",
        ordered.body
    );
    let deleted = server
        .delete(&format!("/api/v1/services/{service_id}"), &viewer)
        .await;
    assert_eq!(deleted.status, 403, "{:?}", deleted.body);
    let tokens = server.get("/api/v1/tokens", &viewer).await;
    assert_eq!(tokens.status, 403, "a viewer reads no participant tokens");
    // Who belongs to the participant reads by name, though users are
    // the admin's to read.
    let members = server.get("/api/v1/memberships", &viewer).await;
    assert_eq!(members.status, 200, "{:?}", members.body);
    assert_eq!(members.body["items"][0]["userName"], "viewer");
    let users = server.get("/api/v1/users", &viewer).await;
    assert_eq!(users.status, 403, "{:?}", users.body);
    let one = members.body["items"][0]["id"].as_str().unwrap();
    let read = server
        .get(&format!("/api/v1/memberships/{one}"), &viewer)
        .await;
    assert_eq!(read.body["userName"], "viewer", "{:?}", read.body);
    server.stop().await;
}

#[tokio::test]
async fn a_member_orders_in_its_project_but_not_in_another_and_events_name_it() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let (ours, our_group) = project_group(&server, &f, "research").await;
    let (_, their_group) = project_group(&server, &f, "teaching").await;
    let (user_id, member) = person(&server, &f, "member", &[&ours]).await;

    let ordered = server
        .post(
            "/api/v1/services",
            &member,
            &order_in(&f, "mine", &our_group),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let service_id = ordered.body["id"].as_str().unwrap().to_string();

    let elsewhere = server
        .post(
            "/api/v1/services",
            &member,
            &order_in(&f, "theirs", &their_group),
        )
        .await;
    assert_eq!(elsewhere.status, 403, "{:?}", elsewhere.body);
    let outside = server
        .post("/api/v1/services", &member, &f.order("ungrouped"))
        .await;
    assert_eq!(
        outside.status, 403,
        "outside every project: {:?}",
        outside.body
    );

    // Its project's services it manages; others' it only reads.
    let renamed = server
        .patch(
            &format!("/api/v1/services/{service_id}"),
            &member,
            &json!({"name": "mine-renamed"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    let other_service = server
        .post(
            "/api/v1/services",
            &f.consumer_token,
            &order_in(&f, "theirs", &their_group),
        )
        .await;
    let other_id = other_service.body["id"].as_str().unwrap();
    let touched = server
        .patch(
            &format!("/api/v1/services/{other_id}"),
            &member,
            &json!({"name": "no"}),
        )
        .await;
    assert_eq!(touched.status, 403, "{:?}", touched.body);
    let read = server
        .get(&format!("/api/v1/services/{other_id}"), &member)
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);

    // Every event the member caused names it, beside the participant.
    let events = server
        .get(
            &format!("/api/v1/events?entityId={service_id}"),
            ADMIN_TOKEN,
        )
        .await;
    let events = items(&events.body);
    assert!(!events.is_empty());
    for event in events {
        assert_eq!(event["initiatorUserId"], user_id.as_str(), "{event:?}");
        assert_eq!(event["consumerId"], f.consumer_id.as_str(), "{event:?}");
    }
    let by_user = server
        .get(
            &format!("/api/v1/events?initiatorUserId={user_id}"),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(by_user.status, 200, "{:?}", by_user.body);
    assert!(items(&by_user.body)
        .iter()
        .any(|event| event["type"] == "service.updated"));
    // Events a participant's own token caused name no person.
    let theirs = server
        .get(&format!("/api/v1/events?entityId={other_id}"), ADMIN_TOKEN)
        .await;
    assert!(items(&theirs.body)
        .iter()
        .all(|event| event.get("initiatorUserId").is_none()));
    server.stop().await;
}

#[tokio::test]
async fn a_manager_manages_memberships_of_its_participant_only_and_up_to_its_own_role() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let (_, manager) = person(&server, &f, "manager", &[]).await;
    let newcomer = user(&server, "newcomer").await;

    let added = membership(&server, &manager, &newcomer, &f.consumer_id, "viewer", &[]).await;
    let promoted = server
        .patch(
            &format!("/api/v1/memberships/{added}"),
            &manager,
            &json!({"role": "approver"}),
        )
        .await;
    assert_eq!(promoted.status, 200, "{:?}", promoted.body);
    assert_eq!(promoted.body["role"], "approver");
    let to_owner = server
        .patch(
            &format!("/api/v1/memberships/{added}"),
            &manager,
            &json!({"role": "owner"}),
        )
        .await;
    assert_eq!(to_owner.status, 403, "{:?}", to_owner.body);

    let foreign = server
        .post(
            "/api/v1/memberships",
            &manager,
            &json!({"userId": newcomer, "participantId": f.provider_id, "role": "viewer"}),
        )
        .await;
    assert_eq!(foreign.status, 403, "{:?}", foreign.body);
    let provider_side = membership(
        &server,
        &f.provider_token,
        &newcomer,
        &f.provider_id,
        "viewer",
        &[],
    )
    .await;
    let reach = server
        .get(&format!("/api/v1/memberships/{provider_side}"), &manager)
        .await;
    assert_eq!(reach.status, 403, "{:?}", reach.body);
    let listed = server.get("/api/v1/memberships", &manager).await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert!(items(&listed.body)
        .iter()
        .all(|m| m["participantId"] == f.consumer_id.as_str()));
    assert_eq!(items(&listed.body).len(), 2, "the manager and the newcomer");

    let invalid = server
        .post(
            "/api/v1/memberships",
            &manager,
            &json!({"userId": newcomer, "participantId": f.consumer_id, "role": "chief"}),
        )
        .await;
    assert!([400, 422].contains(&invalid.status), "{:?}", invalid.body);
    let unknown_project = server
        .patch(
            &format!("/api/v1/memberships/{added}"),
            &manager,
            &json!({"projectIds": [f.consumer_id]}),
        )
        .await;
    assert_eq!(unknown_project.status, 400, "{:?}", unknown_project.body);
    assert_eq!(error_paths(&unknown_project.body), ["projectIds[0]"]);
    let twice = server
        .post(
            "/api/v1/memberships",
            ADMIN_TOKEN,
            &json!({"userId": newcomer, "participantId": f.consumer_id, "role": "viewer"}),
        )
        .await;
    assert_eq!(twice.status, 409, "{:?}", twice.body);

    let removed = server
        .delete(&format!("/api/v1/memberships/{added}"), &manager)
        .await;
    assert_eq!(removed.status, 204, "{:?}", removed.body);
    // A member may not manage memberships at all.
    let (_, member) = person(&server, &f, "member", &[]).await;
    let refused = server
        .post(
            "/api/v1/memberships",
            &member,
            &json!({"userId": newcomer, "participantId": f.consumer_id, "role": "viewer"}),
        )
        .await;
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    server.stop().await;
}

#[tokio::test]
async fn a_personal_token_is_shown_once_and_stops_working_when_revoked_or_its_membership_goes() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let user_id = user(&server, "Grace").await;
    let membership_id =
        membership(&server, ADMIN_TOKEN, &user_id, &f.consumer_id, "owner", &[]).await;

    let not_member = server
        .post(
            &format!("/api/v1/users/{user_id}/tokens"),
            ADMIN_TOKEN,
            &json!({"name": "x", "participantId": f.provider_id, "expireAt": "2000-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(not_member.status, 400, "{:?}", not_member.body);
    assert_eq!(error_paths(&not_member.body), ["expireAt", "participantId"]);

    let first = personal_token(&server, &user_id, &f.consumer_id).await;
    // The user makes its own next token; it may not make another user's.
    let created = server
        .post(
            &format!("/api/v1/users/{user_id}/tokens"),
            &first,
            &json!({"name": "cli", "participantId": f.consumer_id}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let second = created.body["value"].as_str().unwrap().to_string();
    let second_id = created.body["id"].as_str().unwrap().to_string();
    let stranger = user(&server, "stranger").await;
    let foreign = server
        .post(
            &format!("/api/v1/users/{stranger}/tokens"),
            &first,
            &json!({"name": "cli", "participantId": f.consumer_id}),
        )
        .await;
    assert_eq!(foreign.status, 403, "{:?}", foreign.body);
    let me = server
        .get(&format!("/api/v1/users/{user_id}"), &second)
        .await;
    assert_eq!(me.status, 200, "{:?}", me.body);

    let listed = server
        .get(&format!("/api/v1/users/{user_id}/tokens"), &first)
        .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert_eq!(items(&listed.body).len(), 2);
    let events = server.get("/api/v1/events", ADMIN_TOKEN).await;
    for secret in [&first, &second] {
        assert!(!listed.body.to_string().contains(secret.as_str()));
        assert!(!events.body.to_string().contains(secret.as_str()));
    }

    let revoked = server
        .delete(
            &format!("/api/v1/users/{user_id}/tokens/{second_id}"),
            &first,
        )
        .await;
    assert_eq!(revoked.status, 204, "{:?}", revoked.body);
    let refused = server.get("/api/v1/services", &second).await;
    assert_eq!(refused.status, 401, "{:?}", refused.body);
    let still = server.get("/api/v1/services", &first).await;
    assert_eq!(still.status, 200, "{:?}", still.body);

    let removed = server
        .delete(&format!("/api/v1/memberships/{membership_id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(removed.status, 204, "{:?}", removed.body);
    let gone = server.get("/api/v1/services", &first).await;
    assert_eq!(gone.status, 401, "{:?}", gone.body);
    server.stop().await;
}
