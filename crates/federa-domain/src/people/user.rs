//! A user: a person who belongs to participants. An OpenID Connect login
//! whose subject is a user's acts as that user.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::access::Owners;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    /// The `sub` claim of the user's OpenID Connect logins; unique.
    pub oidc_subject: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// A user is its own: only it (and an admin) may reach it.
    pub fn owners(&self) -> Owners {
        Owners::user(self.id)
    }
}

pub const USER_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("email", "email", FilterKind::Exact),
        FilterSpec::new("oidcSubject", "oidc_subject", FilterKind::Exact),
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

/// The longest address RFC 5321 lets through.
pub const MAX_EMAIL_CHARS: usize = 254;

/// An e-mail address: trimmed, one `@` with text on both sides, no blanks,
/// at most [`MAX_EMAIL_CHARS`]; blank means none. Whether it receives mail
/// is not this rule's business.
pub fn check_email(path: &str, text: &str) -> Result<Option<String>, FieldError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let well_formed = matches!(trimmed.split_once('@'),
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
        && !trimmed.chars().any(char::is_whitespace);
    if !well_formed {
        return Err(FieldError::new(path, "must be an e-mail address"));
    }
    if trimmed.chars().count() > MAX_EMAIL_CHARS {
        return Err(FieldError::new(
            path,
            format!("must be at most {MAX_EMAIL_CHARS} characters"),
        ));
    }
    Ok(Some(trimmed.to_string()))
}

/// The longest OpenID Connect subject OpenID Connect Core allows.
pub const MAX_SUBJECT_CHARS: usize = 255;

/// An OpenID Connect subject, kept exactly as the issuer sends it (it is
/// compared, never shown trimmed); blank means none.
pub fn check_subject(path: &str, text: &str) -> Result<Option<String>, FieldError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_SUBJECT_CHARS {
        return Err(FieldError::new(
            path,
            format!("must be at most {MAX_SUBJECT_CHARS} characters"),
        ));
    }
    Ok(Some(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_needs_text_on_both_sides_of_one_at_sign() {
        assert_eq!(
            check_email("email", " ada@example.eu "),
            Ok(Some("ada@example.eu".into()))
        );
        assert_eq!(check_email("email", " "), Ok(None));
        for bad in ["ada", "@example.eu", "ada@", "a@b@c", "a da@example.eu"] {
            assert_eq!(check_email("email", bad).unwrap_err().path, "email");
        }
    }

    #[test]
    fn a_subject_is_kept_as_sent_and_bounded() {
        assert_eq!(check_subject("oidcSubject", " s1"), Ok(Some(" s1".into())));
        assert_eq!(check_subject("oidcSubject", ""), Ok(None));
        assert!(check_subject("oidcSubject", &"s".repeat(256)).is_err());
    }
}
