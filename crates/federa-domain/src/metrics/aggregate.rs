use chrono::{DateTime, TimeDelta, Utc};

use crate::listing::FieldError;

/// The function applied to the values of each time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Min,
    Max,
    Sum,
    Avg,
    /// Maximum minus minimum: the growth within the bucket of a counter
    /// that only increases, such as bytes sent.
    Diff,
}

impl Aggregate {
    pub const NAMES: &'static [&'static str] = &["min", "max", "sum", "avg", "diff"];

    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Sum => "sum",
            Aggregate::Avg => "avg",
            Aggregate::Diff => "diff",
        }
    }

    pub fn parse(text: &str) -> Option<Aggregate> {
        match text {
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            "sum" => Some(Aggregate::Sum),
            "avg" => Some(Aggregate::Avg),
            "diff" => Some(Aggregate::Diff),
            _ => None,
        }
    }

    /// The function's value for one bucket, from the partial results the
    /// store computes for every function alike.
    pub fn of(self, stats: &BucketStats) -> f64 {
        if stats.count == 0 {
            return 0.0;
        }
        match self {
            Aggregate::Min => stats.min,
            Aggregate::Max => stats.max,
            Aggregate::Sum => stats.sum,
            Aggregate::Avg => stats.sum / stats.count as f64,
            Aggregate::Diff => stats.max - stats.min,
        }
    }
}

/// The width of the time buckets values are grouped into. Buckets start at
/// whole UTC minutes, hours, days or months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Minute,
    Hour,
    Day,
    Month,
}

impl Bucket {
    pub const NAMES: &'static [&'static str] = &["minute", "hour", "day", "month"];

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Minute => "minute",
            Bucket::Hour => "hour",
            Bucket::Day => "day",
            Bucket::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Option<Bucket> {
        match text {
            "minute" => Some(Bucket::Minute),
            "hour" => Some(Bucket::Hour),
            "day" => Some(Bucket::Day),
            "month" => Some(Bucket::Month),
            _ => None,
        }
    }

    /// The longest range one request may cover, as in Fulcrum: it bounds
    /// the number of buckets (at most 1440 minutes, 168 hours, 90 days or
    /// 13 months) and so the size of every answer.
    pub fn max_range(self) -> TimeDelta {
        match self {
            Bucket::Minute => TimeDelta::hours(24),
            Bucket::Hour => TimeDelta::days(7),
            Bucket::Day => TimeDelta::days(90),
            Bucket::Month => TimeDelta::days(365),
        }
    }

    pub fn max_range_label(self) -> &'static str {
        match self {
            Bucket::Minute => "24 hours",
            Bucket::Hour => "7 days",
            Bucket::Day => "90 days",
            Bucket::Month => "365 days",
        }
    }
}

/// Partial results of one bucket, enough for every [`Aggregate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketStats {
    pub start: DateTime<Utc>,
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

/// A validated aggregation request over `[start, end]`, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggregateQuery {
    pub aggregate: Aggregate,
    pub bucket: Bucket,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl AggregateQuery {
    /// Reads Fulcrum's parameters: `aggregateType` (default `min`), `bucket`
    /// (default `hour`), `end` (default now) and `start` (default the
    /// bucket's longest range before `end`). Other parameters are ignored.
    pub fn parse(
        pairs: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<AggregateQuery, Vec<FieldError>> {
        let value = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, value)| key == name && !value.trim().is_empty())
                .map(|(_, value)| value.trim())
        };

        let aggregate = value("aggregateType").map_or(Ok(Aggregate::Min), |text| {
            Aggregate::parse(text).ok_or_else(|| one_of("aggregateType", Aggregate::NAMES, text))
        });
        let bucket = value("bucket").map_or(Ok(Bucket::Hour), |text| {
            Bucket::parse(text).ok_or_else(|| one_of("bucket", Bucket::NAMES, text))
        });
        let end = value("end").map_or(Ok(now), |text| parse_time("end", text));
        let start = value("start")
            .map(|text| parse_time("start", text))
            .transpose();

        let (aggregate, bucket, end, start) = match (aggregate, bucket, end, start) {
            (Ok(aggregate), Ok(bucket), Ok(end), Ok(start)) => (aggregate, bucket, end, start),
            (aggregate, bucket, end, start) => {
                let errors = [aggregate.err(), bucket.err(), end.err(), start.err()];
                return Err(errors.into_iter().flatten().collect());
            }
        };
        let start = match start.or_else(|| end.checked_sub_signed(bucket.max_range())) {
            Some(start) => start,
            None => return Err(vec![FieldError::new("end", "is too early")]),
        };
        if end < start {
            return Err(vec![FieldError::new("end", "must not be before start")]);
        }
        if end - start > bucket.max_range() {
            return Err(vec![FieldError::new(
                "start",
                format!(
                    "must be at most {} before end for bucket {}",
                    bucket.max_range_label(),
                    bucket.as_str()
                ),
            )]);
        }
        Ok(AggregateQuery {
            aggregate,
            bucket,
            start,
            end,
        })
    }
}

