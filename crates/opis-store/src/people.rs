//! The people authority's tables: persons (with their variants for lookups), which person
//! each name in each document is, the ambiguities left for an editor, and the authority
//! records (pocom) the authority is built from. The authority is derived data: it is
//! replaced whole by [`SqliteStore::replace_people`] after every ingest and reindex.

use opis_model::people::{Ambiguity, Authority, Person, PersonLink};
use rusqlite::params;

use crate::{Result, SqliteStore, StoreError};

fn corrupt(id: &str, source: serde_json::Error) -> StoreError {
    StoreError::Corrupt { id: format!("person {id}"), version: 0, source }
}

impl SqliteStore {
    /// Stores authority records (key, JSON), replacing those of the same key.
    pub fn put_person_records(&mut self, records: &[(String, String)]) -> Result<()> {
        let tx = self.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (id, json) in records {
            tx.prepare_cached("INSERT OR REPLACE INTO person_records (id, json) VALUES (?1, ?2)")?
                .execute(params![id, json])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every authority record's JSON, by key.
    pub fn person_records(&self) -> Result<Vec<String>> {
        let mut st = self.conn().prepare("SELECT json FROM person_records ORDER BY id")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces the authority in one transaction.
    pub fn replace_people(&mut self, a: &Authority) -> Result<()> {
        let tx = self.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for t in ["people", "person_names", "person_links", "person_ambiguities"] {
            tx.execute(&format!("DELETE FROM {t}"), [])?;
        }
        for p in &a.persons {
            let json = serde_json::to_string(p).map_err(|e| corrupt(&p.id, e))?;
            tx.prepare_cached("INSERT INTO people (id, name, documents, json) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![p.id, p.name, p.documents, json])?;
            for v in &p.variants {
                tx.prepare_cached("INSERT OR IGNORE INTO person_names (person_id, form) VALUES (?1, ?2)")?
                    .execute(params![p.id, v.form])?;
            }
        }
        for l in &a.links {
            tx.prepare_cached(
                "INSERT INTO person_links (person_id, doc_id, form, turns, mentions, roles, how) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                l.person,
                l.doc_id,
                l.form,
                l.turns,
                l.mentions,
                l.roles.join(","),
                l.how
            ])?;
        }
        for x in &a.ambiguities {
            tx.prepare_cached("INSERT INTO person_ambiguities (doc_id, form, candidates) VALUES (?1, ?2, ?3)")?
                .execute(params![x.doc_id, x.form, x.candidates.join(",")])?;
        }
        tx.execute("UPDATE people_generation SET generation = generation + 1", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Goes up by one with every [`SqliteStore::replace_people`]: readers reload when it moves.
    pub fn people_generation(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT generation FROM people_generation", [], |r| r.get(0))?)
    }

    /// Every person, most documents first, then by id.
    pub fn people(&self) -> Result<Vec<Person>> {
        let mut st = self.conn().prepare("SELECT id, json FROM people ORDER BY documents DESC, id")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            out.push(serde_json::from_str(&json).map_err(|e| corrupt(&id, e))?);
        }
        Ok(out)
    }

    pub fn person(&self, id: &str) -> Result<Option<Person>> {
        let mut st = self.conn().prepare_cached("SELECT json FROM people WHERE id = ?1")?;
        let json: Option<String> = st.query_row([id], |r| r.get(0)).map(Some).or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| corrupt(id, e))).transpose()
    }

    /// Persons with a variant spelled exactly `form`.
    pub fn people_named(&self, form: &str) -> Result<Vec<String>> {
        let mut st =
            self.conn().prepare_cached("SELECT person_id FROM person_names WHERE form = ?1 ORDER BY person_id")?;
        let rows = st.query_map([form], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every (person id, form) pair: what search expands a name through.
    pub fn person_names(&self) -> Result<Vec<(String, String)>> {
        let mut st = self.conn().prepare("SELECT person_id, form FROM person_names ORDER BY person_id, form")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The names of a person in the documents, or the persons named in a document.
    pub fn person_links(&self, person: Option<&str>, doc: Option<&str>) -> Result<Vec<PersonLink>> {
        let mut st = self.conn().prepare_cached(
            "SELECT person_id, doc_id, form, turns, mentions, roles, how FROM person_links \
             WHERE (?1 IS NULL OR person_id = ?1) AND (?2 IS NULL OR doc_id = ?2) ORDER BY person_id, doc_id, form",
        )?;
        let rows = st.query_map(params![person, doc], |r| {
            let roles: String = r.get(5)?;
            Ok(PersonLink {
                person: r.get(0)?,
                doc_id: r.get(1)?,
                form: r.get(2)?,
                turns: r.get(3)?,
                mentions: r.get(4)?,
                roles: roles.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                how: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn person_ambiguities(&self) -> Result<Vec<Ambiguity>> {
        let mut st =
            self.conn().prepare("SELECT doc_id, form, candidates FROM person_ambiguities ORDER BY doc_id, form")?;
        let rows = st.query_map([], |r| {
            let c: String = r.get(2)?;
            Ok(Ambiguity { doc_id: r.get(0)?, form: r.get(1)?, candidates: c.split(',').map(str::to_owned).collect() })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A page of the authority's persons a viewer may know of, most documents first: those
    /// linked to a document the viewer sees, and those no document names (authority records
    /// alone, public); `contains` matches the preferred name or any spelling (ASCII letters
    /// case-insensitively). Returns the total and the page.
    pub fn people_page(
        &self,
        contains: Option<&str>,
        visibility: &crate::access::Visibility,
        limit: usize,
        offset: usize,
    ) -> Result<(u64, Vec<Person>)> {
        let pattern = contains.map(|c| {
            let escaped = c.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        });
        let visible = match visibility {
            crate::access::Visibility::Everything => "1".to_owned(),
            v => format!(
                "(EXISTS (SELECT 1 FROM person_links l JOIN documents d ON d.id = l.doc_id \
                   WHERE l.person_id = p.id AND {}) \
                  OR NOT EXISTS (SELECT 1 FROM person_links l WHERE l.person_id = p.id))",
                v.sql("d")
            ),
        };
        let filter = format!(
            "{visible} AND (?1 IS NULL OR p.name LIKE ?1 ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM person_names n WHERE n.person_id = p.id AND n.form LIKE ?1 ESCAPE '\\'))"
        );
        let total: i64 =
            self.conn()
                .query_row(&format!("SELECT COUNT(*) FROM people p WHERE {filter}"), [&pattern], |r| r.get(0))?;
        let total = total as u64;
        let mut st = self.conn().prepare(&format!(
            "SELECT p.id, p.json FROM people p WHERE {filter} ORDER BY p.documents DESC, p.id LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = st.query_map(params![pattern, limit as i64, offset as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            out.push(serde_json::from_str(&json).map_err(|e| corrupt(&id, e))?);
        }
        Ok((total, out))
    }
}
