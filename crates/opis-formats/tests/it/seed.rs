//! The seed, `presidium-1956-10-30.txt`: every expectation below was read from the
//! document itself (and the issue that describes it), not from our output.

use std::collections::BTreeSet;

use opis_model::{BlockKind, RefKind};

use crate::{all_blocks, blocks_of_kind, parse_one, seed_path, turn_speakers};

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn metadata() {
    let doc = parse_one(&seed_path());
    assert_eq!(doc.id, "wilson-113647");
    assert_eq!(doc.title, "Working Notes from the Session of the CPSU CC Presidium on 30 October 1956");
    let date = doc.date.as_ref().unwrap();
    assert_eq!((date.from.as_str(), date.to.as_str()), ("1956-10-30", "1956-10-30"));
    assert_eq!(date.text, "October 30, 1956");
    assert_eq!(doc.source_url.as_deref(), Some("https://wilson-center-digital-archive.dvincitest.com/document/113647"));
    assert_eq!(doc.compiler.as_deref(), Some("V. N. Malin"));
    assert_eq!(doc.published_in.as_deref(), Some("CWIHP Bulletin 8-9, pp. 392-393"));
    assert_eq!(doc.original_language.as_deref(), Some("ru"));
    assert_eq!(doc.language, "en");
    assert_eq!(doc.kind, "working-notes");
    let p = doc.protocol.as_ref().unwrap();
    assert_eq!((p.number.as_str(), p.point.as_deref()), ("49", Some("1")));
    assert!(
        doc.summary.as_deref().unwrap().starts_with("The Presidium decides to promulgate a declaration on Hungary")
    );
    assert!(doc.citation.as_deref().unwrap().contains("Wilson Center Digital Archive, TsKhSD, F. 3"));
    assert!(!doc.citation.as_deref().unwrap().contains("https://"), "the URL is source_url, not citation text");
}

#[test]
fn citation_archival_reference() {
    let doc = parse_one(&seed_path());
    assert_eq!(doc.archival_refs.len(), 1, "{:?}", doc.archival_refs);
    let r = &doc.archival_refs[0];
    assert_eq!(r.text, "TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14");
    assert_eq!(r.archive, "TsKhSD");
    assert_eq!(
        (r.fond.as_deref(), r.opis.as_deref(), r.delo.as_deref(), r.leaves.as_deref()),
        (Some("3"), Some("12"), Some("1006"), Some("6-14"))
    );
}

#[test]
fn attendance_lists() {
    let doc = parse_one(&seed_path());
    assert_eq!(doc.participants.len(), 2);
    assert_eq!(doc.participants[0].label, "Those Taking Part");
    assert_eq!(
        doc.participants[0].names,
        names(&[
            "Bulganin",
            "Voroshilov",
            "Molotov",
            "Kaganovich",
            "Saburov",
            "Brezhnev",
            "Zhukov",
            "Shepilov",
            "Shvernik",
            "Furtseva",
            "Pospelov"
        ])
    );
    assert_eq!(doc.participants[1].label, "Those taking part");
    assert_eq!(
        doc.participants[1].names,
        names(&[
            "Bulganin",
            "Voroshilov",
            "Kaganovich",
            "Molotov",
            "Saburov",
            "Khrushchev",
            "Zhukov",
            "Brezhnev",
            "Shepilov",
            "Shvernik",
            "Furtseva",
            "Pospelov",
            "Yudin",
            "Chinese comrades"
        ])
    );
    // The second list is glued to the end of a paragraph in the source; the paragraph keeps its own text.
    assert!(all_blocks(&doc).any(|b| b.kind == BlockKind::Paragraph && b.text.ends_with("About the advisers.")));
    assert_eq!(blocks_of_kind(&doc, BlockKind::Participants).len(), 2);
}

