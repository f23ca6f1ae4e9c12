//! Akoma Ntoso debate records (final 3.0 and the WD17 draft namespace): `<debateSection>` as sections, `<speech by>` as turns.
//!
//! Elements are matched by local name, so the final namespace
//! (`http://docs.oasis-open.org/legaldocml/ns/akn/3.0`) and the WD17 draft
//! (`…/akn/3.0/WD17`) read alike; another namespace is read too, with a diagnostic.
//!
//! - Metadata: the id is a slug of the Work's `FRBRuri` (else its `FRBRthis`, else the file
//!   stem); the title is the `<docTitle>`, else `FRBRname`, else the cover page's `<session>`
//!   line; the date is the `<docDate>`, else the first `<date>` of the cover page or preface
//!   (the sitting's day: the Work's `FRBRdate` of the Chilean example is a later mark-up
//!   date), else the Work's `FRBRdate`; the language is `FRBRlanguage` (3-letter codes
//!   become ISO 639-1).
//! - Body: every hierarchical container of `<debateBody>` (`<debateSection>`, `<prayers>`,
//!   `<rollCall>`, `<adjournment>`…) that has a `<heading>` opens a section, its `<num>`
//!   before the heading as printed; a `<debateSection>` without one opens a headless
//!   section. Nesting is flattened in reading order: content of a parent that follows a
//!   nested section opens a headless continuation section, so no block is filed under a
//!   heading it does not stand under.
//! - `<speech>`, `<question>`, `<answer>` are turns: the speaker is the printed `<from>`
//!   ("El señor ASCENCIO (Presidente).-" → speaker "ASCENCIO", role "Presidente"),
//!   resolved through the `<TLCPerson>`/`<TLCRole>` `showAs` of `by` only when there is no
//!   `<from>`: the references of the examples are unreliable (`by="#persona"` is "any
//!   person"; `by="#alfa"` on "Mr. Speaker"), the printed label is what the record says.
//! - `<p>`, `<narrative>`, `<summary>` are paragraphs (the record's own prose); `<scene>`
//!   ("(Applause)") is a section annotation, as ParlaMint's `<kinesic>` is.
//! - `<noteRef marker>` anchors the `<meta><notes>` note it points to.
//!
//! The cover page, the preface's table of contents and the conclusions are metadata, not
//! sections.

use std::collections::HashMap;
use std::path::Path;

use opis_model::{Annotation, Block, BlockKind, DocDate, Document, Note, Section};

use crate::error::{FormatError, Result};
use crate::extract::persons::collect_persons;
use crate::parlamint::{Paragraphs, TextBuf, attr_date, lang_code, merge_same_name};
use crate::record::slug;
use crate::xml::{XmlEvent, XmlReader, attr, collapse_whitespace, local};

/// The hierarchical containers of a debate body.
pub const CONTAINERS: &[&str] = &[
    "debateSection",
    "administrationOfOath",
    "rollCall",
    "prayers",
    "oralStatements",
    "writtenStatements",
    "personalStatements",
    "ministerialStatements",
    "resolutions",
    "nationalInterest",
    "declarationOfVote",
    "communication",
    "petitions",
    "papers",
    "noticesOfMotion",
    "questions",
    "address",
    "proceduralMotions",
    "pointOfOrder",
    "adjournment",
];

/// Deeper nesting than this is refused rather than recursed into (a hostile file must not
/// exhaust the stack).
const MAX_DEPTH: usize = 200;

const KNOWN_NAMESPACES: &[&str] =
    &["http://docs.oasis-open.org/legaldocml/ns/akn/3.0", "http://docs.oasis-open.org/legaldocml/ns/akn/3.0/WD17"];

