//! The opis document model: one primary-source document, whatever format it came
//! from, becomes one [`Document`].
//!
//! This crate is the contract between the readers (`opis-formats`), the store, the
//! index, the web pages and the API. It follows `shared/design/document-model.md`
//! field for field; fields that the contract does not name (`diagnostics`, `line`,
//! `reader`, …) are additions, never renames. The crate does no I/O.
//!
//! Principal types: [`Document`], [`Section`], [`Block`], [`Note`], [`ArchivalRef`],
//! [`DocDate`], [`Diagnostic`].

pub mod people;

use serde::{Deserialize, Serialize};

/// One primary-source document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Document {
    /// Stable id derived from the source ("wilson-113647"); the same input gives the same id.
    pub id: String,
    pub title: String,
    pub date: Option<DocDate>,
    /// Best guess at the genre ("working-notes", "memorandum", "telegram", …); never empty.
    pub kind: String,
    pub source_url: Option<String>,
    pub place: Option<String>,
    pub classification: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    pub collection: Option<String>,
    pub citation: Option<String>,
    #[serde(default)]
    pub archival_refs: Vec<ArchivalRef>,
    pub compiler: Option<String>,
    pub published_in: Option<String>,
    pub summary: Option<String>,
    pub original_language: Option<String>,
    pub language: String,
    pub protocol: Option<Protocol>,
    #[serde(default)]
    pub participants: Vec<Participants>,
    #[serde(default)]
    pub sections: Vec<Section>,
    #[serde(default)]
    pub notes: Vec<Note>,
    #[serde(default)]
    pub persons: Vec<PersonMention>,
    /// Places the source names in its metadata (Wilson Center `associated_places`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<String>,
    /// Subject headings the source assigns (Wilson Center `subjects_discussed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// Who contributed, transcribed or translated the text, as the source says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contributors: Vec<String>,
    /// Rights statement as printed by the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<String>,
    /// Printed pages the document spans in its edition ("375-386", or "390" for one page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<String>,
    /// The part of the edition the document stands in (a FRUS chapter's heading; nested
    /// divisions joined with " — ", outermost first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Ids of other documents the body links to (FRUS `<ref target="#d164">` outside notes →
    /// "frus1955-57v25-d164"); links inside notes are the notes' `refs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Terms the edition glosses (FRUS `<gloss target="#t_FonMin_1">FonMin</gloss>`), with the
    /// id of their entry in the edition's terms list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<GlossedTerm>,
    /// Editors of the edition the document is published in (a FRUS volume's `<editor>`s).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub editors: Vec<String>,
    /// Which reader produced this document ("record", "wilson-csv", …).
    #[serde(default)]
    pub reader: String,
    /// What was odd about the source and where; never fatal.
    #[serde(default)]
    pub diagnostics: Vec<Diagnostic>,
}

/// A date as printed plus the ISO 8601 day range it denotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocDate {
    /// The date as printed in the source.
    pub text: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`; equal to `from` for a single day.
    pub to: String,
}

/// "(Re: Point 1 of Protocol No. 49)" gives number "49", point "1".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Protocol {
    pub number: String,
    pub point: Option<String>,
}

/// One attendance list: "Those Taking Part: A, B, C" has label "Those Taking Part".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Participants {
    pub label: String,
    pub names: Vec<String>,
}

/// One agenda item or heading with the blocks under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Section {
    /// `None` for the blocks before the first heading.
    pub heading: Option<String>,
    /// Notes whose markers stand in the heading itself.
    #[serde(default)]
    pub heading_notes: Vec<u32>,
    /// "(Shepilov, Molotov, Bulganin)" under a heading; "Cde." dropped.
    #[serde(default)]
    pub presenters: Vec<String>,
    #[serde(default)]
    pub blocks: Vec<Block>,
    /// Transcribers' remarks that stand between blocks (ParlaMint `<note>`/`<kinesic>`… between
    /// `<u>`s, Akoma Ntoso `<scene>`), in reading order; `at` is the index of the block each precedes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
}

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    #[default]
    Paragraph,
    Turn,
    ListItem,
    Participants,
}

/// One paragraph, speaker turn, list item or attendance list of the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Block {
    pub kind: BlockKind,
    /// For a turn: who speaks, as printed, "Cde." dropped.
    #[serde(default)]
    pub speakers: Vec<String>,
    /// Note markers removed, page-break splits joined.
    pub text: String,
    /// Numbers of the notes whose markers stand in this block.
    #[serde(default)]
    pub notes: Vec<u32>,
    /// 1-based line in the source where the block starts, when the source has lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The source's own id of the block (ParlaMint `<u xml:id>`, Akoma Ntoso `eId`), for citing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// For a turn: the capacity the speaker speaks in, as the source says ("chair", "regular",
    /// "guest" from ParlaMint `ana`; "Presidente" from an Akoma Ntoso `<from>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Transcribers' remarks inside the block (applause, interjections, timestamps), kept out of
    /// `text`; `at` is the character offset in `text` where each stood.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
}

