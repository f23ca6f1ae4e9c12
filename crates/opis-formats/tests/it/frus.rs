//! The FRUS reader on the FRUS volume excerpt (FRUS 1955–57 vol. XXV, documents
//! 162–165) and on the 63 Office of the Historian TEI files (frus-history).
//!
//! Expected values come from the XML itself: a small scan of its own, written on
//! quick-xml directly (not on opis's `XmlReader`), counts documents, footnotes,
//! mentions and speaker labels; a few values read by eye in the excerpt are spelled
//! out where they are asserted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use opis_formats::frus::parse_frus;
use opis_formats::{FormatError, Reader, parse_file};
use opis_model::{Document, RefKind};
use quick_xml::events::Event;

use super::shared;

fn excerpt_path() -> PathBuf {
    shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml")
}

fn history_files() -> Vec<PathBuf> {
    let dir = shared().join("corpora/frus/frus-history-documents");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(path: &Path) -> Vec<Document> {
    parse_frus(path, &read(path)).unwrap_or_else(|e| panic!("{e}"))
}

fn doc<'a>(docs: &'a [Document], id: &str) -> &'a Document {
    docs.iter().find(|d| d.id == id).unwrap_or_else(|| panic!("no document {id}"))
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the independent scan sees of one `<div type="document">`.
#[derive(Debug, Default)]
struct ScannedDoc {
    xml_id: Option<String>,
    subtype: Option<String>,
    datetime: (Option<String>, Option<String>),
    /// The first `<head>`'s text without its notes.
    head: Option<String>,
    /// `n` of every `<note>` that is not `type="source"`, in order.
    footnotes: Vec<String>,
    source_note: Option<String>,
    /// Distinct `persName/@corresp` targets.
    corresp: BTreeSet<String>,
    has_dateline: bool,
    /// The text of every `<p>`, nested ones included.
    paragraphs: Vec<String>,
}

#[derive(Debug, Default)]
struct Scanned {
    docs: Vec<ScannedDoc>,
    complete_title: Option<String>,
    has_created_date: bool,
    coverage: Option<(String, String)>,
    /// The heads of divisions that are not documents (chapters).
    division_heads: Vec<String>,
}

fn attrs_of(e: &quick_xml::events::BytesStart) -> BTreeMap<String, String> {
    e.attributes().flatten().map(|a| (a.key.as_ref().to_owned(), a.value.to_string())).collect()
}

