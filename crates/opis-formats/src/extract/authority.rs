//! The people authority: one person per person across spellings, scripts and sources.
//!
//! Input: what each document says of people ([`people_of`]: speakers, presenters, attendance
//! lists, persons named, authors, the compiler, and the source's own person ids), authority
//! records (`pocom` persons with their appointments), and the editor's [`Overrides`].
//! Output: an [`Authority`] — persons with preferred name, variants (script, romanization
//! system where the spelling shows it), dates, roles and the sources asserting them; every
//! name in every document linked to its person with the rule that linked it; and the names
//! that fit more than one person, listed and never merged.
//!
//! Rules, precision first:
//! - A form is cleaned of titles ("Cde.", "Secretary", "Ambassador", "Marshal", …),
//!   parentheses and possessives; a form with a lower-case word ("Chinese comrades") or an
//!   institution word ("Assembly") is not a person.
//! - Surnames meet at their `opis_names` key (Cyrillic, the romanizations of Russian, German
//!   and Polish renderings, diacritics folded); forenames meet when their keys are equal, an
//!   initial meets a forename that starts with it.
//! - A name with a forename or initials is one person with every other such name of the same
//!   surname whose forenames agree. A name that agrees with two persons that disagree with
//!   each other ("A. Gromyko" beside "Andrei Gromyko" and "Anatoly Gromyko") is an ambiguity.
//! - A source id (ParlaMint `who`, FRUS `persName corresp`) is one person within its
//!   collection, whatever the forms.
//! - A surname alone resolves to the person named in full in the same document, else in the
//!   same collection within five years, spelled the same (in one script "Graff" is not "Graf"; across scripts the
//!   key decides); two candidates make an ambiguity, and so does a surname that is also a
//!   forename printed in the document ("Karl" beside "Karl Aiginger"); none makes a person of
//!   the surname within the collection (surnames alone never meet across collections).
//! - An authority record (pocom, US officials: matched only in FRUS and Office of the
//!   Historian documents) takes a person in when the names agree (surname key; the
//!   forenames, or a FRUS corresp's initials "p_WET1" = Wailes, Edward Thompson) and the
//!   documents' dates fall within the record's life; two fitting records leave it unmerged.
//! - Ids are derived from the canonical key of the person, never from order: rebuilding gives
//!   the same ids.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use opis_model::people::{Ambiguity, Authority, NameVariant, Person, PersonLink, PersonRecord};
use opis_model::{BlockKind, Document};
use opis_names::{fold, name_key, tokenize};

pub use opis_model::people::{DocPeople, KeyedUse, NameUse, PeopleSummary};

/// The version of the rules [`summary_of`] follows: stored summaries made by other rules are
/// made again before a rebuild. Raise it whenever `people_of`, `clean_form`, the name keys or
/// the nodes change.
pub const SUMMARY_RULES: u32 = 1;

/// How far apart (in years) a surname alone and the full name it resolves to may stand in
/// one collection (the FRUS history documents span 1957–2002).
const COLLECTION_YEARS: i32 = 5;

/// Titles and forms of address dropped before a name is read.
const TITLES: &[&str] = &[
    "cde",
    "cdes",
    "comrade",
    "comrades",
    "tov",
    "товарищ",
    "тов",
    "genosse",
    "secretary",
    "ambassador",
    "marshal",
    "general",
    "colonel",
    "admiral",
    "president",
    "premier",
    "prime",
    "minister",
    "chairman",
    "chancellor",
    "mr",
    "mrs",
    "ms",
    "dr",
    "professor",
    "prof",
    "sir",
    "herr",
    "frau",
    "senator",
    "governor",
    "deputy",
    "under",
    "assistant",
    "acting",
    "vice",
    "first",
    "foreign",
    "state",
    "of",
];

/// Words that make a capitalised phrase something other than a person.
const NOT_PERSONS: &[&str] = &[
    "assembly",
    "council",
    "committee",
    "government",
    "department",
    "ministry",
    "party",
    "union",
    "presidium",
    "politburo",
    "embassy",
    "legation",
    "office",
    "agency",
    "nations",
    "states",
    "republic",
    "soviet",
    "chinese",
    "hungarian",
    "polish",
    "american",
    "british",
    "french",
    "german",
    "the",
    "and",
    "page",
    "note",
    "document",
    "staff",
    "house",
    "senate",
    "court",
    "army",
    "forces",
    "pact",
    "treaty",
    "declaration",
    "bureau",
    "service",
    "delegation",
    "mission",
    "commission",
    "administration",
    "secretariat",
    "division",
    "branch",
];

/// Lower-case particles allowed inside a name ("Charles de Gaulle", "Ludwig van Beethoven").
const PARTICLES: &[&str] = &[
    "de", "da", "di", "do", "du", "des", "dei", "del", "della", "der", "den", "van", "von", "zu", "ten", "ter", "la",
    "le", "bin", "ibn", "al", "y", "e", "i", "dos", "das",
];

/// Cleans a form as printed: titles, parentheses, possessives and trailing punctuation off.
/// `None` when what is left is not a person's name.
pub fn clean_form(form: &str) -> Option<String> {
    let mut s = form.trim().trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | ',' | ';' | ':')).trim();
    s = s.strip_suffix("'s").or_else(|| s.strip_suffix("’s")).unwrap_or(s).trim_end_matches(['\'', '’']);
    let words: Vec<&str> = s.split_whitespace().collect();
    let mut start = 0;
    while start < words.len() {
        let w = words[start].trim_end_matches('.').to_lowercase();
        if TITLES.contains(&w.as_str()) && start + 1 < words.len() {
            start += 1;
        } else {
            break;
        }
    }
    let words = &words[start..];
    if words.is_empty() || words.len() > 6 {
        return None;
    }
    for w in words {
        let lw = w.trim_end_matches(['.', ',']).to_lowercase();
        if NOT_PERSONS.contains(&lw.as_str()) || w.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        if w.chars().next().is_some_and(char::is_lowercase) && !PARTICLES.contains(&lw.as_str()) {
            return None;
        }
    }
    let cleaned = words.join(" ").trim_end_matches([',', ';', ':']).to_owned();
    let first = cleaned.chars().next()?;
    (first.is_uppercase() && cleaned.chars().filter(|c| c.is_alphabetic()).count() >= 2).then_some(cleaned)
}

/// A name read into its keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct NameParts {
    surname: String,
    /// Per forename or initial: its first key letter, and its key when written out.
    given: Vec<(char, Option<String>)>,
}

impl NameParts {
    fn parse(form: &str) -> Option<NameParts> {
        let toks = tokenize(form);
        let last = toks.last()?;
        let surname = name_key(last.text);
        if surname.is_empty() {
            return None;
        }
        let mut given = Vec::new();
        for t in &toks[..toks.len() - 1] {
            if PARTICLES.contains(&t.text) {
                continue;
            }
            let key = name_key(t.text);
            let Some(initial) = key.chars().next() else { continue };
            let is_initial = t.text.chars().count() == 1 || form[t.end..].starts_with('.');
            given.push((initial.to_ascii_lowercase(), (!is_initial).then_some(key)));
        }
        Some(NameParts { surname, given })
    }

