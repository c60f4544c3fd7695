use apalis::prelude::{TaskBuilder, TaskId, TaskSink};
use apalis_redis::{Config, ConnectionManager, RedisStorage};
use chrono::Utc;
use futures_util::future::BoxFuture;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use domain::jobs::{JobTransport, Ticket, TransportError};

/// What travels through Redis: only the job's id; the row in Postgres has the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMessage {
    pub job_id: Uuid,
}

#[derive(Debug, Clone)]
pub struct TransportConfig {
    pub redis_url: String,
    /// Prefixes every queue key, so several deployments (or tests) can share a Redis.
    pub namespace: String,
}

impl TransportConfig {
    pub fn queue_name(&self) -> String {
        format!("{}stockbridge:jobs", self.namespace)
    }
}

#[derive(Clone)]
pub struct RedisTransport {
    storage: RedisStorage<JobMessage>,
    conn: ConnectionManager,
    config: Config,
}

impl std::fmt::Debug for RedisTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTransport")
            .field("queue", &self.config.job_meta_hash())
            .finish()
    }
}

impl RedisTransport {
    pub async fn connect(config: &TransportConfig) -> Result<Self, redis::RedisError> {
        let conn = apalis_redis::connect(config.redis_url.as_str()).await?;
        // The queue is always named: apalis would otherwise name it after the Rust type,
        // and moving the type would silently orphan queued jobs.
        //
        // apalis-core 1.0's interval poll strategy replaces a fired timer without
        // arming it, so an idle worker can sleep until its next heartbeat (30 s by
        // default) even with a short poll interval. A 2 s heartbeat bounds that stall;
        // 150 missed beats keep the 5-minute window before another worker takes over
        // a silent worker's tasks (our claim step admits one delivery anyway).
        let apalis_config = Config::default()
            .queue(config.queue_name())
            .heartbeat_interval(std::time::Duration::from_secs(2))
            .missed_heartbeats(150);
        let storage = RedisStorage::new(conn.clone()).with_config(apalis_config.clone());
        Ok(Self {
            storage,
            conn,
            config: apalis_config,
        })
    }

    pub fn storage(&self) -> RedisStorage<JobMessage> {
        self.storage.clone()
    }

    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    pub async fn ping(&self) -> Result<(), redis::RedisError> {
        let mut conn = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
    }
}

impl JobTransport for RedisTransport {
    fn new_task_id(&self) -> String {
        TaskId::from_ulid(ulid::Ulid::generate()).to_string()
    }

    fn push(&self, ticket: Ticket) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async move {
            let task_id: TaskId = ticket
                .task_id
                .parse()
                .map_err(|_| TransportError(format!("bad task id {}", ticket.task_id)))?;
            let mut builder = TaskBuilder::new(JobMessage {
                job_id: ticket.job_id,
            })
            .task_id(task_id);
            let delay = (ticket.run_after - Utc::now()).to_std().unwrap_or_default();
            if !delay.is_zero() {
                builder = builder.run_after(delay);
            }
            let mut storage = self.storage.clone();
            storage
                .push_task(builder.build())
                .await
                .map_err(|e| TransportError(e.to_string()))
        })
    }

    fn task_exists(&self, task_id: &str) -> BoxFuture<'_, Result<bool, TransportError>> {
        let key = format!("{}:{task_id}", self.config.job_meta_hash());
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let status: Option<String> = conn
                .hget(&key, "status")
                .await
                .map_err(|e| TransportError(e.to_string()))?;
            // Done and Killed tasks stay in Redis but will never be delivered again.
            Ok(matches!(
                status.as_deref(),
                Some("Pending" | "Queued" | "Running" | "Failed")
            ))
        })
    }
}
