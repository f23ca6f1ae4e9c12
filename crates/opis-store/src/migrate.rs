//! Moving a whole store to another engine (`opis migrate`): the embedded store to PostgreSQL
//! and back. Every version of every document is copied byte for byte (same version numbers,
//! content hashes, timestamps and sources), with the accounts, sessions, tokens, access rules,
//! grants, corrections, audit log and authority records; the queried facts are made again from
//! each current version, and the change log of the copy holds one entry per document (its
//! index is built from it). The people authority is derived: the caller rebuilds it.
//!
//! The copy is one write transaction on the destination, which must hold no document: an
//! interrupted migration leaves it empty, and running it again starts over.

use opis_model::Document;

use crate::db::{Cell, Db, Engine, Param, args};
use crate::{Result, SqlStore, StoreError};

/// What a migration copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    pub documents: u64,
    pub versions: u64,
    /// Rows of the other tables (accounts, corrections, audit …), by table.
    pub rows: Vec<(&'static str, u64)>,
}

/// The small tables copied as they are: name, columns, and the identity column (its sequence
/// is moved past the copied values on PostgreSQL).
const TABLES: &[(&str, &str, Option<&str>)] = &[
    ("users", "id, name, role, password_hash, created_at", Some("id")),
    ("sessions", "id_hash, user_id, created_at, expires_at", None),
    ("api_tokens", "id, token_hash, role, label, created_at, revoked_at", Some("id")),
    ("access_rules", "scope, name, level, until, until_key", None),
    ("grants", "user_id, scope, name", None),
    ("corrections", "id, doc_id, patch, author, reason, created_at, status", Some("id")),
    ("audit", "seq, at, actor, action, target, detail", Some("seq")),
    ("person_records", "id, json", None),
];

impl SqlStore {
    /// Copies this store into `dest` (see the module's description).
    pub fn migrate_to(&self, dest: &mut SqlStore) -> Result<MigrationReport> {
        if dest.db().exists("SELECT 1 FROM documents", args![])? {
            return Err(StoreError::Unsupported(format!(
                "{} holds documents already: a migration goes into an empty store",
                dest.at().describe()
            )));
        }
        let source = self.db();
        dest.db().write(|to| {
            let mut report = MigrationReport::default();
            for (table, columns, identity) in TABLES {
                report.rows.push((table, copy_table(source, to, table, columns, *identity)?));
            }
            let mut after = String::new();
            loop {
                let docs = source.query(
                    "SELECT id, version, content_hash, title, kind, language, collection, date_from, date_to,
                            created_at, updated_at, access_until
                     FROM documents WHERE id > ?1 ORDER BY id LIMIT 200",
                    args![after],
                )?;
                let Some(last) = docs.last() else { break };
                after = last.get(0)?;
                for d in &docs {
                    let id: String = d.get(0)?;
                    let current: u32 = d.get(1)?;
                    let mut document: Option<Document> = None;
                    for v in source.query(
                        "SELECT version, content_hash, json, source_path, created_at FROM versions
                         WHERE doc_id = ?1 ORDER BY version",
                        args![id],
                    )? {
                        let version: u32 = v.get(0)?;
                        let json = match v.cell(2) {
                            Cell::Blob(b) => b.clone(),
                            // Schema-1 stores kept plain JSON text: stored the way this build stores.
                            Cell::Text(t) => lz4_flex::block::compress_prepend_size(t.as_bytes()),
                            other => {
                                return Err(StoreError::Undecodable {
                                    id: id.clone(),
                                    version,
                                    message: format!("{other:?} where JSON was expected"),
                                });
                            }
                        };
                        if version == current {
                            document = Some(SqlStore::decode(&id, version, v.cell(2))?);
                        }
                        to.execute(
                            "INSERT INTO versions (doc_id, version, content_hash, json, source_path, created_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            args![
                                id,
                                version,
                                v.get::<String>(1)?,
                                json,
                                v.get::<Option<String>>(3)?,
                                v.get::<String>(4)?
                            ],
                        )?;
                        report.versions += 1;
                    }
                    let values: Vec<crate::db::Value<'_>> = (0..12).map(|i| cell_value(d.cell(i))).collect();
                    let params: Vec<&dyn Param> = values.iter().map(|v| v as &dyn Param).collect();
                    to.execute(
                        "INSERT INTO documents (id, version, content_hash, title, kind, language, collection, date_from,
                                                date_to, created_at, updated_at, access_until)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                        &params,
                    )?;
                    let document = document.ok_or_else(|| StoreError::Undecodable {
                        id: id.clone(),
                        version: current,
                        message: "its current version is missing".into(),
                    })?;
                    SqlStore::write_facts_of(to, &document)?;
                    to.execute(
                        "INSERT INTO changes (doc_id, version, at) VALUES (?1, ?2, ?3)",
                        args![id, current, d.get::<String>(10)?],
                    )?;
                    report.documents += 1;
                }
            }
            Ok(report)
        })
    }
}

/// A copied cell as a parameter.
fn cell_value(cell: &Cell) -> crate::db::Value<'_> {
    use crate::db::Value;
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(i) => Value::Int(*i),
        Cell::Real(f) => Value::Real(*f),
        Cell::Text(s) => Value::Text(s),
        Cell::Blob(b) => Value::Blob(b),
    }
}

