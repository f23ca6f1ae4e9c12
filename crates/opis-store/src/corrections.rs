//! Corrections: an editor's patches over a parsed document, kept with author, time and reason.
//!
//! A [`Patch`] names what it changes by content, not only by position: a turn by its index
//! and the start of its text (`anchor`), so that a source edited elsewhere still takes it. A
//! correction is applied to the current version and stored as a new version; every later
//! ingest of the document's source re-applies all of its corrections, in order, to what the
//! reader parsed (inside the same store transaction, so an unchanged source with the same
//! corrections writes nothing). A patch that no longer applies is skipped and marked
//! `needs_review`; one that applies again is marked `applied` again.

use opis_model::{BlockKind, Document, PersonMention};
use serde::{Deserialize, Serialize};

use crate::db::{Db, args};
use crate::{PreparedDocument, Provenance, Result, SqlStore, Store, StoreError, time};

/// Characters of a turn's text an anchor holds at most.
pub const ANCHOR_CHARS: usize = 60;

/// One change to a parsed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Patch {
    /// Who speaks a turn.
    SetSpeakers { turn: u32, anchor: String, speakers: Vec<String> },
    /// Splits a turn where the text `at` begins; the second part is spoken by `speakers`.
    SplitTurn { turn: u32, anchor: String, at: String, speakers: Vec<String> },
    /// Joins a turn and the turn after it (in the same section) into one.
    MergeWithNext { turn: u32, anchor: String },
    /// A section's heading (`None` removes it).
    SetHeading { section: u32, heading: Option<String> },
    /// A metadata field: `title`, `summary`, `place`, `classification`, `citation`,
    /// `original_language` (an empty value clears an optional field).
    SetField { field: String, value: String },
    /// Attaches the name (or spelling) `name` to the person `person`: its mentions count for
    /// that person, and the spelling becomes one of theirs.
    AttachMention { name: String, person: String },
    /// Marks the reader's diagnostics of this code (and line, when given) as resolved.
    ResolveDiagnostic { code: String, line: Option<u32> },
}

/// The start of a turn's text as a patch anchors on it.
pub fn anchor_of(text: &str) -> String {
    text.chars().take(ANCHOR_CHARS).collect()
}

/// (section, block) of every turn, in reading order.
fn turns(doc: &Document) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (s, section) in doc.sections.iter().enumerate() {
        for (b, block) in section.blocks.iter().enumerate() {
            if block.kind == BlockKind::Turn {
                out.push((s, b));
            }
        }
    }
    out
}

/// The turn a patch means: the `turn`-th if its text starts with `anchor`, else the one turn
/// whose text does.
fn find_turn(doc: &Document, turn: u32, anchor: &str) -> Result<(usize, usize), String> {
    let all = turns(doc);
    let starts = |&(s, b): &(usize, usize)| doc.sections[s].blocks[b].text.starts_with(anchor);
    if let Some(at) = all.get(turn as usize).filter(|t| starts(t)) {
        return Ok(*at);
    }
    let matching: Vec<_> = all.iter().filter(|t| starts(t)).collect();
    match matching.as_slice() {
        [one] => Ok(**one),
        [] => Err(format!("no turn starts with {anchor:?}")),
        _ => Err(format!("{} turns start with {anchor:?}", matching.len())),
    }
}

fn clean_names(names: &[String]) -> Result<Vec<String>, String> {
    let names: Vec<String> = names.iter().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect();
    if names.iter().any(|n| n.chars().count() > 200 || n.chars().any(char::is_control)) {
        return Err("a speaker's name is at most 200 printable characters".into());
    }
    Ok(names)
}

