//! FRUS TEI volumes and Office of the Historian TEI documents (frus-history): one
//! Document per `<div type="document">`.
//!
//! The file is read in one streaming pass over [`XmlReader`] (plus a short first pass
//! over the persons list when the volume has one), so a whole volume never becomes a
//! tree in memory; only the document being read is buffered.
//!
//! What the markup gives, and where it goes:
//! - ids `{volume}-{div xml:id}` (the volume is the root's `xml:id`, else the file
//!   stem up to `_`); a document without an `xml:id` takes the slug of the file stem;
//! - the `<head>` is the title (its printed number "162." dropped), and its
//!   `<note type="source">` the citation, archival references and classification;
//! - the `<dateline>` gives date (`<date when|from|to|notBefore|notAfter>`, else the
//!   printed text) and place (`<placeName>`, else the words before the date); without
//!   one, `frus:doc-dateTime-min/max`, else the header's creation date;
//! - every other `<note>` is a footnote numbered as printed, anchored by a `[n]` marker
//!   left where it stood, so that [`fill_structure_with_notes`] ties it to its block;
//! - `<p>`, `<item>`, table rows and closers are the body's lines (with their source
//!   line); heads inside a document and short centred or underlined paragraphs are
//!   headings; `<pb>` only sets the document's pages;
//! - `<persName corresp>` mentions are asserted persons, resolved against the
//!   volume's `<list type="persons">`; `<ref target="#d123">` links other documents;
//! - the enclosing chapter heads are the document's `part`; the header's titles and
//!   editors are the collection and the editors.
//!
//! Elements this reader does not know are read as text, with one diagnostic per
//! element name per file.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use opis_model::{Diagnostic, DocDate, Document, Note, NoteRef, RefKind};
use regex::Regex;

use crate::error::Result;
use crate::extract::body::{LineRole, SourceLine};
use crate::extract::{archival, citation, date, fill_structure_with_notes, language};
use crate::record::slug;
use crate::xml::{XmlEvent, XmlReader, attr, collapse_whitespace, local};

/// Reads every document in `text` (the content of `path`).
pub fn parse_frus(path: &Path, text: &str) -> Result<Vec<Document>> {
    // The persons list stands in the front matter of a whole volume; reading it first
    // lets every mention be resolved while the documents stream by.
    let persons = if text.contains("type=\"persons\"") { read_persons_list(path, text)? } else { HashMap::new() };
    let mut reader = Reader::new(path, text, persons);
    reader.run()?;
    Ok(reader.finish())
}

/// As [`parse_frus`], handing each document to `each` as soon as the next one is read,
/// so that memory does not grow with the number of documents in a volume. On an error
/// the documents already handed on stay valid; the error names where reading stopped.
pub fn parse_frus_each(path: &Path, text: &str, each: &mut dyn FnMut(Document)) -> Result<()> {
    let persons = if text.contains("type=\"persons\"") { read_persons_list(path, text)? } else { HashMap::new() };
    let mut reader = Reader::new(path, text, persons);
    reader.sink = Some(each);
    reader.run()?;
    let rest = reader.finish();
    debug_assert!(rest.is_empty(), "a sink receives every document");
    Ok(())
}

/// Separates paragraphs inside a note or a head until the text is tidied.
const PARA_SEP: char = '\u{2029}';
/// Bracket the placeholder marker left where a note stood. It becomes `[n]` when the
/// whole document has been read: only then do notes marked "*" get their numbers, and
/// only then can brackets printed in the text ("$100,00[0]", "§ 47(a)(1)") be kept
/// from being read as markers.
const PLACEHOLDER_OPEN: char = '\u{E000}';
const PLACEHOLDER_CLOSE: char = '\u{E001}';

/// Elements read as text without comment; anything else gets an "unknown-element" diagnostic.
const KNOWN_ELEMENTS: &[&str] = &[
    "TEI",
    "teiCorpus",
    "text",
    "group",
    "body",
    "front",
    "back",
    "div",
    "head",
    "p",
    "hi",
    "note",
    "pb",
    "lb",
    "cb",
    "milestone",
    "persName",
    "placeName",
    "orgName",
    "roleName",
    "name",
    "rs",
    "gloss",
    "term",
    "ref",
    "ptr",
    "date",
    "time",
    "dateline",
    "opener",
    "closer",
    "salute",
    "signed",
    "postscript",
    "quote",
    "q",
    "said",
    "list",
    "item",
    "label",
    "table",
    "row",
    "cell",
    "title",
    "lg",
    "l",
    "seg",
    "foreign",
    "emph",
    "abbr",
    "expan",
    "choice",
    "sic",
    "corr",
    "orig",
    "reg",
    "unclear",
    "gap",
    "add",
    "del",
    "figure",
    "graphic",
    "figDesc",
    "anchor",
    "attachment",
    "affiliation",
    "idno",
    "num",
    "bibl",
    "listBibl",
    "space",
    "byline",
    "docDate",
    "trailer",
    "argument",
    "epigraph",
    "address",
    "addrLine",
    "measure",
    "subst",
];

/// Invisible; keeps a printed "(1)" or "[0]" from matching the note-marker pattern.
const WORD_JOINER: char = '\u{2060}';
/// A bracketed number as printed in the text: "(1)", "[0]".
static PRINTED_BRACKET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"([(\[])(\d{1,3}[)\]])").unwrap());
/// A printed document number at the start of a head: "162. ".
static HEAD_NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{1,5}[A-Za-z]?\.\s+").unwrap());
/// `#d164`, `#d163fn7`: a link to a document of the same volume.
static DOC_TARGET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^#d(\d{1,5}[a-z]?)(?:fn\w+)?$").unwrap());

/// What the `<teiHeader>` says about the whole file.
#[derive(Default)]
struct Header {
    /// `<title type="complete">`, else the first title.
    title: Option<String>,
    editors: Vec<String>,
    /// `<idno type="frus">`.
    frus_id: Option<String>,
    /// `<date type="created" when=…>` of an Office of the Historian document.
    created: Option<DocDate>,
    /// The scan of the original (`sourceDesc//ref/@target`).
    source_url: Option<String>,
    /// The volume's coverage (`frus:coverage`, `date type="content-date"`): editorial
    /// notes carry it as their dateTime range, which then says nothing about them.
    coverage: Option<(String, String)>,
    language: Option<String>,
}

