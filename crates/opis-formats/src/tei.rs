//! TEI P5 out and back: [`write_tei`] writes any Document as one TEI file valid
//! against `tei_all.rng`, and [`parse_tei`] reads such a file back into the same
//! Document, so TEI is a lossless exchange format for opis.
//!
//! The mapping, chosen so that other TEI tools read it naturally:
//! - `teiHeader`: title, authors, compiler (`editor role="compiler"`),
//!   contributors (`respStmt`); the opis id, source URL and reader as `idno`s;
//!   rights as `availability`; the collection as `seriesStmt`; the source in
//!   `sourceDesc`: the citation (`bibl type="citation"`), the publication, the
//!   protocol, the original language (`textLang`), one `msDesc` per archival
//!   reference (`msIdentifier` with `repository` and `idno type="fond|opis|…"`);
//!   `profileDesc`: the summary as `abstract`, date and place as `creation`,
//!   kind, classification, subjects and places as `keywords`, and `particDesc`
//!   with the attendance lists, the speakers and the persons named.
//! - `body`: one `div` per section (`type="preamble"` for the blocks before the
//!   first heading), `head`, presenters as a `list`, turns as `sp` with
//!   `speaker` and one `p` per paragraph, list items as `list`/`item`, attendance
//!   as `p type="participants"`; each note marker as a `ptr` to its note.
//! - `back`: the notes, in the source's order (the seed's are endnotes too), each
//!   with its archival references (`listBibl`/`msDesc`) and cross-references (`ref`).
//! - Diagnostics stay with the document as `notesStmt/note type="diagnostic"`;
//!   source lines as `source="line:N"`.

use std::fmt::Write as _;
use std::path::Path;

use opis_model::{
    Annotation, ArchivalRef, Block, BlockKind, Diagnostic, DocDate, Document, Note, NoteRef, Participants,
    PersonMention, Protocol, RefKind, Section, Severity,
};

use crate::error::{FormatError, Result};
use crate::record::slug;
use crate::xml::{Element, escape};

const TEI_NS: &str = "http://www.tei-c.org/ns/1.0";

/// Writes one document as a TEI P5 file.
pub fn write_tei(doc: &Document) -> String {
    let mut w = Writer::default();
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.open("TEI", &[("xmlns", TEI_NS), ("xml:lang", &doc.language)]);
    write_header(&mut w, doc);
    w.open("text", &[]);
    w.open("body", &[]);
    if doc.sections.is_empty() {
        // TEI requires content in a body; an empty document says so.
        w.leaf("p", &[], "");
    }
    let note_index = LocalIds::new(doc);
    for section in &doc.sections {
        write_section(&mut w, section, &note_index);
    }
    w.close("body");
    if !doc.notes.is_empty() {
        w.open("back", &[]);
        w.open("div", &[("type", "notes")]);
        for (i, note) in doc.notes.iter().enumerate() {
            write_note(&mut w, note, i);
        }
        w.close("div");
        w.close("back");
    }
    w.close("text");
    w.close("TEI");
    w.out
}

