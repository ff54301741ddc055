//! The web console: a handful of static files embedded in the binary and
//! served under `/console/`. The console is a client of `/api/v1` with the
//! signed-in token, so it shows exactly what the API lets that token see and
//! needs no rule of its own.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// A file of the console: its path under `/console/`, media type and bytes.
struct Asset {
    path: &'static str,
    media_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($($path:literal => $media_type:expr),* $(,)?) => {
        &[$(Asset {
            path: $path,
            media_type: $media_type,
            bytes: include_bytes!(concat!("../console/", $path)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = assets! {
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "js/app.js" => JS,
    "js/api.js" => JS,
    "js/dom.js" => JS,
    "js/format.js" => JS,
    "js/chart.js" => JS,
    "js/schema_form.js" => JS,
    "js/oidc.js" => JS,
    "js/providers.js" => JS,
    "js/names.js" => JS,
    "js/views/overview.js" => JS,
    "js/views/catalogue.js" => JS,
    "js/views/order.js" => JS,
    "js/views/services.js" => JS,
    "js/views/service.js" => JS,
    "js/views/compositions.js" => JS,
    "js/views/switches.js" => JS,
    "js/views/orders.js" => JS,
    "js/views/projects.js" => JS,
    "js/views/people.js" => JS,
    "js/views/webhooks.js" => JS,
    "js/views/billing.js" => JS,
    "js/views/agents.js" => JS,
    "js/views/tokens.js" => JS,
    "js/views/events.js" => JS,
};

/// Every file's entity tag, computed once: the content never changes while
/// the binary runs, so browsers revalidate with one cheap 304.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.bytes);
            format!("\"{}\"", hex_prefix(&digest))
        })
        .collect()
});

fn hex_prefix(digest: &[u8]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The console's routes; `/` leads to it.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(index))
        .route("/console/config.json", get(config))
        .route("/console/{*path}", get(file))
}

async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, "index.html", &headers)
}

async fn file(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&state, &path, &headers)
}

/// What the console needs before anyone signs in: whether it may offer
/// signing in through the OpenID Connect issuer, and with which client.
async fn config(State(state): State<AppState>) -> Response {
    let oidc = state.oidc.as_ref().and_then(|oidc| {
        oidc.console_client_id()
            .map(|client_id| json!({"issuer": oidc.issuer(), "clientId": client_id}))
    });
    let mut response = Json(json!({"oidc": oidc})).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn serve(state: &AppState, path: &str, headers: &HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|asset| asset.path == path) else {
        return ApiError::NotFound.into_response();
    };
    let asset = &ASSETS[index];
    let etag = &ETAGS[index];
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(CONTENT_TYPE, asset.media_type)], asset.bytes).into_response()
    };
    let response_headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        response_headers.insert(ETAG, value);
    }
    response_headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response_headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response_headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response_headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(state)) {
        response_headers.insert(CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// Only the console's own files run; the API is the only thing it talks to,
/// besides the OpenID Connect issuer when signing in through it.
fn content_security_policy(state: &AppState) -> String {
    let issuer = state
        .oidc
        .as_ref()
        .map(|oidc| format!(" {}", origin_of(oidc.issuer())))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{issuer}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// `scheme://host[:port]` of a URL, as CSP source lists take it.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url,
    }
}

/// Bytes of every file the console loads before any data: the budget a
/// page must stay under.
pub fn shell_bytes() -> usize {
    ASSETS.iter().map(|asset| asset.bytes.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_the_url_up_to_its_path() {
        assert_eq!(
            origin_of("https://id.example.eu/realms/x"),
            "https://id.example.eu"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn the_whole_console_weighs_less_than_a_page_may() {
        assert!(shell_bytes() < 200 * 1024, "{} bytes", shell_bytes());
    }
}
