//! Authorization: who may do what to which object.
//!
//! Every endpoint asks the same question — may this identity perform this
//! action on an object with these owners? — and gets its answer from one
//! table ([`rules::grant`]). Handlers never compare ids themselves.

mod identity;
mod rules;

pub use identity::{Caller, Identity, MemberRole, Person, ProjectReach, Role};
pub use rules::{grant, person_grant, Action, Denied, Grant, ListScope, Object, Owners, Relation};
