//! Searching: a parsed [`Node`] becomes a tantivy query; hits are collected ranked by
//! relevance or date, with facet counts and highlighted snippets.
//!
//! A bare word searches the title (weight 2), the body (1), the notes (0.8), the metadata text
//! (0.5), the name keys of capitalised words and people (0.5) and the word's stem in every
//! language present in the index (0.6). A phrase, or a word that analyses to several tokens
//! ("F.3", "Rokossowski-I"), is an exact phrase on the plain fields and on the name keys.
//! A query made only of metadata filters (kind, lang, collection, title, date, archive, cites,
//! id) returns documents, not their turns.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;

use opis_model::DocDate;
use opis_store::access::Visibility;
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field as TField, IndexRecordOption, Value};
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader, TantivyDocument, Term};

use crate::analysis::{self, Stemmers};
use crate::query::{Field, Node};
use crate::schema::{ENTRY_DOC, FACET_SEP, Fields};
use crate::{Hit, IndexError, MAX_LIMIT, MAX_OFFSET, Result, SearchOptions, SearchResults, Sort};

/// Most values kept per facet (the highest counts).
pub const FACET_VALUES: usize = 1000;

/// Snippet window, in tokens, and the text length under which a text is shown whole.
const SNIPPET_TOKENS: usize = 36;
const SNIPPET_WHOLE_CHARS: usize = 320;
/// How far into a long text snippets look for matches (bytes).
const SNIPPET_SCAN_BYTES: usize = 256 * 1024;
/// How much of a text is read for a snippet that marks nothing (its first tokens).
const SNIPPET_PREFIX_BYTES: usize = 4 * 1024;

struct Builder<'a> {
    f: &'a Fields,
    /// Languages of the index that have a stemmer.
    langs: Vec<String>,
    stemmers: Stemmers,
    /// The people authority's spellings, for `person:` and `speaker:`.
    people: &'a crate::people::PeopleNames,
}

fn term_q(field: TField, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON { q } else { Box::new(BoostQuery::new(q, boost)) }
}

/// A term query for one token, or a phrase query for several, on one field.
fn seq_q(field: TField, terms: &[String]) -> Option<Box<dyn Query>> {
    let terms: Vec<&String> = terms.iter().filter(|t| !t.is_empty()).collect();
    match terms.len() {
        0 => None,
        1 => Some(term_q(field, terms[0])),
        _ => Some(Box::new(PhraseQuery::new(terms.iter().map(|t| Term::from_field_text(field, t)).collect()))),
    }
}

fn any_of(clauses: Vec<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    match clauses.len() {
        0 => None,
        1 => clauses.into_iter().next(),
        _ => Some(Box::new(BooleanQuery::new(clauses.into_iter().map(|q| (Occur::Should, q)).collect()))),
    }
}

fn nothing_to_search(field: &str, position: usize) -> IndexError {
    IndexError::Query { message: format!("{field}: has nothing to search for"), position }
}

/// Language names a `lang:` value may use instead of the code.
fn lang_code(value: &str) -> String {
    let v = analysis::keyword(value);
    let code = match v.as_str() {
        "english" => "en",
        "russian" => "ru",
        "german" => "de",
        "french" => "fr",
        "spanish" => "es",
        "italian" => "it",
        "polish" => "pl",
        "hungarian" => "hu",
        "chinese" => "zh",
        "turkish" => "tr",
        "catalan" => "ca",
        "galician" => "gl",
        "slovak" => "sk",
        "czech" => "cs",
        "ukrainian" => "uk",
        "romanian" => "ro",
        "bulgarian" => "bg",
        _ => return v,
    };
    code.to_owned()
}

