//! One connection to the store's database — embedded SQLite or a PostgreSQL server — behind
//! one small API, so that every query module is written once for both.
//!
//! SQL is written once, in the dialect both engines share: numbered parameters `?1` (or `?` in
//! order), `ON CONFLICT … DO NOTHING/UPDATE`, `RETURNING`, `TRUE`/`FALSE`. On PostgreSQL the
//! parameters become `$1`, each statement is prepared once per connection and kept, and values
//! are converted to the types the server inferred for them (integers are `BIGINT`, text is
//! `TEXT COLLATE "C"`, so ordering is bytewise as in SQLite).
//!
//! Rows come back whole ([`Row`] of [`Cell`]s). A PostgreSQL connection lives on a thread of
//! its own and is handed each statement over a channel: the `postgres` client drives its own
//! async runtime, which must not be entered from a thread that is running tokio tasks (the web
//! server's tests call the store from such threads), and a handoff costs microseconds beside
//! a round trip to the server. A write transaction ([`Db::write`]) holds the
//! one writer's lock for its whole length on both engines (SQLite `BEGIN IMMEDIATE`; PostgreSQL
//! a transaction-scoped advisory lock), so commits happen in the order of the change log's
//! sequence numbers and a follower reading `seq > n` never misses one committed later.

use std::cell::Cell as Flag;
use std::collections::HashMap;

use crate::{Result, StoreError};

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The key of the advisory lock every PostgreSQL write transaction takes ("opis" in ASCII).
const WRITER_LOCK: i64 = 0x6f70_6973;

/// A connection to the store's database.
pub(crate) struct Db {
    conn: Conn,
    in_tx: Flag<bool>,
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(PgHandle),
}

/// The connection's thread, and the way to it.
struct PgHandle {
    jobs: std::sync::mpsc::Sender<PgJob>,
}

/// One request to the connection's thread, with where to send the answer.
enum PgJob {
    Execute(String, Vec<PgValue>, std::sync::mpsc::Sender<Result<u64>>),
    Query(String, Vec<PgValue>, std::sync::mpsc::Sender<Result<Vec<Row>>>),
    Batch(String, std::sync::mpsc::Sender<Result<()>>),
}

/// The connection, on its thread.
struct Pg {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

/// A parameter as handed to the connection's thread.
#[derive(Debug, Clone)]
enum PgValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Texts(Vec<Option<String>>),
    Ints(Vec<Option<i64>>),
}

/// PostgreSQL's text cannot hold NUL: in the queried columns and in lookups it becomes U+FFFD
/// (the document's JSON, a blob, keeps every character).
fn pg_text(s: &str) -> String {
    if s.contains('\0') { s.replace('\0', "\u{FFFD}") } else { s.to_owned() }
}

impl From<Value<'_>> for PgValue {
    fn from(v: Value<'_>) -> PgValue {
        match v {
            Value::Null => PgValue::Null,
            Value::Int(n) => PgValue::Int(n),
            Value::Real(f) => PgValue::Real(f),
            Value::Text(s) => PgValue::Text(pg_text(s)),
            Value::Blob(b) => PgValue::Blob(b.to_vec()),
            Value::Texts(v) => PgValue::Texts(v.into_iter().map(|s| s.map(pg_text)).collect()),
            Value::Ints(v) => PgValue::Ints(v),
        }
    }
}

/// A parameter value, borrowed from the caller.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
    /// PostgreSQL only: an array parameter (`unnest(?1::text[])`).
    Texts(Vec<Option<&'a str>>),
    /// PostgreSQL only: an array parameter (`unnest(?1::bigint[])`).
    Ints(Vec<Option<i64>>),
}

/// Anything that can be a parameter.
pub(crate) trait Param {
    fn value(&self) -> Value<'_>;
}

impl Param for str {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Param for [u8] {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl Param for Vec<u8> {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl Param for bool {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl Param for f64 {
    fn value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}
macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value<'_> {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_param!(i64, i32, u32, u16, u8);
/// Counts and limits: clamped to the largest integer the engines store.
macro_rules! wide_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value<'_> {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
wide_param!(usize, u64);
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value<'_> {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}
impl Param for Value<'_> {
    fn value(&self) -> Value<'_> {
        self.clone()
    }
}

/// `args![a, b, c]`: the parameters of one statement.
macro_rules! args {
    () => { &[] as &[&dyn $crate::db::Param] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::db::Param),+] as &[&dyn $crate::db::Param] };
}
pub(crate) use args;

