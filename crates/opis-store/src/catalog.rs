//! Listing queries for the JSON API: documents narrowed by collection, kind, language and
//! date, paged with a keyset cursor (the last id of the previous page, so pages stay stable
//! while ingest adds documents), and the collections with their counts and date spans.

use serde::Serialize;

use crate::db::args;
use crate::{Result, SqlStore};

/// What [`SqlStore::list_documents`] narrows by; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    pub collection: Option<String>,
    pub kind: Option<String>,
    pub language: Option<String>,
    /// Documents whose date range ends on or after this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Documents whose date range starts on or before this day (`YYYY-MM-DD`).
    pub until: Option<String>,
    /// Only what this viewer may see (`None`: everything).
    pub visibility: Option<crate::access::Visibility>,
}

/// One document in a listing: what is queried about it, not its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentSummary {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub kind: String,
    pub language: String,
    pub collection: Option<String>,
    /// First day of the document's date range (`YYYY-MM-DD`).
    pub date_from: Option<String>,
    /// Last day of the document's date range (`YYYY-MM-DD`).
    pub date_to: Option<String>,
    /// When its current version was stored (UTC, RFC 3339).
    pub updated_at: String,
}

/// One collection with its documents' count and date span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionSummary {
    /// The collection's name; documents without one are listed under "".
    pub name: String,
    pub documents: u64,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
}

impl SqlStore {
    /// Documents in id order after `after` (exclusive), at most `limit`, narrowed by `filter`.
    pub fn list_documents(
        &self,
        filter: &DocumentFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DocumentSummary>> {
        let visible = filter.visibility.as_ref().map_or("TRUE".to_owned(), |v| v.sql("documents"));
        let rows = self.db().query(
            &format!(
                "SELECT id, version, title, kind, language, collection, date_from, date_to, updated_at FROM documents
                 WHERE {visible} AND (CAST(?1 AS TEXT) IS NULL OR id > ?1)
                   AND (CAST(?2 AS TEXT) IS NULL OR collection = ?2)
                   AND (CAST(?3 AS TEXT) IS NULL OR kind = ?3)
                   AND (CAST(?4 AS TEXT) IS NULL OR language = ?4)
                   AND (CAST(?5 AS TEXT) IS NULL OR date_to >= ?5)
                   AND (CAST(?6 AS TEXT) IS NULL OR date_from <= ?6)
                 ORDER BY id LIMIT ?7"
            ),
            args![after, filter.collection, filter.kind, filter.language, filter.from, filter.until, limit],
        )?;
        rows.iter()
            .map(|r| {
                Ok(DocumentSummary {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    title: r.get(2)?,
                    kind: r.get(3)?,
                    language: r.get(4)?,
                    collection: r.get(5)?,
                    date_from: r.get(6)?,
                    date_to: r.get(7)?,
                    updated_at: r.get(8)?,
                })
            })
            .collect()
    }

    /// Whether a document of this id is stored (without reading it).
    pub fn contains(&self, id: &str) -> Result<bool> {
        self.db().exists("SELECT 1 FROM documents WHERE id = ?1", args![id])
    }

    /// Every collection, by name, with its count and date span.
    pub fn collections(&self) -> Result<Vec<CollectionSummary>> {
        self.collections_visible(&crate::access::Visibility::Everything)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Provenance, Store};
    use opis_model::{DocDate, Document};

    fn doc(id: &str, collection: &str, from: &str, to: &str) -> Document {
        Document {
            id: id.into(),
            title: format!("Title of {id}"),
            kind: "memorandum".into(),
            language: "en".into(),
            collection: Some(collection.into()),
            date: Some(DocDate { text: from.into(), from: from.into(), to: to.into() }),
            ..Default::default()
        }
    }

    #[test]
    fn listing_pages_by_id_and_filters_by_collection_and_overlapping_dates() {
        for mut store in crate::test_stores("catalog") {
            let prov = Provenance { source_path: "t".into() };
            let docs = [
                doc("a", "frus", "1956-10-30", "1956-10-30"),
                doc("b", "frus", "1956-11-01", "1956-11-05"),
                doc("c", "wilson", "1956-11-04", "1956-11-04"),
                doc("d", "wilson", "1957-01-01", "1957-12-31"),
            ];
            store.put_batch(&docs.iter().map(|d| (d.clone(), prov.clone())).collect::<Vec<_>>()).unwrap();
            let all = DocumentFilter::default();
            let ids = |v: Vec<DocumentSummary>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
            assert_eq!(ids(store.list_documents(&all, None, 2).unwrap()), ["a", "b"]);
            assert_eq!(ids(store.list_documents(&all, Some("b"), 2).unwrap()), ["c", "d"]);
            assert!(store.list_documents(&all, Some("d"), 2).unwrap().is_empty());
            assert!(store.contains("c").unwrap() && !store.contains("e").unwrap());
            let wilson = DocumentFilter { collection: Some("wilson".into()), ..Default::default() };
            assert_eq!(ids(store.list_documents(&wilson, None, 10).unwrap()), ["c", "d"]);
            let november = DocumentFilter { from: Some("1956-11-02".into()), until: Some("1956-11-30".into()), ..all };
            assert_eq!(ids(store.list_documents(&november, None, 10).unwrap()), ["b", "c"]);
            let cols = store.collections().unwrap();
            assert_eq!(cols.len(), 2);
            assert_eq!((cols[1].name.as_str(), cols[1].documents), ("wilson", 2));
            assert_eq!(
                (cols[1].date_from.as_deref(), cols[1].date_to.as_deref()),
                (Some("1956-11-04"), Some("1957-12-31"))
            );
        }
    }
}
