//! A small key-value store over HTTP, so the `process` driver can offer a
//! second kind of service with nothing installed but `federa`.
//!
//! `PUT /keys/{key}` stores the request body, `GET /keys/{key}` returns it,
//! `DELETE /keys/{key}` removes it and `GET /keys` lists the keys. The data
//! is written to `data.json` in its directory after every change, so it
//! survives a restart of the service.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use tokio::sync::Mutex;

const MAX_VALUE_BYTES: usize = 1 << 20;

#[derive(Clone)]
struct Store {
    file: PathBuf,
    data: Arc<Mutex<BTreeMap<String, String>>>,
}

/// Serves the store kept in `dir` on `address` until the process stops.
pub async fn serve(dir: PathBuf, address: SocketAddr) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("data.json");
    let data = match std::fs::read(&file) {
        Ok(bytes) => serde_json::from_slice(&bytes)?,
        Err(_) => BTreeMap::new(),
    };
    let store = Store {
        file,
        data: Arc::new(Mutex::new(data)),
    };
    let app = Router::new()
        .route("/", get(usage))
        .route("/keys", get(keys))
        .route("/keys/{key}", get(read).put(write).delete(remove))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_VALUE_BYTES))
        .with_state(store);
    let listener = tokio::net::TcpListener::bind(address).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// What a person who opens the store's URL needs to use it.
const USAGE: &str = "A key-value store run by a Federa agent.\n\n\
PUT    /keys/{key}   store the request body under {key}\n\
GET    /keys/{key}   read it back\n\
DELETE /keys/{key}   remove it\n\
GET    /keys         list the keys (JSON)\n\n\
Example: curl -X PUT --data 'hello' <this URL>keys/greeting\n";

async fn usage() -> &'static str {
    USAGE
}

async fn keys(State(store): State<Store>) -> Json<Vec<String>> {
    Json(store.data.lock().await.keys().cloned().collect())
}

async fn read(State(store): State<Store>, Path(key): Path<String>) -> Result<String, StatusCode> {
    store
        .data
        .lock()
        .await
        .get(&key)
        .cloned()
        .ok_or(StatusCode::NOT_FOUND)
}

async fn write(State(store): State<Store>, Path(key): Path<String>, body: Bytes) -> StatusCode {
    let Ok(value) = String::from_utf8(body.to_vec()) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut data = store.data.lock().await;
    data.insert(key, value);
    persist(&store, &data)
}

async fn remove(State(store): State<Store>, Path(key): Path<String>) -> StatusCode {
    let mut data = store.data.lock().await;
    if data.remove(&key).is_none() {
        return StatusCode::NOT_FOUND;
    }
    persist(&store, &data)
}

/// Written to a temporary file and renamed, so a crash never leaves half.
fn persist(store: &Store, data: &BTreeMap<String, String>) -> StatusCode {
    let temporary = store.file.with_extension("json.tmp");
    let written = serde_json::to_vec(data)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&temporary, bytes))
        .and_then(|()| std::fs::rename(&temporary, &store.file));
    match written {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(error) => {
            tracing::error!(%error, "cannot persist the store");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
