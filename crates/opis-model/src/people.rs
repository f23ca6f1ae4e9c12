//! The people authority: one [`Person`] per person across spellings, scripts and sources,
//! the documents that name each, and the names that could be two people ([`Ambiguity`]).
//!
//! Built by `opis_formats::extract::authority` from what the readers recover (speakers,
//! attendance lists, persons named, source ids) and from authority records (`pocom`), then
//! changed by the editor's overrides; stored by `opis-store`. Every fact says who asserts it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The whole authority, as one build produces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Authority {
    pub persons: Vec<Person>,
    /// Which person each name in each document is, with how often it occurs there.
    pub links: Vec<PersonLink>,
    /// Names that fit two or more persons equally: left unmerged for an editor.
    pub ambiguities: Vec<Ambiguity>,
}

/// One person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    /// Stable across rebuilds: derived from the person's canonical key, never from order.
    pub id: String,
    /// The preferred name: an editor's, else an authority record's, else the fullest form met.
    pub name: String,
    pub variants: Vec<NameVariant>,
    /// Year (or date) of birth and death, where a source gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub death: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<PersonRole>,
    /// Who asserts that this person exists: authority records, source ids, editors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Why the forms were merged into one person, one line per rule applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merges: Vec<String>,
    /// Documents that name the person, turns spoken, mentions counted.
    pub documents: u32,
    pub turns: u32,
    pub mentions: u32,
}

/// One spelling of a person's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NameVariant {
    pub form: String,
    /// ISO 15924 script code: "Latn", "Cyrl", …
    pub script: String,
    /// The romanization system the spelling follows, where the spelling shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Where the form was met: document ids, authority records, "editor".
    pub sources: Vec<String>,
}

/// A role a source gives a person ("Envoy Extraordinary and Minister Plenipotentiary, Hungary").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonRole {
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub source: String,
}

/// A name in a document, resolved to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonLink {
    pub person: String,
    pub doc_id: String,
    /// The form as the document prints it.
    pub form: String,
    /// Turns spoken under this form in the document.
    pub turns: u32,
    pub mentions: u32,
    /// What the document says of the person: "speaker", "attendee", "presenter", "author",
    /// "compiler", "named".
    pub roles: Vec<String>,
    /// How the form was resolved ("full name", "surname, named in full in the document", …).
    pub how: String,
}

/// A name that fits more than one person equally well; nothing is merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ambiguity {
    pub doc_id: String,
    pub form: String,
    /// Ids of the persons it could be; "(forename)" when the form is also a forename printed in
    /// the document ("Karl" beside "Karl Aiginger" and "Beatrix Karl").
    pub candidates: Vec<String>,
}

/// A person as an authority file describes it (`pocom` `<person>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonRecord {
    /// "pocom:wailes-edward-thompson".
    pub id: String,
    pub surname: String,
    pub forenames: String,
    #[serde(default)]
    pub altnames: Vec<String>,
    #[serde(default)]
    pub birth: Option<String>,
    #[serde(default)]
    pub death: Option<String>,
    #[serde(default)]
    pub roles: Vec<PersonRole>,
}

/// What the authority needs of one document (`opis_formats::extract::authority::people_of`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocPeople {
    pub doc_id: String,
    /// Where surnames alone are resolved: the collection, a ParlaMint corpus, else the reader.
    pub scope: String,
    pub year: Option<i32>,
    /// The reader that produced the document ("frus", "parlamint", …): pocom, an authority of
    /// US officials, is matched only against the Office of the Historian's documents.
    #[serde(default)]
    pub reader: String,
    pub names: Vec<NameUse>,
    /// When `names` holds only some of the document's names (a build by parts, see
    /// [`PeopleSummary`]): those of its forms that are a surname alone the whole document also
    /// prints as a forename ("Karl" beside "Karl Aiginger"). `None`: read from `names`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forename_forms: Option<BTreeSet<String>>,
}

/// One name as a document uses it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameUse {
    /// Cleaned of titles and parentheses.
    pub form: String,
    pub roles: BTreeSet<String>,
    pub turns: u32,
    pub mentions: u32,
    pub refs: Vec<String>,
}

/// What the store keeps of a document for the authority, so that a rebuild never reads whole
/// documents: its [`DocPeople`] with each name under its *node* (the surname key, else the
/// source id), and the source id that ties a node to others. Names of nodes that no source id
/// ties together never affect each other, so the authority is built one group of tied nodes
/// at a time, each group's names taken from the summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeopleSummary {
    /// The version of the rules that made it: a summary made by other rules is made again.
    pub rules: u32,
    pub doc_id: String,
    pub scope: String,
    pub year: Option<i32>,
    pub reader: String,
    pub uses: Vec<KeyedUse>,
}

/// A name of a [`PeopleSummary`] with its node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyedUse {
    pub node: String,
    /// The source id ("scope#ref") of a name that also has a surname key: it ties the two.
    pub source: Option<String>,
    /// A surname alone that the document also prints as a forename.
    pub forename: bool,
    pub name: NameUse,
}