/// A plain walk over the events: which elements are open, and what text stands where.
fn scan(text: &str) -> Scanned {
    let mut r = quick_xml::Reader::from_str(text);
    r.config_mut().expand_empty_elements = true;
    let mut out = Scanned::default();
    // (local name, attributes) of the open elements.
    let mut open: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut doc_depth: Option<usize> = None;
    let mut head: Option<String> = None;
    let mut head_depth: Option<usize> = None;
    let mut source: Option<String> = None;
    let mut division_head: Option<String> = None;
    let mut title: Option<String> = None;
    let mut paragraphs: Vec<String> = Vec::new();
    loop {
        let piece: Option<String> = match r.read_event().expect("the corpus file is well-formed") {
            Event::Eof => break,
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                let attrs = attrs_of(&e);
                let get = |k: &str| attrs.get(k).cloned();
                match name.as_str() {
                    "div" if get("type").as_deref() == Some("document") => {
                        doc_depth = Some(open.len());
                        out.docs.push(ScannedDoc {
                            xml_id: get("xml:id"),
                            subtype: get("subtype"),
                            datetime: (get("frus:doc-dateTime-min"), get("frus:doc-dateTime-max")),
                            ..ScannedDoc::default()
                        });
                    }
                    "head" if doc_depth.is_some() && head_depth.is_none() => {
                        let d = out.docs.last().unwrap();
                        if d.head.is_none() && open.len() == doc_depth.unwrap() + 1 {
                            head = Some(String::new());
                            head_depth = Some(open.len());
                        }
                    }
                    "head"
                        if doc_depth.is_none()
                            && open.last().is_some_and(|(n, a)| n == "div" && a.contains_key("type")) =>
                    {
                        division_head = Some(String::new());
                    }
                    "note" if doc_depth.is_some() => {
                        let d = out.docs.last_mut().unwrap();
                        if get("type").as_deref() == Some("source") {
                            source = Some(String::new());
                        } else {
                            d.footnotes.push(get("n").unwrap_or_default());
                        }
                    }
                    "persName" if doc_depth.is_some() => {
                        if let Some(c) = get("corresp") {
                            out.docs.last_mut().unwrap().corresp.insert(c.trim_start_matches('#').to_owned());
                        }
                    }
                    "dateline" if doc_depth.is_some() => out.docs.last_mut().unwrap().has_dateline = true,
                    "p" if doc_depth.is_some() => paragraphs.push(String::new()),
                    "title"
                        if open.iter().any(|(n, _)| n == "titleStmt") && get("type").as_deref() == Some("complete") =>
                    {
                        title = Some(String::new());
                    }
                    "date" if get("type").as_deref() == Some("created") => out.has_created_date = true,
                    "date" if get("type").as_deref() == Some("content-date") => {
                        if let (Some(a), Some(b)) = (get("notBefore"), get("notAfter")) {
                            out.coverage = Some((a[..10].to_owned(), b[..10].to_owned()));
                        }
                    }
                    _ => {}
                }
                open.push((name, attrs));
                None
            }
            Event::End(_) => {
                let (name, attrs) = open.pop().expect("balanced");
                let depth = open.len();
                match name.as_str() {
                    "div" if doc_depth == Some(depth) => {
                        doc_depth = None;
                        let d = out.docs.last_mut().unwrap();
                        d.paragraphs.append(&mut paragraphs);
                    }
                    "head" if head_depth == Some(depth) => {
                        head_depth = None;
                        out.docs.last_mut().unwrap().head = head.take().map(|h| squash(&h));
                    }
                    "head" if division_head.is_some() && doc_depth.is_none() => {
                        out.division_heads.push(squash(&division_head.take().unwrap()));
                    }
                    "note" if attrs.get("type").map(String::as_str) == Some("source") && source.is_some() => {
                        out.docs.last_mut().unwrap().source_note = source.take().map(|s| squash(&s));
                    }
                    "p" if doc_depth.is_some() => {
                        // Closed paragraphs are kept in order of their end; the text of a
                        // nested paragraph is also part of the one around it.
                        let text = paragraphs.pop().unwrap_or_default();
                        if let Some(outer) = paragraphs.last_mut() {
                            outer.push_str(&text);
                        }
                        out.docs.last_mut().unwrap().paragraphs.push(squash(&text));
                    }
                    "title" if title.is_some() => out.complete_title = title.take().map(|t| squash(&t)),
                    _ => {}
                }
                None
            }
            Event::Text(t) => Some(t.xml10_content().into_owned()),
            Event::CData(t) => Some(t.xml10_content().into_owned()),
            Event::GeneralRef(g) => Some(match g.resolve_char_ref().ok().flatten() {
                Some(c) => c.to_string(),
                None => {
                    let name = g.xml10_content().into_owned();
                    quick_xml::escape::resolve_predefined_entity(&name).unwrap_or("").to_owned()
                }
            }),
            _ => None,
        };
        let Some(piece) = piece else { continue };
        let in_note = open.iter().any(|(n, _)| n == "note");
        if let Some(h) = head.as_mut()
            && !in_note
        {
            h.push_str(&piece);
        }
        if let Some(s) = source.as_mut() {
            s.push_str(&piece);
        }
        if let Some(h) = division_head.as_mut()
            && !in_note
        {
            h.push_str(&piece);
        }
        if let Some(t) = title.as_mut() {
            t.push_str(&piece);
        }
        if let Some(p) = paragraphs.last_mut() {
            p.push_str(&piece);
        }
    }
    out
}

/// "162. Transcript of …" → "Transcript of …": the number the head prints before the title.
fn head_without_number(head: &str) -> String {
    let digits = head.chars().take_while(char::is_ascii_digit).count();
    match head[digits..].strip_prefix(". ") {
        Some(rest) if digits > 0 => rest.to_owned(),
        _ => head.to_owned(),
    }
}

fn footnote_numbers(d: &Document) -> Vec<u32> {
    d.notes.iter().map(|n| n.n).collect()
}

