//! A membership: a user's role in one participant and, optionally, the
//! projects of that participant its service rights are limited to.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::access::{MemberRole, Owners, Person, ProjectReach};
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub id: Uuid,
    pub user_id: Uuid,
    pub participant_id: Uuid,
    pub role: MemberRole,
    /// Projects of the participant; empty means every service of it.
    pub project_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Membership {
    /// A membership is its participant's business, and its user's.
    pub fn owners(&self) -> Owners {
        Owners {
            user: Some(self.user_id),
            ..Owners::owner(self.participant_id)
        }
    }

    /// The person its user is when acting for its participant.
    pub fn person(&self) -> Person {
        Person {
            user_id: self.user_id,
            participant_id: self.participant_id,
            role: self.role,
            projects: ProjectReach::of(&self.project_ids),
        }
    }
}

pub const MEMBERSHIP_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("userId", "user_id", FilterKind::Uuid),
        FilterSpec::new("participantId", "participant_id", FilterKind::Uuid),
        FilterSpec::new("role", "role", FilterKind::OneOf(MemberRole::NAMES)),
    ],
    sorts: &[("createdAt", "created_at"), ("role", "role")],
    default_sort: ("created_at", false),
};

/// Whether a caller of rank `granter` may give, change or take away a
/// membership of role `role`: an admin or the participant's own credential
/// (`None`) any, a person none above its own, so a manager cannot make
/// anyone, itself included, an owner.
pub fn may_assign(granter: Option<MemberRole>, role: MemberRole) -> bool {
    granter.is_none_or(|granter| role <= granter)
}

/// The most projects one membership names.
pub const MAX_PROJECTS: usize = 100;

/// A membership's projects: each named once, at most [`MAX_PROJECTS`].
/// Whether they are the participant's is checked against the store.
pub fn check_projects(path: &str, projects: &[Uuid]) -> Result<Vec<Uuid>, FieldError> {
    if projects.len() > MAX_PROJECTS {
        return Err(FieldError::new(
            path,
            format!("must name at most {MAX_PROJECTS} projects"),
        ));
    }
    let mut seen = Vec::with_capacity(projects.len());
    for project in projects {
        if seen.contains(project) {
            return Err(FieldError::new(path, format!("names {project} twice")));
        }
        seen.push(*project);
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_assigns_no_role_above_its_own() {
        assert!(may_assign(None, MemberRole::Owner));
        assert!(may_assign(Some(MemberRole::Manager), MemberRole::Manager));
        assert!(may_assign(Some(MemberRole::Manager), MemberRole::Viewer));
        assert!(!may_assign(Some(MemberRole::Manager), MemberRole::Owner));
    }

    #[test]
    fn a_project_named_twice_is_refused_by_its_path() {
        let a = Uuid::now_v7();
        assert_eq!(check_projects("projectIds", &[a]), Ok(vec![a]));
        assert_eq!(
            check_projects("projectIds", &[a, a]).unwrap_err().path,
            "projectIds"
        );
    }

    #[test]
    fn a_membership_without_projects_reaches_the_whole_participant() {
        let now = Utc::now();
        let mut membership = Membership {
            id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            participant_id: Uuid::now_v7(),
            role: MemberRole::Member,
            project_ids: vec![],
            created_at: now,
            updated_at: now,
        };
        assert_eq!(membership.person().projects, ProjectReach::Whole);
        let project = Uuid::now_v7();
        membership.project_ids = vec![project];
        let reach = membership.person().projects;
        assert!(reach.reaches(Some(project)));
        assert!(!reach.reaches(Some(Uuid::now_v7())));
        assert!(!reach.reaches(None));
    }
}