    /// Forenames agree position by position: same initial, and same key where both are
    /// written out; the shorter list may stop early.
    fn agrees(&self, other: &NameParts) -> bool {
        self.surname == other.surname
            && self.given.iter().zip(&other.given).all(|((ia, ka), (ib, kb))| {
                ia == ib
                    && match (ka, kb) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    }
            })
    }

    fn specificity(&self) -> (usize, usize) {
        (self.given.iter().filter(|g| g.1.is_some()).count(), self.given.len())
    }
}

/// What one document says of people, names cleaned and merged by form.
pub fn people_of(doc: &Document) -> DocPeople {
    let mut uses: BTreeMap<String, NameUse> = BTreeMap::new();
    let mut add = |form: &str, role: &str, turns: u32, mentions: u32, refs: &[String]| {
        let Some(form) = clean_form(form) else { return };
        let u = uses.entry(form.clone()).or_insert_with(|| NameUse { form, ..Default::default() });
        u.roles.insert(role.to_owned());
        u.turns += turns;
        u.mentions = u.mentions.max(mentions);
        for r in refs {
            if !u.refs.contains(r) {
                u.refs.push(r.clone());
            }
        }
    };
    for section in &doc.sections {
        for p in &section.presenters {
            add(p, "presenter", 0, 0, &[]);
        }
        for b in section.blocks.iter().filter(|b| b.kind == BlockKind::Turn) {
            for s in &b.speakers {
                add(s, "speaker", 1, 0, &[]);
            }
        }
    }
    for list in &doc.participants {
        for n in &list.names {
            add(n, "attendee", 0, 0, &[]);
        }
    }
    for a in &doc.authors {
        add(&natural_order(a), "author", 0, 0, &[]);
    }
    if let Some(c) = &doc.compiler {
        add(c, "compiler", 0, 0, &[]);
    }
    for p in &doc.persons {
        add(&p.name, "named", 0, p.mentions, &p.refs);
        // A variant may be a namesake keyed under the same surname: the ids stay with the name.
        for v in p.variants.iter().filter(|v| **v != p.name) {
            add(v, "named", 0, 0, &[]);
        }
    }
    DocPeople {
        doc_id: doc.id.clone(),
        scope: scope_of(doc),
        year: doc.date.as_ref().and_then(|d| d.from.get(..4)).and_then(|y| y.parse().ok()),
        reader: doc.reader.clone(),
        names: uses.into_values().collect(),
        forename_forms: None,
    }
}

/// What the store keeps of a document for the authority: [`people_of`] with every name under
/// its node (its surname key, else its source id), surnames alone marked where the whole
/// document prints them as a forename too.
/// A name with neither (not a name a build reads) is left out.
pub fn summary_of(doc: &Document) -> PeopleSummary {
    let p = people_of(doc);
    let forenames = forenames_of(&p.names);
    let uses = p
        .names
        .into_iter()
        .filter_map(|name| {
            let source = name.refs.first().map(|r| source_node(&p.scope, r));
            let (node, alone) = match NameParts::parse(&name.form) {
                Some(parts) => (parts.surname, parts.given.is_empty()),
                None => (source.clone()?, false),
            };
            let source = source.filter(|s| *s != node);
            let forename = alone && tokenize(&name.form).last().is_some_and(|t| forenames.contains(&fold(t.text)));
            Some(KeyedUse { node, source, forename, name })
        })
        .collect();
    PeopleSummary { rules: SUMMARY_RULES, doc_id: p.doc_id, scope: p.scope, year: p.year, reader: p.reader, uses }
}

/// The node of a source id: never a surname key (those hold no `#`).
fn source_node(scope: &str, r: &str) -> String {
    format!("#{scope}#{r}")
}

/// The node an authority record joins: its surname key (`None`: a record without a name,
/// which meets no document).
pub fn record_node(r: &PersonRecord) -> Option<String> {
    NameParts::parse(&format!("{} {}", r.forenames.replace(',', " "), r.surname)).map(|p| p.surname)
}

/// The forenames printed in a document's names: "Karl" alone may be Karl Aiginger, not
/// Beatrix Karl.
fn forenames_of(names: &[NameUse]) -> BTreeSet<String> {
    names
        .iter()
        .flat_map(|nu| {
            let toks = tokenize(&nu.form);
            let n = toks.len().saturating_sub(1);
            toks.into_iter().take(n).filter(|t| t.text.chars().count() > 1).map(|t| fold(t.text)).collect::<Vec<_>>()
        })
        .collect()
}

fn natural_order(name: &str) -> String {
    match name.split_once(", ") {
        Some((surname, given)) if !given.contains(',') => format!("{given} {surname}"),
        _ => name.to_owned(),
    }
}

fn scope_of(doc: &Document) -> String {
    if let Some(c) = &doc.collection {
        return c.clone();
    }
    if doc.id.starts_with("ParlaMint") {
        return doc.id.split(['_', '.']).next().unwrap_or(&doc.id).to_owned();
    }
    if let Some(volume) = doc.id.strip_prefix("frus").and_then(|v| v.split("-d").next()) {
        return format!("frus{volume}");
    }
    doc.reader.clone()
}

/// An editor's changes, applied after every build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Groups of person ids that are one person; the first id names it.
    pub merges: Vec<Vec<String>>,
    /// (person id, form): the form's uses leave the person and become a person of their own.
    pub splits: Vec<(String, String)>,
    /// (person id, preferred name).
    pub renames: Vec<(String, String)>,
    /// (person id, form, script, system).
    pub variants: Vec<(String, String, Option<String>, Option<String>)>,
    /// Forms that are not persons.
    pub not_persons: Vec<String>,
}

/// Why an override could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl Overrides {
    /// Reads the editor's CSV: a header `action,person,value,script,system`, then one change
    /// a row. Actions: `merge` (person = the id kept, value = the id merged into it), `split`
    /// (value = the form taken out), `rename` (value = the preferred name), `variant`
    /// (value = a form, script and system optional), `not-person` (value = the form).
    /// Lines starting with `#` are comments.
    pub fn from_csv(file: &str, text: &str) -> Result<Overrides, OverrideError> {
        let invalid = |message: String| OverrideError::Invalid { file: file.to_owned(), message };
        let body: String = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
        let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(body.as_bytes());
        let mut o = Overrides::default();
        for (i, row) in reader.records().enumerate() {
            let row = row.map_err(|e| invalid(format!("row {}: {e}", i + 1)))?;
            let get = |k: usize| row.get(k).map(str::to_owned).filter(|s| !s.is_empty());
            let (Some(action), person, value) = (get(0), get(1), get(2)) else { continue };
            let need = |v: Option<String>, what: &str| {
                v.ok_or_else(|| invalid(format!("row {}: `{action}` needs {what}", i + 1)))
            };
            match action.as_str() {
                "merge" => {
                    let (keep, other) = (need(person, "a person id")?, need(value, "the id to merge")?);
                    match o.merges.iter_mut().find(|m| m.contains(&keep)) {
                        Some(m) => m.push(other),
                        None => o.merges.push(vec![keep, other]),
                    }
                }
                "split" => o.splits.push((need(person, "a person id")?, need(value, "a form")?)),
                "rename" => o.renames.push((need(person, "a person id")?, need(value, "a name")?)),
                "variant" => o.variants.push((need(person, "a person id")?, need(value, "a form")?, get(3), get(4))),
                "not-person" => o.not_persons.push(need(value, "a form")?),
                other => return Err(invalid(format!("row {}: unknown action `{other}`", i + 1))),
            }
        }
        Ok(o)
    }
}

