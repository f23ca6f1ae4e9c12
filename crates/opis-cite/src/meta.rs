//! The `<meta name=… content=…>` tags a document page carries so that reference managers pick
//! the document up: Highwire Press `citation_*` tags (read by Zotero's Embedded Metadata
//! translator and by Google Scholar) and Dublin Core `DC.*` tags.
//!
//! The tags are name/content pairs here; the web crate writes them (escaped) into `<head>`.
//! Highwire has no tags for archives: `citation_publisher` names the holding archive, and
//! `citation_archive` / `citation_archive_location` carry the two CSL variables.

use crate::{Citation, Name};

/// A `<meta>` tag: its `name` and `content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaTag {
    pub name: &'static str,
    pub content: String,
}

/// Highwire `citation_*` tags, then Dublin Core `DC.*` tags, in a stable order.
pub fn tags(c: &Citation) -> Vec<MetaTag> {
    let mut out = Vec::new();
    let mut push = |name: &'static str, content: &str| {
        let content = content.split_whitespace().collect::<Vec<_>>().join(" ");
        if !content.is_empty() {
            out.push(MetaTag { name, content });
        }
    };
    push("citation_title", &c.title);
    for a in &c.authors {
        push("citation_author", &a.inverted());
    }
    if let Some(i) = &c.issued {
        let d = i.start;
        let date = match (d.month, d.day) {
            (Some(m), Some(day)) => format!("{:04}/{m:02}/{day:02}", d.year),
            (Some(m), None) => format!("{:04}/{m:02}", d.year),
            _ => format!("{:04}", d.year),
        };
        push("citation_date", &date);
    }
    if let Some(a) = &c.archive {
        push("citation_publisher", a);
        push("citation_archive", a);
    }
    if let Some(l) = &c.archive_location {
        push("citation_archive_location", l);
    }
    if let Some(t) = &c.container_title {
        push("citation_inbook_title", t);
    }
    if let Some(p) = &c.pages {
        let (first, last) = p.split_once(['-', '–']).unwrap_or((p, p));
        push("citation_firstpage", first.trim());
        push("citation_lastpage", last.trim());
    }
    if let Some(l) = &c.language {
        push("citation_language", l);
    }
    for s in &c.subjects {
        push("citation_keywords", s);
    }
    push("citation_public_url", &c.page_url);
    push("citation_abstract_html_url", &c.page_url);

    push("DC.title", &c.title);
    for a in &c.authors {
        push("DC.creator", &a.natural());
    }
    for n in c.compilers.iter().chain(&c.translators).chain(&c.contributors).chain(&c.editors) {
        push("DC.contributor", &Name::natural(n));
    }
    if let Some(i) = &c.issued {
        push("DC.date", &i.iso());
    }
    push("DC.type", "Text");
    if let Some(g) = c.genre() {
        push("DC.type", &g);
    }
    push("DC.identifier", &c.page_url);
    if c.url != c.page_url {
        push("DC.identifier", &c.url);
    }
    if let Some(l) = &c.language {
        push("DC.language", l);
    }
    if let Some(r) = &c.archival_reference {
        push("DC.source", r);
    }
    if let Some(t) = &c.container_title {
        push("DC.relation", t);
    }
    if let Some(s) = &c.summary {
        push("DC.description", s);
    }
    for s in &c.subjects {
        push("DC.subject", s);
    }
    if let Some(p) = &c.place {
        push("DC.coverage", p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{BASE, frus_165, seed, seed_field};

    fn values<'a>(tags: &'a [MetaTag], name: &str) -> Vec<&'a str> {
        tags.iter().filter(|t| t.name == name).map(|t| t.content.as_str()).collect()
    }

    #[test]
    fn the_seed_page_tags_name_title_date_archive_and_url() {
        let t = tags(&Citation::new(&seed(), BASE));
        let printed = seed_field("**Citation:**");
        assert!(printed.starts_with(&format!("\"{}\"", values(&t, "citation_title")[0])));
        assert_eq!(values(&t, "citation_date"), ["1956/10/30"]);
        assert_eq!(values(&t, "citation_publisher"), ["TsKhSD"]);
        assert_eq!(values(&t, "citation_public_url"), [format!("{BASE}/doc/wilson-113647").as_str()]);
        assert_eq!(values(&t, "citation_language"), ["en"]);
        assert!(values(&t, "citation_author").is_empty(), "the seed names no author");
        assert_eq!(values(&t, "DC.date"), ["1956-10-30"]);
        assert_eq!(values(&t, "DC.contributor"), ["V. N. Malin"]);
        assert!(printed.contains(values(&t, "DC.source")[0]));
    }

    #[test]
    fn a_frus_telegram_has_its_author_and_pages() {
        let t = tags(&Citation::new(&frus_165(), BASE));
        assert_eq!(values(&t, "citation_author"), ["Dillon"]);
        assert_eq!(values(&t, "citation_firstpage"), ["390"]);
        assert_eq!(values(&t, "citation_lastpage"), ["390"]);
        assert_eq!(values(&t, "DC.creator"), ["Dillon"]);
    }
}
