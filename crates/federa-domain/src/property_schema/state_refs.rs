//! Cross-check of state authorizers against a lifecycle.
//!
//! A property schema names lifecycle states in its `state` authorizers but is
//! parsed on its own; a service type must still refuse a name its lifecycle
//! does not declare, or the property could never be updated.

use super::error::PropertyError;
use super::types::{Authorizer, Properties, PropertyDefinition, PropertyKind};

pub(crate) fn unknown_states(
    properties: &Properties,
    owner: &str,
    is_state: &dyn Fn(&str) -> bool,
    out: &mut Vec<PropertyError>,
) {
    for (name, definition) in properties {
        visit(definition, &format!("{owner}.{name}"), is_state, out);
    }
}

fn visit(
    definition: &PropertyDefinition,
    path: &str,
    is_state: &dyn Fn(&str) -> bool,
    out: &mut Vec<PropertyError>,
) {
    // Parsing keeps every authorizer of a valid schema in order, so the
    // positions below are the positions in the document.
    for (index, authorizer) in definition.authorizers.iter().enumerate() {
        let Authorizer::State(states) = authorizer else {
            continue;
        };
        for (position, state) in states.iter().enumerate() {
            if !is_state(state) {
                out.push(PropertyError::new(
                    format!("{path}.authorizers[{index}].config.allowedStates[{position}]"),
                    format!("unknown state `{state}`"),
                ));
            }
        }
    }
    match &definition.kind {
        PropertyKind::Object(properties) => unknown_states(properties, path, is_state, out),
        PropertyKind::Array(items) => visit(items, &format!("{path}.items"), is_state, out),
        _ => {}
    }
}
