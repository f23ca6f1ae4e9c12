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
//! one group of nodes at a time ([`SqlStore::people_of_nodes`]) and never whole documents.
//! On SQLite a document's names first wait as one row (`people_pending`); the rebuild files
//! them all under their nodes in one sorted pass ([`SqlStore::settle_people_uses`]), which
//! costs a fraction of inserting each where its node is while the document is written.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{Db, Engine, Row, Value, args};
use crate::{Result, SqlStore, StoreError};
use opis_model::people::{Ambiguity, Authority, DocPeople, KeyedUse, NameUse, PeopleSummary, Person, PersonLink};

/// Persons (or ambiguities) read at a time by [`SqlStore::for_each_person`] and
/// [`SqlStore::for_each_ambiguity`].
pub const PEOPLE_BATCH: usize = 100;

fn corrupt(id: &str, source: serde_json::Error) -> StoreError {
    StoreError::Corrupt { id: format!("person {id}"), version: 0, source }
}

impl SqlStore {
    /// Stores authority records (key, JSON), replacing those of the same key.
    pub fn put_person_records(&mut self, records: &[(String, String)]) -> Result<()> {
        self.db().write(|db| {
            for (id, json) in records {
                db.execute(
                    "INSERT INTO person_records (id, json) VALUES (?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                    args![id, json],
                )?;
            }
            Ok(())
        })
    }

    /// Every authority record's JSON, by key.
    pub fn person_records(&self) -> Result<Vec<String>> {
        self.db().query("SELECT json FROM person_records ORDER BY id", args![])?.iter().map(|r| r.get(0)).collect()
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
        let db = self.db();
        db.begin()?;
        let writer = PeopleWriter { db, open: true };
        for t in ["people", "person_names", "person_links", "person_ambiguities"] {
            db.execute(&format!("DELETE FROM {t}"), args![])?;
        }
        // SQLite: the tables are refilled whole, so their secondary indexes are dropped here and
        // made again, each in one sorted pass, by `finish` (in the same transaction: a rollback
        // brings them back) instead of taking every row in random order.
        if db.engine() == Engine::Sqlite {
            for (name, _) in BULK_INDEXES {
                db.execute(&format!("DROP INDEX IF EXISTS {name}"), args![])?;
            }
        }
        Ok(writer)
    }

    /// The fingerprint of the inputs of the authority last built by a rebuild (`None` when
    /// it was stored otherwise).
    pub fn people_inputs(&self) -> Result<Option<String>> {
        Ok(self.db().value::<Option<String>>("SELECT inputs FROM people_generation", args![])?.flatten())
    }