impl Patch {
    /// Applies the patch to `doc`, or says why it does not apply (leaving `doc` unchanged).
    pub fn apply(&self, doc: &mut Document) -> Result<(), String> {
        match self {
            Patch::SetSpeakers { turn, anchor, speakers } => {
                let speakers = clean_names(speakers)?;
                if speakers.is_empty() {
                    return Err("a turn has at least one speaker".into());
                }
                let (s, b) = find_turn(doc, *turn, anchor)?;
                doc.sections[s].blocks[b].speakers = speakers;
            }
            Patch::SplitTurn { turn, anchor, at, speakers } => {
                let speakers = clean_names(speakers)?;
                let (s, b) = find_turn(doc, *turn, anchor)?;
                let block = &doc.sections[s].blocks[b];
                let Some(pos) = block.text.find(at.as_str()).filter(|&p| p > 0 && !at.is_empty()) else {
                    return Err(format!("the turn has no {at:?} after its start"));
                };
                let mut second = block.clone();
                second.text = block.text[pos..].trim_start().to_owned();
                second.speakers = if speakers.is_empty() { block.speakers.clone() } else { speakers };
                second.notes.retain(|_| false);
                second.annotations.clear();
                second.id = None;
                let first = &mut doc.sections[s].blocks[b];
                first.text = first.text[..pos].trim_end().to_owned();
                doc.sections[s].blocks.insert(b + 1, second);
            }
            Patch::MergeWithNext { turn, anchor } => {
                let (s, b) = find_turn(doc, *turn, anchor)?;
                let blocks = &mut doc.sections[s].blocks;
                if blocks.get(b + 1).is_none_or(|n| n.kind != BlockKind::Turn) {
                    return Err("no turn follows it in its section".into());
                }
                let next = blocks.remove(b + 1);
                let first = &mut blocks[b];
                first.text = format!("{} {}", first.text, next.text);
                first.notes.extend(next.notes);
                for s in next.speakers {
                    if !first.speakers.contains(&s) {
                        first.speakers.push(s);
                    }
                }
            }
            Patch::SetHeading { section, heading } => {
                let Some(target) = doc.sections.get_mut(*section as usize) else {
                    return Err(format!("no section {section}"));
                };
                target.heading = heading.as_ref().map(|h| h.trim().to_owned()).filter(|h| !h.is_empty());
            }
            Patch::SetField { field, value } => {
                let value = value.trim().to_owned();
                let optional = if value.is_empty() { None } else { Some(value.clone()) };
                match field.as_str() {
                    "title" if !value.is_empty() => doc.title = value,
                    "title" => return Err("a title cannot be empty".into()),
                    "summary" => doc.summary = optional,
                    "place" => doc.place = optional,
                    "classification" => doc.classification = optional,
                    "citation" => doc.citation = optional,
                    "original_language" => doc.original_language = optional,
                    other => return Err(format!("{other:?} is not a field a correction can set")),
                }
            }
            Patch::AttachMention { name, person } => {
                let person = person.trim();
                if person.is_empty() || name.trim().is_empty() {
                    return Err("a name and a person are needed".into());
                }
                let Some(i) = doc.persons.iter().position(|p| p.name == *name || p.variants.contains(name)) else {
                    return Err(format!("the document names no {name:?}"));
                };
                let from = doc.persons.remove(i);
                let target = match doc.persons.iter().position(|p| p.name == person) {
                    Some(j) => &mut doc.persons[j],
                    None => {
                        doc.persons.push(PersonMention {
                            name: person.to_owned(),
                            variants: Vec::new(),
                            mentions: 0,
                            refs: Vec::new(),
                        });
                        let last = doc.persons.len() - 1;
                        &mut doc.persons[last]
                    }
                };
                target.mentions += from.mentions;
                for v in std::iter::once(from.name).chain(from.variants) {
                    if v != target.name && !target.variants.contains(&v) {
                        target.variants.push(v);
                    }
                }
            }
            Patch::ResolveDiagnostic { code, line } => {
                let before = doc.diagnostics.len();
                doc.diagnostics.retain(|d| !(d.code == *code && line.is_none_or(|l| d.line == Some(l))));
                if doc.diagnostics.len() == before {
                    return Err(format!("no diagnostic {code:?} to resolve"));
                }
            }
        }
        Ok(())
    }

