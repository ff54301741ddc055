//! Graceful shutdown. Once the server starts closing, job long-polls answer
//! at once and event streams end, so that stopping waits only for requests
//! doing work; those are counted, so that the wait can be reported.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

#[derive(Clone)]
pub struct Closing {
    closing: Arc<watch::Sender<bool>>,
    /// Requests between arrival and their response's head.
    open_requests: Arc<AtomicUsize>,
}

impl Default for Closing {
    fn default() -> Closing {
        Closing {
            closing: Arc::new(watch::Sender::new(false)),
            open_requests: Arc::default(),
        }
    }
}

impl Closing {
    /// Starts closing: every waiting long-poll and stream ends now.
    pub fn begin(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once closing has begun.
    pub async fn closed(&self) {
        let mut closing = self.closing.subscribe();
        let _ = closing.wait_for(|closing| *closing).await;
    }

    pub fn open_requests(&self) -> usize {
        self.open_requests.load(Ordering::SeqCst)
    }

    /// Counts a request as open until the guard is dropped (when its
    /// response's head is ready).
    pub fn open_request(&self) -> OpenRequest {
        self.open_requests.fetch_add(1, Ordering::SeqCst);
        OpenRequest(self.open_requests.clone())
    }
}

/// Counts a request as open until its response's head is ready.
pub struct OpenRequest(Arc<AtomicUsize>);

impl Drop for OpenRequest {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
