//! Archival references in the spellings sources use, split into archive, fond, opis,
//! papka, delo and leaves (or file, box, folder for western archives).
//!
//! Soviet-style references: an optional archive acronym ("TsKhSD", "AP RF",
//! "SAPMO-BArch"), then `F.` (fond), optional `Op.` (opis), optional `P.` (papka),
//! `D.` (delo) and optional leaves (`L.`/`Ll.`: "6-14", "2-2ob", "1-3, 5, 7-9",
//! "unnumbered page"), in any case and spacing ("F.89, Op.45", "f. 5, op. 49"), with
//! Cyrillic keys too ("Ф. 3, Оп. 12, Д. 1006, Л. 6–14"). Fond and delo are required.
//!
//! Western references are matched only in a few recognisable shapes, so that prose
//! does not fire: "[Department of State,] Central Files, 764.00/11–256"; State
//! Department lot files ("Lot 64 D 199", "Lot File 96 D 292), Box 4"); and a known
//! archive name (BArch, Bundesarchiv, National Archives…, Library of Congress, NARA,
//! TNA, PRO, "… Library", "… Archives") followed by a file designation
//! ("B 136/59748, 403-410", "Department of Foreign Affairs/6/440/8/1", "RG 59",
//! "FO 371/122378") and/or "Box 12, Folder 3".
//!
//! Everything is one `regex` pass over the text (linear time, no backtracking).

use std::sync::LazyLock;

use opis_model::ArchivalRef;
use regex::{Captures, Regex};

/// Every archival reference in `text`, in order of appearance.
pub fn find_archival_refs(text: &str) -> Vec<ArchivalRef> {
    let Some(re) = REF_RE.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(text).filter_map(|c| to_ref(text, &c)).collect()
}

/// An archive acronym part: at least two capitals ("TsKhSD", "APRF", "BArch", "RF").
const ARCH_PART: &str = r"\p{Lu}(?:\p{Ll}{0,3}\p{Lu})+\p{Ll}{0,4}";
/// A fond, opis, papka or delo number: "3", "059a", "R-5446".
const VAL: &str = r"(?:\p{Lu}{1,2}-?)?[0-9]+\p{Ll}?";
/// Between the parts of a Soviet reference: ", ", ",", ". ", " ".
const SEP: &str = r"\s*[,.;]?\s*";
/// One leaf, recto or verso: "6", "2ob", "5 ob.".
const LEAF: &str = r"[0-9]+(?:ob|об|\s(?:ob|об)\.)?";
/// A box or folder number.
const BOXV: &str = r"[0-9]+[A-Za-z]?";

fn soviet() -> String {
    let arch = format!(r"{ARCH_PART}(?:[ \-]{ARCH_PART})*");
    let fond = r"(?i:f\.|fond|ф\.|фонд)";
    let opis = r"(?i:op\.|opis[’'ʹ]?|оп\.|опись)";
    let papka = r"(?i:p\.|papka|п\.|папка)";
    let delo = r"(?i:d\.|delo|д\.|дело)";
    let lkey = r"(?i:ll\.|l\.|listy|list|лл\.|л\.)";
    let range = format!(r"{LEAF}(?:\s*[-‐‑‒–—]\s*{LEAF})?");
    let leaves = format!(r"{range}(?:\s*,\s*{range})*");
    format!(
        r"(?P<s>(?:(?P<s_arch>{arch})\s*,?\s*)?{fond}\s*(?P<s_fond>{VAL})(?:{SEP}{opis}\s*(?P<s_opis>{VAL}))?(?:{SEP}{papka}\s*(?P<s_papka>{VAL}))?{SEP}{delo}\s*(?P<s_delo>{VAL})(?:{SEP}(?:{lkey}\s*(?P<s_leaves>{leaves})|(?P<s_unnum>(?i:unnumbered)\s+(?i:pages?))))?)"
    )
}

