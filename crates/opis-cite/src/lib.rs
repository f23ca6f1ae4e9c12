//! Citations of opis documents in the formats researchers' tools read: CSL-JSON (Zotero,
//! citeproc-js, citeproc-py, pandoc), BibTeX/BibLaTeX, RIS (Zotero, EndNote), a Chicago full
//! note rendered by a real CSL processor (hayagriva with its bundled Chicago notes style), and
//! the Highwire `citation_*` and Dublin Core `DC.*` meta tags that Zotero's browser connector
//! reads from a page.
//!
//! Every format is written from one [`Citation`], built once from a [`Document`] by
//! [`Citation::new`], so the title, date, names, archive and URL are the same everywhere:
//!
//! - **archive / archival location**: the document's first archival reference. `archive` is its
//!   archive ("TsKhSD"); `archive_location` is the reference as printed after the archive's name
//!   ("F. 3, Op. 12, D. 1006, Ll. 6-14"), so that `archive + ", " + archive_location` is the
//!   reference exactly as printed and a style that prints both does not name the archive twice.
//!   Further references go into the note.
//! - **date**: the document's day range, as coarse as it is exact: a whole year is `1956`, a
//!   whole month `1956-10`, otherwise days; a range when the first and last differ.
//! - **URL**: the source's URL when it has one, else the reading room's page
//!   (`{base}/doc/{id}`).
//! - **names**: authors as authors; the compiler as CSL `compiler` (BibLaTeX `editor` with
//!   `editortype = compiler`); contributors as translators when the printed citation says they
//!   translated, else as contributors; a published edition's editors as editors.
//! - **type**: CSL `manuscript` (RIS `MANSCPT`), except letters (`personal_communication`,
//!   RIS `PCOMM`), speeches (`speech`) and parliamentary debates (`hearing`, RIS `HEAR`).
//!
//! Modules: [`csl`] (CSL-JSON), [`bibtex`], [`ris`], [`chicago`] (the CSL-rendered note),
//! [`meta`] (the meta tags as name/content pairs).

pub mod bibtex;
pub mod chicago;
pub mod csl;
pub mod meta;
pub mod ris;

use opis_model::{ArchivalRef, DocDate, Document};

/// What can go wrong producing a citation.
#[derive(Debug, thiserror::Error)]
pub enum CiteError {
    /// The CSL processor's bundled style could not be used.
    #[error("the CSL style {0:?} is not an independent style")]
    Style(&'static str),
    /// The CSL processor produced nothing for the document.
    #[error("the CSL processor rendered no citation for {0:?}")]
    Empty(String),
    #[error("writing the citation failed")]
    Format(#[from] std::fmt::Error),
}

/// A person's or an institution's name, split the way citation formats want it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The family name, or the whole name when `literal`.
    pub family: String,
    pub given: Option<String>,
    /// An institution or a name that cannot be split ("Department of State").
    pub literal: bool,
}

impl Name {
    /// Splits a name as printed: "Family, Given" or "Given Family"; one word is a family name;
    /// institutions ("Department of State", "Embassy in France") stay whole.
    pub fn parse(raw: &str) -> Option<Name> {
        let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let s = s.trim_matches(|c: char| c == ',' || c == ';' || c.is_whitespace());
        if s.is_empty() {
            return None;
        }
        let words: Vec<&str> = s.split(' ').collect();
        let institution = words.len() > 4
            || words.iter().skip(1).any(|w| matches!(*w, "of" | "the" | "for" | "in" | "and" | "der" | "des"))
            || words.iter().any(|w| {
                matches!(
                    *w,
                    "Department" | "Ministry" | "Committee" | "Embassy" | "Legation" | "Office" | "Council" | "Bureau"
                )
            });
        if institution {
            return Some(Name { family: s.to_owned(), given: None, literal: true });
        }
        if let Some((family, given)) = s.split_once(", ") {
            let given = given.trim();
            return Some(Name {
                family: family.trim().to_owned(),
                given: (!given.is_empty()).then(|| given.to_owned()),
                literal: false,
            });
        }
        match s.rsplit_once(' ') {
            Some((given, family)) => {
                Some(Name { family: family.to_owned(), given: Some(given.to_owned()), literal: false })
            }
            None => Some(Name { family: s.to_owned(), given: None, literal: false }),
        }
    }

    /// "Malin, V. N." (the form BibTeX and RIS want), or the literal name.
    pub fn inverted(&self) -> String {
        match (&self.given, self.literal) {
            (Some(g), false) => format!("{}, {g}", self.family),
            _ => self.family.clone(),
        }
    }

