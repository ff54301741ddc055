//! The authorization table, checked row by row.

use federa_domain::access::{Action, Identity, ListScope, Object, Owners};
use uuid::Uuid;

fn ids() -> (Uuid, Uuid, Uuid, Uuid) {
    (
        Uuid::from_u128(1),
        Uuid::from_u128(2),
        Uuid::from_u128(10),
        Uuid::from_u128(20),
    )
}

#[test]
fn participant_rules_follow_ownership() {
    let (mine, other, my_agent, _) = ids();
    let me = Identity::participant(mine);
    let cases = [
        (Object::Participant, Action::Get, Owners::owner(mine), true),
        (
            Object::Participant,
            Action::Get,
            Owners::owner(other),
            false,
        ),
        (
            Object::Participant,
            Action::Update,
            Owners::owner(mine),
            true,
        ),
        (Object::Participant, Action::Create, Owners::none(), false),
        (
            Object::Participant,
            Action::Delete,
            Owners::owner(mine),
            false,
        ),
        (
            Object::Token,
            Action::Create,
            Owners::owner(mine).with_agent(Some(my_agent)),
            true,
        ),
        (Object::Token, Action::Delete, Owners::owner(other), false),
        (
            Object::Service,
            Action::Get,
            Owners::owner(other).with_consumer(mine),
            true,
        ),
        (
            Object::Service,
            Action::Update,
            Owners::owner(mine).with_consumer(other),
            false,
        ),
        (
            Object::Service,
            Action::Update,
            Owners::owner(other).with_consumer(mine),
            true,
        ),
        (Object::ServiceType, Action::List, Owners::none(), true),
        (Object::ServiceType, Action::Create, Owners::none(), false),
        (
            Object::Job,
            Action::Claim,
            Owners::owner(mine).with_agent(Some(my_agent)),
            false,
        ),
        (Object::Event, Action::Lease, Owners::none(), false),
        (
            Object::VaultSecret,
            Action::Resolve,
            Owners::owner(mine),
            false,
        ),
    ];
    for (object, action, owners, allowed) in cases {
        assert_eq!(
            me.authorize(object, action, &owners).is_ok(),
            allowed,
            "{object:?} {action:?}"
        );
    }
}

#[test]
fn agent_rules_follow_the_agent_itself() {
    let (provider, other, me_id, other_agent) = ids();
    let agent = Identity::agent(me_id, provider);
    let cases = [
        (
            Object::Agent,
            Action::Get,
            Owners::owner(provider).with_agent(Some(me_id)),
            true,
        ),
        (
            Object::Agent,
            Action::Get,
            Owners::owner(provider).with_agent(Some(other_agent)),
            false,
        ),
        (
            Object::Agent,
            Action::UpdateStatus,
            Owners::owner(provider).with_agent(Some(me_id)),
            true,
        ),
        (
            Object::Agent,
            Action::Delete,
            Owners::owner(provider).with_agent(Some(me_id)),
            false,
        ),
        (
            Object::Participant,
            Action::Get,
            Owners::owner(provider),
            true,
        ),
        (
            Object::Participant,
            Action::Get,
            Owners::owner(other),
            false,
        ),
        (
            Object::Job,
            Action::Claim,
            Owners::owner(provider).with_agent(Some(me_id)),
            true,
        ),
        (
            Object::Job,
            Action::Claim,
            Owners::owner(provider).with_agent(Some(other_agent)),
            false,
        ),
        (Object::Token, Action::List, Owners::owner(provider), false),
        (
            Object::VaultSecret,
            Action::Resolve,
            Owners::none().with_agent(Some(me_id)),
            true,
        ),
        (
            Object::ServiceOption,
            Action::Create,
            Owners::owner(provider),
            true,
        ),
    ];
    for (object, action, owners, allowed) in cases {
        assert_eq!(
            agent.authorize(object, action, &owners).is_ok(),
            allowed,
            "{object:?} {action:?}"
        );
    }
}

