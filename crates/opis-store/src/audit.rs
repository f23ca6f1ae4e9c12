//! The audit log: who did what, when — sign-ins (and failed ones), corrections, access rules
//! and grants, accounts, tokens and ingests. Entries are appended, never changed; they never
//! hold a secret (callers pass names, ids and reasons only).

use rusqlite::params;
use serde::Serialize;

use crate::{Result, SqliteStore, time};

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// UTC, RFC 3339.
    pub at: String,
    /// Who: an account name, `token:ID`, `cli` (the command line), or `anonymous`.
    pub actor: String,
    /// What: `sign_in`, `sign_in_failed`, `sign_out`, `correction`, `access`, `grant`, `ingest`, …
    pub action: String,
    /// On what: a document id, a collection, an account name.
    pub target: String,
    /// More: a reason, a level, counts, the client address.
    pub detail: String,
}

impl SqliteStore {
    /// Appends an entry.
    pub fn audit(&self, actor: &str, action: &str, target: &str, detail: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![time::now_rfc3339(), actor, action, target, detail],
        )?;
        Ok(())
    }

    /// The last `limit` entries, newest first, optionally of one action only.
    pub fn audit_entries(&self, action: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT seq, at, actor, action, target, detail FROM audit WHERE (?1 IS NULL OR action = ?1)
             ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![action, limit.min(i64::MAX as usize) as i64], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                target: r.get(4)?,
                detail: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}