#[test]
fn sections_headings_and_presenters() {
    let doc = parse_one(&seed_path());
    let headed: Vec<_> = doc.sections.iter().filter(|s| s.heading.is_some()).collect();
    let headings: Vec<&str> = headed.iter().map(|s| s.heading.as_deref().unwrap()).collect();
    assert_eq!(
        headings,
        vec![
            "On the Situation in Hungary",
            "On Discussions with the Chinese comrades.",
            "Consideration of the Draft Declaration",
            "Information from Cde. Yudin on Negotiations with the Chinese Comrades.",
            "On the Situation in Hungary",
        ]
    );
    let presenters: Vec<Vec<String>> = headed.iter().map(|s| s.presenters.clone()).collect();
    assert_eq!(
        presenters,
        vec![vec![], vec![], names(&["Shepilov", "Molotov", "Bulganin"]), vec![], names(&["Khrushchev", "Liu Shaoqi"])]
    );
    assert_eq!(headed[1].heading_notes, vec![6]);
    // The preamble: title line, protocol line, first attendance list.
    let pre = &doc.sections[0];
    assert!(pre.heading.is_none());
    let kinds: Vec<BlockKind> = pre.blocks.iter().map(|b| b.kind).collect();
    assert_eq!(kinds, vec![BlockKind::Paragraph, BlockKind::Paragraph, BlockKind::Participants]);
}

#[test]
fn turns_in_order_with_their_speakers() {
    let doc = parse_one(&seed_path());
    let expected: Vec<Vec<String>> = [
        &["Zhukov"][..],
        &["Khrushchev"],
        &["Bulganin"],
        &["Molotov"],
        &["Voroshilov"],
        &["Kaganovich"],
        &["Shepilov"],
        &["Zhukov"],
        &["Zhukov"],
        &["Furtseva"],
        &["Saburov"],
        &["Khrushchev"],
        &["Khrushchev"],
        &["Bulganin"],
        &["Khrushchev"],
        &["Kaganovich", "Molotov", "Zhukov"],
        &["Zhukov"],
        &["Zhukov"],
        &["Khrushchev"],
        &["Liu Shaoqi"],
        &["Khrushchev"],
        &["Molotov"],
    ]
    .iter()
    .map(|s| names(s))
    .collect();
    assert_eq!(turn_speakers(&doc), expected);
}

#[test]
fn turn_texts_page_breaks_and_continuations() {
    let doc = parse_one(&seed_path());
    let turns: Vec<_> = doc.turns().collect();
    assert!(turns[7].text.contains("This is a lesson for us in the military-political sphere."));
    assert!(turns[14].text.contains("Page 3-we should speak about economic equity"), "Khrushchev's Page 3 paragraph");
    assert!(turns[9].text.contains("About meetings with leaders of the people's democracies"), "Furtseva continues");
    assert!(turns[15].text.starts_with("We should mention the Potsdam agreement"));
    assert!(turns[18].text.starts_with("We are turning to the member-states of the Warsaw Pact"));
    assert!(turns[0].text.starts_with("Cde. Zhukov provides information"), "reported speech keeps its subject");
    for t in &turns {
        assert!(!t.text.contains("(1") && !t.text.contains("(2)"), "markers removed: {}", t.text);
    }
}

#[test]
fn what_is_not_a_turn() {
    let doc = parse_one(&seed_path());
    let items: Vec<&str> = blocks_of_kind(&doc, BlockKind::ListItem).iter().map(|b| b.text.as_str()).collect();
    assert_eq!(
        items,
        vec![
            "Nagy-the prime minister.",
            "Kadar-a state minister.",
            "Tildy Zoltan- \"",
            "Kovacs Bela-",
            "Losonczy-a Communist and a supporter of Nagy"
        ]
    );
    for t in doc.turns() {
        assert!(!t.text.contains("Nagy-the prime minister"));
    }
    let para = blocks_of_kind(&doc, BlockKind::Paragraph);
    assert!(para.iter().any(|b| b.text == "Information from Cdes. Mikoyan and Serov is read aloud." && b.notes == [3]));
}

#[test]
fn notes_anchored_once_each() {
    let doc = parse_one(&seed_path());
    assert_eq!(doc.notes.iter().map(|n| n.n).collect::<Vec<_>>(), (1..=21).collect::<Vec<_>>());
    let mut anchored: Vec<u32> = all_blocks(&doc).flat_map(|b| b.notes.clone()).collect();
    anchored.extend(doc.sections.iter().flat_map(|s| s.heading_notes.clone()));
    anchored.sort();
    assert_eq!(anchored, (1..=21).collect::<Vec<_>>());
    let unique: BTreeSet<u32> = anchored.iter().copied().collect();
    assert_eq!(unique.len(), 21);
    assert!(doc.diagnostics.iter().all(|d| d.code != "marker-without-note" && d.code != "note-never-referenced"));
    // Markers where the document puts them.
    let turns: Vec<_> = doc.turns().collect();
    assert_eq!(turns[0].notes, vec![4, 5]);
    assert_eq!(turns[10].notes, vec![11, 12], "Saburov");
    assert_eq!(turns[15].notes, vec![16], "the joint turn");
}