    /// "V. N. Malin", or the literal name.
    pub fn natural(&self) -> String {
        match (&self.given, self.literal) {
            (Some(g), false) => format!("{g} {}", self.family),
            _ => self.family.clone(),
        }
    }
}

/// A calendar date as exact as it is known: a year, a month or a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateParts {
    pub year: i32,
    /// 1–12.
    pub month: Option<u8>,
    /// 1–31.
    pub day: Option<u8>,
}

impl DateParts {
    /// `1956`, `1956-10` or `1956-10-30`.
    pub fn iso(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{:04}-{m:02}-{d:02}", self.year),
            (Some(m), None) => format!("{:04}-{m:02}", self.year),
            _ => format!("{:04}", self.year),
        }
    }

    /// The parts as numbers, for CSL `date-parts`.
    pub fn parts(&self) -> Vec<i32> {
        let mut out = vec![self.year];
        out.extend(self.month.map(i32::from));
        out.extend(self.day.map(i32::from));
        out
    }
}

/// When the document was written: one date, or a range when `end` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issued {
    pub start: DateParts,
    pub end: Option<DateParts>,
}

impl Issued {
    /// The model's day range made as coarse as it is exact; `None` when the days do not parse.
    pub fn from_doc_date(d: &DocDate) -> Option<Issued> {
        let (y1, m1, d1) = ymd(&d.from)?;
        let (y2, m2, d2) = ymd(&d.to)?;
        let whole_years = m1 == 1 && d1 == 1 && m2 == 12 && d2 == 31;
        let whole_months = d1 == 1 && d2 == days_in_month(y2, m2);
        let (start, end) = if whole_years {
            (DateParts { year: y1, month: None, day: None }, DateParts { year: y2, month: None, day: None })
        } else if whole_months {
            (DateParts { year: y1, month: Some(m1), day: None }, DateParts { year: y2, month: Some(m2), day: None })
        } else {
            (
                DateParts { year: y1, month: Some(m1), day: Some(d1) },
                DateParts { year: y2, month: Some(m2), day: Some(d2) },
            )
        };
        Some(Issued { start, end: (start != end).then_some(end) })
    }

    /// ISO 8601 (`1956-10-30`, or an interval `1956-11-03/1956-11-04`), as BibLaTeX `date` wants.
    pub fn iso(&self) -> String {
        match self.end {
            Some(end) => format!("{}/{}", self.start.iso(), end.iso()),
            None => self.start.iso(),
        }
    }
}

fn ymd(iso: &str) -> Option<(i32, u8, u8)> {
    let mut parts = iso.splitn(3, '-');
    let y = parts.next()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    let year: i32 = y.parse().ok()?;
    (y.len() == 4 && (1..=12).contains(&m) && (1..=31).contains(&d)).then_some((year, m, d))
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Everything the citation formats say about one document, read once from the [`Document`].
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    /// The document's id (the CSL `id`).
    pub id: String,
    /// A BibTeX key made from the id: stable, and unique wherever the ids are.
    pub key: String,
    pub title: String,
    /// The document's kind ("working-notes", "telegram", …).
    pub kind: String,
    /// The CSL item type.
    pub csl_type: &'static str,
    pub issued: Option<Issued>,
    /// The date as printed in the source.
    pub date_text: Option<String>,
    pub authors: Vec<Name>,
    pub compilers: Vec<Name>,
    pub translators: Vec<Name>,
    pub contributors: Vec<Name>,
    /// Editors of the edition the document is published in.
    pub editors: Vec<Name>,
    /// The holding archive ("TsKhSD").
    pub archive: Option<String>,
    /// The reference inside the archive ("F. 3, Op. 12, D. 1006, Ll. 6-14").
    pub archive_location: Option<String>,
    /// The whole archival reference as printed ("TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14").
    pub archival_reference: Option<String>,
    /// The volume or bulletin the document is published in ("CWIHP Bulletin 8-9").
    pub container_title: Option<String>,
    /// The pages it spans there ("392-393").
    pub pages: Option<String>,
    /// The source's URL, else the reading room's page.
    pub url: String,
    /// The reading room's page of the document.
    pub page_url: String,
    /// The language of the text (a code such as "en").
    pub language: Option<String>,
    /// The language it was written in when the text is a translation ("ru").
    pub original_language: Option<String>,
    /// Where it was written.
    pub place: Option<String>,
    pub summary: Option<String>,
    pub subjects: Vec<String>,
    /// What the formats carry as a free note: translation, protocol, classification,
    /// publication, further archival references.
    pub note: Option<String>,
}