impl Builder<'_> {
    /// The query for a node; `None` means "no constraint" (a word with nothing to search).
    fn build(&mut self, node: &Node) -> Result<Option<Box<dyn Query>>> {
        Ok(match node {
            Node::All => None,
            Node::Text { field, text, phrase, position } => self.text(*field, text, *phrase, *position)?,
            Node::Date { from, to, .. } => {
                // Whole months or years: the span terms decide, and only entries whose span is
                // too long to list them have their dates compared (`date:1956` compared every
                // entry of 1956 on two fast-field columns).
                if let (Some(from), Some(to)) = (from, to)
                    && let Some((exact, residual)) = crate::schema::span_exact(*from, *to)
                {
                    // The term first: the entries it lists supply the candidates, and a segment
                    // without any never builds the date columns' scorers (each scans its column
                    // from the start for a first match).
                    let mut checked: Vec<(Occur, Box<dyn Query>)> = vec![(
                        Occur::Must,
                        Box::new(TermQuery::new(
                            Term::from_field_text(self.f.span, residual),
                            IndexRecordOption::Basic,
                        )),
                    )];
                    checked.extend(self.date_range(Some(*from), Some(*to)));
                    let mut either: Vec<(Occur, Box<dyn Query>)> =
                        vec![(Occur::Should, Box::new(BooleanQuery::new(checked)))];
                    either.extend(exact.iter().filter_map(|t| keyword_q(self.f.span, t)).map(|q| (Occur::Should, q)));
                    // Scoreless: which month a hit falls in says nothing of its relevance.
                    return Ok(Some(Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(either)), 0.0))));
                }
                let mut clauses = self.date_range(*from, *to);
                // With both ends known, the entries holding a year or month term of the range
                // drive the search (first: a segment without any skips the ranges), and the
                // ranges only check them.
                if let (Some(from), Some(to)) = (from, to)
                    && let Some(terms) = crate::schema::span_candidates(*from, *to)
                {
                    let candidates = terms.iter().map(|t| keyword_q(self.f.span, t)).collect::<Option<Vec<_>>>();
                    if let Some(q) = candidates.and_then(any_of) {
                        // Scoreless: which month a hit falls in says nothing of its relevance.
                        clauses.insert(0, (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
                    }
                }
                if clauses.is_empty() { None } else { Some(Box::new(BooleanQuery::new(clauses))) }
            }
            Node::Not(inner) => match self.build(inner)? {
                Some(q) => Some(Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                    (Occur::MustNot, q),
                ]))),
                None => None,
            },
            Node::And(items) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                let mut positive = false;
                for item in items {
                    let (occur, inner) = match item {
                        Node::Not(inner) => (Occur::MustNot, inner.as_ref()),
                        other => (Occur::Must, other),
                    };
                    if let Some(q) = self.build(inner)? {
                        positive |= occur == Occur::Must;
                        clauses.push((occur, q));
                    }
                }
                if clauses.is_empty() {
                    None
                } else {
                    if !positive {
                        clauses.push((Occur::Must, Box::new(AllQuery)));
                    }
                    Some(Box::new(BooleanQuery::new(clauses)))
                }
            }
            Node::Or(items) => {
                let mut clauses = Vec::new();
                for item in items {
                    if let Some(q) = self.build(item)? {
                        clauses.push(q);
                    }
                }
                any_of(clauses)
            }
        })
    }

    /// An entry's dates overlap `from..=to`: it starts by `to` and ends on or after `from`.
    fn date_range(&self, from: Option<i64>, to: Option<i64>) -> Vec<(Occur, Box<dyn Query>)> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(to) = to {
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Included(Term::from_field_i64(self.f.date_from, to)),
                )),
            ));
        }
        if let Some(from) = from {
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(self.f.date_to, from)),
                    Bound::Unbounded,
                )),
            ));
        }
        clauses
    }

    fn text(
        &mut self,
        field: Option<Field>,
        text: &str,
        phrase: bool,
        position: usize,
    ) -> Result<Option<Box<dyn Query>>> {
        let f = self.f;
        let toks = analysis::tokenize(text);
        let plain: Vec<String> = toks.iter().map(|t| analysis::fold(t.text)).collect();
        let keys: Vec<String> = toks.iter().map(|t| analysis::name_key(t.text)).collect();
        let Some(field) = field else {
            if toks.is_empty() {
                return Ok(None);
            }
            let mut clauses = Vec::new();
            if phrase || toks.len() > 1 {
                for (fld, boost) in [(f.title, 2.0), (f.body, 1.0), (f.notes, 0.8), (f.meta, 0.5)] {
                    if let Some(q) = seq_q(fld, &plain) {
                        clauses.push(boosted(q, boost));
                    }
                }
                if toks.len() > 1
                    && let Some(q) = seq_q(f.names, &keys)
                {
                    clauses.push(boosted(q, 0.5));
                }
            } else {
                let word = &plain[0];
                for (fld, boost) in [(f.title, 2.0), (f.body, 1.0), (f.notes, 0.8), (f.meta, 0.5)] {
                    clauses.push(boosted(term_q(fld, word), boost));
                }
                for k in analysis::name_keys(toks[0].text) {
                    clauses.push(boosted(term_q(f.names, &k), 0.5));
                }
                let mut stems = HashSet::new();
                for lang in &self.langs {
                    if let Some(s) = self.stemmers.stem_term(lang, toks[0].text) {
                        stems.insert(s);
                    }
                }
                let mut stems: Vec<String> = stems.into_iter().collect();
                stems.sort();
                for s in stems {
                    clauses.push(boosted(term_q(f.stem, &s), 0.6));
                }
            }
            return Ok(any_of(clauses));
        };
        let name = format!("{field:?}").to_lowercase();
        let need = |q: Option<Box<dyn Query>>| q.ok_or_else(|| nothing_to_search(&name, position)).map(Some);
        match field {
            Field::Speaker | Field::Person => {
                let target = if field == Field::Speaker { f.speaker } else { f.person };
                let written = if toks.len() == 1 {
                    let all = analysis::name_keys(toks[0].text);
                    any_of(all.iter().map(|k| term_q(target, k)).collect())
                } else {
                    seq_q(target, &keys)
                };
                // Through the authority: every spelling of the persons so named.
                let spellings = self.people.expand(&crate::people::key_sequence(text));
                let mut clauses: Vec<Box<dyn Query>> = written.into_iter().collect();
                clauses.extend(spellings.iter().filter_map(|s| seq_q(target, s)));
                need(any_of(clauses))
            }
            Field::Title => {
                need(any_of([f.title, f.ctitle].into_iter().filter_map(|fld| seq_q(fld, &plain)).collect()))
            }
            Field::Section => need(seq_q(f.section, &plain)),
            Field::Notes => need(seq_q(f.notes, &plain)),
            Field::Kind => need(keyword_q(f.kind, &analysis::keyword(text))),
            Field::Lang => need(keyword_q(f.lang, &lang_code(text))),
            Field::Collection => need(keyword_q(f.collection, &analysis::keyword(text))),
            Field::Id => need(keyword_q(f.id, text.trim())),
            Field::Archive | Field::Cites => {
                let target = if field == Field::Archive { f.archive } else { f.cites };
                let key = analysis::parse_query_ref(text).query_key();
                need(key.map(|k| term_q(target, &k)))
            }
            Field::Date => Ok(None),
        }
    }
}

