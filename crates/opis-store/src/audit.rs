//! The audit log: who did what, when — sign-ins (and failed ones), corrections, access rules
//! and grants, accounts, tokens and ingests. Entries are appended, never changed; they never
//! hold a secret (callers pass names, ids and reasons only).

use serde::Serialize;

use crate::db::args;
use crate::{Result, SqlStore, time};

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

impl SqlStore {
    /// Appends an entry.
    pub fn audit(&self, actor: &str, action: &str, target: &str, detail: &str) -> Result<()> {
        self.db().execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            args![time::now_rfc3339(), actor, action, target, detail],
        )?;
        Ok(())
    }

    /// The last `limit` entries, newest first, optionally of one action only.
    pub fn audit_entries(&self, action: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        let rows = self.db().query(
            "SELECT seq, at, actor, action, target, detail FROM audit WHERE (CAST(?1 AS TEXT) IS NULL OR action = ?1)
             ORDER BY seq DESC LIMIT ?2",
            args![action, limit],
        )?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    target: r.get(4)?,
                    detail: r.get(5)?,
                })
            })
            .collect()
    }
}
