//! A consumer's saved placement policy applies to every request it makes:
//! merging narrows the request, never widens it.

use crate::listing::FieldError;

use super::request::PlacementRequest;

impl PlacementRequest {
    /// This request constrained by the consumer's `policy`: countries and
    /// regions allowed by both, the stricter jurisdiction rule, every
    /// certification either requires, the lower price cap. The request's
    /// strategy and `nearCountry` win; they say how to choose, not what is
    /// allowed.
    ///
    /// Fails when the two allow no common country or region: an empty list
    /// means "any", so returning one would silently lift both limits.
    pub fn merge_policy(
        &self,
        policy: &PlacementRequest,
    ) -> Result<PlacementRequest, Vec<FieldError>> {
        let mut conflicts = Vec::new();
        let countries = intersect(
            "countries",
            "country",
            &self.countries,
            &policy.countries,
            &mut conflicts,
        );
        let regions = intersect(
            "regions",
            "region",
            &self.regions,
            &policy.regions,
            &mut conflicts,
        );
        if !conflicts.is_empty() {
            return Err(conflicts);
        }
        let mut required_certifications = Vec::new();
        for kind in self
            .required_certifications
            .iter()
            .chain(&policy.required_certifications)
        {
            if !required_certifications.contains(kind) {
                required_certifications.push(*kind);
            }
        }
        let max_hourly_price = match (self.max_hourly_price, policy.max_hourly_price) {
            (Some(mine), Some(theirs)) => Some(mine.min(theirs)),
            (mine, theirs) => mine.or(theirs),
        };
        Ok(PlacementRequest {
            countries,
            regions,
            jurisdiction: self.jurisdiction.stricter(policy.jurisdiction),
            required_certifications,
            max_hourly_price,
            strategy: self.strategy,
            near_country: self.near_country.clone(),
        })
    }
}

/// The values both lists allow, in the request's order, where an empty
/// list allows everything.
fn intersect(
    path: &str,
    noun: &str,
    requested: &[String],
    policy: &[String],
    conflicts: &mut Vec<FieldError>,
) -> Vec<String> {
    let allowed: Vec<String> = match (requested.is_empty(), policy.is_empty()) {
        (true, _) => policy.to_vec(),
        (_, true) => requested.to_vec(),
        _ => requested
            .iter()
            .filter(|value| policy.contains(value))
            .cloned()
            .collect(),
    };
    let mut unique: Vec<String> = Vec::new();
    for value in allowed {
        if !unique.contains(&value) {
            unique.push(value);
        }
    }
    if unique.is_empty() && !requested.is_empty() && !policy.is_empty() {
        conflicts.push(FieldError::new(
            path,
            format!(
                "no {noun} is allowed by both the request ({}) and the consumer's policy ({})",
                requested.join(", "),
                policy.join(", ")
            ),
        ));
    }
    unique
}
