//! How much work each figure runs, as the command line sets it.

#[derive(Clone)]
pub struct Settings {
    pub jobs: usize,
    pub agents: usize,
    pub clients: usize,
    pub idle_polls: usize,
    pub metric_entries: usize,
    pub metric_batch: usize,
    pub metric_agents: usize,
    pub scale_sizes: Vec<usize>,
    /// Only the statements per cycle and the job cycles (and the peers).
    pub cycles_only: bool,
    /// With `cycles_only`, also the claim cost by pending backlog.
    pub backlog_too: bool,
}