/// A State Department Central Files decimal file: "764.00/11–256", "033.1100-NI/12–356".
const DECIMAL: &str = r"[0-9]{2,3}\.[0-9A-Za-z]+(?:[-‐–./][0-9A-Za-z]+)*";
/// A lot file: "Lot 64 D 199", "Lot File 96 D 292".
const LOT: &str = r"Lot(?:\s+File)?\s+[0-9]{2}\s*D\s*[0-9]{1,4}";

fn central_files() -> String {
    format!(
        r"(?P<w1>(?P<w1_arch>(?:Department\s+of\s+State\s*,\s*)?Central\s+(?:Decimal\s+)?Files)\s*,?\s*(?P<w1_file>{DECIMAL}))"
    )
}

fn lot_files() -> String {
    let arch = r"Department\s+of\s+State(?:\s*,\s*(?:\p{Lu}[\p{L}/–\-]*\s+){0,6}Files)?";
    format!(r"(?P<w2>(?:(?P<w2_arch>{arch})\s*[:,]\s*)?(?P<w2_file>{LOT})(?:\)?\s*,\s*Box\s+(?P<w2_box>{BOXV}))?)")
}

fn named_archive() -> String {
    let names = [
        r"BArch(?:-[A-Z]+)?",
        r"Bundesarchiv",
        r"National\s+Archives(?:\s+and\s+Records\s+Administration|\s+of\s+(?:the\s+)?\p{Lu}\p{L}+(?:\s+\p{Lu}\p{L}+)?)?",
        r"Library\s+of\s+Congress",
        r"NARA",
        r"TNA",
        r"PRO",
        r"(?:\p{Lu}[\p{L}.'’]*\s+){1,5}(?:Library|Archives?)",
    ]
    .join("|");
    // Signatures: "B 136/59748", "FO 371/122378"; paths: "Department of Foreign
    // Affairs/6/440/8/1", "DFA/5/313/3D" (a segment with a digit, so "and/or" is not one).
    let sig = r"\p{Lu}{1,5}(?:-\p{Lu}+)?\s?[0-9]+\p{L}?(?:/[0-9\p{L}.]*[0-9\p{L}])+";
    let path = r"\p{Lu}\p{L}*(?:\s+\p{L}+){0,6}(?:/[0-9\p{L}]*[0-9][0-9\p{L}]*)+";
    let rg = r"(?:RG|Record\s+Group)\s+[0-9]+";
    let file = format!("{DECIMAL}|{LOT}|{sig}|{path}|{rg}");
    // A page range, or a page of at most three digits ("…/3D, 1958" is a year).
    let pages = r"(?:[0-9]{1,5}\s*[-‐–—]\s*[0-9]{1,5}|[0-9]{1,3})(?-u:\b)";
    format!(
        r"(?P<w3>(?P<w3_arch>{names})\s*,\s*(?:(?P<w3_file>{file})(?:\s*,\s*(?P<w3_pages>{pages}))?(?:\s*,\s*Box\s+(?P<w3_box>{BOXV})(?:\s*,\s*Folder\s+(?P<w3_folder>{BOXV}))?)?|Box\s+(?P<w4_box>{BOXV})(?:\s*,\s*Folder\s+(?P<w4_folder>{BOXV}))?))"
    )
}

/// The one pattern; `None` only if it failed to compile, which the tests rule out.
static REF_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // A reference starts at the start of the text or after a character that is not a
    // letter or digit ("ref. 3" is not "f. 3").
    let pattern =
        format!(r"(?:^|[^\p{{L}}\p{{N}}])(?:{}|{}|{}|{})", soviet(), central_files(), lot_files(), named_archive());
    Regex::new(&pattern).ok()
});

/// Collapses runs of whitespace to one space ("Central\n   Files" → "Central Files").
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn get(c: &Captures, name: &str) -> Option<String> {
    c.name(name).map(|m| squash(m.as_str()))
}

