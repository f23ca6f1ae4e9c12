//! The body's structure: sections under headings with their presenters, the
//! protocol line, attendance lists, speaker turns, list items and paragraphs.
//!
//! The rules are those of `document-model.md`: a turn is speech the notes attribute
//! to named people (`Cde. X-text`, `Cde. X: text`, `Cde. X, Cde. Y: text`,
//! `Cde. X <verb>s …`, `SECRETARY KISSINGER: …`, or paragraphs under a speaker
//! heading `(Khrushchev)`); a paragraph with no speaker right after a turn continues
//! it; `Nagy-the prime minister.` is a list item. Printed page breaks that split a
//! paragraph are joined first.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use opis_model::{Block, BlockKind, Participants, Protocol, Section};
use regex::Regex;

use super::notes::take_markers;

/// One line of source text and where it stood (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub text: String,
    pub line: u32,
    pub role: LineRole,
}

/// What a reader already knows about a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineRole {
    /// A printed line: it may be half of a paragraph split by a page break.
    #[default]
    Line,
    /// A whole paragraph from structured input (`<p>`): never joined to its neighbours.
    Paragraph,
    /// A heading the markup declares (`<head>`): always opens a section.
    Heading,
    /// An item of a list the markup declares (`<item>`): always a list item.
    ListItem,
}

impl SourceLine {
    pub fn new(text: impl Into<String>, line: u32) -> Self {
        SourceLine { text: text.into(), line, role: LineRole::Line }
    }

    pub fn with_role(text: impl Into<String>, line: u32, role: LineRole) -> Self {
        SourceLine { text: text.into(), line, role }
    }
}

/// What the body analysis recovered.
#[derive(Debug, Default)]
pub struct Body {
    pub sections: Vec<Section>,
    pub participants: Vec<Participants>,
    pub protocol: Option<Protocol>,
}

/// A name as printed in a speaker or attendance list: capitalised words, no hyphen
/// (in this layout the dash separates the speaker from the speech).
// Combining marks (\p{M}) belong to names written decomposed: "Bulga\u{301}nin".
const NAME: &str = r"\p{Lu}[\p{L}\p{M}'’]*(?:\s+\p{Lu}[\p{L}\p{M}'’]*){0,2}";
const CDE: &str = r"(?:Cdes?\.|Comrades?|Tov\.)";

/// `Cde. X, Cde. Y and Z` at the start of a paragraph, then what follows.
static CDE_SPEAKERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^{CDE}\s*({NAME}(?:\s*,\s*(?:{CDE}\s*)?{NAME})*(?:\s*,?\s+and\s+(?:{CDE}\s*)?{NAME})?)(.*)$"))
        .unwrap()
});

/// `SECRETARY KISSINGER: text` — a speaker label in capitals.
static CAPS_SPEAKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^((?:[A-Z][A-Z.'’-]*\s+){0,3}[A-Z][A-Z'’-]+)\s*:\s*(\S.*)$").unwrap());

/// `Mr. Goodrich asked …`, `Professor Perkins then asked …`: reported speech of a speaker
/// named with a title, as western minutes write it (the title is dropped like "Cde.").
static TITLED_SPEAKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Ambassador|Dean|Judge|Secretary|Senator|Admiral)\.?\s+((?:\p{{Lu}}\.\s*)*{NAME})\s+(?:(?:then|also|further|first|again|next|later|finally)\s+)?(\p{{Ll}}+)\b"
    ))
    .unwrap()
});

/// Past-tense verbs of speech after a titled speaker; "called (the meeting to order)",
/// "introduced", "distributed" describe acts, not speech.
const REPORTED_SPEECH_VERBS: &str = "said noted asked stated replied answered added remarked observed pointed \
    inquired explained suggested responded commented emphasized stressed agreed urged recalled reported proposed \
    mentioned indicated argued questioned wondered thought felt believed expressed opined concluded reminded cited \
    raised announced described summarized objected warned spoke insisted declared assured acknowledged confirmed \
    countered rejoined affirmed informed discussed queried speculated contended maintained doubted recommended \
    predicted complained";

/// `(Khrushchev)`, `(Cde. Khrushchev)`, `(Cde. Khrushchev, Cde. Liu Shaoqi)`.
static NAME_LIST_IN_PARENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^\(\s*((?:{CDE}\s*)?{NAME}(?:\s*,\s*(?:{CDE}\s*)?{NAME})*)\s*\)\s*$")).unwrap()
});