    /// Current documents whose people summary is missing or stale (made from other content or
    /// by other rules than `rules`), by id.
    pub fn stale_people_summaries(&self, rules: u32) -> Result<Vec<String>> {
        self.db()
            .query(
                "SELECT d.id FROM documents d LEFT JOIN people_docs p ON p.doc_id = d.id \
                 WHERE p.doc_id IS NULL OR p.content_hash != d.content_hash OR p.rules != ?1 ORDER BY d.id",
                args![rules],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// Stores people summaries, each with the content hash of the version it was made from.
    pub fn put_people_summaries(&mut self, summaries: &[(String, PeopleSummary)]) -> Result<()> {
        self.db().write(|db| {
            for (hash, s) in summaries {
                write_summary(db, &s.doc_id, hash, Some(s), true)?;
            }
            Ok(())
        })
    }

    /// Files the names that documents were stored with (`people_pending`) under their nodes in
    /// `people_uses`, in one pass sorted by the table's key, and returns how many. Names of a
    /// version that is no longer the document's current one are dropped. The people rebuild
    /// calls it before it reads names by node; on PostgreSQL names are filed as they are
    /// written and there is nothing to do.
    pub fn settle_people_uses(&mut self) -> Result<u64> {
        if self.db().engine() == Engine::Postgres {
            return Ok(0);
        }
        self.db().write(|db| {
            let filed = db.execute(
                "INSERT INTO people_uses (node, doc_id, form, source, forename, roles, turns, mentions, refs, \
                                          scope, year, reader) \
                 SELECT u.value ->> 0, p.doc_id, u.value ->> 1, u.value ->> 2, u.value ->> 3, u.value ->> 4, \
                        u.value ->> 5, u.value ->> 6, u.value ->> 7, d.scope, d.year, d.reader \
                 FROM people_pending p \
                 JOIN people_docs d ON d.doc_id = p.doc_id AND d.content_hash = p.content_hash, \
                      json_each(p.uses) u \
                 WHERE true ORDER BY 1, 2, 3 \
                 ON CONFLICT (node, doc_id, form) DO UPDATE SET source = excluded.source, \
                    forename = excluded.forename, roles = excluded.roles, turns = excluded.turns, \
                    mentions = excluded.mentions, refs = excluded.refs, scope = excluded.scope, \
                    year = excluded.year, reader = excluded.reader",
                args![],
            )?;
            db.execute("DELETE FROM people_pending", args![])?;
            Ok(filed)
        })
    }

    /// Every node that holds a name, in order.
    pub fn people_nodes(&self) -> Result<Vec<String>> {
        // One seek per node: the distinct nodes are few beside the names.
        let mut out: Vec<String> = Vec::new();
        loop {
            let after = out.last().map_or("", String::as_str);
            match self.db().value("SELECT node FROM people_uses WHERE node > ?1 ORDER BY node LIMIT 1", args![after])? {
                Some(node) => out.push(node),
                None => return Ok(out),
            }
        }
    }

    /// The (node, source id) pairs the names tie together.
    pub fn people_ties(&self) -> Result<Vec<(String, String)>> {
        self.db()
            .query(
                "SELECT DISTINCT source, node FROM people_uses WHERE source IS NOT NULL ORDER BY source, node",
                args![],
            )?
            .iter()
            .map(|r| Ok((r.get(1)?, r.get(0)?)))
            .collect()
    }

    /// What the documents say of the names under `nodes`: one [`DocPeople`] per document (by
    /// id) holding only those names (by form), with those of its forms that are surnames alone
    /// the document also prints as forenames.
    pub fn people_of_nodes(&self, nodes: &[String]) -> Result<Vec<DocPeople>> {
        // The same rows either way; the statements are literals (no SQL built per node).
        macro_rules! uses_of {
            ($where_order:literal) => {
                concat!(
                    "SELECT u.doc_id, u.form, u.roles, u.turns, u.mentions, u.refs, u.forename, \
                     u.scope, u.year, u.reader FROM people_uses u ",
                    $where_order
                )
            };
        }
        let mut docs: BTreeMap<String, DocPeople> = BTreeMap::new();
        // SQLite: a query per node, each a range of the primary key. PostgreSQL: one query for
        // the whole part (fewer round trips), its rows in the same order (by document, then the
        // part's order of nodes, then form).
        if self.db().engine() == Engine::Postgres {
            let part: Vec<Option<&str>> = nodes.iter().map(|n| Some(n.as_str())).collect();
            let rows = self.db().query(
                uses_of!(
                    "WHERE u.node = ANY(?1::text[]) \
                     ORDER BY u.doc_id, array_position(?1::text[], u.node::text), u.form"
                ),
                args![Value::Texts(part)],
            )?;
            add_uses(&mut docs, &rows)?;
        } else {
            for node in nodes {
                let rows = self.db().query(uses_of!("WHERE u.node = ?1 ORDER BY u.doc_id, u.form"), args![node])?;
                add_uses(&mut docs, &rows)?;
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

    /// Goes up by one with every [`SqlStore::replace_people`]: readers reload when it moves.
    pub fn people_generation(&self) -> Result<i64> {
        Ok(self.db().value("SELECT generation FROM people_generation", args![])?.unwrap_or(0))
    }

    /// Every person, most documents first, then by id.
    pub fn people(&self) -> Result<Vec<Person>> {
        let mut all = Vec::new();
        self.for_each_person(PEOPLE_BATCH, |p| {
            all.push(p);
            Ok::<_, StoreError>(())
        })?;
        Ok(all)
    }

    /// Hands every person to `f` in the order of [`SqlStore::people`], reading `batch` at a
    /// time: a person's record lists every document that spells each of its names, so the whole
    /// authority of a large collection is large (1.2 GB at a million documents).
    pub fn for_each_person<E: From<StoreError>>(
        &self,
        batch: usize,
        mut f: impl FnMut(Person) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        // After (documents, id) of the last person handed on; no person has i64::MAX documents.
        let mut after: (i64, String) = (i64::MAX, String::new());
        loop {
            let rows = self.db().query(
                "SELECT id, json, documents FROM people \
                 WHERE documents <= ?1 AND (documents < ?1 OR id > ?2) \
                 ORDER BY documents DESC, id LIMIT ?3",
                args![after.0, after.1, batch.max(1)],
            )?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = (last.get(2)?, last.get(0)?);
            for r in &rows {
                f(person_row(r)?)?;
            }
        }
    }
    pub fn person(&self, id: &str) -> Result<Option<Person>> {
        let json: Option<String> = self.db().value("SELECT json FROM people WHERE id = ?1", args![id])?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| corrupt(id, e))).transpose()
    }

    /// Persons with a variant spelled exactly `form`.
    pub fn people_named(&self, form: &str) -> Result<Vec<String>> {
        self.db()
            .query("SELECT person_id FROM person_names WHERE form = ?1 ORDER BY person_id", args![form])?
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// Every (person id, form) pair: what search expands a name through.
    pub fn person_names(&self) -> Result<Vec<(String, String)>> {
        self.db()
            .query("SELECT person_id, form FROM person_names ORDER BY person_id, form", args![])?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect()
    }

    /// The names of a person in the documents, or the persons named in a document.
    pub fn person_links(&self, person: Option<&str>, doc: Option<&str>) -> Result<Vec<PersonLink>> {
        let rows = self.db().query(
            "SELECT person_id, doc_id, form, turns, mentions, roles, how FROM person_links \
             WHERE (CAST(?1 AS TEXT) IS NULL OR person_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR doc_id = ?2) ORDER BY person_id, doc_id, form",
            args![person, doc],
        )?;
        rows.iter()
            .map(|r| {
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
            })
            .collect()
    }

    pub fn person_ambiguities(&self) -> Result<Vec<Ambiguity>> {
        let mut all = Vec::new();
        self.for_each_ambiguity(PEOPLE_BATCH, |a| {
            all.push(a);
            Ok::<_, StoreError>(())
        })?;
        Ok(all)
    }

    /// Hands every ambiguity to `f` in the order of [`SqlStore::person_ambiguities`] (by
    /// document, then form), reading `batch` at a time (a million documents leave 817,000).
    pub fn for_each_ambiguity<E: From<StoreError>>(
        &self,
        batch: usize,
        mut f: impl FnMut(Ambiguity) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let limit = batch.max(1);
        let mut rows = self.db().query(
            "SELECT doc_id, form, candidates FROM person_ambiguities ORDER BY doc_id, form, candidates LIMIT ?1",
            args![limit],
        )?;
        loop {
            let Some(last) = rows.last() else { return Ok(()) };
            let after: (String, String, String) = (last.get(0)?, last.get(1)?, last.get(2)?);
            for r in &rows {
                let c: String = r.get(2)?;
                f(Ambiguity {
                    doc_id: r.get(0)?,
                    form: r.get(1)?,
                    candidates: c.split(',').map(str::to_owned).collect(),
                })?;
            }
            // A range of the index person_ambiguities_doc.
            rows = self.db().query(
                "SELECT doc_id, form, candidates FROM person_ambiguities WHERE (doc_id, form, candidates) > (?1, ?2, ?3) \
                 ORDER BY doc_id, form, candidates LIMIT ?4",
                args![after.0, after.1, after.2, limit],
            )?;
        }
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
            crate::access::Visibility::Everything => "TRUE".to_owned(),
            v => format!(
                "(EXISTS (SELECT 1 FROM person_links l JOIN documents d ON d.id = l.doc_id \
                   WHERE l.person_id = p.id AND {}) \
                  OR NOT EXISTS (SELECT 1 FROM person_links l WHERE l.person_id = p.id))",
                v.sql("d")
            ),
        };
        let filter = format!(
            "{visible} AND (CAST(?1 AS TEXT) IS NULL OR lower(p.name) LIKE lower(?1) ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM person_names n WHERE n.person_id = p.id AND lower(n.form) LIKE lower(?1) ESCAPE '\\'))"
        );
        let total: i64 =
            self.db().value(&format!("SELECT COUNT(*) FROM people p WHERE {filter}"), args![pattern])?.unwrap_or(0);
        let rows = self.db().query(
            &format!(
                "SELECT p.id, p.json FROM people p WHERE {filter} ORDER BY p.documents DESC, p.id LIMIT ?2 OFFSET ?3"
            ),
            args![pattern, limit, offset],
        )?;
        Ok((total as u64, rows.iter().map(person_row).collect::<Result<_>>()?))
    }
}

/// Adds rows of [`SqlStore::people_of_nodes`]'s query to the documents they name.
fn add_uses(docs: &mut BTreeMap<String, DocPeople>, rows: &[Row]) -> Result<()> {
    for r in rows {
        let doc_id: String = r.get(0)?;
        let refs = match r.text(5)? {
            "[]" => Vec::new(),
            json => serde_json::from_str(json).map_err(|e| corrupt(&doc_id, e))?,
        };
        let name = NameUse {
            form: r.get(1)?,
            roles: r.text(2)?.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
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
    Ok(())
}

/// Writes an authority part by part (see [`SqlStore::begin_people`]): one write transaction,
/// rolled back if the writer is dropped unfinished.
pub struct PeopleWriter<'a> {
    db: &'a Db,
    /// The transaction is still open.
    open: bool,
}

impl PeopleWriter<'_> {
    /// Stores persons, links and ambiguities (of a part of the authority: no person twice).
    pub fn write(&mut self, a: &Authority) -> Result<()> {
        let db = self.db;
        if db.engine() == Engine::Postgres {
            return write_unnested(db, a);
        }
        for p in &a.persons {
            let json = serde_json::to_string(p).map_err(|e| corrupt(&p.id, e))?;
            db.execute(
                "INSERT INTO people (id, name, documents, json) VALUES (?1, ?2, ?3, ?4)",
                args![p.id, p.name, p.documents, json],
            )?;
            for v in &p.variants {
                db.execute(
                    "INSERT INTO person_names (person_id, form) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    args![p.id, v.form],
                )?;
            }
        }
        for l in &a.links {
            db.execute(
                "INSERT INTO person_links (person_id, doc_id, form, turns, mentions, roles, how) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                args![l.person, l.doc_id, l.form, l.turns, l.mentions, l.roles.join(","), l.how],
            )?;
        }
        for x in &a.ambiguities {
            db.execute(
                "INSERT INTO person_ambiguities (doc_id, form, candidates) VALUES (?1, ?2, ?3)",
                args![x.doc_id, x.form, x.candidates.join(",")],
            )?;
        }
        Ok(())
    }

    /// Commits the new authority, with the fingerprint of its inputs.
    pub fn finish(mut self, inputs: Option<&str>) -> Result<()> {
        if self.db.engine() == Engine::Sqlite {
            for (name, on) in BULK_INDEXES {
                self.db.execute(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on}"), args![])?;
            }
        }
        self.db.execute("UPDATE people_generation SET generation = generation + 1, inputs = ?1", args![inputs])?;
        self.open = false;
        self.db.commit()
    }
}

impl Drop for PeopleWriter<'_> {
    fn drop(&mut self) {
        if self.open {
            self.db.rollback();
        }
    }
}

/// The secondary indexes of the authority's tables (as migration 5 made them), which an
/// embedded rebuild drops and makes again after refilling the tables.
const BULK_INDEXES: [(&str, &str); 3] = [
    ("person_names_form", "person_names (form)"),
    ("person_links_person", "person_links (person_id)"),
    ("person_links_doc", "person_links (doc_id)"),
];

/// Rows per statement when PostgreSQL takes a table's rows as arrays.
const CHUNK: usize = 2_000;

fn texts<'a, T>(rows: &'a [T], f: impl Fn(&'a T) -> Option<&'a str>) -> Value<'a> {
    Value::Texts(rows.iter().map(f).collect())
}

fn ints<T>(rows: &[T], f: impl Fn(&T) -> i64) -> Value<'static> {
    Value::Ints(rows.iter().map(|r| Some(f(r))).collect())
}

