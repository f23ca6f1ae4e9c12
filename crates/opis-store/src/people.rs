//! The people authority's tables: persons (with their variants for lookups), which person
//! each name in each document is, the ambiguities left for an editor, and the authority
//! records (pocom) the authority is built from. The authority is derived data: it is
//! replaced whole after every ingest and reindex, written part by part through a
//! [`PeopleWriter`] in one transaction.
//!
//! What the authority needs of each document is kept beside it (`write_summary`, in the
//! document's transaction): a row per document (`people_docs`: scope, year, reader, the
//! content hash and rules it was made from) and a row per name under
//! its node (`people_uses`: surname key, else source id), so that a rebuild reads the names of
//! one group of nodes at a time ([`SqliteStore::people_of_nodes`]) and never whole documents.

use std::collections::{BTreeMap, BTreeSet};

use opis_model::people::{Ambiguity, Authority, DocPeople, NameUse, PeopleSummary, Person, PersonLink};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use crate::{Result, SqliteStore, StoreError};

/// A text column, borrowed.
fn text<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> Result<&'a str> {
    r.get_ref(i)?
        .as_str()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)).into())
}

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
        let mut w = self.begin_people()?;
        w.write(a)?;
        w.finish(None)
    }

    /// Starts replacing the authority: the old one is gone once [`PeopleWriter::finish`]
    /// commits, and stays if the writer is dropped unfinished. The store can be read meanwhile
    /// (on this connection, inside the transaction).
    pub fn begin_people(&self) -> Result<PeopleWriter<'_>> {
        let tx = Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate)?;
        for t in ["people", "person_names", "person_links", "person_ambiguities"] {
            tx.execute(&format!("DELETE FROM {t}"), [])?;
        }
        Ok(PeopleWriter { tx })
    }

    /// The fingerprint of the inputs of the authority last built by a rebuild (`None` when
    /// it was stored otherwise).
    pub fn people_inputs(&self) -> Result<Option<String>> {
        Ok(self.conn().query_row("SELECT inputs FROM people_generation", [], |r| r.get(0))?)
    }

    /// Current documents whose people summary is missing or stale (made from other content or
    /// by other rules than `rules`), by id.
    pub fn stale_people_summaries(&self, rules: u32) -> Result<Vec<String>> {
        let mut st = self.conn().prepare(
            "SELECT d.id FROM documents d LEFT JOIN people_docs p ON p.doc_id = d.id \
             WHERE p.doc_id IS NULL OR p.content_hash != d.content_hash OR p.rules != ?1 ORDER BY d.id",
        )?;
        let rows = st.query_map([rules], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores people summaries, each with the content hash of the version it was made from.
    pub fn put_people_summaries(&mut self, summaries: &[(String, PeopleSummary)]) -> Result<()> {
        let tx = self.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (hash, s) in summaries {
            write_summary(&tx, &s.doc_id, hash, Some(s))?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every node that holds a name, in order.
    pub fn people_nodes(&self) -> Result<Vec<String>> {
        // One seek per node: the distinct nodes are few beside the names.
        let mut st = self.conn().prepare("SELECT node FROM people_uses WHERE node > ?1 ORDER BY node LIMIT 1")?;
        let mut out: Vec<String> = Vec::new();
        loop {
            let after = out.last().map_or("", String::as_str);
            match st.query_row([after], |r| r.get::<_, String>(0)).optional()? {
                Some(node) => out.push(node),
                None => return Ok(out),
            }
        }
    }

    /// The (node, source id) pairs the names tie together.
    pub fn people_ties(&self) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn()
            .prepare("SELECT DISTINCT source, node FROM people_uses WHERE source IS NOT NULL ORDER BY source, node")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(0)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What the documents say of the names under `nodes`: one [`DocPeople`] per document (by
    /// id) holding only those names (by form), with those of its forms that are surnames alone
    /// the document also prints as forenames.
    pub fn people_of_nodes(&self, nodes: &[String]) -> Result<Vec<DocPeople>> {
        let mut st = self.conn().prepare_cached(
            "SELECT u.doc_id, u.form, u.roles, u.turns, u.mentions, u.refs, u.forename, d.scope, d.year, d.reader \
             FROM people_uses u JOIN people_docs d ON d.doc_id = u.doc_id WHERE u.node = ?1 \
             ORDER BY u.doc_id, u.form",
        )?;
        let mut docs: BTreeMap<String, DocPeople> = BTreeMap::new();
        for node in nodes {
            let mut rows = st.query([node])?;
            while let Some(r) = rows.next()? {
                let doc_id: String = r.get(0)?;
                let refs = match text(r, 5)? {
                    "[]" => Vec::new(),
                    json => serde_json::from_str(json).map_err(|e| corrupt(&doc_id, e))?,
                };
                let name = NameUse {
                    form: r.get(1)?,
                    roles: text(r, 2)?.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                    turns: r.get(3)?,
                    mentions: r.get(4)?,
                    refs,
                };
                let forename: bool = r.get(6)?;
                let d = match docs.get_mut(&doc_id) {
                    Some(d) => d,
                    None => docs.entry(doc_id.clone()).or_insert(DocPeople {
                        doc_id: doc_id.clone(),
                        scope: r.get(7)?,
                        year: r.get(8)?,
                        reader: r.get(9)?,
                        names: Vec::new(),
                        forename_forms: Some(BTreeSet::new()),
                    }),
                };
                if forename && let Some(forms) = &mut d.forename_forms {
                    forms.insert(name.form.clone());
                }
                d.names.push(name);
            }
        }
        let mut out: Vec<DocPeople> = docs.into_values().collect();
        if nodes.len() > 1 {
            for d in &mut out {
                d.names.sort_by(|a, b| a.form.cmp(&b.form));
            }
        }
        Ok(out)
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

/// Writes an authority part by part (see [`SqliteStore::begin_people`]).
pub struct PeopleWriter<'a> {
    tx: Transaction<'a>,
}

impl PeopleWriter<'_> {
    /// Stores persons, links and ambiguities (of a part of the authority: no person twice).
    pub fn write(&mut self, a: &Authority) -> Result<()> {
        for p in &a.persons {
            let json = serde_json::to_string(p).map_err(|e| corrupt(&p.id, e))?;
            self.tx
                .prepare_cached("INSERT INTO people (id, name, documents, json) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![p.id, p.name, p.documents, json])?;
            for v in &p.variants {
                self.tx
                    .prepare_cached("INSERT OR IGNORE INTO person_names (person_id, form) VALUES (?1, ?2)")?
                    .execute(params![p.id, v.form])?;
            }
        }
        for l in &a.links {
            self.tx
                .prepare_cached(
                    "INSERT INTO person_links (person_id, doc_id, form, turns, mentions, roles, how) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![l.person, l.doc_id, l.form, l.turns, l.mentions, l.roles.join(","), l.how])?;
        }
        for x in &a.ambiguities {
            self.tx
                .prepare_cached("INSERT INTO person_ambiguities (doc_id, form, candidates) VALUES (?1, ?2, ?3)")?
                .execute(params![x.doc_id, x.form, x.candidates.join(",")])?;
        }
        Ok(())
    }

    /// Commits the new authority, with the fingerprint of its inputs.
    pub fn finish(self, inputs: Option<&str>) -> Result<()> {
        self.tx.execute("UPDATE people_generation SET generation = generation + 1, inputs = ?1", [inputs])?;
        self.tx.commit()?;
        Ok(())
    }
}

/// Replaces the people summary of a document (none: it is made again before the next build).
pub(crate) fn write_summary(tx: &Transaction<'_>, doc_id: &str, hash: &str, s: Option<&PeopleSummary>) -> Result<()> {
    tx.prepare_cached("DELETE FROM people_uses WHERE doc_id = ?1")?.execute([doc_id])?;
    tx.prepare_cached("DELETE FROM people_docs WHERE doc_id = ?1")?.execute([doc_id])?;
    let Some(s) = s else { return Ok(()) };
    tx.prepare_cached(
        "INSERT INTO people_docs (doc_id, content_hash, rules, scope, year, reader) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![doc_id, hash, s.rules, s.scope, s.year, s.reader])?;
    for u in &s.uses {
        let roles: Vec<&str> = u.name.roles.iter().map(String::as_str).collect();
        let refs = serde_json::to_string(&u.name.refs).map_err(|e| corrupt(doc_id, e))?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO people_uses (node, doc_id, form, source, forename, roles, turns, mentions, refs) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            u.node,
            doc_id,
            u.name.form,
            u.source,
            u.forename,
            roles.join(","),
            u.name.turns,
            u.name.mentions,
            refs
        ])?;
    }
    Ok(())
}
