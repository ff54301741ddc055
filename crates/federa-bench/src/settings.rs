//! How much work each figure runs, as the command line sets it.

pub struct Settings {
    pub jobs: usize,
    pub agents: usize,
    pub clients: usize,
    pub idle_polls: usize,
    pub metric_entries: usize,
    pub metric_batch: usize,
    pub metric_agents: usize,
    pub scale_sizes: Vec<usize>,
}
