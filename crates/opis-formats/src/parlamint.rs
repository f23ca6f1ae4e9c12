//! ParlaMint TEI sittings (plain and `.ana.xml`) and teiCorpus roots: one Document per sitting, each `<u>` a turn.
//!
//! A sitting (`<TEI>`) becomes one [`Document`]: its id is the sitting's `xml:id`, its
//! sections are the `<div>`s of the body (the `<head>` as heading, `None` without one),
//! and each `<u who ana xml:id>` is one turn whose text is its `<seg>`s joined by blank
//! lines. In `.ana.xml` files the text is rebuilt from the `<w>`/`<pc>` tokens: a space
//! between tokens unless the first carries `join="right"`.
//!
//! Transcribers' remarks (`<note>`, `<kinesic>`, `<vocal>`, `<incident>`, `<gap>`,
//! `<time>`) never enter the speech text. Inside a `<u>` (also inside a `<seg>`, as
//! ParlaMint-SK has them) they become the turn's `annotations`, with the character
//! offset where they stood. Between `<u>`s they become the *section's* `annotations`,
//! with the index of the block they precede: they are not the next or the previous
//! speaker's words (a "Präsident Karlheinz Kopf" speaker label, "(Beifall bei der ÖVP.)"),
//! and paragraph blocks would put them into the searchable speech.
//!
//! Speakers are resolved to display names ("Karlheinz Kopf": forenames, name links and
//! surnames of the person's first `<persName>`) through the `listPerson`s that ParlaMint
//! spreads over several places: the sitting itself (ParlaMint-AT carries a
//! `<back><listPerson>`), the teiCorpus root (inline, or through its `xi:include` of a
//! `*-listPerson.xml`), and `*-listPerson.xml` files beside the sitting. An id that no list
//! knows stays as the speaker, without its `#`; a `who` that is free text rather than a
//! reference (ParlaMint-SK: "Hrnčiar, Andrej, podpredseda NR SR") becomes "Andrej Hrnčiar".
//!
//! A teiCorpus root yields the documents of every component sitting it includes that
//! exists. An `xi:include` whose file is missing is a `missing-include` diagnostic of the
//! file (not of any sitting); when no component at all can be read, the root is an error that says
//! how many were missing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use opis_model::{Annotation, Block, BlockKind, DocDate, Document, PersonMention, Section};

use crate::error::{FormatError, Result};
use crate::extract::{date::parse_date, language, persons::collect_persons};
use crate::input::decode;
use crate::xml::{XmlEvent, XmlReader, attr, collapse_whitespace, local};

/// Elements that hold a transcriber's remark rather than speech.
const ANNOTATIONS: &[&str] = &["note", "kinesic", "vocal", "incident", "gap", "time"];

/// How deep teiCorpus roots may include other teiCorpus roots (guards include cycles).
const MAX_CORPUS_DEPTH: usize = 4;

/// Reads every document in `text` (the content of `path`).
pub fn parse_parlamint(path: &Path, text: &str) -> Result<Vec<Document>> {
    Ok(parse_parlamint_file(path, text)?.0)
}

/// As [`parse_parlamint`], with the diagnostics that concern the file rather than one
/// sitting (a corpus root's missing `xi:include`s). They are kept apart so that a
/// sitting read through its corpus root is the same document as read on its own.
pub fn parse_parlamint_file(path: &Path, text: &str) -> Result<(Vec<Document>, Vec<opis_model::Diagnostic>)> {
    let mut file_diagnostics = Vec::new();
    let docs = parse_at_depth(path, text, 0, &mut file_diagnostics)?;
    Ok((docs, file_diagnostics))
}

fn parse_at_depth(
    path: &Path,
    text: &str,
    depth: usize,
    file_diagnostics: &mut Vec<opis_model::Diagnostic>,
) -> Result<Vec<Document>> {
    let (root, _) = crate::xml::root_element(path, text)?;
    match local(&root) {
        "teiCorpus" => parse_corpus(path, text, depth, file_diagnostics),
        "TEI" => {
            let mut doc = parse_sitting(path, text, &Persons::default())?;
            resolve_outside(path, &mut doc);
            Ok(vec![doc.finish()])
        }
        other => Err(FormatError::Unrecognized {
            path: path.to_owned(),
            reason: format!(
                "XML with root element <{other}>; a ParlaMint file has a <TEI> sitting or a <teiCorpus> root"
            ),
        }),
    }
}

// ---------------------------------------------------------------------------------------
// Persons

/// Person id (without `#`) → display name.
#[derive(Debug, Default, Clone)]
struct Persons {
    names: HashMap<String, String>,
}