/// One candidate person before merging: its canonical key and what belongs to it.
#[derive(Debug, Default)]
struct Identity {
    /// 0 record, 1 source id, 2 full name, 3 editor split, 4 surname alone.
    rank: u8,
    key: String,
    record: Option<PersonRecord>,
    /// (document index, use index, how).
    uses: Vec<(usize, usize, String)>,
    reasons: Vec<String>,
}

/// A surname's spelling: its last word folded, and the script of the whole form.
fn spelled(form: &str) -> Option<(String, &'static str)> {
    tokenize(form).last().map(|t| (fold(t.text), script_of(form)))
}

/// What the placing of surnames alone asks of an identity's uses, for every such name of every
/// document: the spellings of its surname and the years of its documents. Kept per identity and
/// brought up to date with the uses added since (uses only grow while surnames alone are placed),
/// so that each use is read once instead of once a question — the questions grow with the
/// collection, and so do the uses of a person named in many documents.
#[derive(Default)]
struct KnownUses {
    of: Vec<UsesSeen>,
}

#[derive(Default)]
struct UsesSeen {
    /// How many of the identity's uses are counted here.
    seen: usize,
    spellings: BTreeSet<(String, &'static str)>,
    years: BTreeSet<i32>,
    undated: bool,
}

impl KnownUses {
    fn of(&mut self, i: usize, ids: &[Identity], docs: &[DocPeople]) -> &UsesSeen {
        if self.of.len() < ids.len() {
            self.of.resize_with(ids.len(), UsesSeen::default);
        }
        let k = &mut self.of[i];
        for &(d, u, _) in &ids[i].uses[k.seen..] {
            if let Some(s) = spelled(&docs[d].names[u].form) {
                k.spellings.insert(s);
            }
            match docs[d].year {
                Some(y) => {
                    k.years.insert(y);
                }
                None => k.undated = true,
            }
        }
        k.seen = ids[i].uses.len();
        k
    }

    /// The candidates with a use spelled as `surname` is, or in another script.
    fn same_spelling(
        &mut self,
        cands: &BTreeSet<usize>,
        ids: &[Identity],
        docs: &[DocPeople],
        surname: &(String, &str),
    ) -> BTreeSet<usize> {
        cands
            .iter()
            .copied()
            .filter(|&i| self.of(i, ids, docs).spellings.iter().any(|(f, sc)| *sc != surname.1 || *f == surname.0))
            .collect()
    }