fn keyword_q(field: TField, value: &str) -> Option<Box<dyn Query>> {
    (!value.is_empty()).then(|| {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)) as Box<dyn Query>
    })
}

/// True when the node is single words, alone or or-ed: its query is a union of term queries,
/// whose top hits tantivy finds by skipping the blocks that cannot reach them (block-max WAND).
fn word_union(node: &Node) -> bool {
    match node {
        Node::Text { field: None, text, phrase: false, .. } => analysis::tokenize(text).len() == 1,
        Node::Or(items) => items.iter().all(word_union),
        _ => false,
    }
}

/// True when the node asks about content somewhere outside a negation (then turns can be hits).
fn has_content(node: &Node) -> bool {
    match node {
        Node::All | Node::Date { .. } | Node::Not(_) => false,
        Node::Text { field: None, text, .. } => !analysis::tokenize(text).is_empty(),
        Node::Text { field: Some(field), .. } => field.is_content(),
        Node::And(items) | Node::Or(items) => items.iter().any(has_content),
    }
}

/// The languages indexed that have a stemmer.
fn stem_languages(searcher: &Searcher, f: &Fields) -> Result<Vec<String>> {
    let mut langs = HashSet::new();
    for seg in searcher.segment_readers() {
        let inv = seg.inverted_index(f.lang)?;
        let mut stream = inv.terms().stream().map_err(|e| IndexError::Tantivy(e.into()))?;
        while stream.advance() {
            if let Ok(lang) = std::str::from_utf8(stream.key())
                && analysis::stemmer_for(lang).is_some()
            {
                langs.insert(lang.to_owned());
            }
        }
    }
    let mut langs: Vec<String> = langs.into_iter().collect();
    langs.sort();
    Ok(langs)
}