/// Every note number that some block or heading anchors, with how often.
fn anchored(d: &Document) -> BTreeMap<u32, usize> {
    let mut m = BTreeMap::new();
    for s in &d.sections {
        for n in s.heading_notes.iter().chain(s.blocks.iter().flat_map(|b| b.notes.iter())) {
            *m.entry(*n).or_insert(0) += 1;
        }
    }
    m
}

fn codes(d: &Document, code: &str) -> usize {
    d.diagnostics.iter().filter(|x| x.code == code).count()
}

#[test]
fn excerpt_gives_the_four_documents_of_the_xml() {
    let path = excerpt_path();
    let parsed = parse_file(&path, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.reader, Reader::Frus, "a TEI root without ParlaMint markers is FRUS");
    let docs = parsed.documents;
    let scanned = scan(&read(&path));
    assert_eq!(scanned.docs.len(), 4);
    assert_eq!(docs.len(), scanned.docs.len());
    for (d, s) in docs.iter().zip(&scanned.docs) {
        // The volume's id is the root's xml:id, not the file name's excerpt suffix.
        assert_eq!(d.id, format!("frus1955-57v25-{}", s.xml_id.as_deref().unwrap()));
        assert_eq!(d.title, head_without_number(s.head.as_deref().unwrap()), "{}", d.id);
        assert_eq!(d.kind == "editorial-note", s.subtype.as_deref() == Some("editorial-note"), "{}", d.id);
        assert_eq!(d.reader, "frus");
        assert_eq!(d.part.as_deref(), scanned.division_heads.first().map(String::as_str), "the chapter head");
        assert_eq!(d.collection.as_deref(), scanned.complete_title.as_deref());
        assert_eq!(d.editors, ["Edward C. Keefer", "Ronald D. Landa", "Stanley Shaloff", "John P. Glennon"]);
        assert_eq!(d.language, "en");
        // Footnotes: one per non-source <note>, numbered as printed, each anchored once.
        let printed: Vec<u32> = s.footnotes.iter().map(|n| n.parse().unwrap()).collect();
        assert_eq!(footnote_numbers(d), printed, "{}", d.id);
        assert!(anchored(d).iter().all(|(n, k)| *k == 1 && printed.contains(n)), "{}: {:?}", d.id, anchored(d));
        assert_eq!(anchored(d).len(), printed.len(), "{}", d.id);
        // A persName corresp that points nowhere (the excerpt has no persons list) is
        // reported once per target.
        assert_eq!(codes(d, "unresolved-corresp"), s.corresp.len(), "{}", d.id);
        assert!(d.diagnostics.iter().filter(|x| x.code == "unresolved-corresp").all(|x| x.line.is_some()));
    }
    let kinds: Vec<&str> = docs.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(kinds, ["teletype-conversation", "editorial-note", "editorial-note", "telegram"]);
    let titles: Vec<&str> = docs.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Transcript of a Teletype Conversation Between the Legation in Hungary and the Department of State, November 3–4, 1956",
            "Editorial Note",
            "Editorial Note",
            "Telegram From the Embassy in France to the Department of State",
        ]
    );
}