/// A heading with its presenters on the same line: `Consideration of … (Shepilov, Molotov)`.
static HEADING_WITH_PRESENTERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^(.+?)\s*\(\s*((?:{CDE}\s*)?{NAME}(?:\s*,\s*(?:{CDE}\s*)?{NAME})+)\s*\)\s*$")).unwrap()
});

static ATTENDANCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^((?:those taking part|those present|taking part|present|also present|attending|attended|in attendance|participants|participating)(?:\s+(?:on|from|of|for)\s+[^:]{1,40})?)\s*:\s*(.+)$",
    )
    .unwrap()
});

/// An attendance label inside a paragraph, after the end of a sentence.
static ATTENDANCE_INSIDE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[.?!]\s*(?i:those taking part|those present|present)\s*:").unwrap());

static PROTOCOL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\(?\s*(?:re:\s*)?(?:point|item)\s+(\w+)\s+of\s+protocol\s+(?:no\.?|#|№)\s*(\w+)\s*\)?\.?$")
        .unwrap()
});
static PROTOCOL_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\(?\s*(?:re:\s*)?protocol\s+(?:no\.?|#|№)\s*(\w+)\s*\)?\.?$").unwrap());

/// `Nagy-the prime minister.`, `Kovacs Bela-`: a name, a dash, a short description.
static NAME_DASH_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r#"^({NAME})\s*[-–—]\s*(?:$|[\p{{Ll}}"“”(]|\p{{Lu}}\p{{Ll}}*\s*$)"#)).unwrap()
});

static ENUMERATED_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[•·▪◦*–—-]|\d{1,2}[.)]|[a-z][)]|\([a-z0-9]{1,2}\))\s+\S").unwrap());

static LABELLED_FIELD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\p{L}+(?:\s\p{L}+)?:\s").unwrap());

/// First words of agenda items that are printed with a final period.
const AGENDA_OPENERS: &[&str] = &[
    "On",
    "About",
    "Concerning",
    "Regarding",
    "Re",
    "Information",
    "Consideration",
    "Report",
    "Reports",
    "Question",
    "Questions",
    "Discussion",
    "Item",
    "Point",
    "Draft",
    "Proposal",
    "Proposals",
    "Approval",
    "Adoption",
    "Appointment",
    "Results",
    "Issues",
    "Matters",
    "Miscellaneous",
    "Communication",
    "Statement",
    "Reception",
];

/// Words that make a line a sentence rather than a heading.
const FINITE_VERBS: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "being", "am", "will", "would", "shall", "should", "must", "can",
    "could", "may", "might", "has", "have", "had", "do", "does", "did", "agrees", "agree", "says", "said", "think",
    "thinks", "we", "i", "you", "they", "he", "she", "it", "us", "our", "not", "there",
];

/// Lower-case words after a speaker that report speech (`Cde. Zhukov provides …`).
/// A third-person verb in -s counts too, except the ones that describe rather than speak.
const NOT_SPEECH_VERBS: &[&str] = &["is", "was", "has", "does", "as", "also", "us", "its", "this", "his", "hers"];
const SPEECH_VERBS_PAST: &[&str] =
    &["said", "noted", "spoke", "remarked", "replied", "answered", "asked", "stated", "proposed", "reported", "added"];
/// Plural forms after joint speakers (`Cdes. Mikoyan and Suslov report …`).
const SPEECH_VERBS_PLURAL: &[&str] = &[
    "report",
    "agree",
    "propose",
    "say",
    "state",
    "note",
    "suggest",
    "inform",
    "express",
    "object",
    "support",
    "insist",
    "raise",
    "speak",
    "emphasize",
    "declare",
    "consider",
    "believe",
    "ask",
    "reply",
    "indicate",
];

/// Labels in capitals that introduce metadata, not a speaker.
const NOT_SPEAKER_LABELS: &[&str] = &[
    "NOTE",
    "NOTES",
    "SUBJECT",
    "TO",
    "FROM",
    "RE",
    "CC",
    "DATE",
    "TIME",
    "PLACE",
    "SOURCE",
    "SECRET",
    "TOP SECRET",
    "CONFIDENTIAL",
    "PARTICIPANTS",
    "PRESENT",
    "ATTACHMENT",
    "ENCLOSURE",
    "DRAFT",
    "AGENDA",
    "PS",
    "P.S",
    "NB",
    "N.B",
    "SUMMARY",
    "TEXT",
    "MEMORANDUM",
    "ITEM",
    "TAB",
];