/// The entries a viewer may see: public today, or granted (by document id or collection);
/// `None` for a viewer who sees everything.
fn visible_filter(f: &Fields, visibility: &Visibility) -> Option<Box<dyn Query>> {
    let Visibility::Limited { today, documents, collections, .. } = visibility else {
        return None;
    };
    let public = RangeQuery::new(
        std::ops::Bound::Included(Term::from_field_i64(f.access, i64::MIN)),
        std::ops::Bound::Included(Term::from_field_i64(f.access, *today)),
    );
    let mut any: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, Box::new(public))];
    for id in documents {
        any.push((Occur::Should, Box::new(TermQuery::new(Term::from_field_text(f.id, id), IndexRecordOption::Basic))));
    }
    for c in collections {
        any.push((
            Occur::Should,
            Box::new(TermQuery::new(Term::from_field_text(f.collection, c), IndexRecordOption::Basic)),
        ));
    }
    Some(Box::new(BooleanQuery::new(any)))
}

/// Runs a parsed query for a viewer.
pub fn run(
    searcher: &Searcher,
    f: &Fields,
    node: &Node,
    opts: &SearchOptions,
    visibility: &Visibility,
    people: &crate::people::PeopleNames,
) -> Result<SearchResults> {
    let mut builder = Builder { f, langs: stem_languages(searcher, f)?, stemmers: Stemmers::default(), people };
    let matched: Box<dyn Query> = builder.build(node)?.unwrap_or_else(|| Box::new(AllQuery));
    // What the viewer may not see is not matched, so neither hits nor facet counts show it.
    let filter = visible_filter(f, visibility);
    let prunable = filter.is_none() && word_union(node);
    let matched = match filter {
        Some(filter) => Box::new(BooleanQuery::new(vec![(Occur::Must, matched), (Occur::Must, filter)])),
        None => matched,
    };
    let content = has_content(node);
    let hits_query: Box<dyn Query> = if content {
        matched.box_clone()
    } else {
        let docs_only = Box::new(TermQuery::new(Term::from_field_u64(f.entry, ENTRY_DOC), IndexRecordOption::Basic));
        Box::new(BooleanQuery::new(vec![(Occur::Must, matched.box_clone()), (Occur::Must, docs_only)]))
    };
    let limit = opts.limit.min(MAX_LIMIT);
    let offset = opts.offset.min(MAX_OFFSET);
    // The page, the count and (when the hits query is the matched query) the facets.
    let facets_here = opts.facets && content;
    let facets_apart = opts.facets && !content;
    let (total, ranked, mut facet_fruit) = if limit == 0 {
        let (total, facets) = searcher.search(hits_query.as_ref(), &(Count, facets_here.then_some(FacetCounter)))?;
        (total, Vec::new(), facets)
    } else {
        let top = TopDocs::with_limit(limit).and_offset(offset);
        match opts.sort {
            Sort::Relevance if prunable => {
                // Two passes: the top hits alone, which lets tantivy skip blocks that cannot
                // reach them (block-max WAND), then the count and facets without scoring.
                // One scored pass over every match costs more than both.
                let ranked = searcher.search(hits_query.as_ref(), &top.order_by_score())?;
                let (total, facets) =
                    searcher.search(hits_query.as_ref(), &(Count, facets_here.then_some(FacetCounter)))?;
                (total, ranked, facets)
            }
            Sort::Relevance => {
                // Phrases and intersections skip nothing by score: every match is found (and a
                // phrase's positions read) to rank it, so one pass ranks, counts and facets.
                let (total, ranked, facets) = searcher
                    .search(hits_query.as_ref(), &(Count, top.order_by_score(), facets_here.then_some(FacetCounter)))?;
                (total, ranked, facets)
            }
            Sort::DateAsc | Sort::DateDesc => {
                let asc = opts.sort == Sort::DateAsc;
                let by_date = top.tweak_score(move |seg: &SegmentReader| {
                    let column = seg.fast_fields().column_opt::<i64>("date_from").ok().flatten();
                    move |doc: DocId, score: Score| {
                        let day = column.as_ref().and_then(|c| c.first(doc));
                        let key = match day {
                            Some(d) if asc => -d,
                            Some(d) => d,
                            None => i64::MIN,
                        };
                        (key, score)
                    }
                });
                let (total, ranked, facets) =
                    searcher.search(hits_query.as_ref(), &(Count, by_date, facets_here.then_some(FacetCounter)))?;
                (total, ranked.into_iter().map(|((_, score), addr)| (score, addr)).collect(), facets)
            }
        }
    };
    if facets_apart {
        facet_fruit = Some(searcher.search(matched.as_ref(), &FacetCounter)?);
    }
    let total = total as u64;
    let highlighter = Highlighter::new(node, &builder.langs);
    let mut hits = Vec::with_capacity(ranked.len());
    for (score, addr) in ranked {
        let doc: TantivyDocument = searcher.doc(addr)?;
        hits.push(to_hit(&doc, f, score, &highlighter));
    }
    let facets = facet_fruit.map(facet_map).unwrap_or_default();
    Ok(SearchResults { total, hits, facets })
}

