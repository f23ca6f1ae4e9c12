//! The names of a collection's people summaries held in memory by node, compactly: what the
//! people rebuild reads in one pass over the store's summaries and hands to
//! [`super::authority::build_by_parts`] a part at a time ([`NameTable::part`]). A name is held
//! as a few numbers, its strings (forms, roles, note references) kept once each, so a name costs
//! some 30 bytes instead of the hundreds its [`NameUse`] takes.
//!
//! A collection with more names than memory holds has them spilled ([`NameTable::spill_to`]):
//! each name is written to a file as a fixed record of those numbers, the strings staying in
//! memory, and the names of a window of nodes are read back from the file
//! ([`NameTable::load`]) — a read of plain records instead of another pass over the store's
//! summaries.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

use opis_model::people::{DocPeople, NameUse, PeopleSummary};

/// Names by node, with the documents that use them.
#[derive(Default)]
pub struct NameTable {
    strings: Interned<String>,
    roles: Interned<BTreeSet<String>>,
    refs: Interned<Vec<String>>,
    docs: Vec<Doc>,
    nodes: Interned<String>,
    /// The names held, by node number.
    by_node: Vec<Vec<Use>>,
    /// Names held.
    names: usize,
    /// Where the names go once spilled, and how many were written there.
    spill: Option<(BufWriter<File>, usize)>,
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
#[derive(Clone, Copy)]
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
    /// Adds the names of a summary (each summary once); spilled, they are written to the file.
    pub fn add(&mut self, s: &PeopleSummary) -> io::Result<()> {
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
            let node = self.nodes.number(u.node.as_str());
            match &mut self.spill {
                Some((file, written)) => {
                    write_record(file, node, &name)?;
                    *written += 1;
                }
                None => self.hold(node, name),
            }
        }
        Ok(())
    }

    fn hold(&mut self, node: u32, name: Use) {
        let node = node as usize;
        if self.by_node.len() <= node {
            self.by_node.resize_with(node + 1, Vec::new);
        }
        self.by_node[node].push(name);
        self.names += 1;
    }

    /// Names held in memory.
    pub fn len(&self) -> usize {
        self.names
    }

    pub fn is_empty(&self) -> bool {
        self.names == 0
    }

    /// Whether the names are in a file ([`NameTable::spill_to`]).
    pub fn is_spilled(&self) -> bool {
        self.spill.is_some()
    }

    /// Moves the names held to the file at `path` (made empty, or new), where the names added
    /// from now on go too; [`NameTable::load`] reads them back by node.
    pub fn spill_to(&mut self, path: &Path) -> io::Result<()> {
        let file = File::options().read(true).write(true).create(true).truncate(true).open(path)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut written = 0;
        for (node, names) in std::mem::take(&mut self.by_node).into_iter().enumerate() {
            for name in &names {
                write_record(&mut out, node as u32, name)?;
                written += 1;
            }
        }
        self.names = 0;
        self.spill = Some((out, written));
        Ok(())
    }

    /// Holds the spilled names under the nodes `keep` accepts (and only those), read from the
    /// file; a table never spilled keeps what it holds.
    pub fn load(&mut self, keep: impl Fn(&str) -> bool) -> io::Result<()> {
        let Some((out, written)) = &mut self.spill else { return Ok(()) };
        let written = *written;
        out.flush()?;
        let mut file = out.get_ref().try_clone()?;
        file.rewind()?;
        let mut input = BufReader::with_capacity(1 << 20, file);
        let kept: Vec<bool> = self.nodes.values.iter().map(|n| keep(n)).collect();
        self.by_node.clear();
        self.names = 0;
        let mut record = [0u8; RECORD];
        for _ in 0..written {
            input.read_exact(&mut record)?;
            let (node, name) = read_record(&record);
            // Every number names something held (a damaged file is an error, not a panic).
            let known = (name.doc as usize) < self.docs.len()
                && (name.form as usize) < self.strings.values.len()
                && (name.roles as usize) < self.roles.values.len()
                && (name.refs as usize) < self.refs.values.len();
            let Some(&keep) = kept.get(node as usize).filter(|_| known) else {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "a spilled name that names nothing held"));
            };
            if keep {
                self.hold(node, name);
            }
        }
        // The writer appends after the last record (the reader moved the shared offset).
        input.into_inner().seek(io::SeekFrom::End(0))?;
        Ok(())
    }

    /// The names under `nodes` (a part), as [`super::authority::build_by_parts`] takes them:
    /// documents by id, each with its names by form (a form under two of the nodes: in the
    /// nodes' order) and those of them it also prints as forenames.
    pub fn part(&self, nodes: &[String]) -> Vec<DocPeople> {
        let mut names: Vec<(usize, &Use)> = Vec::new();
        for (at, node) in nodes.iter().enumerate() {
            let held = self.nodes.numbers.get(node.as_str()).and_then(|&n| self.by_node.get(n as usize));
            if let Some(uses) = held {
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

/// Bytes of a spilled name: its node and seven numbers, little-endian, and the forename flag.
const RECORD: usize = 4 * 7 + 1;

fn write_record(out: &mut impl Write, node: u32, u: &Use) -> io::Result<()> {
    let mut record = [0u8; RECORD];
    for (at, n) in [node, u.doc, u.form, u.roles, u.refs, u.turns, u.mentions].into_iter().enumerate() {
        record[at * 4..at * 4 + 4].copy_from_slice(&n.to_le_bytes());
    }
    record[RECORD - 1] = u8::from(u.forename);
    out.write_all(&record)
}

fn read_record(record: &[u8; RECORD]) -> (u32, Use) {
    let n =
        |at: usize| u32::from_le_bytes([record[at * 4], record[at * 4 + 1], record[at * 4 + 2], record[at * 4 + 3]]);
    let name = Use {
        doc: n(1),
        form: n(2),
        roles: n(3),
        refs: n(4),
        turns: n(5),
        mentions: n(6),
        forename: record[RECORD - 1] != 0,
    };
    (n(0), name)
}
