//! Akoma Ntoso debate records from `../shared/corpora/akoma-ntoso`: counts and headings are
//! read from the XML with an independent quick-xml walk (not opis's `XmlReader`), the
//! README's totals, or values read off the files by eye (noted where used).

use std::path::{Path, PathBuf};

use opis_formats::{FormatError, Reader, parse_bytes, parse_file};
use opis_model::{BlockKind, Document};
use quick_xml::events::Event;

use crate::shared;

const FILES: [&str; 2] = ["ke_Debate_Bungeni_2011-06-10.xml", "cl_Sesion56_2.xml"];

use opis_formats::akoma::CONTAINERS;

fn path(file: &str) -> PathBuf {
    shared().join("corpora/akoma-ntoso").join(file)
}

fn parse(file: &str) -> Document {
    let mut parsed = parse_file(&path(file), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.reader, Reader::AkomaNtoso);
    assert_eq!(parsed.documents.len(), 1);
    parsed.documents.remove(0)
}

/// What the file holds, counted with quick-xml directly.
#[derive(Debug, Default)]
struct Raw {
    speeches: usize,
    questions_answers: usize,
    debate_sections: usize,
    /// `<heading>` texts of the body's containers (their `<num>` before them), in order.
    headings: Vec<String>,
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

impl Raw {
    fn read(path: &Path) -> Raw {
        let text = std::fs::read_to_string(path).unwrap();
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut raw = Raw::default();
        let mut stack: Vec<String> = Vec::new();
        let mut nums: Vec<Option<String>> = Vec::new();
        let mut capture: Option<(String, usize)> = None; // (text, depth of the <heading>/<num>)
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) => {
                    let name = local(e.name().as_ref()).to_owned();
                    match name.as_str() {
                        "speech" => raw.speeches += 1,
                        "question" | "answer" => raw.questions_answers += 1,
                        "debateSection" => raw.debate_sections += 1,
                        _ => {}
                    }
                    let parent_is_container = stack.last().is_some_and(|p| CONTAINERS.contains(&p.as_str()));
                    if (name == "heading" || name == "num") && parent_is_container && capture.is_none() {
                        capture = Some((String::new(), stack.len()));
                    }
                    if CONTAINERS.contains(&name.as_str()) {
                        nums.push(None);
                    }
                    stack.push(name);
                }
                Event::Empty(e) => match local(e.name().as_ref()) {
                    "speech" => raw.speeches += 1,
                    "debateSection" => raw.debate_sections += 1,
                    _ => {}
                },
                Event::End(_) => {
                    let name = stack.pop().unwrap();
                    if capture.as_ref().is_some_and(|(_, d)| *d == stack.len()) {
                        let (text, _) = capture.take().unwrap();
                        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                        if name == "num" {
                            if let Some(n) = nums.last_mut() {
                                *n = Some(text);
                            }
                        } else {
                            let num = nums.last_mut().and_then(Option::take);
                            raw.headings.push(match num {
                                Some(n) => format!("{n} {text}"),
                                None => text,
                            });
                        }
                    }
                    if CONTAINERS.contains(&name.as_str()) {
                        nums.pop();
                    }
                }
                Event::Text(t) => {
                    if let Some((s, _)) = capture.as_mut() {
                        s.push_str(&t.xml10_content());
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        raw
    }
}

#[test]
fn both_debates_parse_with_one_turn_per_speech_question_and_answer() {
    let (mut speeches, mut sections) = (0, 0);
    for file in FILES {
        let raw = Raw::read(&path(file));
        let doc = parse(file);
        assert_eq!(doc.kind, "debate");
        assert_eq!(doc.reader, "akoma-ntoso");
        assert_eq!(doc.turns().count(), raw.speeches + raw.questions_answers, "{file}");
        // Every heading of the body's containers is a section heading, in reading order.
        let headings: Vec<String> = doc.sections.iter().filter_map(|s| s.heading.clone()).collect();
        assert_eq!(headings, raw.headings, "{file}");
        speeches += raw.speeches;
        sections += raw.debate_sections;
    }
    // corpora/README.md section 4: both files together.
    assert_eq!((speeches, sections), (44, 49));
}

#[test]
fn metadata_from_frbr_and_the_preface() {
    // Read off ke_Debate_Bungeni: FRBRWork FRBRuri "/akn/ke/debaterecord/2011-06-10",
    // <docTitle>SECOND MEETING, 2011</docTitle>, <docDate date="2011-06-10">10th June 2011</docDate>,
    // FRBRlanguage "eng".
    let doc = parse(FILES[0]);
    assert_eq!(doc.id, "akn-ke-debaterecord-2011-06-10");
    assert_eq!(doc.title, "SECOND MEETING, 2011");
    let date = doc.date.as_ref().unwrap();
    assert_eq!(
        (date.text.as_str(), date.from.as_str(), date.to.as_str()),
        ("10th June 2011", "2011-06-10", "2011-06-10")
    );
    assert_eq!(doc.language, "en");

    // cl_Sesion56_2: FRBRuri "/akn/cl/debate/recurso/2006/1076048", FRBRlanguage "es", no
    // docTitle; the cover page's <session>Sesión 56ª, en <date date="2005-11-08">martes 8 de
    // noviembre de 2005</date></session> is the sitting (FRBRdate 2006-06-15 is a work date).
    let doc = parse(FILES[1]);
    assert_eq!(doc.id, "akn-cl-debate-recurso-2006-1076048");
    assert_eq!(doc.title, "Sesión 56ª, en martes 8 de noviembre de 2005");
    assert_eq!(doc.date.as_ref().unwrap().from, "2005-11-08");
    assert_eq!(doc.language, "es");
}

#[test]
fn speakers_are_the_printed_from_labels() {
    let doc = parse(FILES[0]);
    let turns: Vec<_> = doc.turns().collect();
    // <speech by="#alfa"><from>Mr. Alfa:</from> — the honorific goes, as "Cde." does.
    assert_eq!(turns[0].speakers, ["Alfa"]);
    assert_eq!(
        turns[0].text,
        "Mr. Deputy Speaker, I beg to move to the following Motion-\n\nTHAT this House do grant leave to introduce a Bill for.....(30 pages of dabate)"
    );
    // <from>The  Speaker:</from>
    assert_eq!(turns[2].speakers, ["The Speaker"]);
    // <from>Mr. Speaker:</from>: an office keeps its "Mr."
    assert_eq!(turns[4].speakers, ["Mr. Speaker"]);
    // <speech refersTo="#ministerInterior" by="#gamma"><from>Minister for the Interior (Mr Iota): </from>
    let iota = turns.iter().find(|t| t.speakers == ["Iota"]).unwrap();
    assert_eq!(iota.role.as_deref(), Some("Minister for the Interior"));
    // <answer by="#eta" as="#ministerEducation">: the role is the TLCRole's showAs; five <p>s.
    let answer = turns.iter().find(|t| t.speakers == ["Eta"]).unwrap();
    assert_eq!(answer.role.as_deref(), Some("Minister for Education and Sports"));
    assert_eq!(answer.id.as_deref(), Some("dbsect_6__dbsect_1__dbsect_1__answer_1"));
    assert_eq!(answer.text.split("\n\n").count(), 5);
    let section = doc.sections.iter().find(|s| s.blocks.iter().any(|b| b.speakers == ["Eta"])).unwrap();
    assert_eq!(section.heading.as_deref(), Some("Professional Training in the Republic of BUNGENI"));

    let doc = parse(FILES[1]);
    let turns: Vec<_> = doc.turns().collect();
    // <from>El señor <person>ASCENCIO</person> (<role>Presidente</role>).- </from>
    assert_eq!(turns[0].speakers, ["ASCENCIO"]);
    assert_eq!(turns[0].role.as_deref(), Some("Presidente"));
    // <from>	El señor ULLOA.- Señor Presidente, en la última modificación …: the speech starts in <from>.
    let ulloa = turns.iter().find(|t| t.speakers == ["ULLOA"]).unwrap();
    assert!(
        ulloa.text.starts_with("Señor Presidente, en la última modificación a la ley de Tránsito"),
        "{}",
        ulloa.text
    );
    // <speech by="Urrutia"> without <from>: <p>	El señor URRUTIA.- Perdón, señor Presidente, …
    let urrutia: Vec<_> = turns.iter().filter(|t| t.speakers == ["URRUTIA"]).collect();
    assert_eq!(urrutia.len(), 2);
    assert!(urrutia.iter().any(|t| t.text.starts_with("Perdón, señor Presidente")));
    // No printed label ("El señor LOYOLA (Secretario).-") is left at the head of a speech;
    // "El señor Prosecretario va a dar lectura …" is speech.
    let label_left = |text: &str| {
        text.strip_prefix("El señor ")
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|w| w.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase))
    };
    assert!(!turns.iter().any(|t| label_left(&t.text)), "a label left in a speech");
}

