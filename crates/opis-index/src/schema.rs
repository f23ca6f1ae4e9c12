//! The index schema and how a document becomes index entries: one entry for the whole
//! document and one for each of its turns.
//!
//! Text fields hold plain text; the tokenizers of [`crate::tokenizers`] analyse it inside
//! tantivy's indexing threads with the functions [`crate::analysis`] also uses at query time.
//! Analysis that depends on the document's language (stemming), which a per-field tokenizer
//! cannot see, gets the language in the value itself. Between the values of a field
//! (paragraphs, notes, names) tantivy leaves a position gap, so a phrase never spans two.
//!
//! Invariant used by facets: a document entry holds everything each of its turn entries holds
//! (the turn's text, speakers, section, and the document's metadata), so any query without
//! negation that matches a turn also matches its document.

use std::collections::BTreeSet;

use opis_model::{BlockKind, Document};
use tantivy::schema::OwnedValue;
use tantivy::schema::document::Document as TantivyDoc;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::{self, RefParts};
use crate::tokenizers;

/// Bumped whenever the schema or the analysis changes; an index built by another version is
/// rebuilt on the next sync.
pub const SCHEMA_VERSION: u32 = 6;

/// Entry kinds (the `entry` field).
pub const ENTRY_DOC: u64 = 0;
pub const ENTRY_TURN: u64 = 1;

/// Separates a facet's name from its value in the `facet` field.
pub const FACET_SEP: char = '\u{1f}';

/// The fields of the index.
#[derive(Clone)]
pub struct Fields {
    pub id: Field,
    pub entry: Field,
    pub turn: Field,
    pub version: Field,
    pub date_from: Field,
    pub date_to: Field,
    /// The years and months an entry's date range touches ([`span_terms`]), so a date filter
    /// finds its candidates through postings instead of scanning every date.
    pub span: Field,
    pub kind: Field,
    pub lang: Field,
    pub collection: Field,
    pub archive: Field,
    pub cites: Field,
    pub facet: Field,
    pub title: Field,
    /// The document's title on its turn entries: searched by `title:` only.
    pub ctitle: Field,
    pub body: Field,
    pub notes: Field,
    pub meta: Field,
    pub section: Field,
    pub stem: Field,
    pub names: Field,
    pub speaker: Field,
    pub person: Field,
    /// The first day (`YYYYMMDD`) the document is public (0: public; see `opis_store::access`),
    /// on every entry: anonymous searches keep `access <= today`.
    pub access: Field,
    // Stored only.
    pub s_title: Field,
    pub s_date: Field,
    pub s_kind: Field,
    pub s_lang: Field,
    pub s_text: Field,
    pub s_speakers: Field,
}

/// Builds the schema and returns it with its fields.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = |tokenizer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(record).set_fieldnorms(true),
        )
    };
    let with_positions = analysed(tokenizers::PLAIN, IndexRecordOption::WithFreqsAndPositions);
    let with_freqs = analysed(tokenizers::STEM, IndexRecordOption::WithFreqs);
    let names = analysed(tokenizers::NAMES, IndexRecordOption::WithFreqsAndPositions);
    let keys = analysed(tokenizers::KEYS, IndexRecordOption::WithFreqsAndPositions);
    let keyword = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        entry: b.add_u64_field("entry", INDEXED | FAST | STORED),
        turn: b.add_u64_field("turn", STORED),
        version: b.add_u64_field("version", STORED | FAST),
        date_from: b.add_i64_field("date_from", INDEXED | FAST),
        date_to: b.add_i64_field("date_to", INDEXED | FAST),
        span: b.add_text_field("span", keyword.clone()),
        kind: b.add_text_field("kind", keyword.clone()),
        lang: b.add_text_field("lang", keyword.clone()),
        collection: b.add_text_field("collection", keyword.clone()),
        archive: b.add_text_field("archive", keyword.clone()),
        cites: b.add_text_field("cites", keyword.clone()),
        facet: b.add_text_field("facet", keyword | FAST),
        title: b.add_text_field("title", with_positions.clone()),
        ctitle: b.add_text_field("ctitle", with_positions.clone()),
        body: b.add_text_field("body", with_positions.clone()),
        notes: b.add_text_field("notes", with_positions.clone()),
        meta: b.add_text_field("meta", with_positions.clone()),
        section: b.add_text_field("section", with_positions),
        stem: b.add_text_field("stem", with_freqs),
        names: b.add_text_field("names", names),
        speaker: b.add_text_field("speaker", keys.clone()),
        person: b.add_text_field("person", keys),
        access: b.add_i64_field("access", INDEXED | FAST),
        s_title: b.add_text_field("s_title", STORED),
        s_date: b.add_text_field("s_date", STORED),
        s_kind: b.add_text_field("s_kind", STORED),
        s_lang: b.add_text_field("s_lang", STORED),
        s_text: b.add_text_field("s_text", STORED),
        s_speakers: b.add_text_field("s_speakers", STORED),
    };
    (b.build(), fields)
}