#[test]
fn note_texts_joined_across_page_breaks() {
    let doc = parse_one(&seed_path());
    let note = |n: u32| doc.notes.iter().find(|x| x.n == n).unwrap();
    assert!(note(9).text.contains("at least twice a year."));
    assert!(note(18).text.contains("drugimi sotsialisticheskimi stranami"));
    assert!(
        note(3).text.contains("bleak portrayal of the latest events.\n\nSee \"TsK KPSS,\""),
        "a real second paragraph"
    );
    assert!(note(21).text.ends_with("did not list Ferenc Erdei's name here."));
}

#[test]
fn note_cross_references() {
    let doc = parse_one(&seed_path());
    let refs = |n: u32| -> Vec<(RefKind, String)> {
        doc.notes.iter().find(|x| x.n == n).unwrap().refs.iter().map(|r| (r.kind, r.target.clone())).collect()
    };
    assert_eq!(refs(2), vec![(RefKind::Document, "8".to_string())]);
    assert_eq!(refs(5), vec![(RefKind::Note, "78".to_string())]);
    assert_eq!(refs(6), vec![(RefKind::Note, "25".to_string())]);
    assert_eq!(refs(14), vec![(RefKind::Note, "78".to_string())]);
    assert!(refs(1).is_empty());
}

#[test]
fn note_archival_references() {
    let doc = parse_one(&seed_path());
    let parts = |n: u32| -> Vec<(String, String, String, Option<String>, String, String)> {
        doc.notes
            .iter()
            .find(|x| x.n == n)
            .unwrap()
            .archival_refs
            .iter()
            .map(|r| {
                (
                    r.archive.clone(),
                    r.fond.clone().unwrap_or_default(),
                    r.opis.clone().unwrap_or_default(),
                    r.papka.clone(),
                    r.delo.clone().unwrap_or_default(),
                    r.leaves.clone().unwrap_or_default(),
                )
            })
            .collect()
    };
    let r = |a: &str, f: &str, o: &str, p: Option<&str>, d: &str, l: &str| {
        (a.to_string(), f.to_string(), o.to_string(), p.map(str::to_string), d.to_string(), l.to_string())
    };
    assert_eq!(parts(2), vec![r("APRF", "3", "64", None, "484", "25-30"), r("APRF", "3", "64", None, "484", "41")]);
    assert_eq!(
        parts(3),
        vec![
            r("TsKhSD", "89", "45", None, "12", "1-3"),
            r("AVPRF", "059a", "4", Some("6"), "5", "13-14"),
            r("APRF", "3", "64", None, "484", "158-161"),
        ]
    );
    assert_eq!(parts(18), vec![r("APRF", "3", "64", None, "484", "25-30")]);
}

#[test]
fn persons_named() {
    let doc = parse_one(&seed_path());
    let get = |name: &str| doc.persons.iter().find(|p| p.name == name || p.variants.iter().any(|v| v == name));
    for speaker in ["Khrushchev", "Zhukov", "Molotov", "Liu Shaoqi", "Furtseva", "Yudin", "Mikoyan", "Serov"] {
        assert!(get(speaker).is_some(), "{speaker} in {:?}", doc.persons);
    }
    // Konev: "Cde. Konev is to be sent" in the body, "Marshal Ivan Konev", "Konev be dispatched", "Konev's top aides" in note 5.
    assert_eq!(get("Ivan Konev").map(|p| p.mentions), Some(4));
    // Furtseva: one turn, attendance twice, "Agrees with Cde. Furtseva", note 11 "Furtseva's suggestion".
    assert_eq!(get("Furtseva").map(|p| p.mentions), Some(5));
    assert!(get("Chinese comrades").is_none(), "not a person");
}

#[test]
fn block_lines_point_into_the_file() {
    let doc = parse_one(&seed_path());
    let text = std::fs::read_to_string(seed_path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for b in all_blocks(&doc) {
        let line = b.line.expect("record blocks carry their line") as usize;
        let first_words: String = b.text.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        // A block starts at its line; a page-break join may carry its speech onto the next lines.
        let src = lines[line - 1..(line + 2).min(lines.len())].join(" ");
        assert!(
            src.contains(&first_words) || b.kind == BlockKind::Participants && src.contains("Those"),
            "line {line}: {src:?} vs {first_words:?}"
        );
    }
}