/// Reads every document in `text` (the content of `path`).
pub fn parse_akoma(path: &Path, text: &str) -> Result<Vec<Document>> {
    let mut r = XmlReader::new(path, text);
    let mut docs = Vec::new();
    let mut other_types: Vec<String> = Vec::new();
    let mut namespace_note = None;
    let mut depth = 0usize;
    while let Some(ev) = r.next()? {
        match ev {
            XmlEvent::Start { name, attrs } => {
                let el = local(&name).to_owned();
                if depth == 0 {
                    if el != "akomaNtoso" {
                        return Err(FormatError::Unrecognized {
                            path: path.to_owned(),
                            reason: format!("root element <{name}>; an Akoma Ntoso document has <akomaNtoso>"),
                        });
                    }
                    let ns = attr(&attrs, "xmlns").unwrap_or("");
                    if !KNOWN_NAMESPACES.contains(&ns.trim_end_matches('/')) {
                        namespace_note = Some(opis_model::Diagnostic::info(
                            "akn-namespace",
                            format!("namespace \"{ns}\" is neither Akoma Ntoso 3.0 nor its WD17 draft; read as 3.0"),
                            Some(r.line()),
                        ));
                    }
                    depth = 1;
                } else if el == "debate" || el == "debateReport" {
                    let mut doc = read_debate(&mut r, path, &attrs)?;
                    doc.diagnostics.extend(namespace_note.clone());
                    docs.push(doc);
                } else {
                    other_types.push(el);
                    r.skip_element()?;
                }
            }
            XmlEvent::End { .. } => depth = depth.saturating_sub(1),
            XmlEvent::Text(_) => {}
        }
    }
    if docs.is_empty() {
        let found =
            if other_types.is_empty() { "nothing".to_owned() } else { format!("<{}>", other_types.join(">, <")) };
        return Err(FormatError::Unrecognized {
            path: path.to_owned(),
            reason: format!("Akoma Ntoso holding {found}; opis reads debate records (<debate>)"),
        });
    }
    Ok(docs)
}

/// A `<noteRef>`: the id of the note it points to and its printed marker.
type NoteRefAt = (String, Option<u32>);

/// Metadata gathered from `<meta>`, the cover page and the preface.
#[derive(Debug, Default)]
struct Meta {
    work_uri: Option<String>,
    work_this: Option<String>,
    work_date: Option<DocDate>,
    frbr_name: Option<String>,
    language: Option<String>,
    /// eId/id → showAs of the TLC references (persons, roles…).
    tlc: HashMap<String, String>,
    /// (eId, text) of the `<meta><notes>` notes, in order.
    notes: Vec<(String, String)>,
    doc_title: Option<String>,
    doc_date: Option<DocDate>,
    first_date: Option<DocDate>,
    session: Option<String>,
}

/// What the body reader builds.
#[derive(Debug, Default)]
struct Body {
    sections: Vec<Section>,
    /// The current section is closed: the next content opens a headless one.
    reopen: bool,
    /// (note eId, marker) of every `<noteRef>` in reading order, with the block it stands in.
    note_refs: Vec<(String, Option<u32>, usize, usize)>,
    speakers: Vec<String>,
}

impl Body {
    fn open(&mut self, heading: Option<String>) {
        self.sections.push(Section { heading, ..Default::default() });
        self.reopen = false;
    }

    fn current(&mut self) -> &mut Section {
        if self.sections.is_empty() || self.reopen {
            self.open(None);
        }
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }

    fn push(&mut self, block: Block, refs: Vec<NoteRefAt>) {
        let section = self.current();
        section.blocks.push(block);
        let (s, b) = (self.sections.len() - 1, self.sections[self.sections.len() - 1].blocks.len() - 1);
        for (id, marker) in refs {
            self.note_refs.push((id, marker, s, b));
        }
    }
}