#[test]
fn scenes_are_annotations_and_note_refs_anchor_notes() {
    let doc = parse(FILES[0]);
    // <scene>(Loud consultation)</scene> between two speeches of dbsect_3__dbsect_1.
    let (section, scene) = doc
        .sections
        .iter()
        .find_map(|s| s.annotations.iter().find(|a| a.text == "(Loud consultation)").map(|a| (s, a)))
        .unwrap();
    assert_eq!(scene.kind, "scene");
    assert_eq!(scene.at, Some(1), "after the first speech of its section");
    assert!(section.blocks.iter().all(|b| !b.text.contains("Loud consultation")));
    // <narrative>[MR. SPEAKER IN THE CHAIR]</narrative> and <summary> are the record's prose.
    assert!(crate::blocks_of_kind(&doc, BlockKind::Paragraph).iter().any(|b| b.text == "[MR. SPEAKER IN THE CHAIR]"));
    // <noteRef href="#not01" marker="1"/> → <note eId="not01"><p>BES: definition of Educational System</p>
    assert_eq!(doc.notes.len(), 1);
    assert_eq!((doc.notes[0].n, doc.notes[0].text.as_str()), (1, "BES: definition of Educational System"));
    let anchored: Vec<_> = crate::all_blocks(&doc).filter(|b| b.notes == [1]).collect();
    assert_eq!(anchored.len(), 1);
    assert_eq!(anchored[0].speakers, ["Eta"]);
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
}