/// A body line with what the reader knows of it.
struct Line {
    text: String,
    line: u32,
    role: LineRole,
}

/// Everything gathered for one document while it streams by.
#[derive(Default)]
struct DocBuilder {
    xml_id: Option<String>,
    n: Option<String>,
    subtype: Option<String>,
    /// `frus:doc-dateTime-min` / `-max`.
    datetime: (Option<String>, Option<String>),
    line: u32,
    title: Option<String>,
    source_note: Option<String>,
    lines: Vec<Line>,
    notes: Vec<PendingNote>,
    dateline: Option<String>,
    /// The dateline's `<date>`: its text and the ISO days of its attributes.
    date_elem: Option<(String, Option<(String, String)>)>,
    place: Option<String>,
    signed: Vec<String>,
    /// (mention as printed, corresp target without '#', line).
    mentions: Vec<(String, Option<String>, u32)>,
    /// `<gloss>` terms as printed, each once.
    terms: Vec<opis_model::GlossedTerm>,
    links: Vec<String>,
    first_page: Option<String>,
    last_page: Option<String>,
    /// A page break seen inside, that counts once text follows it.
    pending_page: Option<String>,
    content_seen: bool,
    part: Option<String>,
    diagnostics: Vec<Diagnostic>,
}

/// A footnote as read: its printed mark, its number when that mark is a free number,
/// and the placeholder that marks where it stood.
struct PendingNote {
    printed: String,
    number: Option<u32>,
    placeholder: usize,
    text: String,
    refs: Vec<NoteRef>,
    line: u32,
}

/// What an open element collects text into.
#[derive(Debug)]
enum SinkKind {
    /// A body line; `rend` decides at its end whether a `<p>` is a heading.
    Block {
        role: LineRole,
        is_p: bool,
        rend: Option<String>,
    },
    DocHead,
    DivHead,
    Note {
        n: Option<String>,
        source: bool,
        line: u32,
        refs: Vec<NoteRef>,
    },
    Dateline,
    Label,
}

struct Sink {
    kind: SinkKind,
    text: String,
    line: u32,
    /// Placeholders of the notes whose markers stand in this sink.
    markers: Vec<String>,
    /// A marker opened the text: the next text is glued to it so it is not read as an
    /// enumeration "(1) …".
    glue_next: bool,
    /// Text that is not inside an underlined or bold `<hi>` (a whole-`<hi>` paragraph is a heading).
    plain_text: bool,
    strong_hi: bool,
}

impl Sink {
    fn new(kind: SinkKind, line: u32) -> Self {
        Sink { kind, text: String::new(), line, markers: vec![], glue_next: false, plain_text: false, strong_hi: false }
    }
}

/// What to do when an element ends.
#[derive(Debug)]
enum Act {
    Plain,
    DocDiv,
    Division,
    /// The element owns the sink on top of `sinks`.
    Owner,
    /// Captures the text of the owner sink from `start` (a date, a name, a link).
    Capture {
        what: Capture,
        owner: usize,
        start: usize,
    },
}

#[derive(Debug)]
enum Capture {
    Date { days: Option<(String, String)> },
    PlaceName,
    Signed,
    PersName { corresp: Option<String> },
    Gloss { target: Option<String> },
    Ref { target: Option<String> },
    StrongHi,
}

struct Reader<'a> {
    r: XmlReader<'a>,
    stem: String,
    root_id: Option<String>,
    header: Header,
    persons: HashMap<String, String>,
    frames: Vec<Act>,
    sinks: Vec<Sink>,
    /// Heads of the divisions (chapters, compilations) enclosing the current point.
    divisions: Vec<Option<String>>,
    doc: Option<DocBuilder>,
    /// Everything outside the documents: the "Source:" paragraph of an Office of the
    /// Historian file, or the whole body of a file without document divs.
    outside: DocBuilder,
    /// Finished documents not yet handed on. With a sink, at most one is held back:
    /// diagnostics about the file outside any document go to the last one.
    docs: Vec<Document>,
    /// Where finished documents go as the volume streams by (`parse_frus_each`).
    sink: Option<&'a mut dyn FnMut(Document)>,
    /// Documents handed to the sink so far.
    emitted: usize,
    ids: HashSet<String>,
    last_page: Option<String>,
    unknown_seen: HashSet<String>,
    pending_label: Option<String>,
    next_placeholder: usize,
}