/// One index entry as the writer takes it: field values held as they are, text unanalysed.
#[derive(Debug, Default)]
pub struct Entry {
    values: Vec<(Field, OwnedValue)>,
}

type EntryIter<'a> =
    std::iter::Map<std::slice::Iter<'a, (Field, OwnedValue)>, fn(&'a (Field, OwnedValue)) -> (Field, &'a OwnedValue)>;

fn field_value(fv: &(Field, OwnedValue)) -> (Field, &OwnedValue) {
    (fv.0, &fv.1)
}

impl TantivyDoc for Entry {
    type Value<'a> = &'a OwnedValue;
    type FieldsValuesIter<'a> = EntryIter<'a>;

    fn iter_fields_and_values(&self) -> EntryIter<'_> {
        self.values.iter().map(field_value as fn(&(Field, OwnedValue)) -> (Field, &OwnedValue))
    }
}

impl Entry {
    fn add_text(&mut self, field: Field, text: impl Into<String>) {
        self.values.push((field, OwnedValue::Str(text.into())));
    }

    fn add_u64(&mut self, field: Field, value: u64) {
        self.values.push((field, OwnedValue::U64(value)));
    }

    fn add_i64(&mut self, field: Field, value: i64) {
        self.values.push((field, OwnedValue::I64(value)));
    }
}

/// Collects the text values of one entry's analysed fields; tantivy's indexing threads analyse
/// them with the tokenizers of [`crate::tokenizers`].
struct EntryBuilder<'a> {
    lang: &'a str,
    /// The document's language has a stemmer.
    stems: bool,
    plain: Vec<(Field, String)>,
    /// One value: the language, [`tokenizers::LANG_SEP`], then every stemmed text.
    stem: String,
    names: Vec<String>,
    speaker: Vec<String>,
    person: Vec<String>,
}

impl<'a> EntryBuilder<'a> {
    fn new(lang: &'a str) -> Self {
        EntryBuilder {
            lang,
            stems: analysis::stemmer_for(lang).is_some(),
            plain: Vec::new(),
            stem: String::new(),
            names: Vec::new(),
            speaker: Vec::new(),
            person: Vec::new(),
        }
    }

    /// Adds a text to a plain field, and its stems and capitalised-word name keys.
    fn text(&mut self, field: Field, text: &str) {
        if text.is_empty() {
            return;
        }
        self.plain.push((field, text.to_owned()));
        if self.stems {
            if self.stem.is_empty() {
                self.stem.push_str(self.lang);
                self.stem.push(tokenizers::LANG_SEP);
            } else {
                // Not a word character, nor an apostrophe: tokens never join across it.
                self.stem.push('\n');
            }
            self.stem.push_str(text);
        }
        let mut names = String::with_capacity(text.len() + 1);
        names.push(tokenizers::CAPITALIZED);
        names.push_str(text);
        self.names.push(names);
    }

    /// Adds a text to a plain field only (context that bare words do not search).
    fn plain_only(&mut self, field: Field, text: &str) {
        if !text.is_empty() {
            self.plain.push((field, text.to_owned()));
        }
    }

    /// Adds a person's name to the names field and to `speaker` and/or `person`.
    fn name(&mut self, name: &str, speaker: bool, person: bool) {
        if analysis::tokenize(name).is_empty() {
            return;
        }
        let mut names = String::with_capacity(name.len() + 1);
        names.push(tokenizers::ALL_TOKENS);
        names.push_str(name);
        self.names.push(names);
        if speaker {
            self.speaker.push(name.to_owned());
        }
        if person {
            self.person.push(name.to_owned());
        }
    }

    fn finish(self, doc: &mut Entry, fields: &Fields) {
        for (field, text) in self.plain {
            doc.add_text(field, text);
        }
        if !self.stem.is_empty() {
            doc.add_text(fields.stem, self.stem);
        }
        for (field, values) in
            [(fields.names, self.names), (fields.speaker, self.speaker), (fields.person, self.person)]
        {
            for v in values {
                doc.add_text(field, v);
            }
        }
    }
}