fn first_str(doc: &TantivyDocument, field: TField) -> Option<String> {
    doc.get_first(field).and_then(|v| v.as_str()).map(str::to_owned)
}

fn to_hit(doc: &TantivyDocument, f: &Fields, score: f32, hl: &Highlighter) -> Hit {
    let entry = doc.get_first(f.entry).and_then(|v| v.as_u64()).unwrap_or(ENTRY_DOC);
    let turn = if entry == ENTRY_DOC {
        None
    } else {
        doc.get_first(f.turn).and_then(|v| v.as_u64()).and_then(|t| u32::try_from(t).ok())
    };
    let speakers = doc.get_all(f.s_speakers).filter_map(|v| v.as_str()).map(str::to_owned).collect();
    let date: Option<DocDate> = first_str(doc, f.s_date).and_then(|j| serde_json::from_str(&j).ok());
    let text = first_str(doc, f.s_text).unwrap_or_default();
    let lang = first_str(doc, f.s_lang).unwrap_or_default().to_ascii_lowercase();
    Hit {
        id: first_str(doc, f.id).unwrap_or_default(),
        turn,
        speakers,
        title: first_str(doc, f.s_title).unwrap_or_default(),
        date,
        kind: first_str(doc, f.s_kind).unwrap_or_default(),
        snippet: hl.snippet(&text, &lang),
        score,
    }
}

/// Counts the values of the `facet` field over every entry a query matches.
struct FacetCounter;

struct SegmentFacets {
    column: Option<StrColumn>,
    /// Count per facet ordinal of the segment.
    counts: Vec<u32>,
    /// One entry's facet ordinals, decoded together.
    ords: Vec<u64>,
}