/// [`PeopleWriter::write`] on PostgreSQL: each table's rows as arrays, a statement per
/// [`CHUNK`] rows (one round trip instead of one per row).
fn write_unnested(db: &Db, a: &Authority) -> Result<()> {
    let jsons: Vec<String> =
        a.persons.iter().map(|p| serde_json::to_string(p).map_err(|e| corrupt(&p.id, e))).collect::<Result<_>>()?;
    let people: Vec<(&Person, &String)> = a.persons.iter().zip(&jsons).collect();
    for part in people.chunks(CHUNK) {
        db.execute(
            "INSERT INTO people (id, name, documents, json) SELECT * FROM unnest(?1::text[], ?2::text[], ?3::bigint[], ?4::text[])",
            args![
                texts(part, |(p, _)| Some(p.id.as_str())),
                texts(part, |(p, _)| Some(p.name.as_str())),
                ints(part, |(p, _)| i64::from(p.documents)),
                texts(part, |(_, j)| Some(j.as_str()))
            ],
        )?;
    }
    let names: Vec<(&str, &str)> =
        a.persons.iter().flat_map(|p| p.variants.iter().map(move |v| (p.id.as_str(), v.form.as_str()))).collect();
    for part in names.chunks(CHUNK) {
        db.execute(
            "INSERT INTO person_names (person_id, form) SELECT * FROM unnest(?1::text[], ?2::text[]) ON CONFLICT DO NOTHING",
            args![texts(part, |n| Some(n.0)), texts(part, |n| Some(n.1))],
        )?;
    }
    let roles: Vec<String> = a.links.iter().map(|l| l.roles.join(",")).collect();
    let links: Vec<(&PersonLink, &String)> = a.links.iter().zip(&roles).collect();
    for part in links.chunks(CHUNK) {
        db.execute(
            "INSERT INTO person_links (person_id, doc_id, form, turns, mentions, roles, how) \
             SELECT * FROM unnest(?1::text[], ?2::text[], ?3::text[], ?4::bigint[], ?5::bigint[], ?6::text[], ?7::text[])",
            args![
                texts(part, |(l, _)| Some(l.person.as_str())),
                texts(part, |(l, _)| Some(l.doc_id.as_str())),
                texts(part, |(l, _)| Some(l.form.as_str())),
                ints(part, |(l, _)| i64::from(l.turns)),
                ints(part, |(l, _)| i64::from(l.mentions)),
                texts(part, |(_, r)| Some(r.as_str())),
                texts(part, |(l, _)| Some(l.how.as_str()))
            ],
        )?;
    }
    let candidates: Vec<String> = a.ambiguities.iter().map(|x| x.candidates.join(",")).collect();
    let ambiguities: Vec<(&Ambiguity, &String)> = a.ambiguities.iter().zip(&candidates).collect();
    for part in ambiguities.chunks(CHUNK) {
        db.execute(
            "INSERT INTO person_ambiguities (doc_id, form, candidates) SELECT * FROM unnest(?1::text[], ?2::text[], ?3::text[])",
            args![
                texts(part, |(x, _)| Some(x.doc_id.as_str())),
                texts(part, |(x, _)| Some(x.form.as_str())),
                texts(part, |(_, c)| Some(c.as_str()))
            ],
        )?;
    }
    Ok(())
}