/// "1956-10-30" → 19561030; `None` unless the text is a valid ISO day.
pub fn day_number(iso: &str) -> Option<i64> {
    let (from, to) = crate::query::parse_day_span(iso.trim())?;
    (from == to).then_some(from)
}

/// Most years a date range lists in the `span` field; a longer one gets [`SPAN_WIDE`] instead.
pub const SPAN_MAX_YEARS: i64 = 60;
/// Most months a date range lists; a longer one gets [`SPAN_MONTHS_UNLISTED`] instead.
pub const SPAN_MAX_MONTHS: i64 = 36;
/// The `span` term of a range too long to list its years.
pub const SPAN_WIDE: &str = "wide";
/// The `span` term of a range too long to list its months.
pub const SPAN_MONTHS_UNLISTED: &str = "m*";

/// Months since year 0 of a day number (yyyymmdd).
fn month_number(day: i64) -> i64 {
    day / 10000 * 12 + (day / 100 % 100 - 1)
}

/// The `span` terms of the day range `from..=to` (yyyymmdd): `y1956` for every year it touches
/// and `m1956-10` for every month, or a marker where there would be too many.
pub fn span_terms(from: i64, to: i64) -> Vec<String> {
    let mut out = Vec::new();
    let (y0, y1) = (from / 10000, to / 10000);
    if y1 - y0 >= SPAN_MAX_YEARS {
        out.push(SPAN_WIDE.to_owned());
    } else {
        out.extend((y0..=y1).map(|y| format!("y{y}")));
    }
    let (m0, m1) = (month_number(from), month_number(to));
    if m1 - m0 >= SPAN_MAX_MONTHS {
        out.push(SPAN_MONTHS_UNLISTED.to_owned());
    } else {
        out.extend((m0..=m1).map(|m| format!("m{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)));
    }
    out
}

/// The `span` terms one of which an entry overlapping `from..=to` must hold (see
/// [`span_terms`]), or `None` when the range is too long for terms to narrow it.
pub fn span_candidates(from: i64, to: i64) -> Option<Vec<String>> {
    let (m0, m1) = (month_number(from), month_number(to));
    if m1 - m0 < SPAN_MAX_MONTHS {
        let mut terms: Vec<String> =
            (m0..=m1).map(|m| format!("m{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)).collect();
        terms.push(SPAN_MONTHS_UNLISTED.to_owned());
        return Some(terms);
    }
    let (y0, y1) = (from / 10000, to / 10000);
    if y1 - y0 < SPAN_MAX_YEARS {
        let mut terms: Vec<String> = (y0..=y1).map(|y| format!("y{y}")).collect();
        terms.push(SPAN_WIDE.to_owned());
        return Some(terms);
    }
    None
}

/// When `from..=to` is whole months (or whole years, for a range too long to list months):
/// the `span` terms whose entries overlap it for certain, and the one term ([`SPAN_MONTHS_UNLISTED`]
/// or [`SPAN_WIDE`]) whose entries still need their dates compared. An entry listing a month
/// touches that month, and so overlaps a range made of whole months that holds it.
pub fn span_exact(from: i64, to: i64) -> Option<(Vec<String>, &'static str)> {
    let mut terms = span_candidates(from, to)?;
    let residual =
        if terms.last().map(String::as_str) == Some(SPAN_MONTHS_UNLISTED) { SPAN_MONTHS_UNLISTED } else { SPAN_WIDE };
    let month_end = to % 100 == crate::query::days_in_month(to / 10000, to / 100 % 100);
    let aligned = if residual == SPAN_MONTHS_UNLISTED {
        from % 100 == 1 && month_end
    } else {
        from % 10000 == 101 && to % 10000 == 1231
    };
    terms.pop();
    aligned.then_some((terms, residual))
}

/// Metadata shared by a document's entries.
fn add_common(doc: &mut Entry, f: &Fields, d: &Document, version: u32, entry: u64) {
    doc.add_text(f.id, &d.id);
    doc.add_u64(f.entry, entry);
    doc.add_u64(f.version, u64::from(version));
    if let Some(date) = &d.date {
        let from = day_number(&date.from);
        let to = day_number(&date.to).or(from);
        if let (Some(from), Some(to)) = (from.or(to), to) {
            doc.add_i64(f.date_from, from.min(to));
            doc.add_i64(f.date_to, from.max(to));
            for term in span_terms(from.min(to), from.max(to)) {
                doc.add_text(f.span, term);
            }
        }
        if let Ok(json) = serde_json::to_string(date) {
            doc.add_text(f.s_date, json);
        }
    }
    let kind = analysis::keyword(&d.kind);
    if !kind.is_empty() {
        doc.add_text(f.kind, kind);
    }
    let lang = analysis::keyword(&d.language);
    if !lang.is_empty() {
        doc.add_text(f.lang, lang);
    }
    if let Some(c) = &d.collection {
        let c = analysis::keyword(c);
        if !c.is_empty() {
            doc.add_text(f.collection, c);
        }
    }
    for r in &d.archival_refs {
        for key in analysis::archive_keys(&RefParts::from_ref(r)) {
            doc.add_text(f.archive, key);
        }
    }
    doc.add_text(f.s_title, &d.title);
    doc.add_text(f.s_kind, &d.kind);
    doc.add_text(f.s_lang, &d.language);
}

fn facet(name: &str, value: &str) -> String {
    format!("{name}{FACET_SEP}{}", value.trim())
}

/// The language code analysis uses for a document ("en", "ru", …; lower case).
pub fn doc_lang(d: &Document) -> String {
    d.language.trim().to_ascii_lowercase()
}

/// Every index entry of one document: the document entry first, then one per turn.
/// The entries of a document whose access is `access_until` (see [`Fields::access`]).
pub fn entries(d: &Document, version: u32, access_until: i64, f: &Fields) -> Vec<Entry> {
    let mut out = entries_of(d, version, f);
    for e in &mut out {
        e.add_i64(f.access, access_until);
    }
    out
}

fn entries_of(d: &Document, version: u32, f: &Fields) -> Vec<Entry> {
    let lang = doc_lang(d);
    let mut out = Vec::new();

    // The document entry.
    let mut doc = Entry::default();
    add_common(&mut doc, f, d, version, ENTRY_DOC);
    let mut b = EntryBuilder::new(&lang);
    b.text(f.title, &d.title);
    let mut stored = String::new();
    let mut speakers_seen = BTreeSet::new();
    for s in &d.sections {
        if let Some(h) = &s.heading {
            b.text(f.body, h);
            b.plain_only(f.section, h);
            push_para(&mut stored, h);
        }
        for p in &s.presenters {
            b.name(p, false, true);
        }
        for block in &s.blocks {
            b.text(f.body, &block.text);
            push_para(&mut stored, &block.text);
            if block.kind == BlockKind::Turn {
                for sp in &block.speakers {
                    if speakers_seen.insert(sp.clone()) {
                        b.name(sp, true, true);
                    }
                }
            }
        }
    }
    for n in &d.notes {
        b.text(f.notes, &n.text);
        push_para(&mut stored, &format!("{}. {}", n.n, n.text));
    }
    let metas = [&d.summary, &d.citation, &d.place, &d.classification, &d.compiler, &d.published_in, &d.part];
    for m in metas.into_iter().flatten() {
        b.text(f.meta, m);
    }
    for m in d.subjects.iter().chain(&d.places) {
        b.text(f.meta, m);
    }
    if stored.trim().is_empty()
        && let Some(summary) = &d.summary
    {
        push_para(&mut stored, summary);
    }
    for p in &d.participants {
        b.text(f.meta, &p.label);
        for name in &p.names {
            b.name(name, false, true);
        }
    }
    for name in d.authors.iter().chain(&d.editors).chain(&d.contributors) {
        b.name(name, false, true);
    }
    for p in &d.persons {
        b.name(&p.name, false, true);
        for v in &p.variants {
            if v != &p.name {
                b.name(v, false, true);
            }
        }
    }
    b.finish(&mut doc, f);
    for n in &d.notes {
        for r in &n.archival_refs {
            for key in analysis::archive_keys(&RefParts::from_ref(r)) {
                doc.add_text(f.cites, key);
            }
        }
    }
    let mut facets = BTreeSet::new();
    facets.insert(facet("kind", &d.kind));
    facets.insert(facet("language", &d.language));
    if let Some(c) = &d.collection {
        facets.insert(facet("collection", c));
    }
    if let Some(date) = &d.date
        && let Some(day) = day_number(&date.from).or_else(|| day_number(&date.to))
    {
        facets.insert(facet("year", &(day / 10000).to_string()));
        facets.insert(facet("month", &format!("{}-{:02}", day / 10000, day / 100 % 100)));
    }
    for p in &d.persons {
        facets.insert(facet("person", &p.name));
    }
    for r in &d.archival_refs {
        let path = analysis::archive_facet_path(r);
        for i in 1..=path.len() {
            facets.insert(facet("archive", &path[..i].join(", ")));
        }
    }
    for v in facets.into_iter().filter(|v| !v.ends_with(FACET_SEP)) {
        doc.add_text(f.facet, v);
    }
    doc.add_text(f.s_text, stored);
    out.push(doc);

    // One entry per turn, in reading order.
    let mut turn_index = 0u64;
    for s in &d.sections {
        for block in s.blocks.iter().filter(|b| b.kind == BlockKind::Turn) {
            let mut doc = Entry::default();
            add_common(&mut doc, f, d, version, ENTRY_TURN);
            doc.add_u64(f.turn, turn_index);
            let mut b = EntryBuilder::new(&lang);
            b.plain_only(f.ctitle, &d.title);
            if let Some(h) = &s.heading {
                b.plain_only(f.section, h);
            }
            b.text(f.body, &block.text);
            let mut seen = BTreeSet::new();
            for sp in block.speakers.iter().filter(|sp| !sp.trim().is_empty()) {
                if seen.insert(sp.as_str()) {
                    b.name(sp, true, true);
                    doc.add_text(f.s_speakers, sp);
                    doc.add_text(f.facet, facet("speaker", sp));
                }
            }
            b.finish(&mut doc, f);
            doc.add_text(f.s_text, &block.text);
            out.push(doc);
            turn_index += 1;
        }
    }
    out
}

fn push_para(out: &mut String, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_terms_list_the_years_and_months_a_range_touches() {
        assert_eq!(span_terms(19561030, 19561030), ["y1956", "m1956-10"]);
        assert_eq!(span_terms(19551215, 19560110), ["y1955", "y1956", "m1955-12", "m1956-01"]);
        // Sixty years and more: neither years nor months listed.
        assert_eq!(span_terms(18000101, 19991231), [SPAN_WIDE, SPAN_MONTHS_UNLISTED]);
        // Four years: the years, but not the 48 months.
        assert_eq!(span_terms(19530101, 19561231), ["y1953", "y1954", "y1955", "y1956", SPAN_MONTHS_UNLISTED]);
    }

    #[test]
    fn whole_months_and_years_need_no_date_comparison() {
        assert_eq!(span_exact(19561001, 19561031), Some((vec!["m1956-10".to_owned()], SPAN_MONTHS_UNLISTED)));
        assert_eq!(span_exact(19560201, 19560229).map(|(t, _)| t.len()), Some(1));
        assert_eq!(span_exact(19560101, 19561231).map(|(t, _)| t.len()), Some(12));
        assert_eq!(span_exact(19500101, 19591231).map(|(t, r)| (t.len(), r)), Some((10, SPAN_WIDE)));
        // Part of a month, or a leap day short: the dates are compared.
        assert_eq!(span_exact(19561101, 19561105), None);
        assert_eq!(span_exact(19560201, 19560228), None);
        assert_eq!(span_exact(19561002, 19561031), None);
        assert_eq!(span_exact(19500101, 19591230), None);
    }

    #[test]
    fn span_candidates_cover_every_overlapping_range() {
        // A query for 1-5 November 1956 looks at November's entries and long ranges.
        assert_eq!(span_candidates(19561101, 19561105).unwrap(), ["m1956-11", SPAN_MONTHS_UNLISTED]);
        // A whole year is twelve months.
        assert_eq!(span_candidates(19560101, 19561231).unwrap().len(), 13);
        // Ten years: by year.
        assert_eq!(span_candidates(19500101, 19591231).unwrap().last().map(String::as_str), Some(SPAN_WIDE));
        assert!(span_candidates(10000101, 19991231).is_none());
        // Every range that overlaps the query holds one of its candidate terms.
        let query = (19560101, 19561231);
        let candidates = span_candidates(query.0, query.1).unwrap();
        for (from, to) in [(19561231, 19570105), (19400101, 19991231), (19550101, 19600101), (19560615, 19560615)] {
            assert!(span_terms(from, to).iter().any(|t| candidates.contains(t)), "{from}..{to}");
        }
    }
}
