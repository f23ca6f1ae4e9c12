//! People named in a document: who they are as printed, the spellings met, and how
//! often each is mentioned in the body and the notes.
//!
//! Candidates come from what the document itself marks as a person: speakers,
//! presenters and attendance lists, "Cde. X" and "Cdes. X and Y", titles ("Marshal
//! Ivan Konev", "Ambassador Wailes"), initials ("V. N. Malin"), the names of
//! `Name-description` list items, and names the source's metadata asserts. A person
//! is keyed by surname; identity across documents is the people authority's job.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use opis_model::{BlockKind, Document, PersonMention};
use regex::Regex;

const SURNAME: &str = r"\p{Lu}\p{Ll}[\p{L}'’]*(?:-\p{Lu}\p{Ll}[\p{L}'’]*)?";

static COMRADES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:^|[^\p{{L}}\p{{N}}])(?:Cdes?\.|Comrades?)\s+({SURNAME}(?:\s+{SURNAME})?(?:\s*,\s*{SURNAME})*(?:\s*,?\s+and\s+{SURNAME})?)"
    ))
    .unwrap()
});

static TITLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:^|[^\p{{L}}\p{{N}}])(?:Marshal|General|Colonel|Admiral|Prime Minister|President|Premier|Ambassador|Secretary|Chancellor|Minister|Chairman|Mr\.|Mrs\.|Ms\.|Dr\.|Professor|Prof\.)\s+((?:\p{{Lu}}\.\s*)*{SURNAME}(?:\s+{SURNAME}){{0,2}})"
    ))
    .unwrap()
});

/// `V. N. Malin`, `E. Ronald Noble`: anchored, tried only where an initial stands.
static INITIALS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^((?:\p{{Lu}}\.\s?){{1,3}}{SURNAME}(?:\s+{SURNAME})?)")).unwrap());

static LIST_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^({SURNAME}(?:\s+{SURNAME})?)\s*[-–—]")).unwrap());

/// Words that a capitalised-name pattern picks up but that are not people.
const NOT_NAMES: &[&str] = &[
    "The",
    "This",
    "That",
    "These",
    "Soviet",
    "Chinese",
    "Hungarian",
    "Polish",
    "Party",
    "State",
    "Government",
    "Council",
    "Committee",
    "Presidium",
    "Politburo",
    "Union",
    "Department",
    "General",
    "Secretary",
    "Minister",
    "President",
    "Staff",
    "Of",
    "On",
    "In",
    "And",
    "Page",
    "Par",
    "See",
    "Note",
    "Document",
];