impl Persons {
    /// Adds what `other` knows and `self` does not: the nearer list wins.
    fn merge_missing(&mut self, other: &Persons) {
        for (k, v) in &other.names {
            self.names.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// Reads a `<listPerson>` just opened, up to its end tag.
fn read_list_person(r: &mut XmlReader<'_>, persons: &mut Persons) -> Result<()> {
    let mut depth = 1usize;
    while depth > 0 {
        match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside <listPerson>")),
            Some(XmlEvent::Start { name, attrs }) => {
                if local(&name) == "person" {
                    let id = attr(&attrs, "xml:id").map(str::to_owned);
                    let name = read_person(r)?;
                    if let (Some(id), Some(name)) = (id, name) {
                        persons.names.entry(id).or_insert(name);
                    }
                } else {
                    depth += 1;
                }
            }
            Some(XmlEvent::End { .. }) => depth -= 1,
            Some(XmlEvent::Text(_)) => {}
        }
    }
    Ok(())
}

/// Reads a `<person>` just opened; the display name of its first `<persName>`.
fn read_person(r: &mut XmlReader<'_>) -> Result<Option<String>> {
    let mut depth = 1usize;
    let mut name = None;
    while depth > 0 {
        match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside <person>")),
            Some(XmlEvent::Start { name: el, .. }) if local(&el) == "persName" && name.is_none() => {
                name = read_pers_name(r)?;
            }
            Some(XmlEvent::Start { .. }) => depth += 1,
            Some(XmlEvent::End { .. }) => depth -= 1,
            Some(XmlEvent::Text(_)) => {}
        }
    }
    Ok(name)
}

/// "Karlheinz Kopf" from `<surname>Kopf</surname><forename>Karlheinz</forename>`: forenames
/// first, then name links ("de"), then surnames, as a name is spoken; titles
/// (`<roleName>`) left out. A `<persName>` without parts gives its whole text.
fn read_pers_name(r: &mut XmlReader<'_>) -> Result<Option<String>> {
    let (mut forenames, mut links, mut surnames) = (Vec::new(), Vec::new(), Vec::new());
    let mut loose = String::new();
    let mut depth = 1usize;
    while depth > 0 {
        match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside <persName>")),
            Some(XmlEvent::Start { name, .. }) => match local(&name) {
                "forename" => forenames.push(r.element_text()?),
                "surname" => surnames.push(r.element_text()?),
                "nameLink" => links.push(r.element_text()?),
                "roleName" | "addName" => r.skip_element()?,
                _ => depth += 1,
            },
            Some(XmlEvent::End { .. }) => depth -= 1,
            Some(XmlEvent::Text(t)) => {
                loose.push_str(&t);
                loose.push(' ');
            }
        }
    }
    let parts: Vec<String> = forenames.into_iter().chain(links).chain(surnames).filter(|p| !p.is_empty()).collect();
    let name = if parts.is_empty() { collapse_whitespace(&loose) } else { parts.join(" ") };
    Ok((!name.is_empty()).then_some(name))
}

/// Every `<listPerson>` in a file (a `*-listPerson.xml`, or a teiCorpus root whose header
/// holds one), with the `xi:include`s of the root's header. Reading stops after the
/// header of a teiCorpus: the sittings after it hold no persons we need.
fn persons_in_file(path: &Path, text: &str) -> Result<(Persons, Vec<String>)> {
    let mut r = XmlReader::new(path, text);
    let mut persons = Persons::default();
    let mut includes = Vec::new();
    let mut in_header = false;
    let mut is_corpus = false;
    while let Some(ev) = r.next()? {
        match ev {
            XmlEvent::Start { name, attrs } => match local(&name) {
                "teiCorpus" => is_corpus = true,
                "teiHeader" => in_header = true,
                "listPerson" => read_list_person(&mut r, &mut persons)?,
                "include" if in_header => includes.extend(attr(&attrs, "href").map(str::to_owned)),
                "TEI" if is_corpus => break,
                _ => {}
            },
            XmlEvent::End { name } if local(&name) == "teiHeader" => {
                in_header = false;
                if is_corpus {
                    break;
                }
            }
            _ => {}
        }
    }
    Ok((persons, includes))
}

/// The persons a sitting at `path` can reach outside itself: its corpus root(s) in the
/// same folder (with the lists they include) and `*listPerson.xml` files beside it.
/// Unreadable lists are diagnostics, never fatal: the speaker ids are still kept.
fn persons_beside(path: &Path, corpus_prefix: &str) -> (Persons, Vec<opis_model::Diagnostic>) {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut persons = Persons::default();
    let mut diagnostics = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut queue: Vec<PathBuf> = Vec::new();
    if !corpus_prefix.is_empty() {
        queue.push(dir.join(format!("{corpus_prefix}.xml")));
        queue.push(dir.join(format!("{corpus_prefix}.ana.xml")));
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut lists: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.to_lowercase().ends_with("listperson.xml"))
            })
            .collect();
        lists.sort();
        queue.extend(lists);
    }
    let mut i = 0;
    while let Some(file) = queue.get(i).cloned() {
        i += 1;
        if file == path || !file.is_file() || !seen.insert(file.clone()) {
            continue;
        }
        let read = std::fs::read(&file)
            .map_err(|source| FormatError::Io { path: file.clone(), source })
            .and_then(|bytes| decode(&file, &bytes))
            .and_then(|decoded| persons_in_file(&file, &decoded.text));
        match read {
            Ok((found, includes)) => {
                persons.merge_missing(&found);
                let base = file.parent().unwrap_or(dir);
                for href in includes.iter().filter(|h| h.to_lowercase().contains("listperson")) {
                    if let Some(p) = include_path(base, href) {
                        queue.push(p);
                    }
                }
            }
            Err(e) => diagnostics.push(opis_model::Diagnostic::warning(
                "person-list-unreadable",
                format!("could not read the speakers' list: {e}"),
                None,
            )),
        }
    }
    (persons, diagnostics)
}

/// An include target relative to `base`; `None` for URLs, which opis does not fetch.
fn include_path(base: &Path, href: &str) -> Option<PathBuf> {
    let href = href.trim();
    // Only files inside the corpus folder: no URLs, no absolute paths, no "..". An
    // include is data from the file being read, and must not reach /dev/zero or /etc.
    let relative = Path::new(href);
    let inside = relative.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if href.is_empty() || href.contains("://") || !inside {
        return None;
    }
    let path = base.join(relative);
    // A regular file of a sane size: a sitting is a few MB, the largest corpus files tens.
    let meta = std::fs::metadata(&path).ok();
    match meta {
        Some(m) if !m.is_file() || m.len() > MAX_INCLUDE_BYTES => None,
        _ => Some(path),
    }
}

/// The largest included file opis reads (ParlaMint sittings are at most a few dozen MB).
const MAX_INCLUDE_BYTES: u64 = 512 * 1024 * 1024;

