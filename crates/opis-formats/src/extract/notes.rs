//! Notes: the markers in the body (`(7)`, `[7]`), the note list after it (`7 text`,
//! `[7] text`), page-break repair inside notes, and what each note cites (other
//! notes, other documents, archive files).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use opis_model::{Note, NoteRef, RefKind};
use regex::Regex;

use super::archival::find_archival_refs;
use super::body::{SourceLine, joins_across_page_break};

/// A note marker: `(7)` or `[7]`, one to three digits.
static MARKER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[(\[](\d{1,3})[)\]]").unwrap());

/// The start of a note in a note list: `7 text`, `7. text`, `[7] text`, `(7) text`.
static NOTE_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:\[(\d{1,3})\]|\((\d{1,3})\)|(\d{1,3})\.?)\s+(\S.*)$").unwrap());

static NOTE_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:[Nn]otes?|[Ff]ootnotes?|[Nn]n?\.)\s+(\d{1,4}(?:(?:\s*,\s*|\s+and\s+|\s*[-–]\s*)\d{1,4})*)")
        .unwrap()
});

static DOCUMENT_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:[Dd]ocuments?|[Dd]ocs?\.)\s+(?:[Nn]os?\.|[Nn]umbers?|#)\s*(\d{1,5}[a-z]?)").unwrap()
});

/// Parses the lines after a notes header into notes.
///
/// A line opens a new note when it starts with a number that can follow the last
/// one (gaps are allowed, going back is not); other lines continue the note before,
/// joined with a space across a page break and with a blank line otherwise.
/// Returns the notes and the lines that stood before the first note.
pub fn parse_note_list(lines: &[SourceLine]) -> (Vec<Note>, Vec<SourceLine>) {
    let mut notes: Vec<Note> = Vec::new();
    let mut stray = Vec::new();
    for line in lines {
        let text = line.text.trim();
        if text.is_empty() {
            continue;
        }
        let prev_n = notes.last().map_or(0, |n| n.n);
        if let Some(c) = NOTE_START.captures(text) {
            let n: u32 = c.get(1).or(c.get(2)).or(c.get(3)).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
            let bracketed = c.get(3).is_none();
            let plausible = n > prev_n && (n <= prev_n + 10 || bracketed || notes.is_empty() && n <= 50);
            if plausible {
                notes.push(Note {
                    n,
                    text: c[4].trim().to_owned(),
                    archival_refs: vec![],
                    refs: vec![],
                    line: Some(line.line),
                });
                continue;
            }
        }
        match notes.last_mut() {
            Some(note) => {
                if joins_across_page_break(&note.text, text) {
                    note.text.push(' ');
                } else {
                    note.text.push_str("\n\n");
                }
                note.text.push_str(text);
            }
            None => stray.push(line.clone()),
        }
    }
    (notes, stray)
}

/// Splits notes written `[1] text` at the end of a body (the layout of the scraped
/// exports, which have no notes header) from the body before them. The note list
/// starts at the last line opening with `[1]` whose marker `[1]` stands earlier.
pub fn split_trailing_notes(lines: &[SourceLine]) -> (Vec<SourceLine>, Vec<SourceLine>) {
    let starts_note_one = |l: &SourceLine| {
        let t = l.text.trim_start();
        t.strip_prefix("[1]").is_some_and(|rest| rest.starts_with(char::is_whitespace))
    };
    let Some(start) = lines.iter().rposition(starts_note_one) else {
        return (lines.to_vec(), Vec::new());
    };
    if !lines[..start].iter().any(|l| l.text.contains("[1]")) {
        return (lines.to_vec(), Vec::new());
    }
    (lines[..start].to_vec(), lines[start..].to_vec())
}

/// Fills what a note's text cites: archival references (unless the reader set
/// them) and references to notes and documents (added to any the markup gave).
pub fn cite_in_note(note: &mut Note) {
    if note.archival_refs.is_empty() {
        note.archival_refs = find_archival_refs(&note.text);
    }
    for r in find_note_refs(&note.text) {
        if !note.refs.iter().any(|x| x.kind == r.kind && x.target == r.target) {
            note.refs.push(r);
        }
    }
}

/// References to other notes ("see Note 78 supra", "Notes 12 and 14") and to other
/// documents ("see Document No. 8") inside a note's text.
pub fn find_note_refs(text: &str) -> Vec<NoteRef> {
    let mut refs = Vec::new();
    for c in NOTE_REF.captures_iter(text) {
        let whole = c.get(0).unwrap().as_str().trim().to_owned();
        let list = &c[1];
        let numbers: Vec<&str> = list.split(|ch: char| !ch.is_ascii_digit()).filter(|s| !s.is_empty()).collect();
        // "Notes 12-14" is a range; anything else is a list.
        let is_range = numbers.len() == 2 && list.contains(['-', '–']);
        if is_range
            && let (Ok(a), Ok(b)) = (numbers[0].parse::<u32>(), numbers[1].parse::<u32>())
            && a < b
            && b - a < 50
        {
            for n in a..=b {
                refs.push(NoteRef { kind: RefKind::Note, target: n.to_string(), text: whole.clone() });
            }
            continue;
        }
        for n in numbers {
            refs.push(NoteRef { kind: RefKind::Note, target: n.to_owned(), text: whole.clone() });
        }
    }
    for c in DOCUMENT_REF.captures_iter(text) {
        refs.push(NoteRef {
            kind: RefKind::Document,
            target: c[1].to_owned(),
            text: c.get(0).unwrap().as_str().trim().to_owned(),
        });
    }
    refs
}