/// A term as printed, and the id of the entry that explains it in the edition's terms list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GlossedTerm {
    pub term: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// A transcriber's or editor's remark kept apart from the speech it interrupts: ParlaMint
/// `<note>`, `<kinesic>`, `<vocal>`, `<incident>`, `<gap>`, `<time>`; Akoma Ntoso `<scene>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Annotation {
    /// The source element: "note", "kinesic", "vocal", "incident", "gap", "time", "scene".
    pub kind: String,
    /// The source's own classification (`type` or `reason`: "applause", "speaker", "editorial").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// The remark as printed (a `<desc>`'s text for kinesic, vocal, incident and gap).
    pub text: String,
    /// Where it stood: in a block, the character offset in the block's text; in a section, the
    /// index of the block it precedes (the number of blocks when it comes last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<u32>,
}

/// A note (translator's, editor's, footnote) with what it cites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Note {
    /// The number as printed; gaps are real and kept.
    pub n: u32,
    pub text: String,
    #[serde(default)]
    pub archival_refs: Vec<ArchivalRef>,
    #[serde(default)]
    pub refs: Vec<NoteRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// What a cross-reference inside a note points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    Note,
    Document,
}

/// "see Note 78 supra" is `{kind: note, target: "78", text: "Note 78"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteRef {
    pub kind: RefKind,
    pub target: String,
    pub text: String,
}

/// A reference to an archive file, split into its parts.
///
/// Soviet-style references fill `fond`/`opis`/`papka`/`delo`/`leaves`
/// ("AVPRF, F.059a, Op.4, P.6, D.5, Ll.13-14"); western ones fill `file`, `box`,
/// `folder` ("Department of State, Central Files, 764.00/11–256").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchivalRef {
    /// As printed.
    pub text: String,
    pub archive: String,
    pub fond: Option<String>,
    pub opis: Option<String>,
    pub papka: Option<String>,
    pub delo: Option<String>,
    pub leaves: Option<String>,
    pub file: Option<String>,
    pub r#box: Option<String>,
    pub folder: Option<String>,
}

/// A person named in the text, with the spellings met and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonMention {
    pub name: String,
    #[serde(default)]
    pub variants: Vec<String>,
    pub mentions: u32,
    /// The source's own ids for the person (a ParlaMint `who`, a FRUS `persName corresp`),
    /// without `#`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing, nothing lost (e.g. the text was decoded as Windows-1252).
    Info,
    /// Something could not be recovered as the source meant it.
    Warning,
}

/// What a reader found odd, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable code ("marker-without-note", "note-never-referenced", …).
    pub code: String,
    pub message: String,
    /// 1-based line in the source, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl Diagnostic {
    pub fn warning(code: &str, message: impl Into<String>, line: Option<u32>) -> Self {
        Diagnostic { severity: Severity::Warning, code: code.to_owned(), message: message.into(), line }
    }

    pub fn info(code: &str, message: impl Into<String>, line: Option<u32>) -> Self {
        Diagnostic { severity: Severity::Info, code: code.to_owned(), message: message.into(), line }
    }
}

impl Document {
    /// Every turn of the document in reading order; a search hit's `turn` indexes this.
    pub fn turns(&self) -> impl Iterator<Item = &Block> {
        self.sections.iter().flat_map(|s| s.blocks.iter()).filter(|b| b.kind == BlockKind::Turn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_kind_and_ref_kind_serialize_as_the_contract_spells_them() {
        let b = Block { kind: BlockKind::ListItem, text: "x".into(), ..Default::default() };
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["kind"], "list_item");
        let r = NoteRef { kind: RefKind::Document, target: "8".into(), text: "Document No. 8".into() };
        assert_eq!(serde_json::to_value(&r).unwrap()["kind"], "document");
        let a = ArchivalRef { archive: "BArch".into(), r#box: Some("3".into()), ..Default::default() };
        assert_eq!(serde_json::to_value(&a).unwrap()["box"], "3");
    }
}