/// One column of a returned row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    fn kind(&self) -> &'static str {
        match self {
            Cell::Null => "NULL",
            Cell::Int(_) => "an integer",
            Cell::Real(_) => "a real number",
            Cell::Text(_) => "text",
            Cell::Blob(_) => "a blob",
        }
    }
}

/// A returned row.
#[derive(Debug, Clone)]
pub(crate) struct Row(Vec<Cell>);

impl Row {
    /// Column `i` as `T`.
    pub(crate) fn get<T: FromCell>(&self, i: usize) -> Result<T> {
        let cell = self.0.get(i).unwrap_or(&Cell::Null);
        T::from_cell(cell).ok_or_else(|| StoreError::Type { column: i, expected: T::NAME, found: cell.kind() })
    }

    /// Column `i` as borrowed text.
    pub(crate) fn text(&self, i: usize) -> Result<&str> {
        match self.0.get(i) {
            Some(Cell::Text(s)) => Ok(s),
            other => Err(StoreError::Type { column: i, expected: "text", found: other.map_or("nothing", Cell::kind) }),
        }
    }

    /// Column `i` as it came.
    pub(crate) fn cell(&self, i: usize) -> &Cell {
        self.0.get(i).unwrap_or(&Cell::Null)
    }
}

/// A Rust value a [`Cell`] converts to.
pub(crate) trait FromCell: Sized {
    const NAME: &'static str;
    fn from_cell(cell: &Cell) -> Option<Self>;
}

impl FromCell for String {
    const NAME: &'static str = "text";
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl FromCell for Vec<u8> {
    const NAME: &'static str = "a blob";
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Blob(b) => Some(b.clone()),
            Cell::Text(s) => Some(s.as_bytes().to_vec()),
            _ => None,
        }
    }
}
impl FromCell for i64 {
    const NAME: &'static str = "an integer";
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Int(i) => Some(*i),
            _ => None,
        }
    }
}
impl FromCell for f64 {
    const NAME: &'static str = "a real number";
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Real(r) => Some(*r),
            Cell::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}
