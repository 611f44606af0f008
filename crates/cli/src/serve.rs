//! `cthub serve` (the hub's HTTP API and dashboard) and `cthub user …` (accounts, for
//! bootstrapping and scripts).

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use cthub_server::ServerConfig;
use cthub_store::hub::{self, Role};

use crate::{exit, out};

#[derive(Args)]
pub struct ServeArgs {
    /// Configuration file (TOML: listen, database, cookie_secure, max_upload_mb, session_hours,
    /// pool_size, login_attempts, login_window_secs, sql_row_limit).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on (overrides the file and CTHUB_LISTEN).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Store location (overrides the file and CTHUB_DATABASE_URL).
    #[arg(long)]
    pub database: Option<String>,
    /// Print the address as JSON once listening.
    #[arg(long)]
    pub json: bool,
}

pub fn run_serve(a: ServeArgs) -> anyhow::Result<u8> {
    let mut cfg = ServerConfig::load(a.config.as_deref())?;
    if let Some(l) = a.listen {
        cfg.listen = l;
    }
    if let Some(d) = a.database {
        cfg.database = d;
    }
    serve(cfg, a.json, None)
}

/// Starts the server and blocks until Ctrl-C / SIGTERM. `banner` lines are printed after the URL.
pub fn serve(cfg: ServerConfig, json: bool, banner: Option<Vec<String>>) -> anyhow::Result<u8> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let database = cfg.database.clone();
        let bound = cthub_server::bind(cfg).await?;
        let url = format!("http://{}/", bound.addr);
        if json {
            out::json(&serde_json::json!({"url": url, "address": bound.addr.to_string(), "database": database}));
        } else {
            println!("cthub is serving {database} at {url}");
            for l in banner.unwrap_or_default() {
                println!("{l}");
            }
            println!("(Ctrl-C stops the server)");
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
        bound.serve(cthub_server::shutdown_signal()).await
    })?;
    Ok(exit::OK)
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input (one line).
    Add {
        username: String,
        /// admin, contributor, analyst or investigator.
        #[arg(long)]
        role: String,
        /// The contributor's organisation (created if missing).
        #[arg(long)]
        organisation: Option<String>,
        #[command(flatten)]
        store: crate::StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Set an account's password (read from standard input); ends its sessions.
    Password {
        username: String,
        #[command(flatten)]
        store: crate::StoreArgs,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        store: crate::StoreArgs,
        #[arg(long)]
        json: bool,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("cannot read the password from standard input")?;
    Ok(s.lines().next().unwrap_or("").to_string())
}

fn hash(pw: &str) -> anyhow::Result<String> {
    cthub_server::auth::hash_password(pw).map_err(|e| anyhow::anyhow!(e.message))
}

/// Finds or creates an organisation by name.
pub fn organisation_id(store: &mut dyn cthub_store::Store, name: &str) -> anyhow::Result<i64> {
    if let Some(o) = hub::organisations(store)?
        .into_iter()
        .find(|o| o.name == name)
    {
        return Ok(o.id);
    }
    Ok(hub::create_organisation(store, name, "cli")?.id)
}

pub fn run_user(c: UserCommand) -> anyhow::Result<u8> {
    match c {
        UserCommand::Add {
            username,
            role,
            organisation,
            store,
            json,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?}: admin, contributor, analyst or investigator")
            })?;
            let pw = read_password()?;
            let h = hash(&pw)?;
            let mut s = cthub_store::open(&store.database)?;
            let org = organisation
                .map(|o| organisation_id(s.as_mut(), &o))
                .transpose()?;
            let u = hub::create_user(s.as_mut(), &username, &h, role, org, "cli")?;
            if json {
                out::json(&u);
            } else {
                println!("created {} ({})", u.username, u.role.as_str());
            }
        }
        UserCommand::Password { username, store } => {
            let pw = read_password()?;
            let h = hash(&pw)?;
            let mut s = cthub_store::open(&store.database)?;
            let (u, _) = hub::credentials(s.as_mut(), &username)?
                .with_context(|| format!("no user {username:?}"))?;
            hub::update_user(s.as_mut(), u.id, None, Some(&h), None, "cli")?;
            println!("password of {username} changed");
        }
        UserCommand::List { store, json } => {
            let mut s = cthub_store::open(&store.database)?;
            let list = hub::users(s.as_mut())?;
            if json {
                out::json(&list);
            } else {
                for u in list {
                    println!(
                        "{}\t{}\t{}\t{}",
                        u.username,
                        u.role.as_str(),
                        u.organisation.map(|o| o.name).unwrap_or_default(),
                        if u.disabled { "disabled" } else { "" }
                    );
                }
            }
        }
    }
    Ok(exit::OK)
}