    /// Whether the identity is named in a document within [`COLLECTION_YEARS`] of `year` (or
    /// where either has no year).
    fn near(&mut self, i: usize, ids: &[Identity], docs: &[DocPeople], year: Option<i32>) -> bool {
        let k = self.of(i, ids, docs);
        match year {
            None => k.seen > 0,
            Some(b) => k.undated || k.years.range(b - COLLECTION_YEARS..=b + COLLECTION_YEARS).next().is_some(),
        }
    }
}

/// Builds the authority. Deterministic: the same input gives the same persons and ids.
pub fn build(docs: &[DocPeople], records: &[PersonRecord], overrides: &Overrides) -> Authority {
    build_part(docs, records, overrides).0
}

/// Builds the authority of one part of the names: the names of a group of nodes no source id
/// ties to any other (see [`PeopleSummary`]), with the records of those nodes. The part's
/// persons are exactly those a build of everything gives for these names, unless the editor
/// merges one of them with a person of another part: then the second value is true, and the
/// parts the editor's merges touch are to be built together.
pub fn build_part(docs: &[DocPeople], records: &[PersonRecord], overrides: &Overrides) -> (Authority, bool) {
    let not_person = |form: &str| overrides.not_persons.iter().any(|n| n.eq_ignore_ascii_case(form));
    // Each distinct form read into its keys once: a part's forms repeat across its documents
    // (a million documents name Zhukov in a few dozen spellings), and the steps below ask for
    // a use's parts several times.
    let mut parsed: HashMap<&str, Option<NameParts>> = HashMap::new();
    for nu in docs.iter().flat_map(|d| &d.names) {
        parsed.entry(nu.form.as_str()).or_insert_with(|| NameParts::parse(&nu.form));
    }
    let parts_of = |form: &str| parsed.get(form).and_then(Option::as_ref);
    let mut ids: Vec<Identity> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut identity = |ids: &mut Vec<Identity>, rank: u8, key: String| -> usize {
        *by_key.entry(key.clone()).or_insert_with(|| {
            ids.push(Identity { rank, key, ..Default::default() });
            ids.len() - 1
        })
    };
    for r in records {
        let i = identity(&mut ids, 0, r.id.clone());
        ids[i].record = Some(r.clone());
    }
    let record_parts: Vec<(usize, NameParts)> = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let r = id.record.as_ref()?;
            NameParts::parse(&format!("{} {}", r.forenames.replace(',', " "), r.surname)).map(|p| (i, p))
        })
        .collect();
    let mut records_by_surname: HashMap<String, Vec<usize>> = HashMap::new();
    for (k, (_, p)) in record_parts.iter().enumerate() {
        records_by_surname.entry(p.surname.clone()).or_default().push(k);
    }
    let mut ambiguities: Vec<Ambiguity> = Vec::new();
    // Where each use went: identity index.
    let mut placed: HashMap<(usize, usize), usize> = HashMap::new();

    // 1. Source ids.
    for (d, doc) in docs.iter().enumerate() {
        for (u, nu) in doc.names.iter().enumerate() {
            if not_person(&nu.form) {
                continue;
            }
            if let Some(r) = nu.refs.first() {
                let i = identity(&mut ids, 1, format!("{}#{r}", doc.scope));
                ids[i].uses.push((d, u, format!("source id #{r}")));
                placed.insert((d, u), i);
            }
        }
    }
    // 2. Full names, most specific first, grouped by surname key.
    let mut full: Vec<(&NameParts, usize, usize)> = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        for (u, nu) in doc.names.iter().enumerate() {
            if placed.contains_key(&(d, u)) || not_person(&nu.form) {
                continue;
            }
            if let Some(p) = parts_of(&nu.form).filter(|p| !p.given.is_empty()) {
                full.push((p, d, u));
            }
        }
    }
    full.sort_by(|a, b| {
        b.0.specificity()
            .cmp(&a.0.specificity())
            .then_with(|| docs[a.1].names[a.2].form.cmp(&docs[b.1].names[b.2].form))
            .then_with(|| docs[a.1].doc_id.cmp(&docs[b.1].doc_id))
    });
    // Clusters: (the distinct parts of the members, identity). A name fits a cluster when it
    // agrees with every member; members spelled alike are kept once.
    let mut clusters: HashMap<&str, Vec<(Vec<&NameParts>, usize)>> = HashMap::new();
    for (parts, d, u) in full {
        let list = clusters.entry(parts.surname.as_str()).or_default();
        let fits: Vec<usize> = (0..list.len()).filter(|&c| list[c].0.iter().all(|m| m.agrees(parts))).collect();
        match fits.as_slice() {
            [] => {
                let key = format!(
                    "{}|{}",
                    parts.surname,
                    parts
                        .given
                        .iter()
                        .map(|g| g.1.clone().unwrap_or_else(|| g.0.to_string()))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let i = identity(&mut ids, 2, key);
                ids[i].uses.push((d, u, "full name".into()));
                placed.insert((d, u), i);
                list.push((vec![parts], i));
            }
            [c] => {
                let i = list[*c].1;
                if !list[*c].0.contains(&parts) {
                    list[*c].0.push(parts);
                }
                ids[i].uses.push((d, u, "full name, forenames agree".into()));
                placed.insert((d, u), i);
            }
            many => {
                ambiguities.push(Ambiguity {
                    doc_id: docs[d].doc_id.clone(),
                    form: docs[d].names[u].form.clone(),
                    candidates: many.iter().map(|&c| list[c].1.to_string()).collect(),
                });
            }
        }
    }
    // 3. Surnames alone: in the document, else the collection.
    let mut in_doc: HashMap<(usize, String), BTreeSet<usize>> = HashMap::new();
    let mut in_scope: HashMap<(String, String), BTreeSet<usize>> = HashMap::new();
    for (&(d, u), &i) in &placed {
        if let Some(p) = parts_of(&docs[d].names[u].form) {
            in_doc.entry((d, p.surname.clone())).or_default().insert(i);
            in_scope.entry((docs[d].scope.clone(), p.surname.clone())).or_default().insert(i);
        }
    }
    // Plain spellings: in one script, a surname alone meets only the same spelling (Graff is
    // not Graf); across scripts the key decides (Хрущёв is Khrushchev).
    let mut known = KnownUses::default();
    for (d, doc) in docs.iter().enumerate() {
        // Forenames printed in the document: "Karl" alone may be Karl Aiginger, not Beatrix Karl.
        let mut forenames: Option<BTreeSet<String>> = None;
        for (u, nu) in doc.names.iter().enumerate() {
            if placed.contains_key(&(d, u)) || not_person(&nu.form) {
                continue;
            }
            let Some(p) = parts_of(&nu.form).filter(|p| p.given.is_empty()) else { continue };
            let Some(spelling) = spelled(&nu.form) else { continue };
            let here = in_doc.get(&(d, p.surname.clone())).map(|c| known.same_spelling(c, &ids, docs, &spelling));
            // In the collection, only persons named within a few years of this document.
            let there = in_scope.get(&(doc.scope.clone(), p.surname.clone())).map(|c| {
                let same = known.same_spelling(c, &ids, docs, &spelling);
                same.into_iter().filter(|&i| known.near(i, &ids, docs, doc.year)).collect::<BTreeSet<usize>>()
            });
            let (here, there) = (here.as_ref(), there.as_ref());
            let printed = match &doc.forename_forms {
                Some(forms) => forms.contains(&nu.form),
                None => forenames.get_or_insert_with(|| forenames_of(&doc.names)).contains(&spelling.0),
            };
            if printed {
                let cands: BTreeSet<usize> = here.or(there).cloned().unwrap_or_default();
                if !cands.is_empty() {
                    ambiguities.push(Ambiguity {
                        doc_id: doc.doc_id.clone(),
                        form: nu.form.clone(),
                        candidates: cands.iter().map(usize::to_string).chain(["forename".to_owned()]).collect(),
                    });
                    continue;
                }
            }
            let (cands, how) = match (here, there) {
                (Some(h), _) if !h.is_empty() => (h, "surname, named in full in the document"),
                (_, Some(t)) if !t.is_empty() => (t, "surname, named in full in the collection"),
                _ => {
                    let i = identity(&mut ids, 4, format!("{}|{}", doc.scope, p.surname));
                    ids[i].uses.push((d, u, "surname alone, within the collection".into()));
                    placed.insert((d, u), i);
                    continue;
                }
            };
            if cands.len() == 1 {
                let i = *cands.iter().next().unwrap_or(&0);
                ids[i].uses.push((d, u, how.into()));
                placed.insert((d, u), i);
            } else {
                ambiguities.push(Ambiguity {
                    doc_id: doc.doc_id.clone(),
                    form: nu.form.clone(),
                    candidates: cands.iter().map(usize::to_string).collect(),
                });
            }
        }
    }
    // 4. Authority records: names and dates agree, one record only.
    let mut parent: Vec<usize> = (0..ids.len()).collect();
    for i in 0..ids.len() {
        // pocom lists US officials: only the Office of the Historian's documents are matched
        // against it (an Austrian MP Michael Hammer is not Ambassador Michael A. Hammer).
        if ids[i].rank == 0 || ids[i].uses.is_empty() || ids[i].uses.iter().any(|&(d, _, _)| docs[d].reader != "frus") {
            continue;
        }
        let forms: Vec<&NameUse> = ids[i].uses.iter().map(|&(d, u, _)| &docs[d].names[u]).collect();
        let years: Vec<i32> = ids[i].uses.iter().filter_map(|&(d, _, _)| docs[d].year).collect();
        let initials = forms.iter().flat_map(|f| f.refs.iter()).find_map(|r| frus_initials(r));
        let parts: Vec<&NameParts> = forms.iter().filter_map(|f| parts_of(&f.form)).collect();
        let Some(surname) = parts.first().map(|p| p.surname.clone()) else { continue };
        let Some(cands) = records_by_surname.get(&surname) else { continue };
        let fitting: Vec<usize> = cands
            .iter()
            .map(|&k| &record_parts[k])
            .filter(|(r, rp)| {
                let record = ids[*r].record.as_ref();
                let names_agree = match &initials {
                    Some(init) => {
                        let given: String = rp.given.iter().map(|g| g.0).collect();
                        init.len() > 1
                            && init[1..].starts_with(&given[..given.len().min(init.len() - 1)])
                            && !given.is_empty()
                    }
                    None => {
                        parts.iter().any(|p| !p.given.is_empty() && p.given.iter().any(|g| g.1.is_some()))
                            && parts.iter().all(|p| p.agrees(rp))
                    }
                };
                names_agree && record.is_some_and(|r| years.iter().all(|&y| alive_in(r, y))) && !years.is_empty()
            })
            .map(|(r, _)| *r)
            .collect();
        match fitting.as_slice() {
            [r] => {
                let how = if initials.is_some() { "source id's initials and dates" } else { "forenames and dates" };
                let reason = format!("{} = {} ({how} agree)", ids[i].key, ids[*r].key);
                ids[i].reasons.push(reason);
                union(&mut parent, *r, i);
            }
            [] => {}
            many => {
                for &(d, u, _) in &ids[i].uses {
                    ambiguities.push(Ambiguity {
                        doc_id: docs[d].doc_id.clone(),
                        form: docs[d].names[u].form.clone(),
                        candidates: many.iter().map(usize::to_string).collect(),
                    });
                }
            }
        }
    }
    // 5. The editor: splits, then merges.
    for (person, form) in &overrides.splits {
        let owners = group_ids(&ids, &mut parent);
        let members: Vec<usize> =
            (0..ids.len()).filter(|&i| owners.get(&find(&mut parent, i)) == Some(person)).collect();
        let mut moved = Vec::new();
        for i in members {
            let (take, keep): (Vec<_>, Vec<_>) =
                std::mem::take(&mut ids[i].uses).into_iter().partition(|&(d, u, _)| docs[d].names[u].form == *form);
            ids[i].uses = keep;
            moved.extend(take);
        }
        if !moved.is_empty() {
            let n = identity(&mut ids, 3, format!("split|{person}|{form}"));
            if n == parent.len() {
                parent.push(n);
            }
            ids[n].reasons.push(format!("editor split \"{form}\" from {person}"));
            ids[n].uses.extend(moved.into_iter().map(|(d, u, _)| (d, u, "editor split".to_owned())));
        }
    }
    let merged_here = !overrides.merges.is_empty() && {
        let owners: BTreeSet<String> = group_ids(&ids, &mut parent).into_values().collect();
        overrides.merges.iter().flatten().any(|pid| owners.contains(pid))
    };
    for group in &overrides.merges {
        let owners = group_ids(&ids, &mut parent);
        let roots: Vec<usize> =
            group.iter().filter_map(|pid| owners.iter().find(|(_, p)| *p == pid).map(|(r, _)| *r)).collect();
        if let Some((&first, rest)) = roots.split_first() {
            for &r in rest {
                let reason = format!("editor merged {} into {}", owners[&r], owners[&first]);
                union(&mut parent, first, r);
                ids[first].reasons.push(reason);
            }
        }
    }

    // 6. Persons.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..ids.len() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut persons = Vec::new();
    let mut links = Vec::new();
    let mut person_of_identity: HashMap<usize, String> = HashMap::new();
    for members in groups.values() {
        // The representative: the lowest rank, then the smallest key.
        let Some(&rep) =
            members.iter().min_by(|&&a, &&b| ids[a].rank.cmp(&ids[b].rank).then(ids[a].key.cmp(&ids[b].key)))
        else {
            continue;
        };
        let pid = person_id(&ids[rep]);
        for &m in members {
            person_of_identity.insert(m, pid.clone());
        }
        let mut forms = Forms::default();
        let mut person_links: BTreeMap<(&str, &str), PersonLink> = BTreeMap::new();
        let mut sources = BTreeSet::new();
        let mut merges = Vec::new();
        let mut record = None;
        for &m in members {
            let id = &ids[m];
            merges.extend(id.reasons.iter().cloned());
            if let Some(r) = &id.record {
                sources.insert(r.id.clone());
                let full = format!("{} {}", r.forenames, r.surname).trim().to_owned();
                for f in std::iter::once(full).chain(r.altnames.iter().cloned()) {
                    forms.add(&f, &r.id);
                }
                record = Some(r.clone());
            }
            if id.rank == 1 {
                sources.insert(id.key.clone());
            }
            for (d, u, how) in &id.uses {
                let (doc, nu) = (&docs[*d], &docs[*d].names[*u]);
                forms.add(&nu.form, &doc.doc_id);
                let l = person_links.entry((&doc.doc_id, &nu.form)).or_insert_with(|| PersonLink {
                    person: pid.clone(),
                    doc_id: doc.doc_id.clone(),
                    form: nu.form.clone(),
                    how: how.clone(),
                    ..Default::default()
                });
                l.turns += nu.turns;
                l.mentions += nu.mentions;
                for r in &nu.roles {
                    if !l.roles.contains(r) {
                        l.roles.push(r.clone());
                    }
                }
            }
        }
        let mut name = record
            .as_ref()
            .map(|r| format!("{} {}", r.forenames, r.surname).trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| preferred(forms.map.keys()));
        for (p, n) in &overrides.renames {
            if *p == pid {
                name = n.clone();
                sources.insert("editor".into());
            }
        }
        for (p, f, script, system) in &overrides.variants {
            if *p == pid {
                forms.add(f, "editor");
                if let Some(v) = forms.map.get_mut(f) {
                    if let Some(s) = script {
                        v.script = s.clone();
                    }
                    if system.is_some() {
                        v.system = system.clone();
                    }
                }
                sources.insert("editor".into());
            }
        }
        // A romanization is only named where the person is spelled in more than one way of
        // writing one name (a Cyrillic form, or surnames that meet by key but not by letter):
        // "Rostow" alone is an American name, not a German rendering of Ростов.
        let surnames: BTreeSet<String> = forms
            .map
            .keys()
            .filter_map(|f| tokenize(f).into_iter().rfind(|t| !is_suffix(t.text)).map(|t| fold(t.text)))
            .collect();
        let transliterated = forms.map.values().any(|v| v.script == "Cyrl") || surnames.len() > 1;
        for v in forms.map.values_mut() {
            if !transliterated && !v.sources.iter().any(|s| s == "editor") {
                v.system = None;
            }
        }
        let plinks: Vec<PersonLink> = person_links.into_values().collect();
        let documents: BTreeSet<&str> = plinks.iter().map(|l| l.doc_id.as_str()).collect();
        persons.push(Person {
            id: pid.clone(),
            name,
            birth: record.as_ref().and_then(|r| r.birth.clone()),
            death: record.as_ref().and_then(|r| r.death.clone()),
            roles: record.as_ref().map(|r| r.roles.clone()).unwrap_or_default(),
            sources: sources.into_iter().collect(),
            merges,
            documents: documents.len() as u32,
            turns: plinks.iter().map(|l| l.turns).sum(),
            mentions: plinks.iter().map(|l| l.mentions).sum(),
            variants: forms.map.into_values().collect(),
        });
        links.extend(plinks);
    }
    for a in &mut ambiguities {
        a.candidates = a
            .candidates
            .iter()
            .filter_map(|c| match c.parse::<usize>() {
                Ok(i) => person_of_identity.get(&i).cloned(),
                Err(_) => Some(format!("({c})")),
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
    }
    ambiguities.retain(|a| a.candidates.len() > 1);
    ambiguities.sort_by(|a, b| a.doc_id.cmp(&b.doc_id).then_with(|| a.form.cmp(&b.form)));
    ambiguities.dedup();
    persons.sort_by(|a, b| a.id.cmp(&b.id));
    links.sort_by(|a, b| {
        a.person.cmp(&b.person).then_with(|| a.doc_id.cmp(&b.doc_id)).then_with(|| a.form.cmp(&b.form))
    });
    (Authority { persons, links, ambiguities }, merged_here)
}

/// The nodes of a collection's summaries (see [`PeopleSummary`]), each with how many names it
/// holds, and the source ids that tie them: gathered a summary at a time (a rebuild's first
/// pass over the store), then made into a [`PartPlan`].
#[derive(Default)]
pub struct NodeTally {
    names: HashMap<String, usize>,
    sources: HashMap<String, BTreeSet<String>>,
}

impl NodeTally {
    pub fn add(&mut self, s: &PeopleSummary) {
        for u in &s.uses {
            match self.names.get_mut(u.node.as_str()) {
                Some(n) => *n += 1,
                None => {
                    self.names.insert(u.node.clone(), 1);
                }
            }
            let Some(source) = &u.source else { continue };
            match self.sources.get_mut(u.node.as_str()) {
                Some(sources) if sources.contains(source) => {}
                Some(sources) => {
                    sources.insert(source.clone());
                }
                None => {
                    self.sources.insert(u.node.clone(), BTreeSet::from([source.clone()]));
                }
            }
        }
    }

    /// The plan of the nodes and ties gathered, with the authority records.
    pub fn plan(self, records: &[PersonRecord]) -> PartPlan {
        let mut nodes: Vec<String> = self.names.keys().cloned().collect();
        nodes.sort_unstable();
        let mut ties: Vec<(String, String)> = self
            .sources
            .into_iter()
            .flat_map(|(node, sources)| sources.into_iter().map(move |source| (node.clone(), source)))
            .collect();
        ties.sort_unstable();
        PartPlan::counted(&nodes, &ties, records, &self.names)
    }
}

/// How [`build_by_parts`] divides a collection: the groups of nodes (see [`PeopleSummary`])
/// that source ids tie together (`ties`: node, source node), each its nodes in order, ordered by
/// their first node, with the authority records of each group's nodes.
pub struct PartPlan {
    pub groups: Vec<Vec<String>>,
    /// Names under each group's nodes (known when the plan comes from a [`NodeTally`]).
    names: Vec<usize>,
    /// The records of each node (indexes into the records given).
    records_at: HashMap<String, Vec<usize>>,
    /// Records that belong to no node: built with the parts the editor's merges reach.
    unplaced: Vec<usize>,
    /// Names past which [`build_by_parts`] holds a part alone (see [`PartPlan::build_alone`]).
    alone_past: usize,
}

impl PartPlan {
    pub fn new(nodes: &[String], ties: &[(String, String)], records: &[PersonRecord]) -> Self {
        Self::counted(nodes, ties, records, &HashMap::new())
    }

    fn counted(
        nodes: &[String],
        ties: &[(String, String)],
        records: &[PersonRecord],
        names: &HashMap<String, usize>,
    ) -> Self {
        let mut records_at: HashMap<String, Vec<usize>> = HashMap::new();
        let mut unplaced = Vec::new();
        for (i, r) in records.iter().enumerate() {
            match record_node(r) {
                Some(node) => records_at.entry(node).or_default().push(i),
                None => unplaced.push(i),
            }
        }
        let mut parts = Parts::default();
        for n in nodes.iter().chain(records_at.keys()) {
            parts.node(n);
        }
        for (a, b) in ties {
            parts.tie(a, b);
        }
        let groups = parts.groups();
        let names = groups.iter().map(|g| g.iter().filter_map(|n| names.get(n)).sum()).collect();
        PartPlan { groups, names, records_at, unplaced, alone_past: usize::MAX }
    }

    /// Has [`build_by_parts`] hold a part of more than `names` names alone: read once the part
    /// before is built and written, with no other part's names or links in memory beside its own
    /// (a name costs some 500 bytes as a part's names and links; the largest part of a million
    /// generated documents has 340,000). Other parts are read while the one before is built.
    pub fn build_alone(&mut self, names: usize) {
        self.alone_past = names;
    }

    /// Names under a group's nodes (0 when the plan was not made from a [`NodeTally`]).
    pub fn names_in(&self, group: usize) -> usize {
        self.names.get(group).copied().unwrap_or(0)
    }

    /// Runs of consecutive groups whose names together stay within `budget` (a group larger than
    /// it alone), covering every group.
    pub fn windows(&self, budget: usize) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let (mut start, mut held) = (0, 0);
        for (i, &n) in self.names.iter().enumerate() {
            if i > start && held + n > budget {
                out.push(start..i);
                (start, held) = (i, 0);
            }
            held += n;
        }
        if start < self.groups.len() {
            out.push(start..self.groups.len());
        }
        out
    }
}

/// Builds the authority one part at a time, as [`build`] would build it whole: a part is the
/// names under one group of `plan` (made from the same `records`), with the authority records
/// of its nodes. `names_of` reads a part's names (given the group's index and nodes; documents
/// by id, names by form, each document with its `forename_forms`); `write` takes each part's
/// persons, links and ambiguities. Parts the editor's merges reach are built together at the
/// end, with the records that meet no name. Memory stays with the largest part, not the
/// collection.
pub fn build_by_parts<E>(
    plan: &PartPlan,
    records: &[PersonRecord],
    overrides: &Overrides,
    mut names_of: impl FnMut(usize, &[String]) -> Result<Vec<DocPeople>, E>,
    mut write: impl FnMut(&Authority) -> Result<(), E>,
) -> Result<(), E> {
    let records_at = &plan.records_at;
    let mut merged_records = plan.unplaced.clone();
    let mut merged_docs: BTreeMap<String, DocPeople> = BTreeMap::new();
    // A part is read (`names_of`) and written (`write`) on this thread, the store's, and built on
    // another: while one part is built the next is read and the one before written.
    std::thread::scope(|scope| -> Result<(), E> {
        let (to_build, parts_read) = std::sync::mpsc::sync_channel::<(Vec<DocPeople>, Vec<usize>)>(1);
        let (built, parts_built) = std::sync::mpsc::sync_channel::<BuiltPart>(1);
        scope.spawn(move || {
            for (docs, at) in parts_read {
                let part_records: Vec<PersonRecord> = at.iter().map(|&i| records[i].clone()).collect();
                let (authority, merged) = build_part(&docs, &part_records, overrides);
                // Only a part the editor's merges reach keeps its names (built again at the end).
                let docs = if merged { docs } else { Vec::new() };
                // The store's thread has stopped (an error): nothing more to build.
                if built.send(BuiltPart { docs, at, authority, merged }).is_err() {
                    return;
                }
            }
        });
        let mut take = |part: BuiltPart| -> Result<(), E> {
            if !part.merged {
                return write(&part.authority);
            }
            for d in part.docs {
                match merged_docs.get_mut(&d.doc_id) {
                    Some(m) => m.names.extend(d.names),
                    None => {
                        merged_docs.insert(d.doc_id.clone(), d);
                    }
                }
            }
            merged_records.extend(part.at);
            Ok(())
        };
        // A part sent to be built and not yet taken back.
        let mut behind = false;
        for (i, part) in plan.groups.iter().enumerate() {
            // A large part is read once the one before is built and written, so that no other
            // part's names and links are held with its own.
            if behind && plan.names_in(i) > plan.alone_past {
                let Ok(built) = parts_built.recv() else { break };
                take(built)?;
                behind = false;
            }
            let docs = names_of(i, part)?;
            let mut at: Vec<usize> = part.iter().filter_map(|n| records_at.get(n)).flatten().copied().collect();
            at.sort_unstable();
            if to_build.send((docs, at)).is_err() {
                break;
            }
            // One part behind: the one before is taken while this one is built.
            if behind {
                let Ok(built) = parts_built.recv() else { break };
                take(built)?;
            }
            behind = true;
        }
        drop(to_build);
        for part in parts_built {
            take(part)?;
        }
        Ok(())
    })?;
    if merged_docs.is_empty() && merged_records.is_empty() {
        return Ok(());
    }
    let docs: Vec<DocPeople> = merged_docs
        .into_values()
        .map(|mut d| {
            d.names.sort_by(|a, b| a.form.cmp(&b.form));
            d
        })
        .collect();
    merged_records.sort_unstable();
    let part_records: Vec<PersonRecord> = merged_records.iter().map(|&i| records[i].clone()).collect();
    write(&build(&docs, &part_records, overrides))
}

/// A part [`build_by_parts`] has built: its names, its records (indexes), and what
/// [`build_part`] made of them.
struct BuiltPart {
    docs: Vec<DocPeople>,
    at: Vec<usize>,
    authority: Authority,
    merged: bool,
}

/// Nodes grouped by the source ids that tie them (union–find).
#[derive(Default)]
struct Parts {
    index: HashMap<String, usize>,
    names: Vec<String>,
    parent: Vec<usize>,
}

impl Parts {
    fn node(&mut self, n: &str) -> usize {
        if let Some(&i) = self.index.get(n) {
            return i;
        }
        let i = self.names.len();
        self.index.insert(n.to_owned(), i);
        self.names.push(n.to_owned());
        self.parent.push(i);
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn tie(&mut self, a: &str, b: &str) {
        let (a, b) = (self.node(a), self.node(b));
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }

    /// The groups, each its nodes in order, ordered by their first node.
    fn groups(mut self) -> Vec<Vec<String>> {
        let mut by_root: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for i in 0..self.names.len() {
            let r = self.root(i);
            by_root.entry(r).or_default().push(std::mem::take(&mut self.names[i]));
        }
        let mut groups: Vec<Vec<String>> = by_root
            .into_values()
            .map(|mut g| {
                g.sort();
                g
            })
            .collect();
        groups.sort();
        groups
    }
}

/// The person id of every group, by its root: the id of its representative (lowest rank,
/// then smallest key).
fn group_ids(ids: &[Identity], parent: &mut [usize]) -> HashMap<usize, String> {
    let mut rep: HashMap<usize, usize> = HashMap::new();
    for i in 0..ids.len() {
        let r = find(parent, i);
        let e = rep.entry(r).or_insert(i);
        if (ids[i].rank, &ids[i].key) < (ids[*e].rank, &ids[*e].key) {
            *e = i;
        }
    }
    rep.into_iter().map(|(r, i)| (r, person_id(&ids[i]))).collect()
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        r = parent[r];
    }
    let mut j = i;
    while parent[j] != r {
        let next = parent[j];
        parent[j] = r;
        j = next;
    }
    r
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[rb] = ra;
    }
}