#[test]
fn admins_may_do_everything_but_act_as_an_agent() {
    let admin = Identity::admin();
    assert!(admin
        .authorize(Object::Participant, Action::Delete, &Owners::none())
        .is_ok());
    assert!(admin
        .authorize(Object::Token, Action::Create, &Owners::none())
        .is_ok());
    assert!(admin
        .authorize(Object::Job, Action::Claim, &Owners::none())
        .is_err());
    assert!(admin
        .authorize(Object::Job, Action::GetPending, &Owners::none())
        .is_err());
    assert!(admin
        .authorize(Object::VaultSecret, Action::Resolve, &Owners::none())
        .is_err());
    // Measurements come from the agent that runs the service.
    assert!(admin
        .authorize(Object::MetricEntry, Action::Create, &Owners::none())
        .is_err());
    assert!(admin
        .authorize(Object::MetricEntry, Action::List, &Owners::none())
        .is_ok());
}

#[test]
fn list_scopes_name_the_caller() {
    let (mine, _, my_agent, _) = ids();
    assert_eq!(
        Identity::admin().list_scope(Object::Service).unwrap(),
        ListScope::All
    );
    assert_eq!(
        Identity::participant(mine)
            .list_scope(Object::Service)
            .unwrap(),
        ListScope::Matching {
            owner: Some(mine),
            consumer: Some(mine),
            agent: None
        }
    );
    assert_eq!(
        Identity::agent(my_agent, mine)
            .list_scope(Object::Job)
            .unwrap(),
        ListScope::Matching {
            owner: None,
            consumer: None,
            agent: Some(my_agent)
        }
    );
    assert_eq!(
        Identity::participant(mine)
            .list_scope(Object::ServiceType)
            .unwrap(),
        ListScope::All
    );
    assert!(Identity::agent(my_agent, mine)
        .list_scope(Object::Token)
        .is_err());
}

#[test]
fn config_pools_are_managed_by_their_owner_and_global_ones_by_admins() {
    let (mine, other, my_agent, _) = ids();
    let global = Owners::none();
    let participant = Identity::participant(mine);
    let agent = Identity::agent(my_agent, mine);
    let admin = Identity::admin();
    // (caller, object, action, owners, allowed)
    let cases = [
        (
            &participant,
            Object::ConfigPool,
            Action::Create,
            Owners::owner(mine),
            true,
        ),
        (
            &participant,
            Object::ConfigPool,
            Action::Create,
            Owners::owner(other),
            false,
        ),
        (
            &participant,
            Object::ConfigPool,
            Action::Create,
            global,
            false,
        ),
        (
            &participant,
            Object::ConfigPool,
            Action::Update,
            global,
            false,
        ),
        (
            &participant,
            Object::ConfigPool,
            Action::Delete,
            Owners::owner(mine),
            true,
        ),
        (
            &participant,
            Object::ConfigPoolValue,
            Action::Create,
            Owners::owner(mine),
            true,
        ),
        (
            &participant,
            Object::ConfigPoolValue,
            Action::Create,
            global,
            false,
        ),
        (
            &participant,
            Object::ConfigPoolValue,
            Action::Get,
            Owners::owner(other),
            false,
        ),
        (
            &agent,
            Object::ConfigPool,
            Action::Get,
            Owners::owner(mine),
            true,
        ),
        (&agent, Object::ConfigPool, Action::Get, global, false),
        (
            &agent,
            Object::ConfigPool,
            Action::Update,
            Owners::owner(mine),
            false,
        ),
        (
            &agent,
            Object::ConfigPoolValue,
            Action::Get,
            Owners::owner(mine),
            false,
        ),
        (&admin, Object::ConfigPool, Action::Create, global, true),
        (
            &admin,
            Object::ConfigPoolValue,
            Action::Delete,
            global,
            true,
        ),
    ];
    for (caller, object, action, owners, allowed) in cases {
        assert_eq!(
            caller.authorize(object, action, &owners).is_ok(),
            allowed,
            "{:?} {action:?} {object:?} {owners:?}",
            caller.role()
        );
    }
}

#[test]
fn refusals_say_what_was_refused() {
    let denied = Identity::participant(Uuid::from_u128(1))
        .authorize(
            Object::Participant,
            Action::Get,
            &Owners::owner(Uuid::from_u128(2)),
        )
        .unwrap_err();
    assert_eq!(
        denied.to_string(),
        "participant may not Get Participant that it does not own"
    );
}
