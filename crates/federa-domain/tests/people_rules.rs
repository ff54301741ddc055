//! The rows of the authorization table for people: each member role may
//! do what the one below it may and more, never more than its participant,
//! and a member's service rights stop at its projects.

use federa_domain::access::{
    grant, person_grant, Action, Grant, Identity, MemberRole, Object, Owners, Person, ProjectReach,
    Role,
};
use uuid::Uuid;

const OBJECTS: &[Object] = &[
    Object::Token,
    Object::Participant,
    Object::Agent,
    Object::AgentType,
    Object::Service,
    Object::ServiceType,
    Object::ServiceGroup,
    Object::ServiceOptionType,
    Object::ServiceOption,
    Object::ServicePoolSet,
    Object::ServicePool,
    Object::ServicePoolValue,
    Object::ConfigPool,
    Object::ConfigPoolValue,
    Object::Job,
    Object::MetricType,
    Object::MetricEntry,
    Object::Event,
    Object::VaultSecret,
    Object::ProviderProfile,
    Object::Offering,
    Object::PlacementPolicy,
    Object::Placement,
    Object::Composition,
    Object::Switch,
    Object::Invoice,
    Object::Webhook,
    Object::Project,
    Object::User,
    Object::Membership,
    Object::PersonalToken,
    Object::Order,
];

const ACTIONS: &[Action] = &[
    Action::Confirm,
    Action::Create,
    Action::Get,
    Action::List,
    Action::Update,
    Action::Delete,
    Action::Regenerate,
    Action::UpdateStatus,
    Action::GetPending,
    Action::Claim,
    Action::Complete,
    Action::Fail,
    Action::Lease,
    Action::Ack,
    Action::Resolve,
    Action::Preview,
    Action::Approve,
];

fn person(role: MemberRole, participant_id: Uuid, projects: ProjectReach) -> Identity {
    Identity::person(Person {
        user_id: Uuid::from_u128(7),
        participant_id,
        role,
        projects,
    })
}

#[test]
fn each_member_role_may_do_all_the_one_below_it_may() {
    for pair in MemberRole::ALL.windows(2) {
        for &object in OBJECTS {
            for &action in ACTIONS {
                let lower = person_grant(pair[0], object, action);
                let higher = person_grant(pair[1], object, action);
                assert!(
                    lower == Grant::Never || higher != Grant::Never,
                    "{:?} may {action:?} {object:?} but {:?} may not",
                    pair[0],
                    pair[1]
                );
            }
        }
    }
}