impl Citation {
    /// The citation of `doc`; `base_url` is the reading room's address ("https://archive.example",
    /// no trailing slash needed), used for the page URL and as the URL when the document has no
    /// source URL.
    pub fn new(doc: &Document, base_url: &str) -> Citation {
        let page_url = format!("{}/doc/{}", base_url.trim_end_matches('/'), percent_encode(&doc.id));
        let url = doc
            .source_url
            .as_deref()
            .map(str::trim)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map_or_else(|| page_url.clone(), str::to_owned);
        let first_ref = doc.archival_refs.first();
        let (archive, archive_location) = first_ref.map(split_reference).unwrap_or_default();
        let (container_title, printed_pages) = match doc.published_in.as_deref().map(clean).filter(|s| !s.is_empty()) {
            Some(p) => split_pages(&p),
            None if !doc.editors.is_empty() || doc.pages.is_some() => {
                (doc.collection.as_deref().map(clean).filter(|s| !s.is_empty()), None)
            }
            None => (None, None),
        };
        let pages = doc.pages.clone().or(printed_pages);
        let language = Some(doc.language.trim().to_owned()).filter(|l| !l.is_empty());
        let original_language = doc
            .original_language
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty() && Some(*o) != language.as_deref());
        let says_translated = doc.citation.as_deref().is_some_and(|c| {
            let c = c.to_lowercase();
            c.contains("translated by") || c.contains("translation by")
        });
        let contributor_names: Vec<Name> = doc.contributors.iter().filter_map(|c| Name::parse(c)).collect();
        let (translators, contributors) =
            if says_translated { (contributor_names, Vec::new()) } else { (Vec::new(), contributor_names) };

        let mut note = Vec::new();
        if let Some(o) = original_language {
            note.push(format!("Translated from {}.", language_name(o)));
        }
        if let Some(p) = &doc.protocol {
            match &p.point {
                Some(pt) => note.push(format!("Protocol No. {}, point {pt}.", p.number)),
                None => note.push(format!("Protocol No. {}.", p.number)),
            }
        }
        if let Some(c) = doc.classification.as_deref().map(clean).filter(|c| !c.is_empty()) {
            note.push(format!("Classification: {c}."));
        }
        if let Some(p) = doc.published_in.as_deref().map(clean).filter(|p| !p.is_empty()) {
            note.push(format!("Published in {}.", p.trim_end_matches('.')));
        }
        let others: Vec<String> = doc.archival_refs.iter().skip(1).map(|r| clean(&r.text)).collect();
        if !others.is_empty() {
            note.push(format!("Also: {}.", others.join("; ")));
        }

        Citation {
            id: doc.id.clone(),
            key: citation_key(&doc.id),
            title: clean(&doc.title),
            kind: doc.kind.clone(),
            csl_type: csl_type(&doc.kind),
            issued: doc.date.as_ref().and_then(Issued::from_doc_date),
            date_text: doc.date.as_ref().map(|d| clean(&d.text)).filter(|t| !t.is_empty()),
            authors: doc.authors.iter().filter_map(|a| Name::parse(a)).collect(),
            compilers: doc.compiler.as_deref().map(split_names).unwrap_or_default(),
            translators,
            contributors,
            editors: doc.editors.iter().filter_map(|e| Name::parse(e)).collect(),
            archive: archive.filter(|a| !a.is_empty()),
            archive_location: archive_location.filter(|l| !l.is_empty()),
            archival_reference: first_ref.map(|r| clean(&r.text)).filter(|t| !t.is_empty()),
            container_title,
            pages,
            url,
            page_url,
            language,
            original_language: original_language.map(str::to_owned),
            place: doc.place.as_deref().map(clean).filter(|p| !p.is_empty()),
            summary: doc.summary.as_deref().map(clean).filter(|s| !s.is_empty()),
            subjects: doc.subjects.iter().map(|s| clean(s)).filter(|s| !s.is_empty()).collect(),
            note: (!note.is_empty()).then(|| note.join(" ")),
        }
    }

    /// The kind for reading ("working notes", "teletype conversation").
    pub fn genre(&self) -> Option<String> {
        let g = self.kind.replace(['-', '_'], " ");
        let g = g.trim();
        (!g.is_empty() && g != "record").then(|| g.to_owned())
    }

    /// A file name for a download of this citation with `extension` ("wilson-113647.bib").
    pub fn file_name(&self, extension: &str) -> String {
        format!("{}.{extension}", self.key)
    }
}

