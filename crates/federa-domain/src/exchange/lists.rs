//! What the exchange's list endpoints accept: filters and sorts, each
//! naming the column it reads.

use super::switching::SwitchStage;
use crate::listing::{FilterKind, FilterSpec, ListSpec};

pub const PROVIDER_PROFILE_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("participantId", "participant_id", FilterKind::Uuid),
        FilterSpec::new("jurisdiction", "jurisdiction", FilterKind::Exact),
        FilterSpec::new(
            "subjectToNonEuLaw",
            "subject_to_non_eu_law",
            FilterKind::Bool,
        ),
    ],
    sorts: &[
        ("jurisdiction", "jurisdiction"),
        ("createdAt", "created_at"),
        ("updatedAt", "updated_at"),
    ],
    default_sort: ("created_at", false),
};

pub const OFFERING_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("participantId", "participant_id", FilterKind::Uuid),
        FilterSpec::new("serviceTypeId", "service_type_id", FilterKind::Uuid),
        FilterSpec::new("enabled", "enabled", FilterKind::Bool),
    ],
    sorts: &[("createdAt", "created_at"), ("updatedAt", "updated_at")],
    default_sort: ("created_at", false),
};

pub const PLACEMENT_POLICY_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("participantId", "participant_id", FilterKind::Uuid),
        FilterSpec::new("attached", "attached", FilterKind::Bool),
    ],
    sorts: &[
        ("name", "LOWER(name)"),
        ("createdAt", "created_at"),
        ("updatedAt", "updated_at"),
    ],
    default_sort: ("created_at", false),
};

pub const SWITCH_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("consumerId", "consumer_id", FilterKind::Uuid),
        FilterSpec::new("stage", "stage", FilterKind::OneOf(SwitchStage::NAMES)),
        FilterSpec::new("sourceServiceId", "source_service_id", FilterKind::Uuid),
        FilterSpec::new("targetServiceId", "target_service_id", FilterKind::Uuid),
        FilterSpec::new("compositionId", "composition_id", FilterKind::Uuid),
        FilterSpec::new(
            "compositionSwitchId",
            "composition_switch_id",
            FilterKind::Uuid,
        ),
    ],
    sorts: &[("createdAt", "created_at"), ("updatedAt", "updated_at")],
    default_sort: ("created_at", false),
};

pub const COMPOSITION_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("consumerId", "consumer_id", FilterKind::Uuid),
        FilterSpec::new("status", "status", FilterKind::Exact),
    ],
    sorts: &[
        ("name", "LOWER(name)"),
        ("createdAt", "created_at"),
        ("updatedAt", "updated_at"),
    ],
    default_sort: ("created_at", false),
};