/// Whether two printed lines are one paragraph split by a page break: the first
/// ends without closing punctuation and the second starts in lower case, or the
/// first ends on a dangling "Cde.".
pub fn joins_across_page_break(first: &str, second: &str) -> bool {
    let first = first.trim_end();
    let second = second.trim_start();
    if first.ends_with("Cde.") || first.ends_with("Cdes.") {
        return second.chars().next().is_some_and(char::is_uppercase);
    }
    let Some(last) = first.chars().next_back() else {
        return false;
    };
    let closed = matches!(last, '.' | '!' | '?' | ':' | ';' | ')' | ']' | '"' | '”' | '’' | '\'' | '»');
    let Some(next) = second.chars().next() else {
        return false;
    };
    !closed && next.is_lowercase()
}

/// One unit of the body after page-break repair: a paragraph or a line.
#[derive(Debug, Clone)]
struct Unit {
    text: String,
    line: u32,
    notes: Vec<u32>,
    role: LineRole,
}

/// Analyses the body lines of a document.
///
/// `title` is the document's title: a first body line that repeats it belongs to
/// the preamble instead of becoming a heading. `known_notes` are the numbers of the
/// notes the document has, so that markers can be recognised and anchored once.
pub fn analyze_body(lines: &[SourceLine], title: &str, known_notes: &BTreeSet<u32>) -> (Body, BTreeSet<u32>) {
    let units = split_units(lines);
    let mut anchored = BTreeSet::new();
    let units: Vec<Unit> = units
        .into_iter()
        .map(|u| {
            let (text, notes) = take_markers(&u.text, known_notes, &mut anchored);
            Unit { text, line: u.line, notes, role: u.role }
        })
        .filter(|u| !u.text.is_empty() || !u.notes.is_empty())
        .collect();
    let mut b = Builder::default();
    b.sections.push(Section::default());
    let title_key = normalize_key(title);
    for i in 0..units.len() {
        let unit = &units[i];
        let next = units.get(i + 1);
        b.step(unit, next, i == 0 && !title_key.is_empty() && normalize_key(&unit.text) == title_key);
    }
    b.finish();
    if b.sections.first().is_some_and(|s| s.heading.is_none() && s.blocks.is_empty() && s.heading_notes.is_empty()) {
        b.sections.remove(0);
    }
    let body = Body { sections: b.sections, participants: b.participants, protocol: b.protocol };
    (body, anchored)
}

/// Page-break repair, and attendance lists glued to the end of a paragraph split off.
fn split_units(lines: &[SourceLine]) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    for line in lines {
        let text = line.text.trim();
        if text.is_empty() {
            continue;
        }
        if let Some(prev) = units.last_mut() {
            let joinable = prev.role == LineRole::Line && line.role == LineRole::Line;
            if joinable && joins_across_page_break(&prev.text, text) {
                prev.text.push(' ');
                prev.text.push_str(text);
                continue;
            }
        }
        units.push(Unit { text: text.to_owned(), line: line.line, notes: vec![], role: line.role });
    }
    let mut out = Vec::with_capacity(units.len());
    for unit in units {
        match ATTENDANCE_INSIDE.find(&unit.text) {
            Some(m) if m.start() > 0 && unit.role != LineRole::Heading => {
                let cut = m.start() + 1;
                let (head, tail) = unit.text.split_at(cut);
                out.push(Unit { text: head.trim().to_owned(), line: unit.line, notes: vec![], role: unit.role });
                out.push(Unit { text: tail.trim().to_owned(), line: unit.line, notes: vec![], role: unit.role });
            }
            _ => out.push(unit),
        }
    }
    out
}

#[derive(Default)]
struct Builder {
    sections: Vec<Section>,
    participants: Vec<Participants>,
    protocol: Option<Protocol>,
    /// Speakers announced by a speaker heading, waiting for their paragraph.
    pending_speakers: Option<(Vec<String>, Unit)>,
    /// Whether the last block of the current section is a turn that may continue.
    open_turn: bool,
    /// Whether the current section's heading was just set (presenters may follow).
    fresh_heading: bool,
}

impl Builder {
    fn section(&mut self) -> &mut Section {
        self.sections.last_mut().expect("there is always a section")
    }