fn one_of(param: &str, allowed: &[&str], got: &str) -> FieldError {
    FieldError::new(
        param,
        format!("must be one of [{}], got {got:?}", allowed.join(", ")),
    )
}

/// An RFC 3339 time; a `+` in an offset arrives as a space when the caller
/// did not percent-encode it, so a space there is read as `+`.
fn parse_time(param: &str, text: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc3339(&text.replace(' ', "+")))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| FieldError::new(param, "must be an RFC 3339 time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        "2025-03-01T12:00:00Z".parse().unwrap()
    }

    fn stats(values: &[f64]) -> BucketStats {
        BucketStats {
            start: now(),
            count: values.len() as u64,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            sum: values.iter().sum(),
        }
    }

    #[test]
    fn each_function_reads_the_bucket_statistics() {
        let bucket = stats(&[4.0, 1.0, 10.0, 5.0]);
        assert_eq!(Aggregate::Min.of(&bucket), 1.0);
        assert_eq!(Aggregate::Max.of(&bucket), 10.0);
        assert_eq!(Aggregate::Sum.of(&bucket), 20.0);
        assert_eq!(Aggregate::Avg.of(&bucket), 5.0);
        assert_eq!(Aggregate::Diff.of(&bucket), 9.0);
    }

    #[test]
    fn an_empty_bucket_is_zero_for_every_function() {
        let empty = BucketStats {
            start: now(),
            count: 0,
            min: 0.0,
            max: 0.0,
            sum: 0.0,
        };
        for name in Aggregate::NAMES {
            assert_eq!(Aggregate::parse(name).unwrap().of(&empty), 0.0);
        }
    }

    #[test]
    fn defaults_are_min_per_hour_over_the_last_seven_days() {
        let query = AggregateQuery::parse(&[], now()).unwrap();
        assert_eq!(query.aggregate, Aggregate::Min);
        assert_eq!(query.bucket, Bucket::Hour);
        assert_eq!(query.end, now());
        assert_eq!(query.start, now() - TimeDelta::days(7));
    }

    #[test]
    fn the_default_start_follows_the_bucket() {
        for (name, range) in [
            ("minute", TimeDelta::hours(24)),
            ("hour", TimeDelta::days(7)),
            ("day", TimeDelta::days(90)),
            ("month", TimeDelta::days(365)),
        ] {
            let query = AggregateQuery::parse(&pairs(&[("bucket", name)]), now()).unwrap();
            assert_eq!(query.end - query.start, range, "{name}");
        }
    }

    #[test]
    fn a_range_longer_than_the_bucket_allows_names_start() {
        let ok = pairs(&[
            ("bucket", "minute"),
            ("start", "2025-02-28T12:00:00Z"),
            ("end", "2025-03-01T12:00:00Z"),
        ]);
        assert!(AggregateQuery::parse(&ok, now()).is_ok());
        let too_long = pairs(&[
            ("bucket", "minute"),
            ("start", "2025-02-28T11:59:59Z"),
            ("end", "2025-03-01T12:00:00Z"),
        ]);
        let errors = AggregateQuery::parse(&too_long, now()).unwrap_err();
        assert_eq!(errors[0].path, "start");
        assert!(
            errors[0].message.contains("24 hours"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn end_must_not_precede_start() {
        let backwards = pairs(&[
            ("start", "2025-03-01T12:00:00Z"),
            ("end", "2025-03-01T11:00:00Z"),
        ]);
        let errors = AggregateQuery::parse(&backwards, now()).unwrap_err();
        assert_eq!(errors[0].path, "end");
    }

    #[test]
    fn unknown_names_and_bad_times_are_all_reported() {
        let bad = pairs(&[
            ("aggregateType", "median"),
            ("bucket", "week"),
            ("start", "yesterday"),
            ("end", "today"),
        ]);
        let paths: Vec<String> = AggregateQuery::parse(&bad, now())
            .unwrap_err()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["aggregateType", "bucket", "end", "start"]);
    }

    #[test]
    fn an_unencoded_plus_in_an_offset_is_understood() {
        let query = AggregateQuery::parse(
            &pairs(&[("end", "2025-03-01T14:00:00 02:00"), ("bucket", "day")]),
            now(),
        )
        .unwrap();
        assert_eq!(query.end, now());
    }
}