/// The stable id of an identity: an authority record keeps its own; otherwise the surname
/// key's letters and a hash of the canonical key.
fn person_id(id: &Identity) -> String {
    if let Some(r) = &id.record {
        return r.id.replace(':', "-");
    }
    let surname = match id.rank {
        1 => id.key.rsplit('#').next().unwrap_or(&id.key),
        2 => id.key.split('|').next().unwrap_or(&id.key),
        _ => id.key.rsplit('|').find(|p| !p.is_empty()).unwrap_or(&id.key),
    };
    let mut slug: String =
        surname.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).take(24).collect();
    if slug.is_empty() {
        slug.push('p');
    }
    format!("{slug}-{:08x}", fnv1a(&id.key))
}

fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// "p_WET1" → "wet": the initials a FRUS persons-list id is made of (surname first).
fn frus_initials(r: &str) -> Option<String> {
    let letters = r.strip_prefix("p_")?.trim_end_matches(|c: char| c.is_ascii_digit());
    (letters.len() >= 2 && letters.chars().all(|c| c.is_ascii_uppercase())).then(|| letters.to_ascii_lowercase())
}

/// A document of `year` can name the person of `r`: born at least 15 years before, not dead
/// before it. Unknown dates do not rule anything out.
fn alive_in(r: &PersonRecord, year: i32) -> bool {
    let y = |s: &Option<String>| s.as_deref().and_then(|s| s.get(..4)).and_then(|s| s.parse::<i32>().ok());
    y(&r.birth).is_none_or(|b| year >= b + 15) && y(&r.death).is_none_or(|d| year <= d)
}

