//! The countries the exchange knows: which ISO 3166-1 alpha-2 codes it
//! accepts, which of them are in the EU or the EEA, and roughly where their
//! capitals lie so placements can be ranked by distance.
//!
//! This is a reference table, not a wire type: it is never deserialized.
//! The coordinates are approximate (two decimals) because they only order
//! candidates; they must never be shown as a precise location.

/// Where a country stands towards the EU's legal order, as far as the
/// exchange's jurisdiction rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bloc {
    /// A member state of the European Union.
    Eu,
    /// In the European Economic Area but not in the EU (IS, LI, NO).
    Eea,
    /// Any other country, including CH and GB.
    Other,
}

/// One known country.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Country {
    /// Upper-case ISO 3166-1 alpha-2 code, e.g. `FR`.
    pub code: &'static str,
    pub name: &'static str,
    pub bloc: Bloc,
    /// Approximate latitude of the capital, in degrees.
    pub latitude: f64,
    /// Approximate longitude of the capital, in degrees.
    pub longitude: f64,
}

const fn c(code: &'static str, name: &'static str, bloc: Bloc, lat: f64, lon: f64) -> Country {
    Country {
        code,
        name,
        bloc,
        latitude: lat,
        longitude: lon,
    }
}

use Bloc::{Eea, Eu, Other};

/// Every country the exchange accepts, EU member states first.
pub const COUNTRIES: &[Country] = &[
    // European Union.
    c("AT", "Austria", Eu, 48.21, 16.37),
    c("BE", "Belgium", Eu, 50.85, 4.35),
    c("BG", "Bulgaria", Eu, 42.70, 23.32),
    c("HR", "Croatia", Eu, 45.81, 15.98),
    c("CY", "Cyprus", Eu, 35.17, 33.36),
    c("CZ", "Czechia", Eu, 50.08, 14.44),
    c("DK", "Denmark", Eu, 55.68, 12.57),
    c("EE", "Estonia", Eu, 59.44, 24.75),
    c("FI", "Finland", Eu, 60.17, 24.94),
    c("FR", "France", Eu, 48.86, 2.35),
    c("DE", "Germany", Eu, 52.52, 13.40),
    c("GR", "Greece", Eu, 37.98, 23.73),
    c("HU", "Hungary", Eu, 47.50, 19.04),
    c("IE", "Ireland", Eu, 53.35, -6.26),
    c("IT", "Italy", Eu, 41.90, 12.50),
    c("LV", "Latvia", Eu, 56.95, 24.11),
    c("LT", "Lithuania", Eu, 54.69, 25.28),
    c("LU", "Luxembourg", Eu, 49.61, 6.13),
    c("MT", "Malta", Eu, 35.90, 14.51),
    c("NL", "Netherlands", Eu, 52.37, 4.90),
    c("PL", "Poland", Eu, 52.23, 21.01),
    c("PT", "Portugal", Eu, 38.72, -9.14),
    c("RO", "Romania", Eu, 44.43, 26.10),
    c("SK", "Slovakia", Eu, 48.15, 17.11),
    c("SI", "Slovenia", Eu, 46.06, 14.51),
    c("ES", "Spain", Eu, 40.42, -3.70),
    c("SE", "Sweden", Eu, 59.33, 18.07),
    // European Economic Area outside the EU.
    c("IS", "Iceland", Eea, 64.15, -21.94),
    c("LI", "Liechtenstein", Eea, 47.14, 9.52),
    c("NO", "Norway", Eea, 59.91, 10.75),
    // Rest of Europe.
    c("CH", "Switzerland", Other, 46.95, 7.45),
    c("GB", "United Kingdom", Other, 51.51, -0.13),
    c("AD", "Andorra", Other, 42.51, 1.52),
    c("AL", "Albania", Other, 41.33, 19.82),
    c("AM", "Armenia", Other, 40.18, 44.51),
    c("AZ", "Azerbaijan", Other, 40.41, 49.87),
    c("BA", "Bosnia and Herzegovina", Other, 43.86, 18.41),
    c("BY", "Belarus", Other, 53.90, 27.57),
    c("GE", "Georgia", Other, 41.72, 44.79),
    c("MC", "Monaco", Other, 43.73, 7.42),
    c("MD", "Moldova", Other, 47.01, 28.86),
    c("ME", "Montenegro", Other, 42.44, 19.26),
    c("MK", "North Macedonia", Other, 42.00, 21.43),
    c("RS", "Serbia", Other, 44.79, 20.45),
    c("RU", "Russia", Other, 55.76, 37.62),
    c("SM", "San Marino", Other, 43.94, 12.45),
    c("TR", "Türkiye", Other, 39.93, 32.86),
    c("UA", "Ukraine", Other, 50.45, 30.52),
    c("VA", "Holy See", Other, 41.90, 12.45),
    // Rest of the world.
    c("AE", "United Arab Emirates", Other, 24.45, 54.38),
    c("AR", "Argentina", Other, -34.60, -58.38),
    c("AU", "Australia", Other, -35.28, 149.13),
    c("BR", "Brazil", Other, -15.79, -47.88),
    c("CA", "Canada", Other, 45.42, -75.70),
    c("CL", "Chile", Other, -33.45, -70.67),
    c("CN", "China", Other, 39.90, 116.41),
    c("CO", "Colombia", Other, 4.71, -74.07),
    c("DZ", "Algeria", Other, 36.75, 3.06),
    c("EG", "Egypt", Other, 30.04, 31.24),
    c("HK", "Hong Kong", Other, 22.32, 114.17),
    c("ID", "Indonesia", Other, -6.21, 106.85),
    c("IL", "Israel", Other, 31.77, 35.21),
    c("IN", "India", Other, 28.61, 77.21),
    c("JP", "Japan", Other, 35.68, 139.69),
    c("KE", "Kenya", Other, -1.29, 36.82),
    c("KR", "South Korea", Other, 37.57, 126.98),
    c("KZ", "Kazakhstan", Other, 51.17, 71.45),
    c("MA", "Morocco", Other, 34.02, -6.84),
    c("MX", "Mexico", Other, 19.43, -99.13),
    c("MY", "Malaysia", Other, 3.139, 101.69),
    c("NG", "Nigeria", Other, 9.08, 7.40),
    c("NZ", "New Zealand", Other, -41.29, 174.78),
    c("PH", "Philippines", Other, 14.60, 120.98),
    c("QA", "Qatar", Other, 25.29, 51.53),
    c("SA", "Saudi Arabia", Other, 24.71, 46.68),
    c("SG", "Singapore", Other, 1.35, 103.82),
    c("TH", "Thailand", Other, 13.76, 100.50),
    c("TN", "Tunisia", Other, 36.81, 10.18),
    c("TW", "Taiwan", Other, 25.03, 121.57),
    c("US", "United States", Other, 38.91, -77.04),
    c("VN", "Vietnam", Other, 21.03, 105.85),
    c("ZA", "South Africa", Other, -25.75, 28.19),
];

