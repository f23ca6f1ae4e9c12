//! The people authority from the command line: rebuilt from the store (documents and
//! authority records) and the editor's overrides file `DATA/people.csv` after every ingest
//! and reindex; `opis people [--ambiguous] [--show ID] [--json]` prints it.

use std::path::Path;

use anyhow::{Context, Result};
use opis_formats::extract::authority::{Overrides, build, people_of};
use opis_formats::pocom::{PocomRecord, join};
use opis_store::{SqliteStore, Store};

/// The editor's file in the data folder.
pub const OVERRIDES_FILE: &str = "people.csv";

/// What a rebuild produced.
pub struct RebuildSummary {
    pub persons: usize,
    pub links: usize,
    pub ambiguities: usize,
    pub seconds: f64,
}

/// Builds the authority from everything stored plus the overrides, and stores it.
pub fn rebuild(data: &Path, store: &mut SqliteStore) -> Result<RebuildSummary> {
    let started = std::time::Instant::now();
    let overrides_path = data.join(OVERRIDES_FILE);
    let overrides = match std::fs::read_to_string(&overrides_path) {
        Ok(text) => Overrides::from_csv(&overrides_path.display().to_string(), &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Overrides::default(),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", overrides_path.display())),
    };
    let records: Vec<PocomRecord> = store
        .person_records()?
        .iter()
        .map(|json| serde_json::from_str(json))
        .collect::<Result<_, _>>()
        .context("reading the stored authority records")?;
    let mut docs = Vec::new();
    store.for_each_document(&mut |d| {
        docs.push(people_of(&d.document));
        Ok(())
    })?;
    docs.sort_by(|a, b| a.doc_id.cmp(&b.doc_id));
    let authority = build(&docs, &join(&records), &overrides);
    store.replace_people(&authority).context("storing the people authority")?;
    Ok(RebuildSummary {
        persons: authority.persons.len(),
        links: authority.links.len(),
        ambiguities: authority.ambiguities.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// `opis people`.
pub fn command(store: &SqliteStore, ambiguous: bool, show: Option<&str>, json: bool) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Some(id) = show {
        let person = store.person(id)?.with_context(|| format!("no person {id} (see `opis people`)"))?;
        let links = store.person_links(Some(id), None)?;
        if json {
            let value = serde_json::json!({ "person": person, "links": links });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
            return Ok(());
        }
        writeln!(out, "{}  {}", person.id, person.name)?;
        if person.birth.is_some() || person.death.is_some() {
            writeln!(
                out,
                "  life      {}–{}",
                person.birth.as_deref().unwrap_or("?"),
                person.death.as_deref().unwrap_or("?")
            )?;
        }
        writeln!(out, "  documents {}  turns {}  mentions {}", person.documents, person.turns, person.mentions)?;
        for v in &person.variants {
            let system = v.system.as_deref().map(|s| format!(", {s}")).unwrap_or_default();
            let sources = v.sources.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
            let more = if v.sources.len() > 5 { format!(" and {} more", v.sources.len() - 5) } else { String::new() };
            writeln!(out, "  variant   {} ({}{system}) — {sources}{more}", v.form, v.script)?;
        }
        for r in &person.roles {
            writeln!(
                out,
                "  role      {} {}–{} ({})",
                r.role,
                r.from.as_deref().unwrap_or("?"),
                r.to.as_deref().unwrap_or(""),
                r.source
            )?;
        }
        for s in &person.sources {
            writeln!(out, "  source    {s}")?;
        }
        for m in &person.merges {
            writeln!(out, "  merged    {m}")?;
        }
        for l in &links {
            writeln!(
                out,
                "  in        {}  \"{}\" {} [{}] turns {} mentions {}",
                l.doc_id,
                l.form,
                l.roles.join(","),
                l.how,
                l.turns,
                l.mentions
            )?;
        }
        return Ok(());
    }
    if ambiguous {
        let list = store.person_ambiguities()?;
        if json {
            writeln!(out, "{}", serde_json::to_string(&list)?)?;
        } else {
            for a in list {
                writeln!(out, "{}\t{}\t{}", a.doc_id, a.form, a.candidates.join(" | "))?;
            }
        }
        return Ok(());
    }
    for p in store.people()? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&p)?)?;
        } else {
            let forms: Vec<&str> =
                p.variants.iter().map(|v| v.form.as_str()).filter(|f| *f != p.name).take(6).collect();
            writeln!(out, "{}\t{}\t{} doc(s)\t{} turn(s)\t{}", p.id, p.name, p.documents, p.turns, forms.join("; "))?;
        }
    }
    Ok(())
}