fn to_ref(haystack: &str, c: &Captures) -> Option<ArchivalRef> {
    let (whole, prefix) = ["s", "w1", "w2", "w3"].iter().find_map(|p| c.name(p).map(|m| (m, *p)))?;
    let mut end = whole.end();
    let mut leaves = c.name("s_leaves").map(|m| m.as_str());
    // "Ll. 6-14, 30 October 1956": a last listed leaf followed by a capitalised word
    // is the start of something else.
    if let Some(listed) = leaves {
        let next_is_word = haystack.get(end..).is_some_and(|rest| {
            let after = rest.trim_start();
            after.len() < rest.len() && after.chars().next().is_some_and(char::is_uppercase)
        });
        if let Some(comma) = listed.rfind(',').filter(|_| next_is_word) {
            let last = listed.get(comma + 1..).unwrap_or("").trim();
            if last.chars().all(|ch| ch.is_ascii_digit()) {
                leaves = listed.get(..comma).map(str::trim_end);
                end = end.saturating_sub(listed.len() - comma);
            }
        }
    }
    let printed = haystack.get(whole.start()..end).unwrap_or(whole.as_str());
    let mut r = ArchivalRef { text: printed.trim().to_string(), ..ArchivalRef::default() };
    match prefix {
        "s" => {
            r.archive = get(c, "s_arch").unwrap_or_default();
            r.fond = get(c, "s_fond");
            r.opis = get(c, "s_opis");
            r.papka = get(c, "s_papka");
            r.delo = get(c, "s_delo");
            r.leaves = leaves.map(squash).or_else(|| get(c, "s_unnum"));
        }
        "w1" => {
            r.archive = get(c, "w1_arch").unwrap_or_default();
            r.file = get(c, "w1_file");
        }
        "w2" => {
            r.archive = get(c, "w2_arch").unwrap_or_default();
            r.file = get(c, "w2_file");
            r.r#box = get(c, "w2_box");
        }
        _ => {
            let archive = get(c, "w3_arch").unwrap_or_default();
            // "The Kennedy Library" is the Kennedy Library; "The National Archives" is
            // the British archive's name.
            r.archive = match archive.strip_prefix("The ") {
                Some(rest) if rest != "National Archives" => rest.to_string(),
                _ => archive,
            };
            r.file = get(c, "w3_file");
            r.leaves = get(c, "w3_pages");
            r.r#box = get(c, "w3_box").or_else(|| get(c, "w4_box"));
            r.folder = get(c, "w3_folder").or_else(|| get(c, "w4_folder"));
        }
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (archive, fond, opis, papka, delo, leaves) of a Soviet reference.
    type Parts<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>);

    fn parts(r: &ArchivalRef) -> Parts<'_> {
        (
            r.archive.as_str(),
            r.fond.as_deref(),
            r.opis.as_deref(),
            r.papka.as_deref(),
            r.delo.as_deref(),
            r.leaves.as_deref(),
        )
    }

    fn one(text: &str) -> ArchivalRef {
        let refs = find_archival_refs(text);
        assert_eq!(refs.len(), 1, "{text:?} gave {refs:#?}");
        refs.into_iter().next().unwrap_or_default()
    }

    #[test]
    fn regex_compiles() {
        let re = REF_RE.as_ref().expect("the reference pattern compiles");
        assert!(re.is_match("F. 1, D. 2"));
    }

    #[test]
    fn tskhsd_with_leaves() {
        let r = one("TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14");
        assert_eq!(r.text, "TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14");
        assert_eq!(parts(&r), ("TsKhSD", Some("3"), Some("12"), None, Some("1006"), Some("6-14")));
        assert_eq!((r.file, r.r#box, r.folder), (None, None, None));
    }

    #[test]
    fn two_refs_in_one_note() {
        let refs = find_archival_refs(
            "APRF, F. 3, Op. 64, D. 484, Ll. 25-30 and APRF, F. 3, Op. 64, D. 484, L. 41, respectively.",
        );
        assert_eq!(refs.len(), 2);
        assert_eq!(parts(&refs[0]), ("APRF", Some("3"), Some("64"), None, Some("484"), Some("25-30")));
        assert_eq!(refs[0].text, "APRF, F. 3, Op. 64, D. 484, Ll. 25-30");
        assert_eq!(parts(&refs[1]), ("APRF", Some("3"), Some("64"), None, Some("484"), Some("41")));
        assert_eq!(refs[1].text, "APRF, F. 3, Op. 64, D. 484, L. 41");
    }

    #[test]
    fn no_space_after_period() {
        let r = one("in TsKhSD, F.89, Op.45, D.12, Ll.1-3. Of the two");
        assert_eq!(parts(&r), ("TsKhSD", Some("89"), Some("45"), None, Some("12"), Some("1-3")));
        assert_eq!(r.text, "TsKhSD, F.89, Op.45, D.12, Ll.1-3");
    }

    #[test]
    fn papka_and_lettered_fond() {
        let r = one("in AVPRF, F.059a, Op.4, P.6, D.5, Ll.13-14.");
        assert_eq!(parts(&r), ("AVPRF", Some("059a"), Some("4"), Some("6"), Some("5"), Some("13-14")));
        assert_eq!(r.text, "AVPRF, F.059a, Op.4, P.6, D.5, Ll.13-14");
    }

    #[test]
    fn mixed_spacing() {
        let r = one("in APRF, F.3, Op.64, D.484, Ll.158-161.");
        assert_eq!(parts(&r), ("APRF", Some("3"), Some("64"), None, Some("484"), Some("158-161")));
        let r = one("(in APRF, F.3, Op. 64, D.484, Ll. 25-30)");
        assert_eq!(parts(&r), ("APRF", Some("3"), Some("64"), None, Some("484"), Some("25-30")));
        assert_eq!(r.text, "APRF, F.3, Op. 64, D.484, Ll. 25-30");
    }

    #[test]
    fn lower_case_keys() {
        let r = one("RGANI, f. 5, op. 49, d. 131, ll. 193-194");
        assert_eq!(parts(&r), ("RGANI", Some("5"), Some("49"), None, Some("131"), Some("193-194")));
    }

    #[test]
    fn verso_and_unnumbered_leaves() {
        assert_eq!(one("RGANI, F. 5, Op. 30, D. 1, Ll. 2-2ob.").leaves.as_deref(), Some("2-2ob"));
        assert_eq!(one("TsKhSD, F. 5, Op. 30, D. 1, L. 5ob").leaves.as_deref(), Some("5ob"));
        assert_eq!(one("ГАРФ, Ф. 5446, Оп. 1, Д. 10, Л. 5 об.").leaves.as_deref(), Some("5 об."));
        let r = one("TsKhSD, F. 89, Op. 2, D. 12, unnumbered page.");
        assert_eq!(parts(&r), ("TsKhSD", Some("89"), Some("2"), None, Some("12"), Some("unnumbered page")));
        assert_eq!(one("F. 89, Op. 2, D. 12, unnumbered pages").leaves.as_deref(), Some("unnumbered pages"));
    }

    #[test]
    fn leaves_absent_or_listed() {
        let r = one("GARF, F. 5446, Op. 1, D. 10. The decree");
        assert_eq!(parts(&r), ("GARF", Some("5446"), Some("1"), None, Some("10"), None));
        assert_eq!(r.text, "GARF, F. 5446, Op. 1, D. 10");
        assert_eq!(one("RGASPI, F. 17, Op. 3, D. 1, Ll. 1-3, 5, 7-9.").leaves.as_deref(), Some("1-3, 5, 7-9"));
        let r = one("TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14, compiled by V. N. Malin.");
        assert_eq!(r.leaves.as_deref(), Some("6-14"));
        assert_eq!(r.text, "TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14");
        assert_eq!(one("APRF, F. 3, Op. 64, D. 484, Ll. 25–30").leaves.as_deref(), Some("25–30"));
        // A date after the leaves is not a leaf.
        let r = one("APRF, F. 3, Op. 64, D. 484, Ll. 25-30, 31 October 1956.");
        assert_eq!((r.leaves.as_deref(), r.text.as_str()), (Some("25-30"), "APRF, F. 3, Op. 64, D. 484, Ll. 25-30"));
        assert_eq!(one("GARF, F. 1, D. 2, Ll. 1-3, 5, 7-9 and more").leaves.as_deref(), Some("1-3, 5, 7-9"));
    }

    #[test]
    fn archive_spellings() {
        for arch in
            ["AP RF", "AVP RF", "RGASPI", "TsAMO", "GARF", "RGAE", "RGVA", "TsKhSD", "SAPMO-BArch", "RGANI", "AVPRF"]
        {
            let r = one(&format!("See {arch}, F. 3, Op. 1, D. 2, L. 3."));
            assert_eq!(r.archive, arch);
            assert_eq!(r.text, format!("{arch}, F. 3, Op. 1, D. 2, L. 3"));
        }
    }

    #[test]
    fn archive_optional_and_never_a_lower_case_word() {
        let r = one("see F. 3, Op. 12, D. 1006, Ll. 6-14");
        assert_eq!(parts(&r), ("", Some("3"), Some("12"), None, Some("1006"), Some("6-14")));
        assert_eq!(r.text, "F. 3, Op. 12, D. 1006, Ll. 6-14");
        assert_eq!(one("in F. 3, D. 5").archive, "");
        assert_eq!(one("In F. 3, Op. 1, D. 5").archive, "");
        assert_eq!(one("See also F. R-9401, Op. 2, D. 64, L. 9").fond.as_deref(), Some("R-9401"));
    }

    #[test]
    fn cyrillic_keys() {
        let r = one("РГАНИ, Ф. 3, Оп. 12, Д. 1006, Л. 6–14.");
        assert_eq!(parts(&r), ("РГАНИ", Some("3"), Some("12"), None, Some("1006"), Some("6–14")));
    }

    #[test]
    fn not_references() {
        assert!(find_archival_refs("Op. 12, D. 1006, Ll. 6-14").is_empty());
        assert!(find_archival_refs("F. D. Roosevelt met Cde. Molotov.").is_empty());
        assert!(find_archival_refs("ref. 3, D. 5").is_empty());
        assert!(find_archival_refs("").is_empty());
        assert!(find_archival_refs("the Central Files, the Index Cards, and various aids").is_empty());
        assert!(find_archival_refs("transferred to the National Archives. He was not sure").is_empty());
        assert!(find_archival_refs("papers at the Eisenhower Library, just as did private researchers").is_empty());
        assert!(find_archival_refs("Eisenhower Library, Dulles and/or Herter Papers").is_empty());
        assert!(
            find_archival_refs(
                "A/PV.751, United Nations Digital Library, https://digitallibrary.un.org/record/731480."
            )
            .is_empty()
        );
    }

    #[test]
    fn central_files() {
        let r = one("Source: Department of State, Central Files, 764.00/11–256. Confidential; Priority.");
        assert_eq!(r.archive, "Department of State, Central Files");
        assert_eq!(r.file.as_deref(), Some("764.00/11–256"));
        assert_eq!(r.text, "Department of State, Central Files, 764.00/11–256");
        assert_eq!((r.fond, r.delo, r.leaves), (None, None, None));
        // FRUS 1955–57 XXV, document 162 (the XML wraps the line after "Central").
        let r = one("Source: Department of State, Central\n Files, 661.64/11–456. Official Use Only.");
        assert_eq!(r.archive, "Department of State, Central Files");
        assert_eq!(r.file.as_deref(), Some("661.64/11–456"));
        let r = one("Central Files, 661.64/11–456");
        assert_eq!(r.archive, "Central Files");
        assert_eq!(r.file.as_deref(), Some("661.64/11–456"));
    }

    #[test]
    fn barch() {
        // Wilson Center record 300237 (source column)
        let r = one("BArch, B 136/59748, 403-410. Contributed, transcribed, and translated by Stephan Kieninger.");
        assert_eq!(r.archive, "BArch");
        assert_eq!(r.file.as_deref(), Some("B 136/59748"));
        assert_eq!(r.leaves.as_deref(), Some("403-410"));
        assert_eq!(r.text, "BArch, B 136/59748, 403-410");
    }

    #[test]
    fn national_archives_of_ireland() {
        let r = one(
            "National Archives of Ireland, Department of Foreign Affairs/6/440/8/1. Contributed by Mervyn O'Driscoll.",
        );
        assert_eq!(r.archive, "National Archives of Ireland");
        assert_eq!(r.file.as_deref(), Some("Department of Foreign Affairs/6/440/8/1"));
        let r = one(
            "National Archives of Ireland, Department of Foreign Affairs/5/313/3D, published in \"Documents on Irish Foreign Policy,\" Volume XI",
        );
        assert_eq!(r.file.as_deref(), Some("Department of Foreign Affairs/5/313/3D"));
        let r = one("National Archives of Ireland, Department of Foreign Affairs/5/313/3D, 1958.");
        assert_eq!(
            (r.leaves, r.text.as_str()),
            (None, "National Archives of Ireland, Department of Foreign Affairs/5/313/3D")
        );
        assert_eq!(one("BArch, B 136/59748, 12.").leaves.as_deref(), Some("12"));
    }

    #[test]
    fn boxes_folders_and_lots() {
        let r = one("Dwight D. Eisenhower Library, Box 12, Folder 3.");
        assert_eq!(r.archive, "Dwight D. Eisenhower Library");
        assert_eq!((r.r#box.as_deref(), r.folder.as_deref(), r.file.as_deref()), (Some("12"), Some("3"), None));
        let r = one("Source: National Archives and Records Administration, RG 59, Box 6.");
        assert_eq!(r.archive, "National Archives and Records Administration");
        assert_eq!((r.file.as_deref(), r.r#box.as_deref()), (Some("RG 59"), Some("6")));
        let r = one("Source: Department of State, Conference Files: Lot 64 D 199, CF 800.");
        assert_eq!(r.archive, "Department of State, Conference Files");
        assert_eq!(r.file.as_deref(), Some("Lot 64 D 199"));
        // frus-history 1981-11-13 HAC minutes
        let r = one("Documentation Files,\n 1957-1990 (Lot File 96 D 292), Box 4, 1981—Minutes, Report.");
        assert_eq!(
            (r.archive.as_str(), r.file.as_deref(), r.r#box.as_deref()),
            ("", Some("Lot File 96 D 292"), Some("4"))
        );
        let r = one("The National Archives, FO 371/122378.");
        assert_eq!((r.archive.as_str(), r.file.as_deref()), ("The National Archives", Some("FO 371/122378")));
        let r = one("The Kennedy Library, Box 3");
        assert_eq!((r.archive.as_str(), r.r#box.as_deref()), ("Kennedy Library", Some("3")));
    }

    #[test]
    fn mixed_note() {
        let refs = find_archival_refs(
            "Ibid., TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14; cf. Department of State, Central Files, 764.00/11–256 and BArch, B 136/59748, 403-410.",
        );
        let archives: Vec<&str> = refs.iter().map(|r| r.archive.as_str()).collect();
        assert_eq!(archives, ["TsKhSD", "Department of State, Central Files", "BArch"]);
    }

    #[test]
    fn seed_document_notes() {
        // The Wilson Center record of the 30 October 1956 Presidium session: its
        // citation and notes 2, 3 and 18 hold these references, in this order.
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seed/presidium-1956-10-30.txt");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping: {} is not available", path.display());
            return;
        };
        let found: Vec<String> = find_archival_refs(&text).iter().map(|r| r.text.clone()).collect();
        assert_eq!(
            found,
            [
                "TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14",
                "APRF, F. 3, Op. 64, D. 484, Ll. 25-30",
                "APRF, F. 3, Op. 64, D. 484, L. 41",
                "TsKhSD, F.89, Op.45, D.12, Ll.1-3",
                "AVPRF, F.059a, Op.4, P.6, D.5, Ll.13-14",
                "APRF, F.3, Op.64, D.484, Ll.158-161",
                "APRF, F.3, Op. 64, D.484, Ll. 25-30",
            ]
        );
    }

    #[test]
    fn frus_source_notes() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml");
        let Ok(xml) = std::fs::read_to_string(&path) else {
            eprintln!("skipping: {} is not available", path.display());
            return;
        };
        let refs = find_archival_refs(&xml);
        let files: Vec<(&str, Option<&str>)> = refs.iter().map(|r| (r.archive.as_str(), r.file.as_deref())).collect();
        assert!(files.contains(&("Department of State, Central Files", Some("661.64/11–456"))), "{files:?}");
        assert!(files.contains(&("Department of State, Central Files", Some("764.00/11–456"))), "{files:?}");
        assert!(files.contains(&("Department of State, Hungary Desk Files", Some("Lot 75 D 45"))), "{files:?}");
        assert!(refs.iter().all(|r| r.fond.is_none()));
    }

    #[test]
    fn large_input_is_fast_enough() {
        let unit = "Cde. Khrushchev spoke about the situation in Hungary (see TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14). Это текст. ";
        let text = unit.repeat(20_000); // ~2 MB
        let start = std::time::Instant::now();
        let refs = find_archival_refs(&text);
        assert_eq!(refs.len(), 20_000);
        // Generous bound: linear scanning takes well under a second even unoptimised.
        assert!(start.elapsed().as_secs() < 20);
    }

    fn key(s: &str, upper: bool) -> String {
        if upper { s.to_string() } else { s.to_lowercase() }
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            for r in find_archival_refs(&s) {
                prop_assert!(s.contains(&r.text));
            }
        }

        #[test]
        fn never_panics_on_reference_noise(s in "[FfOpDdLl., 0-9a-zA-Zоб–\\-/]{0,80}") {
            for r in find_archival_refs(&s) {
                prop_assert!(s.contains(&r.text));
                prop_assert!(r.fond.is_some() || r.file.is_some() || r.r#box.is_some());
            }
        }

        #[test]
        fn generated_references_round_trip(
            archive in prop::sample::select(vec!["TsKhSD", "APRF", "AP RF", "AVPRF", "RGANI", "GARF", "SAPMO-BArch", ""]),
            fond in "[0-9]{1,4}[a-z]?",
            opis in "[0-9]{1,3}",
            delo in "[0-9]{1,4}",
            a in 1u32..500,
            len in 0u32..20,
            upper in any::<bool>(),
            space in prop::sample::select(vec!["", " ", "  "]),
            dash in prop::sample::select(vec!["-", "–"]),
            prose in prop::sample::select(vec!["", "in ", "see ", "Cited from "]),
        ) {
            let leaves = if len == 0 { a.to_string() } else { format!("{a}{dash}{}", a + len) };
            let lkey = if len == 0 { "L." } else { "Ll." };
            let arch = if archive.is_empty() { String::new() } else { format!("{archive}, ") };
            let printed = format!(
                "{arch}{}{space}{fond}, {}{space}{opis}, {}{space}{delo}, {}{space}{leaves}",
                key("F.", upper), key("Op.", upper), key("D.", upper), key(lkey, upper)
            );
            let text = format!("{prose}{printed}. The document follows.");
            let refs = find_archival_refs(&text);
            prop_assert_eq!(refs.len(), 1);
            let r = &refs[0];
            prop_assert_eq!(&r.text, &printed);
            prop_assert_eq!(r.archive.as_str(), archive);
            prop_assert_eq!(r.fond.as_deref(), Some(fond.as_str()));
            prop_assert_eq!(r.opis.as_deref(), Some(opis.as_str()));
            prop_assert_eq!(r.papka.as_deref(), None);
            prop_assert_eq!(r.delo.as_deref(), Some(delo.as_str()));
            prop_assert_eq!(r.leaves.as_deref(), Some(leaves.as_str()));
        }
    }
}