/// "ParlaMint-TR" from "ParlaMint-TR_T27-tbmm-2018-07-07(.ana)": the corpus a sitting belongs to.
fn corpus_prefix(id: &str) -> &str {
    id.split('_').next().unwrap_or("").trim_end_matches(".ana")
}

// ---------------------------------------------------------------------------------------
// Text assembly

/// Builds one paragraph of text from pieces: character data (whitespace collapsed) and
/// tokens (`<w>`/`<pc>` with `join`). Remarks cut out of the middle of a sentence leave
/// no stray space before the punctuation that followed them.
#[derive(Debug, Default)]
pub(crate) struct TextBuf {
    text: String,
    chars: usize,
    /// Whitespace seen and not yet written (written only before more text).
    space: bool,
    /// The last token said `join="right"`: no space before the next one.
    glued: bool,
    /// A remark was just cut out here.
    after_cut: bool,
}

impl TextBuf {
    pub(crate) fn push_text(&mut self, t: &str) {
        let mut words = t.split_whitespace().peekable();
        if t.starts_with(char::is_whitespace) {
            self.space = true;
        }
        if words.peek().is_none() {
            return;
        }
        let first_is_punct = t.trim_start().starts_with([',', '.', ';', ':', '!', '?', ')', ']', '…']);
        if self.after_cut && first_is_punct {
            self.space = false;
        }
        while let Some(w) = words.next() {
            self.write(w);
            if words.peek().is_some() {
                self.space = true;
            }
        }
        self.space = t.ends_with(char::is_whitespace);
        self.after_cut = false;
        self.glued = false;
    }

    pub(crate) fn push_token(&mut self, token: &str, join_right: bool) {
        let token = token.trim();
        if token.is_empty() {
            return;
        }
        self.space = !self.glued;
        self.write(token);
        self.space = false;
        self.glued = join_right;
        self.after_cut = false;
    }

    /// A boundary that separates words (a sentence end, an element that is a word of its own).
    pub(crate) fn boundary(&mut self) {
        self.space = true;
        self.glued = false;
    }

    pub(crate) fn cut(&mut self) {
        self.after_cut = true;
    }

    fn write(&mut self, s: &str) {
        if self.space && !self.text.is_empty() {
            self.text.push(' ');
            self.chars += 1;
        }
        self.space = false;
        self.text.push_str(s);
        self.chars += s.chars().count();
    }

    pub(crate) fn char_len(&self) -> usize {
        self.chars
    }

    pub(crate) fn into_string(self) -> String {
        self.text
    }
}

/// Paragraphs of a block joined by blank lines, with the offsets of remarks inside them.
#[derive(Debug, Default)]
pub(crate) struct Paragraphs {
    done: Vec<String>,
    /// Characters of `done` joined, separators included.
    done_chars: usize,
    pub(crate) current: Option<TextBuf>,
    pub(crate) annotations: Vec<Annotation>,
}

impl Paragraphs {
    pub(crate) fn open(&mut self) {
        self.close();
        self.current = Some(TextBuf::default());
    }

    pub(crate) fn buf(&mut self) -> &mut TextBuf {
        self.current.get_or_insert_with(TextBuf::default)
    }

    pub(crate) fn close(&mut self) {
        if let Some(buf) = self.current.take() {
            let len = buf.char_len();
            let text = buf.into_string();
            if !text.is_empty() {
                self.done_chars += if self.done.is_empty() { len } else { len + 2 };
                self.done.push(text);
            }
        }
    }

    /// Where a remark found now stands in the final text.
    fn offset(&self) -> usize {
        match &self.current {
            Some(buf) if buf.char_len() > 0 => {
                self.done_chars + if self.done.is_empty() { 0 } else { 2 } + buf.char_len()
            }
            _ => self.done_chars,
        }
    }

    pub(crate) fn annotate(&mut self, mut a: Annotation) {
        a.at = Some(self.offset() as u32);
        if let Some(buf) = self.current.as_mut() {
            buf.cut();
        }
        self.annotations.push(a);
    }

    pub(crate) fn finish(mut self) -> (String, Vec<Annotation>) {
        self.close();
        let text = self.done.join("\n\n");
        let len = text.chars().count() as u32;
        for a in &mut self.annotations {
            a.at = a.at.map(|at| at.min(len));
        }
        (text, self.annotations)
    }
}

/// The day range of a TEI/Akoma date: `when` (or `from`/`to`, or Akoma's `date`), with the
/// printed text when there is one. Times ("2015-06-08T16:26:00") count by their day.
pub(crate) fn attr_date(attrs: &[(String, String)], printed: &str) -> Option<DocDate> {
    let day = |v: &str| v.split('T').next().unwrap_or(v).trim().to_owned();
    let when = attr(attrs, "when").or_else(|| attr(attrs, "date")).map(day);
    let from = attr(attrs, "from").map(day).or_else(|| when.clone())?;
    let to = attr(attrs, "to").map(day).or_else(|| when.clone()).unwrap_or_else(|| from.clone());
    let from = parse_date(&from)?.from;
    let to = parse_date(&to)?.to;
    if to < from {
        return None;
    }
    let printed = collapse_whitespace(printed);
    let text = if !printed.is_empty() {
        printed
    } else if from == to {
        from.clone()
    } else {
        format!("{from}/{to}")
    };
    Some(DocDate { text, from, to })
}

/// ISO 639-1 of an `xml:lang` value ("ca", "es-CT", "tr").
pub(crate) fn lang_code(tag: &str) -> Option<String> {
    let primary = tag.split(['-', '_']).next().unwrap_or("").trim();
    language::language_code(primary).map(str::to_owned)
}

// ---------------------------------------------------------------------------------------
// One sitting

/// What a `who` says.
#[derive(Debug, Clone)]
enum Who {
    /// A reference to a `<person xml:id>` (without `#`).
    Ref(String),
    /// Free text (ParlaMint-SK light).
    Text(String),
}