impl<'a> Reader<'a> {
    fn new(path: &Path, text: &'a str, persons: HashMap<String, String>) -> Self {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Reader {
            r: XmlReader::new(path, text),
            stem,
            root_id: None,
            header: Header::default(),
            persons,
            frames: Vec::new(),
            sinks: Vec::new(),
            divisions: Vec::new(),
            doc: None,
            outside: DocBuilder::default(),
            docs: Vec::new(),
            sink: None,
            emitted: 0,
            ids: HashSet::new(),
            last_page: None,
            unknown_seen: HashSet::new(),
            pending_label: None,
            next_placeholder: 0,
        }
    }

    fn run(&mut self) -> Result<()> {
        while let Some(ev) = self.r.next()? {
            match ev {
                XmlEvent::Start { name, attrs } => self.start(&name, &attrs)?,
                XmlEvent::End { .. } => self.end(),
                XmlEvent::Text(t) => self.text(&t),
            }
        }
        Ok(())
    }

    /// The builder that receives content now: the open document, or the outside.
    fn builder(&mut self) -> &mut DocBuilder {
        match self.doc.as_mut() {
            Some(d) => d,
            None => &mut self.outside,
        }
    }

    fn start(&mut self, name: &str, attrs: &[(String, String)]) -> Result<()> {
        let l = local(name);
        let line = self.r.line();
        if self.frames.is_empty() {
            self.root_id = attr(attrs, "xml:id").map(str::to_owned);
        }
        match l {
            "teiHeader" => return self.read_header(),
            // Front and back matter are not documents; the persons list was read before.
            "front" | "back" => return self.r.skip_element(),
            _ => {}
        }
        if !KNOWN_ELEMENTS.contains(&l) && self.unknown_seen.insert(l.to_owned()) {
            let d = Diagnostic::info(
                "unknown-element",
                format!("<{name}> is not a FRUS element this reader knows; its text is read as it stands"),
                Some(line),
            );
            self.builder().diagnostics.push(d);
        }
        let act = match l {
            "div" if attr(attrs, "type") == Some("document") && self.doc.is_none() => {
                self.open_document(attrs, line);
                Act::DocDiv
            }
            "div" if self.doc.is_none() => {
                self.divisions.push(None);
                Act::Division
            }
            "head" => self.open_head(line),
            "p" | "item" | "row" | "closer" | "l" | "salute" | "postscript" | "trailer" | "byline" | "docDate"
            | "addrLine" => {
                let role = if l == "item" { LineRole::ListItem } else { LineRole::Paragraph };
                let rend = attr(attrs, "rend").map(str::to_owned);
                self.open_block(SinkKind::Block { role, is_p: l == "p", rend }, line)
            }
            "label" => self.open_block(SinkKind::Label, line),
            "note" => {
                let n = attr(attrs, "n").map(str::to_owned);
                let source = attr(attrs, "type") == Some("source");
                self.sinks.push(Sink::new(SinkKind::Note { n, source, line, refs: vec![] }, line));
                Act::Owner
            }
            "dateline" if self.sinks.is_empty() => {
                self.sinks.push(Sink::new(SinkKind::Dateline, line));
                Act::Owner
            }
            "date" if self.in_dateline() => self.capture(Capture::Date { days: date_attrs(attrs) }),
            "placeName" if self.in_dateline() => self.capture(Capture::PlaceName),
            "signed" => self.capture(Capture::Signed),
            "persName" => self.capture(Capture::PersName {
                corresp: attr(attrs, "corresp").map(|c| c.trim_start_matches('#').to_owned()),
            }),
            "ref" => self.capture(Capture::Ref { target: attr(attrs, "target").map(str::to_owned) }),
            "gloss" => self.capture(Capture::Gloss {
                target: attr(attrs, "target").map(|t| t.trim_start_matches('#').to_owned()),
            }),
            "hi" if matches!(attr(attrs, "rend"), Some("underline" | "strong" | "bold")) => {
                if let Some(s) = self.sinks.last_mut() {
                    s.strong_hi = true;
                }
                self.capture(Capture::StrongHi)
            }
            "pb" => {
                if let Some(n) = attr(attrs, "n") {
                    self.page_break(n);
                }
                Act::Plain
            }
            "lb" => {
                self.push_text_sep(' ');
                Act::Plain
            }
            "cell" => {
                if let Some(s) = self.sinks.last_mut()
                    && !s.text.trim().is_empty()
                {
                    s.text.push_str(" | ");
                }
                Act::Plain
            }
            _ => Act::Plain,
        };
        self.frames.push(act);
        Ok(())
    }

    fn in_dateline(&self) -> bool {
        matches!(self.sinks.last(), Some(Sink { kind: SinkKind::Dateline, .. }))
    }

    fn capture(&mut self, what: Capture) -> Act {
        match self.sinks.len().checked_sub(1) {
            Some(owner) => Act::Capture { what, owner, start: self.sinks[owner].text.len() },
            None => Act::Plain,
        }
    }

    /// Adds a separator to the sink on top, so that the text of adjacent elements does not fuse.
    fn push_text_sep(&mut self, sep: char) {
        // A paragraph break counts even after whitespace; a space only where none is.
        let needed = |t: &str| if sep == PARA_SEP { !t.ends_with(PARA_SEP) } else { !t.ends_with(char::is_whitespace) };
        if let Some(s) = self.sinks.last_mut()
            && !s.text.is_empty()
            && needed(&s.text)
        {
            s.text.push(sep);
        }
    }

    fn open_document(&mut self, attrs: &[(String, String)], line: u32) {
        let get = |k: &str| attr(attrs, k).map(str::to_owned);
        let part: Vec<&str> = self.divisions.iter().flatten().map(String::as_str).collect();
        let mut b = DocBuilder {
            xml_id: get("xml:id"),
            n: get("n"),
            subtype: get("subtype"),
            datetime: (get("frus:doc-dateTime-min"), get("frus:doc-dateTime-max")),
            line,
            first_page: self.last_page.clone(),
            last_page: self.last_page.clone(),
            part: (!part.is_empty()).then(|| part.join(" — ")),
            ..DocBuilder::default()
        };
        // Unknown-element diagnostics met outside any document go with the next one.
        b.diagnostics.append(&mut self.outside.diagnostics);
        self.doc = Some(b);
    }

    fn open_head(&mut self, line: u32) -> Act {
        let parent_is_doc = matches!(self.frames.last(), Some(Act::DocDiv));
        let parent_is_division = matches!(self.frames.last(), Some(Act::Division));
        if parent_is_doc && self.doc.as_ref().is_some_and(|d| d.title.is_none()) {
            self.sinks.push(Sink::new(SinkKind::DocHead, line));
            return Act::Owner;
        }
        if parent_is_division {
            self.sinks.push(Sink::new(SinkKind::DivHead, line));
            return Act::Owner;
        }
        self.open_block(SinkKind::Block { role: LineRole::Heading, is_p: false, rend: None }, line)
    }

    /// Opens a body line. Inside a paragraph, the text so far becomes a line of its own
    /// (a list or quotation inside a `<p>`); inside a note or head, the element is only
    /// a paragraph break of that text.
    fn open_block(&mut self, kind: SinkKind, line: u32) -> Act {
        match self.sinks.last().map(|s| &s.kind) {
            Some(SinkKind::Block { .. }) => {
                self.flush_block();
            }
            Some(SinkKind::Label) => {}
            Some(_) => {
                self.push_text_sep(PARA_SEP);
                return Act::Plain;
            }
            None => {}
        }
        let mut sink = Sink::new(kind, line);
        if matches!(sink.kind, SinkKind::Block { role: LineRole::ListItem, .. })
            && let Some(label) = self.pending_label.take()
        {
            sink.text = format!("{label} ");
        }
        self.sinks.push(sink);
        Act::Owner
    }

    /// Emits the text of the paragraph on top as a line and lets the paragraph go on empty.
    fn flush_block(&mut self) {
        let line_now = self.r.line();
        let depth = self.sinks.len();
        let Some(sink) = self.sinks.last_mut() else { return };
        let text = std::mem::take(&mut sink.text);
        let first_line = std::mem::replace(&mut sink.line, line_now);
        let role = match sink.kind {
            SinkKind::Block { role: LineRole::Heading, .. } => LineRole::Heading,
            SinkKind::Block { role: LineRole::ListItem, .. } => LineRole::ListItem,
            _ => LineRole::Paragraph,
        };
        sink.plain_text = false;
        sink.strong_hi = false;
        // Captures still open in this paragraph (a name around a list) restart with it.
        for act in self.frames.iter_mut() {
            if let Act::Capture { owner, start, .. } = act
                && *owner == depth - 1
            {
                *start = 0;
            }
        }
        self.emit_line(&text, first_line, role);
    }

    fn emit_line(&mut self, text: &str, line: u32, role: LineRole) {
        let text = collapse_whitespace(&text.replace(PARA_SEP, " "));
        if text.is_empty() {
            return;
        }
        self.builder().lines.push(Line { text, line, role });
    }

    fn page_break(&mut self, n: &str) {
        self.last_page = Some(n.to_owned());
        if let Some(d) = self.doc.as_mut() {
            if d.content_seen {
                d.pending_page = Some(n.to_owned());
            } else {
                d.first_page = Some(n.to_owned());
                d.last_page = Some(n.to_owned());
            }
        }
    }

    fn text(&mut self, t: &str) {
        let blank = t.trim().is_empty();
        if !blank && let Some(d) = self.doc.as_mut() {
            d.content_seen = true;
            if let Some(p) = d.pending_page.take() {
                d.last_page = Some(p);
            }
        }
        let inside_strong = self.frames.iter().rev().any(
            |a| matches!(a, Act::Capture { what: Capture::StrongHi, owner, .. } if *owner + 1 == self.sinks.len()),
        );
        match self.sinks.last_mut() {
            Some(s) => {
                if s.glue_next {
                    if blank {
                        return;
                    }
                    s.glue_next = false;
                    s.text.push_str(t.trim_start());
                } else {
                    s.text.push_str(t);
                }
                if !blank && !inside_strong {
                    s.plain_text = true;
                }
            }
            None if !blank => {
                // Text straight inside a division: a paragraph of its own.
                let line = self.r.line();
                self.emit_line(t, line, LineRole::Paragraph);
            }
            None => {}
        }
    }

    fn end(&mut self) {
        let Some(act) = self.frames.pop() else { return };
        match act {
            Act::Plain => {}
            Act::Division => {
                self.divisions.pop();
            }
            Act::DocDiv => {
                if let Some(b) = self.doc.take() {
                    let doc = self.finish_document(b);
                    self.docs.push(doc);
                    self.hand_on(1);
                }
            }
            Act::Owner => {
                if let Some(sink) = self.sinks.pop() {
                    self.close_sink(sink);
                }
            }
            Act::Capture { what, owner, start } => self.close_capture(what, owner, start),
        }
    }

    fn close_capture(&mut self, what: Capture, owner: usize, start: usize) {
        if matches!(what, Capture::StrongHi) {
            return;
        }
        let Some(sink) = self.sinks.get(owner) else { return };
        let raw = sink.text.get(start..).unwrap_or("");
        let text = collapse_whitespace(&strip_markers(raw, &sink.markers).replace(PARA_SEP, " "));
        let line = sink.line;
        match what {
            Capture::StrongHi => {}
            Capture::Date { days } => {
                let b = self.builder();
                if b.date_elem.is_none() {
                    b.date_elem = Some((text, days));
                }
            }
            Capture::PlaceName => {
                let b = self.builder();
                if b.place.is_none() && !text.is_empty() {
                    b.place = Some(text);
                }
            }
            Capture::Signed => {
                if !text.is_empty() {
                    self.builder().signed.push(text);
                }
            }
            Capture::Gloss { target } => {
                // A gloss without a target is not a term (FRUS writes a telegram's sender
                // and recipient as `<gloss type="from|to">`).
                if !text.is_empty() && target.is_some() {
                    let term = opis_model::GlossedTerm { term: text, target };
                    let b = self.builder();
                    if !b.terms.contains(&term) {
                        b.terms.push(term);
                    }
                }
            }
            Capture::PersName { corresp } => {
                if !text.is_empty() || corresp.is_some() {
                    self.builder().mentions.push((text, corresp, line));
                }
            }
            Capture::Ref { target } => {
                let Some(target) = target else { return };
                let Some(c) = DOC_TARGET.captures(&target) else { return };
                let number = c[1].to_owned();
                if let Some(Sink { kind: SinkKind::Note { refs, .. }, .. }) = self.sinks.get_mut(owner) {
                    if !refs.iter().any(|r| r.target == number) {
                        let text = if text.is_empty() { target.clone() } else { text };
                        refs.push(NoteRef { kind: RefKind::Document, target: number, text });
                    }
                } else {
                    let id = format!("{}-d{number}", self.volume_id());
                    let b = self.builder();
                    if !b.links.contains(&id) {
                        b.links.push(id);
                    }
                }
            }
        }
    }

    fn close_sink(&mut self, sink: Sink) {
        match sink.kind {
            SinkKind::Block { role, is_p, ref rend } => {
                let mut role = role;
                let text = collapse_whitespace(&sink.text.replace(PARA_SEP, " "));
                let has_letters = text.chars().any(char::is_alphabetic);
                let short = text.chars().count() <= 200;
                // Office of the Historian transcripts mark session and agenda headings
                // by centring or underlining a paragraph.
                let styled = matches!(rend.as_deref(), Some("center" | "underline"))
                    || (sink.strong_hi && !sink.plain_text)
                    || text.starts_with("AGENDA ITEM");
                if is_p && styled && has_letters && short {
                    role = LineRole::Heading;
                }
                if let Some(label) = self.pending_label.take() {
                    self.emit_line(&label, sink.line, LineRole::Paragraph);
                }
                self.emit_line(&text, sink.line, role);
            }
            SinkKind::Label => {
                let text = collapse_whitespace(&sink.text);
                if !text.is_empty() {
                    self.pending_label = Some(text);
                }
            }
            SinkKind::DocHead => {
                let text = tidy(&strip_markers(&sink.text, &sink.markers));
                let n = self.doc.as_ref().and_then(|d| d.n.clone());
                let title = strip_head_number(&text, n.as_deref());
                // A footnote on the head itself is anchored to a heading line.
                if !sink.markers.is_empty() {
                    let marked = format!("{title}{}", sink.markers.concat());
                    self.emit_line(&marked, sink.line, LineRole::Heading);
                }
                if let Some(d) = self.doc.as_mut() {
                    d.title = Some(title);
                }
            }
            SinkKind::DivHead => {
                let text = tidy(&strip_markers(&sink.text, &sink.markers));
                if let Some(last) = self.divisions.last_mut() {
                    *last = (!text.is_empty()).then_some(text);
                }
            }
            SinkKind::Dateline => {
                let text = tidy(&strip_markers(&sink.text, &sink.markers));
                if !sink.markers.is_empty() {
                    let marked = format!("{text}{}", sink.markers.concat());
                    self.emit_line(&marked, sink.line, LineRole::Paragraph);
                }
                let b = self.builder();
                if b.dateline.is_none() && !text.is_empty() {
                    b.dateline = Some(text);
                }
            }
            SinkKind::Note { n, source, line, refs } => {
                let text = tidy(&sink.text);
                if source {
                    let b = self.builder();
                    if b.source_note.is_none() {
                        b.source_note = Some(text);
                    } else {
                        b.diagnostics.push(Diagnostic::warning(
                            "second-source-note",
                            "a second source note; the first is the citation, this one is dropped",
                            Some(line),
                        ));
                    }
                    return;
                }
                let printed = n.unwrap_or_default();
                let taken: BTreeSet<u32> = self.builder().notes.iter().filter_map(|n| n.number).collect();
                let number = printed.trim().parse::<u32>().ok().filter(|n| *n > 0 && *n < 1000 && !taken.contains(n));
                // The marker is a placeholder until the document's notes have their numbers.
                self.next_placeholder += 1;
                let placeholder = self.next_placeholder;
                let mark = format!("{PLACEHOLDER_OPEN}{placeholder}{PLACEHOLDER_CLOSE}");
                self.builder().notes.push(PendingNote { printed, number, placeholder, text, refs, line });
                match self.sinks.last_mut() {
                    Some(owner) => {
                        match owner.kind {
                            SinkKind::Block { .. } | SinkKind::Label => {
                                if owner.text.trim().is_empty() {
                                    owner.text.clear();
                                    owner.glue_next = true;
                                }
                                // Glued to the word before it, as printed: "Army.[3]".
                                let trimmed = owner.text.trim_end().len();
                                owner.text.truncate(trimmed);
                                owner.text.push_str(&mark);
                            }
                            _ => {}
                        }
                        owner.markers.push(mark);
                    }
                    None => {
                        // A note standing alone in a division: anchored to a line of its own.
                        self.emit_line(&mark, line, LineRole::Paragraph);
                    }
                }
            }
        }
    }

    /// The volume's id: the root's `xml:id`, the header's FRUS id, else the file stem up to `_`.
    fn volume_id(&self) -> String {
        if let Some(id) = self.root_id.as_ref().or(self.header.frus_id.as_ref()) {
            return id.clone();
        }
        let stem = self.stem.split('_').next().unwrap_or(&self.stem);
        slug(stem)
    }

    fn read_header(&mut self) -> Result<()> {
        let mut path: Vec<String> = Vec::new();
        loop {
            let ev = match self.r.next()? {
                Some(ev) => ev,
                None => return Ok(()),
            };
            match ev {
                XmlEvent::Start { name, attrs } => {
                    let l = local(&name).to_owned();
                    let inside = |p: &[String], n: &str| p.iter().any(|x| x == n);
                    match l.as_str() {
                        "title" if path.last().is_some_and(|p| p == "titleStmt") => {
                            let t = self.r.element_text()?;
                            let complete = attr(&attrs, "type") == Some("complete");
                            // The complete title wins; otherwise the first of the title statement.
                            if !t.is_empty() && (complete || self.header.title.is_none()) {
                                self.header.title = Some(t);
                            }
                            continue;
                        }
                        "editor" if inside(&path, "titleStmt") => {
                            let t = self.r.element_text()?;
                            if !t.is_empty() {
                                self.header.editors.push(t);
                            }
                            continue;
                        }
                        "idno" if attr(&attrs, "type") == Some("frus") => {
                            let t = self.r.element_text()?;
                            if !t.is_empty() {
                                self.header.frus_id = Some(t);
                            }
                            continue;
                        }
                        "date" => {
                            let typ = attr(&attrs, "type").map(str::to_owned);
                            let range = match (attr(&attrs, "notBefore"), attr(&attrs, "notAfter")) {
                                (Some(a), Some(b)) => Some((a.to_owned(), b.to_owned())),
                                _ => None,
                            };
                            let days = date_attrs(&attrs);
                            let t = self.r.element_text()?;
                            if typ.as_deref() == Some("content-date") && self.header.coverage.is_none() {
                                self.header.coverage = range.and_then(|(a, b)| Some((iso_day(&a)?, iso_day(&b)?)));
                            }
                            if typ.as_deref() == Some("created")
                                && let Some((from, to)) = days
                            {
                                let text = if t.is_empty() { from.clone() } else { t };
                                self.header.created = Some(DocDate { text, from, to });
                            }
                            continue;
                        }
                        "coverage" => {
                            if let (Some(a), Some(b)) = (attr(&attrs, "notBefore"), attr(&attrs, "notAfter"))
                                && let (Some(a), Some(b)) = (iso_day(a), iso_day(b))
                            {
                                self.header.coverage = Some((a, b));
                            }
                        }
                        "ref" if inside(&path, "sourceDesc") => {
                            if let Some(t) = attr(&attrs, "target").filter(|t| t.starts_with("http")) {
                                self.header.source_url.get_or_insert_with(|| t.to_owned());
                            }
                        }
                        "language" => {
                            if let Some(code) = attr(&attrs, "ident").and_then(language::language_code) {
                                self.header.language.get_or_insert_with(|| code.to_owned());
                            }
                        }
                        _ => {}
                    }
                    path.push(l);
                }
                XmlEvent::End { .. } => {
                    if path.pop().is_none() {
                        return Ok(());
                    }
                }
                XmlEvent::Text(_) => {}
            }
        }
    }

    /// Hands all but the last `keep` finished documents to the sink, if there is one.
    fn hand_on(&mut self, keep: usize) {
        if let Some(sink) = self.sink.as_mut() {
            let n = self.docs.len().saturating_sub(keep);
            for doc in self.docs.drain(..n) {
                sink(doc);
                self.emitted += 1;
            }
        }
    }

    fn finish(mut self) -> Vec<Document> {
        if self.docs.is_empty() && self.emitted == 0 {
            // A file without document divs is one document: its whole body, named by the header.
            let mut b = std::mem::take(&mut self.outside);
            if b.title.is_none() {
                b.title = self.header.title.clone();
            }
            if b.source_note.is_none()
                && let Some(i) = b.lines.iter().position(|l| is_source_paragraph(&l.text))
            {
                b.source_note = Some(b.lines.remove(i).text);
            }
            let doc = self.finish_document(b);
            self.docs.push(doc);
        } else if !self.outside.diagnostics.is_empty() {
            let rest = std::mem::take(&mut self.outside.diagnostics);
            if let Some(last) = self.docs.last_mut() {
                last.diagnostics.extend(rest);
            }
        }
        self.hand_on(0);
        self.docs
    }

    fn finish_document(&mut self, mut b: DocBuilder) -> Document {
        let volume = self.volume_id();
        let id = self.document_id(&b, &volume);
        let mut doc = Document { id, reader: "frus".into(), ..Document::default() };

        doc.title = b.title.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| self.title_from_body(&b));
        doc.kind = if b.subtype.as_deref() == Some("editorial-note") {
            "editorial-note".into()
        } else {
            kind_of(&doc.title, self.header.title.as_deref())
        };
        let (date, placeholder) = self.document_date(&b);
        doc.date = date;
        if placeholder {
            doc.diagnostics.push(Diagnostic::info(
                "placeholder-date",
                "the document's dateTime range is the whole volume's coverage, not a date of its own; left undated",
                Some(b.line),
            ));
        }
        doc.place = b.place.clone().or_else(|| b.dateline.as_deref().and_then(place_before_date));

        // The citation: the document's source note, else the file's "Source:" paragraph.
        let citation = b.source_note.clone().or_else(|| {
            self.outside
                .lines
                .iter()
                .map(|l| l.text.clone())
                .find(|t| is_source_paragraph(t))
                .or_else(|| self.outside.source_note.clone())
        });
        if let Some(c) = &citation {
            doc.archival_refs = archival::find_archival_refs(c);
            name_lot_file_archives(c, &mut doc.archival_refs);
            // The classification follows the file reference ("…11–456. Confidential; Niact").
            let after = doc
                .archival_refs
                .last()
                .and_then(|r| c.find(&r.text).map(|i| &c[i + r.text.len()..]))
                .unwrap_or(c.as_str());
            doc.classification = citation::classification(after);
        }
        doc.citation = citation;
        if doc.kind != "editorial-note" {
            doc.authors = b.signed.clone();
        }
        // A FRUS volume is a collection; an Office of the Historian document's header
        // title is only its own title.
        let is_volume = self.header.frus_id.is_some() || self.root_id.as_deref().is_some_and(|r| r.starts_with("frus"));
        doc.collection = if is_volume { self.header.title.clone() } else { None };
        doc.editors = self.header.editors.clone();
        doc.source_url = match (&b.xml_id, self.root_id.is_some() || self.header.frus_id.is_some()) {
            (Some(x), true) => Some(format!("https://history.state.gov/historicaldocuments/{volume}/{x}")),
            _ => self.header.source_url.clone(),
        };
        doc.pages = match (&b.first_page, &b.last_page) {
            (Some(a), Some(z)) if a != z => Some(format!("{a}-{z}")),
            (Some(a), _) | (None, Some(a)) => Some(a.clone()),
            _ => None,
        };
        doc.part = b.part.clone();
        doc.links = std::mem::take(&mut b.links);
        doc.terms = std::mem::take(&mut b.terms);
        doc.diagnostics.append(&mut b.diagnostics);

        let asserted = self.resolve_mentions(&b, &mut doc);
        let (notes, lines) = number_notes(&mut b, &mut doc.diagnostics);
        let all_text: String = lines.iter().take(40).map(|l| l.text.as_str()).collect::<Vec<_>>().join(" ");
        doc.language = self
            .header
            .language
            .clone()
            .or_else(|| language::detect_language(&all_text).map(str::to_owned))
            .unwrap_or_else(|| "en".into());
        fill_structure_with_notes(&mut doc, &lines, notes, &asserted);
        remove_joiners(&mut doc);
        // The corresp of each persName names the volume's entry for the person.
        let mut refs: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
        for (text, target, _) in &b.mentions {
            if let Some(target) = target.as_deref().filter(|t| !t.is_empty() && !text.is_empty()) {
                refs.entry(text.clone()).or_default().insert(target.to_owned());
            }
        }
        crate::extract::persons::attach_refs(&mut doc.persons, &refs);
        doc
    }

    fn document_id(&mut self, b: &DocBuilder, volume: &str) -> String {
        let base = match &b.xml_id {
            Some(x) => format!("{volume}-{x}"),
            None => slug(&self.stem),
        };
        let mut id = base.clone();
        let mut k = 2;
        while !self.ids.insert(id.clone()) {
            id = format!("{base}-{k}");
            k += 1;
        }
        id
    }

    /// A document without a head is named by its first lines ("Attachment 1: Report by
    /// …"), else by the file's title.
    fn title_from_body(&self, b: &DocBuilder) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for l in b.lines.iter().take(2) {
            if l.text.chars().count() > 200 {
                break;
            }
            parts.push(&l.text);
            if l.text.split_whitespace().count() > 4 {
                break;
            }
        }
        if !parts.is_empty() && b.lines.len() > 1 {
            return parts.join(": ");
        }
        self.header
            .title
            .clone()
            .or_else(|| b.n.as_ref().map(|n| format!("Document {n}")))
            .unwrap_or_else(|| self.stem.clone())
    }

    /// The date and whether a placeholder range was dropped.
    fn document_date(&self, b: &DocBuilder) -> (Option<DocDate>, bool) {
        if let Some((text, days)) = &b.date_elem {
            let shown = if text.is_empty() { b.dateline.clone().unwrap_or_default() } else { text.clone() };
            if let Some((from, to)) = days {
                let text = if shown.is_empty() { from.clone() } else { shown };
                return (Some(DocDate { text, from: from.clone(), to: to.clone() }), false);
            }
            if let Some(d) = date::find_date(&shown) {
                return (Some(d), false);
            }
        }
        if let Some(line) = &b.dateline
            && let Some(d) = date::find_date(line)
        {
            // Keep what the dateline prints after the date too ("9:08 a.m. to 12:30 p.m.").
            let text = line.find(&d.text).map_or(d.text.clone(), |i| line[i..].trim().to_owned());
            return (Some(DocDate { text, ..d }), false);
        }
        if let (Some(min), Some(max)) = (&b.datetime.0, &b.datetime.1)
            && let (Some(from), Some(to)) = (iso_day(min), iso_day(max))
        {
            if self.header.coverage.as_ref().is_some_and(|(a, z)| *a == from && *z == to) {
                return (None, true);
            }
            if from <= to {
                let text = if from == to { from.clone() } else { format!("{from}/{to}") };
                return (Some(DocDate { text, from, to }), false);
            }
        }
        (self.header.created.clone(), false)
    }

    /// Mentions become asserted persons; a corresp that the persons list does not
    /// resolve is reported once per target.
    fn resolve_mentions(&self, b: &DocBuilder, doc: &mut Document) -> Vec<String> {
        let mut asserted: Vec<String> = Vec::new();
        let mut reported: HashSet<&str> = HashSet::new();
        for (text, target, line) in &b.mentions {
            if !text.is_empty() && !asserted.contains(text) {
                asserted.push(text.clone());
            }
            let Some(target) = target.as_deref().filter(|t| !t.is_empty()) else { continue };
            match self.persons.get(target) {
                Some(name) => {
                    if !asserted.contains(name) {
                        asserted.push(name.clone());
                    }
                }
                None => {
                    if reported.insert(target) {
                        doc.diagnostics.push(Diagnostic::warning(
                            "unresolved-corresp",
                            format!(
                                "persName \"{text}\" points to #{target}, which is not in the volume's persons list"
                            ),
                            Some(*line),
                        ));
                    }
                }
            }
        }
        asserted
    }
}

