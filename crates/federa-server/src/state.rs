use std::sync::Arc;

use federa_store::Store;

use crate::metrics::Metrics;

/// Everything a handler may reach, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            metrics: Arc::new(Metrics::new()),
        }
    }
}
