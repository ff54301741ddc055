//! The commercial layer inside a consumer: its projects (cost centres),
//! which its service groups, and so its services, belong to.

pub mod project;

pub use project::{check_description, Project, MAX_DESCRIPTION_CHARS, PROJECT_LIST};