#[test]
fn d162_the_teletype_conversation_of_november_3_4() {
    let path = excerpt_path();
    let docs = parse(&path);
    let scanned = scan(&read(&path));
    let d = doc(&docs, "frus1955-57v25-d162");
    let date = d.date.as_ref().expect("the dateline's <date from to>");
    assert_eq!((date.from.as_str(), date.to.as_str()), ("1956-11-03", "1956-11-04"));
    assert_eq!(date.text, "November 3–4, 1956");
    // Notes as printed: 3 to 12 and 14; 1 is the source note, 2 and 13 are absent in the source too.
    let mut expected: Vec<u32> = (3..=12).collect();
    expected.push(14);
    assert_eq!(footnote_numbers(d), expected);
    // The source note is the citation, not a note.
    let source = scanned.docs[0].source_note.as_deref().unwrap();
    assert_eq!(d.citation.as_deref(), Some(source));
    assert!(source.starts_with("Source: Department of State, Central Files, 661.64/11–456. Official Use Only."));
    assert_eq!(d.archival_refs.len(), 1);
    assert_eq!(d.archival_refs[0].archive, "Department of State, Central Files");
    assert_eq!(d.archival_refs[0].file.as_deref(), Some("661.64/11–456"));
    assert_eq!(d.classification.as_deref(), Some("Official Use Only"));
    // Footnote 4 ends "See <ref target="#d164">Document 164</ref>"; 7 says "See the
    // editorial note, <ref target="#d163">infra</ref>".
    let note = |n: u32| d.notes.iter().find(|x| x.n == n).unwrap();
    assert!(note(4).refs.iter().any(|r| r.kind == RefKind::Document && r.target == "164" && r.text == "Document 164"));
    assert!(note(7).refs.iter().any(|r| r.kind == RefKind::Document && r.target == "163" && r.text == "infra"));
    assert!(d.links.is_empty(), "both links stand in notes");
    // Page 375 begins before the chapter; the last break with text after it is 386.
    assert_eq!(d.pages.as_deref(), Some("375-386"));
    // Page breaks inside paragraphs split neither words nor paragraphs ("Radio <pb n="382"/>Budapest").
    let texts: Vec<&str> = d.sections.iter().flat_map(|s| &s.blocks).map(|b| b.text.as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("It says Radio Budapest went off air few moments ago.")));
    assert!(texts.iter().any(|t| t.contains("We note here his name not included in puppet govt")));
    // Footnote 3 stands after "presently engaged with Hungarian Army." and is anchored there.
    let with_3 = d.sections.iter().flat_map(|s| &s.blocks).find(|b| b.notes.contains(&3)).unwrap();
    assert!(with_3.text.starts_with("From Wailes 040540 local time."), "{}", with_3.text);
    assert!(with_3.text.ends_with("presently engaged with Hungarian Army."));
    // The six members of the Szolnok government are the items of a <list>.
    let items: Vec<&str> = d
        .sections
        .iter()
        .flat_map(|s| &s.blocks)
        .filter(|b| b.kind == opis_model::BlockKind::ListItem)
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(items, ["Antal Apro", "Istvan Kossa", "Ferenc Munnich", "Sandor Ronai", "Imre Dogei", "Gyorgy Marosan"]);
    // The mentions are asserted persons.
    assert!(d.persons.iter().any(|p| p.name == "Wailes" && p.mentions > 10));
}

#[test]
fn d165_the_telegram_from_paris_and_the_editorial_notes() {
    let path = excerpt_path();
    let docs = parse(&path);
    let scanned = scan(&read(&path));
    let d = doc(&docs, "frus1955-57v25-d165");
    assert_eq!(d.kind, "telegram");
    assert_eq!(d.place.as_deref(), Some("Paris"));
    let date = d.date.as_ref().unwrap();
    assert_eq!((date.from.as_str(), date.to.as_str()), ("1956-11-04", "1956-11-04"));
    assert_eq!(date.text, "November 4, 1956—5 p.m.");
    assert!(d.classification.as_deref().is_some_and(|c| c.starts_with("Confidential")), "{:?}", d.classification);
    assert_eq!(d.archival_refs[0].file.as_deref(), Some("764.00/11–456"));
    assert_eq!(d.authors, ["Dillon"], "the signer of the telegram");
    assert_eq!(d.pages.as_deref(), Some("390"));
    assert_eq!(d.source_url.as_deref(), Some("https://history.state.gov/historicaldocuments/frus1955-57v25/d165"));

    // The editorial notes carry the volume's whole coverage as their dateTime range:
    // that is no date of theirs.
    for (id, pages) in [("frus1955-57v25-d163", "386-387"), ("frus1955-57v25-d164", "388-389")] {
        let d = doc(&docs, id);
        let s = scanned.docs.iter().find(|s| id.ends_with(s.xml_id.as_deref().unwrap())).unwrap();
        let (min, max) = (&s.datetime.0.as_deref().unwrap()[..10], &s.datetime.1.as_deref().unwrap()[..10]);
        assert_eq!(Some((min.to_owned(), max.to_owned())), scanned.coverage);
        assert_eq!(d.kind, "editorial-note");
        assert_eq!(d.date, None, "{id}");
        assert_eq!(codes(d, "placeholder-date"), 1);
        assert_eq!(d.pages.as_deref(), Some(pages));
        assert!(d.notes.is_empty() && d.citation.is_none());
    }
}

