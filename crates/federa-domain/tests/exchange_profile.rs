//! Provider sovereignty profiles: what a valid profile looks like, every
//! problem reported with its path, certifications in time, and the country
//! table the rules lean on.

use chrono::{DateTime, TimeZone, Utc};
use federa_domain::exchange::countries::{self, Bloc, COUNTRIES};
use federa_domain::exchange::{Certification, CertificationKind, ProviderProfile, Region};
use federa_domain::listing::FieldError;
use serde_json::json;
use uuid::Uuid;

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .expect("valid test date")
}

fn region(code: &str, country: &str) -> Region {
    Region {
        code: code.into(),
        country: country.into(),
        name: None,
    }
}

fn profile() -> ProviderProfile {
    ProviderProfile {
        participant_id: Uuid::from_u128(1),
        jurisdiction: "FR".into(),
        subject_to_non_eu_law: false,
        regions: vec![
            Region {
                name: Some("Paris 1".into()),
                ..region("fr-par-1", "FR")
            },
            region("de-fra-1", "DE"),
        ],
        certifications: vec![Certification {
            kind: CertificationKind::SecNumCloud,
            expires_at: at(2027, 1, 31),
        }],
    }
}

fn error(path: &str, message: &str) -> FieldError {
    FieldError::new(path, message)
}

#[test]
fn a_complete_profile_is_valid() {
    assert_eq!(profile().validate(), Ok(()));
}

