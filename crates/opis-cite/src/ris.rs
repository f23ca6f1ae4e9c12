//! RIS records, the tagged format the Wilson Center serves and Zotero, EndNote and Mendeley read.
//!
//! Lines are `TAG  - value` ending in CRLF as the RIS specification says; a record opens with
//! `TY` and closes with `ER  - `. Values are one line each (whitespace runs, newlines
//! included, become one space). Tags follow what Zotero's RIS translator maps: `DB` is the
//! archive and `AN` the location in it (Zotero's *Archive* and *Loc. in Archive*), `A4` the
//! translator, `ED` the edition's editors, `M3` the kind of manuscript, `DA` the date as
//! `YYYY/MM/DD` (as coarse as known) with `PY` its year. RIS has no tag for a compiler: the
//! compiler is `A2` (secondary author) and named in `N1` as well.

use crate::{Citation, Name};

/// One record, ending with CRLF.
pub fn record(c: &Citation) -> String {
    let mut lines: Vec<(&str, String)> = Vec::new();
    let ty = match c.csl_type {
        "personal_communication" => "PCOMM",
        "hearing" => "HEAR",
        _ => "MANSCPT",
    };
    lines.push(("TY", ty.into()));
    lines.push(("ID", c.key.clone()));
    lines.push(("TI", c.title.clone()));
    push_names(&mut lines, "AU", &c.authors);
    push_names(&mut lines, "A2", &c.compilers);
    push_names(&mut lines, "A4", &c.translators);
    push_names(&mut lines, "ED", &c.editors);
    if let Some(issued) = &c.issued {
        lines.push(("PY", format!("{:04}", issued.start.year)));
        let d = issued.start;
        let da = match (d.month, d.day) {
            (Some(m), Some(day)) => format!("{:04}/{m:02}/{day:02}", d.year),
            (Some(m), None) => format!("{:04}/{m:02}", d.year),
            _ => format!("{:04}", d.year),
        };
        lines.push(("DA", da));
    }
    if let Some(t) = &c.container_title {
        lines.push(("T2", t.clone()));
    }
    if let Some(p) = &c.pages {
        match p.split_once(['-', '–']) {
            Some((sp, ep)) => {
                lines.push(("SP", sp.trim().to_owned()));
                lines.push(("EP", ep.trim().to_owned()));
            }
            None => lines.push(("SP", p.clone())),
        }
    }
    let optional = [
        ("CY", c.place.clone()),
        ("M3", c.genre()),
        ("DB", c.archive.clone()),
        ("AN", c.archive_location.clone()),
        ("LA", c.language.clone()),
    ];
    lines.extend(optional.into_iter().filter_map(|(tag, v)| v.map(|v| (tag, v))));
    lines.push(("UR", c.url.clone()));
    lines.extend(c.subjects.iter().map(|s| ("KW", s.clone())));
    if let Some(s) = &c.summary {
        lines.push(("AB", s.clone()));
    }
    let mut notes = Vec::new();
    if let Some(d) = c.date_text.as_deref().filter(|_| c.issued.is_some_and(|i| i.end.is_some())) {
        notes.push(format!("Date: {d}."));
    }
    if !c.compilers.is_empty() {
        notes.push(format!("Compiled by {}.", c.compilers.iter().map(Name::natural).collect::<Vec<_>>().join(", ")));
    }
    notes.extend(c.note.clone());
    if !notes.is_empty() {
        lines.push(("N1", notes.join(" ")));
    }
    let mut out = String::new();
    for (tag, value) in lines {
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if !value.is_empty() {
            out.push_str(&format!("{tag}  - {value}\r\n"));
        }
    }
    out.push_str("ER  - \r\n");
    out
}

/// Records for several citations, one after the other (a blank line between them).
pub fn records<'a>(citations: impl IntoIterator<Item = &'a Citation>) -> String {
    citations.into_iter().map(record).collect::<Vec<_>>().join("\r\n")
}

fn push_names(lines: &mut Vec<(&'static str, String)>, tag: &'static str, names: &[Name]) {
    lines.extend(names.iter().map(|n| (tag, n.inverted())));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{BASE, frus_165, seed, seed_field};

    fn tag<'a>(record: &'a str, tag: &str) -> Vec<&'a str> {
        let prefix = format!("{tag}  - ");
        record.split("\r\n").filter_map(|l| l.strip_prefix(prefix.as_str())).collect()
    }

    #[test]
    fn the_seed_as_ris_with_crlf_lines() {
        let c = Citation::new(&seed(), BASE);
        let r = record(&c);
        assert!(r.starts_with("TY  - MANSCPT\r\n"));
        assert!(r.ends_with("ER  - \r\n"));
        assert!(!r.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
        let printed = seed_field("**Citation:**");
        assert!(printed.starts_with(&format!("\"{}\"", tag(&r, "TI")[0])));
        assert_eq!(tag(&r, "DA"), ["1956/10/30"]);
        assert_eq!(tag(&r, "PY"), ["1956"]);
        assert_eq!(tag(&r, "DB"), ["TsKhSD"]);
        let reference = format!("{}, {}", tag(&r, "DB")[0], tag(&r, "AN")[0]);
        assert!(printed.contains(&format!(", {reference}, compiled by V. N. Malin")));
        assert_eq!(tag(&r, "A2"), ["Malin, V. N."]);
        assert_eq!(tag(&r, "UR"), [c.url.as_str()]);
        assert_eq!(tag(&r, "LA"), ["en"]);
        assert_eq!(tag(&r, "T2"), ["CWIHP Bulletin 8-9"]);
        assert_eq!((tag(&r, "SP"), tag(&r, "EP")), (vec!["392"], vec!["393"]));
        assert!(tag(&r, "N1")[0].contains("Compiled by V. N. Malin."));
    }

    #[test]
    fn a_value_with_line_breaks_stays_on_its_line() {
        let mut doc = seed();
        doc.title = "Two\r\nlines\nER  - and a fake end".into();
        let r = record(&Citation::new(&doc, BASE));
        assert_eq!(tag(&r, "TI"), ["Two lines ER - and a fake end"]);
        assert_eq!(r.matches("ER  - ").count(), 1);
    }

    #[test]
    fn a_frus_telegram_as_ris() {
        let doc = frus_165();
        let r = record(&Citation::new(&doc, BASE));
        assert_eq!(tag(&r, "AU"), ["Dillon"]);
        assert_eq!(tag(&r, "ED").len(), doc.editors.len());
        assert_eq!(tag(&r, "SP"), ["390"]);
        assert_eq!(tag(&r, "DB"), ["Department of State, Central Files"]);
        assert_eq!(tag(&r, "DA"), ["1956/11/04"]);
        assert_eq!(tag(&r, "CY"), ["Paris"]);
    }
}