#[test]
fn a_persons_list_resolves_mentions() {
    // The excerpt with the front matter it lacks: a persons list naming Wailes.
    // (The first "<body>" of the file stands in its XML comment.)
    let text = read(&excerpt_path()).replacen(
        "<body>\n",
        "<front><div type=\"section\" xml:id=\"persons\"><list type=\"persons\"><item><hi rend=\"strong\"><persName xml:id=\"p_WET1\">Wailes, Edward T.</persName></hi>, Minister in Hungary</item></list></div></front><body>\n",
        1,
    );
    let docs = parse_frus(&excerpt_path(), &text).unwrap();
    let plain = parse(&excerpt_path());
    let (d, before) = (doc(&docs, "frus1955-57v25-d162"), doc(&plain, "frus1955-57v25-d162"));
    assert_eq!(codes(d, "unresolved-corresp") + 1, codes(before, "unresolved-corresp"));
    assert!(!d.diagnostics.iter().any(|x| x.message.contains("#p_WET1")));
    let wailes = d.persons.iter().find(|p| p.name.contains("Wailes")).expect("Wailes");
    assert!(wailes.mentions > 10);
    // The front matter is not a document.
    assert_eq!(docs.len(), 4);
}

#[test]
fn unknown_elements_are_read_and_reported_once_per_name() {
    let text = read(&excerpt_path())
        .replace("<p>Min pls. Hope", "<p><frus:squiggle>Min</frus:squiggle> pls. Hope")
        .replace("<p>OK we stand by here.</p>", "<p><frus:squiggle>OK</frus:squiggle> we stand by here.</p>");
    let docs = parse_frus(&excerpt_path(), &text).unwrap();
    let all: usize = docs.iter().map(|d| codes(d, "unknown-element")).sum();
    assert_eq!(all, 1);
    let d = doc(&docs, "frus1955-57v25-d162");
    assert_eq!(codes(d, "unknown-element"), 1);
    let texts: Vec<&str> = d.sections.iter().flat_map(|s| &s.blocks).map(|b| b.text.as_str()).collect();
    assert!(texts.contains(&"Min pls. Hope that Minister can be located soon."));
    assert!(texts.contains(&"OK we stand by here."));
}

#[test]
fn every_frus_history_file_parses_as_its_xml_says() {
    let files = history_files();
    assert_eq!(files.len(), 63);
    let mut total = 0;
    let mut ids = BTreeSet::new();
    for path in &files {
        let text = read(path);
        let scanned = scan(&text);
        let docs = parse(path);
        let name = path.file_name().unwrap().to_string_lossy();
        assert_eq!(docs.len(), scanned.docs.len().max(1), "{name}");
        total += docs.len();
        for (d, s) in docs.iter().zip(&scanned.docs) {
            assert!(ids.insert(d.id.clone()), "{name}: id {} twice", d.id);
            assert!(!d.title.is_empty(), "{name}");
            if let Some(head) = &s.head {
                assert_eq!(&d.title, head, "{name}");
            }
            assert!(!d.kind.is_empty());
            // One note per non-source <note>, every one anchored where it stands.
            assert_eq!(d.notes.len(), s.footnotes.len(), "{name} {}", d.id);
            assert_eq!(anchored(d).len(), d.notes.len(), "{name} {}: {:?}", d.id, anchored(d));
            if s.has_dateline || scanned.has_created_date {
                assert!(d.date.is_some(), "{name} {} has a date", d.id);
            }
            assert!(
                d.citation
                    .as_deref()
                    .is_some_and(|c| c.contains("Department of State") || c.contains("National Archives"))
            );
        }
    }
    assert_eq!(total, 73, "the README counts 73 div[@type=document]");
}

