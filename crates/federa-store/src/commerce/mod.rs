//! The tables of the commercial layer inside a consumer: its projects.

mod projects;
