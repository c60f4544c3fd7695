//! `stockbridge`: the service binary.

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use api::config::Config;
use api::runtime;
use domain::auth::{self, Role};
use domain::secrets::SecretBox;

#[derive(Parser)]
#[command(
    name = "stockbridge",
    version,
    about = "Inventory ledger with a Magento 2 channel"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve GraphQL over HTTP (and run the workers unless --no-workers).
    Serve {
        #[command(flatten)]
        config: Config,
        /// Seed a demo organisation and connect an in-process Magento sandbox.
        #[arg(long)]
        demo: bool,
        /// Serve the API only; run workers with `stockbridge worker`.
        #[arg(long)]
        no_workers: bool,
    },
    /// Run the job workers only.
    Worker {
        #[command(flatten)]
        config: Config,
    },
    /// Create (when missing) and migrate the database, then exit.
    Migrate {
        #[command(flatten)]
        config: Config,
    },
    /// Run the Magento 2 emulator alone.
    Sandbox {
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Emulate a store without the MSI modules (legacy stock only).
        #[arg(long)]
        no_msi: bool,
        /// Catalogue rows to generate after the seeded ones (configurable children
        /// included).
        #[arg(long, default_value_t = 0)]
        products: usize,
        /// Orders to generate (guests and generated customers) after the seeded ones.
        #[arg(long, default_value_t = 0)]
        orders: usize,
        /// Seed of the generated data: the same seed gives the same shop.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Print a new random entry for STOCKBRIDGE_SECRET_KEYS.
    SecretKey {
        #[arg(long, default_value = "k1")]
        id: String,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key (and the organisation when it does not exist); prints the key
    /// alone on the last line.
    Create {
        #[command(flatten)]
        config: Config,
        #[arg(long)]
        org: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Operator,
    Viewer,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Operator => Role::Operator,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            config,
            demo,
            no_workers,
        } => runtime::serve(config, demo, !no_workers).await,
        Command::Worker { config } => runtime::work(config).await,
        Command::Migrate { config } => {
            let db = migration::database::prepare(&config.database_url, 2).await?;
            db.close().await?;
            eprintln!("database is migrated");
            Ok(())
        }
        Command::Sandbox {
            port,
            no_msi,
            products,
            orders,
            seed,
        } => {
            let generate = (products > 0 || orders > 0).then_some(sandbox::GenerateSpec {
                products,
                orders,
                seed,
            });
            let options = sandbox::SandboxOptions {
                msi: !no_msi,
                generate,
                ..Default::default()
            };
            let running = sandbox::start(([127, 0, 0, 1], port).into(), options).await?;
            runtime::announce(serde_json::json!({
                "base_url": running.base_url,
                "consumer_key": running.credentials.consumer_key,
                "consumer_secret": running.credentials.consumer_secret,
                "access_token": running.credentials.access_token,
                "access_token_secret": running.credentials.access_token_secret,
            }));
            runtime::stopped(runtime::shutdown_signal()).await;
            running.stop().await;
            Ok(())
        }
        Command::ApiKey {
            command: ApiKeyCommand::Create { config, org, role },
        } => {
            let db = migration::database::prepare(&config.database_url, 2).await?;
            let key = auth::create_api_key(&db, &org, role.into()).await?;
            db.close().await?;
            eprintln!(
                "created a {:?} key for organisation '{org}'; it is shown once:",
                key.role
            );
            println!("{}", key.secret);
            Ok(())
        }
        Command::SecretKey { id } => {
            println!("{}", SecretBox::generate_config_entry(&id));
            Ok(())
        }
        Command::Schema => {
            print!("{}", api::graphql::sdl());
            Ok(())
        }
    }
}