fn read_debate(r: &mut XmlReader<'_>, path: &Path, _attrs: &[(String, String)]) -> Result<Document> {
    let mut meta = Meta::default();
    let mut body = Body::default();
    loop {
        match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside <debate>")),
            Some(XmlEvent::Start { name, .. }) => match local(&name) {
                "meta" => read_meta(r, &mut meta)?,
                "coverPage" | "preface" => read_front(r, &mut meta)?,
                "debateBody" => read_children(r, &mut body, &meta, 1, false)?,
                _ => r.skip_element()?,
            },
            Some(XmlEvent::End { .. }) => break,
            Some(XmlEvent::Text(_)) => {}
        }
    }

    // A headless section left with nothing in it only marks where a nested one began.
    body.sections.retain(|s| s.heading.is_some() || !s.blocks.is_empty() || !s.annotations.is_empty());
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("debate");
    let id = meta.work_uri.as_deref().or(meta.work_this.as_deref()).map(slug).unwrap_or_else(|| slug(stem));
    let title = meta
        .doc_title
        .clone()
        .or_else(|| meta.frbr_name.clone())
        .or_else(|| meta.session.clone())
        .unwrap_or_else(|| stem.to_owned());
    let mut diagnostics = Vec::new();
    let language = match meta.language.as_deref().and_then(lang_code) {
        Some(l) => l,
        None => {
            diagnostics.push(opis_model::Diagnostic::warning(
                "language-unknown",
                format!("FRBRlanguage {:?} is not a language opis knows", meta.language.as_deref().unwrap_or("")),
                None,
            ));
            "und".into()
        }
    };

    // Notes: numbered by the marker that points to them, else in order after the markers.
    let mut numbers: HashMap<String, u32> = HashMap::new();
    for (id, marker, _, _) in &body.note_refs {
        if let Some(m) = marker {
            numbers.entry(id.clone()).or_insert(*m);
        }
    }
    let mut next = numbers.values().copied().max().unwrap_or(0) + 1;
    let mut notes = Vec::new();
    for (id, text) in &meta.notes {
        let n = *numbers.entry(id.clone()).or_insert_with(|| {
            next += 1;
            next - 1
        });
        notes.push(Note { n, text: text.clone(), archival_refs: vec![], refs: vec![], line: None });
    }
    let known: HashMap<&str, u32> =
        meta.notes.iter().filter_map(|(id, _)| Some((id.as_str(), *numbers.get(id)?))).collect();
    for (id, _, s, b) in &body.note_refs {
        let block = body.sections.get_mut(*s).and_then(|sec| sec.blocks.get_mut(*b));
        match (known.get(id.as_str()), block) {
            (Some(n), Some(block)) if !block.notes.contains(n) => block.notes.push(*n),
            (None, block) => diagnostics.push(opis_model::Diagnostic::warning(
                "marker-without-note",
                format!("<noteRef href=\"#{id}\"> points to no note in <meta><notes>"),
                block.and_then(|b| b.line),
            )),
            _ => {}
        }
    }
    for note in &notes {
        if !body.note_refs.iter().any(|(id, ..)| numbers.get(id) == Some(&note.n)) {
            diagnostics.push(opis_model::Diagnostic::warning(
                "note-never-referenced",
                format!("note {} is never referenced in the text", note.n),
                None,
            ));
        }
    }

    let mut doc = Document {
        id,
        title,
        date: meta.doc_date.clone().or_else(|| meta.first_date.clone()).or_else(|| meta.work_date.clone()),
        kind: "debate".into(),
        language,
        sections: body.sections,
        notes,
        reader: "akoma-ntoso".into(),
        diagnostics,
        ..Default::default()
    };
    let mut asserted: Vec<String> = Vec::new();
    for s in body.speakers {
        if !asserted.contains(&s) {
            asserted.push(s);
        }
    }
    doc.persons = merge_same_name(collect_persons(&doc, &asserted));
    Ok(doc)
}