#[test]
fn no_person_may_act_as_an_agent_or_beyond_its_participant_outside_people_rows() {
    let own_rows = [
        Object::User,
        Object::PersonalToken,
        Object::Membership,
        Object::Order,
    ];
    for role in MemberRole::ALL {
        for &object in OBJECTS.iter().filter(|o| !own_rows.contains(o)) {
            for &action in ACTIONS {
                if grant(Role::Participant, object, action) == Grant::Never {
                    assert_eq!(
                        person_grant(role, object, action),
                        Grant::Never,
                        "{role:?} {action:?} {object:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn an_owner_may_do_all_its_participant_may() {
    for &object in OBJECTS {
        for &action in ACTIONS {
            let participant = grant(Role::Participant, object, action);
            if participant != Grant::Never {
                assert_eq!(
                    person_grant(MemberRole::Owner, object, action),
                    participant,
                    "{action:?} {object:?}"
                );
            }
        }
    }
}

#[test]
fn a_viewer_only_reads() {
    let mine = Uuid::from_u128(1);
    let viewer = person(MemberRole::Viewer, mine, ProjectReach::Whole);
    let service = Owners::owner(Uuid::from_u128(9)).with_consumer(mine);
    assert!(viewer
        .authorize(Object::Service, Action::Get, &service)
        .is_ok());
    for action in [Action::Create, Action::Update, Action::Delete] {
        assert!(viewer.authorize(Object::Service, action, &service).is_err());
    }
    assert!(viewer.may(Object::Project, Action::Create).is_err());
    assert!(viewer.may(Object::Token, Action::List).is_err());
    let denied = viewer
        .authorize(Object::Service, Action::Create, &service)
        .unwrap_err();
    assert_eq!(denied.to_string(), "viewer may not Create Service");
}

#[test]
fn a_member_orders_only_in_its_projects() {
    let mine = Uuid::from_u128(1);
    let (ours, theirs) = (Uuid::from_u128(2), Uuid::from_u128(3));
    let member = person(MemberRole::Member, mine, ProjectReach::Only(vec![ours]));
    let in_project = |project| Owners::none().with_consumer(mine).with_project(project);
    assert!(member
        .authorize(Object::Service, Action::Create, &in_project(Some(ours)))
        .is_ok());
    assert!(member
        .authorize(Object::Service, Action::Create, &in_project(Some(theirs)))
        .is_err());
    assert!(member
        .authorize(Object::Service, Action::Delete, &in_project(None))
        .is_err());
    // A membership naming no project reaches every service of the participant.
    let whole = person(MemberRole::Member, mine, ProjectReach::Whole);
    assert!(whole
        .authorize(Object::Service, Action::Update, &in_project(None))
        .is_ok());
    // Neither reaches another participant's services.
    let foreign = Owners::none()
        .with_consumer(Uuid::from_u128(4))
        .with_project(Some(ours));
    assert!(member
        .authorize(Object::Service, Action::Create, &foreign)
        .is_err());
    assert!(member.may(Object::Project, Action::Update).is_err());
}

#[test]
fn approving_starts_at_approver_and_managing_at_manager() {
    let mine = Uuid::from_u128(1);
    let order = Owners::none().with_consumer(mine);
    let membership = Owners::owner(mine);
    for role in MemberRole::ALL {
        let caller = person(role, mine, ProjectReach::Whole);
        assert_eq!(
            caller
                .authorize(Object::Order, Action::Approve, &order)
                .is_ok(),
            role >= MemberRole::Approver,
            "{role:?}"
        );
        assert_eq!(
            caller
                .authorize(Object::Membership, Action::Create, &membership)
                .is_ok(),
            role >= MemberRole::Manager,
            "{role:?}"
        );
        assert_eq!(
            caller
                .authorize(Object::Project, Action::Update, &membership)
                .is_ok(),
            role >= MemberRole::Manager,
            "{role:?}"
        );
        // Another participant's memberships are out of reach of every role.
        assert!(caller
            .authorize(
                Object::Membership,
                Action::Get,
                &Owners::owner(Uuid::from_u128(5))
            )
            .is_err());
    }
}

#[test]
fn a_person_reaches_its_own_user_and_tokens_only() {
    let me = Uuid::from_u128(7);
    let owner = person(MemberRole::Owner, Uuid::from_u128(1), ProjectReach::Whole);
    assert!(owner
        .authorize(Object::User, Action::Get, &Owners::user(me))
        .is_ok());
    assert!(owner
        .authorize(Object::PersonalToken, Action::Create, &Owners::user(me))
        .is_ok());
    let someone_else = Owners::user(Uuid::from_u128(8));
    assert!(owner
        .authorize(Object::User, Action::Get, &someone_else)
        .is_err());
    assert!(owner
        .authorize(Object::PersonalToken, Action::Delete, &someone_else)
        .is_err());
    for action in [Action::Create, Action::List, Action::Update, Action::Delete] {
        assert!(owner.may(Object::User, action).is_err(), "{action:?}");
    }
    // A participant's own credential never reaches users; an admin does.
    let participant = Identity::participant(Uuid::from_u128(1));
    assert!(participant.may(Object::User, Action::Get).is_err());
    assert!(Identity::admin().may(Object::User, Action::Create).is_ok());
    assert!(Identity::agent(Uuid::from_u128(3), Uuid::from_u128(1))
        .may(Object::Membership, Action::List)
        .is_err());
}
