//! ParlaMint TEI from `../shared/corpora/parlamint`: every expectation is read from the XML
//! itself, with an independent quick-xml walk below (not opis's `XmlReader`), from the
//! corpus README's counts, or from values read off the files by eye (noted where used).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use opis_formats::{FormatError, Reader, parse_bytes, parse_file};
use opis_model::{BlockKind, Document};
use quick_xml::events::Event;

use crate::shared;

const REMARKS: &[&str] = &["note", "kinesic", "vocal", "incident", "gap", "time"];

fn folder(name: &str) -> PathBuf {
    shared().join("corpora/parlamint").join(name)
}

fn xml_files(name: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

/// One `<u>` as the file writes it.
#[derive(Debug, Default)]
struct RawU {
    id: Option<String>,
    who: Option<String>,
    ana: Option<String>,
    /// The `<seg>` texts, whitespace collapsed (plain files; remarks inside segs left out).
    segs: Vec<String>,
}

/// An independent reading of a ParlaMint file with quick-xml directly.
#[derive(Debug, Default)]
struct Raw {
    root: String,
    id: Option<String>,
    us: Vec<RawU>,
    /// Remark elements (not nested in another remark) inside / outside `<u>` in the body.
    remarks_in_u: usize,
    remarks_between_u: usize,
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_owned()
}

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> HashMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.unwrap();
            (a.key.as_ref().to_owned(), a.value.to_string())
        })
        .collect()
}

