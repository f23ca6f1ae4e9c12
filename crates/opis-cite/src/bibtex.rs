//! BibTeX / BibLaTeX entries.
//!
//! An archival document is `@unpublished` (anything else `@misc`), keyed by its id. Values are
//! braced and made safe for BibTeX and LaTeX: `\ { } $ & % # _ ^ ~ < >` become LaTeX
//! commands, escapes or math (`$<$`), so an unbalanced brace or a `%` in a title cannot break the file or
//! the document that cites it; other characters stay UTF-8 (BibLaTeX with biber, or any
//! UTF-8-aware reader). Titles are double-braced so that styles keep their case as printed.
//!
//! Fields beyond BibTeX's own are BibLaTeX's: `date` (ISO 8601, a range as `from/to`),
//! `editortype = {compiler}` for a compiler, `translator`, `origlanguage`, `library` (the
//! archival reference as printed); `archive` and `archive_location` carry the CSL variables of
//! the same names.

use crate::{Citation, Name, language_name};

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// One entry, ending with a newline.
pub fn entry(c: &Citation) -> String {
    let kind = if c.archive.is_some() { "unpublished" } else { "misc" };
    let mut fields: Vec<(&str, String)> = Vec::new();
    let braced = |v: &str| format!("{{{}}}", escape(v));
    if !c.authors.is_empty() {
        fields.push(("author", names(&c.authors)));
    }
    fields.push(("title", format!("{{{{{}}}}}", escape(&c.title))));
    if let Some(issued) = &c.issued {
        fields.push(("date", format!("{{{}}}", issued.iso())));
        fields.push(("year", format!("{{{}}}", issued.start.year)));
        if let Some(m) = issued.start.month.filter(|m| (1..=12).contains(m)) {
            fields.push(("month", MONTHS[usize::from(m) - 1].to_owned()));
        }
    }
    if !c.compilers.is_empty() {
        fields.push(("editor", names(&c.compilers)));
        fields.push(("editortype", "{compiler}".into()));
        if !c.editors.is_empty() {
            fields.push(("editora", names(&c.editors)));
            fields.push(("editoratype", "{editor}".into()));
        }
    } else if !c.editors.is_empty() {
        fields.push(("editor", names(&c.editors)));
    }
    if !c.translators.is_empty() {
        fields.push(("translator", names(&c.translators)));
    }
    let text_fields = [
        ("type", c.genre()),
        ("howpublished", c.container_title.clone()),
        ("pages", c.pages.clone()),
        ("location", c.place.clone()),
        ("library", c.archival_reference.clone()),
        ("archive", c.archive.clone()),
        ("archive_location", c.archive_location.clone()),
        ("language", c.language.as_deref().map(|l| language_name(l).to_lowercase())),
        ("origlanguage", c.original_language.as_deref().map(|l| language_name(l).to_lowercase())),
        ("keywords", (!c.subjects.is_empty()).then(|| c.subjects.join(", "))),
        ("abstract", c.summary.clone()),
        ("note", c.note.clone()),
    ];
    for (name, value) in text_fields {
        if let Some(v) = value {
            fields.push((name, braced(&v)));
        }
    }
    fields.push(("url", format!("{{{}}}", escape_url(&c.url))));
    let mut out = format!("@{kind}{{{},\n", c.key);
    for (name, value) in fields {
        out.push_str(&format!("  {name} = {value},\n"));
    }
    out.push_str("}\n");
    out
}

/// Entries for several citations, separated by blank lines.
pub fn entries<'a>(citations: impl IntoIterator<Item = &'a Citation>) -> String {
    citations.into_iter().map(entry).collect::<Vec<_>>().join("\n")
}

/// "Malin, V. N. and {Department of State}", braced.
fn names(list: &[Name]) -> String {
    let each: Vec<String> = list
        .iter()
        .map(|n| if n.literal { format!("{{{}}}", escape(&n.family)) } else { escape(&n.inverted()) })
        .collect();
    format!("{{{}}}", each.join(" and "))
}

/// A value made safe inside braces in BibTeX and in the LaTeX it ends up in.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, word) in value.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        for c in word.chars() {
            match c {
                '\\' => out.push_str("\\textbackslash{}"),
                '{' => out.push_str("\\{"),
                '}' => out.push_str("\\}"),
                '$' | '&' | '%' | '#' | '_' => {
                    out.push('\\');
                    out.push(c);
                }
                '^' => out.push_str("\\textasciicircum{}"),
                '~' => out.push_str("\\textasciitilde{}"),
                // `$<$` rather than `\textless`: every LaTeX font encoding and LaTeX-to-text
                // decoder (pylatexenc, which bibtexparser uses) knows it.
                '<' => out.push_str("$<$"),
                '>' => out.push_str("$>$"),
                c if c.is_control() => {}
                c => out.push(c),
            }
        }
    }
    out
}