fn parse_who(who: &str) -> Vec<Who> {
    let who = who.trim();
    if who.is_empty() {
        return vec![];
    }
    let tokens: Vec<&str> = who.split_whitespace().collect();
    if tokens.iter().all(|t| t.starts_with('#') && t.len() > 1) {
        return tokens.iter().map(|t| Who::Ref(t[1..].to_owned())).collect();
    }
    vec![Who::Text(who.to_owned())]
}

/// "Hrnčiar, Andrej, podpredseda NR SR" → "Andrej Hrnčiar"; anything else as written.
fn free_text_speaker(text: &str) -> String {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let is_name = |p: &str| {
        !p.is_empty()
            && p.split_whitespace().count() <= 3
            && p.split_whitespace().all(|w| w.starts_with(char::is_uppercase))
    };
    match parts.as_slice() {
        [surname, forename, ..] if is_name(surname) && is_name(forename) => format!("{forename} {surname}"),
        _ => collapse_whitespace(text),
    }
}

/// A sitting being read: the document plus what is only known at its end.
#[derive(Debug)]
struct Sitting {
    doc: Document,
    /// (section, block, who) of every turn, resolved once all lists are known.
    whos: Vec<(usize, usize, Vec<Who>)>,
    persons: Persons,
    /// Speaker name → the listPerson ids it was resolved from.
    refs: BTreeMap<String, BTreeSet<String>>,
}

impl Sitting {
    /// Resolves the speakers through `persons` (the sitting's own lists first).
    fn resolve(&mut self, outside: &Persons) -> Vec<String> {
        let mut unresolved = Vec::new();
        for (s, b, whos) in &self.whos {
            let speakers: Vec<String> = whos
                .iter()
                .map(|w| match w {
                    Who::Ref(id) => match self.persons.names.get(id).or_else(|| outside.names.get(id)) {
                        Some(name) => {
                            self.refs.entry(name.clone()).or_default().insert(id.clone());
                            name.clone()
                        }
                        None => {
                            unresolved.push(id.clone());
                            id.clone()
                        }
                    },
                    Who::Text(t) => free_text_speaker(t),
                })
                .collect();
            if let Some(block) = self.doc.sections.get_mut(*s).and_then(|sec| sec.blocks.get_mut(*b)) {
                block.speakers = speakers;
            }
        }
        unresolved
    }

    fn unresolved(&self, outside: &Persons) -> usize {
        self.whos
            .iter()
            .flat_map(|(_, _, w)| w)
            .filter(|w| matches!(w, Who::Ref(id) if !self.persons.names.contains_key(id) && !outside.names.contains_key(id)))
            .count()
    }

    /// Resolves speakers and fills persons; the document is complete after this.
    fn finish_with(mut self, outside: &Persons) -> Document {
        let unresolved = self.resolve(outside);
        if let Some(first) = unresolved.first() {
            let distinct: HashSet<&String> = unresolved.iter().collect();
            self.doc.diagnostics.push(opis_model::Diagnostic::info(
                "unresolved-speaker",
                format!(
                    "{} speaker reference(s) ({} distinct, e.g. #{first}) are in no listPerson found; the ids stand as the speakers' names",
                    unresolved.len(),
                    distinct.len()
                ),
                None,
            ));
        }
        let silent = self.whos.iter().filter(|(_, _, w)| w.is_empty()).count();
        if silent > 0 {
            // ParlaMint-TR lists the members taking the oath as `<u ana="#guest">` without `who`.
            self.doc.diagnostics.push(opis_model::Diagnostic::info(
                "turn-without-speaker",
                format!("{silent} <u> element(s) have no who; their turns have no speaker"),
                None,
            ));
        }
        let mut asserted: Vec<String> = Vec::new();
        for name in self.doc.turns().flat_map(|t| t.speakers.iter()) {
            if !asserted.contains(name) {
                asserted.push(name.clone());
            }
        }
        self.doc.persons = merge_same_name(collect_persons(&self.doc, &asserted));
        crate::extract::persons::attach_refs(&mut self.doc.persons, &self.refs);
        self.doc
    }

    fn finish(self) -> Document {
        self.finish_with(&Persons::default())
    }
}

/// A full-name speaker ("Doris Bures") is both a speaker and an asserted name, which
/// `collect_persons` keys differently (by the whole name and by the surname): one person.
pub(crate) fn merge_same_name(persons: Vec<PersonMention>) -> Vec<PersonMention> {
    let mut out: Vec<PersonMention> = Vec::new();
    for p in persons {
        match out.iter_mut().find(|o| o.name == p.name) {
            Some(o) => {
                o.mentions = o.mentions.max(p.mentions);
                for v in p.variants {
                    if !o.variants.contains(&v) {
                        o.variants.push(v);
                    }
                }
            }
            None => out.push(p),
        }
    }
    out.sort_by(|a, b| b.mentions.cmp(&a.mentions).then_with(|| a.name.cmp(&b.name)));
    out
}

/// Looks outside the file for the speakers the sitting's own lists do not know.
fn resolve_outside(path: &Path, sitting: &mut Sitting) {
    if sitting.unresolved(&Persons::default()) == 0 {
        return;
    }
    let (outside, diagnostics) = persons_beside(path, corpus_prefix(&sitting.doc.id));
    sitting.persons.merge_missing(&outside);
    sitting.doc.diagnostics.extend(diagnostics);
}