    fn push(&mut self, kind: BlockKind, speakers: Vec<String>, unit: &Unit, text: String) {
        self.fresh_heading = false;
        self.open_turn = kind == BlockKind::Turn;
        self.section().blocks.push(Block {
            kind,
            speakers,
            text,
            notes: unit.notes.clone(),
            line: Some(unit.line),
            ..Default::default()
        });
    }

    /// A speaker heading that found no paragraph to head stays as printed.
    fn flush_pending(&mut self) {
        if let Some((_, unit)) = self.pending_speakers.take() {
            let text = unit.text.clone();
            self.push(BlockKind::Paragraph, vec![], &unit, text);
            self.open_turn = false;
        }
    }

    fn step(&mut self, unit: &Unit, next: Option<&Unit>, repeats_title: bool) {
        let text = unit.text.as_str();
        if unit.role == LineRole::Heading {
            self.flush_pending();
            let (heading, presenters) = parse_heading(text).unwrap_or_else(|| (text.to_owned(), vec![]));
            self.open_section(heading, presenters, unit);
            return;
        }
        if unit.role == LineRole::ListItem {
            self.flush_pending();
            self.push(BlockKind::ListItem, vec![], unit, text.to_owned());
            return;
        }
        if repeats_title {
            self.push(BlockKind::Paragraph, vec![], unit, text.to_owned());
            self.open_turn = false;
            return;
        }
        if let Some(p) = parse_protocol(text) {
            self.flush_pending();
            if self.protocol.is_none() {
                self.protocol = Some(p);
            }
            self.push(BlockKind::Paragraph, vec![], unit, text.to_owned());
            self.open_turn = false;
            return;
        }
        if let Some(c) = ATTENDANCE.captures(text) {
            self.flush_pending();
            let label = c[1].trim().to_owned();
            let names = split_names(&c[2]);
            if !names.is_empty() {
                self.participants.push(Participants { label, names });
                self.push(BlockKind::Participants, vec![], unit, text.to_owned());
                self.open_turn = false;
                return;
            }
        }
        if let Some(names) = parse_name_list_in_parens(text) {
            self.flush_pending();
            let next_is_turn = next.is_some_and(|n| parse_explicit_turn(&n.text).is_some());
            let heading_just_set = self.fresh_heading && self.section().presenters.is_empty();
            if heading_just_set && (next_is_turn || names.len() > 1) {
                let section = self.section();
                section.presenters = names;
                section.heading_notes.extend(&unit.notes);
                return;
            }
            self.pending_speakers = Some((names, unit.clone()));
            return;
        }
        if let Some((speakers, speech)) = parse_explicit_turn(text) {
            self.flush_pending();
            self.push(BlockKind::Turn, speakers, unit, speech);
            return;
        }
        if let Some((speakers, _)) = self.pending_speakers.take() {
            self.push(BlockKind::Turn, speakers, unit, text.to_owned());
            return;
        }
        if is_list_item(text) {
            self.push(BlockKind::ListItem, vec![], unit, text.to_owned());
            return;
        }
        // Markup says which paragraphs are headings; a short `<p>` ("No information on
        // this.") is not one.
        if let Some((heading, presenters)) = parse_heading(text).filter(|_| unit.role == LineRole::Line) {
            self.open_section(heading, presenters, unit);
            return;
        }
        if self.open_turn {
            let block = self.section().blocks.last_mut().expect("an open turn is a block");
            block.text.push_str("\n\n");
            block.text.push_str(text);
            block.notes.extend(&unit.notes);
            self.fresh_heading = false;
            return;
        }
        self.push(BlockKind::Paragraph, vec![], unit, text.to_owned());
    }

    fn open_section(&mut self, heading: String, presenters: Vec<String>, unit: &Unit) {
        self.sections.push(Section {
            heading: Some(heading),
            heading_notes: unit.notes.clone(),
            presenters,
            blocks: vec![],
            ..Default::default()
        });
        self.fresh_heading = true;
        self.open_turn = false;
    }

    fn finish(&mut self) {
        self.flush_pending();
    }
}

fn parse_protocol(text: &str) -> Option<Protocol> {
    if text.len() > 80 {
        return None;
    }
    if let Some(c) = PROTOCOL.captures(text) {
        return Some(Protocol { number: c[2].to_owned(), point: Some(c[1].to_owned()) });
    }
    PROTOCOL_ONLY.captures(text).map(|c| Protocol { number: c[1].to_owned(), point: None })
}