    /// A one-line description for the audit log and the version list.
    pub fn describe(&self) -> String {
        match self {
            Patch::SetSpeakers { turn, speakers, .. } => format!("turn {turn}: speakers {}", speakers.join("; ")),
            Patch::SplitTurn { turn, .. } => format!("turn {turn}: split"),
            Patch::MergeWithNext { turn, .. } => format!("turn {turn}: merged with the next"),
            Patch::SetHeading { section, .. } => format!("section {section}: heading"),
            Patch::SetField { field, .. } => format!("field {field}"),
            Patch::AttachMention { name, person } => format!("{name} attached to {person}"),
            Patch::ResolveDiagnostic { code, .. } => format!("diagnostic {code} resolved"),
        }
    }
}

/// A stored correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub id: i64,
    pub doc_id: String,
    pub patch: Patch,
    pub author: String,
    pub reason: String,
    pub created_at: String,
    /// `applied`, or `needs_review` when the last ingest could not apply it.
    pub status: String,
}

/// Applies a document's stored corrections to a freshly parsed version inside a store write,
/// marking each applied or needing review. Returns the corrected document, or `None` when the
/// document has no corrections.
pub(crate) fn reapply(db: &Db, parsed: &Document) -> Result<Option<Document>> {
    let rows = db.query("SELECT id, patch, status FROM corrections WHERE doc_id = ?1 ORDER BY id", args![parsed.id])?;
    let list: Vec<(i64, String, String)> =
        rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).collect::<Result<_>>()?;
    if list.is_empty() {
        return Ok(None);
    }
    let mut doc = parsed.clone();
    for (id, json, status) in list {
        let outcome = match serde_json::from_str::<Patch>(&json) {
            Ok(patch) => {
                let mut attempt = doc.clone();
                patch.apply(&mut attempt).map(|()| attempt)
            }
            Err(e) => Err(e.to_string()),
        };
        let now = match outcome {
            Ok(corrected) => {
                doc = corrected;
                "applied"
            }
            Err(_) => "needs_review",
        };
        if now != status {
            db.execute("UPDATE corrections SET status = ?1 WHERE id = ?2", args![now, id])?;
        }
    }
    Ok(Some(doc))
}

impl SqlStore {
    /// Applies `patch` to the current version of `doc_id` and stores the result as a new
    /// version with the correction (author, reason, now). Returns the correction's id and the
    /// new version; `Ok(None)` when there is no such document. A patch that does not apply is
    /// [`StoreError::Correction`].
    ///
    /// Optimistic versioning: `expected` is the version the editor corrected (the one shown to
    /// them); when another writer has made a newer one since, the correction is refused with
    /// [`StoreError::Conflict`] instead of being laid over a version its author never saw. The
    /// read, the check and the write are one transaction under the writer's lock, so two
    /// corrections never both build on the same version.
    pub fn correct(
        &mut self,
        doc_id: &str,
        patch: &Patch,
        author: &str,
        reason: &str,
        expected: Option<u32>,
    ) -> Result<Option<(i64, u32)>> {
        let json = serde_json::to_string(patch).map_err(|e| StoreError::Correction(e.to_string()))?;
        self.db().write(|db| {
            let Some(current) = self.document(doc_id)? else { return Ok(None) };
            if let Some(seen) = expected.filter(|&v| v != current.version) {
                return Err(StoreError::Conflict(format!(
                    "{doc_id} is at version {} now, not version {seen} that the correction was made on; \
                     reload it and correct it again",
                    current.version
                )));
            }
            let mut doc = current.document;
            patch.apply(&mut doc).map_err(StoreError::Correction)?;
            let id: i64 = db
                .value(
                    "INSERT INTO corrections (doc_id, patch, author, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     RETURNING id",
                    args![doc_id, json, author, reason, time::now_rfc3339()],
                )?
                .unwrap_or_default();
            let source_path = current.source_path.unwrap_or_default();
            // The document is written as corrected (base: the current version, which already
            // carries the earlier corrections), in the same transaction.
            let receipt = SqlStore::put_in(db, &[(PreparedDocument::new(doc), Provenance { source_path })], false)?;
            let version = match receipt.outcomes.first() {
                Some(crate::PutOutcome::Changed { version }) => *version,
                _ => current.version,
            };
            Ok(Some((id, version)))
        })
    }