fn write_header(w: &mut Writer, doc: &Document) {
    w.open("teiHeader", &[]);
    w.open("fileDesc", &[]);
    w.open("titleStmt", &[]);
    w.leaf("title", &[], &doc.title);
    for a in &doc.authors {
        w.leaf("author", &[], a);
    }
    if let Some(c) = &doc.compiler {
        w.leaf("editor", &[("role", "compiler")], c);
    }
    for e in &doc.editors {
        w.leaf("editor", &[("role", "editor")], e);
    }
    for c in &doc.contributors {
        w.open("respStmt", &[]);
        w.leaf("resp", &[], "contributed");
        w.leaf("name", &[], c);
        w.close("respStmt");
    }
    w.close("titleStmt");
    w.open("publicationStmt", &[]);
    w.leaf("publisher", &[], "opis");
    w.leaf("idno", &[("type", "opis")], &doc.id);
    if let Some(u) = &doc.source_url {
        w.leaf("idno", &[("type", "URI")], u);
    }
    if let Some(r) = &doc.rights {
        w.open("availability", &[]);
        w.leaf("p", &[], r);
        w.close("availability");
    }
    w.close("publicationStmt");
    if let Some(c) = &doc.collection {
        w.open("seriesStmt", &[]);
        w.leaf("title", &[], c);
        w.close("seriesStmt");
    }
    if !doc.diagnostics.is_empty() {
        w.open("notesStmt", &[]);
        for d in &doc.diagnostics {
            let severity = match d.severity {
                Severity::Info => "info",
                Severity::Warning => "warning",
            };
            let line = d.line.map(|l| format!("line:{l}"));
            let mut attrs = vec![("type", "diagnostic"), ("subtype", severity), ("n", d.code.as_str())];
            if let Some(l) = &line {
                attrs.push(("source", l));
            }
            w.leaf("note", &attrs, &d.message);
        }
        w.close("notesStmt");
    }
    w.open("sourceDesc", &[]);
    w.open("bibl", &[("type", "source")]);
    if let Some(c) = &doc.citation {
        w.leaf("bibl", &[("type", "citation")], c);
    }
    if let Some(p) = &doc.published_in {
        w.leaf("bibl", &[("type", "publication")], p);
    }
    if let Some(p) = &doc.protocol {
        w.open("bibl", &[("type", "protocol")]);
        w.leaf("idno", &[("type", "protocol")], &p.number);
        if let Some(pt) = &p.point {
            w.leaf("idno", &[("type", "point")], pt);
        }
        w.close("bibl");
    }
    if let Some(p) = &doc.part {
        w.leaf("title", &[("type", "part")], p);
    }
    if let Some(p) = &doc.pages {
        w.leaf("biblScope", &[("unit", "page")], p);
    }
    for l in &doc.links {
        w.leaf("ref", &[("type", "link"), ("target", &format!("#{l}"))], l);
    }
    if let Some(l) = &doc.original_language {
        w.leaf("textLang", &[("mainLang", l)], "");
    }
    w.close("bibl");
    for r in &doc.archival_refs {
        write_ms_desc(w, r);
    }
    w.close("sourceDesc");
    w.close("fileDesc");

    w.open("encodingDesc", &[]);
    w.open("appInfo", &[]);
    w.open("application", &[("ident", "opis"), ("version", env!("CARGO_PKG_VERSION"))]);
    w.leaf("label", &[("type", "reader")], &doc.reader);
    w.close("application");
    w.close("appInfo");
    w.close("encodingDesc");

    w.open("profileDesc", &[]);
    if let Some(s) = &doc.summary {
        w.open("abstract", &[]);
        for p in s.split("\n\n") {
            w.leaf("p", &[], p);
        }
        w.close("abstract");
    }
    if doc.date.is_some() || doc.place.is_some() {
        w.open("creation", &[]);
        if let Some(d) = &doc.date {
            write_date(w, d);
        }
        if let Some(p) = &doc.place {
            w.leaf("placeName", &[], p);
        }
        w.close("creation");
    }
    w.open("langUsage", &[]);
    w.leaf("language", &[("ident", &doc.language)], "");
    w.close("langUsage");
    w.open("textClass", &[]);
    w.open("keywords", &[]);
    w.leaf("term", &[("type", "kind")], &doc.kind);
    if let Some(c) = &doc.classification {
        w.leaf("term", &[("type", "classification")], c);
    }
    for s in &doc.subjects {
        w.leaf("term", &[("type", "subject")], s);
    }
    for p in &doc.places {
        w.leaf("term", &[("type", "place")], p);
    }
    for t in &doc.terms {
        let target = t.target.as_ref().map(|id| format!("#{id}"));
        let mut attrs = vec![("type", "gloss")];
        if let Some(r) = &target {
            attrs.push(("ref", r));
        }
        w.leaf("term", &attrs, &t.term);
    }
    w.close("keywords");
    w.close("textClass");
    let speakers = speaker_ids(doc);
    if !doc.participants.is_empty() || !speakers.is_empty() || !doc.persons.is_empty() {
        w.open("particDesc", &[]);
        for list in &doc.participants {
            w.open("listPerson", &[("type", "attendance")]);
            w.leaf("head", &[], &list.label);
            for n in &list.names {
                w.open("person", &[]);
                w.leaf("persName", &[], n);
                w.close("person");
            }
            w.close("listPerson");
        }
        if !speakers.is_empty() {
            w.open("listPerson", &[("type", "speakers")]);
            for (s, id) in &speakers {
                w.open("person", &[("xml:id", id)]);
                w.leaf("persName", &[], s);
                w.close("person");
            }
            w.close("listPerson");
        }
        if !doc.persons.is_empty() {
            w.open("listPerson", &[("type", "mentioned")]);
            for p in &doc.persons {
                let refs = p.refs.iter().map(|r| format!("#{r}")).collect::<Vec<_>>().join(" ");
                let mut attrs = vec![("n", p.mentions.to_string())];
                if !refs.is_empty() {
                    attrs.push(("corresp", refs));
                }
                let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                w.open("person", &attrs);
                w.leaf("persName", &[("type", "preferred")], &p.name);
                for v in &p.variants {
                    w.leaf("persName", &[("type", "variant")], v);
                }
                w.close("person");
            }
            w.close("listPerson");
        }
        w.close("particDesc");
    }
    w.close("profileDesc");
    w.close("teiHeader");
}

