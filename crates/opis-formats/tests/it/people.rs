//! The people authority on real documents: the seed, every ParlaMint sitting in `../shared`
//! against its own `who` attributes, FRUS `persName corresp` against `pocom`, and a table of
//! Russian names in Cyrillic and four published romanizations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use opis_formats::extract::authority::{
    DocPeople, KeyedUse, NodeTally, Overrides, PartPlan, PeopleSummary, build, build_by_parts, people_of, summary_of,
};
use opis_formats::extract::name_table::NameTable;
use opis_formats::pocom::{join, read_pocom};
use opis_model::people::{Authority, PersonRecord};
use regex::Regex;

use super::{parse_one, seed_path, shared};

fn person_of<'a>(a: &'a Authority, doc: &str, form: &str) -> Vec<&'a str> {
    let ids: BTreeSet<&str> =
        a.links.iter().filter(|l| l.doc_id == doc && l.form == form).map(|l| l.person.as_str()).collect();
    ids.into_iter().collect()
}

#[test]
fn seed_speakers_and_attendees_are_one_person_each() {
    let doc = parse_one(&seed_path());
    let text = std::fs::read_to_string(seed_path()).unwrap();
    let people = people_of(&doc);
    let a = build(std::slice::from_ref(&people), &[], &Overrides::default());
    // Every speaker and attendee is linked to exactly one person; none is ambiguous.
    for u in people.names.iter().filter(|u| u.roles.contains("speaker") || u.roles.contains("attendee")) {
        assert_eq!(person_of(&a, &doc.id, &u.form).len(), 1, "{} in {:?}", u.form, a.ambiguities);
    }
    assert!(a.ambiguities.is_empty(), "{:?}", a.ambiguities);
    // "Chinese comrades" (the second attendance list) is not a person.
    assert!(text.contains("Yudin, Chinese comrades") || text.contains("Yudin. Chinese comrades."));
    assert!(a.persons.iter().all(|p| !p.name.contains("comrades")));
    // Khrushchev's turns as the source labels them: "(Khrushchev)", "(Cde. Khrushchev)",
    // "Cde. Khrushchev-" and "Cde. Khrushchev:" at the start of a line.
    let labels = Regex::new(r"(?m)^(\(Khrushchev\)|\(Cde\. Khrushchev\)|Cde\. Khrushchev[-:])").unwrap();
    let expected = labels.find_iter(&text).count() as u32;
    assert_eq!(expected, 6);
    let k = person_of(&a, &doc.id, "Khrushchev");
    assert_eq!(k.len(), 1);
    let khrushchev = a.persons.iter().find(|p| p.id == k[0]).unwrap();
    assert_eq!(khrushchev.turns, expected);
    // Liu Shaoqi is one person under his full name.
    assert!(text.contains("Cde. Liu Shaoqi"));
    let liu: Vec<_> = a.persons.iter().filter(|p| p.variants.iter().any(|v| v.form.contains("Shaoqi"))).collect();
    assert_eq!(liu.len(), 1);
    assert_eq!(liu[0].name, "Liu Shaoqi");
    // "in Malinin's opinion" (Mikhail Malinin, note 4) and the compiler "V. N. Malin": two people.
    assert!(text.contains("compiled by V. N. Malin") && text.contains("Malinin's opinion"));
    let malin = person_of(&a, &doc.id, "V. N. Malin");
    let malinin = person_of(&a, &doc.id, "Mikhail Malinin");
    assert_eq!(malin.len(), 1);
    assert_eq!(malinin.len(), 1);
    assert_ne!(malin, malinin);
    for p in &a.persons {
        let forms: Vec<&str> = p.variants.iter().map(|v| v.form.as_str()).collect();
        assert!(!(forms.contains(&"V. N. Malin") && forms.iter().any(|f| f.contains("Malinin"))), "{forms:?}");
    }
}

fn xml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            xml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "xml") {
            out.push(p);
        }
    }
}

