//! `person:` and `speaker:` through the people authority: a name asked for is looked up among
//! the spellings the authority knows, and the query then asks for every spelling of the
//! persons it names (so `speaker:"N. S. Khrushchev"` finds the turns labelled "Khrushchev",
//! and an editor's variant finds the person's turns). Names the authority does not know are
//! searched as written. The map is handed over by whoever holds the store
//! ([`crate::Index::set_people`]).

use std::collections::{BTreeSet, HashMap};

use crate::analysis::{name_key, tokenize};

/// The spellings of each person, keyed for lookup.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PeopleNames {
    /// Key sequence of a spelling → the persons with that spelling.
    persons_by_spelling: HashMap<String, BTreeSet<u32>>,
    /// Per person: the key sequences of its spellings.
    spellings: Vec<Vec<Vec<String>>>,
}

/// The name keys of a name's tokens, in order.
pub fn key_sequence(name: &str) -> Vec<String> {
    tokenize(name).iter().map(|t| name_key(t.text)).filter(|k| !k.is_empty()).collect()
}

impl PeopleNames {
    /// From (person id, spelling) pairs, as the store lists them.
    pub fn new(names: &[(String, String)]) -> PeopleNames {
        let mut index: HashMap<&str, u32> = HashMap::new();
        let mut out = PeopleNames::default();
        for (person, form) in names {
            let keys = key_sequence(form);
            if keys.is_empty() {
                continue;
            }
            let n = *index.entry(person.as_str()).or_insert_with(|| {
                out.spellings.push(Vec::new());
                (out.spellings.len() - 1) as u32
            });
            out.persons_by_spelling.entry(keys.join(" ")).or_default().insert(n);
            if !out.spellings[n as usize].contains(&keys) {
                out.spellings[n as usize].push(keys);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.spellings.is_empty()
    }

    /// Every spelling (as key sequences) of the persons spelled `keys`; empty when the
    /// authority knows no such spelling. A bare surname shared by many persons expands to
    /// nothing more than itself, so it is left as written.
    pub fn expand(&self, keys: &[String]) -> Vec<Vec<String>> {
        let Some(persons) = self.persons_by_spelling.get(&keys.join(" ")) else { return Vec::new() };
        if persons.len() > 8 {
            return Vec::new();
        }
        let mut out: Vec<Vec<String>> = Vec::new();
        for &p in persons {
            for s in &self.spellings[p as usize] {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
        }
        out.sort();
        out
    }
}