fn write_date(w: &mut Writer, d: &DocDate) {
    if d.from == d.to {
        w.leaf("date", &[("when", &d.from)], &d.text);
    } else {
        w.leaf("date", &[("from", &d.from), ("to", &d.to)], &d.text);
    }
}

fn write_ms_desc(w: &mut Writer, r: &ArchivalRef) {
    w.open("msDesc", &[]);
    w.open("msIdentifier", &[]);
    if !r.archive.is_empty() {
        w.leaf("repository", &[], &r.archive);
    }
    for (kind, value) in archival_parts(r) {
        if let Some(v) = value {
            w.leaf("idno", &[("type", kind)], v);
        }
    }
    w.close("msIdentifier");
    w.leaf("head", &[], &r.text);
    w.close("msDesc");
}

fn archival_parts(r: &ArchivalRef) -> [(&'static str, &Option<String>); 8] {
    [
        ("fond", &r.fond),
        ("opis", &r.opis),
        ("papka", &r.papka),
        ("delo", &r.delo),
        ("leaves", &r.leaves),
        ("file", &r.file),
        ("box", &r.r#box),
        ("folder", &r.folder),
    ]
}

/// Where each note number's note is, for `ptr` targets.
struct LocalIds {
    notes: Vec<u32>,
    speakers: std::collections::HashMap<String, String>,
}

impl LocalIds {
    fn new(doc: &Document) -> Self {
        LocalIds { notes: doc.notes.iter().map(|n| n.n).collect(), speakers: speaker_ids(doc).into_iter().collect() }
    }

    fn target(&self, n: u32) -> Option<String> {
        self.notes.iter().position(|&x| x == n).map(|i| format!("#note-{}", i + 1))
    }

    fn speaker(&self, name: &str) -> String {
        self.speakers.get(name).cloned().unwrap_or_else(|| format!("speaker-{}", slug(name)))
    }
}

fn write_anchors(w: &mut Writer, numbers: &[u32], index: &LocalIds) {
    for &n in numbers {
        let ns = n.to_string();
        match index.target(n) {
            Some(t) => w.leaf_inline("ptr", &[("type", "noteAnchor"), ("n", &ns), ("target", &t)], ""),
            None => w.leaf_inline("anchor", &[("type", "noteAnchor"), ("n", &ns)], ""),
        }
    }
}

fn write_section(w: &mut Writer, section: &Section, index: &LocalIds) {
    let kind = if section.heading.is_some() { "section" } else { "preamble" };
    w.open("div", &[("type", kind)]);
    if let Some(h) = &section.heading {
        w.inline_open("head", &[]);
        w.text(h);
        write_anchors(w, &section.heading_notes, index);
        w.inline_close("head");
    } else if !section.heading_notes.is_empty() {
        w.inline_open("head", &[("type", "empty")]);
        write_anchors(w, &section.heading_notes, index);
        w.inline_close("head");
    }
    if !section.presenters.is_empty() {
        w.open("list", &[("type", "presenters")]);
        for p in &section.presenters {
            w.inline_open("item", &[]);
            w.leaf_inline("persName", &[], p);
            w.inline_close("item");
        }
        w.close("list");
    }
    write_annotations(w, &section.annotations, false);
    let mut i = 0;
    while i < section.blocks.len() {
        let block = &section.blocks[i];
        if block.kind == BlockKind::ListItem {
            w.open("list", &[("type", "items")]);
            while i < section.blocks.len() && section.blocks[i].kind == BlockKind::ListItem {
                let item = &section.blocks[i];
                w.inline_open("item", &as_refs(&block_attrs(item)));
                w.text(&item.text);
                write_anchors(w, &item.notes, index);
                write_annotations(w, &item.annotations, true);
                w.inline_close("item");
                i += 1;
            }
            w.close("list");
            continue;
        }
        write_block(w, block, index);
        i += 1;
    }
    w.close("div");
}

fn line_source(b: &Block) -> Option<String> {
    b.line.map(|l| format!("line:{l}"))
}

/// Attributes every block carries: its source line and the source's own id.
fn block_attrs(b: &Block) -> Vec<(&'static str, String)> {
    let mut attrs = Vec::new();
    if let Some(s) = line_source(b) {
        attrs.push(("source", s));
    }
    if let Some(id) = &b.id {
        attrs.push(("n", id.clone()));
    }
    attrs
}

fn as_refs<'a>(attrs: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    attrs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Transcribers' remarks as `<note type="kinesic" subtype="applause" n="{at}">`.
fn write_annotations(w: &mut Writer, annotations: &[Annotation], inline: bool) {
    for a in annotations {
        let at = a.at.map(|n| n.to_string());
        let mut attrs = vec![("type", a.kind.as_str())];
        if let Some(t) = &a.r#type {
            attrs.push(("subtype", t));
        }
        if let Some(n) = &at {
            attrs.push(("n", n));
        }
        attrs.push(("ana", "#annotation"));
        if inline {
            w.leaf_inline("note", &attrs, &a.text);
        } else {
            w.leaf("note", &attrs, &a.text);
        }
    }
}

fn write_block(w: &mut Writer, b: &Block, index: &LocalIds) {
    let mut attrs = block_attrs(b);
    match b.kind {
        BlockKind::Paragraph | BlockKind::Participants | BlockKind::ListItem => {
            if b.kind == BlockKind::Participants {
                attrs.push(("ana", "#participants".into()));
            }
            w.inline_open("p", &as_refs(&attrs));
            w.text(&b.text);
            write_anchors(w, &b.notes, index);
            write_annotations(w, &b.annotations, true);
            w.inline_close("p");
        }
        BlockKind::Turn => {
            let who: Vec<String> = b.speakers.iter().map(|s| format!("#{}", index.speaker(s))).collect();
            if !who.is_empty() {
                attrs.push(("who", who.join(" ")));
            }
            w.open("sp", &as_refs(&attrs));
            w.inline_open("speaker", &[]);
            for (i, s) in b.speakers.iter().enumerate() {
                if i > 0 {
                    w.text(", ");
                }
                w.leaf_inline("persName", &[], s);
            }
            if let Some(role) = &b.role {
                w.text(" ");
                w.leaf_inline("roleName", &[], role);
            }
            w.inline_close("speaker");
            let paragraphs: Vec<&str> = b.text.split("\n\n").collect();
            let last = paragraphs.len() - 1;
            for (i, p) in paragraphs.iter().enumerate() {
                w.inline_open("p", &[]);
                w.text(p);
                if i == last {
                    write_anchors(w, &b.notes, index);
                }
                w.inline_close("p");
            }
            write_annotations(w, &b.annotations, false);
            w.close("sp");
        }
    }
}

fn write_note(w: &mut Writer, note: &Note, i: usize) {
    let id = format!("note-{}", i + 1);
    let n = note.n.to_string();
    let src = note.line.map(|l| format!("line:{l}"));
    let mut attrs = vec![("xml:id", id.as_str()), ("n", n.as_str())];
    if let Some(s) = &src {
        attrs.push(("source", s));
    }
    w.open("note", &attrs);
    for p in note.text.split("\n\n") {
        w.leaf("p", &[], p);
    }
    if !note.archival_refs.is_empty() {
        w.open("listBibl", &[("type", "archival")]);
        for r in &note.archival_refs {
            write_ms_desc(w, r);
        }
        w.close("listBibl");
    }
    if !note.refs.is_empty() {
        w.open("listRef", &[("type", "refs")]);
        for r in &note.refs {
            let kind = match r.kind {
                RefKind::Note => "note",
                RefKind::Document => "document",
            };
            w.leaf("ref", &[("type", kind), ("n", &r.target)], &r.text);
        }
        w.close("listRef");
    }
    w.close("note");
}

/// Every distinct speaker, in order of first turn.
fn speaker_names(doc: &Document) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in doc.turns() {
        for s in &t.speakers {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    out
}

/// Every distinct speaker with its `xml:id`: `speaker-` and the name's slug, and `-2`, `-3`, …
/// for names whose slugs coincide ("Mr. Perkins" and "MR. PERKINS"), since ids must be unique.
fn speaker_ids(doc: &Document) -> Vec<(String, String)> {
    let mut used = std::collections::HashSet::new();
    speaker_names(doc)
        .into_iter()
        .map(|name| {
            let stem = format!("speaker-{}", slug(&name));
            let mut id = stem.clone();
            let mut n = 1;
            while !used.insert(id.clone()) {
                n += 1;
                id = format!("{stem}-{n}");
            }
            (name, id)
        })
        .collect()
}

/// A small indenting XML writer: structure on its own lines, text kept exact.
#[derive(Default)]
struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)], empty: bool) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{}\"", escape(v));
        }
        self.out.push_str(if empty { "/>" } else { ">" });
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.start_tag(name, attrs, false);
        self.out.push('\n');
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }

    /// An element holding only text, on its own line.
    fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.indent();
        self.leaf_inline(name, attrs, text);
        self.out.push('\n');
    }

    fn leaf_inline(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        if text.is_empty() {
            self.start_tag(name, attrs, true);
        } else {
            self.start_tag(name, attrs, false);
            self.text(text);
            let _ = write!(self.out, "</{name}>");
        }
    }

    /// Starts an element whose content is mixed text: no line breaks inside.
    fn inline_open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.start_tag(name, attrs, false);
    }

    fn inline_close(&mut self, name: &str) {
        let _ = writeln!(self.out, "</{name}>");
    }

    fn text(&mut self, text: &str) {
        self.out.push_str(&escape(text));
    }
}

