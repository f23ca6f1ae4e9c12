//! The readable outline `opis parse --format text` prints for a person at a
//! terminal: metadata, attendance, each section with its turns as
//! `Speaker: first words…`, and the notes.

use std::io::{self, Write};

use opis_model::{ArchivalRef, BlockKind, Document};

const PREVIEW_CHARS: usize = 90;

pub fn write_outline(out: &mut impl Write, doc: &Document) -> io::Result<()> {
    writeln!(out, "{}", if doc.title.is_empty() { "(untitled)" } else { &doc.title })?;
    writeln!(out, "{}", "=".repeat(doc.title.chars().count().clamp(10, 80)))?;
    let field = |out: &mut dyn Write, name: &str, value: Option<&str>| -> io::Result<()> {
        match value {
            Some(v) if !v.is_empty() => writeln!(out, "{name:<18}{v}"),
            _ => Ok(()),
        }
    };
    field(out, "id", Some(&doc.id))?;
    field(out, "kind", Some(&doc.kind))?;
    let date = doc.date.as_ref().map(|d| {
        if d.from == d.to { format!("{} ({})", d.text, d.from) } else { format!("{} ({} .. {})", d.text, d.from, d.to) }
    });
    field(out, "date", date.as_deref())?;
    let lang = match &doc.original_language {
        Some(orig) if orig != &doc.language => format!("{} (original: {orig})", doc.language),
        _ => doc.language.clone(),
    };
    field(out, "language", Some(&lang))?;
    field(out, "place", doc.place.as_deref())?;
    field(out, "classification", doc.classification.as_deref())?;
    field(out, "collection", doc.collection.as_deref())?;
    field(out, "part", doc.part.as_deref())?;
    field(out, "pages", doc.pages.as_deref())?;
    if !doc.authors.is_empty() {
        field(out, "authors", Some(&doc.authors.join("; ")))?;
    }
    field(out, "compiler", doc.compiler.as_deref())?;
    field(out, "published in", doc.published_in.as_deref())?;
    field(out, "source", doc.source_url.as_deref())?;
    field(out, "citation", doc.citation.as_deref().map(|c| preview(c, 200)).as_deref())?;
    for r in &doc.archival_refs {
        field(out, "archive file", Some(&describe_ref(r)))?;
    }
    if let Some(p) = &doc.protocol {
        let point = p.point.as_deref().map(|pt| format!(", point {pt}")).unwrap_or_default();
        field(out, "protocol", Some(&format!("No. {}{point}", p.number)))?;
    }
    if let Some(s) = &doc.summary {
        writeln!(out, "\nSummary: {}", preview(s, 300))?;
    }
    for list in &doc.participants {
        writeln!(out, "\n{}: {}", list.label, list.names.join(", "))?;
    }
    for section in &doc.sections {
        match &section.heading {
            Some(h) => writeln!(out, "\n## {h}{}", note_suffix(&section.heading_notes))?,
            None => writeln!(out, "\n## (before the first heading)")?,
        }
        if !section.presenters.is_empty() {
            writeln!(out, "   presenters: {}", section.presenters.join(", "))?;
        }
        for b in &section.blocks {
            let notes = note_suffix(&b.notes);
            match b.kind {
                BlockKind::Turn => {
                    writeln!(out, "   {}: {}{notes}", b.speakers.join(" + "), preview(&b.text, PREVIEW_CHARS))?
                }
                BlockKind::ListItem => writeln!(out, "   - {}{notes}", preview(&b.text, PREVIEW_CHARS))?,
                BlockKind::Participants => writeln!(out, "   [attendance] {}{notes}", preview(&b.text, PREVIEW_CHARS))?,
                BlockKind::Paragraph => writeln!(out, "   ¶ {}{notes}", preview(&b.text, PREVIEW_CHARS))?,
            }
        }
    }
    if !doc.notes.is_empty() {
        writeln!(out, "\nNotes")?;
        for n in &doc.notes {
            writeln!(out, "  {:>3}  {}", n.n, preview(&n.text, PREVIEW_CHARS))?;
            for r in &n.archival_refs {
                writeln!(out, "       archive file: {}", describe_ref(r))?;
            }
            for r in &n.refs {
                writeln!(out, "       refers to {:?} {}", r.kind, r.target)?;
            }
        }
    }
    if !doc.persons.is_empty() {
        let people: Vec<String> = doc.persons.iter().map(|p| format!("{} ({})", p.name, p.mentions)).collect();
        writeln!(out, "\nPersons: {}", people.join(", "))?;
    }
    Ok(())
}

fn describe_ref(r: &ArchivalRef) -> String {
    let parts = [
        ("f.", &r.fond),
        ("op.", &r.opis),
        ("p.", &r.papka),
        ("d.", &r.delo),
        ("ll.", &r.leaves),
        ("file", &r.file),
        ("box", &r.r#box),
        ("folder", &r.folder),
    ];
    let mut s = r.archive.clone();
    for (label, value) in parts {
        if let Some(v) = value {
            s.push_str(&format!(" / {label} {v}"));
        }
    }
    s
}

fn note_suffix(notes: &[u32]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let list: Vec<String> = notes.iter().map(u32::to_string).collect();
    format!("  [note {}]", list.join(", "))
}

fn preview(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}