/// Gives notes with a mark that is not a number ("*"), or a number already taken, the
/// next free numbers; turns the placeholders into `[n]` markers, after keeping the
/// brackets printed in the text from looking like markers.
fn number_notes(b: &mut DocBuilder, diagnostics: &mut Vec<Diagnostic>) -> (Vec<Note>, Vec<SourceLine>) {
    let mut next = b.notes.iter().filter_map(|n| n.number).max().unwrap_or(0);
    let mut numbers: HashMap<usize, u32> = HashMap::new();
    let mut notes = Vec::with_capacity(b.notes.len());
    for p in b.notes.drain(..) {
        let n = match p.number {
            Some(n) => n,
            None => {
                next += 1;
                diagnostics.push(Diagnostic::info(
                    "note-renumbered",
                    format!("note marked \"{}\" is note {next} here (its mark is not a free number)", p.printed),
                    Some(p.line),
                ));
                next
            }
        };
        numbers.insert(p.placeholder, n);
        notes.push(Note { n, text: p.text, archival_refs: vec![], refs: p.refs, line: Some(p.line) });
    }
    let lines = b
        .lines
        .drain(..)
        .map(|l| {
            let text = PRINTED_BRACKET.replace_all(&l.text, format!("${{1}}{WORD_JOINER}${{2}}"));
            SourceLine::with_role(replace_placeholders(&text, &numbers), l.line, l.role)
        })
        .collect();
    (notes, lines)
}