/// Collects the persons of `doc`; `asserted` are names the source's metadata gives
/// ("Kohl, Helmut"), listed even when the text does not mention them.
pub fn collect_persons(doc: &Document, asserted: &[String]) -> Vec<PersonMention> {
    let mut forms: Vec<(String, String)> = Vec::new(); // (key, form as printed)
    let mut add = |form: &str, whole_is_surname: bool| {
        let form = form.trim().trim_end_matches(['.', ',']).trim();
        let form = form.strip_suffix("'s").or_else(|| form.strip_suffix("’s")).unwrap_or(form);
        if form.is_empty() || !form.chars().next().is_some_and(char::is_uppercase) {
            return;
        }
        if form.split_whitespace().any(|w| w.chars().next().is_some_and(char::is_lowercase)) {
            return;
        }
        let key = if whole_is_surname { form.to_owned() } else { surname_of(form) };
        if key.is_empty() || NOT_NAMES.contains(&key.as_str()) {
            return;
        }
        forms.push((key, form.to_owned()));
    };

    for section in &doc.sections {
        for p in &section.presenters {
            add(p, true);
        }
        for b in &section.blocks {
            for s in &b.speakers {
                add(&speaker_display(s), true);
            }
            if b.kind == BlockKind::ListItem
                && let Some(c) = LIST_NAME.captures(&b.text)
            {
                add(&c[1], true);
            }
        }
    }
    for list in &doc.participants {
        for n in &list.names {
            add(n, true);
        }
    }
    for name in asserted {
        add(&inverted_to_natural(name), false);
    }
    let mut texts: Vec<&str> = all_texts(doc).collect();
    for text in &texts {
        for c in COMRADES.captures_iter(text) {
            for n in super::body::split_names(&c[1]) {
                add(&n, true);
            }
        }
        for c in TITLED.captures_iter(text) {
            add(&c[1], false);
        }
        for start in initial_starts(text) {
            if let Some(c) = INITIALS.captures(&text[start..]) {
                add(&c[1], false);
            }
        }
    }

    // A speaker label or presenter is a printed mention too, unless the turn's text
    // itself starts by naming the speaker ("Cde. Zhukov provides …").
    for section in &doc.sections {
        texts.extend(section.presenters.iter().map(String::as_str));
        for b in section.blocks.iter().filter(|b| b.kind == BlockKind::Turn) {
            let opening: String = b.text.chars().take(40).collect();
            texts.extend(b.speakers.iter().map(String::as_str).filter(|s| !opening.contains(*s)));
        }
    }
    let counts = WordCounts::new(&texts);
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, form) in forms {
        let variants = by_key.entry(key).or_default();
        if !variants.contains(&form) {
            variants.push(form);
        }
    }
    // A multi-word key ("Liu Shaoqi") absorbs a one-word key that is its last word only
    // when nothing else claims it; otherwise both stay and the authority decides.
    let mut persons: Vec<PersonMention> = by_key
        .into_iter()
        .map(|(key, variants)| {
            let mentions = counts.count(&key);
            let name = variants
                .iter()
                .filter(|v| !v.contains('.'))
                .max_by_key(|v| v.len())
                .or_else(|| variants.iter().max_by_key(|v| v.len()))
                .cloned()
                .unwrap_or_else(|| key.clone());
            PersonMention { name, variants, mentions, refs: vec![] }
        })
        .collect();
    persons.sort_by(|a, b| b.mentions.cmp(&a.mentions).then_with(|| a.name.cmp(&b.name)));
    persons
}

/// Gives each person the source's ids for it (`form` → ids: ParlaMint `who`, FRUS `corresp`).
/// Ids go to the person printed exactly so; a form that is only a variant of a person keyed by
/// surname (where two people of one surname share a key) becomes a person of its own, so an id
/// never lands on the wrong one of two namesakes.
pub fn attach_refs(persons: &mut Vec<PersonMention>, refs: &BTreeMap<String, std::collections::BTreeSet<String>>) {
    for (form, ids) in refs {
        let person = match persons.iter().position(|p| p.name == *form) {
            Some(i) => &mut persons[i],
            None => {
                persons.push(PersonMention {
                    name: form.clone(),
                    variants: vec![form.clone()],
                    mentions: 0,
                    refs: vec![],
                });
                let last = persons.len() - 1;
                &mut persons[last]
            }
        };
        for id in ids {
            if !person.refs.contains(id) {
                person.refs.push(id.clone());
            }
        }
    }
}

/// Byte offsets where an initial ("V.") starts a word: an upper-case letter followed
/// by a period, not preceded by a letter or digit. A scan this simple is much faster
/// than a regex without a literal to look for.
fn initial_starts(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c.is_uppercase()
            && iter.peek().is_some_and(|&(_, n)| n == '.')
            && !prev.is_some_and(|p| p.is_alphanumeric() || p == '.')
        {
            out.push(i);
        }
        prev = Some(c);
    }
    // An initial inside a run of initials is found from the run's first one.
    out.dedup_by(|b, a| text[*a..*b].len() <= 4 && text[*a..*b].trim_end().ends_with('.'));
    out
}

/// "SECRETARY KISSINGER" → "Kissinger"; other speaker labels unchanged.
fn speaker_display(label: &str) -> String {
    if label.chars().any(char::is_lowercase) {
        return label.to_owned();
    }
    let last = label.split_whitespace().last().unwrap_or(label).trim_end_matches('.');
    let mut chars = last.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
}

