//! Listing documents in the order they last changed, for harvesting (OAI-PMH) and bulk export.
//!
//! A harvest walks the current documents ordered by `(updated_at, id)` and resumes after the
//! last pair it saw (a keyset cursor), so a page boundary stays put while other documents are
//! written: a document written meanwhile moves to the end of the order (its `updated_at` is
//! newer), nothing is skipped and nothing that did not change is listed twice.
//!
//! `updated_at` is the store's fixed-width UTC text (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, see
//! `time.rs`), so text order is time order and bounds are compared as text.
//!
//! These queries run on the store's own connection (each `SqlStore` is used by one thread
//! at a time; the web server keeps a pool of them).

use crate::db::{Param, args};
use crate::{Result, SqlStore, StoredDocument};

/// Which current documents a listing covers. Bounds are inclusive and compared with
/// `updated_at` as text, so they are written in its format (a prefix works for `from`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFilter {
    /// Changed at or after this instant.
    pub from: Option<String>,
    /// Changed at or before this instant.
    pub until: Option<String>,
    /// Only documents in one of these collections (`None`: any document, with or without one).
    pub collections: Option<Vec<String>>,
    /// Only what this viewer may see (`None`: everything).
    pub visibility: Option<crate::access::Visibility>,
}

/// Where a listing resumes: after this `(updated_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeCursor {
    pub updated_at: String,
    pub id: String,
}

/// What a listing of headers gives for one document, without reading its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedDocument {
    pub id: String,
    /// When the current version was written (the store's `updated_at`).
    pub updated_at: String,
    pub collection: Option<String>,
}

impl SqlStore {
    /// The oldest `updated_at` of any current document (`None` for an empty store).
    pub fn earliest_change(&self) -> Result<Option<String>> {
        Ok(self.db().value::<Option<String>>("SELECT MIN(updated_at) FROM documents", args![])?.flatten())
    }

    /// How many current documents `filter` covers.
    pub fn count_changed(&self, filter: &ChangeFilter) -> Result<u64> {
        let (clause, values) = where_clause(filter, None);
        let sql = format!("SELECT COUNT(*) FROM documents d{clause}");
        Ok(self.db().value::<i64>(&sql, &params(&values))?.unwrap_or(0) as u64)
    }

    /// Up to `limit` documents `filter` covers, after `after`, ordered by `(updated_at, id)`;
    /// ids and datestamps only.
    pub fn list_changed(
        &self,
        filter: &ChangeFilter,
        after: Option<&ChangeCursor>,
        limit: usize,
    ) -> Result<Vec<ChangedDocument>> {
        let (clause, values) = where_clause(filter, after);
        let mut all = params(&values);
        all.push(&limit);
        let sql = format!(
            "SELECT d.id, d.updated_at, d.collection FROM documents d{clause} ORDER BY d.updated_at, d.id LIMIT ?"
        );
        let rows = self.db().query(&sql, &all)?;
        rows.iter()
            .map(|r| Ok(ChangedDocument { id: r.get(0)?, updated_at: r.get(1)?, collection: r.get(2)? }))
            .collect()
    }

    /// As [`SqlStore::list_changed`], with each document's current version read whole.
    pub fn list_changed_documents(
        &self,
        filter: &ChangeFilter,
        after: Option<&ChangeCursor>,
        limit: usize,
    ) -> Result<Vec<StoredDocument>> {
        let (clause, values) = where_clause(filter, after);
        let mut all = params(&values);
        all.push(&limit);
        // The page is chosen on `documents` alone, then its JSON read: sorting the join would read
        // the JSON of every remaining document for each page.
        let sql = format!(
            "SELECT {} FROM (SELECT d.id, d.version, d.content_hash, d.updated_at, d.access_until FROM documents d{clause}
                   ORDER BY d.updated_at, d.id LIMIT ?) d
             JOIN versions v ON v.doc_id = d.id AND v.version = d.version
             ORDER BY d.updated_at, d.id",
            crate::sql::STORED_COLUMNS
        );
        let rows = self.db().query(&sql, &all)?;
        rows.iter().map(SqlStore::stored_row).collect()
    }
}