/// Reads `<meta>` just opened: FRBR identification, TLC references and notes.
fn read_meta(r: &mut XmlReader<'_>, meta: &mut Meta) -> Result<()> {
    let mut stack: Vec<String> = vec!["meta".into()];
    while !stack.is_empty() {
        let ev = match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside <meta>")),
            Some(ev) => ev,
        };
        match ev {
            XmlEvent::Start { name, attrs } => {
                let el = local(&name).to_owned();
                let in_work = stack.iter().any(|s| s == "FRBRWork");
                let value = attr(&attrs, "value").map(str::to_owned);
                match el.as_str() {
                    "FRBRuri" if in_work => meta.work_uri = meta.work_uri.take().or(value),
                    "FRBRthis" if in_work => meta.work_this = meta.work_this.take().or(value),
                    "FRBRname" if in_work => meta.frbr_name = meta.frbr_name.take().or(value),
                    "FRBRdate" if in_work && meta.work_date.is_none() => meta.work_date = attr_date(&attrs, ""),
                    "FRBRlanguage" if meta.language.is_none() => {
                        meta.language = attr(&attrs, "language").map(str::to_owned);
                    }
                    e if e.starts_with("TLC") => {
                        let id = attr(&attrs, "eId").or_else(|| attr(&attrs, "id"));
                        if let (Some(id), Some(show)) = (id, attr(&attrs, "showAs")) {
                            meta.tlc.entry(id.to_owned()).or_insert_with(|| collapse_whitespace(show));
                        }
                    }
                    "note" if stack.iter().any(|s| s == "notes") => {
                        let id = attr(&attrs, "eId").or_else(|| attr(&attrs, "id")).unwrap_or("").to_owned();
                        let text = r.element_text()?;
                        meta.notes.push((id, text));
                        continue;
                    }
                    _ => {}
                }
                stack.push(el);
            }
            XmlEvent::End { .. } => {
                stack.pop();
            }
            XmlEvent::Text(_) => {}
        }
    }
    Ok(())
}

/// Reads the cover page or preface just opened, for the title and the sitting's date.
fn read_front(r: &mut XmlReader<'_>, meta: &mut Meta) -> Result<()> {
    let mut depth = 1usize;
    while depth > 0 {
        match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside the preface")),
            Some(XmlEvent::Start { name, attrs }) => match local(&name) {
                "docTitle" => {
                    let t = r.element_text()?;
                    if meta.doc_title.is_none() && !t.is_empty() {
                        meta.doc_title = Some(t);
                    }
                }
                "docDate" => {
                    let t = r.element_text()?;
                    if meta.doc_date.is_none() {
                        meta.doc_date = attr_date(&attrs, &t);
                    }
                }
                "date" => {
                    let t = r.element_text()?;
                    if meta.first_date.is_none() {
                        meta.first_date = attr_date(&attrs, &t);
                    }
                }
                "session" => {
                    // Its <date> is the sitting's day; read the text and the date together.
                    let (t, date) = text_and_date(r)?;
                    if meta.session.is_none() && !t.is_empty() {
                        meta.session = Some(t);
                    }
                    if meta.first_date.is_none() {
                        meta.first_date = date;
                    }
                }
                "toc" => r.skip_element()?,
                _ => depth += 1,
            },
            Some(XmlEvent::End { .. }) => depth -= 1,
            Some(XmlEvent::Text(_)) => {}
        }
    }
    Ok(())
}

/// The text of the element just opened, and its first `<date date>`.
fn text_and_date(r: &mut XmlReader<'_>) -> Result<(String, Option<DocDate>)> {
    let mut buf = TextBuf::default();
    let mut date = None;
    let mut depth = 1usize;
    while depth > 0 {
        match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside an element")),
            Some(XmlEvent::Start { name, attrs }) if local(&name) == "date" && date.is_none() => {
                let t = r.element_text()?;
                buf.push_text(&t);
                date = attr_date(&attrs, &t);
            }
            Some(XmlEvent::Start { .. }) => depth += 1,
            Some(XmlEvent::End { .. }) => depth -= 1,
            Some(XmlEvent::Text(t)) => buf.push_text(&t),
        }
    }
    Ok((buf.into_string(), date))
}