#[test]
fn every_parlamint_person_gets_the_turns_that_refer_to_it() {
    let mut files = Vec::new();
    xml_files(&shared().join("corpora/parlamint"), &mut files);
    // The listPerson entries, read from the files themselves.
    let person_re = Regex::new(r#"<person\s[^>]*xml:id="([^"]+)""#).unwrap();
    let who_re = Regex::new(r##"<u\s[^>]*who="#([^"\s]+)""##).unwrap();
    let mut listed: BTreeSet<String> = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        listed.extend(person_re.captures_iter(&text).map(|c| c[1].to_owned()));
    }
    let mut docs: Vec<DocPeople> = Vec::new();
    // (document id, who id) → turns in the source.
    let mut expected: BTreeMap<(String, String), u32> = BTreeMap::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name.contains(".ana.")
            || name.contains("listPerson")
            || name.contains("listOrg")
            || name.contains("taxonomy")
        {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap_or_default();
        if !text.contains("<u ") || text.contains("<teiCorpus") {
            continue;
        }
        let Ok(parsed) = opis_formats::parse_file(f, None) else { continue };
        for doc in parsed.documents {
            for c in who_re.captures_iter(&text) {
                if listed.contains(&c[1]) {
                    *expected.entry((doc.id.clone(), c[1].to_owned())).or_default() += 1;
                }
            }
            docs.push(people_of(&doc));
        }
    }
    assert!(expected.len() > 500, "{} speakers", expected.len());
    let a = build(&docs, &[], &Overrides::default());
    let scope: BTreeMap<&str, &str> = docs.iter().map(|d| (d.doc_id.as_str(), d.scope.as_str())).collect();
    let mut wrong = Vec::new();
    for ((doc, who), n) in &expected {
        let source = format!("{}#{who}", scope[doc.as_str()]);
        let persons: Vec<_> = a.persons.iter().filter(|p| p.sources.contains(&source)).collect();
        let turns: u32 = a
            .links
            .iter()
            .filter(|l| l.doc_id == *doc && persons.iter().any(|p| p.id == l.person))
            .map(|l| l.turns)
            .sum();
        if persons.len() != 1 || turns != *n {
            wrong.push(format!("{doc} #{who}: {} person(s), {turns} turns, source has {n}", persons.len()));
        }
    }
    assert!(wrong.is_empty(), "{} of {} wrong: {:#?}", wrong.len(), expected.len(), &wrong[..wrong.len().min(20)]);
}

pub fn pocom_records() -> Vec<PersonRecord> {
    let mut files = Vec::new();
    xml_files(&shared().join("corpora/frus/pocom"), &mut files);
    let mut records = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        records.extend(read_pocom(&f, &text).unwrap_or_default());
    }
    join(&records)
}