fn parse_sitting(path: &Path, text: &str, inherited: &Persons) -> Result<Sitting> {
    let mut r = XmlReader::new(path, text);
    loop {
        match r.next()? {
            Some(XmlEvent::Start { name, attrs }) if local(&name) == "TEI" => {
                return read_tei(&mut r, path, &attrs, inherited);
            }
            Some(XmlEvent::Start { name, .. }) => {
                return Err(FormatError::Unrecognized {
                    path: path.to_owned(),
                    reason: format!("root element <{name}>; expected a ParlaMint <TEI> sitting"),
                });
            }
            Some(_) => continue,
            None => return Err(r.error_at(text.len(), "no root element; expected a ParlaMint <TEI> sitting")),
        }
    }
}

/// What the `<teiHeader>` of a sitting says.
#[derive(Debug, Default)]
struct Header {
    /// (type, xml:lang, text) of the `titleStmt` titles.
    titles: Vec<(Option<String>, Option<String>, String)>,
    setting_date: Option<DocDate>,
    source_date: Option<DocDate>,
    source_url: Option<String>,
    /// (xml:lang, name) of the setting's city.
    cities: Vec<(Option<String>, String)>,
    rights: Option<String>,
    contributors: Vec<String>,
}

impl Header {
    fn title(&self) -> Option<String> {
        let main = |t: &Option<String>| t.as_deref() == Some("main");
        let en = |l: &Option<String>| l.as_deref().is_some_and(|l| l.starts_with("en"));
        self.titles
            .iter()
            .find(|(t, l, _)| main(t) && en(l))
            .or_else(|| self.titles.iter().find(|(t, l, _)| main(t) && l.is_none()))
            .or_else(|| self.titles.iter().find(|(t, _, _)| main(t)))
            .or_else(|| self.titles.first())
            .map(|(_, _, text)| text.clone())
            .filter(|t| !t.is_empty())
    }

    fn place(&self) -> Option<String> {
        let en = self.cities.iter().find(|(l, _)| l.as_deref().is_some_and(|l| l.starts_with("en")));
        en.or_else(|| self.cities.first()).map(|(_, c)| c.clone())
    }
}

/// Reads a `<teiHeader>` just opened, up to its end tag.
fn read_header(r: &mut XmlReader<'_>, header: &mut Header, persons: &mut Persons) -> Result<Vec<String>> {
    let mut stack: Vec<String> = vec!["teiHeader".into()];
    let mut includes = Vec::new();
    while !stack.is_empty() {
        let ev = match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside <teiHeader>")),
            Some(ev) => ev,
        };
        match ev {
            XmlEvent::Start { name, attrs } => {
                let el = local(&name).to_owned();
                let within = |n: &str| stack.iter().any(|s| s == n);
                match el.as_str() {
                    "title" if within("titleStmt") => {
                        let text = r.element_text()?;
                        header.titles.push((
                            attr(&attrs, "type").map(str::to_owned),
                            attr(&attrs, "xml:lang").map(str::to_owned),
                            text,
                        ));
                    }
                    "date" if within("setting") || within("sourceDesc") => {
                        let printed = r.element_text()?;
                        let date = attr_date(&attrs, &printed);
                        let slot = if within("setting") { &mut header.setting_date } else { &mut header.source_date };
                        if slot.is_none() {
                            *slot = date;
                        }
                    }
                    "idno" if within("sourceDesc") => {
                        let text = r.element_text()?;
                        let is_url = text.starts_with("http://") || text.starts_with("https://");
                        let preferred = attr(&attrs, "subtype") == Some("parliament");
                        if is_url && (header.source_url.is_none() || preferred) {
                            header.source_url = Some(text);
                        }
                    }
                    "name" if within("setting") && attr(&attrs, "type") == Some("city") => {
                        let text = r.element_text()?;
                        if !text.is_empty() {
                            header.cities.push((attr(&attrs, "xml:lang").map(str::to_owned), text));
                        }
                    }
                    "licence" => {
                        let text = r.element_text()?;
                        if header.rights.is_none() && !text.is_empty() {
                            header.rights = Some(text);
                        }
                    }
                    "persName" if within("respStmt") => {
                        let text = r.element_text()?;
                        if !text.is_empty() && !header.contributors.contains(&text) {
                            header.contributors.push(text);
                        }
                    }
                    "listPerson" => read_list_person(r, persons)?,
                    "include" => {
                        includes.extend(attr(&attrs, "href").map(str::to_owned));
                        r.skip_element()?;
                    }
                    _ => stack.push(el),
                }
            }
            XmlEvent::End { .. } => {
                stack.pop();
            }
            XmlEvent::Text(_) => {}
        }
    }
    Ok(includes)
}

/// Reads a remark element just opened (`<note>`, `<kinesic>`…): its `<desc>` in the
/// document's language (else English, else the first), or its whole text.
fn read_annotation(
    r: &mut XmlReader<'_>,
    kind: &str,
    attrs: &[(String, String)],
    doc_lang: &str,
) -> Result<Annotation> {
    let mut descs: Vec<(Option<String>, String)> = Vec::new();
    let mut text = TextBuf::default();
    let mut depth = 1usize;
    while depth > 0 {
        match r.next()? {
            None => return Err(r.error_at(r.position(), format!("the document ends inside <{kind}>"))),
            Some(XmlEvent::Start { name, attrs: a }) if local(&name) == "desc" => {
                let lang = attr(&a, "xml:lang").and_then(lang_code);
                descs.push((lang, r.element_text()?));
            }
            Some(XmlEvent::Start { .. }) => {
                text.boundary();
                depth += 1;
            }
            Some(XmlEvent::End { .. }) => {
                text.boundary();
                depth -= 1;
            }
            Some(XmlEvent::Text(t)) => text.push_text(&t),
        }
    }
    let desc = descs
        .iter()
        .find(|(l, _)| l.as_deref() == Some(doc_lang))
        .or_else(|| descs.iter().find(|(l, _)| l.as_deref() == Some("en")))
        .or_else(|| descs.first());
    let mut text = match desc {
        Some((_, d)) => d.clone(),
        None => text.into_string(),
    };
    if text.is_empty() {
        // A bare <time when=…/> or <gap reason=…/> still says something.
        text = attr(attrs, "when").or_else(|| attr(attrs, "reason")).unwrap_or("").to_owned();
    }
    Ok(Annotation {
        kind: kind.to_owned(),
        r#type: attr(attrs, "type").or_else(|| attr(attrs, "reason")).map(str::to_owned),
        text,
        at: None,
    })
}

