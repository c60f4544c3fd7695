use sea_orm::entity::prelude::*;

use crate::enums::JobState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub store_id: Option<Uuid>,
    pub kind: String,
    pub state: JobState,
    pub phase: Option<String>,
    pub total_count: Option<i32>,
    pub processed_count: i32,
    pub failed_count: i32,
    pub args: Json,
    pub requested_by: Option<Uuid>,
    pub idempotency_key: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub cancel_requested: bool,
    pub last_error: Option<String>,
    pub task_id: String,
    pub run_after: DateTimeUtc,
    pub heartbeat_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    /// The job a `jobRetryFailed` redoes.
    pub retry_of: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