/// Copies every row of one small table; returns how many.
fn copy_table(from: &Db, to: &Db, table: &str, columns: &str, identity: Option<&str>) -> Result<u64> {
    let rows = from.query(&format!("SELECT {columns} FROM {table}"), args![])?;
    let width = columns.split(',').count();
    let marks: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
    // An identity column GENERATED ALWAYS takes the copied values only when told to.
    let overriding = match (to.engine(), identity) {
        (Engine::Postgres, Some(_)) => " OVERRIDING SYSTEM VALUE",
        _ => "",
    };
    let insert = format!("INSERT INTO {table} ({columns}){overriding} VALUES ({})", marks.join(", "));
    for r in &rows {
        let values: Vec<crate::db::Value<'_>> = (0..width).map(|i| cell_value(r.cell(i))).collect();
        let params: Vec<&dyn Param> = values.iter().map(|v| v as &dyn Param).collect();
        to.execute(&insert, &params)?;
    }
    if let (Engine::Postgres, Some(column)) = (to.engine(), identity) {
        to.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE(MAX({column}), 0) + 1, false)
                 FROM {table}"
            ),
            args![],
        )?;
    }
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{AccessLevel, Scope};
    use crate::auth::Role;
    use crate::corrections::Patch;
    use crate::{Provenance, Store};
    use opis_model::{Block, BlockKind, Section};

    fn doc(id: &str, speaker: &str, text: &str) -> (Document, Provenance) {
        let d = Document {
            id: id.into(),
            title: format!("Title of {id}"),
            kind: "record".into(),
            language: "en".into(),
            collection: Some("c".into()),
            sections: vec![Section {
                blocks: vec![Block {
                    kind: BlockKind::Turn,
                    speakers: vec![speaker.into()],
                    text: text.into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        (d, Provenance { source_path: format!("{id}.txt") })
    }

    /// Everything a migration must carry, as comparable values.
    fn contents(s: &SqlStore) -> impl PartialEq + std::fmt::Debug {
        let ids = s.ids_and_versions().unwrap();
        let versions: Vec<_> = ids.iter().map(|(id, _)| s.versions(id).unwrap()).collect();
        let docs: Vec<_> = ids.iter().map(|(id, _)| s.document(id).unwrap().unwrap()).collect();
        let old: Vec<_> = ids.iter().map(|(id, _)| s.version(id, 1).unwrap()).collect();
        let users: Vec<_> = s.users().unwrap();
        let corrections: Vec<_> = s.corrections(None).unwrap();
        let audit: Vec<_> = s.audit_entries(None, 100).unwrap();
        (
            s.content_hashes().unwrap(),
            versions,
            docs,
            old,
            users,
            corrections,
            audit,
            s.access_rules().unwrap(),
            s.stats().unwrap(),
        )
    }

    #[test]
    fn a_store_moves_to_the_other_engine_and_back_whole() {
        let mut stores = crate::test_stores("migrate-from");
        let mut source = stores.remove(0);
        source.put_batch(&[doc("a", "Zhukov", "one"), doc("b", "Molotov", "two")]).unwrap();
        source.put_batch(&[doc("a", "Zhukov", "one, changed")]).unwrap();
        let user = source.add_user("ada", Role::Editor, "correct horse battery").unwrap();
        source.grant(user.id, Scope::Document, "b").unwrap();
        source.set_access(Scope::Document, "b", Some(&AccessLevel::Restricted)).unwrap();
        let patch = Patch::SetSpeakers { turn: 0, anchor: "two".into(), speakers: vec!["Suslov".into()] };
        source.correct("b", &patch, "ada", "the minutes say so", Some(1)).unwrap();
        source.audit("ada", "correction", "b", "#1").unwrap();
        // To PostgreSQL when the tests have a server, else to another embedded store.
        let mut middle = stores.pop().unwrap_or_else(|| crate::test_stores("migrate-middle").remove(0));
        let report = source.migrate_to(&mut middle).unwrap();
        assert_eq!((report.documents, report.versions), (2, 4), "a: 2 versions, b: 1 + the correction");
        assert_eq!(contents(&middle), contents(&source));
        assert_eq!(middle.document("b").unwrap().unwrap().access_until, crate::access::RESTRICTED);
        assert!(middle.check_password("ada", "correct horse battery").unwrap().is_some(), "the password hash moved");
        // New rows continue the copied ids.
        let (token, _) = middle.create_token(Role::Reader, "after").unwrap();
        assert!(token.id >= 1);
        assert!(middle.add_user("bob", Role::Reader, "another password").unwrap().id > user.id);
        assert!(source.migrate_to(&mut middle).is_err(), "never into a store that holds documents");

        let mut back = crate::test_stores("migrate-back").remove(0);
        middle.migrate_to(&mut back).unwrap();
        assert_eq!(back.content_hashes().unwrap(), source.content_hashes().unwrap());
        assert_eq!(back.version("a", 1).unwrap(), source.version("a", 1).unwrap());
        assert_eq!(back.corrections(Some("b")).unwrap(), source.corrections(Some("b")).unwrap());
        assert_eq!(back.changes_since(0, 10).unwrap().len(), 2, "one change per document: the index follows it");
    }
}
