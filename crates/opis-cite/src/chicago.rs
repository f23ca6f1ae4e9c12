//! A Chicago full note, rendered by a CSL processor: hayagriva with the Chicago Manual of Style
//! notes-and-bibliography style it bundles (`chicago-notes`, CMOS 18th edition) and its
//! bundled en-US locale.
//!
//! The citation becomes a hayagriva `Manuscript` entry (CSL `manuscript`): title, date, authors,
//! `archive` and `archive-location` (hayagriva hands both to the style as the CSL variables
//! `archive` and `archive_location`, which the style prints as "…, F. 3, Op. 12, D. 1006,
//! Ll. 6-14, TsKhSD"), the compiler and translators as affiliated persons with their roles,
//! the URL. Title, archive and location are verbatim: the style does not recase them. A
//! translator is named only beside an author (see `entry`). hayagriva's dates are single dates, so a range is cited by its first day (the
//! CSL-JSON keeps the range). Letters and speeches are cited as manuscripts too: hayagriva has
//! no entry types for them.

use hayagriva::archive::ArchivedStyle;
use hayagriva::citationberg::{IndependentStyle, Locale, Style};
use hayagriva::types::{Date, EntryType, FormatString, Person, PersonRole, PersonsWithRoles, StringChunk};
use hayagriva::{BibliographyDriver, BibliographyRequest, BufWriteFormat, CitationItem, CitationRequest, Entry};

use crate::{Citation, CiteError, Name};

/// Renders Chicago notes; holds the parsed style and locales, so build it once and reuse it.
pub struct ChicagoNotes {
    style: IndependentStyle,
    locales: Vec<Locale>,
}

impl ChicagoNotes {
    pub fn new() -> Result<ChicagoNotes, CiteError> {
        let style = match ArchivedStyle::ChicagoNotes.get() {
            Style::Independent(s) => s,
            Style::Dependent(_) => return Err(CiteError::Style("chicago-notes")),
        };
        Ok(ChicagoNotes { style, locales: hayagriva::archive::locales() })
    }

    /// The full note for `c`, as plain text.
    pub fn note(&self, c: &Citation) -> Result<String, CiteError> {
        let entry = entry(c);
        // The driver numbers the note: the first citation of a work is its full note.
        let mut driver = BibliographyDriver::new();
        driver.citation(CitationRequest::new(
            vec![CitationItem::with_entry(&entry)],
            &self.style,
            None,
            &self.locales,
            Some(1),
        ));
        let rendered = driver.finish(BibliographyRequest::new(&self.style, None, &self.locales));
        let mut out = String::new();
        for c in &rendered.citations {
            c.citation.write_buf(&mut out, BufWriteFormat::Plain)?;
        }
        let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
        if out.is_empty() { Err(CiteError::Empty(c.id.clone())) } else { Ok(out) }
    }
}

/// The Chicago full note for one citation (parses the style each time; see [`ChicagoNotes`]).
pub fn note(c: &Citation) -> Result<String, CiteError> {
    ChicagoNotes::new()?.note(c)
}

fn person(n: &Name) -> Person {
    Person {
        name: n.family.clone(),
        given_name: n.given.clone().filter(|_| !n.literal),
        prefix: None,
        suffix: None,
        comma_suffix: false,
        alias: None,
    }
}

/// A value the style may recase (the kind, which it capitalises where a sentence starts).
fn text(s: &str) -> FormatString {
    FormatString::from(s.to_owned())
}

/// A value printed as the source prints it: the style's title case would otherwise make
/// "ParlaMint" "Parlamint" and "3 p.m. in Chequers" "3 P.m. In Chequers".
fn verbatim(s: &str) -> FormatString {
    FormatString::from(StringChunk::verbatim(s))
}

fn entry(c: &Citation) -> Entry {
    let mut e = Entry::new(&c.key, EntryType::Manuscript);
    e.set_title(verbatim(&c.title));
    if !c.authors.is_empty() {
        e.set_authors(c.authors.iter().map(person).collect());
    }
    if let Some(i) = &c.issued {
        let d = i.start;
        e.set_date(Date {
            year: d.year,
            month: d.month.map(|m| m - 1),
            day: d.day.map(|d| d - 1),
            approximate: false,
            season: None,
        });
    }
    let mut affiliated = Vec::new();
    if !c.compilers.is_empty() {
        affiliated.push(PersonsWithRoles::new(c.compilers.iter().map(person).collect(), PersonRole::Compiler));
    }
    // With no author, the style puts a translator in the author's place, and hayagriva then
    // prints "S. Kieninger," without "trans.": a reader would take the translator for the
    // author. The note leaves the translator out unless there is an author.
    if !c.translators.is_empty() && !c.authors.is_empty() {
        affiliated.push(PersonsWithRoles::new(c.translators.iter().map(person).collect(), PersonRole::Translator));
    }
    if !affiliated.is_empty() {
        e.set_affiliated(affiliated);
    }
    if !c.editors.is_empty() {
        e.set_editors(c.editors.iter().map(person).collect());
    }
    if let Some(a) = &c.archive {
        e.set_archive(verbatim(a));
    }
    if let Some(l) = &c.archive_location {
        e.set_archive_location(verbatim(l));
    }
    if let Some(p) = &c.place {
        e.set_location(verbatim(p));
    }
    if let Some(g) = c.genre() {
        e.set_genre(text(&g));
    }
    if let Ok(url) = c.url.parse() {
        e.set_url(url);
    }
    if let Some(Ok(lang)) = c.language.as_deref().map(str::parse) {
        e.set_language(lang);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{BASE, frus_165, seed, seed_field};

    #[test]
    fn the_seed_note_names_the_archive_and_the_reference() {
        let c = Citation::new(&seed(), BASE);
        let n = note(&c).unwrap();
        eprintln!("{n}");
        let printed = seed_field("**Citation:**");
        assert!(n.contains(&c.title), "{n}");
        assert!(n.contains("TsKhSD"), "{n}");
        assert!(n.contains(c.archive_location.as_deref().unwrap()), "{n}");
        assert!(printed.contains(c.archive_location.as_deref().unwrap()));
        assert!(n.contains("1956"), "{n}");
    }

    #[test]
    fn titles_keep_their_case_and_a_translator_is_not_made_the_author() {
        let mut doc = seed();
        doc.title = "Meeting with PM Blair, 10.30 a.m. - 3 p.m. in Chequers (ParlaMint)".into();
        doc.contributors = vec!["Stephan Kieninger".into()];
        doc.citation = Some("Contributed, transcribed, and translated by Stephan Kieninger.".into());
        doc.compiler = None;
        let c = Citation::new(&doc, BASE);
        assert_eq!(c.translators[0].family, "Kieninger");
        let n = note(&c).unwrap();
        assert!(n.contains(&doc.title), "{n}");
        assert!(!n.contains("Kieninger"), "{n}");
    }

    #[test]
    fn a_frus_note_names_its_author() {
        let c = Citation::new(&frus_165(), BASE);
        let n = ChicagoNotes::new().unwrap().note(&c).unwrap();
        eprintln!("{n}");
        assert!(n.contains("Dillon"), "{n}");
        assert!(n.contains("764.00/11–456"), "{n}");
    }
}
