//! The people authority on a person's page: which person(s) of the authority a name is,
//! with the preferred name, life dates, roles, every variant (script, romanization system,
//! where it was met) and the sources that assert the person, and why forms were merged.

use maud::{Markup, html};
use opis_model::people::Person;
use opis_store::SqliteStore;

use crate::WebError;
use crate::layout::doc_url;

/// The authority's persons spelled `name`.
pub(crate) fn persons_named(store: &SqliteStore, name: &str) -> Result<Vec<Person>, WebError> {
    let mut out = Vec::new();
    for id in store.people_named(name)? {
        if let Some(p) = store.person(&id)? {
            out.push(p);
        }
    }
    Ok(out)
}

/// True when the authority would not take the form for a person ("Chinese comrades").
pub(crate) fn not_a_person(form: &str) -> bool {
    opis_formats::extract::authority::clean_form(form).is_none()
}

/// Sources shown per variant before "and N more".
const SOURCES_SHOWN: usize = 6;

pub(crate) fn section(persons: &[Person]) -> Markup {
    html! {
        @if !persons.is_empty() {
            section.authority aria-labelledby="authority-h" {
                h2 #authority-h { "In the people authority" }
                @if persons.len() > 1 {
                    p.n { "This name is " (persons.len()) " different people in the authority." }
                }
                @for p in persons {
                    h3 { (p.name) " " span.n { "(" code { (p.id) } ")" } }
                    @if p.birth.is_some() || p.death.is_some() {
                        p.n { "Lived " (p.birth.as_deref().unwrap_or("?")) "–" (p.death.as_deref().unwrap_or("?")) }
                    }
                    @if !p.roles.is_empty() {
                        ul.roles {
                            @for r in &p.roles {
                                li { (r.role) " " span.n { (r.from.as_deref().unwrap_or("?")) "–" (r.to.as_deref().unwrap_or("")) " (" (r.source) ")" } }
                            }
                        }
                    }
                    table.variants {
                        thead { tr { th { "Spelling" } th { "Script" } th { "Romanization" } th { "Met in" } } }
                        tbody {
                            @for v in &p.variants {
                                tr {
                                    td lang="" { (v.form) }
                                    td { (v.script) }
                                    td { (v.system.as_deref().unwrap_or("")) }
                                    td {
                                        @for (i, s) in v.sources.iter().take(SOURCES_SHOWN).enumerate() {
                                            @if i > 0 { ", " }
                                            @if s.contains(':') || s == "editor" { (s) } @else { a href=(doc_url(s)) { (s) } }
                                        }
                                        @if v.sources.len() > SOURCES_SHOWN { " and " (v.sources.len() - SOURCES_SHOWN) " more" }
                                    }
                                }
                            }
                        }
                    }
                    @if !p.sources.is_empty() {
                        p.n { "Asserted by: " (p.sources.join(", ")) }
                    }
                    @if !p.merges.is_empty() {
                        p.n { "Merged: " (p.merges.join("; ")) }
                    }
                }
            }
        }
    }
}