/// Reads a `<u>` just opened into a turn; the remarks inside it become its annotations.
fn read_u(r: &mut XmlReader<'_>, doc_lang: &str, langs: &mut HashMap<String, usize>) -> Result<Block> {
    let mut paras = Paragraphs::default();
    // Open inline elements inside the current <seg> (<s>, <name>, <phr>…).
    let mut depth = 0usize;
    loop {
        match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside <u>")),
            Some(XmlEvent::Start { name, attrs }) => {
                let el = local(&name);
                if el == "seg"
                    && let Some(lang) = attr(&attrs, "xml:lang").and_then(lang_code)
                {
                    *langs.entry(lang).or_default() += 1;
                }
                match el {
                    "seg" if depth == 0 => paras.open(),
                    "w" | "pc" => {
                        let join_right = attr(&attrs, "join") == Some("right");
                        let token = r.element_text()?;
                        paras.buf().push_token(&token, join_right);
                    }
                    "linkGrp" | "pb" | "lb" => r.skip_element()?,
                    e if ANNOTATIONS.contains(&e) => {
                        let a = read_annotation(r, e, &attrs, doc_lang)?;
                        paras.annotate(a);
                    }
                    "s" => {
                        paras.buf().boundary();
                        depth += 1;
                    }
                    _ => depth += 1,
                }
            }
            Some(XmlEvent::End { name }) => match local(&name) {
                "u" if depth == 0 => break,
                "seg" if depth == 0 => paras.close(),
                "s" => {
                    paras.buf().boundary();
                    depth = depth.saturating_sub(1);
                }
                _ => depth = depth.saturating_sub(1),
            },
            Some(XmlEvent::Text(t)) => {
                if !t.trim().is_empty() || paras.current.is_some() {
                    paras.buf().push_text(&t);
                }
            }
        }
    }
    let (text, annotations) = paras.finish();
    Ok(Block { kind: BlockKind::Turn, text, annotations, ..Default::default() })
}

/// Reads the `<TEI>` element just opened (attributes `tei_attrs`) into a sitting.
fn read_tei(
    r: &mut XmlReader<'_>,
    path: &Path,
    tei_attrs: &[(String, String)],
    inherited: &Persons,
) -> Result<Sitting> {
    let stem = path.file_name().and_then(|n| n.to_str()).unwrap_or("sitting");
    // ParlaMint-AT's static-site build rewrote the ids to file names ("….xml").
    let raw_id = attr(tei_attrs, "xml:id").unwrap_or(stem);
    let id = raw_id.strip_suffix(".xml").unwrap_or(raw_id).to_owned();
    let root_lang = attr(tei_attrs, "xml:lang").and_then(lang_code);
    let doc_lang = root_lang.clone().unwrap_or_else(|| "en".into());
    let is_sitting_by_ana =
        attr(tei_attrs, "ana").is_some_and(|a| a.contains("#parla.sitting") || a.contains("#parla.session"));

    let mut header = Header::default();
    let mut persons = Persons::default();
    let mut sections: Vec<Section> = Vec::new();
    let mut whos = Vec::new();
    let mut langs: HashMap<String, usize> = HashMap::new();
    let mut text_lang: Option<String> = None;
    let mut in_body = false;
    let mut div_depth = 0usize;
    // A nested <div> ended and its parent goes on: what follows is a new, headless section.
    let mut reopen = false;
    let mut depth = 0usize;
    let mut u_count = 0usize;

    fn section(sections: &mut Vec<Section>, reopen: &mut bool) -> usize {
        if sections.is_empty() || *reopen {
            sections.push(Section::default());
            *reopen = false;
        }
        sections.len() - 1
    }

    loop {
        let ev = match r.next()? {
            None => return Err(r.error_at(r.position(), "the document ends inside <TEI>")),
            Some(ev) => ev,
        };
        match ev {
            XmlEvent::Start { name, attrs } => {
                let el = local(&name);
                match el {
                    "teiHeader" => {
                        read_header(r, &mut header, &mut persons)?;
                    }
                    "text" => {
                        text_lang = attr(&attrs, "xml:lang").and_then(lang_code);
                        depth += 1;
                    }
                    "body" => {
                        in_body = true;
                        depth += 1;
                    }
                    "div" if in_body => {
                        sections.push(Section::default());
                        reopen = false;
                        div_depth += 1;
                        depth += 1;
                    }
                    "head" if in_body => {
                        let heading = r.element_text()?;
                        let fresh = sections
                            .last()
                            .is_some_and(|s| s.heading.is_none() && s.blocks.is_empty() && s.annotations.is_empty())
                            && !reopen;
                        if !fresh {
                            sections.push(Section::default());
                            reopen = false;
                        }
                        if let Some(s) = sections.last_mut() {
                            s.heading = (!heading.is_empty()).then_some(heading);
                        }
                    }
                    "u" if in_body => {
                        let line = r.line();
                        let who = attr(&attrs, "who").map(parse_who).unwrap_or_default();
                        let role = attr(&attrs, "ana")
                            .and_then(|a| a.split_whitespace().next())
                            .map(|a| a.trim_start_matches('#').to_owned())
                            .filter(|a| !a.is_empty());
                        if let Some(lang) = attr(&attrs, "xml:lang").and_then(lang_code) {
                            *langs.entry(lang).or_default() += 1;
                        }
                        let mut block = read_u(r, &doc_lang, &mut langs)?;
                        block.line = Some(line);
                        block.id = attr(&attrs, "xml:id").map(str::to_owned);
                        block.role = role;
                        let s = section(&mut sections, &mut reopen);
                        let b = sections[s].blocks.len();
                        sections[s].blocks.push(block);
                        whos.push((s, b, who));
                        u_count += 1;
                    }
                    e if in_body && ANNOTATIONS.contains(&e) => {
                        let mut a = read_annotation(r, e, &attrs, &doc_lang)?;
                        let s = section(&mut sections, &mut reopen);
                        a.at = Some(sections[s].blocks.len() as u32);
                        sections[s].annotations.push(a);
                    }
                    "listPerson" => read_list_person(r, &mut persons)?,
                    "pb" | "linkGrp" => r.skip_element()?,
                    _ => depth += 1,
                }
            }
            XmlEvent::End { name } => {
                let el = local(&name);
                if depth == 0 {
                    // The </TEI> of the element we were given.
                    break;
                }
                depth -= 1;
                match el {
                    "body" => in_body = false,
                    "div" if in_body => {
                        div_depth = div_depth.saturating_sub(1);
                        reopen = div_depth > 0;
                    }
                    _ => {}
                }
            }
            XmlEvent::Text(_) => {}
        }
    }

    if u_count == 0 && !is_sitting_by_ana {
        return Err(FormatError::Unrecognized {
            path: path.to_owned(),
            reason: format!(
                "<TEI xml:id=\"{raw_id}\"> has no <u> utterance and is not marked as a sitting; it looks like a ParlaMint index or about page, not a sitting"
            ),
        });
    }

    // The main language: the sitting's own xml:lang, else its text's, else the language
    // most of its segments are in (ParlaMint-ES-CT mixes Catalan and Spanish).
    let majority = {
        let mut counts: Vec<(&String, &usize)> = langs.iter().collect();
        counts.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        counts.first().map(|(l, _)| (*l).clone())
    };
    let mut diagnostics = Vec::new();
    let language = match root_lang.or(text_lang).or(majority) {
        Some(l) => l,
        None => {
            let sample: String = sections.iter().flat_map(|s| &s.blocks).take(50).map(|b| b.text.as_str()).collect();
            match language::detect_language(&sample) {
                Some(l) => {
                    diagnostics.push(opis_model::Diagnostic::info(
                        "language-guessed",
                        format!("no xml:lang on the sitting; the language was guessed from the text ({l})"),
                        None,
                    ));
                    l.to_owned()
                }
                None => "und".into(),
            }
        }
    };

    let date = header.setting_date.clone().or_else(|| header.source_date.clone()).or_else(|| date_in_id(&id));
    let title = header.title().unwrap_or_else(|| id.clone());
    let place = header.place();
    let mut persons_all = persons;
    persons_all.merge_missing(inherited);
    let doc = Document {
        id,
        title,
        date,
        kind: "debate".into(),
        source_url: header.source_url,
        place,
        language,
        sections,
        contributors: header.contributors,
        rights: header.rights,
        reader: "parlamint".into(),
        diagnostics,
        ..Default::default()
    };
    Ok(Sitting { doc, whos, persons: persons_all, refs: BTreeMap::new() })
}