/// Splits a printed list of names ("Bulganin, Voroshilov, … Yudin. Chinese comrades.").
pub fn split_names(list: &str) -> Vec<String> {
    list.split([',', ';'])
        .flat_map(split_sentences)
        .flat_map(|part| {
            let part = part.trim();
            match part.strip_prefix("and ") {
                Some(rest) => vec![rest],
                None => part.split(" and ").collect(),
            }
        })
        .map(|n| strip_comrade(n.trim().trim_end_matches('.').trim()).to_owned())
        .filter(|n| !n.is_empty() && n.chars().next().is_some_and(char::is_alphabetic))
        .collect()
}

/// Splits "Yudin. Chinese comrades" at the sentence end, but not "Cde. Molotov" or
/// "V. N. Malin" at an abbreviation or initial.
fn split_sentences(part: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in part.match_indices(". ") {
        let word = part[start..i].rsplit(char::is_whitespace).next().unwrap_or("");
        if !is_abbreviation(&format!("{word}.")) {
            out.push(&part[start..i]);
            start = i + 2;
        }
    }
    out.push(&part[start..]);
    out
}

/// "Cde. Khrushchev" → "Khrushchev".
pub fn strip_comrade(name: &str) -> &str {
    static PREFIX: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"^{CDE}\s*")).unwrap());
    match PREFIX.find(name) {
        Some(m) => name[m.end()..].trim(),
        None => name.trim(),
    }
}

fn parse_name_list_in_parens(text: &str) -> Option<Vec<String>> {
    let c = NAME_LIST_IN_PARENS.captures(text)?;
    let names = split_names(&c[1]);
    (!names.is_empty()).then_some(names)
}

/// A paragraph that names its own speakers: returns them and the speech.
pub fn parse_explicit_turn(text: &str) -> Option<(Vec<String>, String)> {
    if let Some(c) = CDE_SPEAKERS.captures(text) {
        let speakers = split_names(&c[1]);
        let rest = &c[2];
        let trimmed = rest.trim_start();
        if let Some(speech) = trimmed.strip_prefix(['-', '–', '—', ':']) {
            return Some((speakers, speech.trim().to_owned()));
        }
        // Reported speech: "Cde. Zhukov provides information about …".
        let verb: String = trimmed.chars().take_while(|c| c.is_alphabetic()).collect();
        let starts_lower = verb.chars().next().is_some_and(char::is_lowercase);
        let speech_verb = (verb.ends_with('s') && verb.len() > 3 && !NOT_SPEECH_VERBS.contains(&verb.as_str()))
            || SPEECH_VERBS_PAST.contains(&verb.as_str())
            || speakers.len() > 1 && SPEECH_VERBS_PLURAL.contains(&verb.as_str());
        if rest.starts_with(char::is_whitespace) && starts_lower && speech_verb {
            return Some((speakers, text.trim().to_owned()));
        }
        return None;
    }
    if let Some(c) = TITLED_SPEAKER.captures(text)
        && REPORTED_SPEECH_VERBS.split_whitespace().any(|v| v == &c[2])
    {
        return Some((vec![c[1].trim().to_owned()], text.trim().to_owned()));
    }
    if let Some(c) = CAPS_SPEAKER.captures(text) {
        let label = c[1].trim();
        let letters = label.chars().filter(|c| c.is_alphabetic()).count();
        // "AGENDA ITEM III: …" opens an agenda item; its first word says so.
        let first_word = label.split_whitespace().next().unwrap_or("");
        let not_speaker = NOT_SPEAKER_LABELS.contains(&label.trim_end_matches('.'))
            || NOT_SPEAKER_LABELS.contains(&first_word.trim_end_matches('.'));
        if letters >= 3 && !not_speaker {
            return Some((vec![label.to_owned()], c[2].trim().to_owned()));
        }
    }
    None
}

fn is_list_item(text: &str) -> bool {
    if text.chars().count() > 100 {
        return false;
    }
    ENUMERATED_ITEM.is_match(text) || NAME_DASH_ITEM.is_match(text)
}

/// A short noun phrase standing alone: "On the Situation in Hungary",
/// "On Discussions with the Chinese comrades.", with presenters split off when they
/// share its line.
fn parse_heading(text: &str) -> Option<(String, Vec<String>)> {
    let (heading, presenters) = match HEADING_WITH_PRESENTERS.captures(text) {
        Some(c) => (c[1].trim().to_owned(), split_names(&c[2])),
        None => (text.trim().to_owned(), vec![]),
    };
    looks_like_heading(&heading).then_some((heading, presenters))
}