/// Reads a TEI file written by [`write_tei`].
pub fn parse_tei(path: &Path, text: &str) -> Result<Vec<Document>> {
    let root = Element::parse_document(path, text)?;
    if root.local_name() != "TEI" {
        return Err(FormatError::Unrecognized { path: path.to_owned(), reason: "expected a <TEI> root".into() });
    }
    let mut doc = Document { language: root.attr("xml:lang").unwrap_or("").to_owned(), ..Default::default() };
    let header = root
        .child("teiHeader")
        .ok_or_else(|| FormatError::malformed(path, root.line, "expected a <teiHeader> in the TEI file"))?;
    read_header(&mut doc, header);
    let text_el = root.child("text");
    let notes_div = text_el.and_then(|t| t.child("back")).and_then(|b| b.child("div"));
    if let Some(div) = notes_div {
        doc.notes = div.children_named("note").map(read_note).collect();
    }
    if let Some(body) = text_el.and_then(|t| t.child("body")) {
        doc.sections = body.children_named("div").map(read_section).collect();
    }
    Ok(vec![doc])
}

fn read_header(doc: &mut Document, header: &Element) {
    let file_desc = header.child("fileDesc");
    if let Some(ts) = file_desc.and_then(|f| f.child("titleStmt")) {
        doc.title = ts.child("title").map(Element::text).unwrap_or_default();
        doc.authors = ts.children_named("author").map(Element::text).collect();
        doc.compiler = ts.children_named("editor").find(|e| e.attr("role") == Some("compiler")).map(Element::text);
        doc.editors =
            ts.children_named("editor").filter(|e| e.attr("role") == Some("editor")).map(Element::text).collect();
        doc.contributors = ts.children_named("respStmt").filter_map(|r| r.child("name")).map(Element::text).collect();
    }
    if let Some(ps) = file_desc.and_then(|f| f.child("publicationStmt")) {
        for idno in ps.children_named("idno") {
            match idno.attr("type") {
                Some("opis") => doc.id = idno.text(),
                Some("URI") => doc.source_url = Some(idno.text()),
                _ => {}
            }
        }
        doc.rights = ps.child("availability").and_then(|a| a.child("p")).map(Element::text);
    }
    doc.collection = file_desc.and_then(|f| f.child("seriesStmt")).and_then(|s| s.child("title")).map(Element::text);
    if let Some(ns) = file_desc.and_then(|f| f.child("notesStmt")) {
        for n in ns.children_named("note").filter(|n| n.attr("type") == Some("diagnostic")) {
            let severity = if n.attr("subtype") == Some("info") { Severity::Info } else { Severity::Warning };
            doc.diagnostics.push(Diagnostic {
                severity,
                code: n.attr("n").unwrap_or("").to_owned(),
                message: n.text(),
                line: source_line(n),
            });
        }
    }
    if let Some(sd) = file_desc.and_then(|f| f.child("sourceDesc")) {
        if let Some(src) = sd.children_named("bibl").find(|b| b.attr("type") == Some("source")) {
            for b in src.children_named("bibl") {
                match b.attr("type") {
                    Some("citation") => doc.citation = Some(b.text()),
                    Some("publication") => doc.published_in = Some(b.text()),
                    Some("protocol") => {
                        let idno =
                            |t: &str| b.children_named("idno").find(|i| i.attr("type") == Some(t)).map(Element::text);
                        doc.protocol = idno("protocol").map(|number| Protocol { number, point: idno("point") });
                    }
                    _ => {}
                }
            }
            doc.original_language = src.child("textLang").and_then(|t| t.attr("mainLang")).map(str::to_owned);
            doc.part = src.children_named("title").find(|t| t.attr("type") == Some("part")).map(Element::text);
            doc.pages = src.child("biblScope").map(Element::text);
            doc.links =
                src.children_named("ref").filter(|r| r.attr("type") == Some("link")).map(Element::text).collect();
        }
        doc.archival_refs = sd.children_named("msDesc").map(read_ms_desc).collect();
    }
    doc.reader = header
        .child("encodingDesc")
        .and_then(|e| e.child("appInfo"))
        .and_then(|a| a.child("application"))
        .and_then(|a| a.child("label"))
        .map(Element::text)
        .unwrap_or_default();
    let Some(profile) = header.child("profileDesc") else { return };
    if let Some(a) = profile.child("abstract") {
        doc.summary = Some(a.children_named("p").map(Element::text).collect::<Vec<_>>().join("\n\n"));
    }
    if let Some(c) = profile.child("creation") {
        doc.date = c.child("date").map(|d| {
            let from = d.attr("when").or(d.attr("from")).unwrap_or("").to_owned();
            let to = d.attr("when").or(d.attr("to")).unwrap_or("").to_owned();
            DocDate { text: d.text(), from, to }
        });
        doc.place = c.child("placeName").map(Element::text);
    }
    if let Some(kw) = profile.child("textClass").and_then(|t| t.child("keywords")) {
        for term in kw.children_named("term") {
            match term.attr("type") {
                Some("kind") => doc.kind = term.text(),
                Some("classification") => doc.classification = Some(term.text()),
                Some("subject") => doc.subjects.push(term.text()),
                Some("place") => doc.places.push(term.text()),
                Some("gloss") => doc.terms.push(opis_model::GlossedTerm {
                    term: term.text(),
                    target: term.attr("ref").map(|r| r.trim_start_matches('#').to_owned()),
                }),
                _ => {}
            }
        }
    }
    if let Some(pd) = profile.child("particDesc") {
        for list in pd.children_named("listPerson") {
            let names = || list.children_named("person").filter_map(|p| p.child("persName")).map(Element::text);
            match list.attr("type") {
                Some("attendance") => doc.participants.push(Participants {
                    label: list.child("head").map(Element::text).unwrap_or_default(),
                    names: names().collect(),
                }),
                Some("mentioned") => {
                    doc.persons = list
                        .children_named("person")
                        .map(|p| {
                            let named = |t: &'static str| {
                                p.children_named("persName")
                                    .filter(move |n| n.attr("type") == Some(t))
                                    .map(Element::text)
                            };
                            PersonMention {
                                name: named("preferred").next().unwrap_or_default(),
                                variants: named("variant").collect(),
                                mentions: p.attr("n").and_then(|n| n.parse().ok()).unwrap_or(0),
                                refs: p
                                    .attr("corresp")
                                    .map(|c| {
                                        c.split_whitespace().map(|r| r.trim_start_matches('#').to_owned()).collect()
                                    })
                                    .unwrap_or_default(),
                            }
                        })
                        .collect();
                }
                _ => {}
            }
        }
    }
}

