//! Who may see what: access rules for documents and collections, grants to accounts, and the
//! [`Visibility`] every listing and lookup is narrowed by.
//!
//! A rule makes a document or a whole collection public, restricted (only editors, admins and
//! readers granted it) or embargoed until a day (then public). A document's own rule wins over
//! its collection's. Each document's effective rule is kept as one number,
//! `documents.access_until`: the first day (`YYYYMMDD`) it is public: 0 for public,
//! [`RESTRICTED`] for restricted. The index carries the same number, so anonymous searches and
//! facet counts are filtered with one range (`access_until <= today`). Changing a rule rewrites
//! the number of the documents it covers, gives them a new `updated_at` and logs a change for
//! each, so the index and harvesters follow.

use serde::Serialize;

use crate::db::args;
use crate::{Result, SqlStore, StoreError, time};

/// `access_until` of a restricted document: never public by date.
pub const RESTRICTED: i64 = 99_999_999;
/// `access_until` of a public document.
pub const PUBLIC: i64 = 0;

/// What a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Document,
    Collection,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Document => "document",
            Scope::Collection => "collection",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "document" => Some(Scope::Document),
            "collection" => Some(Scope::Collection),
            _ => None,
        }
    }
}

/// An access level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "level")]
pub enum AccessLevel {
    Public,
    Restricted,
    /// Public from this day on (`YYYY-MM-DD`).
    Embargoed {
        until: String,
    },
}

impl AccessLevel {
    /// Parses `public`, `restricted` or `embargoed` with a day (`YYYY-MM-DD`).
    pub fn parse(level: &str, until: Option<&str>) -> Result<AccessLevel> {
        match (level, until) {
            ("public", None) => Ok(AccessLevel::Public),
            ("restricted", None) => Ok(AccessLevel::Restricted),
            ("embargoed", Some(day)) if day_key(day).is_some() => Ok(AccessLevel::Embargoed { until: day.to_owned() }),
            ("embargoed", _) => Err(StoreError::Auth("an embargo needs a day: --until YYYY-MM-DD".into())),
            (other, _) => Err(StoreError::Auth(format!(
                "unknown access level {other:?} (public, restricted, embargoed with a day)"
            ))),
        }
    }

    /// The first day (`YYYYMMDD`) this level is public.
    pub fn until_key(&self) -> i64 {
        match self {
            AccessLevel::Public => PUBLIC,
            AccessLevel::Restricted => RESTRICTED,
            AccessLevel::Embargoed { until } => day_key(until).unwrap_or(RESTRICTED),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            AccessLevel::Public => "public",
            AccessLevel::Restricted => "restricted",
            AccessLevel::Embargoed { .. } => "embargoed",
        }
    }
}

/// `YYYY-MM-DD` as the number `YYYYMMDD`, if it is a day.
pub fn day_key(day: &str) -> Option<i64> {
    let b = day.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (day[0..4].parse::<i64>().ok()?, day[5..7].parse::<i64>().ok()?, day[8..10].parse::<i64>().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some(y * 10_000 + m * 100 + d)
}

/// Today (UTC) as `YYYYMMDD`.
pub fn today_key() -> i64 {
    day_key(&time::now_rfc3339()[..10]).unwrap_or(PUBLIC)
}

/// One rule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRule {
    pub scope: Scope,
    pub name: String,
    #[serde(flatten)]
    pub level: AccessLevel,
}

/// What one viewer may see.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Editors and admins (and the command line): everything.
    Everything,
    /// Anonymous readers (no account) and signed-in readers: what is public on `today`
    /// (`YYYYMMDD`), plus the documents and collections granted to the account.
    Limited { today: i64, user_id: Option<i64>, documents: Vec<String>, collections: Vec<String> },
}

impl Visibility {
    /// An anonymous reader's view today.
    pub fn anonymous() -> Visibility {
        Visibility::Limited { today: today_key(), user_id: None, documents: Vec::new(), collections: Vec::new() }
    }

    /// A condition on the `documents` row aliased `alias` (SQL, only integers inlined) that
    /// holds when this viewer may see the document.
    pub fn sql(&self, alias: &str) -> String {
        match self {
            Visibility::Everything => "TRUE".to_owned(),
            Visibility::Limited { today, user_id: None, .. } => format!("{alias}.access_until <= {today}"),
            Visibility::Limited { today, user_id: Some(uid), .. } => format!(
                "({alias}.access_until <= {today} OR EXISTS (SELECT 1 FROM grants g WHERE g.user_id = {uid} AND \
                 ((g.scope = 'document' AND g.name = {alias}.id) OR \
                  (g.scope = 'collection' AND g.name = {alias}.collection))))"
            ),
        }
    }