impl SegmentFacets {
    /// Adds one to the count of each facet value of `doc`. The entry's values are decoded as
    /// one range (a document entry holds a dozen or more: every person it names), where
    /// reading them one at a time costs a dynamic call and a bit-unpacking each — at 1M
    /// documents that was a third of what a faceted search spent.
    #[inline]
    fn count(&mut self, doc: DocId) {
        let Some(column) = &self.column else {
            return;
        };
        let column = column.ords();
        let rows = column.index.value_row_ids(doc);
        let len = rows.len();
        if len == 0 {
            return;
        }
        if self.ords.len() < len {
            self.ords.resize(len, 0);
        }
        let ords = &mut self.ords[..len];
        column.values.get_range(u64::from(rows.start), ords);
        for &ord in ords.iter() {
            if let Some(n) = self.counts.get_mut(ord as usize) {
                *n = n.saturating_add(1);
            }
        }
    }
}

impl Collector for FacetCounter {
    type Fruit = HashMap<String, u64>;
    type Child = SegmentFacets;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let column = segment.fast_fields().str("facet")?;
        let terms = column.as_ref().map_or(0, |c| c.num_terms());
        Ok(SegmentFacets { column, counts: vec![0; terms], ords: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<HashMap<String, u64>>) -> tantivy::Result<HashMap<String, u64>> {
        let mut all: HashMap<String, u64> = HashMap::new();
        for fruit in fruits {
            for (k, v) in fruit {
                *all.entry(k).or_default() += v;
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = HashMap<String, u64>;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.count(doc);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for &doc in docs {
            self.count(doc);
        }
    }

    fn harvest(self) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        if let Some(column) = &self.column {
            // One pass through the dictionary for every counted ordinal, in order: looking each
            // up on its own costs a block search and a scan apiece.
            let (ords, counts): (Vec<u64>, Vec<u32>) =
                self.counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(ord, n)| (ord as u64, *n)).unzip();
            let mut counts = counts.into_iter();
            let _ = column.dictionary().sorted_ords_to_term_cb(&ords, |term| {
                if let (Some(n), Ok(term)) = (counts.next(), std::str::from_utf8(term)) {
                    out.insert(term.to_owned(), u64::from(n));
                }
            });
        }
        out
    }
}

fn facet_map(counts: HashMap<String, u64>) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut by_name: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for (key, n) in counts {
        if let Some((name, value)) = key.split_once(FACET_SEP) {
            by_name.entry(name.to_owned()).or_default().push((value.to_owned(), n));
        }
    }
    by_name
        .into_iter()
        .map(|(name, mut values)| {
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            values.truncate(FACET_VALUES);
            (name, values.into_iter().collect())
        })
        .collect()
}

