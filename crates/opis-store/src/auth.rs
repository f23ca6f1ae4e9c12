//! Accounts, sign-in sessions and API tokens.
//!
//! Secrets never reach the database in clear: a password is kept as an argon2id PHC string
//! (salted, verified by argon2 in constant time), a session id and an API token only as the
//! SHA-256 of the random value the client holds (32 bytes from the operating system), compared
//! in constant time after the lookup. The clear value of a token or session id exists only in
//! the answer of the call that creates it.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::db::{Row, args};
use crate::{Result, SqlStore, StoreError, time};

/// How long a sign-in session lasts, in seconds.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// The prefix of every API token, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "opis_";

/// What an account or a token may do. Ordered: a higher role may do what a lower one may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads public material, and restricted material it holds a grant for.
    Reader,
    /// Also reads everything, corrects documents and uploads files.
    Editor,
    /// Also manages access rules, grants and reads the audit log.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "reader" => Some(Role::Reader),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: String,
}

/// An API token's record, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub role: Role,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Who a request acts as: an account (signed in, or by a token made for it) or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account, when signed in (`None` for an API token).
    pub user_id: Option<i64>,
    /// The name the audit log gives it: the account's name, or `token:ID`.
    pub name: String,
    pub role: Role,
}

/// `n` random bytes from the operating system, hex.
pub fn random_hex(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Auth(format!("no randomness from the system: {e}")))?;
    Ok(hex(&bytes))
}

