//! The people authority on a person's page: which person(s) of the authority a name is,
//! with the preferred name, life dates, roles, every variant (script, romanization system,
//! where it was met) and the sources that assert the person, and why forms were merged.

use maud::{Markup, html};
use opis_model::people::Person;
use opis_store::SqlStore;
use opis_store::access::Visibility;

use crate::WebError;
use crate::layout::doc_url;

/// The authority's persons spelled `name`, as the current viewer may see them (see
/// [`for_viewer`]).
pub(crate) fn persons_named(store: &SqlStore, name: &str) -> Result<Vec<Person>, WebError> {
    let visibility = crate::auth::visibility();
    let mut out = Vec::new();
    for id in store.people_named(name)? {
        let Some(p) = store.person(&id)? else { continue };
        out.extend(for_viewer(store, p, &visibility)?);
    }
    Ok(out)
}

/// A person as a viewer may see them: a spelling met only in documents the viewer may not see
/// is left out with those documents (and the merge reasons, which name the forms merged), the
/// counts are those of the documents left; a person left with nothing to show is `None`.
pub(crate) fn for_viewer(store: &SqlStore, mut p: Person, visibility: &Visibility) -> Result<Option<Person>, WebError> {
    if *visibility == Visibility::Everything {
        return Ok(Some(p));
    }
    let mut hid_any = false;
    for v in &mut p.variants {
        let before = v.sources.len();
        let mut kept = Vec::with_capacity(before);
        for s in std::mem::take(&mut v.sources) {
            if !is_document(&s) || store.visible(&s, visibility)? {
                kept.push(s);
            }
        }
        hid_any |= kept.len() < before;
        v.sources = kept;
    }
    p.variants.retain(|v| !v.sources.is_empty());
    if hid_any {
        p.merges.clear();
        let links = visible_links(store, &p.id, visibility)?;
        let documents: std::collections::BTreeSet<&str> = links.iter().map(|l| l.doc_id.as_str()).collect();
        p.documents = documents.len() as u32;
        p.turns = links.iter().map(|l| l.turns).sum();
        p.mentions = links.iter().map(|l| l.mentions).sum();
    }
    if p.variants.is_empty() && !p.sources.iter().any(|s| !is_document(s)) {
        return Ok(None);
    }
    Ok(Some(p))
}

/// A person's (document, spelling) links to documents the viewer may see.
pub(crate) fn visible_links(
    store: &SqlStore,
    person: &str,
    visibility: &Visibility,
) -> Result<Vec<opis_model::people::PersonLink>, WebError> {
    let mut links = store.person_links(Some(person), None)?;
    if *visibility != Visibility::Everything {
        let mut kept = Vec::with_capacity(links.len());
        for l in links {
            if store.visible(&l.doc_id, visibility)? {
                kept.push(l);
            }
        }
        links = kept;
    }
    Ok(links)
}

/// A variant's source is a document id unless it names an authority record ("pocom:…",
/// "parlamint:…") or an editor.
fn is_document(source: &str) -> bool {
    !(source.contains(':') || source == "editor")
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
                                            @if is_document(s) { a href=(doc_url(s)) { (s) } } @else { (s) }
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