/// "Kohl, Helmut" → "Helmut Kohl"; "Blair, Anthony Charles Lynton (\"Tony\")" → "Anthony Charles Lynton Blair".
fn inverted_to_natural(name: &str) -> String {
    let without_nick = match name.find(" (") {
        Some(i) => &name[..i],
        None => name,
    };
    match without_nick.split_once(", ") {
        Some((surname, given)) if !given.contains(',') => format!("{given} {surname}"),
        _ => without_nick.to_owned(),
    }
}

fn surname_of(form: &str) -> String {
    form.split_whitespace().rfind(|w| !w.ends_with('.')).unwrap_or("").trim_end_matches(['\'', '’']).to_owned()
}

fn all_texts(doc: &Document) -> impl Iterator<Item = &str> {
    doc.sections
        .iter()
        .flat_map(|s| s.heading.as_deref().into_iter().chain(s.blocks.iter().map(|b| b.text.as_str())))
        .chain(doc.notes.iter().map(|n| n.text.as_str()))
}

/// Word and word-sequence counts over a document's texts, possessives folded.
struct WordCounts<'a> {
    words: Vec<&'a str>,
    /// Where each capitalised word stands in `words`.
    positions: HashMap<&'a str, Vec<u32>>,
}

impl<'a> WordCounts<'a> {
    fn new(texts: &[&'a str]) -> Self {
        let mut words = Vec::new();
        for text in texts {
            for w in text.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’' || c == '-')) {
                let w = w.trim_matches(['\'', '’', '-']);
                let w = w.strip_suffix("'s").or_else(|| w.strip_suffix("’s")).unwrap_or(w);
                if !w.is_empty() {
                    words.push(w);
                }
            }
            words.push(""); // texts do not run into each other
        }
        // Names are capitalised: indexing only such words keeps hashing off the hot path,
        // and a multi-word name is looked for only where its first word stands.
        let mut positions: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, w) in words.iter().enumerate().filter(|(_, w)| w.starts_with(char::is_uppercase)) {
            positions.entry(*w).or_default().push(i as u32);
        }
        WordCounts { words, positions }
    }

    fn count(&self, key: &str) -> u32 {
        let parts: Vec<&str> = key.split_whitespace().collect();
        let Some(first) = parts.first() else { return 0 };
        let Some(starts) = self.positions.get(first) else { return 0 };
        starts
            .iter()
            .filter(|&&i| {
                let i = i as usize;
                parts[1..].iter().enumerate().all(|(k, p)| self.words.get(i + 1 + k) == Some(p))
            })
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opis_model::{Block, Note, Section};

    #[test]
    fn persons_from_turns_comrades_titles_and_initials() {
        let doc = Document {
            sections: vec![Section {
                blocks: vec![Block {
                    kind: BlockKind::Turn,
                    speakers: vec!["Zhukov".into()],
                    text: "Agrees with what Cde. Shepilov has said. Marshal Ivan Konev's troops.".into(),
                    notes: vec![],
                    line: None,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            notes: vec![Note {
                n: 1,
                text: "Zhukov and Konev; compiled by V. N. Malin.".into(),
                archival_refs: vec![],
                refs: vec![],
                line: None,
            }],
            ..Default::default()
        };
        let persons = collect_persons(&doc, &["Kohl, Helmut".to_owned()]);
        let get = |n: &str| persons.iter().find(|p| p.name == n).unwrap_or_else(|| panic!("{n} in {persons:?}"));
        // The speaker label and "Zhukov and Konev" in the note.
        assert_eq!(get("Zhukov").mentions, 2);
        assert_eq!(get("Ivan Konev").mentions, 2);
        assert_eq!(get("Shepilov").mentions, 1);
        assert_eq!(get("V. N. Malin").mentions, 1);
        assert_eq!(get("Helmut Kohl").mentions, 0);
    }

    #[test]
    fn inverted_names() {
        assert_eq!(inverted_to_natural("Blair, Anthony Charles Lynton (\"Tony\")"), "Anthony Charles Lynton Blair");
        assert_eq!(speaker_display("SECRETARY KISSINGER"), "Kissinger");
    }
}