/// SHA-256 of a secret, hex: what the store keeps of a session id or a token.
pub fn secret_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Whether two secrets (or their hashes) are equal, in time that depends only on their lengths.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StoreError::Auth(format!("no randomness from the system: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Auth(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StoreError::Auth(e.to_string()))?
        .to_string())
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

fn role_of(s: String) -> Result<Role> {
    Role::parse(&s).ok_or(StoreError::Type { column: 0, expected: "a role", found: "other text" })
}

fn user_row(r: &Row) -> Result<User> {
    Ok(User { id: r.get(0)?, name: r.get(1)?, role: role_of(r.get(2)?)?, created_at: r.get(3)? })
}

/// A hash to verify against when the account does not exist, so that an unknown name costs as
/// long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl SqlStore {
    /// Adds an account. Fails when the name is taken or the password is shorter than 8
    /// characters.
    pub fn add_user(&self, name: &str, role: Role, password: &str) -> Result<User> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            return Err(StoreError::Auth("a user name is 1 to 100 printable characters".into()));
        }
        if password.chars().count() < 8 {
            return Err(StoreError::Auth("a password has at least 8 characters".into()));
        }
        let phc = hash_password(password)?;
        let now = time::now_rfc3339();
        let id: Option<i64> = self.db().value(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO NOTHING RETURNING id",
            args![name, role.as_str(), phc, now],
        )?;
        let Some(id) = id else {
            return Err(StoreError::Auth(format!("a user named {name:?} exists")));
        };
        Ok(User { id, name: name.to_owned(), role, created_at: now })
    }

    /// Every account, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        self.db()
            .query("SELECT id, name, role, created_at FROM users ORDER BY name", args![])?
            .iter()
            .map(user_row)
            .collect()
    }

    /// One account by name.
    pub fn user(&self, name: &str) -> Result<Option<User>> {
        self.db()
            .query_opt("SELECT id, name, role, created_at FROM users WHERE name = ?1", args![name])?
            .as_ref()
            .map(user_row)
            .transpose()
    }

    /// Removes an account (its sessions and grants go with it); `false` when there is none.
    pub fn remove_user(&self, name: &str) -> Result<bool> {
        Ok(self.db().execute("DELETE FROM users WHERE name = ?1", args![name])? > 0)
    }

    /// The account when the password is right. An unknown name costs as long as a wrong
    /// password (a decoy hash is verified), so timing does not tell which names exist.
    pub fn check_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let row = self
            .db()
            .query_opt("SELECT id, role, password_hash, created_at FROM users WHERE name = ?1", args![name])?;
        let row: Option<(i64, String, String, String)> = match row {
            Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            None => None,
        };
        match row {
            Some((id, role, phc, created_at)) if verify_password(password, &phc) => match Role::parse(&role) {
                Some(role) => Ok(Some(User { id, name: name.to_owned(), role, created_at })),
                None => Ok(None),
            },
            Some(_) => Ok(None),
            None => {
                let _ = verify_password(password, decoy_hash());
                Ok(None)
            }
        }
    }

    /// Starts a session for the account; returns the session id to hand the client (kept here
    /// only as its hash). Expired sessions are swept first.
    pub fn create_session(&self, user_id: i64) -> Result<String> {
        let id = random_hex(32)?;
        self.db().execute("DELETE FROM sessions WHERE expires_at < ?1", args![now_unix()])?;
        self.db().execute(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            args![secret_hash(&id), user_id, time::now_rfc3339(), now_unix() + SESSION_SECONDS],
        )?;
        Ok(id)
    }

    /// Who a session id belongs to, if it is known and not expired.
    pub fn session_principal(&self, session_id: &str) -> Result<Option<Principal>> {
        let hash = secret_hash(session_id);
        let row = self.db().query_opt(
            "SELECT s.id_hash, u.id, u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ?1 AND s.expires_at >= ?2",
            args![hash, now_unix()],
        )?;
        let row: Option<(String, i64, String, String)> = match row {
            Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            None => None,
        };
        Ok(row.and_then(|(stored, id, name, role)| {
            (same_secret(&stored, &hash)).then_some(())?;
            Some(Principal { user_id: Some(id), name, role: Role::parse(&role)? })
        }))
    }

    /// Ends a session (signing out).
    pub fn end_session(&self, session_id: &str) -> Result<()> {
        self.db().execute("DELETE FROM sessions WHERE id_hash = ?1", args![secret_hash(session_id)])?;
        Ok(())
    }

    /// Creates an API token with a role; returns its record and the token itself (shown once).
    pub fn create_token(&self, role: Role, label: &str) -> Result<(TokenInfo, String)> {
        let token = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
        let now = time::now_rfc3339();
        let id: i64 = self
            .db()
            .value(
                "INSERT INTO api_tokens (token_hash, role, label, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
                args![secret_hash(&token), role.as_str(), label, now],
            )?
            .unwrap_or_default();
        let info = TokenInfo { id, role, label: label.to_owned(), created_at: now, revoked_at: None };
        Ok((info, token))
    }

    /// Every token's record (never the token).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows =
            self.db().query("SELECT id, role, label, created_at, revoked_at FROM api_tokens ORDER BY id", args![])?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.get(0)?,
                    role: role_of(r.get(1)?)?,
                    label: r.get(2)?,
                    created_at: r.get(3)?,
                    revoked_at: r.get(4)?,
                })
            })
            .collect()
    }

    /// Revokes a token; `false` when there is no such live token.
    pub fn revoke_token(&self, id: i64) -> Result<bool> {
        Ok(self.db().execute(
            "UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            args![time::now_rfc3339(), id],
        )? > 0)
    }

    /// Who a bearer token stands for, if it is a live token.
    pub fn token_principal(&self, token: &str) -> Result<Option<Principal>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
            return Ok(None);
        }
        let hash = secret_hash(token);
        let row = self.db().query_opt(
            "SELECT token_hash, id, role FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
            args![hash],
        )?;
        let row: Option<(String, i64, String)> = match row {
            Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?)),
            None => None,
        };
        Ok(row.and_then(|(stored, id, role)| {
            same_secret(&stored, &hash).then_some(())?;
            Some(Principal { user_id: None, name: format!("token:{id}"), role: Role::parse(&role)? })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_sessions_and_tokens_round_trip_and_are_stored_only_hashed() {
        for store in crate::test_stores("auth") {
            let user = store.add_user("ada", Role::Editor, "correct horse battery").unwrap();
            assert!(store.add_user("ada", Role::Reader, "another password").is_err(), "names are unique");
            assert!(store.add_user("bob", Role::Reader, "short").is_err(), "too short a password");
            assert_eq!(store.check_password("ada", "correct horse battery").unwrap().map(|u| u.id), Some(user.id));
            assert_eq!(store.check_password("ada", "Correct horse battery").unwrap(), None);
            assert_eq!(store.check_password("nobody", "correct horse battery").unwrap(), None);

            let session = store.create_session(user.id).unwrap();
            assert_eq!(session.len(), 64);
            let who = store.session_principal(&session).unwrap().unwrap();
            assert_eq!((who.name.as_str(), who.role), ("ada", Role::Editor));
            assert_eq!(store.session_principal(&random_hex(32).unwrap()).unwrap(), None);

            let (info, token) = store.create_token(Role::Editor, "ci").unwrap();
            assert!(token.starts_with(TOKEN_PREFIX));
            assert_eq!(store.token_principal(&token).unwrap().map(|p| p.role), Some(Role::Editor));
            assert_eq!(store.token_principal(&format!("{token}x")).unwrap(), None);

            // Nothing in the database file holds a secret in clear.
            if let Some(file) = store.path() {
                let raw = std::fs::read(file).unwrap();
                let wal = std::fs::read(file.with_extension("sqlite3-wal")).unwrap_or_default();
                for secret in ["correct horse battery", session.as_str(), token.as_str()] {
                    let found = |bytes: &[u8]| bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                    assert!(!found(&raw) && !found(&wal), "{secret:?} is stored in clear");
                }
            }

            assert!(store.revoke_token(info.id).unwrap());
            assert!(!store.revoke_token(info.id).unwrap());
            assert_eq!(store.token_principal(&token).unwrap(), None, "a revoked token opens nothing");
            store.end_session(&session).unwrap();
            assert_eq!(store.session_principal(&session).unwrap(), None);
            assert!(store.remove_user("ada").unwrap());
            assert_eq!(store.check_password("ada", "correct horse battery").unwrap(), None);
        }
    }
}