/// Removes the joiners that kept printed brackets from being read as note markers.
fn remove_joiners(doc: &mut Document) {
    let clean = |s: &mut String| {
        if s.contains(WORD_JOINER) {
            *s = s.replace(WORD_JOINER, "");
        }
    };
    for section in &mut doc.sections {
        if let Some(h) = section.heading.as_mut() {
            clean(h);
        }
        section.presenters.iter_mut().for_each(clean);
        for block in &mut section.blocks {
            clean(&mut block.text);
            block.speakers.iter_mut().for_each(clean);
        }
    }
    for list in &mut doc.participants {
        list.names.iter_mut().for_each(clean);
    }
}

fn replace_placeholders(text: &str, numbers: &HashMap<usize, u32>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(PLACEHOLDER_OPEN) {
        out.push_str(&rest[..i]);
        let after = &rest[i + PLACEHOLDER_OPEN.len_utf8()..];
        match after.find(PLACEHOLDER_CLOSE) {
            Some(j) => {
                if let Some(n) = after[..j].parse::<usize>().ok().and_then(|p| numbers.get(&p)) {
                    out.push_str(&format!("[{n}]"));
                }
                rest = &after[j + PLACEHOLDER_CLOSE.len_utf8()..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// The text without the markers this reader put into it.
fn strip_markers(text: &str, markers: &[String]) -> String {
    let mut out = text.to_owned();
    for m in markers {
        out = out.replace(m.as_str(), "");
    }
    out
}

/// Collapses whitespace and keeps the paragraph breaks of a note as blank lines.
fn tidy(text: &str) -> String {
    text.split(PARA_SEP).map(collapse_whitespace).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n\n")
}

/// "162. Transcript of …" → "Transcript of …" (the number is the document's `n`).
fn strip_head_number(head: &str, n: Option<&str>) -> String {
    if let Some(rest) = n.and_then(|n| head.strip_prefix(n)).and_then(|r| r.strip_prefix('.')) {
        return rest.trim().to_owned();
    }
    HEAD_NUMBER.replace(head, "").trim().to_owned()
}

/// The kind from the title, with what the Office of the Historian's files add: a
/// meeting's record is its minutes, a correspondence's items are letters.
fn kind_of(title: &str, file_title: Option<&str>) -> String {
    let kind = citation::guess_kind(title);
    let lower = title.to_lowercase();
    if kind == "record-of-conversation" && lower.contains("meeting") && !lower.contains("conversation") {
        return "minutes".into();
    }
    if kind == "record" && file_title.is_some_and(|t| t.to_lowercase().contains("correspondence")) {
        return "letter".into();
    }
    kind
}

/// The day part of an ISO date or dateTime ("1956-11-04T17:00:00+01:00" → "1956-11-04");
/// a month or year gives its first day.
fn iso_day(value: &str) -> Option<String> {
    let day = value.trim().split('T').next()?;
    date::parse_date(day).map(|d| d.from)
}

/// The ISO days of a TEI date's attributes: `when`, `from`/`to`, `notBefore`/`notAfter`.
fn date_attrs(attrs: &[(String, String)]) -> Option<(String, String)> {
    let range = |a: &str| {
        let day = a.trim().split('T').next()?;
        date::parse_date(day).map(|d| (d.from, d.to))
    };
    if let Some(w) = attr(attrs, "when") {
        return range(w);
    }
    let from = attr(attrs, "from").or(attr(attrs, "notBefore"));
    let to = attr(attrs, "to").or(attr(attrs, "notAfter"));
    match (from.and_then(range), to.and_then(range)) {
        (Some((a, _)), Some((_, z))) if a <= z => Some((a, z)),
        (Some(a), None) => Some(a),
        (None, Some(z)) => Some(z),
        _ => None,
    }
}

/// "Athens, August 19, 2002, 1425Z" → "Athens": the words before the date of a dateline.
fn place_before_date(dateline: &str) -> Option<String> {
    let d = date::find_date(dateline)?;
    let i = dateline.find(&d.text)?;
    let place = dateline[..i].trim().trim_end_matches(',').trim();
    let plausible = !place.is_empty()
        && place.chars().count() <= 80
        && place.chars().next().is_some_and(char::is_uppercase)
        && !place.chars().any(|c| c.is_ascii_digit());
    plausible.then(|| place.to_owned())
}

/// "Department of State, Bureau of Public Affairs, …, Advisory Committee … Files,
/// 1957-1990 (Lot File 96 D 292), Box 1": the shared parser finds the lot file but not
/// the long series name before it, which is the archive the file belongs to.
fn name_lot_file_archives(citation: &str, refs: &mut [opis_model::ArchivalRef]) {
    for r in refs.iter_mut().filter(|r| r.archive.is_empty() && r.text.starts_with("Lot")) {
        let Some(i) = citation.find(&r.text) else { continue };
        let before = citation[..i].trim_end().trim_end_matches('(');
        let sentence = before.rsplit(". ").next().unwrap_or(before);
        let archive = sentence.trim_start_matches("Source:").trim().trim_end_matches([',', ' ']);
        if archive.split_whitespace().count() >= 2 {
            r.archive = archive.to_owned();
        }
    }
}

/// The "Source: …" paragraph an Office of the Historian file puts before its documents.
fn is_source_paragraph(text: &str) -> bool {
    text.starts_with("Source:") || (text.starts_with("Department of State") && text.contains("Files"))
}

/// The volume's persons list: `xml:id` of each `<persName>` in it → the name as listed.
fn read_persons_list(path: &Path, text: &str) -> Result<HashMap<String, String>> {
    let mut r = XmlReader::new(path, text);
    let mut persons = HashMap::new();
    // Depth inside a persons list; 0 outside.
    let mut depth = 0usize;
    while let Some(ev) = r.next()? {
        match ev {
            XmlEvent::Start { name, attrs } => {
                let l = local(&name);
                if depth == 0 {
                    if l == "list" && attr(&attrs, "type") == Some("persons") {
                        depth = 1;
                    }
                    continue;
                }
                if l == "persName"
                    && let Some(id) = attr(&attrs, "xml:id").map(str::to_owned)
                {
                    let name = r.element_text()?;
                    persons.insert(id, name);
                    continue;
                }
                depth += 1;
            }
            XmlEvent::End { .. } => depth = depth.saturating_sub(1),
            XmlEvent::Text(_) => {}
        }
    }
    Ok(persons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_numbers_and_kinds() {
        assert_eq!(strip_head_number("162. Transcript of a Teletype", Some("162")), "Transcript of a Teletype");
        assert_eq!(strip_head_number("164. Editorial Note", None), "Editorial Note");
        assert_eq!(kind_of("Record of the 1968 Meeting of the Advisory Committee", None), "minutes");
        assert_eq!(kind_of("Freund to George F. Kennan", Some("Correspondence Between Leopold and Kennan")), "letter");
        assert_eq!(kind_of("Telegram From the Embassy in France to the Department of State", None), "telegram");
    }

    #[test]
    fn dates_from_attributes_and_datelines() {
        let attrs = |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        assert_eq!(
            date_attrs(&attrs(&[("when", "1956-11-04T17:00:00+01:00")])),
            Some(("1956-11-04".into(), "1956-11-04".into()))
        );
        assert_eq!(
            date_attrs(&attrs(&[("from", "1956-11-03"), ("to", "1956-11-04")])),
            Some(("1956-11-03".into(), "1956-11-04".into()))
        );
        assert_eq!(place_before_date("Athens, August 19, 2002, 1425Z").as_deref(), Some("Athens"));
        assert_eq!(place_before_date("November 4, 1960 9:08 a.m. to 12:30 p.m."), None);
    }

    #[test]
    fn placeholders_get_their_numbers() {
        let numbers: HashMap<usize, u32> = [(1, 4)].into();
        let text = format!("Bishop, Jr.{PLACEHOLDER_OPEN}1{PLACEHOLDER_CLOSE} and");
        assert_eq!(replace_placeholders(&text, &numbers), "Bishop, Jr.[4] and");
    }
}
