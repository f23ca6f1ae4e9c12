//! The people authority's tables: persons (with their variants for lookups), which person
//! each name in each document is, the ambiguities left for an editor, and the authority
//! records (pocom) the authority is built from. The authority is derived data: it is
//! replaced whole after every ingest and reindex, written part by part through a
//! [`PeopleWriter`] in one transaction.
//!
//! What the authority needs of each document is kept beside it (`write_summary`, in the
//! document's transaction): a row per document (`people_docs`: scope, year, reader, the content
//! hash and rules it was made from) and one of its names, each under its node: surname key, else
//! source id (`people_names`, apart so that finding stale summaries reads little), so that a
//! rebuild reads every document's names in one sequential pass
//! ([`SqlStore::for_each_people_summary`]) and never whole documents.

use std::collections::BTreeMap;

use crate::db::{Db, Engine, Row, Value, args};
use crate::{Result, SqlStore, StoreError};
use opis_model::people::{Ambiguity, Authority, KeyedUse, NameUse, PeopleSummary, Person, PersonLink};

/// Persons (or ambiguities) read at a time by [`SqlStore::for_each_person`] and
/// [`SqlStore::for_each_ambiguity`].
pub const PEOPLE_BATCH: usize = 100;
/// Documents whose people summaries [`SqlStore::for_each_people_summary`] reads at a time in a
/// rebuild (a few dozen names each).
pub const PEOPLE_SUMMARY_BATCH: usize = 1_000;

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

    /// Hands every document's people summary to `f`, by document id, reading `batch` documents
    /// at a time; of its names, those under the nodes `keep` accepts (the others are not even
    /// copied out of the row).
    pub fn for_each_people_summary<E: From<StoreError>>(
        &self,
        batch: usize,
        keep: impl Fn(&str) -> bool,
        mut f: impl FnMut(PeopleSummary) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut after = String::new();
        loop {
            let rows = self.db().query(
                "SELECT d.doc_id, d.rules, d.scope, d.year, d.reader, n.uses \
                 FROM people_docs d JOIN people_names n ON n.doc_id = d.doc_id \
                 WHERE d.doc_id > ?1 ORDER BY d.doc_id LIMIT ?2",
                args![after, batch.max(1)],
            )?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.get(0)?;
            for r in &rows {
                f(summary_row(r, &keep)?)?;
            }
        }
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
        db.execute("DELETE FROM people_docs WHERE doc_id = ?1", args![doc_id])?;
        db.execute("DELETE FROM people_names WHERE doc_id = ?1", args![doc_id])?;
    }
    let Some(s) = s else { return Ok(()) };
    db.execute(
        "INSERT INTO people_docs (doc_id, content_hash, rules, scope, year, reader) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![doc_id, hash, s.rules, s.scope, s.year, s.reader],
    )?;
    if !s.uses.is_empty() {
        let uses = encode_uses(s).map_err(|e| corrupt(doc_id, e))?;
        db.execute("INSERT INTO people_names (doc_id, uses) VALUES (?1, ?2)", args![doc_id, uses])?;
    }
    Ok(())
}

/// One name of `people_names.uses` (a JSON array of them): node, form, source id, whether the
/// document also prints it as a forename (0 or 1), roles (joined by commas), turns, mentions,
/// and the note references (a JSON array, as text). Migration 11 writes the same from SQL.
type StoredUse<'a> = (
    std::borrow::Cow<'a, str>,
    std::borrow::Cow<'a, str>,
    Option<std::borrow::Cow<'a, str>>,
    u8,
    std::borrow::Cow<'a, str>,
    u32,
    u32,
    std::borrow::Cow<'a, str>,
);

/// A summary's names as `people_names.uses` holds them, one per (node, form) (a name met twice
/// under the same node keeps its last use), in that order.
fn encode_uses(s: &PeopleSummary) -> std::result::Result<String, serde_json::Error> {
    let mut last: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, u) in s.uses.iter().enumerate() {
        last.insert((u.node.as_str(), u.name.form.as_str()), i);
    }
    let uses = last
        .into_values()
        .map(|i| {
            let u: &KeyedUse = &s.uses[i];
            let roles: Vec<&str> = u.name.roles.iter().map(String::as_str).collect();
            Ok((
                u.node.as_str().into(),
                u.name.form.as_str().into(),
                u.source.as_deref().map(Into::into),
                u8::from(u.forename),
                roles.join(",").into(),
                u.name.turns,
                u.name.mentions,
                serde_json::to_string(&u.name.refs)?.into(),
            ))
        })
        .collect::<std::result::Result<Vec<StoredUse<'_>>, serde_json::Error>>()?;
    serde_json::to_string(&uses)
}

