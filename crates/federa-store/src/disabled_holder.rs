//! Who makes a credential unusable: what the authentication asks of every
//! request (see `Store::disabled_holder`), and what the read caches keep.

/// The holder that is disabled: the participant a credential acts for, or
/// the agent it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledHolder {
    Participant,
    Agent,
}