impl Raw {
    fn read(path: &Path) -> Raw {
        let text = std::fs::read_to_string(path).unwrap();
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut raw = Raw::default();
        let mut stack: Vec<String> = Vec::new();
        let mut seg: Option<String> = None;
        loop {
            let ev = reader.read_event().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let (start, empty) = match &ev {
                Event::Start(e) => (Some(e.clone()), false),
                Event::Empty(e) => (Some(e.clone()), true),
                _ => (None, false),
            };
            if let Some(e) = start {
                let name = local(e.name().as_ref());
                let a = attrs(&e);
                if stack.is_empty() {
                    raw.root = name.clone();
                    raw.id = a.get("xml:id").cloned();
                }
                let in_remark = stack.iter().any(|s| REMARKS.contains(&s.as_str()));
                let in_body = stack.iter().any(|s| s == "body");
                if REMARKS.contains(&name.as_str()) && in_body && !in_remark {
                    if stack.iter().any(|s| s == "u") {
                        raw.remarks_in_u += 1;
                    } else {
                        raw.remarks_between_u += 1;
                    }
                }
                if name == "u" && in_body {
                    raw.us.push(RawU {
                        id: a.get("xml:id").cloned(),
                        who: a.get("who").cloned(),
                        ana: a.get("ana").cloned(),
                        segs: vec![],
                    });
                }
                if name == "seg" && !empty {
                    seg = Some(String::new());
                }
                if !empty {
                    stack.push(name);
                }
                continue;
            }
            match ev {
                Event::End(e) => {
                    stack.pop();
                    if local(e.name().as_ref()) == "seg"
                        && let (Some(s), Some(u)) = (seg.take(), raw.us.last_mut())
                    {
                        u.segs.push(s.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                }
                Event::Text(t) => {
                    if let Some(s) = seg.as_mut()
                        && !stack.iter().any(|n| REMARKS.contains(&n.as_str()))
                    {
                        s.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(s) = seg.as_mut() {
                        let c = r.resolve_char_ref().unwrap();
                        let name = r.xml10_content();
                        s.push_str(&match (c, name.as_ref()) {
                            (Some(c), _) => c.to_string(),
                            (None, "amp") => "&".into(),
                            (None, "lt") => "<".into(),
                            (None, "gt") => ">".into(),
                            (None, "quot") => "\"".into(),
                            (None, "apos") => "'".into(),
                            (None, other) => panic!("entity {other}"),
                        });
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        raw
    }

    fn is_sitting(&self) -> bool {
        self.root == "TEI" && !self.us.is_empty()
    }
}

/// Parsed sittings, shared by the tests: the folders are read by several of them.
fn parsed(path: &Path) -> Arc<Vec<Document>> {
    static CACHE: LazyLock<Mutex<HashMap<PathBuf, Arc<Vec<Document>>>>> = LazyLock::new(Default::default);
    if let Some(docs) = CACHE.lock().unwrap().get(path) {
        return docs.clone();
    }
    let docs = Arc::new(parse_file(path, None).unwrap_or_else(|e| panic!("{e}")).documents);
    CACHE.lock().unwrap().insert(path.to_owned(), docs.clone());
    docs
}

fn turns(doc: &Document) -> Vec<&opis_model::Block> {
    doc.turns().collect()
}

/// (sittings, `<u>`s) read by the reader for the plain and the `.ana` sittings of a folder,
/// each sitting checked against the file: its id, one turn per `<u>` in order, the role.
fn check_folder(name: &str) -> ((usize, usize), (usize, usize)) {
    let (mut plain, mut ana) = ((0, 0), (0, 0));
    for path in xml_files(name) {
        let raw = Raw::read(&path);
        if raw.root == "teiCorpus" {
            continue; // corpus roots have their own tests
        }
        if !raw.is_sitting() {
            match parse_file(&path, None) {
                Err(FormatError::Unrecognized { .. }) => continue,
                other => panic!("{}: a non-sitting file should be Unrecognized, got {other:?}", path.display()),
            }
        }
        assert_eq!(
            opis_formats::detect_reader(&path, &std::fs::read_to_string(&path).unwrap()).unwrap(),
            Reader::ParlaMint
        );
        let docs = parsed(&path);
        assert_eq!(docs.len(), 1, "{}", path.display());
        let doc = &docs[0];
        let raw_id = raw.id.as_deref().unwrap();
        assert_eq!(doc.id, raw_id.strip_suffix(".xml").unwrap_or(raw_id), "{}", path.display());
        assert_eq!(doc.kind, "debate");
        let ts = turns(doc);
        assert_eq!(ts.len(), raw.us.len(), "{}: one turn per <u>", path.display());
        let silent = raw.us.iter().filter(|u| u.who.is_none()).count();
        let noted = doc.diagnostics.iter().any(|d| d.code == "turn-without-speaker");
        assert_eq!(noted, silent > 0, "{}", path.display());
        for (t, u) in ts.iter().zip(&raw.us) {
            assert_eq!(t.id, u.id, "{}", path.display());
            let role =
                u.ana.as_deref().map(|a| a.split_whitespace().next().unwrap().trim_start_matches('#').to_owned());
            assert_eq!(t.role, role, "{}", path.display());
            assert!(u.who.is_none() || !t.speakers.is_empty(), "{}: {:?} has no speaker", path.display(), u.id);
        }
        let slot = if path.to_string_lossy().ends_with(".ana.xml") { &mut ana } else { &mut plain };
        slot.0 += 1;
        slot.1 += raw.us.len();
    }
    (plain, ana)
}

#[test]
fn every_sitting_parses_with_one_turn_per_u_as_the_readme_counts() {
    // Numbers from corpora/README.md section 1.
    assert_eq!(check_folder("ParlaMint-AT"), ((16, 3653), (0, 0)));
    let (tr_plain, tr_ana) = check_folder("ParlaMint-TR");
    assert_eq!(tr_plain, (4, 3912));
    assert_eq!(tr_ana.0, 2);
    assert_eq!(check_folder("ParlaMint-ES-CT"), ((5, 194), (2, 27)));
    assert_eq!(check_folder("ParlaMint-ES-GA"), ((11, 518), (0, 0)));
    assert_eq!(check_folder("ParlaMint-SK-light"), ((6, 463), (0, 0)));
    assert_eq!(check_folder("ParlaMint-GB-samples"), ((1, 4), (0, 0)));
}

#[test]
fn index_pages_lists_and_taxonomies_are_clear_errors() {
    for (dir, file) in [
        ("ParlaMint-AT", "about.xml"),
        ("ParlaMint-AT", "listorg.xml"),
        ("ParlaMint-AT", "listplace.xml"),
        ("ParlaMint-ES-GA", "ParlaMint-ES-GA-listPerson.xml"),
        ("ParlaMint-ES-GA", "ParlaMint-taxonomy-NER.ana.xml"),
    ] {
        let path = folder(dir).join(file);
        match parse_file(&path, None) {
            Err(e @ FormatError::Unrecognized { .. }) => assert!(e.to_string().contains(file), "{e}"),
            other => panic!("{file}: {other:?}"),
        }
    }
    // Forcing the reader on a TEI that is not a sitting says why.
    let about = folder("ParlaMint-AT").join("about.xml");
    let err = parse_file(&about, Some(Reader::ParlaMint)).unwrap_err().to_string();
    assert!(err.contains("no <u>"), "{err}");
}

#[test]
fn remarks_are_annotations_never_speech_text() {
    for dir in [
        "ParlaMint-AT",
        "ParlaMint-TR",
        "ParlaMint-ES-CT",
        "ParlaMint-ES-GA",
        "ParlaMint-SK-light",
        "ParlaMint-GB-samples",
    ] {
        for path in xml_files(dir) {
            let raw = Raw::read(&path);
            if !raw.is_sitting() {
                continue;
            }
            let docs = parsed(&path);
            let doc = &docs[0];
            let in_turns: usize = doc.turns().map(|t| t.annotations.len()).sum();
            let between: usize = doc.sections.iter().map(|s| s.annotations.len()).sum();
            assert_eq!(in_turns, raw.remarks_in_u, "{}: remarks inside <u>", path.display());
            assert_eq!(between, raw.remarks_between_u, "{}: remarks between <u>s", path.display());
            // Plain sittings: the turn is exactly its segs, remarks cut out.
            if !path.to_string_lossy().ends_with(".ana.xml") {
                for (t, u) in doc.turns().zip(&raw.us) {
                    let segs: Vec<&str> = u.segs.iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
                    if !t.annotations.is_empty() {
                        // Where a remark was cut, "word <note/>, next" reads "word, next".
                        let squeeze = |s: &str| s.replace(' ', "");
                        assert_eq!(squeeze(&t.text), squeeze(&segs.join("\n\n")), "{}: {:?}", path.display(), u.id);
                    } else {
                        assert_eq!(t.text, segs.join("\n\n"), "{}: {:?}", path.display(), u.id);
                    }
                    let len = t.text.chars().count() as u32;
                    assert!(t.annotations.iter().all(|a| a.at.is_some_and(|at| at <= len)));
                }
            }
        }
    }
}

#[test]
fn remarks_keep_their_kind_type_and_place() {
    // ParlaMint-ES-GA 2022-05-24, read by eye: u3 holds <note>(Confirmación.)</note> between
    // its second and third seg; <kinesic type="applause"><desc>(Aplausos.)</desc> stands
    // between u4 and u5.
    let doc = parse_one_file("ParlaMint-ES-GA", "ParlaMint-ES-GA_2022-05-24-DSPG082.xml");
    let u3 = turns(&doc)[2];
    assert!(!u3.text.contains("Confirmación"));
    let note = &u3.annotations[0];
    assert_eq!((note.kind.as_str(), note.text.as_str()), ("note", "(Confirmación.)"));
    let before: String = u3.text.chars().take(note.at.unwrap() as usize).collect();
    assert!(before.ends_with("¿Todos os deputados e deputadas exerceron o seu dereito a voto?"), "{before}");
    let section = &doc.sections[0];
    let applause = section.annotations.iter().find(|a| a.kind == "kinesic").unwrap();
    assert_eq!(
        (applause.r#type.as_deref(), applause.text.as_str(), applause.at),
        (Some("applause"), "(Aplausos.)", Some(4))
    );

    // ParlaMint-AT 2015-06-08: the <gap> has an English and a German <desc>; the sitting is German.
    let doc = parse_one_file("ParlaMint-AT", "ParlaMint-AT_2015-06-08-025-XXV-NRSITZ-00078.xml");
    let gap = &doc.sections[0].annotations[0];
    assert_eq!((gap.kind.as_str(), gap.r#type.as_deref()), ("gap", Some("editorial")));
    assert_eq!(gap.text, "Titelseite und Inhaltsangabe entfernt");
    let begin = doc.sections[0].annotations.iter().find(|a| a.text.starts_with("Beginn")).unwrap();
    assert_eq!(begin.text, "Beginn der Sitzung: 16:26 Uhr");
    assert!(turns(&doc)[0].annotations.iter().any(|a| a.kind == "note" && a.text == "16:26:30"));
    assert!(!turns(&doc)[0].text.contains("16:26"));
}

fn parse_one_file(dir: &str, file: &str) -> Document {
    let mut parsed = parse_file(&folder(dir).join(file), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.documents.len(), 1);
    parsed.documents.remove(0)
}

#[test]
fn sitting_metadata() {
    // Values read off the headers.
    let doc = parse_one_file("ParlaMint-AT", "ParlaMint-AT_2015-06-08-025-XXV-NRSITZ-00078.xml");
    assert_eq!(doc.id, "ParlaMint-AT_2015-06-08-025-XXV-NRSITZ-00078");
    assert_eq!(
        doc.title,
        "Austrian parliamentary corpus ParlaMint-AT, Shorthand records of the National Council of the Austrian Parliament, Legislative period XXV [ParlaMint]"
    );
    let date = doc.date.as_ref().unwrap();
    assert_eq!((date.from.as_str(), date.to.as_str()), ("2015-06-08", "2015-06-08"));
    assert_eq!(doc.language, "de");
    assert_eq!(doc.place.as_deref(), Some("Vienna"));
    assert_eq!(
        doc.source_url.as_deref(),
        Some("https://www.parlament.gv.at/PAKT/VHG/XXV/NRSITZ/NRSITZ_00078/fnameorig_477232.html")
    );
    assert_eq!(doc.reader, "parlamint");

    let doc = parse_one_file("ParlaMint-GB-samples", "ParlaMint-GB_2017-09-07-commons.xml");
    assert_eq!(doc.id, "ParlaMint-GB_2017-09-07-commons");
    assert_eq!(doc.title, "Great Britain parliamentary corpus ParlaMint-GB, Commons, 2017-09-07 [ParlaMint SAMPLE]");
    assert_eq!(doc.language, "en");
    assert_eq!(doc.sections.len(), 2);
    assert_eq!(doc.sections[0].heading.as_deref(), Some("Membership of the European Economic Area"));
    assert_eq!(doc.sections[1].heading, None, "the second <div> has no <head>");

    // The main language of each corpus, from xml:lang; ES-CT sittings mix ca and es.
    for (dir, file, lang) in [
        ("ParlaMint-TR", "ParlaMint-TR_T27-tbmm-2020-05-27.xml", "tr"),
        ("ParlaMint-ES-GA", "ParlaMint-ES-GA_2019-11-19-DSPG137.xml", "gl"),
        ("ParlaMint-ES-CT", "ParlaMint-ES-CT_2015-11-10-0302.xml", "ca"),
        ("ParlaMint-ES-CT", "ParlaMint-ES-CT-en_2015-10-26-0101.ana.xml", "en"),
        ("ParlaMint-SK-light", "ParlaMint-SK_2019-12-04-t7m54.xml", "sk"),
    ] {
        assert_eq!(parse_one_file(dir, file).language, lang, "{file}");
    }
    // ParlaMint-SK light has no title (a TODO comment): the id stands in; the date is the setting's.
    let doc = parse_one_file("ParlaMint-SK-light", "ParlaMint-SK_2020-02-26-t7m58.xml");
    assert_eq!(doc.title, "ParlaMint-SK_2020-02-26-t7m58");
    assert_eq!(doc.date.as_ref().unwrap().from, "2020-02-26");
}

#[test]
fn speakers_resolve_through_every_kind_of_list_person() {
    // AT: the sitting's own <back><listPerson>: PAD_02822 is <surname>Kopf</surname><forename>Karlheinz</forename>.
    let doc = parse_one_file("ParlaMint-AT", "ParlaMint-AT_2015-06-08-025-XXV-NRSITZ-00078.xml");
    let ts = turns(&doc);
    assert_eq!(ts.len(), 3);
    assert!(ts.iter().all(|t| t.speakers == ["Karlheinz Kopf"] && t.role.as_deref() == Some("chair")));
    assert_eq!(ts[0].id.as_deref(), Some("ParlaMint-AT_2015-06-08-025-XXV-NRSITZ-00078_d7e455"));
    assert!(doc.persons.iter().any(|p| p.name == "Karlheinz Kopf"));
    assert_eq!(doc.persons.iter().filter(|p| p.name == "Karlheinz Kopf").count(), 1, "{:?}", doc.persons);

    // ES-GA: ParlaMint-ES-GA-listPerson.xml beside the sitting: SantalicesMiguelÁngel has
    // surnames Santalices, Vieira and forename Miguel Ángel.
    let doc = parse_one_file("ParlaMint-ES-GA", "ParlaMint-ES-GA_2022-05-24-DSPG082.xml");
    assert!(turns(&doc).iter().all(|t| t.speakers == ["Miguel Ángel Santalices Vieira"]));

    // TR: the listPerson inline in the corpus root ParlaMint-TR.xml: Levent.Gök.
    let doc = parse_one_file("ParlaMint-TR", "ParlaMint-TR_T27-tbmm-2020-05-27.xml");
    assert!(turns(&doc).iter().all(|t| t.speakers == ["Levent Gök"]));

    // No AT, ES-GA or TR sitting is left with an unresolved reference.
    for dir in ["ParlaMint-AT", "ParlaMint-ES-GA", "ParlaMint-TR"] {
        for path in xml_files(dir) {
            let raw = Raw::read(&path);
            if raw.is_sitting() {
                let docs = parsed(&path);
                let doc = &docs[0];
                assert!(!doc.diagnostics.iter().any(|d| d.code == "unresolved-speaker"), "{}", path.display());
                for (t, u) in doc.turns().zip(&raw.us) {
                    let Some(who) = u.who.as_deref() else { continue };
                    let who = who.trim_start_matches('#');
                    assert_ne!(t.speakers, [who], "{}: {who} kept as an id", path.display());
                }
            }
        }
    }
}

#[test]
fn without_a_list_person_the_ids_stand_and_free_text_is_a_name() {
    // GB sample: no listPerson anywhere; the who ids without '#'.
    let doc = parse_one_file("ParlaMint-GB-samples", "ParlaMint-GB_2017-09-07-commons.xml");
    let raw = Raw::read(&folder("ParlaMint-GB-samples").join("ParlaMint-GB_2017-09-07-commons.xml"));
    let expected: Vec<Vec<String>> =
        raw.us.iter().map(|u| vec![u.who.as_deref().unwrap().trim_start_matches('#').to_owned()]).collect();
    assert_eq!(crate::turn_speakers(&doc), expected);
    assert_eq!(expected[0], ["StephenKinnock"]);
    assert!(doc.diagnostics.iter().any(|d| d.code == "unresolved-speaker"));

    // SK light: who="Tomáš, Erik, poslanec NR SR" is free text (surname, forename, office).
    let doc = parse_one_file("ParlaMint-SK-light", "ParlaMint-SK_2020-02-26-t7m58.xml");
    let ts = turns(&doc);
    assert_eq!(ts[1].speakers, ["Erik Tomáš"]);
    assert_eq!(ts[2].speakers, ["Andrej Danko"]);
    assert_eq!(ts[0].speakers, ["AndrejDanko.1974"], "a #ref with no list stays an id");
    // Notes inside <seg>: "… v znení neskorších predpisov <note type="comment">tlač 1838</note>, a vládneho …"
    assert!(ts[0].text.contains("v znení neskorších predpisov, a vládneho návrhu zákona"), "{}", ts[0].text);
    assert!(!ts[0].text.contains("tlač 1838") && !ts[0].text.contains("Potlesk"));
    let kinds: Vec<(&str, &str)> = ts[0].annotations.iter().map(|a| (a.kind.as_str(), a.text.as_str())).collect();
    assert_eq!(kinds, [("kinesic", "Potlesk."), ("note", "tlač 1838"), ("note", "tlač 1839"), ("note", "tlač 1840")]);
}

#[test]
fn ana_text_is_rebuilt_from_tokens() {
    // Every <u> of the TR .ana sitting that its plain sibling also has reads the same.
    let dir = folder("ParlaMint-TR");
    let plain = Raw::read(&dir.join("ParlaMint-TR_T27-tbmm-2018-07-07.xml"));
    let plain: HashMap<String, String> =
        plain.us.iter().map(|u| (u.id.clone().unwrap(), u.segs.join("\n\n"))).collect();
    let doc = parse_one_file("ParlaMint-TR", "ParlaMint-TR_T27-tbmm-2018-07-07.ana.xml");
    assert_eq!(doc.id, "ParlaMint-TR_T27-tbmm-2018-07-07.ana");
    let mut compared = 0;
    for t in doc.turns() {
        if let Some(text) = plain.get(t.id.as_deref().unwrap()) {
            assert_eq!(&t.text, text, "{:?}", t.id);
            compared += 1;
        }
    }
    assert_eq!(compared, 779, "the <u>s the two files share");

    // Built by eye from the tokens: <w join="right">Başkan</w><w>lık</w> … <w join="right">başlayamıyoruz</w><pc>.</pc>
    let doc = parse_one_file("ParlaMint-TR", "ParlaMint-TR_T27-tbmm-2020-05-27.ana.xml");
    assert_eq!(turns(&doc)[1].text, "Başkanlık Divanı teşekkül etmediğinden çalışmalarımıza başlayamıyoruz.");

    // ES-CT English translation, first sentence from its tokens.
    let doc = parse_one_file("ParlaMint-ES-CT", "ParlaMint-ES-CT-en_2015-10-26-0101.ana.xml");
    let first = turns(&doc)[0];
    assert!(
        first.text.starts_with("Authorities, ladies and gentlemen, good morning and welcome to the Parliament of Catalonia at this constitutive session of the Eleventh Legislature.\n\nAs is the rule, according to Article 1"),
        "{}",
        &first.text[..200]
    );
    assert!(first.annotations.iter().any(|a| a.text == "Pause."));
}

#[test]
fn corpus_roots_follow_their_includes() {
    // TR: four sittings included, all present; persons inline in the root.
    let parsed = parse_file(&folder("ParlaMint-TR").join("ParlaMint-TR.xml"), None).unwrap();
    assert_eq!(parsed.reader, Reader::ParlaMint);
    assert_eq!(parsed.documents.len(), 4);
    assert_eq!(parsed.documents.iter().map(|d| d.turns().count()).sum::<usize>(), 3912);
    assert!(parsed.documents.iter().all(|d| !d.diagnostics.iter().any(|x| x.code == "missing-include")));

    // TR .ana: two of the four included sittings are missing: diagnostics, not failure.
    let parsed = parse_file(&folder("ParlaMint-TR").join("ParlaMint-TR.ana.xml"), None).unwrap();
    let ids: Vec<&str> = parsed.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["ParlaMint-TR_T27-tbmm-2018-07-07.ana", "ParlaMint-TR_T27-tbmm-2020-05-27.ana"]);
    // Missing includes are diagnostics of the root file, not of any sitting, so that a
    // sitting read through its root is the same document as read on its own.
    let missing: Vec<&str> =
        parsed.diagnostics.iter().filter(|d| d.code == "missing-include").map(|d| d.message.as_str()).collect();
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(missing[0].contains("ParlaMint-TR_T27-tbmm-2018-07-23.ana.xml"));
    assert!(parsed.diagnostics.iter().filter(|d| d.code == "missing-include").all(|d| d.line.is_some()));
    assert!(parsed.documents.iter().all(|d| !d.diagnostics.iter().any(|x| x.code == "missing-include")));

    // ES-GA: 308 includes, 17 resolve (11 sittings + 6 lists and taxonomies): 291 missing.
    let parsed = parse_file(&folder("ParlaMint-ES-GA").join("ParlaMint-ES-GA.xml"), None).unwrap();
    assert_eq!(parsed.documents.len(), 11);
    assert_eq!(parsed.documents.iter().map(|d| d.turns().count()).sum::<usize>(), 518);
    let missing = parsed.diagnostics.iter().filter(|d| d.code == "missing-include").count();
    assert_eq!(missing, 291);
    assert!(parsed.documents.iter().all(|d| !d.diagnostics.iter().any(|x| x.code == "missing-include")));
    let doc = parsed.documents.iter().find(|d| d.id == "ParlaMint-ES-GA_2022-05-24-DSPG082").unwrap();
    assert!(doc.turns().all(|t| t.speakers == ["Miguel Ángel Santalices Vieira"]));

    // ES-GA .ana: none of its sittings is present: an error that says how many were missing.
    let err = parse_file(&folder("ParlaMint-ES-GA").join("ParlaMint-ES-GA.ana.xml"), None).unwrap_err();
    assert!(matches!(err, FormatError::Unrecognized { .. }));
    assert!(err.to_string().contains("302 point to missing files"), "{err}");
}

#[test]
fn truncated_and_broken_sittings_are_errors_with_a_line_never_panics() {
    let path = folder("ParlaMint-AT").join("ParlaMint-AT_2015-06-08-025-XXV-NRSITZ-00078.xml");
    let text = std::fs::read_to_string(&path).unwrap();
    let name = Path::new("cut.xml");
    // Cut everywhere from inside the body to the end; the header is there, the root is not closed.
    let body = text.find("<body>").unwrap();
    let mut cuts: Vec<usize> = (body..text.len() - 1).step_by(97).collect();
    cuts.push(text.len() - 3);
    for cut in cuts {
        let cut = text.floor_char_boundary(cut);
        match parse_bytes(name, &text.as_bytes()[..cut], Some(Reader::ParlaMint)) {
            Err(FormatError::Malformed { line, message, .. }) => {
                assert!(line >= 1 && message.contains("column"), "{message}");
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    // Detection on a cut copy still routes to the ParlaMint reader and fails the same way.
    let err = parse_bytes(name, &text.as_bytes()[..text.len() / 2], None).unwrap_err().to_string();
    assert!(err.starts_with("cut.xml:") && err.contains("column"), "{err}");

    // Mismatched tags inside a <u>.
    let broken = text.replacen("</seg>", "</sig>", 1);
    let expected_line = text[..text.find("</seg>").unwrap()].matches('\n').count() as u32 + 1;
    match parse_bytes(name, broken.as_bytes(), None) {
        Err(FormatError::Malformed { line, .. }) => assert_eq!(line, expected_line),
        other => panic!("{other:?}"),
    }

    // A corpus root cut short.
    let root = std::fs::read_to_string(folder("ParlaMint-TR").join("ParlaMint-TR.xml")).unwrap();
    let cut = root.floor_char_boundary(root.len() - 40);
    let err = parse_bytes(name, &root.as_bytes()[..cut], Some(Reader::ParlaMint)).unwrap_err();
    assert!(matches!(err, FormatError::Malformed { .. }), "{err}");

    // Odd but well-formed: a <u> outside any <div>, a who that is neither, a nested div.
    let odd = r##"<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="odd" ana="#parla.sitting"><text><body>
        <u who="" xml:id="u0"><seg>Nobody.</seg></u>
        <div><head>A</head><u who="#x #y"><seg>Two.</seg></u><div><u who="#z">In.</u></div><u>After.</u></div>
        </body></text></TEI>"##;
    let docs = parse_bytes(Path::new("odd.xml"), odd.as_bytes(), Some(Reader::ParlaMint)).unwrap().documents;
    let doc = &docs[0];
    let headings: Vec<Option<&str>> = doc.sections.iter().map(|s| s.heading.as_deref()).collect();
    assert_eq!(headings, [None, Some("A"), None, None]);
    assert_eq!(crate::turn_speakers(doc), [vec![], vec!["x".to_owned(), "y".to_owned()], vec!["z".to_owned()], vec![]]);
    assert_eq!(doc.turns().map(|t| t.text.as_str()).collect::<Vec<_>>(), ["Nobody.", "Two.", "In.", "After."]);
    assert!(doc.turns().all(|t| t.kind == BlockKind::Turn));
}