    /// A document's corrections, oldest first (every document's when `doc_id` is `None`).
    pub fn corrections(&self, doc_id: Option<&str>) -> Result<Vec<Correction>> {
        let rows = self.db().query(
            "SELECT id, doc_id, patch, author, reason, created_at, status FROM corrections
             WHERE (CAST(?1 AS TEXT) IS NULL OR doc_id = ?1) ORDER BY id",
            args![doc_id],
        )?;
        let mut out = Vec::new();
        for r in rows {
            let (id, doc_id, json, author, reason, created_at, status): (
                i64,
                String,
                String,
                String,
                String,
                String,
                String,
            ) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
            let patch = serde_json::from_str(&json).map_err(|e| StoreError::Correction(e.to_string()))?;
            out.push(Correction { id, doc_id, patch, author, reason, created_at, status });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opis_model::{Block, Section};

    fn minutes() -> Document {
        Document {
            id: "m".into(),
            title: "Minutes".into(),
            kind: "record".into(),
            language: "en".into(),
            sections: vec![Section {
                blocks: vec![Block {
                    kind: BlockKind::Turn,
                    speakers: vec!["Saburov".into()],
                    text: "On Hungary we must be careful.".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn to(speaker: &str) -> Patch {
        Patch::SetSpeakers { turn: 0, anchor: "On Hungary".into(), speakers: vec![speaker.into()] }
    }

    fn speakers(store: &SqlStore) -> Vec<String> {
        store.document("m").unwrap().unwrap().document.sections[0].blocks[0].speakers.clone()
    }

    #[test]
    fn a_correction_made_on_an_older_version_is_refused_not_laid_over() {
        for mut store in crate::test_stores("conflict") {
            store.put_batch(&[(minutes(), Provenance::default())]).unwrap();
            assert_eq!(store.correct("m", &to("Suslov"), "ed", "the minutes", Some(1)).unwrap().map(|c| c.1), Some(2));
            // A second editor still looking at version 1.
            let stale = store.correct("m", &to("Zhukov"), "al", "I think", Some(1));
            assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
            assert_eq!(speakers(&store), ["Suslov"], "the first correction stands");
            assert_eq!(store.corrections(Some("m")).unwrap().len(), 1, "the refused one is not kept");
            assert_eq!(
                store.correct("m", &to("Zhukov"), "al", "after reloading", Some(2)).unwrap().map(|c| c.1),
                Some(3)
            );

            // Two editors on two connections, both correcting version 3 at once: one wins, one is told.
            let racers: Vec<_> = ["Molotov", "Kaganovich"]
                .into_iter()
                .map(|who| {
                    let mut mine = store.reopen().unwrap();
                    std::thread::spawn(move || mine.correct("m", &to(who), who, "at once", Some(3)))
                })
                .collect();
            let results: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
            let won = results.iter().filter(|r| matches!(r, Ok(Some((_, 4))))).count();
            let told = results.iter().filter(|r| matches!(r, Err(StoreError::Conflict(_)))).count();
            assert_eq!((won, told), (1, 1), "{results:?}");
            assert_eq!(store.document("m").unwrap().unwrap().version, 4);
            assert_eq!(store.corrections(Some("m")).unwrap().len(), 3);
            // Without a version (the command line), a correction applies to whatever is current.
            assert!(store.correct("m", &to("Saburov"), "ed", "back", None).unwrap().is_some());
        }
    }
}