/// Whitespace runs (newlines included) made one space; ends trimmed.
fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The archive and the reference inside it, so that `archive + ", " + location` is the text.
fn split_reference(r: &ArchivalRef) -> (Option<String>, Option<String>) {
    let text = clean(&r.text);
    let archive = clean(&r.archive);
    if archive.is_empty() {
        return (None, Some(text));
    }
    let location = match text.strip_prefix(archive.as_str()) {
        Some(rest) => {
            rest.trim_start_matches(|c: char| c == ',' || c == ';' || c == ':' || c.is_whitespace()).to_owned()
        }
        None if text == archive => String::new(),
        None => text.clone(),
    };
    let location = if location.is_empty() { composed_location(r) } else { location };
    (Some(archive), Some(location))
}

/// "F. 3, Op. 12, D. 1006, Ll. 6-14" or "Box 3, Folder 2" from the reference's parts.
fn composed_location(r: &ArchivalRef) -> String {
    let parts = [
        ("F. ", &r.fond),
        ("Op. ", &r.opis),
        ("P. ", &r.papka),
        ("D. ", &r.delo),
        ("Ll. ", &r.leaves),
        ("", &r.file),
        ("Box ", &r.r#box),
        ("Folder ", &r.folder),
    ];
    parts.iter().filter_map(|(label, v)| v.as_deref().map(|v| format!("{label}{v}"))).collect::<Vec<_>>().join(", ")
}

/// "CWIHP Bulletin 8-9, pp. 392-393" → ("CWIHP Bulletin 8-9", "392-393").
fn split_pages(published: &str) -> (Option<String>, Option<String>) {
    for marker in [", pp. ", ", p. ", ", pp ", ", S. "] {
        if let Some(i) = published.rfind(marker) {
            let pages = published[i + marker.len()..].trim().trim_end_matches('.').trim();
            if !pages.is_empty() && pages.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
                return (Some(published[..i].trim().to_owned()), Some(pages.to_owned()));
            }
        }
    }
    (Some(published.trim().trim_end_matches('.').to_owned()), None)
}

/// "A and B", "A; B", "A & B" → names.
fn split_names(list: &str) -> Vec<Name> {
    list.split(" and ").flat_map(|p| p.split(';')).flat_map(|p| p.split(" & ")).filter_map(Name::parse).collect()
}

fn csl_type(kind: &str) -> &'static str {
    match kind {
        "letter" => "personal_communication",
        "speech" => "speech",
        "debate" => "hearing",
        _ => "manuscript",
    }
}

/// The id with everything outside `[A-Za-z0-9_.:-]` made `-`: a valid BibTeX key.
fn citation_key(id: &str) -> String {
    let key: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':') { c } else { '-' })
        .collect();
    if key.is_empty() { "opis-document".to_owned() } else { key }
}