/// "ParlaMint-SK_2020-02-26-t7m58" → 2020-02-26, for sittings whose header has no date.
fn date_in_id(id: &str) -> Option<DocDate> {
    let bytes = id.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let s = id.get(i..i + 10)?;
        let b = s.as_bytes();
        let shape = b.iter().enumerate().all(|(j, c)| if j == 4 || j == 7 { *c == b'-' } else { c.is_ascii_digit() });
        if !shape {
            return None;
        }
        let d = parse_date(s)?;
        Some(DocDate { text: s.to_owned(), from: d.from, to: d.to })
    })
}

// ---------------------------------------------------------------------------------------
// Corpus roots

fn parse_corpus(
    path: &Path,
    text: &str,
    depth: usize,
    file_diagnostics: &mut Vec<opis_model::Diagnostic>,
) -> Result<Vec<Document>> {
    let base = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    let mut r = XmlReader::new(path, text);
    let mut header = Header::default();
    let mut persons = Persons::default();
    let mut header_includes: Vec<String> = Vec::new();
    // (href, line) of the components, in order.
    let mut components: Vec<(String, u32)> = Vec::new();
    let mut inline: Vec<Sitting> = Vec::new();
    let mut diagnostics: Vec<opis_model::Diagnostic> = Vec::new();
    let mut root_depth = 0usize;
    while let Some(ev) = r.next()? {
        match ev {
            XmlEvent::Start { name, attrs } => match local(&name) {
                "teiCorpus" if root_depth == 0 => root_depth = 1,
                "teiHeader" if root_depth == 1 => {
                    header_includes = read_header(&mut r, &mut header, &mut persons)?;
                }
                "include" => {
                    let line = r.line();
                    if let Some(href) = attr(&attrs, "href") {
                        components.push((href.to_owned(), line));
                    }
                    r.skip_element()?;
                }
                "TEI" => {
                    let line = r.line();
                    match read_tei(&mut r, path, &attrs, &Persons::default()) {
                        Ok(sitting) => inline.push(sitting),
                        // The element was read to its end: the rest of the root is still fine.
                        Err(e @ FormatError::Unrecognized { .. }) => diagnostics.push(opis_model::Diagnostic::warning(
                            "bad-include",
                            format!("an inline <TEI> is not a sitting: {e}"),
                            Some(line),
                        )),
                        Err(e) => return Err(e),
                    }
                }
                _ => root_depth += 1,
            },
            XmlEvent::End { .. } => root_depth = root_depth.saturating_sub(1),
            XmlEvent::Text(_) => {}
        }
    }

    // The speakers' lists the header includes, then any lying beside the root.
    let mut missing: Vec<(String, Option<u32>)> = Vec::new();
    for href in &header_includes {
        let Some(file) = include_path(&base, href) else { continue };
        if !file.is_file() {
            missing.push((href.clone(), None));
            continue;
        }
        if href.to_lowercase().contains("listperson") {
            let read = std::fs::read(&file)
                .map_err(|source| FormatError::Io { path: file.clone(), source })
                .and_then(|bytes| decode(&file, &bytes))
                .and_then(|d| persons_in_file(&file, &d.text));
            match read {
                Ok((found, _)) => persons.merge_missing(&found),
                Err(e) => diagnostics.push(opis_model::Diagnostic::warning(
                    "person-list-unreadable",
                    format!("could not read the speakers' list {href}: {e}"),
                    None,
                )),
            }
        }
    }
    if persons.names.is_empty() {
        let id = attr_of_root(text).unwrap_or_default();
        let (beside, beside_diagnostics) = persons_beside(path, corpus_prefix(&id));
        persons.merge_missing(&beside);
        diagnostics.extend(beside_diagnostics);
    }

    let mut documents: Vec<Document> = inline.into_iter().map(|s| s.finish_with(&persons)).collect();
    let mut failed = 0usize;
    for (href, line) in &components {
        let Some(file) = include_path(&base, href) else {
            diagnostics.push(opis_model::Diagnostic::warning(
                "unsupported-include",
                format!("xi:include of {href}: opis follows only local files"),
                Some(*line),
            ));
            continue;
        };
        if !file.is_file() {
            missing.push((href.clone(), Some(*line)));
            continue;
        }
        match read_component(&file, &persons, depth, file_diagnostics) {
            Ok(docs) => documents.extend(docs),
            Err(e) => {
                failed += 1;
                diagnostics.push(opis_model::Diagnostic::warning(
                    "bad-include",
                    format!("the included sitting could not be read: {e}"),
                    Some(*line),
                ));
            }
        }
    }
    for (href, line) in &missing {
        diagnostics.push(opis_model::Diagnostic::warning(
            "missing-include",
            format!("xi:include of {href}: the file does not exist"),
            *line,
        ));
    }
    if documents.is_empty() {
        let total = components.len();
        let missing_components = missing.iter().filter(|(_, l)| l.is_some()).count();
        let example = missing.iter().find(|(_, l)| l.is_some()).map(|(h, _)| format!(", e.g. {h}")).unwrap_or_default();
        return Err(FormatError::Unrecognized {
            path: path.to_owned(),
            reason: format!(
                "teiCorpus root with no readable sitting: of its {total} component xi:include(s), {missing_components} point to missing files{example} and {failed} could not be read"
            ),
        });
    }
    file_diagnostics.extend(diagnostics);
    Ok(documents)
}

