//! The reading view of one document: its header, citation, attendance, the text with its
//! sections and turns, the notes with links both ways, the people in it, and what the reader
//! that parsed it found odd.
//!
//! Anchors: each turn is `turn-{n}` (n counts the document's turns in reading order, as the
//! index does); each note marker is `marker-{n}` linking to `note-{n}`, and each note links
//! back to its marker when the marker exists. Without JavaScript the notes are a list after the
//! text; `opis.js` sets them beside their markers on wide screens and opens them as popovers
//! on narrow ones, from the same list.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use maud::{Markup, html};
use opis_model::{Annotation, ArchivalRef, Block, BlockKind, Document, RefKind, Severity};
use opis_store::Store;
use opis_store::browse::Neighbours;

use crate::layout::{archive_url, doc_url, fmt_date, page_with_head, person_url, plural, search_url};
use crate::{Shared, WebError, blocking};

pub(crate) async fn document(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Markup, WebError> {
    let (doc, version, present, neighbours) = blocking(&state, move |s| {
        s.with_store(|st| {
            // A document the viewer may not see is not found (404, as an unknown id).
            let Some(stored) = st.document(&id)?.filter(crate::auth::sees) else {
                return Err(WebError::NotFound(format!("document {id:?}")));
            };
            let (doc, version) = (stored.document, stored.version);
            let visibility = crate::auth::visibility();
            // Documents the notes and body link to that are in the collection.
            let mut present = BTreeSet::new();
            let targets = doc
                .notes
                .iter()
                .flat_map(|n| n.refs.iter())
                .filter(|r| r.kind == RefKind::Document)
                .map(|r| r.target.clone())
                .chain(doc.links.iter().cloned())
                .collect::<BTreeSet<_>>();
            for t in targets.into_iter().take(200) {
                if t != doc.id && st.visible(&t, &visibility)? {
                    present.insert(t);
                }
            }
            // Only a document in a collection has neighbours (the query opens a connection).
            let mut neighbours = if doc.collection.is_some() { st.neighbours(&doc.id)? } else { Neighbours::default() };
            // A neighbour the viewer may not see is left out.
            for side in [&mut neighbours.previous, &mut neighbours.next] {
                if let Some(n) = side.as_ref()
                    && !st.visible(&n.id, &visibility)?
                {
                    *side = None;
                }
            }
            Ok((doc, version, present, neighbours))
        })
    })
    .await?;
    let head = crate::cite::head(&doc, &headers);
    Ok(render(&doc, version, &present, &neighbours, head))
}

/// The citation downloads: (file suffix, label, format name), served by `cite`.
const CITE_FORMATS: [(&str, &str, &str); 4] = [
    ("bib", "BibTeX", "BibTeX"),
    ("ris", "RIS", "RIS (EndNote, Zotero)"),
    ("json", "CSL-JSON", "CSL-JSON"),
    ("txt", "Chicago", "a Chicago note, as text"),
];

/// Previous and next document in the collection, for the foot of the reading view.
fn neighbour_nav(n: &Neighbours) -> Markup {
    let Some(collection) = &n.collection else { return html! {} };
    if n.previous.is_none() && n.next.is_none() {
        return html! {};
    }
    let date = |d: &Option<String>| {
        d.as_deref().map(|from| {
            fmt_date(&opis_model::DocDate { text: from.to_owned(), from: from.to_owned(), to: from.to_owned() })
        })
    };
    html! {
        nav.docnav aria-label=(format!("Previous and next in {collection}")) {
            @if let Some(p) = &n.previous {
                a.prev href=(doc_url(&p.id)) rel="prev" {
                    span.dir { "← Previous" @if let Some(d) = date(&p.date_from) { " · " (d) } }
                    cite { (p.title) }
                }
            }
            @if let Some(x) = &n.next {
                a.next href=(doc_url(&x.id)) rel="next" {
                    span.dir { "Next" @if let Some(d) = date(&x.date_from) { " · " (d) } " →" }
                    cite { (x.title) }
                }
            }
        }
    }
}

/// The reading view of `doc` at `version` (correction forms name the version they correct).
fn render(doc: &Document, version: u32, present: &BTreeSet<String>, neighbours: &Neighbours, head: Markup) -> Markup {
    let markers: BTreeSet<u32> = doc
        .sections
        .iter()
        .flat_map(|s| s.heading_notes.iter().chain(s.blocks.iter().flat_map(|b| b.notes.iter())))
        .copied()
        .collect();
    let mut turn_counts: BTreeMap<&str, u32> = BTreeMap::new();
    for t in doc.turns() {
        for sp in t.speakers.iter().filter(|s| !s.trim().is_empty()) {
            *turn_counts.entry(sp.as_str()).or_default() += 1;
        }
    }
    let mut speakers: Vec<(&str, u32)> = turn_counts.into_iter().collect();
    speakers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    // Each block's turn number (its index among the document's turns), as the index counts.
    let mut next = 0u32;
    let turn_numbers: Vec<Vec<u32>> = doc
        .sections
        .iter()
        .map(|s| {
            s.blocks
                .iter()
                .map(|b| {
                    let n = next;
                    if b.kind == BlockKind::Turn {
                        next += 1;
                    }
                    n
                })
                .collect()
        })
        .collect();
    let has_text = doc.sections.iter().any(|s| s.heading.is_some() || !s.blocks.is_empty());
    let body = html! {
        article.doc {
            header.doc-head {
                p.kicker {
                    (doc.kind)
                    @if let Some(c) = &doc.collection { " · " a href=(search_url(&format!("collection:{}", crate::layout::quoted(c)))) { (c) } }
                    @if let Some(p) = &doc.part { " · " (p) }
                }
                h1 { (doc.title) }
                dl.meta {
                    @if let Some(d) = &doc.date {
                        dt { "Date" } dd { time datetime=(d.from) { (fmt_date(d)) } @if d.text != fmt_date(d) { " " span.n { "(" (d.text) ")" } } }
                    }
                    @if let Some(p) = &doc.place { dt { "Place" } dd { (p) } }
                    @if let Some(c) = &doc.classification { dt { "Classification" } dd { (c) } }
                    dt { "Language" }
                    dd {
                        (language_name(&doc.language))
                        @if let Some(o) = doc.original_language.as_deref().filter(|o| !o.eq_ignore_ascii_case(language_name(&doc.language)) && *o != doc.language) {
                            " · translated from " (language_name(o))
                        }
                    }
                    @if !doc.authors.is_empty() { dt { "Author" } dd { (doc.authors.join("; ")) } }
                    @if let Some(p) = &doc.protocol {
                        dt { "Protocol" } dd { "No. " (p.number) @if let Some(pt) = &p.point { ", point " (pt) } }
                    }
                    @if let Some(p) = &doc.published_in { dt { "Published in" } dd { (p) @if let Some(pg) = &doc.pages { ", " (pg) } } }
                    @if let Some(c) = &doc.compiler { dt { "Compiled by" } dd { (c) } }
                }
                @if let Some(s) = &doc.summary { p.summary { (s) } }
            }
            section.citation aria-labelledby="cite-h" {
                h2 #cite-h { "Cite this document" }
                @if let Some(c) = &doc.citation {
                    p.cite-text #citation-text { (c) }
                }
                p.cite-tools {
                    @if doc.citation.is_some() {
                        button.copy type="button" data-copy="citation-text" hidden { "Copy the citation" }
                        " "
                    }
                    "Download: "
                    @for (i, (ext, label, name)) in CITE_FORMATS.iter().enumerate() {
                        @if i > 0 { " · " }
                        a href=(format!("{}/cite.{ext}", doc_url(&doc.id))) title=(name) data-cite-download { (label) }
                    }
                }
                @if !doc.archival_refs.is_empty() {
                    p { "Archive: " (refs(&doc.archival_refs)) }
                }
                @if let Some(u) = doc.source_url.as_deref().filter(|u| u.starts_with("http://") || u.starts_with("https://")) {
                    p { "Source: " a href=(u) rel="external noopener" { (u) } }
                }
                @if let Some(r) = &doc.rights { p.n { (r) } }
            }
            @if !doc.participants.is_empty() {
                section.attendance aria-labelledby="attendance-h" {
                    h2 #attendance-h { "Attendance" }
                    @for list in &doc.participants {
                        p {
                            span.label { (list.label) ": " }
                            @for (i, name) in list.names.iter().enumerate() {
                                @if i > 0 { ", " }
                                a href=(person_url(name)) { (name) }
                            }
                        }
                    }
                }
            }
            @if has_text {
                section.text aria-labelledby="text-h" {
                    h2 #text-h .visually-hidden { "Text" }
                    @for (si, section) in doc.sections.iter().enumerate() {
                        @if let Some(h) = &section.heading {
                            h3.section { (h) (note_markers(&section.heading_notes)) }
                        }
                        @if !section.presenters.is_empty() {
                            p.presenters {
                                "Presenting: "
                                @for (i, name) in section.presenters.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    a href=(person_url(name)) { (name) }
                                }
                            }
                        }
                        @for (i, block) in section.blocks.iter().enumerate() {
                            (stage(&section.annotations, i as u32))
                            @if block.kind == BlockKind::Turn {
                                (turn(block, turn_numbers[si][i]))
                                (crate::edit::turn_form(&doc.id, version, block, turn_numbers[si][i]))
                            } @else {
                                (other_block(block))
                            }
                        }
                        (stage(&section.annotations, section.blocks.len() as u32))
                    }
                }
            }
            @if !doc.notes.is_empty() {
                section.notes aria-labelledby="notes-h" {
                    h2 #notes-h { "Notes" }
                    ol.notes {
                        @for note in &doc.notes {
                            li id=(format!("note-{}", note.n)) value=(note.n) {
                                @if markers.contains(&note.n) {
                                    a.back href=(format!("#marker-{}", note.n)) aria-label=(format!("Back to the text at marker {}", note.n)) { (note.n) " ↩" }
                                } @else {
                                    span.back { (note.n) }
                                }
                                " "
                                span.note-text { (note.text) }
                                @if !note.archival_refs.is_empty() { " " span.n { "Archive: " (refs(&note.archival_refs)) } }
                                @if !note.refs.is_empty() {
                                    " " span.n {
                                        "See "
                                        @for (i, r) in note.refs.iter().enumerate() {
                                            @if i > 0 { ", " }
                                            @match r.kind {
                                                RefKind::Note if doc.notes.iter().any(|n| n.n.to_string() == r.target) => a href=(format!("#note-{}", r.target)) { (r.text) },
                                                RefKind::Document if present.contains(&r.target) => a href=(doc_url(&r.target)) { (r.text) },
                                                _ => (r.text),
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !speakers.is_empty() || !doc.persons.is_empty() {
                section.people aria-labelledby="people-h" {
                    h2 #people-h { "People in this document" }
                    @if !speakers.is_empty() {
                        h3 { "Speakers" }
                        ul.names {
                            @for (name, n) in &speakers {
                                li { a href=(person_url(name)) { (name) } " " span.n { (plural(u64::from(*n), "turn", "turns")) } }
                            }
                        }
                    }
                    @if !doc.persons.is_empty() {
                        h3 { "Named" }
                        ul.names {
                            @for p in &doc.persons {
                                li {
                                    a href=(person_url(&p.name)) { (p.name) }
                                    " " span.n {
                                        (plural(u64::from(p.mentions), "mention", "mentions"))
                                        @if !p.variants.is_empty() { "; also " (p.variants.join(", ")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !present.is_empty() && !doc.links.is_empty() {
                section aria-labelledby="links-h" {
                    h2 #links-h { "Linked documents" }
                    ul { @for l in doc.links.iter().filter(|l| present.contains(*l)) { li { a href=(doc_url(l)) { (l) } } } }
                }
            }
            (neighbour_nav(neighbours))
            (crate::edit::document_form(doc, version))
            @if !doc.diagnostics.is_empty() {
                details.diagnostics {
                    summary { "Reader diagnostics (" (doc.diagnostics.len()) ")" }
                    p.n { "What the " (doc.reader) " reader found odd in the source." }
                    ul {
                        @for d in &doc.diagnostics {
                            li {
                                span.sev { (match d.severity { Severity::Info => "info", Severity::Warning => "warning" }) }
                                " " code { (d.code) } " " (d.message)
                                @if let Some(l) = d.line { " " span.n { "(line " (l) ")" } }
                            }
                        }
                    }
                }
            }
        }
    };
    page_with_head(&doc.title, Some(""), head, body)
}

fn refs(list: &[ArchivalRef]) -> Markup {
    html! {
        @for (i, r) in list.iter().enumerate() {
            @if i > 0 { "; " }
            @match archive_url(r) {
                Some(u) => a href=(u) { (r.text) },
                None => (r.text),
            }
        }
    }
}

fn note_markers(notes: &[u32]) -> Markup {
    html! {
        @for n in notes {
            sup.marker { a id=(format!("marker-{n}")) href=(format!("#note-{n}")) aria-label=(format!("Note {n}")) data-note=(n) { (n) } }
        }
    }
}

/// Transcribers' remarks standing between blocks, before block `at`.
fn stage(annotations: &[Annotation], at: u32) -> Markup {
    html! {
        @for a in annotations.iter().filter(|a| a.at == Some(at)) {
            p.stage { "[" (a.text) "]" }
        }
    }
}

/// A block's text with its inline remarks put back where they stood (character offsets).
fn text_with_annotations(text: &str, annotations: &[Annotation]) -> Markup {
    if annotations.is_empty() {
        return html! { (text) };
    }
    let mut sorted: Vec<&Annotation> = annotations.iter().collect();
    sorted.sort_by_key(|a| a.at.unwrap_or(u32::MAX));
    let mut pieces: Vec<(String, Option<&Annotation>)> = Vec::new();
    let mut chars = text.chars();
    let mut pos = 0u32;
    for a in sorted {
        let at = a.at.unwrap_or(u32::MAX);
        let mut chunk = String::new();
        while pos < at {
            match chars.next() {
                Some(c) => chunk.push(c),
                None => break,
            }
            pos += 1;
        }
        pieces.push((chunk, Some(a)));
    }
    pieces.push((chars.collect(), None));
    html! {
        @for (chunk, a) in &pieces {
            (chunk)
            @if let Some(a) = a { " " span.annot { "[" (a.text) "]" } " " }
        }
    }
}

fn turn(block: &Block, n: u32) -> Markup {
    let speakers: Vec<&String> = block.speakers.iter().filter(|s| !s.trim().is_empty()).collect();
    html! {
        div.turn id=(format!("turn-{n}")) {
            p.speaker {
                @if speakers.is_empty() { span.who { "—" } }
                @for (i, s) in speakers.iter().enumerate() {
                    @if i > 0 { ", " }
                    a.who href=(person_url(s)) { (s) }
                }
                @if let Some(r) = &block.role { " " span.role { "(" (r) ")" } }
            }
            div.speech {
                p { (text_with_annotations(&block.text, &block.annotations)) (note_markers(&block.notes)) }
            }
        }
    }
}

fn other_block(block: &Block) -> Markup {
    let inner = html! { (text_with_annotations(&block.text, &block.annotations)) (note_markers(&block.notes)) };
    html! {
        @match block.kind {
            BlockKind::ListItem => p.item { (inner) },
            BlockKind::Participants => p.participants { (inner) },
            _ => p { (inner) },
        }
    }
}

/// An English name for a language code; "unknown" for none.
fn language_name(code: &str) -> &str {
    if code.is_empty() { "unknown" } else { opis_cite::language_name(code) }
}