/// Inline text of the element just opened (a `<p>`, `<heading>`, `<from>`…) with the
/// `<noteRef>`s in it: (note id, marker).
fn read_inline(r: &mut XmlReader<'_>, buf: &mut TextBuf) -> Result<Vec<NoteRefAt>> {
    let mut refs = Vec::new();
    let mut depth = 1usize;
    while depth > 0 {
        match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside an element")),
            Some(XmlEvent::Start { name, attrs }) => match local(&name) {
                "noteRef" => {
                    let id = attr(&attrs, "href").unwrap_or("").trim_start_matches('#').to_owned();
                    let marker = attr(&attrs, "marker").and_then(|m| m.trim().parse().ok());
                    refs.push((id, marker));
                    r.skip_element()?;
                }
                "eol" | "eop" | "br" => {
                    buf.boundary();
                    r.skip_element()?;
                }
                "authorialNote" => r.skip_element()?,
                _ => depth += 1,
            },
            Some(XmlEvent::End { .. }) => depth -= 1,
            Some(XmlEvent::Text(t)) => buf.push_text(&t),
        }
    }
    Ok(refs)
}

fn inline_text(r: &mut XmlReader<'_>) -> Result<(String, Vec<NoteRefAt>)> {
    let mut buf = TextBuf::default();
    let refs = read_inline(r, &mut buf)?;
    Ok((buf.into_string(), refs))
}

/// Reads the children of a container just opened (or of `<debateBody>`), up to its end tag.
/// `headless_section`: the container is a `<debateSection>`, which opens a section even
/// without a heading.
fn read_children(
    r: &mut XmlReader<'_>,
    body: &mut Body,
    meta: &Meta,
    level: usize,
    headless_section: bool,
) -> Result<()> {
    if level > MAX_DEPTH {
        return Err(r.error_at(r.position(), format!("containers nested deeper than {MAX_DEPTH} levels")));
    }
    let mut num: Option<String> = None;
    // Has this container opened its section yet (by its heading, or as a headless debateSection)?
    let mut opened = false;
    let open_headless = |body: &mut Body, opened: &mut bool| {
        if headless_section && !*opened {
            body.open(None);
            *opened = true;
        }
    };
    loop {
        let ev = match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside the debate body")),
            Some(ev) => ev,
        };
        match ev {
            XmlEvent::Start { name, attrs } => {
                let el = local(&name).to_owned();
                let line = r.line();
                match el.as_str() {
                    "num" => {
                        let t = r.element_text()?;
                        if !t.is_empty() {
                            num = Some(t);
                        }
                    }
                    "heading" if !opened => {
                        let (t, _) = inline_text(r)?;
                        let heading = match num.take() {
                            Some(n) => collapse_whitespace(&format!("{n} {t}")),
                            None => t,
                        };
                        body.open((!heading.is_empty()).then_some(heading));
                        opened = true;
                    }
                    "heading" | "subheading" | "p" | "narrative" | "summary" => {
                        open_headless(body, &mut opened);
                        let (text, refs) = inline_text(r)?;
                        if !text.is_empty() {
                            let block =
                                Block { kind: BlockKind::Paragraph, text, line: Some(line), ..Default::default() };
                            body.push(block, refs);
                        }
                    }
                    "scene" => {
                        open_headless(body, &mut opened);
                        let text = r.element_text()?;
                        let section = body.current();
                        let at = section.blocks.len() as u32;
                        section.annotations.push(Annotation {
                            kind: "scene".into(),
                            r#type: attr(&attrs, "type").map(str::to_owned),
                            text,
                            at: Some(at),
                        });
                    }
                    "speech" | "question" | "answer" => {
                        open_headless(body, &mut opened);
                        let (mut block, refs, speaker) = read_speech(r, &attrs, meta)?;
                        block.line = Some(line);
                        body.speakers.extend(speaker);
                        body.push(block, refs);
                    }
                    c if CONTAINERS.contains(&c) => {
                        let before = body.sections.len();
                        read_children(r, body, meta, level + 1, c == "debateSection")?;
                        if body.sections.len() > before {
                            // The nested container filed its own section(s): what this one
                            // still holds stands outside them.
                            body.reopen = true;
                        }
                    }
                    "toc" | "meta" => r.skip_element()?,
                    // Wrappers (<other>, <blockList>, <container>…): their paragraphs count.
                    _ => {
                        read_children(r, body, meta, level + 1, false)?;
                    }
                }
            }
            XmlEvent::End { .. } => break,
            XmlEvent::Text(t) => {
                if !t.trim().is_empty() {
                    open_headless(body, &mut opened);
                    let block =
                        Block { kind: BlockKind::Paragraph, text: collapse_whitespace(&t), ..Default::default() };
                    body.push(block, vec![]);
                }
            }
        }
    }
    if opened {
        // This container's section is over; whatever follows belongs to the parent.
        body.reopen = true;
    }
    Ok(())
}

