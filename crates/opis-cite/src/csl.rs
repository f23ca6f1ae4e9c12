//! CSL-JSON, the citation data of the Citation Style Language: what Zotero imports and
//! citeproc-js, citeproc-py, pandoc and hayagriva render with any CSL style.
//!
//! One item per document, valid against the CSL 1.0.2 data schema
//! (`shared/schemas/csl/schema/csl-data.json`, which allows no other keys): the original
//! language, which CSL has no variable for, goes into `custom` (and the note says
//! "Translated from …").

use serde_json::{Map, Value, json};

use crate::{Citation, Name};

/// The CSL-JSON item of a citation.
pub fn item(c: &Citation) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    m.insert("type".into(), json!(c.csl_type));
    m.insert("citation-key".into(), json!(c.key));
    m.insert("title".into(), json!(c.title));
    if let Some(issued) = &c.issued {
        let mut parts = vec![issued.start.parts()];
        parts.extend(issued.end.map(|e| e.parts()));
        m.insert("issued".into(), json!({ "date-parts": parts }));
    }
    for (role, names) in [
        ("author", &c.authors),
        ("compiler", &c.compilers),
        ("translator", &c.translators),
        ("contributor", &c.contributors),
        ("editor", &c.editors),
    ] {
        if !names.is_empty() {
            m.insert(role.into(), Value::Array(names.iter().map(name).collect()));
        }
    }
    let genre = c.genre();
    let text_fields = [
        ("archive", c.archive.as_deref()),
        ("archive_location", c.archive_location.as_deref()),
        ("container-title", c.container_title.as_deref()),
        ("page", c.pages.as_deref()),
        ("publisher-place", c.place.as_deref()),
        ("genre", genre.as_deref()),
        ("language", c.language.as_deref()),
        ("abstract", c.summary.as_deref()),
        ("note", c.note.as_deref()),
    ];
    for (key, value) in text_fields {
        if let Some(v) = value {
            m.insert(key.into(), json!(v));
        }
    }
    if !c.subjects.is_empty() {
        m.insert("keyword".into(), json!(c.subjects.join(", ")));
    }
    m.insert("URL".into(), json!(c.url));
    if let Some(o) = &c.original_language {
        m.insert("custom".into(), json!({ "original-language": o }));
    }
    Value::Object(m)
}

/// A CSL-JSON document for one or more citations: always an array, as CSL processors read it.
pub fn items<'a>(citations: impl IntoIterator<Item = &'a Citation>) -> Value {
    Value::Array(citations.into_iter().map(item).collect())
}

fn name(n: &Name) -> Value {
    match (&n.given, n.literal) {
        (_, true) => json!({ "literal": n.family }),
        (Some(g), false) => json!({ "family": n.family, "given": g }),
        (None, false) => json!({ "family": n.family }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{BASE, frus_165, seed, seed_field};

    #[test]
    fn the_seed_as_csl_json_names_its_archive_reference_compiler_and_languages() {
        let v = item(&Citation::new(&seed(), BASE));
        let printed = seed_field("**Citation:**");
        assert_eq!(v["type"], "manuscript");
        assert_eq!(v["id"], "wilson-113647");
        // The printed citation opens with the title in quotes.
        assert!(printed.starts_with(&format!("\"{}\"", v["title"].as_str().unwrap())));
        assert_eq!(v["issued"], json!({ "date-parts": [[1956, 10, 30]] }));
        let reference = format!("{}, {}", v["archive"].as_str().unwrap(), v["archive_location"].as_str().unwrap());
        assert!(printed.contains(&format!(", {reference}, compiled by")));
        assert_eq!(v["archive"], "TsKhSD");
        assert_eq!(v["compiler"], json!([{ "family": "Malin", "given": "V. N." }]));
        assert_eq!(v["container-title"], "CWIHP Bulletin 8-9");
        assert_eq!(v["page"], "392-393");
        assert_eq!(v["language"], "en");
        assert_eq!(v["custom"]["original-language"], "ru");
        assert!(v["URL"].as_str().unwrap().ends_with("/document/113647"));
        assert!(v.get("author").is_none(), "the seed names no author");
    }

    #[test]
    fn a_date_range_has_two_date_parts() {
        let mut doc = seed();
        doc.date = Some(opis_model::DocDate {
            text: "November 3–4, 1956".into(),
            from: "1956-11-03".into(),
            to: "1956-11-04".into(),
        });
        let v = item(&Citation::new(&doc, BASE));
        assert_eq!(v["issued"], json!({ "date-parts": [[1956, 11, 3], [1956, 11, 4]] }));
    }

    #[test]
    fn a_frus_telegram_has_its_author_editors_volume_and_page() {
        let doc = frus_165();
        let v = item(&Citation::new(&doc, BASE));
        assert_eq!(v["author"], json!([{ "family": "Dillon" }]));
        assert_eq!(v["editor"].as_array().unwrap().len(), doc.editors.len());
        assert_eq!(v["container-title"].as_str(), doc.collection.as_deref());
        assert_eq!(v["page"], "390");
        assert_eq!(v["publisher-place"], "Paris");
        assert_eq!(v["issued"], json!({ "date-parts": [[1956, 11, 4]] }));
        assert!(v["note"].as_str().unwrap().contains("Confidential; Niact"));
    }
}