    /// Whether this viewer may see a document with this id, collection and `access_until`.
    pub fn sees(&self, id: &str, collection: Option<&str>, access_until: i64) -> bool {
        match self {
            Visibility::Everything => true,
            Visibility::Limited { today, documents, collections, .. } => {
                access_until <= *today
                    || documents.iter().any(|d| d == id)
                    || collection.is_some_and(|c| collections.iter().any(|g| g == c))
            }
        }
    }
}

/// The SQL expression of a `documents` row's effective `access_until` under the rules.
pub(crate) const EFFECTIVE_ACCESS: &str = "COALESCE(
    (SELECT until_key FROM access_rules WHERE scope = 'document' AND name = documents.id),
    (SELECT until_key FROM access_rules WHERE scope = 'collection' AND name = documents.collection),
    0)";

impl SqlStore {
    /// Sets (or with `None` clears) the rule of a document or collection, rewrites the
    /// effective access of the documents it covers and logs a change for each whose access
    /// changed (so the index follows). Returns how many documents changed access.
    pub fn set_access(&mut self, scope: Scope, name: &str, level: Option<&AccessLevel>) -> Result<usize> {
        self.db().write(|db| {
            match level {
                Some(level) => {
                    let until = match level {
                        AccessLevel::Embargoed { until } => Some(until.as_str()),
                        _ => None,
                    };
                    db.execute(
                        "INSERT INTO access_rules (scope, name, level, until, until_key) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (scope, name) DO UPDATE SET level = excluded.level, until = excluded.until,
                            until_key = excluded.until_key",
                        args![scope.as_str(), name, level.name(), until, level.until_key()],
                    )?;
                }
                None => {
                    db.execute("DELETE FROM access_rules WHERE scope = ?1 AND name = ?2", args![scope.as_str(), name])?;
                }
            }
            let covered = match scope {
                Scope::Document => "id = ?1",
                Scope::Collection => "collection = ?1",
            };
            let rows = db.query(
                &format!("SELECT id, version FROM documents WHERE {covered} AND access_until != {EFFECTIVE_ACCESS}"),
                args![name],
            )?;
            let changed: Vec<(String, u32)> = rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?))).collect::<Result<_>>()?;
            let now = time::now_rfc3339();
            for (id, version) in &changed {
                // A new datestamp, so harvesters (OAI-PMH `from`) see a document that became public.
                db.execute(
                    &format!("UPDATE documents SET access_until = {EFFECTIVE_ACCESS}, updated_at = ?2 WHERE id = ?1"),
                    args![id, now],
                )?;
                db.execute("INSERT INTO changes (doc_id, version, at) VALUES (?1, ?2, ?3)", args![id, version, now])?;
            }
            Ok(changed.len())
        })
    }

    /// Every access rule, by scope and name.
    pub fn access_rules(&self) -> Result<Vec<AccessRule>> {
        let rows =
            self.db().query("SELECT scope, name, level, until FROM access_rules ORDER BY scope, name", args![])?;
        let mut out = Vec::new();
        for row in rows {
            let (scope, name, level, until): (String, String, String, Option<String>) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            let (Some(scope), Ok(level)) = (Scope::parse(&scope), AccessLevel::parse(&level, until.as_deref())) else {
                continue;
            };
            out.push(AccessRule { scope, name, level });
        }
        Ok(out)
    }

    /// Grants an account a restricted document or collection.
    pub fn grant(&self, user_id: i64, scope: Scope, name: &str) -> Result<()> {
        self.db().execute(
            "INSERT INTO grants (user_id, scope, name) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            args![user_id, scope.as_str(), name],
        )?;
        Ok(())
    }

    /// Withdraws a grant; `false` when there was none.
    pub fn revoke_grant(&self, user_id: i64, scope: Scope, name: &str) -> Result<bool> {
        Ok(self.db().execute(
            "DELETE FROM grants WHERE user_id = ?1 AND scope = ?2 AND name = ?3",
            args![user_id, scope.as_str(), name],
        )? > 0)
    }

    /// What a signed-in reader may see today: public material and their grants.
    pub fn reader_visibility(&self, user_id: i64) -> Result<Visibility> {
        let rows = self.db().query("SELECT scope, name FROM grants WHERE user_id = ?1", args![user_id])?;
        let (mut documents, mut collections) = (Vec::new(), Vec::new());
        for row in rows {
            match (row.get::<String>(0)?, row.get::<String>(1)?) {
                (scope, name) if scope == "document" => documents.push(name),
                (_, name) => collections.push(name),
            }
        }
        Ok(Visibility::Limited { today: today_key(), user_id: Some(user_id), documents, collections })
    }

    /// A document's effective `access_until` (`None` when there is no such document).
    pub fn access_until(&self, id: &str) -> Result<Option<i64>> {
        self.db().value("SELECT access_until FROM documents WHERE id = ?1", args![id])
    }

    /// Whether `visibility` may see the document `id` (`false` when there is none: an id a
    /// viewer may not see and an unknown id look the same).
    pub fn visible(&self, id: &str, visibility: &Visibility) -> Result<bool> {
        if *visibility == Visibility::Everything {
            return self.contains(id);
        }
        let sql = format!("SELECT 1 FROM documents d WHERE d.id = ?1 AND {}", visibility.sql("d"));
        self.db().exists(&sql, args![id])
    }

    /// Every collection the viewer sees a document of, with the counts and spans of those.
    pub fn collections_visible(&self, visibility: &Visibility) -> Result<Vec<crate::CollectionSummary>> {
        let sql = format!(
            "SELECT COALESCE(collection, ''), COUNT(*), MIN(date_from), MAX(date_to) FROM documents d WHERE {}
             GROUP BY COALESCE(collection, '') ORDER BY 1",
            visibility.sql("d")
        );
        let rows = self.db().query(&sql, args![])?;
        rows.iter()
            .map(|r| {
                Ok(crate::CollectionSummary {
                    name: r.get(0)?,
                    documents: r.get::<i64>(1)? as u64,
                    date_from: r.get(2)?,
                    date_to: r.get(3)?,
                })
            })
            .collect()
    }

    /// [`crate::Store::stats`] over what the viewer sees.
    pub fn stats_visible(&self, visibility: &Visibility) -> Result<crate::Stats> {
        if *visibility == Visibility::Everything {
            return crate::Store::stats(self);
        }
        let vis = visibility.sql("d");
        let count = |sql: String| -> Result<u64> { Ok(self.db().value::<i64>(&sql, args![])?.unwrap_or(0) as u64) };
        let mut stats = crate::Stats {
            documents: count(format!("SELECT COUNT(*) FROM documents d WHERE {vis}"))?,
            turns: count(format!("SELECT COUNT(*) FROM turns t JOIN documents d ON d.id = t.doc_id WHERE {vis}"))?,
            notes: count(format!("SELECT COUNT(*) FROM notes n JOIN documents d ON d.id = n.doc_id WHERE {vis}"))?,
            persons: count(format!(
                "SELECT COUNT(DISTINCT l.person_id) FROM person_links l JOIN documents d ON d.id = l.doc_id WHERE {vis}"
            ))?,
            ..Default::default()
        };
        for c in self.collections_visible(visibility)? {
            stats.collections.insert(c.name, c.documents);
        }
        Ok(stats)
    }

    /// Whether any document is not public today (so surfaces that cannot filter cheaply know
    /// they must).
    pub fn has_hidden_documents(&self) -> Result<bool> {
        self.db().exists("SELECT 1 FROM documents WHERE access_until > ?1", args![today_key()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_levels() {
        assert_eq!(day_key("2027-01-31"), Some(20270131));
        assert_eq!(day_key("2027-13-01"), None);
        assert_eq!(day_key("27-01-01"), None);
        assert_eq!(AccessLevel::parse("embargoed", Some("2030-05-01")).unwrap().until_key(), 20300501);
        assert!(AccessLevel::parse("embargoed", None).is_err());
        assert!(AccessLevel::parse("secret", None).is_err());
        let v =
            Visibility::Limited { today: 20261127, user_id: None, documents: vec![], collections: vec!["c".into()] };
        assert!(v.sees("x", None, PUBLIC));
        assert!(!v.sees("x", None, RESTRICTED));
        assert!(v.sees("x", Some("c"), RESTRICTED), "granted collection");
        assert!(v.sees("x", None, 20261127), "an embargo ends on its day");
        assert!(!v.sees("x", None, 20261128));
    }
}
