//! A small static web server, so the `process` driver can host a website
//! with nothing installed but the `federa` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use tower_http::services::ServeDir;

/// Serves `dir` on `address` until the process is stopped.
pub async fn serve(dir: PathBuf, address: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let app = axum::Router::new()
        .fallback_service(ServeDir::new(dir).append_index_html_on_directories(true));
    axum::serve(listener, app).await?;
    Ok(())
}
