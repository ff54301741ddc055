//! An offering's exit terms: what a customer leaving it for another
//! provider (or its own premises) can count on, as the EU Data Act
//! (Regulation (EU) 2023/2854, Chapter VI) requires a provider to state
//! them — the notice it may ask, how long the service keeps running after
//! the switch, what data can be taken along in which format, and the
//! switching charge with the date rule of its Article 29.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::amount;
use super::problems::Problems;
use crate::listing::FieldError;

/// The longest notice a provider may ask before a switch starts: the Act
/// allows at most two months.
pub const MAX_NOTICE_PERIOD_DAYS: u32 = 60;

/// The shortest transitional period, the Act's 30 days.
pub const MIN_TRANSITIONAL_PERIOD_DAYS: u32 = 30;

/// The longest transitional period: the Act lets a provider extend the
/// 30 days to at most seven months when they are technically not enough.
pub const MAX_TRANSITIONAL_PERIOD_DAYS: u32 = 210;

/// The first day no switching charge may be asked (Article 29(1)).
pub fn charges_end_on() -> NaiveDate {
    // A fixed, valid calendar date; the fallback is never taken.
    NaiveDate::from_ymd_opt(2027, 1, 12).unwrap_or(NaiveDate::MAX)
}

/// When an offering states none, the terms are the most a customer may
/// ask for under the Act: no notice, the minimum transitional period, no
/// charge. Nothing is exportable, because nothing is known to be: a
/// provider whose driver can export says what and in which format; it
/// imports what it exports unless it says otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct ExitTerms {
    /// The longest notice the provider may ask before a switch starts, in
    /// days; at most 60.
    pub notice_period_days: u32,
    /// How long the source keeps running after the switch, in days; 30 to
    /// 210.
    pub transitional_period_days: u32,
    /// The data and digital assets a customer can take along; empty when
    /// nothing can be exported.
    pub exportable: Vec<Exportable>,
    /// The media types a switch to this offering can bring data in as,
    /// e.g. `application/json`; empty when the offering cannot be the
    /// target of a switch. Absent, the formats of `exportable`: a driver
    /// that writes a format reads it back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub importable: Option<Vec<String>>,
    /// EUR asked for a switch before 12 January 2027; never negative.
    #[serde(deserialize_with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub switching_charge: Decimal,
}

/// One kind of data or digital asset a customer can export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Exportable {
    /// What is exported, e.g. `data` or `disk`; unique within the terms.
    pub name: String,
    /// The media type it is exported as, e.g. `application/json`.
    pub format: String,
}

/// Exit terms as a placement shows them: as stated, with the switching
/// charge of a switch asked for on `date`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExitTermsOn {
    #[serde(flatten)]
    pub terms: ExitTerms,
    /// The day the charge below was computed for (UTC), e.g. `2027-01-12`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: NaiveDate,
    /// EUR a switch asked for on `date` would be charged.
    #[serde(deserialize_with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub switching_charge_due: Decimal,
}

impl Default for ExitTerms {
    fn default() -> ExitTerms {
        ExitTerms {
            notice_period_days: 0,
            transitional_period_days: MIN_TRANSITIONAL_PERIOD_DAYS,
            exportable: Vec::new(),
            importable: None,
            switching_charge: Decimal::ZERO,
        }
    }
}

impl ExitTermsOn {
    /// The terms in a line for people, e.g. "notice of at most 30 days,
    /// transitional period of 30 days, exportable: data (application/json),
    /// switching charge 0 EUR on 2027-01-12".
    pub fn summary(&self) -> String {
        let terms = &self.terms;
        let exportable = if terms.exportable.is_empty() {
            "nothing exportable".to_owned()
        } else {
            let listed: Vec<String> = terms
                .exportable
                .iter()
                .map(|item| format!("{} ({})", item.name, item.format))
                .collect();
            format!("exportable: {}", listed.join(", "))
        };
        format!(
            "notice of at most {} days, transitional period of {} days, {exportable}, switching charge {} EUR on {}",
            terms.notice_period_days,
            terms.transitional_period_days,
            self.switching_charge_due.normalize(),
            self.date,
        )
    }
}

impl ExitTerms {
    /// The switching charge of a switch asked for on `date`: the stated
    /// charge before 12 January 2027, nothing from that day on.
    pub fn switching_charge_on(&self, date: NaiveDate) -> Decimal {
        if date < charges_end_on() {
            self.switching_charge
        } else {
            Decimal::ZERO
        }
    }

    /// Whether a switch to this offering can bring in data exported as
    /// `format`: one of the importable media types is the same type and
    /// subtype (compared without regard to case), with no parameters or
    /// the same ones.
    pub fn imports(&self, format: &str) -> bool {
        let (essence, parameters) = media_type_parts(format);
        self.importable_formats().iter().any(|importable| {
            let (accepted, required) = media_type_parts(importable);
            accepted == essence && (required.is_empty() || required == parameters)
        })
    }

