//! Choosing the agent that will run a new service.

use uuid::Uuid;

/// An agent as seen when placing a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCandidate {
    pub agent_id: Uuid,
    pub participant_id: Uuid,
    pub status: String,
    pub tags: Vec<String>,
    /// Whether the agent's type offers the service type being ordered.
    pub offers_service_type: bool,
}

/// Why no agent could take the service, in words for the consumer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoEligibleAgent {
    #[error("no agent has this id")]
    UnknownAgent,
    #[error("the agent's type does not offer this service type")]
    WrongType,
    #[error("the agent is disabled")]
    Disabled,
    #[error("the agent lacks the tags {0:?}")]
    MissingTags(Vec<String>),
    #[error("no agent offers this service type")]
    NoneOffersType,
    #[error("no agent offering this service type has all the tags {0:?}")]
    NoneHasTags(Vec<String>),
    #[error("every agent offering this service type with these tags is disabled")]
    AllDisabled,
}

impl NoEligibleAgent {
    /// The request field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            NoEligibleAgent::UnknownAgent
            | NoEligibleAgent::WrongType
            | NoEligibleAgent::Disabled
            | NoEligibleAgent::MissingTags(_) => "agentId",
            NoEligibleAgent::NoneHasTags(_) => "agentTags",
            NoEligibleAgent::NoneOffersType | NoEligibleAgent::AllDisabled => "serviceTypeId",
        }
    }
}

fn has_tags(candidate: &AgentCandidate, tags: &[String]) -> bool {
    tags.iter().all(|t| candidate.tags.contains(t))
}

/// The named agent if it can take the service; otherwise, among agents that
/// offer the type, carry every tag and are not disabled, a connected one
/// first, then the lowest id, so the choice is the same on every replica.
pub fn choose_agent<'a>(
    candidates: &'a [AgentCandidate],
    explicit: Option<Uuid>,
    tags: &[String],
) -> Result<&'a AgentCandidate, NoEligibleAgent> {
    if let Some(id) = explicit {
        let agent = candidates
            .iter()
            .find(|c| c.agent_id == id)
            .ok_or(NoEligibleAgent::UnknownAgent)?;
        if !agent.offers_service_type {
            return Err(NoEligibleAgent::WrongType);
        }
        if agent.status == "Disabled" {
            return Err(NoEligibleAgent::Disabled);
        }
        if !has_tags(agent, tags) {
            let missing = tags
                .iter()
                .filter(|t| !agent.tags.contains(t))
                .cloned()
                .collect();
            return Err(NoEligibleAgent::MissingTags(missing));
        }
        return Ok(agent);
    }
    let offering: Vec<&AgentCandidate> = candidates
        .iter()
        .filter(|c| c.offers_service_type)
        .collect();
    if offering.is_empty() {
        return Err(NoEligibleAgent::NoneOffersType);
    }
    let tagged: Vec<&AgentCandidate> = offering.into_iter().filter(|c| has_tags(c, tags)).collect();
    if tagged.is_empty() {
        return Err(NoEligibleAgent::NoneHasTags(tags.to_vec()));
    }
    tagged
        .into_iter()
        .filter(|c| c.status != "Disabled")
        .min_by_key(|c| (c.status != "Connected", c.agent_id))
        .ok_or(NoEligibleAgent::AllDisabled)
}
