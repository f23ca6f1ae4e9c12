//! The administrative commands: accounts (`opis user`), API tokens (`opis token`), access
//! rules and grants (`opis access`, `opis grant`), corrections (`opis correct`) and the audit
//! log (`opis audit`). Each change is written to the audit log as done by `cli`.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use opis_store::SqlStore;
use opis_store::access::{AccessLevel, Scope};
use opis_store::auth::Role;
use opis_store::corrections::Patch;

/// Who the audit log says acted from the command line.
const CLI_ACTOR: &str = "cli";

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from OPIS_PASSWORD or the first line of stdin.
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List the accounts.
    List,
    /// Remove an account with its sessions and grants.
    Remove { name: String },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token (printed once; only its hash is kept).
    Create {
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// What the token is for.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List the tokens (without their secrets).
    List,
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
pub enum AccessCommand {
    /// Set the access of a document or a collection: public, restricted, or embargoed --until DAY.
    Set {
        #[arg(value_parser = parse_scope)]
        scope: Scope,
        name: String,
        level: String,
        #[arg(long)]
        until: Option<String>,
    },
    /// Remove a document's or collection's rule (it falls back to its collection's, or public).
    Clear {
        #[arg(value_parser = parse_scope)]
        scope: Scope,
        name: String,
    },
    /// List the rules.
    List,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role {s:?}; expected reader, editor or admin"))
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    Scope::parse(s).ok_or_else(|| format!("unknown scope {s:?}; expected document or collection"))
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("OPIS_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        eprint!("password: ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub fn user(data: &Path, command: UserCommand) -> Result<()> {
    let store = crate::open_store(data)?;
    match command {
        UserCommand::Add { name, role } => {
            let password = read_password()?;
            let user = store.add_user(&name, role, &password)?;
            store.audit(CLI_ACTOR, "user_add", &user.name, role.as_str())?;
            eprintln!("added {} ({})", user.name, role.as_str());
        }
        UserCommand::List => {
            for u in store.users()? {
                out!("{}\t{}\t{}", u.name, u.role.as_str(), u.created_at);
            }
        }
        UserCommand::Remove { name } => {
            if !store.remove_user(&name)? {
                bail!("no user named {name:?}");
            }
            store.audit(CLI_ACTOR, "user_remove", &name, "")?;
            eprintln!("removed {name}");
        }
    }
    Ok(())
}

pub fn token(data: &Path, command: TokenCommand) -> Result<()> {
    let store = crate::open_store(data)?;
    match command {
        TokenCommand::Create { role, label } => {
            let (info, secret) = store.create_token(role, &label)?;
            store.audit(CLI_ACTOR, "token_create", &format!("token:{}", info.id), role.as_str())?;
            eprintln!("token {} ({}) created; it is shown once:", info.id, role.as_str());
            out!("{secret}");
        }
        TokenCommand::List => {
            for t in store.tokens()? {
                let state = t.revoked_at.as_deref().map_or("active".to_owned(), |at| format!("revoked {at}"));
                out!("{}\t{}\t{}\t{}\t{}", t.id, t.role.as_str(), t.created_at, state, t.label);
            }
        }
        TokenCommand::Revoke { id } => {
            if !store.revoke_token(id)? {
                bail!("no active token {id}");
            }
            store.audit(CLI_ACTOR, "token_revoke", &format!("token:{id}"), "")?;
            eprintln!("revoked token {id}");
        }
    }
    Ok(())
}

pub fn access(data: &Path, command: AccessCommand) -> Result<()> {
    let mut store = crate::open_store(data)?;
    match command {
        AccessCommand::Set { scope, name, level, until } => {
            let level = AccessLevel::parse(&level, until.as_deref())?;
            let n = store.set_access(scope, &name, Some(&level))?;
            let detail = serde_json::to_string(&level)?;
            store.audit(CLI_ACTOR, "access", &format!("{}:{name}", scope.as_str()), &detail)?;
            eprintln!("{} {name}: {detail}; {n} document(s) changed access", scope.as_str());
        }
        AccessCommand::Clear { scope, name } => {
            let n = store.set_access(scope, &name, None)?;
            store.audit(CLI_ACTOR, "access", &format!("{}:{name}", scope.as_str()), "cleared")?;
            eprintln!("{} {name}: rule cleared; {n} document(s) changed access", scope.as_str());
        }
        AccessCommand::List => {
            for r in store.access_rules()? {
                out!("{}\t{}\t{}", r.scope.as_str(), r.name, serde_json::to_string(&r.level)?);
            }
        }
    }
    sync_index(data, &store)
}

/// Brings the index up to the store after a change the index must follow.
fn sync_index(data: &Path, store: &SqlStore) -> Result<()> {
    let mut index = opis_index::Index::open(data)?;
    index.sync(store).context("updating the search index")?;
    Ok(())
}

pub fn grant(data: &Path, user: &str, scope: Scope, name: &str, revoke: bool) -> Result<()> {
    let store = crate::open_store(data)?;
    let Some(account) = store.user(user)? else { bail!("no user named {user:?}") };
    let target = format!("{}:{name}", scope.as_str());
    if revoke {
        if !store.revoke_grant(account.id, scope, name)? {
            bail!("{user} holds no grant of {target}");
        }
        store.audit(CLI_ACTOR, "grant_revoke", &target, user)?;
    } else {
        store.grant(account.id, scope, name)?;
        store.audit(CLI_ACTOR, "grant", &target, user)?;
    }
    Ok(())
}

/// Applies a correction given as the JSON of a patch.
pub fn correct(data: &Path, id: &str, patch: &str, reason: &str, author: &str) -> Result<()> {
    let patch: Patch = serde_json::from_str(patch).context("reading the patch (JSON with an \"op\")")?;
    let mut store = crate::open_store(data)?;
    let Some((cid, version)) = store.correct(id, &patch, author, reason, None)? else { bail!("no document {id:?}") };
    store.audit(author, "correction", id, &format!("#{cid} {} — {reason}", patch.describe()))?;
    sync_index(data, &store)?;
    eprintln!("correction {cid}: {id} is now version {version}");
    Ok(())
}

/// Lists corrections (of one document, or all): id, document, status, author, time, reason,
/// patch; `needs_review` marks one the last ingest could not apply.
pub fn corrections(data: &Path, id: Option<&str>, json: bool) -> Result<()> {
    let store = crate::open_store(data)?;
    for c in store.corrections(id)? {
        if json {
            out!("{}", serde_json::to_string(&c)?);
        } else {
            out!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                c.id,
                c.doc_id,
                c.status,
                c.author,
                c.created_at,
                c.reason,
                c.patch.describe()
            );
        }
    }
    Ok(())
}

pub fn audit(data: &Path, action: Option<&str>, limit: usize, json: bool) -> Result<()> {
    let store = crate::open_store(data)?;
    for e in store.audit_entries(action, limit)? {
        if json {
            out!("{}", serde_json::to_string(&e)?);
        } else {
            out!("{}\t{}\t{}\t{}\t{}", e.at, e.actor, e.action, e.target, e.detail);
        }
    }
    Ok(())
}