/// A URL in a `url` field is read verbatim by BibLaTeX and `\url`: only braces and `%`, which
/// would end the field or start a comment, are percent-encoded; whitespace is dropped.
fn escape_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '{' => out.push_str("%7B"),
            '}' => out.push_str("%7D"),
            '%' => out.push('%'),
            '\\' => out.push_str("%5C"),
            c if c.is_whitespace() || c.is_control() => {}
            c => out.push(c),
        }
    }
    // A bare `%` that is not already an escape would comment out the rest of the line.
    let mut fixed = String::with_capacity(out.len());
    let bytes: Vec<char> = out.chars().collect();
    for (i, &c) in bytes.iter().enumerate() {
        let escape_follows =
            i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit();
        if c == '%' && !escape_follows {
            fixed.push_str("%25");
        } else {
            fixed.push(c);
        }
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{BASE, frus_165, seed, seed_field};

    /// The value of `name = …,` in `entry`.
    fn field<'a>(entry: &'a str, name: &str) -> Option<&'a str> {
        let prefix = format!("  {name} = ");
        entry.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map(|v| v.trim_end_matches(','))
    }

    #[test]
    fn the_seed_as_bibtex() {
        let c = Citation::new(&seed(), BASE);
        let e = entry(&c);
        assert!(e.starts_with("@unpublished{wilson-113647,\n"), "{e}");
        assert!(e.ends_with("}\n"));
        let printed = seed_field("**Citation:**");
        let title = field(&e, "title").unwrap().trim_start_matches("{{").trim_end_matches("}}");
        assert!(printed.starts_with(&format!("\"{title}\"")));
        assert_eq!(field(&e, "date"), Some("{1956-10-30}"));
        assert_eq!(field(&e, "year"), Some("{1956}"));
        assert_eq!(field(&e, "month"), Some("oct"));
        assert_eq!(field(&e, "editor"), Some("{Malin, V. N.}"));
        assert_eq!(field(&e, "editortype"), Some("{compiler}"));
        let library = field(&e, "library").unwrap().trim_matches(['{', '}']);
        assert!(printed.contains(&format!(", {library}, compiled by V. N. Malin")));
        assert_eq!(field(&e, "archive"), Some("{TsKhSD}"));
        assert_eq!(field(&e, "origlanguage"), Some("{russian}"));
        assert_eq!(field(&e, "url"), Some(format!("{{{}}}", c.url).as_str()));
        assert_eq!(field(&e, "howpublished"), Some("{CWIHP Bulletin 8-9}"));
    }

    #[test]
    fn special_characters_cannot_break_the_entry() {
        let escaped = escape("A {title} with <script>alert('x')</script> & 100% $5 #1 a_b ^ ~ \\end");
        assert_eq!(
            escaped,
            "A \\{title\\} with $<$script$>$alert('x')$<$/script$>$ \
             \\& 100\\% \\$5 \\#1 a\\_b \\textasciicircum{} \\textasciitilde{} \\textbackslash{}end"
        );
        // Braces balance whatever the input.
        for s in ["}}}{", "{", "\\{", "}\\"] {
            let e = escape(s);
            let depth = e.chars().fold((0i32, false, 0i32), |(d, esc, min), c| match (c, esc) {
                ('\\', false) => (d, true, min),
                ('{', false) => (d + 1, false, min),
                ('}', false) => (d - 1, false, min.min(d - 1)),
                _ => (d, false, min),
            });
            assert_eq!((depth.0, depth.2), (0, 0), "{s:?} → {e:?}");
        }
        assert_eq!(escape("line\nbreak\tand  spaces"), "line break and spaces");
        assert_eq!(escape_url("http://x/a b%zz%41{}"), "http://x/ab%25zz%41%7B%7D");
    }

    #[test]
    fn a_frus_document_is_misc_or_unpublished_with_its_volume_editors() {
        let doc = frus_165();
        let e = entry(&Citation::new(&doc, BASE));
        assert!(e.starts_with("@unpublished{frus1955-57v25-d165,"));
        assert_eq!(field(&e, "author"), Some("{Dillon}"));
        let editors = field(&e, "editor").unwrap();
        assert_eq!(editors.matches(" and ").count() + 1, doc.editors.len());
        assert_eq!(field(&e, "pages"), Some("{390}"));
        assert_eq!(field(&e, "archive_location"), Some("{764.00/11–456}"));
        assert_eq!(field(&e, "location"), Some("{Paris}"));
    }
}