fn looks_like_heading(text: &str) -> bool {
    let chars = text.chars().count();
    if !(3..=120).contains(&chars) || text.contains("  ") || text.contains('\t') {
        return false;
    }
    let first = text.chars().next().unwrap_or(' ');
    if !first.is_uppercase() {
        return false;
    }
    // "Subject: …", "Here: …": a labelled field of a memorandum, not a heading.
    if LABELLED_FIELD.is_match(text) {
        return false;
    }
    // A heading that ends like a sentence must open like an agenda item ("On …",
    // "Information from …"); otherwise it is a short sentence.
    if text.ends_with('.') {
        let first_word = text.split_whitespace().next().unwrap_or("");
        if !AGENDA_OPENERS.contains(&first_word) {
            return false;
        }
    }
    let body = text.trim_end_matches('.');
    if body.contains(['?', '!', ';', '"', '“', '”']) || body.ends_with([',', '-', '–', ':']) {
        return false;
    }
    let words: Vec<&str> = body.split_whitespace().collect();
    let spaced_letters = words.windows(4).any(|w| w.iter().all(|x| x.chars().count() == 1));
    if words.len() > 16 || spaced_letters || words.iter().all(|w| w.chars().count() == 1) {
        return false;
    }
    // A period inside the heading is only allowed after an abbreviation or initial.
    for w in &words[..words.len().saturating_sub(1)] {
        if w.ends_with('.') && !is_abbreviation(w) {
            return false;
        }
    }
    let long_words = words.iter().filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 3).count();
    if long_words == 0 {
        return false;
    }
    !words.iter().any(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        FINITE_VERBS.contains(&w.as_str())
    })
}

fn is_abbreviation(word: &str) -> bool {
    let w = word.trim_end_matches('.');
    w.chars().count() == 1
        || matches!(
            w,
            "Cde" | "Cdes" | "No" | "Nos" | "Mr" | "Mrs" | "Dr" | "St" | "Gen" | "Col" | "Lt" | "Maj" | "Capt" | "vs"
        )
}