fn params(values: &[String]) -> Vec<&dyn Param> {
    values.iter().map(|v| v as &dyn Param).collect()
}

/// ` WHERE …` for a filter and a cursor (empty when neither narrows), with its parameters
/// (each a bare `?`, in order).
fn where_clause(filter: &ChangeFilter, after: Option<&ChangeCursor>) -> (String, Vec<String>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(from) = &filter.from {
        conditions.push("d.updated_at >= ?".to_owned());
        values.push(from.clone());
    }
    if let Some(until) = &filter.until {
        conditions.push("d.updated_at <= ?".to_owned());
        values.push(until.clone());
    }
    if let Some(collections) = &filter.collections {
        if collections.is_empty() {
            conditions.push("FALSE".to_owned());
        } else {
            let marks = vec!["?"; collections.len()].join(", ");
            conditions.push(format!("d.collection IN ({marks})"));
            values.extend(collections.iter().cloned());
        }
    }
    if let Some(v) = &filter.visibility {
        conditions.push(v.sql("d"));
    }
    if let Some(c) = after {
        conditions.push("(d.updated_at, d.id) > (?, ?)".to_owned());
        values.push(c.updated_at.clone());
        values.push(c.id.clone());
    }
    if conditions.is_empty() {
        (String::new(), values)
    } else {
        (format!(" WHERE {}", conditions.join(" AND ")), values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Provenance, Store};
    use opis_model::Document;

    fn doc(id: &str, collection: Option<&str>, title: &str) -> (Document, Provenance) {
        let d = Document {
            id: id.into(),
            title: title.into(),
            kind: "memorandum".into(),
            language: "en".into(),
            collection: collection.map(str::to_owned),
            ..Default::default()
        };
        (d, Provenance { source_path: "x".into() })
    }

    #[test]
    fn pages_by_keyset_cover_every_document_once_even_when_one_changes_between_pages() {
        for mut store in crate::test_stores("listing") {
            let batch: Vec<_> = (0..7).map(|i| doc(&format!("d{i}"), (i % 2 == 0).then_some("even"), "t")).collect();
            store.put_batch(&batch).unwrap();
            let all = ChangeFilter::default();
            assert_eq!(store.count_changed(&all).unwrap(), 7);
            let first = store.list_changed(&all, None, 3).unwrap();
            assert_eq!(first.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["d0", "d1", "d2"]);
            // d1 (already listed) and d5 (not yet) change between pages: both move to the end.
            store.put_batch(&[doc("d1", None, "changed"), doc("d5", None, "changed")]).unwrap();
            let mut seen: Vec<String> = first.iter().map(|d| d.id.clone()).collect();
            let mut after = first.last().map(|d| ChangeCursor { updated_at: d.updated_at.clone(), id: d.id.clone() });
            loop {
                let page = store.list_changed(&all, after.as_ref(), 3).unwrap();
                let Some(last) = page.last() else { break };
                after = Some(ChangeCursor { updated_at: last.updated_at.clone(), id: last.id.clone() });
                seen.extend(page.iter().map(|d| d.id.clone()));
            }
            assert_eq!(seen, ["d0", "d1", "d2", "d3", "d4", "d6", "d1", "d5"]);
            let even = ChangeFilter { collections: Some(vec!["even".into()]), ..Default::default() };
            let docs = store.list_changed_documents(&even, None, 10).unwrap();
            assert_eq!(docs.iter().map(|d| d.document.id.as_str()).collect::<Vec<_>>(), ["d0", "d2", "d4", "d6"]);
            let named: Vec<_> = store
                .collections()
                .unwrap()
                .into_iter()
                .filter(|c| !c.name.is_empty())
                .map(|c| (c.name, c.documents))
                .collect();
            assert_eq!(named, vec![("even".to_string(), 4)]);
            let later = ChangeFilter { from: Some(docs[0].updated_at.clone() + "~"), ..Default::default() };
            assert_eq!(store.count_changed(&later).unwrap(), 2, "only d1 and d5 changed after the first batch");
            let none = ChangeFilter { until: Some("1970".into()), ..Default::default() };
            assert_eq!(store.count_changed(&none).unwrap(), 0);
        }
    }
}