#[test]
fn minutes_have_turns_with_the_speakers_the_text_names() {
    // 1976-11-12-hac-meeting-with-kissinger.xml, read by eye: "SECRETARY KISSINGER: Well,
    // gentlemen, …", "PROFESSOR OLIVER: Well, thank you very much.", "AMBASSADOR REINHARDT:
    // Both.", "PROFESSOR DIVINE: I would just like to point out …".
    let path = shared().join("corpora/frus/frus-history-documents/1976-11-12-hac-meeting-with-kissinger.xml");
    let docs = parse(&path);
    let scanned = scan(&read(&path));
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d.kind, "minutes");
    assert_eq!(d.place.as_deref(), Some("Secretary’s Conference Room"));
    assert!(d.turns().count() >= 10);
    for label in ["SECRETARY KISSINGER", "PROFESSOR OLIVER", "AMBASSADOR REINHARDT", "PROFESSOR DIVINE"] {
        let printed = scanned.docs[0].paragraphs.iter().filter(|p| p.starts_with(&format!("{label}:"))).count();
        let turns = d.turns().filter(|t| t.speakers == [label]).count();
        assert!(printed > 0);
        assert_eq!(turns, printed, "{label}");
    }
    let first = d.turns().next().unwrap();
    assert!(first.text.starts_with("Well, gentlemen, I first of all want to express my appreciation"));

    // The 1958 transcript: "MR. NOBLE: …" labels, the most frequent in the corpus.
    let path = shared().join("corpora/frus/frus-history-documents/1958-11-07-hac-meeting-minutes.xml");
    let docs = parse(&path);
    let scanned = scan(&read(&path));
    let printed = scanned.docs[0].paragraphs.iter().filter(|p| p.starts_with("MR. NOBLE:")).count();
    assert!(printed >= 10);
    assert_eq!(docs[0].turns().filter(|t| t.speakers == ["MR. NOBLE"]).count(), printed);

    // The 1961 minutes report speech: "Mr. Goodrich asked …", "Mr. Noble stated …".
    let path = shared().join("corpora/frus/frus-history-documents/1961-11-03-hac-meeting-minutes.xml");
    let docs = parse(&path);
    let speakers: BTreeSet<&str> = docs[0].turns().flat_map(|t| t.speakers.iter().map(String::as_str)).collect();
    assert!(speakers.contains("Goodrich") && speakers.contains("Noble"), "{speakers:?}");
}

#[test]
fn a_history_file_without_document_divs_is_one_document() {
    let path = shared().join("corpora/frus/frus-history-documents/1988-11-10-spiers-to-redman.xml");
    let original = read(&path);
    let scanned = scan(&original);
    assert_eq!(scanned.docs.len(), 1);
    let text = original.replacen("<div type=\"document\">", "", 1).replacen("</div>", "", 1);
    let docs = parse_frus(&path, &text).unwrap();
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d.id, "1988-11-10-spiers-to-redman");
    assert_eq!(Some(d.title.as_str()), scanned.complete_title.as_deref());
    assert_eq!(d.date.as_ref().map(|x| x.from.as_str()), Some("1988-11-10"));
    assert!(d.citation.as_deref().is_some_and(|c| c.starts_with("Source:")));
}

#[test]
fn a_truncated_volume_is_an_error_with_its_line_never_a_panic() {
    let path = excerpt_path();
    let text = read(&path);
    // Every cut before the root's end tag leaves an element open.
    let end = text.rfind("</TEI>").unwrap() + "</TEI".len();
    let mut cuts: Vec<usize> = vec![1, 40, 200, 5_000, 12_345, text.len() / 2, end - 10, end];
    cuts.extend((1..end).step_by(1_999));
    for cut in cuts {
        let cut = text.floor_char_boundary(cut);
        let part = &text[..cut];
        let err = match parse_frus(&path, part) {
            Err(e) => e,
            Ok(docs) => panic!("cut at byte {cut}: {} documents instead of an error", docs.len()),
        };
        let lines = part.split('\n').count() as u32;
        match &err {
            FormatError::Malformed { line, .. } => {
                assert!((1..=lines).contains(line), "cut at byte {cut}: line {line} of {lines}");
                let shown = err.to_string();
                assert!(shown.contains(&format!(":{line}: column ")), "cut at byte {cut}: {shown}");
                assert!(shown.contains("frus1955-57v25_excerpt"), "the message names the file: {shown}");
            }
            other => panic!("cut at byte {cut}: {other}"),
        }
    }
}

