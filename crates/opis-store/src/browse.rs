//! Browsing order: the documents before and after one document within its collection (a FRUS
//! volume is a collection), ordered by date, then id, with undated documents after the dated
//! ones (by id).
//!
//! The queries run on the store's connection; each step walks the `documents_collection_date`
//! index (collection, date_from, id) from the document's place, so a step costs a few index
//! entries however large the collection is.

use crate::db::{Db, Param, args};
use crate::{Result, SqlStore};

/// A document next to another in browsing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    pub id: String,
    pub title: String,
    /// The first day of its date (ISO), when dated.
    pub date_from: Option<String>,
}

/// The documents before and after one document in its collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Neighbours {
    /// The collection both belong to; `None` when the document has none (then no neighbours).
    pub collection: Option<String>,
    pub previous: Option<Neighbour>,
    pub next: Option<Neighbour>,
}

const COLUMNS: &str = "SELECT id, title, date_from FROM documents";

fn one(db: &Db, sql: &str, params: &[&dyn Param]) -> Result<Option<Neighbour>> {
    match db.query_opt(sql, params)? {
        Some(r) => Ok(Some(Neighbour { id: r.get(0)?, title: r.get(1)?, date_from: r.get(2)? })),
        None => Ok(None),
    }
}

impl SqlStore {
    /// The previous and next documents of `id` within its collection, by date then id (undated
    /// documents last). An unknown id, or a document without a collection, has none.
    pub fn neighbours(&self, id: &str) -> Result<Neighbours> {
        let conn = self.db();
        let me: Option<(Option<String>, Option<String>)> =
            match conn.query_opt("SELECT collection, date_from FROM documents WHERE id = ?1", args![id])? {
                Some(r) => Some((r.get(0)?, r.get(1)?)),
                None => None,
            };
        let Some((Some(collection), date)) = me else {
            return Ok(Neighbours::default());
        };
        let last_dated = format!(
            "{COLUMNS} WHERE collection = ?1 AND date_from IS NOT NULL ORDER BY collection DESC, date_from DESC, id DESC LIMIT 1"
        );
        let first_undated =
            format!("{COLUMNS} WHERE collection = ?1 AND date_from IS NULL ORDER BY collection, id LIMIT 1");
        let (previous, next) = match &date {
            Some(day) => {
                let previous = one(
                    conn,
                    &format!(
                        "{COLUMNS} WHERE collection = ?1 AND date_from <= ?2 AND (date_from < ?2 OR id < ?3)
                         ORDER BY collection DESC, date_from DESC, id DESC LIMIT 1"
                    ),
                    args![collection, day, id],
                )?;
                let next = match one(
                    conn,
                    &format!(
                        "{COLUMNS} WHERE collection = ?1 AND date_from >= ?2 AND (date_from > ?2 OR id > ?3)
                         ORDER BY collection, date_from, id LIMIT 1"
                    ),
                    args![collection, day, id],
                )? {
                    Some(n) => Some(n),
                    None => one(conn, &first_undated, args![collection])?,
                };
                (previous, next)
            }
            None => {
                let previous = match one(
                    conn,
                    &format!(
                        "{COLUMNS} WHERE collection = ?1 AND date_from IS NULL AND id < ?2
                         ORDER BY collection DESC, id DESC LIMIT 1"
                    ),
                    args![collection, id],
                )? {
                    Some(p) => Some(p),
                    None => one(conn, &last_dated, args![collection])?,
                };
                let next = one(
                    conn,
                    &format!(
                        "{COLUMNS} WHERE collection = ?1 AND date_from IS NULL AND id > ?2
                         ORDER BY collection, id LIMIT 1"
                    ),
                    args![collection, id],
                )?;
                (previous, next)
            }
        };
        Ok(Neighbours { collection: Some(collection), previous, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Provenance, Store};
    use opis_model::{DocDate, Document};

    fn doc(id: &str, collection: Option<&str>, date: Option<&str>) -> (Document, Provenance) {
        let d = Document {
            id: id.into(),
            title: format!("Title of {id}"),
            kind: "record".into(),
            language: "en".into(),
            collection: collection.map(str::to_owned),
            date: date.map(|d| DocDate { text: d.into(), from: d.into(), to: d.into() }),
            ..Default::default()
        };
        (d, Provenance::default())
    }

    fn ids(n: &Neighbours) -> (Option<&str>, Option<&str>) {
        (n.previous.as_ref().map(|p| p.id.as_str()), n.next.as_ref().map(|p| p.id.as_str()))
    }

    #[test]
    fn neighbours_follow_date_then_id_within_the_collection() {
        for mut store in crate::test_stores("browse") {
            store
                .put_batch(&[
                    doc("c", Some("A"), Some("1956-10-30")),
                    doc("a", Some("A"), Some("1956-10-30")),
                    doc("b", Some("A"), Some("1956-10-31")),
                    doc("z", Some("A"), Some("1956-01-01")),
                    doc("u2", Some("A"), None),
                    doc("u1", Some("A"), None),
                    doc("other", Some("B"), Some("1956-10-30")),
                    doc("loose", None, Some("1956-10-30")),
                ])
                .unwrap();
            // Order in A: z (Jan), a, c (same day, by id), b (31 Oct), then undated u1, u2.
            let order = ["z", "a", "c", "b", "u1", "u2"];
            for (i, id) in order.iter().enumerate() {
                let n = store.neighbours(id).unwrap();
                let prev = i.checked_sub(1).map(|j| order[j]);
                let next = order.get(i + 1).copied();
                assert_eq!(ids(&n), (prev, next), "neighbours of {id}");
                assert_eq!(n.collection.as_deref(), Some("A"));
            }
            assert_eq!(ids(&store.neighbours("other").unwrap()), (None, None));
            assert_eq!(store.neighbours("loose").unwrap(), Neighbours::default());
            assert_eq!(store.neighbours("missing").unwrap(), Neighbours::default());
        }
    }
}