    /// The media types a switch to this offering can bring data in as:
    /// as stated, or else those it exports.
    pub fn importable_formats(&self) -> Vec<&str> {
        match &self.importable {
            Some(stated) => stated.iter().map(String::as_str).collect(),
            None => self
                .exportable
                .iter()
                .map(|item| item.format.as_str())
                .collect(),
        }
    }

    /// The terms with their switching charge on `date`.
    pub fn on(&self, date: NaiveDate) -> ExitTermsOn {
        ExitTermsOn {
            terms: self.clone(),
            date,
            switching_charge_due: self.switching_charge_on(date),
        }
    }

    /// Every problem with the terms, with paths such as
    /// `exitTerms.noticePeriodDays`.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut problems = Problems::default();
        self.check(&mut problems);
        problems.into_result()
    }

    pub(crate) fn check(&self, problems: &mut Problems) {
        if self.notice_period_days > MAX_NOTICE_PERIOD_DAYS {
            problems.push(
                "exitTerms.noticePeriodDays",
                format!("must be at most {MAX_NOTICE_PERIOD_DAYS} days (two months)"),
            );
        }
        if !(MIN_TRANSITIONAL_PERIOD_DAYS..=MAX_TRANSITIONAL_PERIOD_DAYS)
            .contains(&self.transitional_period_days)
        {
            problems.push(
                "exitTerms.transitionalPeriodDays",
                format!(
                    "must be from {MIN_TRANSITIONAL_PERIOD_DAYS} to {MAX_TRANSITIONAL_PERIOD_DAYS} days (30 days, extendable to seven months)"
                ),
            );
        }
        for (index, exportable) in self.exportable.iter().enumerate() {
            let path = format!("exitTerms.exportable[{index}]");
            problems.named_once(
                format!("{path}.name"),
                &exportable.name,
                self.exportable[..index]
                    .iter()
                    .map(|earlier| earlier.name.as_str()),
                format!("`{}` is listed twice", exportable.name),
            );
            if !is_media_type(&exportable.format) {
                problems.push(
                    format!("{path}.format"),
                    "must be a media type such as application/json",
                );
            }
        }
        let stated = self.importable.as_deref().unwrap_or_default();
        for (index, importable) in stated.iter().enumerate() {
            let path = format!("exitTerms.importable[{index}]");
            if !is_media_type(importable) {
                problems.push(path, "must be a media type such as application/json");
            } else if stated[..index].contains(importable) {
                problems.push(path, format!("`{importable}` is listed twice"));
            }
        }
        problems.not_negative("exitTerms.switchingCharge", self.switching_charge);
    }
}

/// A media type's type and subtype in lower case, and its parameters
/// without the spaces around them.
fn media_type_parts(text: &str) -> (String, Vec<String>) {
    let mut parts = text.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default().to_ascii_lowercase();
    (essence, parts.map(str::to_owned).collect())
}