/// Removes note markers from a body text and returns the cleaned text with the
/// numbers of the markers found.
///
/// A `(n)` or `[n]` counts as a marker when a note `n` exists and has not been
/// anchored yet, or when it sits right after a word or punctuation with no space
/// (the usual place of a marker) — then it is a marker whose note is missing.
/// `anchored` collects the numbers used so that each note is anchored once.
pub fn take_markers(text: &str, known: &BTreeSet<u32>, anchored: &mut BTreeSet<u32>) -> (String, Vec<u32>) {
    if !text.contains(['(', '[']) {
        return (text.to_owned(), Vec::new());
    }
    let mut out = String::with_capacity(text.len());
    let mut found = Vec::new();
    let mut last = 0;
    for c in MARKER.captures_iter(text) {
        let m = c.get(0).unwrap();
        let Ok(n) = c[1].parse::<u32>() else { continue };
        let before = text[..m.start()].chars().next_back();
        let glued = before.is_some_and(|ch| !ch.is_whitespace() && ch != '(' && ch != '[');
        let after = text[m.end()..].chars().next();
        // "(1) mutual respect" at the start of an enumeration is not a marker.
        let enumeration = before.is_none() && after.is_some_and(|ch| ch == ' ');
        let is_marker = !enumeration && !anchored.contains(&n) && (known.contains(&n) || glued);
        if !is_marker {
            continue;
        }
        anchored.insert(n);
        found.push(n);
        let kept = &text[last..m.start()];
        out.push_str(kept.strip_suffix(' ').filter(|_| after.is_none_or(|ch| ch.is_whitespace())).unwrap_or(kept));
        last = m.end();
    }
    out.push_str(&text[last..]);
    (tidy_spaces(&out), found)
}

/// Collapses runs of spaces left where markers were removed, and trims.
fn tidy_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_space = false;
    for ch in s.chars() {
        if ch == ' ' {
            if !prev_space {
                out.push(ch);
            }
            prev_space = true;
        } else {
            out.push(ch);
            prev_space = false;
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<SourceLine> {
        text.lines().enumerate().map(|(i, l)| SourceLine::new(l, i as u32 + 1)).collect()
    }

    #[test]
    fn markers_are_taken_once_and_spacing_is_tidied() {
        let known: BTreeSet<u32> = [6, 7].into();
        let mut anchored = BTreeSet::new();
        let (t, n) = take_markers("On Discussions with the Chinese comrades. (6)", &known, &mut anchored);
        assert_eq!((t.as_str(), n), ("On Discussions with the Chinese comrades.", vec![6]));
        let (t, n) = take_markers("for you (the Poles) to decide.(7) Next", &known, &mut anchored);
        assert_eq!((t.as_str(), n), ("for you (the Poles) to decide. Next", vec![7]));
        // Already anchored, and not glued: left as text.
        let (t, n) = take_markers("see (6) again", &known, &mut anchored);
        assert_eq!((t.as_str(), n), ("see (6) again", vec![]));
    }

    #[test]
    fn a_glued_marker_without_a_note_is_still_a_marker() {
        let (t, n) = take_markers("troops.[3] More", &BTreeSet::new(), &mut BTreeSet::new());
        assert_eq!((t.as_str(), n), ("troops. More", vec![3]));
        let (_, n) = take_markers("(1) mutual respect", &[1].into(), &mut BTreeSet::new());
        assert!(n.is_empty());
    }

    #[test]
    fn note_list_joins_page_breaks_and_keeps_paragraphs() {
        let (notes, stray) = parse_note_list(&lines(
            "9 The PKK met at least twice a\n\nyear.\n10 During crises.\n\nSee \"TsK KPSS,\" in TsKhSD.\n[12] Bracketed.",
        ));
        assert!(stray.is_empty());
        assert_eq!(notes.iter().map(|n| n.n).collect::<Vec<_>>(), vec![9, 10, 12]);
        assert_eq!(notes[0].text, "The PKK met at least twice a year.");
        assert_eq!(notes[1].text, "During crises.\n\nSee \"TsK KPSS,\" in TsKhSD.");
        assert_eq!(notes[0].line, Some(1));
    }

    #[test]
    fn a_year_at_the_start_of_a_line_does_not_open_a_note() {
        let (notes, _) = parse_note_list(&lines("1 First note ends\n1956 was the year."));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].text.ends_with("1956 was the year."));
    }

    #[test]
    fn refs_to_notes_and_documents() {
        let refs = find_note_refs("(see Note 78 supra); see Document No. 8; cf. Notes 12 and 14.");
        let got: Vec<(RefKind, &str)> = refs.iter().map(|r| (r.kind, r.target.as_str())).collect();
        assert_eq!(
            got,
            vec![(RefKind::Note, "78"), (RefKind::Note, "12"), (RefKind::Note, "14"), (RefKind::Document, "8")]
        );
        assert!(find_note_refs("Protocol No. 49 and Resolution No. P49/1").is_empty());
    }
}
