//! Renaming, reconfiguring and deleting a pool of either family: the two
//! pool tables share these columns.

use chrono::{DateTime, Utc};
use federa_domain::event::NewEvent;
use serde_json::Value;
use uuid::Uuid;

use super::PoolFamily;
use crate::catalogue::in_use;
use crate::error::Result;
use crate::sql::Arg;
use crate::write::Statement;
use crate::Store;

/// What a pool update may change: values already handed out keep theirs.
pub struct PoolEdit<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub generator_config: Option<&'a Value>,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    pub async fn update_pool(
        &self,
        family: PoolFamily,
        edit: PoolEdit<'_>,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            format!(
                "UPDATE {} SET name = $2, generator_config = $3, updated_at = $4 WHERE id = $1",
                family.pools_table()
            ),
            vec![
                Arg::Uuid(edit.id),
                Arg::Text(edit.name.to_owned()),
                Arg::OptJson(edit.generator_config.cloned()),
                Arg::Time(edit.updated_at),
            ],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), edit.updated_at)
            .await
    }

    /// Deletes a pool that holds no values; one that does is a conflict.
    pub async fn delete_pool(
        &self,
        family: PoolFamily,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            format!("DELETE FROM {} WHERE id = $1", family.pools_table()),
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
            .map_err(|e| in_use(e, "the pool still has values; delete them first"))
    }
}
