//! Choosing the agent that will run a new service.

use uuid::Uuid;

/// An agent as seen when placing a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCandidate {
    pub agent_id: Uuid,
    pub name: String,
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
    /// Every agent that could take it is known to be away: disconnected,
    /// in error or disabled. Names each with its status.
    #[error("no agent offering this service type with these tags is connected: {}", .0.join(", "))]
    NoneAvailable(Vec<String>),
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
            NoEligibleAgent::NoneOffersType | NoEligibleAgent::NoneAvailable(_) => "serviceTypeId",
        }
    }
}

fn has_tags(candidate: &AgentCandidate, tags: &[String]) -> bool {
    tags.iter().all(|t| candidate.tags.contains(t))
}

/// The named agent if it can take the service; otherwise, among agents that
/// offer the type and carry every tag, a connected one first, then one not
/// yet heard of (`New`, whose job waits for it), the lowest id within each,
/// so the choice is the same on every replica. Agents known to be away
/// (silent past the timeout, in error, disabled) are passed by.
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
    let away = |c: &&AgentCandidate| !matches!(c.status.as_str(), "Connected" | "New");
    tagged
        .iter()
        .filter(|c| !away(c))
        .min_by_key(|c| (c.status != "Connected", c.agent_id))
        .copied()
        .ok_or_else(|| {
            NoEligibleAgent::NoneAvailable(
                tagged
                    .iter()
                    .map(|c| format!("agent {} ({}) is {}", c.name, c.agent_id, c.status))
                    .collect(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(n: u128, name: &str, status: &str) -> AgentCandidate {
        AgentCandidate {
            agent_id: Uuid::from_u128(n),
            name: name.into(),
            participant_id: Uuid::from_u128(100),
            status: status.into(),
            tags: Vec::new(),
            offers_service_type: true,
        }
    }

    #[test]
    fn agents_known_to_be_away_are_passed_by_and_a_connected_one_wins() {
        let candidates = [
            agent(1, "gone", "Disconnected"),
            agent(2, "waiting", "New"),
            agent(3, "live", "Connected"),
        ];
        assert_eq!(choose_agent(&candidates, None, &[]).unwrap().name, "live");
        let without_live = &candidates[..2];
        assert_eq!(
            choose_agent(without_live, None, &[]).unwrap().name,
            "waiting"
        );
    }

    #[test]
    fn when_every_agent_is_away_the_refusal_names_each_with_its_status() {
        let candidates = [
            agent(1, "gone", "Disconnected"),
            agent(2, "off", "Disabled"),
        ];
        let refusal = choose_agent(&candidates, None, &[]).unwrap_err();
        assert_eq!(refusal.field(), "serviceTypeId");
        let message = refusal.to_string();
        assert!(
            message.contains("agent gone (00000000-0000-0000-0000-000000000001) is Disconnected"),
            "{message}"
        );
        assert!(message.contains("agent off"), "{message}");
    }
}