/// The message every country-code check reports.
pub const NOT_A_COUNTRY: &str = "must be an ISO 3166-1 alpha-2 country code";

/// The country with this code. Codes are upper case, as ISO writes them;
/// `fr` is not accepted so stored codes compare equal byte for byte.
pub fn lookup(code: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|country| country.code == code)
}

pub fn is_country(code: &str) -> bool {
    lookup(code).is_some()
}

/// Whether `code` is an EU member state.
pub fn is_eu(code: &str) -> bool {
    lookup(code).is_some_and(|country| country.bloc == Bloc::Eu)
}

/// Whether `code` is in the European Economic Area (the EU plus IS, LI,
/// NO): the area the `eu` jurisdiction rules accept, since EEA law carries
/// the same data-protection obligations.
pub fn is_eea(code: &str) -> bool {
    lookup(code).is_some_and(|country| matches!(country.bloc, Bloc::Eu | Bloc::Eea))
}

const EARTH_RADIUS_KM: f64 = 6371.0;

/// Great-circle distance between two countries' capitals, in kilometres;
/// `None` when either code is unknown.
pub fn distance_km(from: &str, to: &str) -> Option<f64> {
    let a = lookup(from)?;
    let b = lookup(to)?;
    Some(haversine_km(
        a.latitude,
        a.longitude,
        b.latitude,
        b.longitude,
    ))
}

fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let h = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    // Rounding can push `h` a hair above 1 for antipodes; asin would be NaN.
    2.0 * EARTH_RADIUS_KM * h.clamp(0.0, 1.0).sqrt().asin()
}