#[test]
fn every_problem_is_reported_with_its_path() {
    type Case = (&'static str, fn(&mut ProviderProfile), Vec<FieldError>);
    let cases: Vec<Case> = vec![
        (
            "unknown headquarters country",
            |p| p.jurisdiction = "XX".into(),
            vec![error(
                "jurisdiction",
                "must be an ISO 3166-1 alpha-2 country code",
            )],
        ),
        (
            "lower-case country code",
            |p| p.regions[1].country = "de".into(),
            vec![error(
                "regions[1].country",
                "must be an ISO 3166-1 alpha-2 country code",
            )],
        ),
        (
            "alpha-3 country code",
            |p| p.jurisdiction = "FRA".into(),
            vec![error(
                "jurisdiction",
                "must be an ISO 3166-1 alpha-2 country code",
            )],
        ),
        (
            "no region",
            |p| p.regions.clear(),
            vec![error("regions", "must declare at least one region")],
        ),
        (
            "upper-case region code",
            |p| p.regions[0].code = "FR-PAR-1".into(),
            vec![error(
                "regions[0].code",
                "must be 1 to 64 characters among a-z, 0-9 and -",
            )],
        ),
        (
            "empty region code",
            |p| p.regions[1].code = String::new(),
            vec![error(
                "regions[1].code",
                "must be 1 to 64 characters among a-z, 0-9 and -",
            )],
        ),
        (
            "region code of 65 characters",
            |p| p.regions[1].code = "a".repeat(65),
            vec![error(
                "regions[1].code",
                "must be 1 to 64 characters among a-z, 0-9 and -",
            )],
        ),
        (
            "duplicate region code",
            |p| p.regions.push(region("fr-par-1", "FR")),
            vec![error(
                "regions[2].code",
                "duplicates region code `fr-par-1` of regions[0]",
            )],
        ),
        (
            "blank region name",
            |p| p.regions[1].name = Some("   ".into()),
            vec![error("regions[1].name", "must not be empty")],
        ),
        (
            "several problems at once",
            |p| {
                p.jurisdiction = "EU".into();
                p.regions.push(Region {
                    code: "de_fra_2".into(),
                    country: "Germany".into(),
                    name: None,
                });
            },
            vec![
                error("jurisdiction", "must be an ISO 3166-1 alpha-2 country code"),
                error(
                    "regions[2].code",
                    "must be 1 to 64 characters among a-z, 0-9 and -",
                ),
                error(
                    "regions[2].country",
                    "must be an ISO 3166-1 alpha-2 country code",
                ),
            ],
        ),
    ];
    for (name, change, expected) in cases {
        let mut candidate = profile();
        change(&mut candidate);
        assert_eq!(candidate.validate(), Err(expected), "{name}");
    }
}

#[test]
fn region_codes_of_64_characters_are_accepted() {
    let mut long = profile();
    long.regions[1].code = "a".repeat(64);
    assert_eq!(long.validate(), Ok(()));
}

#[test]
fn a_certification_counts_until_its_expiry_instant() {
    let p = profile();
    let kind = CertificationKind::SecNumCloud;
    let cases = [
        (at(2026, 6, 1), true),
        (at(2027, 1, 30), true),
        (at(2027, 1, 31), false),
        (at(2027, 2, 1), false),
    ];
    for (now, valid) in cases {
        assert_eq!(p.certification_valid_at(kind, now), valid, "at {now}");
    }
    assert!(!p.certification_valid_at(CertificationKind::Hds, at(2026, 1, 1)));
}

#[test]
fn a_renewal_keeps_the_certification_valid_after_the_old_one_expires() {
    let mut p = profile();
    p.certifications.push(Certification {
        kind: CertificationKind::SecNumCloud,
        expires_at: at(2030, 1, 31),
    });
    assert!(p.certification_valid_at(CertificationKind::SecNumCloud, at(2028, 1, 1)));
    assert_eq!(
        p.latest_expiry(CertificationKind::SecNumCloud),
        Some(at(2030, 1, 31))
    );
    assert_eq!(p.latest_expiry(CertificationKind::Tisax), None);
}

#[test]
fn certification_kinds_use_their_scheme_names_on_the_wire() {
    let names = [
        "ISO27001",
        "ISO27017",
        "ISO27018",
        "SecNumCloud",
        "BSIC5",
        "EUCSBasic",
        "EUCSSubstantial",
        "EUCSHigh",
        "CISPECodeOfConduct",
        "GaiaXStandardCompliance",
        "GaiaXLabel1",
        "GaiaXLabel2",
        "GaiaXLabel3",
        "HDS",
        "TISAX",
    ];
    assert_eq!(CertificationKind::ALL.len(), names.len());
    for (kind, name) in CertificationKind::ALL.iter().zip(names) {
        assert_eq!(serde_json::to_value(kind).ok(), Some(json!(name)));
        assert_eq!(kind.as_str(), name);
        assert_eq!(kind.to_string(), name);
        let parsed: Result<CertificationKind, _> = serde_json::from_value(json!(name));
        assert_eq!(parsed.ok(), Some(*kind));
    }
    let unknown: Result<CertificationKind, _> = serde_json::from_value(json!("ISO9001"));
    assert!(unknown.is_err());
}

#[test]
fn profiles_serialize_in_camel_case_and_round_trip() {
    let p = profile();
    let value = serde_json::to_value(&p).expect("serializes");
    assert_eq!(
        value,
        json!({
            "participantId": "00000000-0000-0000-0000-000000000001",
            "jurisdiction": "FR",
            "subjectToNonEuLaw": false,
            "regions": [
                {"code": "fr-par-1", "country": "FR", "name": "Paris 1"},
                {"code": "de-fra-1", "country": "DE", "name": null}
            ],
            "certifications": [
                {"kind": "SecNumCloud", "expiresAt": "2027-01-31T00:00:00Z"}
            ]
        })
    );
    let back: ProviderProfile = serde_json::from_value(value).expect("parses");
    assert_eq!(back, p);
}

#[test]
fn countries_know_the_eu_and_the_eea() {
    let cases = [
        ("FR", true, true),
        ("DE", true, true),
        ("MT", true, true),
        ("NO", false, true),
        ("IS", false, true),
        ("LI", false, true),
        ("CH", false, false),
        ("GB", false, false),
        ("US", false, false),
        ("fr", false, false),
        ("XX", false, false),
    ];
    for (code, eu, eea) in cases {
        assert_eq!(countries::is_eu(code), eu, "{code} in the EU");
        assert_eq!(countries::is_eea(code), eea, "{code} in the EEA");
    }
    assert_eq!(COUNTRIES.iter().filter(|c| c.bloc == Bloc::Eu).count(), 27);
}

#[test]
fn the_country_table_is_well_formed_and_covers_the_required_codes() {
    for (index, country) in COUNTRIES.iter().enumerate() {
        assert_eq!(country.code.len(), 2, "{}", country.code);
        assert!(country.code.bytes().all(|b| b.is_ascii_uppercase()));
        assert!(
            COUNTRIES[..index].iter().all(|c| c.code != country.code),
            "{} listed twice",
            country.code
        );
        assert!((-90.0..=90.0).contains(&country.latitude));
        assert!((-180.0..=180.0).contains(&country.longitude));
    }
    for code in [
        "CH", "GB", "NO", "IS", "LI", "US", "CA", "CN", "JP", "IN", "BR", "AU", "UA", "RS", "AL",
    ] {
        assert!(countries::is_country(code), "{code}");
    }
}

#[test]
fn distances_between_capitals_are_about_right() {
    let cases = [
        ("FR", "FR", 0.0, 0.0),
        ("FR", "DE", 850.0, 900.0),
        ("FR", "GB", 330.0, 360.0),
        ("FR", "US", 6100.0, 6250.0),
    ];
    for (from, to, low, high) in cases {
        let km = countries::distance_km(from, to).expect("known countries");
        assert!((low..=high).contains(&km), "{from}-{to}: {km}");
        assert_eq!(countries::distance_km(to, from), Some(km));
    }
    assert_eq!(countries::distance_km("FR", "XX"), None);
}
