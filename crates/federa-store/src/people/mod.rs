//! The tables of people: users, their memberships of participants and
//! their personal tokens (of which only the value's hash is kept).

mod memberships;
mod personal_tokens;
mod users;