impl FromCell for bool {
    const NAME: &'static str = "a boolean";
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Int(i) => Some(*i != 0),
            _ => None,
        }
    }
}
macro_rules! int_from_cell {
    ($($t:ty),*) => {$(
        impl FromCell for $t {
            const NAME: &'static str = "an integer in range";
            fn from_cell(cell: &Cell) -> Option<Self> {
                match cell {
                    Cell::Int(i) => <$t>::try_from(*i).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
int_from_cell!(u32, i32, u64, usize);
impl<T: FromCell> FromCell for Option<T> {
    const NAME: &'static str = T::NAME;
    fn from_cell(cell: &Cell) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

impl Db {
    pub(crate) fn sqlite(conn: rusqlite::Connection) -> Db {
        Db { conn: Conn::Sqlite(conn), in_tx: Flag::new(false) }
    }

    /// Connects to the PostgreSQL server at `url` (`postgres://user@host:port/db`; no TLS:
    /// loopback, a Unix socket or a trusted network).
    pub(crate) fn postgres(url: &str) -> Result<Db> {
        let (jobs, inbox) = std::sync::mpsc::channel::<PgJob>();
        let (ready, connected) = std::sync::mpsc::channel::<Result<()>>();
        let url = url.to_owned();
        std::thread::Builder::new()
            .name("opis-postgres".into())
            .spawn(move || {
                let mut pg = match postgres::Client::connect(&url, postgres::NoTls) {
                    Ok(client) => {
                        let _ = ready.send(Ok(()));
                        Pg { client, statements: HashMap::new() }
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e.into()));
                        return;
                    }
                };
                // Ends when the `Db` (the sender) is dropped; the client closes with it.
                for job in inbox {
                    pg.run(job);
                }
            })
            .map_err(|e| StoreError::Postgres(format!("cannot start the connection's thread: {e}")))?;
        connected.recv().map_err(|_| StoreError::Postgres("the connection's thread ended".into()))??;
        Ok(Db { conn: Conn::Postgres(PgHandle { jobs }), in_tx: Flag::new(false) })
    }

    pub(crate) fn engine(&self) -> Engine {
        match self.conn {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    /// The SQLite connection (for what only SQLite has: pragmas, the online backup).
    pub(crate) fn sqlite_conn(&self) -> Option<&rusqlite::Connection> {
        match &self.conn {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }

    /// Runs one statement; returns the number of rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<u64> {
        match &self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                bind_sqlite(&mut stmt, params)?;
                Ok(stmt.raw_execute()? as u64)
            }
            Conn::Postgres(pg) => pg.ask(|answer| PgJob::Execute(sql.to_owned(), owned(params), answer)),
        }
    }

    /// Runs one query and returns its rows.
    pub(crate) fn query(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>> {
        match &self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                bind_sqlite(&mut stmt, params)?;
                let width = stmt.column_count();
                let mut rows = stmt.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut cells = Vec::with_capacity(width);
                    for i in 0..width {
                        cells.push(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Cell::Null,
                            rusqlite::types::ValueRef::Integer(i) => Cell::Int(i),
                            rusqlite::types::ValueRef::Real(f) => Cell::Real(f),
                            rusqlite::types::ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                            rusqlite::types::ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
                        });
                    }
                    out.push(Row(cells));
                }
                Ok(out)
            }
            Conn::Postgres(pg) => pg.ask(|answer| PgJob::Query(sql.to_owned(), owned(params), answer)),
        }
    }

    /// The first row of a query, if any.
    pub(crate) fn query_opt(&self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The first column of the first row (`None` when there is no row).
    pub(crate) fn value<T: FromCell>(&self, sql: &str, params: &[&dyn Param]) -> Result<Option<T>> {
        self.query_opt(sql, params)?.map(|r| r.get(0)).transpose()
    }

    /// Whether a query returns any row.
    pub(crate) fn exists(&self, sql: &str, params: &[&dyn Param]) -> Result<bool> {
        Ok(self.query_opt(sql, params)?.is_some())
    }

    /// Runs several statements with no parameters (schema changes).
    pub(crate) fn batch(&self, sql: &str) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(pg) => pg.ask(|answer| PgJob::Batch(sql.to_owned(), answer)),
        }
    }

    /// Runs `f` in one write transaction holding the writer's lock (joins the transaction
    /// already open, if any): committed when `f` succeeds, rolled back when it fails.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        if self.in_tx.get() {
            return f(self);
        }
        self.begin()?;
        match f(self) {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Opens a write transaction (see [`Db::write`]); end it with [`Db::commit`] or
    /// [`Db::rollback`].
    pub(crate) fn begin(&self) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Conn::Postgres(_) => {
                self.batch("BEGIN")?;
                if let Err(e) = self.execute("SELECT pg_advisory_xact_lock(?1)", args![WRITER_LOCK]) {
                    let _ = self.batch("ROLLBACK");
                    return Err(e);
                }
            }
        }
        self.in_tx.set(true);
        Ok(())
    }

    pub(crate) fn commit(&self) -> Result<()> {
        let done = self.batch("COMMIT");
        if done.is_err() {
            self.rollback();
        }
        self.in_tx.set(false);
        done
    }

    /// Rolls back the open transaction (nothing to report if there is none left to undo).
    pub(crate) fn rollback(&self) {
        let _ = self.batch("ROLLBACK");
        self.in_tx.set(false);
    }
}

fn owned(params: &[&dyn Param]) -> Vec<PgValue> {
    params.iter().map(|p| PgValue::from(p.value())).collect()
}

impl PgHandle {
    /// Hands a job to the connection's thread and waits for its answer.
    fn ask<T>(&self, job: impl FnOnce(std::sync::mpsc::Sender<Result<T>>) -> PgJob) -> Result<T> {
        let gone = || StoreError::Postgres("the connection to the server is gone".into());
        let (answer, reply) = std::sync::mpsc::channel();
        self.jobs.send(job(answer)).map_err(|_| gone())?;
        reply.recv().map_err(|_| gone())?
    }
}