/// A `SELECT id, json FROM people` row as a person.
fn person_row(r: &Row) -> Result<Person> {
    let id: String = r.get(0)?;
    serde_json::from_str(r.text(1)?).map_err(|e| corrupt(&id, e))
}

/// Replaces the people summary of a document (none: it is made again before the next build);
/// `existed`: the document was stored before, so it may have one to remove.
pub(crate) fn write_summary(db: &Db, doc_id: &str, hash: &str, s: Option<&PeopleSummary>, existed: bool) -> Result<()> {
    if existed {
        // The old names, found through the nodes the document's row lists: a primary-key
        // range of `people_uses` each.
        let nodes: Option<String> = db.value("SELECT nodes FROM people_docs WHERE doc_id = ?1", args![doc_id])?;
        let nodes: Vec<String> = match nodes {
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt(doc_id, e))?,
            None => Vec::new(),
        };
        for node in nodes {
            db.execute("DELETE FROM people_uses WHERE node = ?1 AND doc_id = ?2", args![node, doc_id])?;
        }
        db.execute("DELETE FROM people_docs WHERE doc_id = ?1", args![doc_id])?;
    }
    let Some(s) = s else { return Ok(()) };
    let nodes = nodes_of(s);
    if db.engine() == Engine::Postgres {
        return write_summary_unnested(db, doc_id, hash, s, &nodes);
    }
    db.execute(
        "INSERT INTO people_docs (doc_id, content_hash, rules, scope, year, reader, nodes) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![doc_id, hash, s.rules, s.scope, s.year, s.reader, nodes],
    )?;
    // The names wait, one row for the document, until `settle_people_uses` files them.
    let uses: Vec<serde_json::Value> = last_uses(s)
        .into_iter()
        .map(|u| {
            let roles: Vec<&str> = u.name.roles.iter().map(String::as_str).collect();
            let refs = serde_json::to_string(&u.name.refs)?;
            Ok(serde_json::json!([
                u.node,
                u.name.form,
                u.source,
                u8::from(u.forename),
                roles.join(","),
                u.name.turns,
                u.name.mentions,
                refs
            ]))
        })
        .collect::<std::result::Result<_, serde_json::Error>>()
        .map_err(|e| corrupt(doc_id, e))?;
    let uses = serde_json::to_string(&uses).map_err(|e| corrupt(doc_id, e))?;
    db.execute(
        "INSERT INTO people_pending (doc_id, content_hash, uses) VALUES (?1, ?2, ?3)",
        args![doc_id, hash, uses],
    )?;
    Ok(())
}