/// Reads a `<speech>`/`<question>`/`<answer>` just opened into a turn.
fn read_speech(
    r: &mut XmlReader<'_>,
    attrs: &[(String, String)],
    meta: &Meta,
) -> Result<(Block, Vec<NoteRefAt>, Option<String>)> {
    let mut paras = Paragraphs::default();
    let mut refs = Vec::new();
    let mut label: Option<String> = None;
    let mut depth = 1usize;
    while depth > 0 {
        match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside a speech")),
            Some(XmlEvent::Start { name, attrs: a }) => match local(&name) {
                "from" if label.is_none() => {
                    let (t, rf) = inline_text(r)?;
                    refs.extend(rf);
                    // "El señor ULLOA.- Señor Presidente, …": the speech starts inside <from>.
                    let (l, rest) = match t.split_once(".-") {
                        Some((l, rest)) => (l.to_owned(), rest.trim().to_owned()),
                        None => (t.clone(), String::new()),
                    };
                    label = Some(l);
                    if !rest.is_empty() {
                        paras.open();
                        paras.buf().push_text(&rest);
                        paras.close();
                    }
                }
                "scene" | "narrative" | "summary" => {
                    let kind = local(&name).to_owned();
                    let text = r.element_text()?;
                    paras.annotate(Annotation { kind, r#type: attr(&a, "type").map(str::to_owned), text, at: None });
                }
                "num" | "heading" | "subheading" | "p" | "from" => {
                    paras.open();
                    let rf = read_inline(r, paras.buf())?;
                    refs.extend(rf);
                    paras.close();
                }
                _ => depth += 1,
            },
            Some(XmlEvent::End { .. }) => depth -= 1,
            Some(XmlEvent::Text(t)) => {
                if !t.trim().is_empty() {
                    paras.buf().push_text(&t);
                }
            }
        }
    }
    let (mut text, mut annotations) = paras.finish();
    if label.is_none() {
        // Without <from>, the Chilean record prints the label at the head of the first
        // paragraph ("El señor ASCENCIO (Presidente).- ¿Habría acuerdo …").
        if let Some((l, rest)) = label_in_text(&text) {
            let cut = (text.chars().count() - rest.chars().count()) as u32;
            for a in &mut annotations {
                a.at = a.at.map(|at| at.saturating_sub(cut));
            }
            label = Some(l);
            text = rest;
        }
    }
    let by = attr(attrs, "by").map(|b| b.trim().trim_start_matches('#').to_owned()).filter(|b| !b.is_empty());
    let as_role = attr(attrs, "as")
        .map(|a| a.trim().trim_start_matches('#'))
        .filter(|a| !a.is_empty())
        .map(|a| meta.tlc.get(a).cloned().unwrap_or_else(|| a.to_owned()));
    let (speaker, printed_role) = match label.as_deref().map(speaker_from_label) {
        Some((s, role)) if !s.is_empty() => (Some(s), role),
        _ => (by.as_ref().map(|b| meta.tlc.get(b).cloned().unwrap_or_else(|| b.clone())), None),
    };
    let block = Block {
        kind: BlockKind::Turn,
        speakers: speaker.clone().into_iter().collect(),
        text,
        annotations,
        id: attr(attrs, "eId").or_else(|| attr(attrs, "id")).map(str::to_owned),
        role: as_role.or(printed_role),
        ..Default::default()
    };
    Ok((block, refs, speaker))
}

/// "El señor URRUTIA.- Perdón, …" → ("El señor URRUTIA", "Perdón, …"): a speaker label at the
/// head of a speech's text, recognised by its honorific or an upper-case name before ".-".
fn label_in_text(text: &str) -> Option<(String, String)> {
    let (head, rest) = text.split_once(".-")?;
    if head.chars().count() > 80 || head.contains('\n') {
        return None;
    }
    let head = head.trim();
    let first = head.split_whitespace().next()?;
    let upper_name = first.chars().any(char::is_alphabetic) && !first.chars().any(char::is_lowercase);
    if strip_honorific(head) == head && !upper_name {
        return None;
    }
    Some((head.to_owned(), rest.trim_start().to_owned()))
}

/// Honorifics dropped before a speaker's name, as "Cde." is in the record layout.
const HONORIFICS: &[&str] = &[
    "El señor",
    "La señora",
    "El señor diputado",
    "La señora diputada",
    "Señor",
    "Señora",
    "Mr.",
    "Mr",
    "Mrs.",
    "Mrs",
    "Ms.",
    "Ms",
    "Dr.",
    "Hon.",
];

/// Offices addressed with an honorific ("Mr. Speaker"): the honorific is part of the title.
const OFFICES: &[&str] = &["Speaker", "Deputy", "Chairman", "Chairperson", "Chair", "President", "Vice", "Clerk"];

fn strip_honorific(s: &str) -> &str {
    let mut best = s;
    for h in HONORIFICS {
        if let Some(rest) = s.strip_prefix(h) {
            let office = rest.split_whitespace().next().is_some_and(|w| OFFICES.contains(&w));
            if rest.starts_with(char::is_whitespace) && !rest.trim().is_empty() && !office && rest.len() < best.len() {
                best = rest.trim_start();
            }
        }
    }
    best
}

/// A printed `<from>` label → (speaker, role).
///
/// "El señor ASCENCIO (Presidente)" → ("ASCENCIO", "Presidente"); "Minister for the Interior
/// (Mr Iota)" → ("Iota", "Minister for the Interior"); "El señor LETELIER (don Juan Pablo)"
/// keeps the given name; "El señor FORNI (de pie)" drops the stage direction; "Mr. Alfa:" → "Alfa".
fn speaker_from_label(label: &str) -> (String, Option<String>) {
    let label = collapse_whitespace(label);
    let label = label.trim().trim_end_matches([':', '.', '-', '–', '—', ',']).trim().to_owned();
    let (outer, paren) = match (label.rfind('('), label.ends_with(')')) {
        (Some(open), true) => {
            (label[..open].trim().to_owned(), Some(label[open + 1..label.len() - 1].trim().to_owned()))
        }
        _ => (label.clone(), None),
    };
    let outer_name = strip_honorific(&outer).to_owned();
    match paren {
        None => (outer_name, None),
        Some(p) if p.is_empty() => (outer_name, None),
        Some(p) if ["Mr", "Mrs", "Ms", "Dr", "Hon", "Sr", "Sra"].iter().any(|h| p.starts_with(h)) => {
            (strip_honorific(&p).to_owned(), (!outer.is_empty()).then_some(outer))
        }
        Some(p) if p.starts_with("don ") || p.starts_with("doña ") => (format!("{outer_name} ({p})"), None),
        Some(p) if p.starts_with(char::is_lowercase) => (outer_name, None),
        Some(p) => (outer_name, Some(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(
            speaker_from_label("El señor ASCENCIO (Presidente).- "),
            ("ASCENCIO".into(), Some("Presidente".into()))
        );
        assert_eq!(
            speaker_from_label("Minister for the Interior (Mr Iota): "),
            ("Iota".into(), Some("Minister for the Interior".into()))
        );
        assert_eq!(speaker_from_label("El señor FORNI (de pie).- "), ("FORNI".into(), None));
        assert_eq!(
            speaker_from_label("El señor LETELIER (don Juan Pablo)"),
            ("LETELIER (don Juan Pablo)".into(), None)
        );
        assert_eq!(speaker_from_label("\nMr. Epsilon: "), ("Epsilon".into(), None));
        assert_eq!(speaker_from_label("The  Speaker:"), ("The Speaker".into(), None));
    }
}