/// A row of `people_docs` joined to `people_names` (doc_id, rules, scope, year, reader, uses)
/// as the summary they hold.
fn summary_row(r: &Row, keep: &impl Fn(&str) -> bool) -> Result<PeopleSummary> {
    let doc_id: String = r.get(0)?;
    let stored: Vec<StoredUse<'_>> = serde_json::from_str(r.text(5)?).map_err(|e| corrupt(&doc_id, e))?;
    let mut uses = Vec::with_capacity(stored.len());
    for (node, form, source, forename, roles, turns, mentions, refs) in stored {
        if !keep(&node) {
            continue;
        }
        let refs = match refs.as_ref() {
            "[]" => Vec::new(),
            json => serde_json::from_str(json).map_err(|e| corrupt(&doc_id, e))?,
        };
        uses.push(KeyedUse {
            node: node.into_owned(),
            source: source.map(std::borrow::Cow::into_owned),
            forename: forename != 0,
            name: NameUse {
                form: form.into_owned(),
                roles: roles.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                turns,
                mentions,
                refs,
            },
        });
    }
    Ok(PeopleSummary { rules: r.get(1)?, scope: r.get(2)?, year: r.get(3)?, reader: r.get(4)?, uses, doc_id })
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

    /// A document's new summary takes the place of its old one, other documents' stay, and a
    /// summary reads back as it was written (one name per node and form: the last use).
    #[test]
    fn a_changed_summary_replaces_the_old_one_and_reads_back_whole() {
        for mut store in crate::test_stores("people-summary") {
            // A source id's node holds the collection's name, which may hold any character.
            let mut first = summary(
                "d1",
                &[
                    ("zhukov", "Zhukov"),
                    ("molotov", "Molotov"),
                    ("molotov", "V. M. Molotov"),
                    ("#Vol.\n\"XXV\"#p1", "W."),
                ],
            );
            first.year = Some(1956);
            first.uses[3].source = Some("#Vol.\n\"XXV\"#p1".into());
            first.uses[0].forename = true;
            first.uses[0].name.roles = ["chair".to_owned(), "speaker".to_owned()].into();
            first.uses[0].name.refs = vec!["n1".into(), "n,2".into()];
            let other = summary("d2", &[("zhukov", "G. K. Zhukov"), ("zhukov", "G. K. Zhukov")]);
            store.put_people_summaries(&[("h1".into(), first.clone()), ("h2".into(), other.clone())]).unwrap();
            let read = |store: &SqlStore| {
                let mut all = Vec::new();
                store
                    .for_each_people_summary::<StoreError>(
                        1,
                        |_| true,
                        |s| {
                            all.push(s);
                            Ok(())
                        },
                    )
                    .unwrap();
                all
            };
            let mut once = other.clone();
            once.uses.truncate(1);
            // Names come back by node, then form.
            first.uses.sort_by(|a, b| (&a.node, &a.name.form).cmp(&(&b.node, &b.name.form)));
            assert_eq!(read(&store), [first, once.clone()]);

            // Only the names under the nodes asked for are copied out.
            let mut molotov = Vec::new();
            store
                .for_each_people_summary::<StoreError>(
                    10,
                    |node| node == "molotov",
                    |s| {
                        molotov.extend(s.uses.iter().map(|u| (s.doc_id.clone(), u.name.form.clone())));
                        Ok(())
                    },
                )
                .unwrap();
            assert_eq!(
                molotov,
                [("d1".to_owned(), "Molotov".to_owned()), ("d1".to_owned(), "V. M. Molotov".to_owned())]
            );

            let second = summary("d1", &[("molotov", "Molotov"), ("kaganovich", "Kaganovich")]);
            store.put_people_summaries(&[("h3".into(), second.clone())]).unwrap();
            let mut second_sorted = second;
            second_sorted.uses.reverse();
            assert_eq!(read(&store), [second_sorted, once], "d1 no longer names Zhukov");
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