/// A summary's names, one per (node, form) (a name met twice under the same node keeps its
/// last use), in that order.
fn last_uses(s: &PeopleSummary) -> Vec<&KeyedUse> {
    let mut last: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, u) in s.uses.iter().enumerate() {
        last.insert((u.node.as_str(), u.name.form.as_str()), i);
    }
    last.into_values().map(|i| &s.uses[i]).collect()
}

/// The distinct nodes of a summary's names, in order, as a JSON array (a node may hold any
/// character: a source id's node holds the collection's name): what `people_docs.nodes` holds so
/// that the names can be removed again without an index by document.
fn nodes_of(s: &PeopleSummary) -> String {
    let nodes: BTreeSet<&str> = s.uses.iter().map(|u| u.node.as_str()).collect();
    serde_json::to_string(&nodes).unwrap_or_else(|_| "[]".to_owned())
}

/// A summary on PostgreSQL: one statement for its row and its names, the names as arrays (a
/// name met twice under the same node keeps its last use, as the row-by-row upsert does).
fn write_summary_unnested(db: &Db, doc_id: &str, hash: &str, s: &PeopleSummary, nodes: &str) -> Result<()> {
    let uses = last_uses(s);
    let roles: Vec<String> =
        uses.iter().map(|u| u.name.roles.iter().map(String::as_str).collect::<Vec<_>>().join(",")).collect();
    let refs: Vec<String> = uses
        .iter()
        .map(|u| serde_json::to_string(&u.name.refs).map_err(|e| corrupt(doc_id, e)))
        .collect::<Result<_>>()?;
    db.execute(
        "WITH d AS (INSERT INTO people_docs (doc_id, content_hash, rules, scope, year, reader, nodes) \
                    VALUES (?1, ?10, ?11, ?12, ?13, ?14, ?15)) \
         INSERT INTO people_uses (node, doc_id, form, source, forename, roles, turns, mentions, refs, \
                                  scope, year, reader) \
         SELECT u.node, ?1, u.form, u.source, u.forename, u.roles, u.turns, u.mentions, u.refs, ?12, ?13, ?14 \
         FROM unnest(?2::text[], ?3::text[], ?4::text[], ?5::bigint[], ?6::text[], ?7::bigint[], ?8::bigint[], ?9::text[]) \
              AS u (node, form, source, forename, roles, turns, mentions, refs)",
        args![
            doc_id,
            texts(&uses, |u| Some(u.node.as_str())),
            texts(&uses, |u| Some(u.name.form.as_str())),
            texts(&uses, |u| u.source.as_deref()),
            ints(&uses, |u| i64::from(u.forename)),
            Value::Texts(roles.iter().map(|r| Some(r.as_str())).collect()),
            ints(&uses, |u| i64::from(u.name.turns)),
            ints(&uses, |u| i64::from(u.name.mentions)),
            Value::Texts(refs.iter().map(|r| Some(r.as_str())).collect()),
            hash,
            s.rules,
            s.scope,
            s.year,
            s.reader,
            nodes
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use opis_model::people::NameVariant;

    fn authority(person: &str, docs: &[&str]) -> Authority {
        let variant = NameVariant { form: person.to_owned(), script: "Latn".into(), ..Default::default() };
        Authority {
            persons: vec![Person {
                id: person.to_lowercase(),
                name: person.to_owned(),
                variants: vec![variant],
                documents: docs.len() as u32,
                ..Default::default()
            }],
            links: docs
                .iter()
                .map(|d| PersonLink {
                    person: person.to_lowercase(),
                    doc_id: (*d).to_owned(),
                    form: person.to_owned(),
                    turns: 1,
                    mentions: 2,
                    roles: vec![],
                    how: "test".into(),
                })
                .collect(),
            ambiguities: vec![],
        }
    }

    fn summary(doc_id: &str, names: &[(&str, &str)]) -> PeopleSummary {
        let uses = names
            .iter()
            .map(|(node, form)| opis_model::people::KeyedUse {
                node: (*node).to_owned(),
                name: NameUse { form: (*form).to_owned(), turns: 1, ..Default::default() },
                ..Default::default()
            })
            .collect();
        PeopleSummary {
            rules: 1,
            doc_id: doc_id.to_owned(),
            scope: "s".into(),
            reader: "r".into(),
            uses,
            ..Default::default()
        }
    }

    /// A document's new summary takes the place of its old one: names it no longer has are
    /// gone from their nodes (found through the nodes its row lists), other documents' stay;
    /// whether the old names had been filed under their nodes or were still waiting.
    #[test]
    fn a_changed_summary_replaces_the_names_of_the_old_one() {
        for (mut store, settle_first) in crate::test_stores("people-summary")
            .into_iter()
            .map(|s| (s, false))
            .chain(crate::test_stores("people-summary-settled").into_iter().map(|s| (s, true)))
        {
            // A source id's node holds the collection's name, which may hold any character.
            let first = summary(
                "d1",
                &[
                    ("zhukov", "Zhukov"),
                    ("molotov", "Molotov"),
                    ("molotov", "V. M. Molotov"),
                    ("#Vol.\n\"XXV\"#p1", "W."),
                ],
            );
            let other = summary("d2", &[("zhukov", "G. K. Zhukov")]);
            store.put_people_summaries(&[("h1".into(), first), ("h2".into(), other)]).unwrap();
            if settle_first {
                store.settle_people_uses().unwrap();
            }
            let second = summary("d1", &[("molotov", "Molotov"), ("kaganovich", "Kaganovich")]);
            store.put_people_summaries(&[("h3".into(), second)]).unwrap();
            store.settle_people_uses().unwrap();

            assert_eq!(store.people_nodes().unwrap(), ["kaganovich", "molotov", "zhukov"]);
            let forms = |node: &str| -> Vec<(String, String)> {
                let docs = store.people_of_nodes(&[node.to_owned()]).unwrap();
                docs.iter().flat_map(|d| d.names.iter().map(|n| (d.doc_id.clone(), n.form.clone()))).collect()
            };
            assert_eq!(forms("zhukov"), [("d2".to_owned(), "G. K. Zhukov".to_owned())], "d1 no longer names Zhukov");
            assert_eq!(forms("molotov"), [("d1".to_owned(), "Molotov".to_owned())]);
            assert_eq!(forms("kaganovich"), [("d1".to_owned(), "Kaganovich".to_owned())]);
            let nodes: String =
                store.db().value("SELECT nodes FROM people_docs WHERE doc_id = 'd1'", args![]).unwrap().unwrap();
            assert_eq!(nodes, r#"["kaganovich","molotov"]"#);
        }
    }

    /// A rebuild replaces the authority whole; one dropped before `finish` leaves the last one
    /// as it was, secondary indexes included (SQLite drops them while it refills the tables).
    #[test]
    fn a_rebuild_replaces_the_authority_and_an_unfinished_one_changes_nothing() {
        for store in crate::test_stores("people") {
            let mut w = store.begin_people().unwrap();
            w.write(&authority("Zhukov", &["d1", "d2"])).unwrap();
            w.finish(Some("first")).unwrap();
            let mut w = store.begin_people().unwrap();
            w.write(&authority("Molotov", &["d3"])).unwrap();
            w.finish(Some("second")).unwrap();
            assert!(store.person("zhukov").unwrap().is_none(), "the first authority is gone");
            assert_eq!(store.person_links(Some("molotov"), None).unwrap().len(), 1);

            let mut w = store.begin_people().unwrap();
            w.write(&authority("Saburov", &["d4", "d5", "d6"])).unwrap();
            drop(w);
            assert_eq!(store.people_inputs().unwrap().as_deref(), Some("second"));
            assert!(store.person("saburov").unwrap().is_none());
            let links = store.person_links(None, Some("d3")).unwrap();
            assert_eq!(links.iter().map(|l| l.person.as_str()).collect::<Vec<_>>(), ["molotov"]);
            if store.db().engine() == Engine::Sqlite {
                let indexes: i64 = store
                    .db()
                    .value(
                        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN \
                         ('person_names_form', 'person_links_person', 'person_links_doc')",
                        args![],
                    )
                    .unwrap()
                    .unwrap();
                assert_eq!(indexes, 3, "the rollback brought the indexes back");
            }
        }
    }

    /// Persons and ambiguities read a batch at a time come in the order of the whole list, each
    /// once, also where a batch ends inside a run of persons with as many documents.
    #[test]
    fn people_and_ambiguities_read_in_batches_come_whole_and_in_order() {
        for store in crate::test_stores("people-batches") {
            let mut a = Authority::default();
            for (name, docs) in
                [("Zhukov", 3), ("Molotov", 2), ("Bulganin", 2), ("Saburov", 2), ("Kaganovich", 1), ("Suslov", 2)]
            {
                let ids: Vec<String> = (0..docs).map(|i| format!("d{i}")).collect();
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                let one = authority(name, &ids);
                a.persons.extend(one.persons);
                a.links.extend(one.links);
            }
            for (doc, form) in [("d2", "M."), ("d1", "K."), ("d1", "Kh."), ("d10", "M.")] {
                a.ambiguities.push(Ambiguity {
                    doc_id: doc.into(),
                    form: form.into(),
                    candidates: vec!["a".into(), "b".into()],
                });
            }
            let mut w = store.begin_people().unwrap();
            w.write(&a).unwrap();
            w.finish(None).unwrap();
            // Most documents first, then by id.
            let expected = ["zhukov", "bulganin", "molotov", "saburov", "suslov", "kaganovich"];
            let expected_ambiguities = [("d1", "K."), ("d1", "Kh."), ("d10", "M."), ("d2", "M.")];
            for batch in [1, 2, 4, 100] {
                let mut ids = Vec::new();
                store
                    .for_each_person(batch, |p| {
                        ids.push(p.id);
                        Ok::<_, StoreError>(())
                    })
                    .unwrap();
                assert_eq!(ids, expected, "batches of {batch}");
                let mut seen = Vec::new();
                store
                    .for_each_ambiguity(batch, |x| {
                        seen.push((x.doc_id, x.form));
                        Ok::<_, StoreError>(())
                    })
                    .unwrap();
                let seen: Vec<(&str, &str)> = seen.iter().map(|(d, f)| (d.as_str(), f.as_str())).collect();
                assert_eq!(seen, expected_ambiguities, "batches of {batch}");
            }
        }
    }
}