/// Percent-encodes a path segment (everything but unreserved characters).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An English name for a language code ("ru" → "Russian", from the readers' own table);
/// anything the table does not know, as given.
pub fn language_name(code: &str) -> &str {
    opis_formats::extract::language::language_name(code).unwrap_or(code)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    pub(crate) const BASE: &str = "http://opis.test";

    fn shared() -> PathBuf {
        match std::env::var_os("OPIS_SHARED") {
            Some(p) => PathBuf::from(p),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        }
    }

    pub(crate) fn seed_text() -> String {
        std::fs::read_to_string(shared().join("seed/presidium-1956-10-30.txt")).expect("the seed")
    }

    pub(crate) fn seed() -> Document {
        let parsed = opis_formats::parse_file(&shared().join("seed/presidium-1956-10-30.txt"), None).expect("seed");
        parsed.documents.into_iter().next().expect("one document")
    }

    /// FRUS 1955–57 vol. XXV, document 165 (a telegram from Paris, with an author and pages).
    pub(crate) fn frus_165() -> Document {
        let path = shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml");
        let parsed = opis_formats::parse_file(&path, None).expect("frus");
        parsed.documents.into_iter().find(|d| d.id.ends_with("d165")).expect("d165")
    }

    /// The FRUS source XML with whitespace runs made one space, for expectations read from it.
    pub(crate) fn frus_xml() -> String {
        let xml = std::fs::read_to_string(shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"));
        clean(&xml.expect("frus"))
    }

    /// The text after `label` on the seed's line that follows it ("**Citation:**" → the citation).
    pub(crate) fn seed_field(label: &str) -> String {
        let text = seed_text();
        let at = text.find(label).expect("label");
        text[at + label.len()..].lines().map(str::trim).find(|l| !l.is_empty()).expect("value").to_owned()
    }

    #[test]
    fn the_seed_citation_names_archive_location_and_compiler_as_printed() {
        let printed = seed_field("**Citation:**");
        let c = Citation::new(&seed(), BASE);
        // "…, Wilson Center Digital Archive, TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14, compiled by V. N. Malin."
        let reference = c.archival_reference.clone().expect("reference");
        assert!(printed.contains(&format!(", {reference}, compiled by V. N. Malin")), "{printed}");
        assert_eq!(c.archive.as_deref(), Some(reference.split(", ").next().unwrap()));
        assert_eq!(format!("{}, {}", c.archive.as_deref().unwrap(), c.archive_location.as_deref().unwrap()), reference);
        assert!(c.archive_location.as_deref().unwrap().starts_with("F. 3, Op. 12"));
        assert_eq!(c.compilers, vec![Name { family: "Malin".into(), given: Some("V. N.".into()), literal: false }]);
        // "Published in CWIHP Bulletin 8-9, pp. 392-393."
        assert!(printed.contains(&format!(
            "Published in {}, pp. {}.",
            c.container_title.as_deref().unwrap(),
            c.pages.as_deref().unwrap()
        )));
        // The URL printed under the citation.
        let url = seed_text()
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("<http"))
            .unwrap()
            .trim_matches(['<', '>'])
            .to_owned();
        assert_eq!(c.url, url);
        assert_eq!(c.page_url, format!("{BASE}/doc/wilson-113647"));
        // "October 30, 1956" is one day.
        assert_eq!(c.issued.unwrap().iso(), "1956-10-30");
        assert_eq!(c.original_language.as_deref(), Some("ru"));
        assert!(c.note.as_deref().unwrap().contains("Translated from Russian."));
    }

    #[test]
    fn dates_are_as_coarse_as_they_are_exact() {
        let d = |from: &str, to: &str| DocDate { text: String::new(), from: from.into(), to: to.into() };
        assert_eq!(Issued::from_doc_date(&d("1956-01-01", "1956-12-31")).unwrap().iso(), "1956");
        assert_eq!(Issued::from_doc_date(&d("1956-02-01", "1956-02-29")).unwrap().iso(), "1956-02");
        assert_eq!(Issued::from_doc_date(&d("1957-02-01", "1957-02-28")).unwrap().iso(), "1957-02");
        assert_eq!(Issued::from_doc_date(&d("1956-11-03", "1956-11-04")).unwrap().iso(), "1956-11-03/1956-11-04");
        assert_eq!(Issued::from_doc_date(&d("1956-01-01", "1957-12-31")).unwrap().iso(), "1956/1957");
        assert_eq!(Issued::from_doc_date(&d("1956-13-01", "1956-13-01")), None);
        assert_eq!(Issued::from_doc_date(&d("", "")), None);
    }

    #[test]
    fn names_split_as_citation_formats_want() {
        let n = Name::parse("Edward C. Keefer").unwrap();
        assert_eq!((n.family.as_str(), n.given.as_deref()), ("Keefer", Some("Edward C.")));
        assert_eq!(n.inverted(), "Keefer, Edward C.");
        let n = Name::parse("Kohl, Helmut").unwrap();
        assert_eq!(n.natural(), "Helmut Kohl");
        assert!(Name::parse("Department of State").unwrap().literal);
        assert_eq!(Name::parse("Dillon").unwrap().given, None);
        assert_eq!(Name::parse("  "), None);
    }

    #[test]
    fn a_frus_document_is_cited_in_its_volume_with_its_editors_and_pages() {
        let doc = frus_165();
        let xml = frus_xml();
        let c = Citation::new(&doc, BASE);
        // The volume's editors as the TEI header names them.
        for e in &c.editors {
            assert!(xml.contains(&e.natural()), "{e:?}");
        }
        assert!(!c.editors.is_empty());
        assert_eq!(c.container_title.as_deref(), doc.collection.as_deref());
        // <pb n="390"/> — the telegram stands on page 390.
        assert_eq!(c.pages.as_deref(), Some("390"));
        assert_eq!(c.url, "https://history.state.gov/historicaldocuments/frus1955-57v25/d165");
        // "Source: Department of State, Central Files, 764.00/11–456."
        assert_eq!(c.archive.as_deref(), Some("Department of State, Central Files"));
        assert_eq!(c.archive_location.as_deref(), Some("764.00/11–456"));
        assert!(xml.contains("Department of State, Central Files, 764.00/11–456"));
        assert_eq!(c.authors[0].family, "Dillon");
    }

    #[test]
    fn a_document_without_source_url_points_to_the_reading_room() {
        let doc = Document { id: "a b/c".into(), title: "T".into(), ..Default::default() };
        let c = Citation::new(&doc, "https://archive.example/");
        assert_eq!(c.url, "https://archive.example/doc/a%20b%2Fc");
        assert_eq!(c.key, "a-b-c");
        assert_eq!(c.issued, None);
    }
}
