use chrono::{DateTime, Utc};
use federa_domain::catalogue::AgentType;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{in_use, taken};
use crate::error::Result;
use crate::sql::{fetch_page, Arg, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, name, configuration_schema, config_template, cmd_template, config_content_type, created_at, updated_at FROM agent_types";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    configuration_schema: Option<Json<Value>>,
    config_template: Option<String>,
    cmd_template: Option<String>,
    config_content_type: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_agent_type(self, service_type_ids: Vec<Uuid>) -> AgentType {
        AgentType {
            id: self.id,
            name: self.name,
            service_type_ids,
            configuration_schema: self
                .configuration_schema
                .map(|j| j.0)
                .unwrap_or_else(|| serde_json::json!({"properties": {}})),
            config_template: self.config_template,
            cmd_template: self.cmd_template,
            config_content_type: self.config_content_type,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

const NAME_TAKEN: &str = "another agent type has this name";

/// Statements that make the agent type's service types exactly `ids`.
fn offered_statements(agent_type: &AgentType) -> Vec<Statement> {
    let mut statements = vec![Statement::new(
        "DELETE FROM agent_type_service_types WHERE agent_type_id = $1",
        vec![Arg::Uuid(agent_type.id)],
    )];
    statements.extend(agent_type.service_type_ids.iter().map(|service_type_id| {
        Statement::new(
            "INSERT INTO agent_type_service_types (agent_type_id, service_type_id) VALUES ($1, $2)",
            vec![Arg::Uuid(agent_type.id), Arg::Uuid(*service_type_id)],
        )
    }));
    statements
}

fn row_args(agent_type: &AgentType) -> Vec<Arg> {
    vec![
        Arg::Uuid(agent_type.id),
        Arg::Text(agent_type.name.clone()),
        Arg::Json(agent_type.configuration_schema.clone()),
        Arg::OptText(agent_type.config_template.clone()),
        Arg::OptText(agent_type.cmd_template.clone()),
        Arg::OptText(agent_type.config_content_type.clone()),
        Arg::Time(agent_type.updated_at),
    ]
}

impl Store {
    pub async fn agent_type(&self, id: Uuid) -> Result<Option<AgentType>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let offered = self.offered_service_types(&[id]).await?;
                Ok(Some(row.into_agent_type(
                    offered.into_iter().map(|(_, s)| s).collect(),
                )))
            }
        }
    }

    pub async fn agent_types(&self, query: &ListQuery) -> Result<Page<AgentType>> {
        let mut filter = Where::new();
        filter.filters(&query.filters);
        let page: Page<Row> =
            fetch_page(&self.read, SELECT, "agent_types", &filter, query, "id").await?;
        let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
        let offered = self.offered_service_types(&ids).await?;
        Ok(page.map(|row| {
            let mine = offered
                .iter()
                .filter(|(a, _)| *a == row.id)
                .map(|(_, s)| *s)
                .collect();
            row.into_agent_type(mine)
        }))
    }

    /// `(agent type, service type)` pairs for the given agent types.
    async fn offered_service_types(&self, agent_type_ids: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
        if agent_type_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut filter = Where::new();
        let placeholders: Vec<String> = agent_type_ids
            .iter()
            .map(|id| filter.param(Arg::Uuid(*id)))
            .collect();
        let sql = format!(
            "SELECT agent_type_id, service_type_id FROM agent_type_service_types WHERE agent_type_id IN ({}) ORDER BY service_type_id",
            placeholders.join(", ")
        );
        fetch_all(&self.read, &sql, &filter.args).await
    }

    /// Which of `ids` name no service type.
    pub async fn missing_service_types(&self, ids: &[Uuid]) -> Result<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut filter = Where::new();
        let placeholders: Vec<String> = ids.iter().map(|id| filter.param(Arg::Uuid(*id))).collect();
        let sql = format!(
            "SELECT id FROM service_types WHERE id IN ({})",
            placeholders.join(", ")
        );
        let found: Vec<(Uuid,)> = fetch_all(&self.read, &sql, &filter.args).await?;
        Ok(ids
            .iter()
            .filter(|id| !found.iter().any(|(f,)| f == *id))
            .copied()
            .collect())
    }

    pub async fn insert_agent_type(&self, agent_type: &AgentType, event: &NewEvent) -> Result<()> {
        let mut args = row_args(agent_type);
        args.push(Arg::Time(agent_type.created_at));
        let mut statements = vec![Statement::new(
            "INSERT INTO agent_types (id, name, configuration_schema, config_template, cmd_template, config_content_type, updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args,
        )];
        statements.extend(offered_statements(agent_type));
        self.apply(
            &statements,
            std::slice::from_ref(event),
            agent_type.created_at,
        )
        .await
        .map_err(|e| taken(e, NAME_TAKEN))
    }

    pub async fn update_agent_type(&self, agent_type: &AgentType, event: &NewEvent) -> Result<()> {
        let mut statements = vec![Statement::new(
            "UPDATE agent_types SET name = $2, configuration_schema = $3, config_template = $4, cmd_template = $5, config_content_type = $6, updated_at = $7 WHERE id = $1",
            row_args(agent_type),
        )
        .must_change()];
        statements.extend(offered_statements(agent_type));
        self.apply(
            &statements,
            std::slice::from_ref(event),
            agent_type.updated_at,
        )
        .await
        .map_err(|e| taken(e, NAME_TAKEN))
    }

    pub async fn delete_agent_type(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement =
            Statement::new("DELETE FROM agent_types WHERE id = $1", vec![Arg::Uuid(id)])
                .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
            .map_err(|e| in_use(e, "the agent type still has agents; delete them first"))
    }
}
