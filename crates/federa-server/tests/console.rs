//! The web console's delivery: every file it loads is embedded and served
//! with its type and security headers, the whole shell stays under the page
//! budget, and `GET /session` tells the console who signed in.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use federa_server::oidc::{Oidc, OidcConfig};
use federa_testkit::{Federation, TestServer, ADMIN_TOKEN};

/// What a page may weigh before any data arrives.
const PAGE_BUDGET_BYTES: usize = 200 * 1024;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The local files `text` loads: `src`/`href` attributes and ES module
/// imports, resolved against the file's own directory.
fn references(path: &str, text: &str) -> Vec<String> {
    let directory = &path[..path.rfind('/').map_or(0, |at| at + 1)];
    let mut found = Vec::new();
    for quote in ['"', '\''] {
        for marker in ["src=", "href=", "from "] {
            let pattern = format!("{marker}{quote}");
            let mut rest = text;
            while let Some(at) = rest.find(&pattern) {
                rest = &rest[at + pattern.len()..];
                let Some(end) = rest.find(quote) else { break };
                let target = &rest[..end];
                if let Some(absolute) = target.strip_prefix("/console/") {
                    found.push(absolute.to_string());
                } else if target.starts_with("./") || target.starts_with("../") {
                    found.push(resolve(directory, target));
                }
            }
        }
    }
    found
}

fn resolve(directory: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = directory.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[tokio::test]
async fn every_file_the_console_loads_is_served_and_all_of_them_fit_the_page_budget() {
    let server = TestServer::start().await;
    let http = client();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([String::new()]);
    let mut total = 0;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let response = http
            .get(format!("{}/console/{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "/console/{path}");
        let headers = response.headers().clone();
        let media_type = headers["content-type"].to_str().unwrap().to_string();
        let expected = match path.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("svg") => "image/svg+xml",
            _ => "text/html",
        };
        assert!(media_type.starts_with(expected), "{path}: {media_type}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        let body = response.text().await.unwrap();
        total += body.len();
        let name = if path.is_empty() { "index.html" } else { &path };
        queue.extend(references(name, &body));
    }
    assert!(
        seen.contains("js/app.js")
            && seen.contains("js/views/service.js")
            && seen.contains("style.css"),
        "{seen:?}"
    );
    assert!(
        total < PAGE_BUDGET_BYTES,
        "the console weighs {total} bytes"
    );
    assert_eq!(
        total,
        federa_server::console::shell_bytes(),
        "every embedded file is loaded: {seen:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_root_leads_to_the_console_and_unknown_files_are_not_found() {
    let server = TestServer::start().await;
    let http = client();
    for path in ["/", "/console"] {
        let response = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        assert_eq!(response.headers()["location"], "/console/");
    }
    for path in [
        "/console/nothing.js",
        "/console/js/../../Cargo.toml",
        "/console/js/views/",
    ] {
        let response = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_file_the_browser_already_holds_is_answered_not_modified() {
    let server = TestServer::start().await;
    let http = client();
    let url = format!("{}/console/js/app.js", server.base);
    let first = http.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let again = http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    let changed = http
        .get(&url)
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    server.stop().await;
}

async fn console_config(server: &TestServer) -> serde_json::Value {
    client()
        .get(format!("{}/console/config.json", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn without_a_console_client_the_console_offers_token_sign_in_only() {
    let server = TestServer::start().await;
    let config = console_config(&server).await;
    assert_eq!(config, serde_json::json!({"oidc": null}));
    server.stop().await;
}

#[tokio::test]
async fn with_a_console_client_the_console_signs_in_through_the_issuer() {
    let issuer = "https://id.example.eu/realms/federa";
    let oidc = Arc::new(
        Oidc::new(OidcConfig {
            console_client_id: Some("federa-console".into()),
            ..OidcConfig::new(issuer, Some("federa".into()))
        })
        .unwrap(),
    );
    let server = TestServer::start_configured(move |settings| settings.oidc = Some(oidc)).await;
    let config = console_config(&server).await;
    assert_eq!(config["oidc"]["issuer"], issuer);
    assert_eq!(config["oidc"]["clientId"], "federa-console");
    let page = client()
        .get(format!("{}/console/", server.base))
        .send()
        .await
        .unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        policy.contains("connect-src 'self' https://id.example.eu;"),
        "{policy}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_session_names_the_callers_role_and_scope() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let admin = server.get("/api/v1/session", ADMIN_TOKEN).await;
    assert_eq!(admin.status, 200);
    assert_eq!(admin.body, serde_json::json!({"role": "admin"}));
    let consumer = server
        .get("/api/v1/session", &federation.consumer_token)
        .await;
    assert_eq!(consumer.body["role"], "participant");
    assert_eq!(
        consumer.body["participantId"],
        federation.consumer_id.as_str()
    );
    assert_eq!(consumer.body["participantName"], "Consumer");
    let agent = server.get("/api/v1/session", &federation.agent_token).await;
    assert_eq!(agent.body["role"], "agent");
    assert_eq!(agent.body["agentId"], federation.agent_id.as_str());
    assert_eq!(agent.body["participantId"], federation.provider_id.as_str());
    let anonymous = server.call("GET", "/api/v1/session", None, None).await;
    assert_eq!(anonymous.status, 401);
    let wrong = server.get("/api/v1/session", "not-a-token").await;
    assert_eq!(wrong.status, 403, "a refused token, as everywhere");
    server.stop().await;
}