fn read_ms_desc(ms: &Element) -> ArchivalRef {
    let mut r = ArchivalRef { text: ms.child("head").map(Element::text).unwrap_or_default(), ..Default::default() };
    if let Some(id) = ms.child("msIdentifier") {
        r.archive = id.child("repository").map(Element::text).unwrap_or_default();
        for idno in id.children_named("idno") {
            let v = Some(idno.text());
            match idno.attr("type") {
                Some("fond") => r.fond = v,
                Some("opis") => r.opis = v,
                Some("papka") => r.papka = v,
                Some("delo") => r.delo = v,
                Some("leaves") => r.leaves = v,
                Some("file") => r.file = v,
                Some("box") => r.r#box = v,
                Some("folder") => r.folder = v,
                _ => {}
            }
        }
    }
    r
}

fn source_line(e: &Element) -> Option<u32> {
    e.attr("source").and_then(|s| s.strip_prefix("line:")).and_then(|n| n.parse().ok())
}

/// Text of a mixed-content element without its note anchors and annotations, the
/// anchors' numbers, and the annotations.
fn text_and_anchors(e: &Element) -> (String, Vec<u32>, Vec<Annotation>) {
    let mut text = String::new();
    let mut notes = Vec::new();
    let mut annotations = Vec::new();
    for c in &e.children {
        match c {
            crate::xml::Node::Text(t) => text.push_str(t),
            crate::xml::Node::Element(el) if el.attr("type") == Some("noteAnchor") => {
                if let Some(n) = el.attr("n").and_then(|n| n.parse().ok()) {
                    notes.push(n);
                }
            }
            crate::xml::Node::Element(el) if is_annotation(el) => annotations.push(read_annotation(el)),
            crate::xml::Node::Element(el) => text.push_str(&el.text()),
        }
    }
    (text, notes, annotations)
}