/// The `xml:id` of the root element.
fn attr_of_root(text: &str) -> Option<String> {
    let (_, attrs) = crate::xml::root_element(Path::new(""), text).ok()?;
    attr(&attrs, "xml:id").map(str::to_owned)
}

/// The documents of one included file: a sitting, or the sittings of a nested corpus root.
/// Included lists and taxonomies give none.
fn read_component(
    file: &Path,
    persons: &Persons,
    depth: usize,
    file_diagnostics: &mut Vec<opis_model::Diagnostic>,
) -> Result<Vec<Document>> {
    let bytes = std::fs::read(file).map_err(|source| FormatError::Io { path: file.to_owned(), source })?;
    let decoded = decode(file, &bytes)?;
    let (root, _) = crate::xml::root_element(file, &decoded.text)?;
    let mut docs = match local(&root) {
        "TEI" => {
            let mut sitting = parse_sitting(file, &decoded.text, persons)?;
            resolve_outside(file, &mut sitting);
            vec![sitting.finish()]
        }
        "teiCorpus" if depth < MAX_CORPUS_DEPTH => parse_at_depth(file, &decoded.text, depth + 1, file_diagnostics)?,
        _ => vec![],
    };
    for doc in &mut docs {
        let mut d = decoded.diagnostics.clone();
        d.append(&mut doc.diagnostics);
        doc.diagnostics = d;
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_join_and_cut_remarks_leave_no_stray_space() {
        let mut b = TextBuf::default();
        for (t, j) in [("Başkan", true), ("lık", false), ("Divanı", false), ("başlayamıyoruz", true), (".", false)]
        {
            b.push_token(t, j);
        }
        assert_eq!(b.into_string(), "Başkanlık Divanı başlayamıyoruz.");
        let mut p = Paragraphs::default();
        p.open();
        p.buf().push_text("predpisov ");
        p.annotate(Annotation { kind: "note".into(), text: "tlač 1838".into(), ..Default::default() });
        p.buf().push_text(", a vládneho\n   návrhu ");
        p.open();
        p.buf().push_text("Ďalej.");
        let (text, ann) = p.finish();
        assert_eq!(text, "predpisov, a vládneho návrhu\n\nĎalej.");
        assert_eq!(ann[0].at, Some(9));
    }

    #[test]
    fn free_text_who() {
        assert_eq!(free_text_speaker("Hrnčiar, Andrej, podpredseda NR SR"), "Andrej Hrnčiar");
        assert_eq!(free_text_speaker("neznámy rečník"), "neznámy rečník");
        assert!(matches!(parse_who("#A #B").as_slice(), [Who::Ref(a), Who::Ref(b)] if a == "A" && b == "B"));
        assert_eq!(corpus_prefix("ParlaMint-TR_T27-tbmm-2018-07-07.ana"), "ParlaMint-TR");
        assert_eq!(corpus_prefix("ParlaMint-ES-GA.ana"), "ParlaMint-ES-GA");
    }
}