/// A person's variants by form, each with the sources it was met in (in the order met).
#[derive(Default)]
struct Forms {
    map: BTreeMap<String, NameVariant>,
    /// Hashes of the (form, source) pairs added: a pair whose hash is new is new, so the
    /// sources of a form met in many documents are not searched for each.
    seen: std::collections::HashSet<u64>,
}

impl Forms {
    fn add(&mut self, form: &str, source: &str) {
        let v = match self.map.get_mut(form) {
            Some(v) => v,
            None => self.map.entry(form.to_owned()).or_insert_with(|| NameVariant {
                form: form.to_owned(),
                script: script_of(form).to_owned(),
                system: romanization_of(form).map(str::to_owned),
                sources: vec![],
            }),
        };
        let pair = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (form, source).hash(&mut h);
            h.finish()
        };
        if self.seen.insert(pair) || !v.sources.iter().any(|s| s == source) {
            v.sources.push(source.to_owned());
        }
    }
}

/// The fullest form: most forenames written out, then most parts, then Latin script, then
/// the longest, then alphabetical.
fn preferred<'a>(forms: impl Iterator<Item = &'a String>) -> String {
    forms
        .max_by(|a, b| {
            let (pa, pb) = (NameParts::parse(a), NameParts::parse(b));
            let spec = |p: &Option<NameParts>| p.as_ref().map(NameParts::specificity).unwrap_or_default();
            spec(&pa)
                .cmp(&spec(&pb))
                .then_with(|| (script_of(a) == "Latn").cmp(&(script_of(b) == "Latn")))
                .then_with(|| a.chars().count().cmp(&b.chars().count()))
                .then_with(|| b.cmp(a))
        })
        .cloned()
        .unwrap_or_default()
}