/// `type/subtype`, optionally followed by `;` and parameters, with the
/// type and subtype made of the token characters of RFC 9110.
fn is_media_type(text: &str) -> bool {
    let essence = text.split(';').next().unwrap_or_default();
    let token = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
    };
    match essence.split_once('/') {
        Some((kind, subtype)) => token(kind) && token(subtype),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("a calendar date")
    }

    fn charging(amount: &str) -> ExitTerms {
        ExitTerms {
            switching_charge: amount.parse().expect("an amount"),
            ..ExitTerms::default()
        }
    }

    fn paths(terms: &ExitTerms) -> Vec<String> {
        terms
            .validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|error| error.path)
            .collect()
    }

    #[test]
    fn the_stated_charge_applies_until_the_eleventh_of_january_2027() {
        let terms = charging("120.50");
        assert_eq!(
            terms.switching_charge_on(date(2026, 12, 3)),
            "120.50".parse::<Decimal>().unwrap()
        );
        assert_eq!(
            terms.switching_charge_on(date(2027, 1, 11)),
            "120.50".parse::<Decimal>().unwrap()
        );
    }

    #[test]
    fn no_charge_from_the_twelfth_of_january_2027_on() {
        let terms = charging("120.50");
        assert_eq!(terms.switching_charge_on(date(2027, 1, 12)), Decimal::ZERO);
        assert_eq!(terms.switching_charge_on(date(2031, 6, 1)), Decimal::ZERO);
    }

    #[test]
    fn terms_shown_on_a_date_keep_the_stated_charge_and_give_the_one_due() {
        let terms = charging("80");
        let before = serde_json::to_value(terms.on(date(2027, 1, 11))).unwrap();
        assert_eq!(before["switchingCharge"], "80");
        assert_eq!(before["switchingChargeDue"], "80");
        assert_eq!(before["date"], "2027-01-11");
        let after = terms.on(date(2027, 1, 12));
        assert_eq!(after.switching_charge_due, Decimal::ZERO);
        let read_back: ExitTermsOn =
            serde_json::from_value(serde_json::to_value(&after).unwrap()).unwrap();
        assert_eq!(read_back, after);
    }

    #[test]
    fn a_summary_names_every_term_and_the_charge_due() {
        let mut terms = charging("50.00");
        terms.notice_period_days = 14;
        terms.exportable = vec![
            Exportable {
                name: "data".into(),
                format: "application/json".into(),
            },
            Exportable {
                name: "disk".into(),
                format: "application/x-qemu-disk".into(),
            },
        ];
        assert_eq!(
            terms.on(date(2026, 12, 3)).summary(),
            "notice of at most 14 days, transitional period of 30 days, exportable: data (application/json), disk (application/x-qemu-disk), switching charge 50 EUR on 2026-12-03"
        );
        assert_eq!(
            ExitTerms::default().on(date(2027, 1, 12)).summary(),
            "notice of at most 0 days, transitional period of 30 days, nothing exportable, switching charge 0 EUR on 2027-01-12"
        );
    }

    #[test]
    fn the_defaults_are_valid_and_ask_nothing_of_the_customer() {
        let terms = ExitTerms::default();
        assert_eq!(terms.validate(), Ok(()));
        assert_eq!(terms.notice_period_days, 0);
        assert_eq!(terms.transitional_period_days, 30);
        assert!(terms.exportable.is_empty());
        assert_eq!(terms.switching_charge_on(date(2026, 1, 1)), Decimal::ZERO);
    }

    #[test]
    fn the_limits_of_the_act_are_accepted() {
        let terms = ExitTerms {
            notice_period_days: 60,
            transitional_period_days: 210,
            exportable: vec![Exportable {
                name: "data".into(),
                format: "application/json; charset=utf-8".into(),
            }],
            importable: Some(vec!["application/json".into()]),
            switching_charge: Decimal::ZERO,
        };
        assert_eq!(terms.validate(), Ok(()));
    }

    #[test]
    fn every_broken_rule_is_named_at_once() {
        let exportable = |name: &str, format: &str| Exportable {
            name: name.into(),
            format: format.into(),
        };
        let terms = ExitTerms {
            notice_period_days: 61,
            transitional_period_days: 29,
            exportable: vec![
                exportable("data", "application/json"),
                exportable("data", "text/csv"),
                exportable("", "json"),
            ],
            importable: None,
            switching_charge: "-0.01".parse().unwrap(),
        };
        assert_eq!(
            paths(&terms),
            [
                "exitTerms.noticePeriodDays",
                "exitTerms.transitionalPeriodDays",
                "exitTerms.exportable[1].name",
                "exitTerms.exportable[2].name",
                "exitTerms.exportable[2].format",
                "exitTerms.switchingCharge",
            ]
        );
        let longest = ExitTerms {
            transitional_period_days: 211,
            ..ExitTerms::default()
        };
        assert_eq!(paths(&longest), ["exitTerms.transitionalPeriodDays"]);
    }

    #[test]
    fn an_offering_imports_a_format_of_the_same_type_and_subtype() {
        let terms = ExitTerms {
            importable: Some(vec![
                "application/json".into(),
                "text/csv; header=present".into(),
            ]),
            ..ExitTerms::default()
        };
        assert!(terms.imports("application/json"));
        assert!(terms.imports("Application/JSON; charset=utf-8"));
        assert!(terms.imports("text/csv;header=present"));
        assert!(!terms.imports("text/csv"));
        assert!(!terms.imports("application/x-qemu-disk"));
        assert!(!ExitTerms::default().imports("application/json"));
        let exporting = ExitTerms {
            exportable: vec![Exportable {
                name: "data".into(),
                format: "application/json".into(),
            }],
            ..ExitTerms::default()
        };
        assert!(exporting.imports("application/json"), "what it exports");
        let refusing = ExitTerms {
            importable: Some(Vec::new()),
            ..exporting
        };
        assert!(!refusing.imports("application/json"));
    }

    #[test]
    fn importable_formats_are_distinct_media_types() {
        let terms = ExitTerms {
            importable: Some(vec![
                "application/json".into(),
                "json".into(),
                "application/json".into(),
            ]),
            ..ExitTerms::default()
        };
        assert_eq!(
            paths(&terms),
            ["exitTerms.importable[1]", "exitTerms.importable[2]"]
        );
    }

    #[test]
    fn a_media_type_has_a_type_and_a_subtype() {
        for good in [
            "application/json",
            "application/vnd.oci.image+json",
            "text/csv;header=present",
        ] {
            assert!(is_media_type(good), "{good}");
        }
        for bad in [
            "",
            "json",
            "/json",
            "application/",
            "application/js on",
            "a/b/c",
        ] {
            assert!(!is_media_type(bad), "{bad}");
        }
    }

    #[test]
    fn stated_fields_keep_the_defaults_of_the_rest() {
        let terms: ExitTerms = serde_json::from_value(serde_json::json!({
            "noticePeriodDays": 14,
            "exportable": [{"name": "data", "format": "application/json"}]
        }))
        .unwrap();
        assert_eq!(terms.notice_period_days, 14);
        assert_eq!(terms.transitional_period_days, 30);
        assert_eq!(terms.switching_charge, Decimal::ZERO);
        assert_eq!(terms.importable, None);
        assert!(
            serde_json::from_value::<ExitTerms>(serde_json::json!({"switchingCharge": 5})).is_err()
        );
    }
}