impl Pg {
    /// Runs one job and sends its answer.
    fn run(&mut self, job: PgJob) {
        match job {
            PgJob::Execute(sql, params, answer) => {
                let _ = answer.send(self.execute(&sql, &params));
            }
            PgJob::Query(sql, params, answer) => {
                let _ = answer.send(self.query(&sql, &params));
            }
            PgJob::Batch(sql, answer) => {
                let _ = answer.send(self.client.batch_execute(&sql).map_err(StoreError::from));
            }
        }
    }

    fn execute(&mut self, sql: &str, params: &[PgValue]) -> Result<u64> {
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            params.iter().map(|v| v as &(dyn postgres::types::ToSql + Sync)).collect();
        Ok(self.client.execute(&stmt, &refs)?)
    }

    fn query(&mut self, sql: &str, params: &[PgValue]) -> Result<Vec<Row>> {
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            params.iter().map(|v| v as &(dyn postgres::types::ToSql + Sync)).collect();
        let rows = self.client.query(&stmt, &refs)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut cells = Vec::with_capacity(r.len());
            for i in 0..r.len() {
                cells.push(r.try_get::<_, PgCell>(i)?.0);
            }
            out.push(Row(cells));
        }
        Ok(out)
    }

    /// The prepared statement for `sql` (written with `?N`/`?` parameters), prepared once.
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.client.prepare(&numbered_parameters(sql))?;
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

/// `?N` → `$N` and a bare `?` → the next `$N`, outside quoted strings.
fn numbered_parameters(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0u32;
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    next += 1;
                    digits = next.to_string();
                }
                out.push('$');
                out.push_str(&digits);
            }
            _ => out.push(c),
        }
    }
    out
}

fn bind_sqlite(stmt: &mut rusqlite::CachedStatement<'_>, params: &[&dyn Param]) -> Result<()> {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    for (i, p) in params.iter().enumerate() {
        let v = p.value();
        let out = match &v {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Value::Texts(_) | Value::Ints(_) => {
                return Err(StoreError::Type { column: i, expected: "a scalar parameter", found: "an array" });
            }
        };
        stmt.raw_bind_parameter(i + 1, out)?;
    }
    Ok(())
}

impl postgres::types::ToSql for PgValue {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self {
            PgValue::Null => Ok(postgres::types::IsNull::Yes),
            PgValue::Int(n) => match *ty {
                Type::INT8 => n.to_sql(ty, out),
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                Type::FLOAT8 => (*n as f64).to_sql(ty, out),
                Type::BOOL => (*n != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => n.to_string().to_sql(ty, out),
                _ => Err(format!("an integer for a {ty} parameter").into()),
            },
            PgValue::Real(f) => match *ty {
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => f.to_sql(ty, out),
            },
            PgValue::Text(s) => s.to_sql(ty, out),
            PgValue::Blob(b) => b.to_sql(ty, out),
            PgValue::Texts(v) => v.to_sql(ty, out),
            PgValue::Ints(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A column read from PostgreSQL as a [`Cell`].
struct PgCell(Cell);

impl<'a> postgres::types::FromSql<'a> for PgCell {
    fn from_sql(
        ty: &postgres::types::Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{FromSql, Type};
        Ok(PgCell(match *ty {
            Type::INT8 => Cell::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Cell::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Cell::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Cell::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Cell::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Cell::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Cell::Blob(raw.to_vec()),
            _ if <&str as FromSql>::accepts(ty) => Cell::Text(<&str>::from_sql(ty, raw)?.to_owned()),
            _ => return Err(format!("a column of type {ty}, which the store does not read").into()),
        }))
    }

    fn from_sql_null(_: &postgres::types::Type) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgCell(Cell::Null))
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::numbered_parameters;

    #[test]
    fn parameters_are_numbered_for_postgres_outside_strings() {
        assert_eq!(numbered_parameters("SELECT ?1, ?12 WHERE a = ?1"), "SELECT $1, $12 WHERE a = $1");
        assert_eq!(numbered_parameters("a > ? AND b IN (?, ?)"), "a > $1 AND b IN ($2, $3)");
        assert_eq!(numbered_parameters("LIKE ?1 ESCAPE '?'"), "LIKE $1 ESCAPE '?'");
    }
}