/// Every indexed document with its version, sorted.
pub fn ids_and_versions(searcher: &Searcher) -> Result<Vec<(String, u32)>> {
    let mut out = Vec::new();
    for seg in searcher.segment_readers() {
        let Some(ids) = seg.fast_fields().str("id")? else {
            continue;
        };
        let entries = seg.fast_fields().u64("entry")?;
        let versions = seg.fast_fields().u64("version")?;
        let mut s = String::new();
        for doc in seg.doc_ids_alive() {
            if entries.first(doc) != Some(ENTRY_DOC) {
                continue;
            }
            let Some(ord) = ids.term_ords(doc).next() else {
                continue;
            };
            s.clear();
            if ids.ord_to_str(ord, &mut s).unwrap_or(false) {
                let version = versions.first(doc).and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
                out.push((s.clone(), version));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Marks the words of a text that the query's positive terms match.
struct Highlighter {
    /// Few (a query's words), so lists: a lookup compares a few short strings instead of
    /// hashing every token of the text.
    plain: Vec<String>,
    keys: Vec<String>,
    /// The query words, stemmed per language on demand.
    words: Vec<String>,
}

impl Highlighter {
    fn new(node: &Node, _langs: &[String]) -> Highlighter {
        let mut h = Highlighter { plain: Vec::new(), keys: Vec::new(), words: Vec::new() };
        h.collect(node);
        h
    }

    fn collect(&mut self, node: &Node) {
        match node {
            Node::Text { field, text, phrase, .. } => {
                let highlight_plain = matches!(field, None | Some(Field::Title | Field::Section | Field::Notes));
                let highlight_keys = matches!(field, None | Some(Field::Person));
                for t in analysis::tokenize(text) {
                    if highlight_plain {
                        add_once(&mut self.plain, analysis::fold(t.text));
                    }
                    if highlight_keys {
                        analysis::name_keys(t.text).into_iter().for_each(|k| add_once(&mut self.keys, k));
                    }
                    if field.is_none() && !phrase {
                        self.words.push(t.text.to_owned());
                    }
                }
            }
            Node::And(items) | Node::Or(items) => items.iter().for_each(|n| self.collect(n)),
            Node::Not(_) | Node::All | Node::Date { .. } => {}
        }
    }

    fn snippet(&self, text: &str, lang: &str) -> String {
        let mut stemmers = Stemmers::default();
        let mut stems: Vec<String> = Vec::new();
        self.words.iter().filter_map(|w| stemmers.stem_term(lang, w)).for_each(|s| add_once(&mut stems, s));
        // Stemmers take endings off and change at most the last letters of what is left (y → i,
        // an e added: "hoping" → "hope", "dying" → "die"), and folding goes letter by letter, so
        // a token can share a stem with a query word only when its folded form starts with that
        // stem less its last three letters (at least its first letter): the rest, most tokens
        // of a text, are not stemmed at all.
        let stem_guards: Vec<&str> = stems
            .iter()
            .filter_map(|s| s.split_once(':').map(|(_, stem)| stem))
            .filter_map(|stem| {
                let letters = stem.chars().count().saturating_sub(3).max(1);
                let end = stem.char_indices().nth(letters).map_or(stem.len(), |(i, _)| i);
                (end > 0).then(|| &stem[..end])
            })
            .collect();
        // A token's name keys are made only when its key can begin as a query word's does (a
        // Cyrillic word also has keys of its nominatives: those are always made).
        let key_initials: Vec<char> = self.keys.iter().filter_map(|k| k.chars().next()).collect();
        // Nothing to mark (a query of filters alone): the snippet is the text's first tokens,
        // so only its beginning is read — unless that holds too few of them.
        let nothing_to_mark = self.plain.is_empty() && self.keys.is_empty() && stems.is_empty();
        let prefix = |bytes: usize| {
            let mut end = text.len().min(bytes);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            end
        };
        let mut end = prefix(if nothing_to_mark { SNIPPET_PREFIX_BYTES } else { SNIPPET_SCAN_BYTES });
        let mut toks = analysis::tokenize(&text[..end]);
        if toks.len() < SNIPPET_TOKENS && end < text.len() {
            end = prefix(SNIPPET_SCAN_BYTES);
            toks = analysis::tokenize(&text[..end]);
        }
        // (token index, identity of the matched term)
        let mut matches: Vec<(usize, String)> = Vec::new();
        if !nothing_to_mark {
            let mut folded = String::new();
            for (i, t) in toks.iter().enumerate() {
                folded.clear();
                analysis::fold_into(t.text, false, &mut folded);
                if self.plain.contains(&folded) {
                    matches.push((i, folded.clone()));
                    continue;
                }
                if stem_guards.iter().any(|g| folded.starts_with(g))
                    && let Some(s) = stemmers.stem_term(lang, t.text)
                    && stems.contains(&s)
                {
                    matches.push((i, s));
                    continue;
                }
                if t.is_capitalized()
                    && !self.keys.is_empty()
                    && (analysis::is_cyrillic(t.text)
                        || analysis::name_key_initial(t.text).is_some_and(|c| key_initials.contains(&c)))
                    && let Some(k) = analysis::name_keys(t.text).into_iter().find(|k| self.keys.contains(k))
                {
                    matches.push((i, k));
                }
            }
        }
        let marked: HashSet<usize> = matches.iter().map(|(i, _)| *i).collect();
        if toks.is_empty() {
            return String::new();
        }
        if text.chars().count() <= SNIPPET_WHOLE_CHARS {
            return render(text, &toks, 0, toks.len(), &marked, false, false);
        }
        // The window of SNIPPET_TOKENS tokens with the most distinct matched terms.
        let (mut best_start, mut best) = (0usize, (0usize, 0usize));
        let mut j = 0;
        for i in 0..matches.len() {
            while j < matches.len() && matches[j].0 < matches[i].0 + SNIPPET_TOKENS {
                j += 1;
            }
            let distinct: HashSet<&String> = matches[i..j].iter().map(|(_, k)| k).collect();
            let score = (distinct.len(), j - i);
            if score > best {
                best = score;
                best_start = matches[i].0;
            }
        }
        let start = if matches.is_empty() { 0 } else { best_start.saturating_sub(6) };
        let stop = (start + SNIPPET_TOKENS).min(toks.len());
        render(text, &toks, start, stop, &marked, start > 0, stop < toks.len() || end < text.len())
    }
}

fn add_once(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
}

/// HTML for tokens `start..stop` of `text`, marked tokens in `<b>`.
fn render(
    text: &str,
    toks: &[analysis::Tok<'_>],
    start: usize,
    stop: usize,
    marked: &HashSet<usize>,
    lead: bool,
    trail: bool,
) -> String {
    let mut out = String::new();
    if lead {
        out.push('…');
    }
    let (from, to) =
        if lead || trail { (toks[start].start, toks[stop.saturating_sub(1).max(start)].end) } else { (0, text.len()) };
    let mut at = from;
    for (i, t) in toks.iter().enumerate().take(stop).skip(start) {
        if marked.contains(&i) {
            escape_into(&mut out, &text[at..t.start]);
            out.push_str("<b>");
            escape_into(&mut out, t.text);
            out.push_str("</b>");
            at = t.start + t.text.len();
        }
    }
    escape_into(&mut out, &text[at..to.max(at)]);
    let trimmed = out.trim().to_owned();
    if trail { format!("{trimmed} …") } else { trimmed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(query: &str, text: &str, lang: &str) -> Vec<String> {
        let node = crate::query::parse(query).expect("query");
        let html = Highlighter::new(&node, &[]).snippet(text, lang);
        html.split("<b>").skip(1).filter_map(|s| s.split_once("</b>")).map(|(w, _)| w.to_owned()).collect()
    }

    /// A word is marked where the text has it in another form of the same stem — also where
    /// the stemmer changes the last letters ("hoping" → "hope", "dying" → "die", "armies" →
    /// "armi") — and not where it only begins with the same letter.
    #[test]
    fn words_of_the_same_stem_are_marked() {
        assert_eq!(marked("troops", "The troop moved; the trooper and a truck stayed.", "en"), ["troop"]);
        assert_eq!(marked("hoping", "We hope that hopes are not hopeless.", "en"), ["hope", "hopes"]);
        assert_eq!(marked("dying", "Soldiers die, and the die is cast.", "en"), ["die", "die"]);
        assert_eq!(marked("army", "The armies of two countries and an army.", "en"), ["armies", "army"]);
        assert_eq!(marked("войска", "Ввести войсками и войскам в город.", "ru"), ["войсками", "войскам"]);
    }

    /// A query of filters alone marks nothing: the snippet is the text's first words, also where
    /// the text's beginning holds none (read further then).
    #[test]
    fn a_filter_query_shows_the_first_words() {
        let node = crate::query::parse("kind:telegram").expect("query");
        let h = Highlighter::new(&node, &[]);
        let words: Vec<String> = (0..3000).map(|i| format!("word{i}")).collect();
        let long = words.join(" ");
        let snippet = h.snippet(&long, "en");
        assert!(snippet.starts_with("word0 word1 word2"), "{snippet}");
        assert!(snippet.contains(&format!("word{}", SNIPPET_TOKENS - 1)), "{snippet}");
        assert!(!snippet.contains(&format!("word{} ", SNIPPET_TOKENS + 1)), "{snippet}");
        let late = format!("{} {}", "-".repeat(3 * SNIPPET_PREFIX_BYTES), long);
        let snippet = h.snippet(&late, "en");
        assert!(snippet.contains("word0 word1 word2"), "{snippet}");
    }
}