#[test]
fn frus_corresp_resolves_to_pocom_where_names_and_dates_agree() {
    let records = pocom_records();
    // The corpus README counts 4,261 persons.
    assert_eq!(records.len(), 4261);
    let path = shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(r##"<persName corresp="#p_WET1">Wailes</persName>"##));
    let parsed = opis_formats::parse_file(&path, None).unwrap();
    let docs: Vec<DocPeople> = parsed.documents.iter().map(people_of).collect();
    let a = build(&docs, &records, &Overrides::default());
    let wailes = a.persons.iter().find(|p| p.sources.iter().any(|s| s.ends_with("#p_WET1"))).unwrap();
    assert_eq!(wailes.id, "pocom-wailes-edward-thompson");
    assert_eq!(wailes.birth.as_deref(), Some("1903"));
    // missions-countries/hungary.xml: envoy to Hungary, appointed 1956-07-26.
    assert!(wailes.roles.iter().any(|r| r.role.ends_with("hungary") && r.from.as_deref() == Some("1956-07-26")));
    // "Tom Wailes" (d163) and "Wailes" (d162) carry the same corresp: one person.
    assert_eq!(person_of(&a, "frus1955-57v25-d163", "Tom Wailes"), vec![wailes.id.as_str()]);
    assert_eq!(person_of(&a, "frus1955-57v25-d162", "Wailes"), vec![wailes.id.as_str()]);
    // Khrushchev (#p_KNS1) is no US official: no pocom record takes him in.
    let k = person_of(&a, "frus1955-57v25-d162", "Khrushchev");
    assert_eq!(k.len(), 1);
    assert!(!k[0].starts_with("pocom-"), "{k:?}");
}

/// The documents of `../shared` that carry people: the seed, every ParlaMint sitting (source
/// ids), FRUS (persName corresp, pocom) and the Wilson Center exports.
fn shared_documents() -> Vec<opis_model::Document> {
    let mut files = vec![seed_path()];
    for dir in ["corpora/parlamint", "corpora/frus/frus-history-documents"] {
        xml_files(&shared().join(dir), &mut files);
    }
    files.push(shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"));
    files.push(shared().join("corpora/wilson-center/wilson_archive_db-export.jsonl"));
    files.push(shared().join("corpora/wilson-center/wilson_archive_kohl-rows.csv"));
    let mut docs: BTreeMap<String, opis_model::Document> = BTreeMap::new();
    for f in files {
        if let Ok(parsed) = opis_formats::parse_file(&f, None) {
            for d in parsed.documents {
                docs.entry(d.id.clone()).or_insert(d);
            }
        }
    }
    // One source id under two surnames (a name changed by marriage): the id ties two surname
    // keys into one part, and "Müller" alone in a third document resolves through it.
    let doc = |id: &str, names: &[(&str, &str)]| opis_model::Document {
        id: id.into(),
        collection: Some("ParlaMint-XX".into()),
        reader: "parlamint".into(),
        persons: names
            .iter()
            .map(|(n, r)| opis_model::PersonMention {
                name: (*n).into(),
                mentions: 1,
                refs: if r.is_empty() { vec![] } else { vec![(*r).into()] },
                variants: vec![],
            })
            .collect(),
        ..Default::default()
    };
    for d in [
        doc("zz-1", &[("Maria Schmidt", "MariaX"), ("Karl Müller", "")]),
        doc("zz-2", &[("Maria Müller", "MariaX"), ("Peter Schmidt", "")]),
        doc("zz-3", &[("Müller", ""), ("Schmidt", "")]),
    ] {
        docs.insert(d.id.clone(), d);
    }
    docs.into_values().collect()
}

fn sorted(mut a: Authority) -> Authority {
    a.persons.sort_by(|x, y| x.id.cmp(&y.id));
    a.links.sort_by(|x, y| (&x.person, &x.doc_id, &x.form).cmp(&(&y.person, &y.doc_id, &y.form)));
    a.ambiguities.sort_by(|x, y| (&x.doc_id, &x.form).cmp(&(&y.doc_id, &y.form)));
    a
}

/// What a rebuild does: every summary's names in a [`NameTable`], taken a part at a time.
fn by_parts(summaries: &[PeopleSummary], records: &[PersonRecord], overrides: &Overrides) -> Authority {
    by_parts_spilled(summaries, records, overrides, None)
}

/// [`by_parts`] with the names spilled to `spill` after the first summary's, each part's names
/// read back from it alone (a window of one part), and every part of more than 3 names built
/// alone.
fn by_parts_spilled(
    summaries: &[PeopleSummary],
    records: &[PersonRecord],
    overrides: &Overrides,
    spill: Option<&std::path::Path>,
) -> Authority {
    let mut tally = NodeTally::default();
    let mut table = NameTable::default();
    for s in summaries {
        tally.add(s);
        table.add(s).unwrap();
        if let Some(path) = spill
            && !table.is_spilled()
        {
            table.spill_to(path).unwrap();
            assert_eq!(table.len(), 0);
        }
    }
    let mut plan = tally.plan(records);
    if spill.is_some() {
        // Every part of more than 3 names built alone.
        plan.build_alone(3);
    }
    let mut out = Authority::default();
    let mut parts = 0;
    build_by_parts::<()>(
        &plan,
        records,
        overrides,
        |_, part| {
            parts += 1;
            if spill.is_some() {
                table.load(|node| part.iter().any(|n| n == node)).unwrap();
            }
            Ok(table.part(part))
        },
        |a| {
            out.persons.extend(a.persons.iter().cloned());
            out.links.extend(a.links.iter().cloned());
            out.ambiguities.extend(a.ambiguities.iter().cloned());
            Ok(())
        },
    )
    .unwrap();
    assert!(parts > 100, "{parts} parts");
    sorted(out)
}

#[test]
fn built_part_by_part_the_authority_is_the_whole_build() {
    let docs = shared_documents();
    assert!(docs.len() > 100, "{} documents", docs.len());
    let whole: Vec<DocPeople> = docs.iter().map(people_of).collect();
    let summaries: Vec<PeopleSummary> = docs.iter().map(summary_of).collect();
    let records = pocom_records();
    // Source ids tie surname keys together: some parts hold more than one node.
    assert!(summaries.iter().flat_map(|s| &s.uses).any(|u| u.source.is_some()));
    let none = Overrides::default();
    let a = sorted(build(&whole, &records, &none));
    assert!(a.links.len() > 1000 && !a.ambiguities.is_empty(), "{} links", a.links.len());
    assert_eq!(by_parts(&summaries, &records, &none), a);
    // The editor's changes, one merge reaching across parts (Khrushchev and Wailes).
    let id_of = |form: &str| a.links.iter().find(|l| l.form == form).map(|l| l.person.clone()).unwrap();
    let (k, w, m) = (id_of("Khrushchev"), id_of("Wailes"), id_of("V. N. Malin"));
    let overrides = Overrides::from_csv(
        "people.csv",
        &format!(
            "action,person,value,script,system\nmerge,{k},{w}\nsplit,{k},Khrushchev\nrename,{m},Vladimir Malin\n\
             variant,{k},Хрущёв,Cyrl,\nnot-person,,Kadar\n"
        ),
    )
    .unwrap();
    let edited = sorted(build(&whole, &records, &overrides));
    assert_ne!(edited, a);
    assert_eq!(by_parts(&summaries, &records, &overrides), edited);
    // Spilled to a file and read back a part at a time: the same authority.
    let spill = std::env::temp_dir().join(format!("opis-names-{}.spill", std::process::id()));
    let spilled = by_parts_spilled(&summaries, &records, &overrides, Some(&spill));
    let spill_bytes = std::fs::metadata(&spill).map(|m| m.len()).unwrap_or(0);
    std::fs::remove_file(&spill).unwrap();
    assert_eq!(spilled, edited);
    let names: usize = summaries.iter().map(|s| s.uses.len()).sum();
    assert_eq!(spill_bytes, 29 * names as u64, "every name written once");
}

/// A spill file damaged between its writing and a window's read is an error, not a panic.
#[test]
fn a_damaged_spill_file_is_an_error() {
    use std::io::{Seek, Write};
    let summaries: Vec<PeopleSummary> = shared_documents().iter().map(summary_of).collect();
    let path = std::env::temp_dir().join(format!("opis-names-damaged-{}.spill", std::process::id()));
    let mut table = NameTable::default();
    table.spill_to(&path).unwrap();
    for s in &summaries {
        table.add(s).unwrap();
    }
    table.load(|_| true).unwrap();
    let held = table.len();
    assert_eq!(held, summaries.iter().map(|s| s.uses.len()).sum::<usize>());
    // The first record's node number made one no node has.
    let mut damage = std::fs::File::options().write(true).open(&path).unwrap();
    damage.rewind().unwrap();
    damage.write_all(&u32::MAX.to_le_bytes()).unwrap();
    drop(damage);
    let err = table.load(|_| true).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
}

/// Parts are built on a second thread while the store's thread reads the next: a store error
/// halfway stops the rebuild with that error (no hang, no part written after it).
#[test]
fn a_store_error_halfway_through_the_parts_ends_the_build_with_it() {
    let summaries: Vec<PeopleSummary> = shared_documents().iter().map(summary_of).collect();
    let nodes: Vec<String> = summaries
        .iter()
        .flat_map(|s| s.uses.iter().map(|u| u.node.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(nodes.len() > 100, "{} nodes", nodes.len());
    let (mut read, mut written) = (0, 0);
    let result = build_by_parts::<String>(
        &PartPlan::new(&nodes, &[], &[]),
        &[],
        &Overrides::default(),
        |_, part| {
            read += 1;
            if read == 50 {
                return Err(format!("the store failed reading {}", part[0]));
            }
            Ok(Vec::new())
        },
        |_| {
            written += 1;
            Ok(())
        },
    );
    assert!(result.unwrap_err().starts_with("the store failed reading"));
    assert_eq!(read, 50);
    assert!(written < 50, "{written} parts written");
}

/// Windows of parts take consecutive groups while their names fit the budget; a group larger
/// than the budget is a window alone; every group is in one window.
#[test]
fn windows_of_parts_hold_consecutive_groups_within_the_budget() {
    let summary = |doc: &str, nodes: &[&str]| PeopleSummary {
        doc_id: doc.into(),
        uses: nodes.iter().map(|n| KeyedUse { node: (*n).into(), ..Default::default() }).collect(),
        ..Default::default()
    };
    let mut tally = NodeTally::default();
    // a: 3 names, b: 2, c: 4; no source ids, so each node is a group of its own.
    for s in [summary("d1", &["a", "a", "b"]), summary("d2", &["a", "c", "c"]), summary("d3", &["b", "c", "c"])] {
        tally.add(&s);
    }
    let plan = tally.plan(&[]);
    assert_eq!(plan.groups, [["a"], ["b"], ["c"]]);
    assert_eq!(plan.windows(5), [0..2, 2..3]);
    assert_eq!(plan.windows(1), [0..1, 1..2, 2..3]);
    assert_eq!(plan.windows(100), vec![(0..3)]);
}