/// "II", "III", "Jr.", "Sr.": what follows a surname without being one.
fn is_suffix(word: &str) -> bool {
    let w = word.trim_end_matches('.').to_lowercase();
    matches!(w.as_str(), "ii" | "iii" | "iv" | "jr" | "sr")
}

/// ISO 15924 code of the form's letters.
pub fn script_of(form: &str) -> &'static str {
    if form.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}')) {
        "Cyrl"
    } else if form.chars().any(|c| matches!(c, '\u{0370}'..='\u{03FF}')) {
        "Grek"
    } else {
        "Latn"
    }
}

/// The romanization of Russian a Latin spelling shows, when it shows one: Polish (sz, cz,
/// szcz, ł, ż), German (sch, tsch, -ow, w), Library of Congress (-ii, ĭ, i͡u), ISO 9 or
/// scholarly (š, č, ž, ŝ), BGN/PCGN (-iy, -yy, ë). Plain "Khrushchev" shows none.
pub fn romanization_of(form: &str) -> Option<&'static str> {
    if script_of(form) != "Latn" {
        return None;
    }
    // The surname shows it: the last word that is no suffix ("II", "Jr.").
    let all = form.to_lowercase();
    let lower = all
        .split(|c: char| c.is_whitespace() || c == ',')
        .rfind(|w| !w.is_empty() && !is_suffix(w))
        .unwrap_or("")
        .to_owned();
    let ends = |s: &str| lower.ends_with(s);
    if lower.contains('ŝ') || lower.contains('â') || lower.contains('û') {
        Some("ISO 9")
    } else if lower.contains('š') || lower.contains('č') || (lower.contains('ž') && !lower.contains("ż")) {
        Some("scholarly")
    } else if lower.contains("szcz")
        || lower.contains('ł')
        || lower.contains('ż')
        || lower.contains("cz") && lower.contains('w')
    {
        Some("Polish")
    } else if lower.contains("tsch")
        || lower.contains("sch") && ends("ow")
        || ends("ow") && lower.contains('w') && !lower.contains("ov")
    {
        Some("German")
    } else if lower.contains('ĭ') || lower.contains('\u{0361}') || ends("ii") {
        Some("Library of Congress")
    } else if ends("iy") || ends("yy") || lower.contains('ë') {
        Some("BGN/PCGN")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_cleaned_and_non_persons_dropped() {
        assert_eq!(clean_form("Cde. Khrushchev").as_deref(), Some("Khrushchev"));
        assert_eq!(clean_form("(Khrushchev)").as_deref(), Some("Khrushchev"));
        assert_eq!(clean_form("Marshal Ivan Konev").as_deref(), Some("Ivan Konev"));
        assert_eq!(clean_form("Malinin's").as_deref(), Some("Malinin"));
        assert_eq!(clean_form("Chinese comrades"), None);
        assert_eq!(clean_form("Assembly"), None);
        assert_eq!(clean_form("U. S. Delegation"), None);
        assert_eq!(clean_form("Charles de Gaulle").as_deref(), Some("Charles de Gaulle"));
    }

    #[test]
    fn initials_meet_forenames_and_conflicts_stay_apart() {
        let a = NameParts::parse("N. S. Khrushchev").unwrap();
        let b = NameParts::parse("Nikita Khrushchev").unwrap();
        let c = NameParts::parse("Sergei Khrushchev").unwrap();
        let d = NameParts::parse("Никита Хрущёв").unwrap();
        assert!(a.agrees(&b) && b.agrees(&d));
        assert!(!a.agrees(&c) && !b.agrees(&c));
        assert!(!NameParts::parse("V. N. Malin").unwrap().agrees(&NameParts::parse("Mikhail Malinin").unwrap()));
    }

    #[test]
    fn two_fitting_persons_make_an_ambiguity() {
        let doc = |id: &str, names: &[&str]| DocPeople {
            doc_id: id.into(),
            scope: "c".into(),
            year: Some(1956),
            reader: "record".into(),
            names: names.iter().map(|n| NameUse { form: (*n).into(), mentions: 1, ..Default::default() }).collect(),
            forename_forms: None,
        };
        let docs = [
            doc("d1", &["Andrei Gromyko", "Anatoly Gromyko", "A. Gromyko", "Gromyko"]),
            doc("d2", &["Andrei Gromyko"]),
        ];
        let a = build(&docs, &[], &Overrides::default());
        let names: Vec<&str> = a.persons.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let forms: BTreeSet<&str> = a.ambiguities.iter().map(|x| x.form.as_str()).collect();
        assert_eq!(forms, BTreeSet::from(["A. Gromyko", "Gromyko"]));
        assert!(a.links.iter().all(|l| l.form != "A. Gromyko" && l.form != "Gromyko"));
    }

    #[test]
    fn romanizations_shown_by_the_surname() {
        assert_eq!(romanization_of("Chruschtschow"), Some("German"));
        assert_eq!(romanization_of("Chruszczow"), Some("Polish"));
        assert_eq!(romanization_of("Rokossovskiĭ"), Some("Library of Congress"));
        assert_eq!(romanization_of("Rokossovskiy"), Some("BGN/PCGN"));
        assert_eq!(romanization_of("Hruŝëv"), Some("ISO 9"));
        assert_eq!(romanization_of("Khrushchev"), None);
        assert_eq!(romanization_of("George H. Earle III"), None);
        assert_eq!(romanization_of("Хрущёв"), None);
    }

    #[test]
    fn overrides_are_read_from_csv() {
        let o = Overrides::from_csv(
            "people.csv",
            "# editor\naction,person,value,script,system\nmerge,a-1,b-2\nsplit,a-1,Malin\nrename,a-1,N. S. Khrushchev\nvariant,a-1,Хрущёв,Cyrl,\nnot-person,,Chinese comrades\n",
        )
        .unwrap();
        assert_eq!(o.merges, vec![vec!["a-1".to_owned(), "b-2".to_owned()]]);
        assert_eq!(o.variants[0].2.as_deref(), Some("Cyrl"));
        assert_eq!(o.not_persons, vec!["Chinese comrades".to_owned()]);
        assert!(Overrides::from_csv("p", "action,person,value\nfuse,a,b\n").is_err());
    }
}