#[test]
fn the_final_namespace_reads_as_the_draft_does() {
    let text = std::fs::read_to_string(path(FILES[0])).unwrap();
    let final_ns = text.replace(
        "http://docs.oasis-open.org/legaldocml/ns/akn/3.0/WD17",
        "http://docs.oasis-open.org/legaldocml/ns/akn/3.0",
    );
    assert_ne!(final_ns, text);
    let draft = parse(FILES[0]);
    let parsed = parse_bytes(Path::new("final.xml"), final_ns.as_bytes(), None).unwrap();
    assert_eq!(parsed.reader, Reader::AkomaNtoso);
    let doc = &parsed.documents[0];
    assert_eq!(doc.id, draft.id);
    assert_eq!(doc.sections, draft.sections);
    assert!(doc.diagnostics.is_empty());

    // Another namespace is read, with a note.
    let other = text.replace("http://docs.oasis-open.org/legaldocml/ns/akn/3.0/WD17", "urn:x-other");
    let doc = &parse_bytes(Path::new("other.xml"), other.as_bytes(), None).unwrap().documents[0];
    assert!(doc.diagnostics.iter().any(|d| d.code == "akn-namespace"));
}

#[test]
fn not_a_debate_and_broken_files_are_errors_never_panics() {
    let act = r#"<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"><act name="x"><body/></act></akomaNtoso>"#;
    match parse_bytes(Path::new("act.xml"), act.as_bytes(), None) {
        Err(e @ FormatError::Unrecognized { .. }) => assert!(e.to_string().contains("<act>"), "{e}"),
        other => panic!("{other:?}"),
    }
    for file in FILES {
        let text = std::fs::read_to_string(path(file)).unwrap();
        let start = text.find("<debateBody>").unwrap();
        let cuts: Vec<usize> = (start..text.len() - 1).step_by(text.len() / 40).chain([text.len() - 3]).collect();
        for cut in cuts {
            let cut = text.floor_char_boundary(cut);
            match parse_bytes(Path::new("cut.xml"), &text.as_bytes()[..cut], None) {
                Err(FormatError::Malformed { line, message, .. }) => {
                    assert!(line >= 1 && message.contains("column"), "{message}")
                }
                other => panic!("{file} cut at {cut}: {other:?}"),
            }
        }
    }
    // Containers nested without end are refused, not recursed into until the stack breaks.
    let deep = format!(
        "<akomaNtoso><debate><debateBody>{}{}</debateBody></debate></akomaNtoso>",
        "<debateSection>".repeat(5000),
        "</debateSection>".repeat(5000)
    );
    let err = parse_bytes(Path::new("deep.xml"), deep.as_bytes(), None).unwrap_err();
    assert!(matches!(err, FormatError::Malformed { .. }), "{err}");
}
