//! The names of a collection's people summaries held in memory by node, compactly: what the
//! people rebuild reads in one pass over the store's summaries and hands to
//! [`super::authority::build_by_parts`] a part at a time ([`NameTable::part`]). A name is held
//! as a few numbers, its strings (forms, roles, note references) kept once each, so a name costs
//! some 30 bytes instead of the hundreds its [`NameUse`] takes.

use std::collections::{BTreeSet, HashMap};

use opis_model::people::{DocPeople, NameUse, PeopleSummary};

/// Names by node, with the documents that use them.
#[derive(Default)]
pub struct NameTable {
    strings: Interned<String>,
    roles: Interned<BTreeSet<String>>,
    refs: Interned<Vec<String>>,
    docs: Vec<Doc>,
    by_node: HashMap<Box<str>, Vec<Use>>,
    names: usize,
}

/// Values kept once each, by number.
struct Interned<T> {
    values: Vec<T>,
    numbers: HashMap<T, u32>,
}

impl<T> Default for Interned<T> {
    fn default() -> Self {
        Interned { values: Vec::new(), numbers: HashMap::new() }
    }
}

impl<T: std::hash::Hash + Eq + Clone> Interned<T> {
    fn number<Q>(&mut self, value: &Q) -> u32
    where
        T: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ToOwned<Owned = T> + ?Sized,
    {
        if let Some(&n) = self.numbers.get(value) {
            return n;
        }
        let n = self.values.len() as u32;
        self.values.push(value.to_owned());
        self.numbers.insert(value.to_owned(), n);
        n
    }
}

struct Doc {
    id: Box<str>,
    scope: u32,
    year: Option<i32>,
    reader: u32,
}

/// One name a document uses (numbers into the table's strings, roles, refs and documents).
struct Use {
    doc: u32,
    form: u32,
    roles: u32,
    refs: u32,
    turns: u32,
    mentions: u32,
    forename: bool,
}

impl NameTable {
    /// Adds the names of a summary (each summary once).
    pub fn add(&mut self, s: &PeopleSummary) {
        let mut doc = None;
        for u in &s.uses {
            let doc = *doc.get_or_insert_with(|| {
                let d = Doc {
                    id: s.doc_id.as_str().into(),
                    scope: self.strings.number(s.scope.as_str()),
                    year: s.year,
                    reader: self.strings.number(s.reader.as_str()),
                };
                self.docs.push(d);
                self.docs.len() as u32 - 1
            });
            let name = Use {
                doc,
                form: self.strings.number(u.name.form.as_str()),
                roles: self.roles.number(&u.name.roles),
                refs: self.refs.number(u.name.refs.as_slice()),
                turns: u.name.turns,
                mentions: u.name.mentions,
                forename: u.forename,
            };
            match self.by_node.get_mut(u.node.as_str()) {
                Some(names) => names.push(name),
                None => {
                    self.by_node.insert(u.node.as_str().into(), vec![name]);
                }
            }
            self.names += 1;
        }
    }

    /// Names held.
    pub fn len(&self) -> usize {
        self.names
    }

    pub fn is_empty(&self) -> bool {
        self.names == 0
    }

    /// The names under `nodes` (a part), as [`super::authority::build_by_parts`] takes them:
    /// documents by id, each with its names by form (a form under two of the nodes: in the
    /// nodes' order) and those of them it also prints as forenames.
    pub fn part(&self, nodes: &[String]) -> Vec<DocPeople> {
        let mut names: Vec<(usize, &Use)> = Vec::new();
        for (at, node) in nodes.iter().enumerate() {
            if let Some(uses) = self.by_node.get(node.as_str()) {
                names.extend(uses.iter().map(|u| (at, u)));
            }
        }
        let doc_id = |u: &Use| &*self.docs[u.doc as usize].id;
        let form = |u: &Use| &*self.strings.values[u.form as usize];
        names.sort_by(|(a_at, a), (b_at, b)| {
            doc_id(a).cmp(doc_id(b)).then_with(|| form(a).cmp(form(b))).then(a_at.cmp(b_at))
        });
        let mut out: Vec<DocPeople> = Vec::new();
        for (_, u) in names {
            let d = &self.docs[u.doc as usize];
            if out.last().is_none_or(|last| *last.doc_id != *d.id) {
                out.push(DocPeople {
                    doc_id: d.id.to_string(),
                    scope: self.strings.values[d.scope as usize].to_string(),
                    year: d.year,
                    reader: self.strings.values[d.reader as usize].to_string(),
                    names: Vec::new(),
                    forename_forms: Some(BTreeSet::new()),
                });
            }
            let Some(doc) = out.last_mut() else { continue };
            let name = NameUse {
                form: form(u).to_owned(),
                roles: self.roles.values[u.roles as usize].clone(),
                turns: u.turns,
                mentions: u.mentions,
                refs: self.refs.values[u.refs as usize].clone(),
            };
            if u.forename
                && let Some(forms) = &mut doc.forename_forms
            {
                forms.insert(name.form.clone());
            }
            doc.names.push(name);
        }
        out
    }
}
