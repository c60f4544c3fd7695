use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::jobs::JobTransport;
use crate::secrets::SecretBox;

/// What every domain operation may need, shared by the API and the workers.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub secrets: Arc<SecretBox>,
    pub queue: Arc<dyn JobTransport>,
    pub magento_timeout: Duration,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}