#[test]
fn streaming_gives_the_same_documents_one_at_a_time() {
    let path = shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml");
    let text = std::fs::read_to_string(&path).unwrap();
    let all = opis_formats::frus::parse_frus(&path, &text).unwrap();
    let mut streamed = Vec::new();
    opis_formats::frus::parse_frus_each(&path, &text, &mut |d| streamed.push(d)).unwrap();
    assert_eq!(streamed, all);
    // A history file without document divs is one document, streamed too.
    let path = shared().join("corpora/frus/frus-history-documents/1990-12-06-hoggard-to-selin.xml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut streamed = Vec::new();
    opis_formats::frus::parse_frus_each(&path, &text, &mut |d| streamed.push(d)).unwrap();
    assert_eq!(streamed, opis_formats::frus::parse_frus(&path, &text).unwrap());
}

/// The excerpt's text in other encodings: what the bytes are wins, a wrong declaration
/// is reported, and the documents are the same.
#[test]
fn encodings_and_wrong_declarations() {
    let path = shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml");
    let utf8 = std::fs::read_to_string(&path).unwrap();
    let titles = |bytes: &[u8]| -> (Vec<String>, Vec<String>) {
        let parsed = opis_formats::parse_bytes(&path, bytes, None).unwrap();
        let codes = parsed.diagnostics.iter().chain(parsed.documents[0].diagnostics.iter()).map(|d| d.code.clone());
        (parsed.documents.iter().map(|d| d.title.clone()).collect(), codes.collect())
    };
    let (expected, codes) = titles(utf8.as_bytes());
    assert_eq!(expected.len(), 4);
    assert!(!codes.iter().any(|c| c.starts_with("encoding") || c.starts_with("invalid")), "{codes:?}");

    // UTF-8 bytes declared as ISO-8859-1: read as UTF-8, with a warning.
    assert!(utf8.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "the excerpt declares UTF-8");
    let mislabelled = utf8.replacen("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"", 1);
    let (got, codes) = titles(mislabelled.as_bytes());
    assert_eq!(got, expected);
    assert!(codes.contains(&"encoding-declaration".to_string()), "{codes:?}");

    // Real Windows-1252 bytes (characters outside it as character references), declared so.
    let mut cp1252 = Vec::new();
    for c in utf8.replacen("encoding=\"UTF-8\"", "encoding=\"windows-1252\"", 1).chars() {
        let mut buf = [0u8; 4];
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
        if unmappable {
            cp1252.extend(format!("&#{};", c as u32).bytes());
        } else {
            cp1252.extend_from_slice(&bytes);
        }
    }
    let (got, codes) = titles(&cp1252);
    assert_eq!(got, expected);
    assert!(codes.contains(&"invalid-utf8".to_string()), "{codes:?}");
    assert!(!codes.contains(&"encoding-declaration".to_string()), "the declaration was right: {codes:?}");

    // UTF-16 with a byte-order mark, declared UTF-8.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in utf8.encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    let (got, codes) = titles(&utf16);
    assert_eq!(got, expected);
    assert!(codes.contains(&"encoding-declaration".to_string()), "{codes:?}");
}

/// `<gloss target>` terms, each once per document, as the XML has them.
#[test]
fn glossed_terms_per_document() {
    let path = shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml");
    let xml = std::fs::read_to_string(&path).unwrap();
    let div = regex::Regex::new(r#"<div type="document"[^>]*xml:id="(d\d+)""#).unwrap();
    let gloss = regex::Regex::new(r##"(?s)<gloss\s+target="#([^"]+)"\s*>(.*?)</gloss>"##).unwrap();
    let starts: Vec<(usize, String)> =
        div.captures_iter(&xml).map(|c| (c.get(0).unwrap().start(), c[1].to_string())).collect();
    let docs = parse_frus(&path, &xml).unwrap();
    for (i, (start, id)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(xml.len(), |s| s.0);
        let mut expected: Vec<(String, String)> = Vec::new();
        for c in gloss.captures_iter(&xml[*start..end]) {
            let pair = (c[2].trim().to_string(), c[1].to_string());
            if !expected.contains(&pair) {
                expected.push(pair);
            }
        }
        let doc = docs.iter().find(|d| d.id.ends_with(&format!("-{id}"))).unwrap();
        let got: Vec<(String, String)> =
            doc.terms.iter().map(|t| (t.term.clone(), t.target.clone().unwrap_or_default())).collect();
        assert_eq!(got, expected, "{id}");
    }
    assert!(docs.iter().any(|d| d.terms.iter().any(|t| t.term == "Niact")));
}
