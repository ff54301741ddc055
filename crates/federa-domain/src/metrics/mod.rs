//! Metrics: the kinds of measurement the exchange accepts (metric types),
//! the measurements agents report for the services they run (metric
//! entries), and the rules for bucketing them over time.
//!
//! Entries are high-volume and immutable; nothing here assumes an event per
//! entry. Aggregation is split so the store computes one fixed set of
//! partial results per bucket and the requested function is applied here.

mod aggregate;
mod entry;
mod metric_type;

pub use aggregate::{Aggregate, AggregateQuery, Bucket, BucketStats};
pub use entry::{
    check_entry, EntryDraft, MetricEntry, MetricTarget, ServiceRef, ValidEntry, MAX_BATCH_ENTRIES,
    MAX_FUTURE_SKEW, MAX_RESOURCE_ID_CHARS, METRIC_ENTRY_LIST, RESOURCE_ID_LIST,
};
pub use metric_type::{MetricEntityType, MetricType, METRIC_TYPE_LIST};