fn is_annotation(el: &Element) -> bool {
    el.local_name() == "note" && el.attr("ana") == Some("#annotation")
}

fn read_annotation(el: &Element) -> Annotation {
    Annotation {
        kind: el.attr("type").unwrap_or("").to_owned(),
        r#type: el.attr("subtype").map(str::to_owned),
        text: el.text(),
        at: el.attr("n").and_then(|n| n.parse().ok()),
    }
}

fn read_section(div: &Element) -> Section {
    let mut section = Section::default();
    if let Some(head) = div.child("head") {
        let (text, notes, _) = text_and_anchors(head);
        if head.attr("type") != Some("empty") {
            section.heading = Some(text);
        }
        section.heading_notes = notes;
    }
    for el in div.elements() {
        match (el.local_name(), el.attr("type")) {
            ("list", Some("presenters")) => section.presenters = el.children_named("item").map(Element::text).collect(),
            ("list", _) => {
                for item in el.children_named("item") {
                    let (text, notes, annotations) = text_and_anchors(item);
                    section.blocks.push(Block {
                        kind: BlockKind::ListItem,
                        text,
                        notes,
                        annotations,
                        line: source_line(item),
                        id: item.attr("n").map(str::to_owned),
                        ..Default::default()
                    });
                }
            }
            ("note", _) if is_annotation(el) => section.annotations.push(read_annotation(el)),
            ("p", _) => {
                let (text, notes, annotations) = text_and_anchors(el);
                let kind = if el.attr("ana") == Some("#participants") {
                    BlockKind::Participants
                } else {
                    BlockKind::Paragraph
                };
                // An empty <p/> only stands where TEI requires content in an empty body.
                if !text.is_empty() || !notes.is_empty() || !annotations.is_empty() {
                    section.blocks.push(Block {
                        kind,
                        text,
                        notes,
                        annotations,
                        line: source_line(el),
                        id: el.attr("n").map(str::to_owned),
                        ..Default::default()
                    });
                }
            }
            ("sp", _) => {
                let speaker = el.child("speaker");
                let speakers =
                    speaker.map(|s| s.children_named("persName").map(Element::text).collect()).unwrap_or_default();
                let role = speaker.and_then(|s| s.child("roleName")).map(Element::text);
                let mut paragraphs = Vec::new();
                let mut notes = Vec::new();
                for p in el.children_named("p") {
                    let (text, n, _) = text_and_anchors(p);
                    paragraphs.push(text);
                    notes.extend(n);
                }
                let annotations = el.children_named("note").filter(|n| is_annotation(n)).map(read_annotation).collect();
                section.blocks.push(Block {
                    kind: BlockKind::Turn,
                    speakers,
                    text: paragraphs.join("\n\n"),
                    notes,
                    line: source_line(el),
                    id: el.attr("n").map(str::to_owned),
                    role,
                    annotations,
                });
            }
            _ => {}
        }
    }
    section
}

fn read_note(el: &Element) -> Note {
    let text = el.children_named("p").map(Element::text).collect::<Vec<_>>().join("\n\n");
    let archival_refs =
        el.children_named("listBibl").flat_map(|l| l.children_named("msDesc")).map(read_ms_desc).collect();
    let refs = el
        .children_named("listRef")
        .flat_map(|l| l.children_named("ref"))
        .map(|r| NoteRef {
            kind: if r.attr("type") == Some("document") { RefKind::Document } else { RefKind::Note },
            target: r.attr("n").unwrap_or("").to_owned(),
            text: r.text(),
        })
        .collect();
    Note { n: el.attr("n").and_then(|n| n.parse().ok()).unwrap_or(0), text, archival_refs, refs, line: source_line(el) }
}
