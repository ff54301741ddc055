//! People: users (known by their OpenID Connect subject or created by an
//! admin), their memberships of participants with a role and, optionally,
//! some of the participant's projects, and the personal tokens through
//! which a user acts for one participant it belongs to.

pub mod membership;
pub mod personal_token;
pub mod user;

pub use membership::{check_projects, may_assign, Membership, MEMBERSHIP_LIST};
pub use personal_token::{PersonalToken, PERSONAL_TOKEN_LIST};
pub use user::{check_email, check_subject, User, USER_LIST};
