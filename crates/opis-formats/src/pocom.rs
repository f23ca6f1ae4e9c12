//! The Office of the Historian's `pocom` authority (*Principal Officers & Chiefs of Mission*):
//! `<person>` records (name parts, birth, death) and `<country-mission>` / `<org-mission>`
//! appointments (`<chief>` with `person-id`, role title and dates), plus the role titles
//! (`roles-country-chiefs`, `positions-principals`). These are not documents: ingest stores
//! them as [`PocomRecord`]s and the people authority joins them ([`join`]) into persons.

use std::collections::HashMap;
use std::path::Path;

use opis_model::people::{PersonRecord, PersonRole};
use serde::{Deserialize, Serialize};

use crate::xml::{Element, root_element};

/// One thing a pocom file asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PocomRecord {
    Person(PersonRecord),
    /// A chief of mission: who, as what, where, from when to when.
    Appointment {
        person_id: String,
        role_title_id: String,
        territory_id: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// A role title's name ("Envoy Extraordinary and Minister Plenipotentiary").
    RoleTitle {
        id: String,
        name: String,
    },
}

impl PocomRecord {
    /// A key unique among the records of one pocom checkout.
    pub fn key(&self) -> String {
        match self {
            PocomRecord::Person(p) => p.id.clone(),
            PocomRecord::Appointment { person_id, role_title_id, territory_id, from, .. } => {
                format!("pocom-chief:{person_id}:{role_title_id}:{territory_id}:{}", from.as_deref().unwrap_or(""))
            }
            PocomRecord::RoleTitle { id, .. } => format!("pocom-role:{id}"),
        }
    }
}

/// The records of a pocom file; `None` when the file is not one (root element other than
/// `person`, `country-mission`, `org-mission`, `role`, `principal-position`).
pub fn read_pocom(path: &Path, text: &str) -> Option<Vec<PocomRecord>> {
    let (root, _) = root_element(path, text).ok()?;
    if !matches!(root.as_str(), "person" | "country-mission" | "org-mission" | "role" | "principal-position") {
        return None;
    }
    let el = Element::parse_document(path, text).ok()?;
    let child =
        |e: &Element, n: &str| e.child(n).map(Element::text).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut out = Vec::new();
    match root.as_str() {
        "person" => {
            let id = child(&el, "id")?;
            let names = el.child("persName")?;
            out.push(PocomRecord::Person(PersonRecord {
                id: format!("pocom:{id}"),
                surname: child(names, "surname").unwrap_or_default(),
                forenames: child(names, "forename").unwrap_or_default(),
                altnames: names
                    .children_named("altname")
                    .map(|a| a.text().trim().to_owned())
                    .filter(|a| !a.is_empty())
                    .collect(),
                birth: child(&el, "birth"),
                death: child(&el, "death"),
                roles: vec![],
            }));
        }
        "country-mission" | "org-mission" => {
            let territory = child(&el, "territory-id").or_else(|| child(&el, "org-id")).unwrap_or_default();
            let mut chiefs: Vec<&Element> = Vec::new();
            for group in el.elements() {
                chiefs.extend(group.children_named("chief"));
            }
            for c in chiefs {
                let Some(person_id) = child(c, "person-id") else { continue };
                let date = |n: &str| c.child(n).and_then(|d| child(d, "date"));
                out.push(PocomRecord::Appointment {
                    person_id,
                    role_title_id: child(c, "role-title-id").unwrap_or_default(),
                    territory_id: child(c, "contemporary-territory-id").unwrap_or_else(|| territory.clone()),
                    from: date("started").or_else(|| date("appointed")),
                    to: date("ended"),
                });
            }
        }
        _ => {
            let id = child(&el, "id")?;
            let name = el.child("names").and_then(|n| child(n, "singular")).or_else(|| child(&el, "name"))?;
            out.push(PocomRecord::RoleTitle { id, name });
        }
    }
    Some(out)
}

/// Persons with their appointments as roles ("Envoy Extraordinary and Minister
/// Plenipotentiary, hungary"), sorted by id.
pub fn join(records: &[PocomRecord]) -> Vec<PersonRecord> {
    let titles: HashMap<&str, &str> = records
        .iter()
        .filter_map(|r| match r {
            PocomRecord::RoleTitle { id, name } => Some((id.as_str(), name.as_str())),
            _ => None,
        })
        .collect();
    let mut persons: HashMap<String, PersonRecord> = records
        .iter()
        .filter_map(|r| match r {
            PocomRecord::Person(p) => Some((p.id.clone(), p.clone())),
            _ => None,
        })
        .collect();
    for r in records {
        if let PocomRecord::Appointment { person_id, role_title_id, territory_id, from, to } = r
            && let Some(p) = persons.get_mut(&format!("pocom:{person_id}"))
        {
            let title = titles.get(role_title_id.as_str()).copied().unwrap_or(role_title_id.as_str());
            p.roles.push(PersonRole {
                role: format!("{title}, {territory_id}"),
                from: from.clone(),
                to: to.clone(),
                source: "pocom".into(),
            });
        }
    }
    let mut out: Vec<PersonRecord> = persons.into_values().collect();
    for p in &mut out {
        p.roles.sort_by(|a, b| a.from.cmp(&b.from).then_with(|| a.role.cmp(&b.role)));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}
