//! Versioned schema migrations, applied in order when a store is opened.
//!
//! SQLite: the schema version lives in `user_version`; each migration runs in its own
//! transaction with the version bump, so a crash leaves a schema that is whole.
//!
//! PostgreSQL: the version lives in `opis_schema`. A PostgreSQL store is never older than
//! version 6 (it came with it), so its history starts there: [`POSTGRES_SCHEMA`] is the
//! schema of version 6 in PostgreSQL's types, and [`POSTGRES_MIGRATIONS`] (empty so far) holds
//! what later versions add, beside their SQLite migrations. Migrating takes the writer's lock,
//! so two processes opening a new database at once make it once.

use crate::db::{Db, Engine, args};
use crate::{Result, StoreError};

/// The migrations, in order; migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: documents with their versions, the queried facts, and the change log.
    r#"
    CREATE TABLE documents (
        id           TEXT PRIMARY KEY,
        version      INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        title        TEXT NOT NULL,
        kind         TEXT NOT NULL,
        language     TEXT NOT NULL,
        collection   TEXT,
        date_from    TEXT,
        date_to      TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX documents_collection ON documents (collection);
    CREATE INDEX documents_date ON documents (date_from, date_to);

    CREATE TABLE versions (
        doc_id       TEXT NOT NULL,
        version      INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        json         TEXT NOT NULL,
        source_path  TEXT,
        created_at   TEXT NOT NULL,
        PRIMARY KEY (doc_id, version)
    ) WITHOUT ROWID;

    CREATE TABLE turns (
        doc_id   TEXT NOT NULL,
        turn     INTEGER NOT NULL,
        section  INTEGER NOT NULL,
        speakers TEXT NOT NULL,
        text     TEXT NOT NULL,
        PRIMARY KEY (doc_id, turn)
    ) WITHOUT ROWID;

    CREATE TABLE notes (
        doc_id TEXT NOT NULL,
        ord    INTEGER NOT NULL,
        n      INTEGER NOT NULL,
        text   TEXT NOT NULL,
        PRIMARY KEY (doc_id, ord)
    ) WITHOUT ROWID;

    CREATE TABLE archival_refs (
        doc_id  TEXT NOT NULL,
        note    INTEGER,
        archive TEXT NOT NULL,
        fond    TEXT,
        opis    TEXT,
        papka   TEXT,
        delo    TEXT,
        leaves  TEXT,
        file    TEXT,
        box     TEXT,
        folder  TEXT,
        text    TEXT NOT NULL
    );
    CREATE INDEX archival_refs_doc ON archival_refs (doc_id);
    CREATE INDEX archival_refs_file ON archival_refs (archive, fond, opis, delo);

    CREATE TABLE persons (
        doc_id   TEXT NOT NULL,
        name     TEXT NOT NULL,
        mentions INTEGER NOT NULL,
        variants TEXT NOT NULL
    );
    CREATE INDEX persons_doc ON persons (doc_id);
    CREATE INDEX persons_name ON persons (name);

    CREATE TABLE changes (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id  TEXT NOT NULL,
        version INTEGER NOT NULL,
        at      TEXT NOT NULL
    );
    "#,
    // 2: a turn's text lives in the document's JSON only (it was stored twice).
    r#"
    ALTER TABLE turns DROP COLUMN text;
    "#,
    // 3: harvesting pages by (updated_at, id); previous/next walks a collection by date.
    r#"
    CREATE INDEX documents_updated ON documents (updated_at, id);
    CREATE INDEX documents_collection_date ON documents (collection, date_from, id);
    "#,
    // 4: editors and access: accounts, sessions and API tokens (secrets only as hashes), access
    // rules and grants (each document's effective rule in `documents.access_until`), the audit
    // log, and corrections (patches re-applied over every ingested version).
    r#"
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        role          TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id_hash    TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE api_tokens (
        id         INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        role       TEXT NOT NULL,
        label      TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE access_rules (
        scope     TEXT NOT NULL,
        name      TEXT NOT NULL,
        level     TEXT NOT NULL,
        until     TEXT,
        until_key INTEGER NOT NULL,
        PRIMARY KEY (scope, name)
    ) WITHOUT ROWID;
    CREATE TABLE grants (
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scope   TEXT NOT NULL,
        name    TEXT NOT NULL,
        PRIMARY KEY (user_id, scope, name)
    ) WITHOUT ROWID;
    ALTER TABLE documents ADD COLUMN access_until INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE audit (
        seq    INTEGER PRIMARY KEY AUTOINCREMENT,
        at     TEXT NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TABLE corrections (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id     TEXT NOT NULL,
        patch      TEXT NOT NULL,
        author     TEXT NOT NULL,
        reason     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status     TEXT NOT NULL DEFAULT 'applied'
    );
    CREATE INDEX corrections_doc ON corrections (doc_id, id);
    "#,
    // 5: the people authority (rebuilt whole after every ingest and reindex) and the
    // authority records it is built from (pocom).
    r#"
    CREATE TABLE people (
        id        TEXT PRIMARY KEY,
        name      TEXT NOT NULL,
        documents INTEGER NOT NULL,
        json      TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE person_names (
        person_id TEXT NOT NULL,
        form      TEXT NOT NULL,
        PRIMARY KEY (person_id, form)
    ) WITHOUT ROWID;
    CREATE INDEX person_names_form ON person_names (form);
    CREATE TABLE person_links (
        person_id TEXT NOT NULL,
        doc_id    TEXT NOT NULL,
        form      TEXT NOT NULL,
        turns     INTEGER NOT NULL,
        mentions  INTEGER NOT NULL,
        roles     TEXT NOT NULL,
        how       TEXT NOT NULL
    );
    CREATE INDEX person_links_person ON person_links (person_id);
    CREATE INDEX person_links_doc ON person_links (doc_id);
    CREATE TABLE person_ambiguities (
        doc_id     TEXT NOT NULL,
        form       TEXT NOT NULL,
        candidates TEXT NOT NULL
    );
    CREATE TABLE person_records (
        id   TEXT PRIMARY KEY,
        json TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE people_generation (
        one        INTEGER PRIMARY KEY CHECK (one = 1),
        generation INTEGER NOT NULL
    );
    INSERT INTO people_generation (one, generation) VALUES (1, 0);
    "#,
    // 6: what the people authority needs of each document (written with the document, made
    // again when its content hash or the summary rules differ), one row per name under its
    // node, so that a rebuild reads names a group of nodes at a time and never whole
    // documents; and the fingerprint of the inputs of the authority last built.
    r#"
    CREATE TABLE people_docs (
        doc_id       TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        rules        INTEGER NOT NULL,
        scope        TEXT NOT NULL,
        year         INTEGER,
        reader       TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE people_uses (
        node     TEXT NOT NULL,
        doc_id   TEXT NOT NULL,
        form     TEXT NOT NULL,
        source   TEXT,
        forename INTEGER NOT NULL,
        roles    TEXT NOT NULL,
        turns    INTEGER NOT NULL,
        mentions INTEGER NOT NULL,
        refs     TEXT NOT NULL,
        PRIMARY KEY (node, doc_id, form)
    ) WITHOUT ROWID;
    CREATE INDEX people_uses_doc ON people_uses (doc_id);
    CREATE INDEX people_uses_source ON people_uses (source, node) WHERE source IS NOT NULL;
    ALTER TABLE people_generation ADD COLUMN inputs TEXT;
    "#,
    // 7: fewer rows a document. The `persons` facts (a row per name named, with two indexes)
    // served one count, which the authority's links now give; a document's names are found
    // through the nodes its people row lists (a JSON array; a primary-key range each) instead
    // of an index of every name by document.
    r#"
    DROP TABLE persons;
    ALTER TABLE people_docs ADD COLUMN nodes TEXT NOT NULL DEFAULT '[]';
    UPDATE people_docs SET nodes = (SELECT json_group_array(node) FROM
        (SELECT DISTINCT u.node FROM people_uses u WHERE u.doc_id = people_docs.doc_id ORDER BY u.node));
    DROP INDEX people_uses_doc;
    "#,
    // 8: the authority is listed a batch at a time (`opis people`), each batch a range of an
    // index: persons by (documents, id), ambiguities by (document, form).
    PEOPLE_LISTING_INDEXES,
    // 9: a document's names wait in `people_pending` (a row per document, appended) until the
    // next people rebuild files them under their nodes in one sorted pass
    // (`SqlStore::settle_people_uses`): inserted with the document, they landed in random
    // places of `people_uses`, half of an ingest's time.
    PEOPLE_PENDING,
    // 10: each name carries its document's scope, year and reader, which a rebuild read
    // through a join with `people_docs`, a lookup per name.
    r#"
    ALTER TABLE people_uses ADD COLUMN scope TEXT NOT NULL DEFAULT '';
    ALTER TABLE people_uses ADD COLUMN year INTEGER;
    ALTER TABLE people_uses ADD COLUMN reader TEXT NOT NULL DEFAULT '';
    UPDATE people_uses AS u SET scope = d.scope, year = d.year, reader = d.reader
        FROM people_docs d WHERE d.doc_id = u.doc_id;
    "#,
    // 11: a document's names are kept in one row (`people_names`: a JSON array), and a rebuild
    // reads them all in one pass by document: filed a row per name under their nodes
    // (`people_uses`, and `people_pending` before that), they cost a sort and an insert per name
    // on every rebuild and a quarter of the store. Names still waiting are taken from
    // `people_pending` (those of the current version), the others from `people_uses`.
    r#"
    CREATE TABLE people_names (
        doc_id TEXT PRIMARY KEY,
        uses   TEXT NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO people_names (doc_id, uses)
        SELECT doc_id, json_group_array(json_array(node, form, source, forename, roles, turns, mentions, refs))
        FROM people_uses WHERE doc_id IN (SELECT doc_id FROM people_docs) GROUP BY doc_id;
    INSERT INTO people_names (doc_id, uses)
        SELECT p.doc_id, p.uses FROM people_pending p
        JOIN people_docs d ON d.doc_id = p.doc_id AND d.content_hash = p.content_hash
        WHERE true ORDER BY p.rowid
        ON CONFLICT (doc_id) DO UPDATE SET uses = excluded.uses;
    DROP TABLE people_uses;
    DROP TABLE people_pending;
    ALTER TABLE people_docs DROP COLUMN nodes;
    "#,
];

/// Migration 9 on both engines (PostgreSQL files a document's names at once, as arrays, and
/// leaves the table empty).
const PEOPLE_PENDING: &str = r#"
    CREATE TABLE people_pending (
        doc_id       TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        uses         TEXT NOT NULL
    );
"#;

/// Migration 8 on both engines.
const PEOPLE_LISTING_INDEXES: &str = r#"
    CREATE INDEX people_rank ON people (documents DESC, id);
    CREATE INDEX person_ambiguities_doc ON person_ambiguities (doc_id, form, candidates);
"#;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The version [`POSTGRES_SCHEMA`] makes.
const POSTGRES_BASE: i64 = 6;

/// Schema version 6 on PostgreSQL: the tables of the SQLite migrations 1–6 in PostgreSQL's
/// types (integers `BIGINT`, blobs `BYTEA`, sequences as identity columns). Text is compared
/// bytewise (`COLLATE "C"`, see [`postgres_schema`]) like SQLite's, so ids and keyset cursors
/// order alike on both engines.
const POSTGRES_SCHEMA: &str = r#"
    CREATE TABLE opis_schema (version BIGINT NOT NULL);
    CREATE TABLE documents (
        id           TEXT PRIMARY KEY,
        version      BIGINT NOT NULL,
        content_hash TEXT NOT NULL,
        title        TEXT NOT NULL,
        kind         TEXT NOT NULL,
        language     TEXT NOT NULL,
        collection   TEXT,
        date_from    TEXT,
        date_to      TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        access_until BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX documents_collection ON documents (collection);
    CREATE INDEX documents_date ON documents (date_from, date_to);
    CREATE INDEX documents_updated ON documents (updated_at, id);
    CREATE INDEX documents_collection_date ON documents (collection, date_from, id);
    CREATE TABLE versions (
        doc_id       TEXT NOT NULL,
        version      BIGINT NOT NULL,
        content_hash TEXT NOT NULL,
        json         BYTEA NOT NULL,
        source_path  TEXT,
        created_at   TEXT NOT NULL,
        PRIMARY KEY (doc_id, version)
    );
    CREATE TABLE turns (
        doc_id   TEXT NOT NULL,
        turn     BIGINT NOT NULL,
        section  BIGINT NOT NULL,
        speakers TEXT NOT NULL,
        PRIMARY KEY (doc_id, turn)
    );
    CREATE TABLE notes (
        doc_id TEXT NOT NULL,
        ord    BIGINT NOT NULL,
        n      BIGINT NOT NULL,
        text   TEXT NOT NULL,
        PRIMARY KEY (doc_id, ord)
    );
    CREATE TABLE archival_refs (
        doc_id  TEXT NOT NULL,
        note    BIGINT,
        archive TEXT NOT NULL,
        fond    TEXT,
        opis    TEXT,
        papka   TEXT,
        delo    TEXT,
        leaves  TEXT,
        file    TEXT,
        box     TEXT,
        folder  TEXT,
        text    TEXT NOT NULL
    );
    CREATE INDEX archival_refs_doc ON archival_refs (doc_id);
    CREATE INDEX archival_refs_file ON archival_refs (archive, fond, opis, delo);
    CREATE TABLE persons (
        doc_id   TEXT NOT NULL,
        name     TEXT NOT NULL,
        mentions BIGINT NOT NULL,
        variants TEXT NOT NULL
    );
    CREATE INDEX persons_doc ON persons (doc_id);
    CREATE INDEX persons_name ON persons (name);
    CREATE TABLE changes (
        seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        doc_id  TEXT NOT NULL,
        version BIGINT NOT NULL,
        at      TEXT NOT NULL
    );
    CREATE TABLE users (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        role          TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id_hash    TEXT PRIMARY KEY,
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE TABLE api_tokens (
        id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        role       TEXT NOT NULL,
        label      TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE access_rules (
        scope     TEXT NOT NULL,
        name      TEXT NOT NULL,
        level     TEXT NOT NULL,
        until     TEXT,
        until_key BIGINT NOT NULL,
        PRIMARY KEY (scope, name)
    );
    CREATE TABLE grants (
        user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scope   TEXT NOT NULL,
        name    TEXT NOT NULL,
        PRIMARY KEY (user_id, scope, name)
    );
    CREATE TABLE audit (
        seq    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at     TEXT NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TABLE corrections (
        id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        doc_id     TEXT NOT NULL,
        patch      TEXT NOT NULL,
        author     TEXT NOT NULL,
        reason     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status     TEXT NOT NULL DEFAULT 'applied'
    );
    CREATE INDEX corrections_doc ON corrections (doc_id, id);
    CREATE TABLE people (
        id        TEXT PRIMARY KEY,
        name      TEXT NOT NULL,
        documents BIGINT NOT NULL,
        json      TEXT NOT NULL
    );
    CREATE TABLE person_names (
        person_id TEXT NOT NULL,
        form      TEXT NOT NULL,
        PRIMARY KEY (person_id, form)
    );
    CREATE INDEX person_names_form ON person_names (form);
    CREATE TABLE person_links (
        person_id TEXT NOT NULL,
        doc_id    TEXT NOT NULL,
        form      TEXT NOT NULL,
        turns     BIGINT NOT NULL,
        mentions  BIGINT NOT NULL,
        roles     TEXT NOT NULL,
        how       TEXT NOT NULL
    );
    CREATE INDEX person_links_person ON person_links (person_id);
    CREATE INDEX person_links_doc ON person_links (doc_id);
    CREATE TABLE person_ambiguities (
        doc_id     TEXT NOT NULL,
        form       TEXT NOT NULL,
        candidates TEXT NOT NULL
    );
    CREATE TABLE person_records (
        id   TEXT PRIMARY KEY,
        json TEXT NOT NULL
    );
    CREATE TABLE people_generation (
        one        BIGINT PRIMARY KEY CHECK (one = 1),
        generation BIGINT NOT NULL,
        inputs     TEXT
    );
    INSERT INTO people_generation (one, generation) VALUES (1, 0);
    CREATE TABLE people_docs (
        doc_id       TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        rules        BIGINT NOT NULL,
        scope        TEXT NOT NULL,
        year         BIGINT,
        reader       TEXT NOT NULL
    );
    CREATE TABLE people_uses (
        node     TEXT NOT NULL,
        doc_id   TEXT NOT NULL,
        form     TEXT NOT NULL,
        source   TEXT,
        forename BIGINT NOT NULL,
        roles    TEXT NOT NULL,
        turns    BIGINT NOT NULL,
        mentions BIGINT NOT NULL,
        refs     TEXT NOT NULL,
        PRIMARY KEY (node, doc_id, form)
    );
    CREATE INDEX people_uses_doc ON people_uses (doc_id);
    CREATE INDEX people_uses_source ON people_uses (source, node) WHERE source IS NOT NULL;
"#;

/// What PostgreSQL stores of versions after [`POSTGRES_BASE`]: entry `i` brings it to version
/// `POSTGRES_BASE + i + 1` (each SQLite migration from 7 on has its entry here).
const POSTGRES_MIGRATIONS: &[&str] = &[
    // 7 (see the SQLite migration).
    r#"
    DROP TABLE persons;
    ALTER TABLE people_docs ADD COLUMN nodes TEXT COLLATE "C" NOT NULL DEFAULT '[]';
    UPDATE people_docs d SET nodes = COALESCE((SELECT json_agg(DISTINCT u.node ORDER BY u.node)::text
        FROM people_uses u WHERE u.doc_id = d.doc_id), '[]');
    DROP INDEX people_uses_doc;
    "#,
    // 8
    PEOPLE_LISTING_INDEXES,
    // 9
    PEOPLE_PENDING,
    // 10
    r#"
    ALTER TABLE people_uses ADD COLUMN scope TEXT COLLATE "C" NOT NULL DEFAULT '';
    ALTER TABLE people_uses ADD COLUMN year BIGINT;
    ALTER TABLE people_uses ADD COLUMN reader TEXT COLLATE "C" NOT NULL DEFAULT '';
    UPDATE people_uses AS u SET scope = d.scope, year = d.year, reader = d.reader
        FROM people_docs d WHERE d.doc_id = u.doc_id;
    "#,
    // 11 (names are filed as they are written here: `people_pending` is empty).
    r#"
    CREATE TABLE people_names (
        doc_id TEXT COLLATE "C" PRIMARY KEY,
        uses   TEXT NOT NULL
    );
    INSERT INTO people_names (doc_id, uses)
        SELECT doc_id, json_agg(json_build_array(node, form, source, forename, roles, turns, mentions, refs))::text
        FROM people_uses WHERE doc_id IN (SELECT doc_id FROM people_docs) GROUP BY doc_id;
    DROP TABLE people_uses;
    DROP TABLE people_pending;
    ALTER TABLE people_docs DROP COLUMN nodes;
    "#,
];

const _: () = assert!(POSTGRES_BASE + POSTGRES_MIGRATIONS.len() as i64 == SCHEMA_VERSION);

/// [`POSTGRES_SCHEMA`] with every text column compared bytewise.
fn postgres_schema() -> String {
    POSTGRES_SCHEMA.replace(" TEXT", " TEXT COLLATE \"C\"")
}

/// The schema version of a PostgreSQL database (0 before its tables are made), read without
/// writing.
pub(crate) fn postgres_version(db: &Db) -> Result<i64> {
    let made = db
        .exists("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'opis_schema'", args![])?;
    Ok(match made {
        true => db.value("SELECT version FROM opis_schema", args![])?.unwrap_or(0),
        false => 0,
    })
}

/// Brings the database to [`SCHEMA_VERSION`], refusing one written by a newer build.
pub(crate) fn migrate(db: &Db) -> Result<()> {
    match db.engine() {
        Engine::Sqlite => {
            let found: i64 = db.value("PRAGMA user_version", args![])?.unwrap_or(0);
            if found > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew { found, known: SCHEMA_VERSION });
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
                db.write(|db| db.batch(&format!("{sql}; PRAGMA user_version = {};", i as i64 + 1)))?;
            }
            Ok(())
        }
        Engine::Postgres => db.write(|db| {
            let made = db.exists(
                "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'opis_schema'",
                args![],
            )?;
            let found: i64 = match made {
                true => db.value("SELECT version FROM opis_schema", args![])?.unwrap_or(0),
                false => {
                    db.batch(&postgres_schema())?;
                    db.execute("INSERT INTO opis_schema (version) VALUES (?1)", args![POSTGRES_BASE])?;
                    POSTGRES_BASE
                }
            };
            if found > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew { found, known: SCHEMA_VERSION });
            }
            for (i, sql) in POSTGRES_MIGRATIONS.iter().enumerate().skip((found - POSTGRES_BASE) as usize) {
                db.batch(sql)?;
                db.execute("UPDATE opis_schema SET version = ?1", args![POSTGRES_BASE + i as i64 + 1])?;
            }
            Ok(())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_store_is_brought_up_keeping_its_rows() {
        let conn = at_version(1);
        conn.execute("INSERT INTO turns (doc_id, turn, section, speakers, text) VALUES ('d', 0, 0, 'Zhukov', 'x')", [])
            .unwrap();
        let db = Db::sqlite(conn);
        migrate(&db).unwrap();
        let version: i64 = db.value("PRAGMA user_version", args![]).unwrap().unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let speakers: String = db.value("SELECT speakers FROM turns WHERE doc_id = 'd'", args![]).unwrap().unwrap();
        assert_eq!(speakers, "Zhukov");
        assert!(db.query("SELECT text FROM turns", args![]).is_err(), "the text column is gone");
    }

    /// A version 6 store comes up with each document's names in its people row (versions 7 to
    /// 10 moved them between tables; 11 keeps them in the row), `persons` gone.
    #[test]
    fn a_version_6_store_keeps_each_documents_names_in_its_row() {
        let conn = at_version(6);
        conn.execute_batch(
            "INSERT INTO people_docs VALUES ('d1', 'h', 1, 's', 1956, 'r'), ('d2', 'h', 1, 's', NULL, 'r');
             INSERT INTO people_uses VALUES ('zhukov', 'd1', 'Zhukov', NULL, 1, 'chair', 2, 3, '[\"n1\"]'),
                                            ('molotov', 'd1', 'Molotov', 'x#m', 0, '', 1, 0, '[]'),
                                            ('molotov', 'd1', 'V. Molotov', NULL, 0, '', 1, 0, '[]');",
        )
        .unwrap();
        let db = Db::sqlite(conn);
        migrate(&db).unwrap();
        assert_eq!(
            uses(&db, "d1"),
            [
                serde_json::json!(["molotov", "Molotov", "x#m", 0, "", 1, 0, "[]"]),
                serde_json::json!(["molotov", "V. Molotov", null, 0, "", 1, 0, "[]"]),
                serde_json::json!(["zhukov", "Zhukov", null, 1, "chair", 2, 3, "[\"n1\"]"]),
            ]
        );
        assert!(uses(&db, "d2").is_empty(), "a document without names has none");
        for table in ["persons", "people_uses", "people_pending"] {
            assert!(db.query(&format!("SELECT 1 FROM {table}"), args![]).is_err(), "{table} is gone");
        }
    }

    /// A version 10 store's names still waiting to be filed are taken from `people_pending`
    /// when they are the current version's, the filed ones from `people_uses`.
    #[test]
    fn a_version_10_store_keeps_waiting_and_filed_names() {
        let conn = at_version(10);
        conn.execute_batch(
            r#"INSERT INTO people_docs (doc_id, content_hash, rules, scope, year, reader)
                   VALUES ('d1', 'h1', 1, 's', 1956, 'r'), ('d2', 'h2', 1, 's', NULL, 'r');
               INSERT INTO people_uses VALUES ('zhukov', 'd1', 'Zhukov', NULL, 0, '', 1, 0, '[]', 's', 1956, 'r');
               INSERT INTO people_pending VALUES ('d2', 'old', '[["bulganin","Bulganin",null,0,"",1,0,"[]"]]'),
                                                 ('d2', 'h2', '[["suslov","Suslov",null,0,"",0,1,"[]"]]');"#,
        )
        .unwrap();
        let db = Db::sqlite(conn);
        migrate(&db).unwrap();
        assert_eq!(uses(&db, "d1"), [serde_json::json!(["zhukov", "Zhukov", null, 0, "", 1, 0, "[]"])]);
        assert_eq!(uses(&db, "d2"), [serde_json::json!(["suslov", "Suslov", null, 0, "", 0, 1, "[]"])]);
    }

    /// An SQLite database as the first `version` migrations left it.
    fn at_version(version: usize) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..version] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", version as i64).unwrap();
        conn
    }

    fn uses(db: &Db, doc: &str) -> Vec<serde_json::Value> {
        let json: Option<String> = db.value("SELECT uses FROM people_names WHERE doc_id = ?1", args![doc]).unwrap();
        let json = json.unwrap_or_else(|| "[]".to_owned());
        let mut uses: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
        uses.sort_by_key(|u| u.to_string());
        uses
    }
}