/// Lower-case letters and digits only: compares a body line with the title.
fn normalize_key(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speakers(text: &str) -> Option<Vec<String>> {
        parse_explicit_turn(text).map(|(s, _)| s)
    }

    #[test]
    fn turn_forms() {
        assert_eq!(speakers("Cde. Voroshilov: We must look ahead."), Some(vec!["Voroshilov".into()]));
        assert_eq!(speakers("Cde. Kaganovich-Pancha Shila, but"), Some(vec!["Kaganovich".into()]));
        assert_eq!(
            speakers("Cde. Kaganovich, Cde. Molotov, Cde. Zhukov: We should mention the Potsdam agreement."),
            Some(vec!["Kaganovich".into(), "Molotov".into(), "Zhukov".into()])
        );
        assert_eq!(speakers("Cde. Liu Shaoqi indicates on behalf of the CPC CC"), Some(vec!["Liu Shaoqi".into()]));
        assert_eq!(speakers("Cde. Zhukov provides information about"), Some(vec!["Zhukov".into()]));
        assert_eq!(speakers("Cdes. Mikoyan and Suslov report that"), Some(vec!["Mikoyan".into(), "Suslov".into()]));
        assert_eq!(speakers("SECRETARY KISSINGER: I think so."), Some(vec!["SECRETARY KISSINGER".into()]));
        assert_eq!(parse_explicit_turn("Cde. Zhukov-Agrees with").unwrap().1, "Agrees with");
    }

    #[test]
    fn turn_forms_of_the_frus_history_minutes() {
        // Labels of the HAC transcripts, 1958-1960 (frus-history documents).
        let perkins = "MR. PERKINS: Well, of course one of the reactions was the Declaration of Panama,";
        assert_eq!(speakers(perkins), Some(vec!["MR. PERKINS".into()]));
        let r_perkins = "MR. R. PERKINS: Well, as you all know, you have received the one and only volume";
        assert_eq!(speakers(r_perkins), Some(vec!["MR. R. PERKINS".into()]));
        let e_r_perkins = "MR. E.R. PERKINS: I assume it would be a volume in itself.";
        assert_eq!(speakers(e_r_perkins), Some(vec!["MR. E.R. PERKINS".into()]));
        assert_eq!(speakers("THE CHAIRMAN: I think that would be fine."), Some(vec!["THE CHAIRMAN".into()]));
        assert_eq!(speakers("AGENDA ITEM III: CLEARANCE DIFFICULTIES AND PROSPECTS"), None);
        // Reported speech of the summary minutes (1961-11-03, 1968-11-01, 1983-11-10).
        assert_eq!(speakers("Mr. Goodrich asked whether the Committee"), Some(vec!["Goodrich".into()]));
        assert_eq!(speakers("Dr. Franklin noted that target dates also affected"), Some(vec!["Franklin".into()]));
        assert_eq!(speakers("Professor Perkins then asked about the volume"), Some(vec!["Perkins".into()]));
        assert_eq!(speakers("Mr. E. R. Perkins stated that Foreign Relations"), Some(vec!["E. R. Perkins".into()]));
        assert_eq!(speakers("Mr. Noble called the meeting to order"), None);
        assert_eq!(speakers("Mr. Smith’s picture was far too optimistic."), None);
    }

    #[test]
    fn what_is_not_a_turn() {
        for text in [
            "Nagy-the prime minister.",
            "Cde. Konev is to be sent to Budapest.",
            "Page 3-we should speak about economic equity",
            "SUBJECT: Meeting",
            "Information from Cde. Yudin on Negotiations with the Chinese Comrades.",
        ] {
            assert_eq!(speakers(text), None, "{text}");
        }
    }

    #[test]
    fn headings_and_sentences() {
        for h in [
            "On the Situation in Hungary",
            "On Discussions with the Chinese comrades.",
            "Information from Cde. Yudin on Negotiations with the Chinese Comrades.",
            "Consideration of the Draft Declaration",
        ] {
            assert!(looks_like_heading(h), "{h}");
        }
        for s in [
            "Information from Cdes. Mikoyan and Serov is read aloud.",
            "What's the situation: Will Hungary leave our camp? Who is Nagy?",
            "M e m o r a n d u m",
            "MD J. Bitterlich          Bonn, 31 October 1997",
            "here: essential topics and results",
            "Subject: Chancellor's Meeting with Russian President Yeltsin on 17 April 1997 in Baden-Baden",
            "President Yeltsin and the Chancellor agreed to publicly announce their intention at the press meeting.",
        ] {
            assert!(!looks_like_heading(s), "{s}");
        }
    }

    #[test]
    fn list_items() {
        for t in ["Nagy-the prime minister.", "Tildy Zoltan- \"", "Kovacs Bela-", "1. domestic political development"] {
            assert!(is_list_item(t), "{t}");
        }
        assert!(!is_list_item("Cde. Zhukov-We should express sympathy with the people."));
    }

    #[test]
    fn page_break_joins() {
        assert!(joins_across_page_break("This is a lesson for us", "in the military-political sphere."));
        assert!(joins_across_page_break("Cde. Kaganovich, Cde. Molotov, Cde.", "Zhukov: We should"));
        assert!(!joins_across_page_break("On the Situation in Hungary", "Information from Cdes."));
        assert!(!joins_across_page_break("It was read.", "then we left"));
    }

    #[test]
    fn attendance_glued_to_a_paragraph_is_split_off() {
        let lines = [SourceLine::new(
            "Can he be trusted? About the advisers.Those taking part: Bulganin, Yudin. Chinese comrades.",
            7,
        )];
        let (body, _) = analyze_body(&lines, "", &BTreeSet::new());
        assert_eq!(body.participants.len(), 1);
        assert_eq!(body.participants[0].label, "Those taking part");
        assert_eq!(body.participants[0].names, vec!["Bulganin", "Yudin", "Chinese comrades"]);
        let blocks = &body.sections[0].blocks;
        assert_eq!(blocks[0].text, "Can he be trusted? About the advisers.");
        assert_eq!(blocks[1].kind, BlockKind::Participants);
    }

    #[test]
    fn protocol_lines() {
        assert_eq!(
            parse_protocol("(Re: Point 1 of Protocol No. 49)"),
            Some(Protocol { number: "49".into(), point: Some("1".into()) })
        );
        assert_eq!(parse_protocol("Protocol No. 12"), Some(Protocol { number: "12".into(), point: None }));
    }
}
