//! Analysis that knows history: how text becomes index terms, identically at index and at
//! query time.
//!
//! Every text goes through one tokenizer ([`tokenize`]) and then through up to three
//! analyzers, each feeding its own index field:
//!
//! **Plain** ([`fold`], fields `title`, `body`, `notes`, `meta`, `section`): lower case;
//! diacritics removed (Kádár → kadar, Gomułka → gomulka, ß → ss, ø → o, æ → ae); Cyrillic
//! transliterated to one Latin scheme (Library of Congress without diacritics: х → kh,
//! ц → ts, ч → ch, ш → sh, щ → shch, ж → zh, ю → yu, я → ya, й → i, ы → y, ё → e, ъ and ь
//! dropped; Ukrainian, Belarusian, Serbian and Macedonian letters too), so Хрущёв → khrushchev
//! and Маленков → malenkov. Positions are kept, so phrase queries are exact on this form.
//!
//! **Stemmed** ([`stem_term`], field `stem`): the Snowball stemmer of the document's language
//! (`language`: English for "en", Russian for "ru", and the other Snowball languages), applied
//! to the lower-cased token *before* folding (the Russian stemmer needs Cyrillic), then folded
//! and prefixed with the language ("en:troop", "ru:rokossovsk"). A query word is stemmed once
//! per language present in the index and matched against that language's documents only, so
//! no stem of one language collides with a word of another. Latin-script tokens of a Russian
//! document are stemmed as English.
//!
//! **Name key** ([`name_key`], from `opis-names`, shared with the people authority; fields `names`, `speaker`, `person`): a phonetic-ish key under
//! which the common Latin spellings of a Russian (or Polish, Hungarian …) name meet. Applied
//! to speakers, persons, participants, authors and every capitalised word of the text; at
//! query time to every query word. The rules, in order:
//! 1. Lower case; ż ž → zh, š → sh, č → ch (the letters whose plain fold would lose a sound);
//!    then the plain fold (diacritics, Cyrillic transliteration as above).
//! 2. Consonant clusters, longest first, left to right, into two classes — `S` (the hushing
//!    sibilants ш ж щ in every spelling) and `K` (х and ч in every spelling):
//!    schtsch, shtch, chtch, shch, szcz, sch, zh, sh, sz → `S`;
//!    tsch, tch, cz, kh, ch → `K`; then ts, tz → c; ck → k; x → ks; ph → f; w → v; ou → u.
//! 3. After a consonant, yo / jo / io / ye / je / ie → e (ё and е after a consonant:
//!    Khrushchyov, Fjodor, Wasiljew, Breżniew), and after `S` or `K`, o → e
//!    (Chruschtschow, Gorbatschow, Khrushchov → the e of Khrushchev).
//! 4. y and j → i (Yudin = Judin, -sky = -ski = -skii = -skij).
//! 5. Runs of one letter collapse (ss → s, ii → i: Rokossovskii = Rokossovsky).
//! 6. A final f → v (Malenkoff = Malenkov).
//!
//! So Rokossowski, Rokossovsky, Rokossovskii, Rokossovskiy and Рокоссовский all give
//! `rokosovski`; Khrushchev, Khrushchov, Хрущёв, Chruschtschow and Chruszczow give `KruSev`;
//! Zhukov, Жуков, Schukow and Żukow give `Sukov`. The key is deliberately lossy (ж and ш
//! meet, as they do in German spelling); it is searched beside the plain form with a lower
//! weight, so an exact spelling still ranks first. Not handled: Russian case endings
//! (Вышинского is not Вышинский), French spellings (Joukov), German z for ц (Zwetajewa).
//!
//! Archival references are normalised by [`archive_keys`]: see its documentation.

use std::borrow::Cow;

use opis_model::ArchivalRef;

pub use opis_names::{
    Tok, fold, fold_into, for_each_token, is_cyrillic, name_key, name_key_initial, name_keys, tokenize,
};

/// Languages with a Snowball stemmer, by ISO 639-1 code.
pub fn stemmer_for(lang: &str) -> Option<rust_stemmers::Algorithm> {
    use rust_stemmers::Algorithm as A;
    Some(match lang {
        "en" => A::English,
        "ru" => A::Russian,
        "de" => A::German,
        "fr" => A::French,
        "es" => A::Spanish,
        "it" => A::Italian,
        "pt" => A::Portuguese,
        "nl" => A::Dutch,
        "sv" => A::Swedish,
        "da" => A::Danish,
        "no" | "nb" | "nn" => A::Norwegian,
        "fi" => A::Finnish,
        "hu" => A::Hungarian,
        "ro" => A::Romanian,
        "tr" => A::Turkish,
        "el" => A::Greek,
        "ar" => A::Arabic,
        "ta" => A::Tamil,
        _ => return None,
    })
}

/// Stemmers for the languages of one index, created once.
pub struct Stemmers {
    english: rust_stemmers::Stemmer,
    others: Vec<(String, rust_stemmers::Stemmer)>,
}

impl Default for Stemmers {
    fn default() -> Self {
        Stemmers { english: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English), others: Vec::new() }
    }
}

impl Stemmers {
    fn get(&mut self, lang: &str) -> Option<&rust_stemmers::Stemmer> {
        if lang == "en" {
            return Some(&self.english);
        }
        let algorithm = stemmer_for(lang)?;
        let pos = match self.others.iter().position(|(l, _)| l == lang) {
            Some(pos) => pos,
            None => {
                self.others.push((lang.to_owned(), rust_stemmers::Stemmer::create(algorithm)));
                self.others.len() - 1
            }
        };
        Some(&self.others[pos].1)
    }

    /// The stem term of `token` for a document in `lang` ("en:troop"), or `None` when the
    /// language has no stemmer. Latin-script tokens of a Russian document are stemmed as English.
    pub fn stem_term(&mut self, lang: &str, token: &str) -> Option<String> {
        let lower = token.to_lowercase();
        let stemmed: Cow<'_, str> =
            if lang == "ru" && !is_cyrillic(&lower) { self.english.stem(&lower) } else { self.get(lang)?.stem(&lower) };
        let folded = fold(&stemmed);
        if folded.is_empty() {
            return None;
        }
        Some(format!("{lang}:{folded}"))
    }
}

/// Convenience for one-off use: the stem term of `token` in `lang`.
pub fn stem_term(lang: &str, token: &str) -> Option<String> {
    Stemmers::default().stem_term(lang, token)
}

/// Normalises a value of a keyword field (kind, language, collection): folded words joined
/// by "-" ("Editorial Note" → "editorial-note", "Wilson Center" → "wilson-center").
pub fn keyword(value: &str) -> String {
    let words: Vec<String> = tokenize(value).iter().map(|t| fold(t.text)).filter(|w| !w.is_empty()).collect();
    words.join("-")
}

/// The parts of an archival reference that its keys are built from, each normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefParts {
    pub archive: Option<String>,
    pub fond: Option<String>,
    pub opis: Option<String>,
    pub papka: Option<String>,
    pub delo: Option<String>,
    pub leaves: Option<String>,
    /// A western file designation, box or folder ("764.00/11-256").
    pub file: Option<String>,
    pub r#box: Option<String>,
    pub folder: Option<String>,
}

/// Normalises one part value: folded, spaces dropped, dots dropped except between digits
/// ("764.00"), every dash a hyphen.
pub fn norm_part(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '-' | '‐' | '‑' | '‒' | '–' | '—' | '−' => out.push('-'),
            '/' | ',' => out.push(c),
            '.' => {
                let digits_around =
                    i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
                if digits_around {
                    out.push('.');
                }
            }
            _ if c.is_whitespace() => {}
            _ => fold_into(c.encode_utf8(&mut [0; 4]), false, &mut out),
        }
    }
    out.trim_matches(|c| c == ',' || c == '-').to_owned()
}

fn opt(value: &Option<String>) -> Option<String> {
    value.as_deref().map(norm_part).filter(|v| !v.is_empty())
}

impl RefParts {
    /// The normalised parts of a reference parsed by the readers.
    pub fn from_ref(r: &ArchivalRef) -> RefParts {
        RefParts {
            archive: Some(norm_part(&r.archive)).filter(|a| !a.is_empty()),
            fond: opt(&r.fond),
            opis: opt(&r.opis),
            papka: opt(&r.papka),
            delo: opt(&r.delo),
            leaves: opt(&r.leaves),
            file: opt(&r.file),
            r#box: opt(&r.r#box),
            folder: opt(&r.folder),
        }
    }

    /// The Soviet-style chain of this reference: fond, opis, papka, delo, leaves as
    /// (label, value) pairs, present parts only.
    fn chain(&self) -> Vec<(&'static str, &str)> {
        let mut chain = Vec::new();
        for (label, v) in [
            ("f", &self.fond),
            ("op", &self.opis),
            ("p", &self.papka),
            ("d", &self.delo),
            ("l", &self.leaves),
            ("file", &self.file),
            ("box", &self.r#box),
            ("folder", &self.folder),
        ] {
            if let Some(v) = v {
                chain.push((label, v.as_str()));
            }
        }
        chain
    }

    /// The one key a query reference is looked up by: its present parts in canonical order,
    /// prefixed by its archive when it names one ("tskhsd|f3|op12|d1006", "f3|op12").
    pub fn query_key(&self) -> Option<String> {
        let chain: Vec<String> = self.chain().iter().map(|(l, v)| format!("{l}{v}")).collect();
        match (&self.archive, chain.is_empty()) {
            (None, true) => None,
            (Some(a), true) => Some(a.clone()),
            (None, false) => Some(chain.join("|")),
            (Some(a), false) => Some(format!("{a}|{}", chain.join("|"))),
        }
    }
}

/// The index terms of one archival reference.
///
/// A query reference matches a document reference when every part the query names is equal
/// (after [`norm_part`]: case, spacing and dots do not matter, "F.3" = "f. 3" = "F. 3") and the
/// query's parts form a prefix of the reference's chain fond → opis → papka → delo → leaves
/// in which papka and leaves may be skipped. So "F. 3, Op. 12" and "F. 3, Op. 12, D. 1006"
/// and "TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14" all match "TsKhSD, F. 3, Op. 12, D. 1006,
/// Ll. 6-14", with or without the archive. A western reference is keyed by its archive, its
/// file designation ("764.00/11-256"), box and folder; an archive name with commas is also
/// keyed by each of its parts ("Central Files"). Every key is generated here, at index
/// time, so a query is one term lookup.
pub fn archive_keys(r: &RefParts) -> Vec<String> {
    let mut keys = Vec::new();
    let chain = r.chain();
    // Every prefix of the chain, with each optional part (papka, leaves) kept or skipped.
    let mut prefixes: Vec<Vec<String>> = vec![Vec::new()];
    let mut all: Vec<Vec<String>> = Vec::new();
    for (label, value) in &chain {
        let part = format!("{label}{value}");
        let optional = matches!(*label, "p" | "l" | "box" | "folder");
        let mut next = Vec::new();
        for p in &prefixes {
            let mut with = p.clone();
            with.push(part.clone());
            next.push(with);
            if optional {
                next.push(p.clone());
            }
        }
        prefixes = next;
        prefixes.sort();
        prefixes.dedup();
        prefixes.truncate(64);
        all.extend(prefixes.iter().cloned());
    }
    all.sort();
    all.dedup();
    // The archive's name, and each comma-separated part of it ("Department of State, Central
    // Files" is also "Central Files").
    let mut archives: Vec<String> = Vec::new();
    if let Some(a) = &r.archive {
        archives.push(a.clone());
        let pieces: Vec<&str> = a.split(',').filter(|p| !p.is_empty()).collect();
        if pieces.len() > 1 {
            archives.extend(pieces.iter().take(8).map(|p| (*p).to_owned()));
        }
    }
    for p in all.iter().filter(|p| !p.is_empty()) {
        let joined = p.join("|");
        for a in &archives {
            keys.push(format!("{a}|{joined}"));
        }
        keys.push(joined);
    }
    keys.extend(archives);
    keys.sort();
    keys.dedup();
    keys
}

/// Parses an archival reference typed in a query: "F. 3, Op. 12, D. 1006",
/// "TsKhSD, f.3, op.12, d.1006, ll. 6-14", "Ф. 3, оп. 12", "APRF", "764.00/11-256".
///
/// Parts are recognised by their keys (F./Fond/Ф., Op./Opis/Оп., P./Papka/П., D./Delo/Д.,
/// L./Ll./Л./Лл., Box, Folder, File); text before the first key is the archive. A value
/// with no key at all is taken as an archive name when it has letters and no digits, else
/// as a file designation.
pub fn parse_query_ref(text: &str) -> RefParts {
    let mut parts = RefParts::default();
    // Split into (key, value) by scanning for keys at word starts.
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut i = 0;
    let mut archive = String::new();
    let mut found_key = false;
    while i < n {
        let at_word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if at_word_start && let Some((label, len)) = ref_key_at(&chars[i..]) {
            found_key = true;
            // The value runs to the next key.
            let mut j = i + len;
            let value_start = j;
            while j < n {
                let ws = !chars[j - 1].is_alphanumeric();
                if ws && ref_key_at(&chars[j..]).is_some() {
                    break;
                }
                j += 1;
            }
            let value: String = chars[value_start..j].iter().collect();
            let value = norm_part(&value);
            if !value.is_empty() {
                let slot = match label {
                    "f" => &mut parts.fond,
                    "op" => &mut parts.opis,
                    "p" => &mut parts.papka,
                    "d" => &mut parts.delo,
                    "l" => &mut parts.leaves,
                    "box" => &mut parts.r#box,
                    "folder" => &mut parts.folder,
                    _ => &mut parts.file,
                };
                *slot = Some(value);
            }
            i = j;
            continue;
        }
        if !found_key {
            archive.push(chars[i]);
        }
        i += 1;
    }
    if found_key {
        let archive = norm_part(&archive);
        if !archive.is_empty() {
            parts.archive = Some(archive);
        }
    } else {
        // No keys: comma-separated pieces; those with digits are the file designation.
        let (mut names, mut files) = (Vec::new(), Vec::new());
        for piece in archive.split(',') {
            let n = norm_part(piece);
            if n.is_empty() {
                continue;
            }
            if n.chars().any(|c| c.is_ascii_digit()) { files.push(n) } else { names.push(n) }
        }
        if !names.is_empty() {
            parts.archive = Some(names.join(","));
        }
        if !files.is_empty() {
            parts.file = Some(files.join(","));
        }
    }
    parts
}

/// A reference key at the start of `s` ("F.", "Op ", "Ll.", "Ф.") with its length in chars.
fn ref_key_at(s: &[char]) -> Option<(&'static str, usize)> {
    const KEYS: &[(&str, &str)] = &[
        ("fond", "f"),
        ("folder", "folder"),
        ("file", "file"),
        ("opis'", "op"),
        ("opis", "op"),
        ("papka", "p"),
        ("delo", "d"),
        ("listy", "l"),
        ("list", "l"),
        ("box", "box"),
        ("ll", "l"),
        ("op", "op"),
        ("f", "f"),
        ("p", "p"),
        ("d", "d"),
        ("l", "l"),
        ("фонд", "f"),
        ("опись", "op"),
        ("папка", "p"),
        ("дело", "d"),
        ("лл", "l"),
        ("оп", "op"),
        ("ф", "f"),
        ("п", "p"),
        ("д", "d"),
        ("л", "l"),
    ];
    for (key, label) in KEYS {
        let k: Vec<char> = key.chars().collect();
        if s.len() < k.len() {
            continue;
        }
        let matches = s.iter().zip(&k).all(|(a, b)| a.to_lowercase().eq(std::iter::once(*b)));
        if !matches {
            continue;
        }
        // After the key: a dot, or whitespace followed by a digit, or a digit directly.
        let rest = &s[k.len()..];
        let ok = match rest.first() {
            Some('.') => true,
            Some(c) if c.is_ascii_digit() => key.chars().count() <= 2,
            Some(c) if c.is_whitespace() => {
                rest.iter().find(|c| !c.is_whitespace()).is_some_and(|c| c.is_ascii_digit())
            }
            _ => false,
        };
        if ok {
            let len = if rest.first() == Some(&'.') { k.len() + 1 } else { k.len() };
            return Some((label, len));
        }
    }
    None
}

/// The facet path of a reference for the archive → fond → opis → delo hierarchy, printed
/// as the source prints such references ("TsKhSD", "F. 3", "Op. 12", "D. 1006"); western
/// references give archive → file.
pub fn archive_facet_path(r: &ArchivalRef) -> Vec<String> {
    let mut path = Vec::new();
    let archive = r.archive.trim();
    if archive.is_empty() {
        return path;
    }
    path.push(archive.to_owned());
    let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    if let Some(f) = clean(&r.fond) {
        path.push(format!("F. {f}"));
        if let Some(o) = clean(&r.opis) {
            path.push(format!("Op. {o}"));
        }
        if let Some(d) = clean(&r.delo) {
            path.push(format!("D. {d}"));
        }
    } else if let Some(file) = clean(&r.file) {
        path.push(file);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use opis_names::{MAX_TOKEN_CHARS, is_apostrophe, is_word_char};

    fn keys_of(s: &str) -> Vec<String> {
        tokenize(s).iter().map(|t| name_key(t.text)).collect()
    }

    #[test]
    fn folding_meets_diacritics_and_cyrillic() {
        assert_eq!(fold("Kádár"), "kadar");
        assert_eq!(fold("Gomułka"), "gomulka");
        assert_eq!(fold("Хрущёв"), "khrushchev");
        assert_eq!(fold("Маленков"), "malenkov");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Ka\u{301}da\u{301}r"), "kadar");
    }

    #[test]
    fn name_keys_meet_across_spellings() {
        for group in [
            &["Rokossowski", "Rokossovsky", "Rokossovskii", "Rokossovskiy", "Рокоссовский", "Rokossowskij"][..],
            &["Khrushchev", "Хрущёв", "Khrushchov", "Chruschtschow", "Chruszczow", "Khrushchyov", "Хрущев"],
            &["Malenkov", "Маленков", "Malenkow", "Malenkoff"],
            &["Zhukov", "Жуков", "Schukow", "Żukow"],
            &["Brezhnev", "Брежнев", "Breschnew", "Breżniew"],
            &["Vyshinsky", "Вышинский", "Wyschinski"],
            &["Kaganovich", "Каганович", "Kaganowitsch", "Kaganowicz"],
            &["Gomułka", "Gomulka"],
            &["Kádár", "Kadar"],
        ] {
            let keys: Vec<String> = group.iter().map(|n| name_key(n)).collect();
            assert!(keys.iter().all(|k| *k == keys[0]), "{group:?} gave {keys:?}");
        }
        assert_ne!(name_key("Molotov"), name_key("Malenkov"));
        for (inflected, latin) in [
            ("Молотову", "Molotov"),
            ("Вышинского", "Vyshinsky"),
            ("Сталиным", "Stalin"),
            ("Швернику", "Shvernik"),
            ("Фурцевой", "Furtseva"),
        ] {
            assert!(
                name_keys(inflected).contains(&name_key(latin)),
                "{inflected} {:?} vs {latin}",
                name_keys(inflected)
            );
        }
        assert_eq!(keys_of("Liu Shaoqi"), vec!["liu", "Saoqi"]);
    }

    /// The tokenizer as it was written first (two passes over collected spans).
    fn reference_tokenize(text: &str) -> Vec<Tok<'_>> {
        let mut out = Vec::new();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut start: Option<usize> = None;
        for (i, c) in text.char_indices() {
            if is_word_char(c) {
                if start.is_none() {
                    start = Some(i);
                }
            } else if let Some(s) = start.take() {
                spans.push((s, i));
            }
        }
        if let Some(s) = start {
            spans.push((s, text.len()));
        }
        // Join across apostrophes.
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (s, e) in spans {
            if let Some(last) = merged.last_mut() {
                let gap = &text[last.1..s];
                let mut gap_chars = gap.chars();
                let single_apostrophe =
                    matches!((gap_chars.next(), gap_chars.next()), (Some(c), None) if is_apostrophe(c));
                if single_apostrophe && text[last.0..last.1].chars().count() >= 2 && text[s..e].chars().count() >= 3 {
                    last.1 = e;
                    continue;
                }
            }
            merged.push((s, e));
        }
        for (position, (s, e)) in merged.into_iter().enumerate() {
            let mut end = e;
            if let Some((i, _)) = text[s..e].char_indices().nth(MAX_TOKEN_CHARS) {
                end = s + i;
            }
            out.push(Tok { text: &text[s..end], start: s, end, position: position as u32 });
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn streaming_tokenizer_matches_the_reference(text in "([a-zA-Zа-яё0-9'’ʼ`\u{301}ß., -]{0,12}|[a-z]{60,70}){0,8}") {
            proptest::prop_assert_eq!(tokenize(&text), reference_tokenize(&text));
        }
    }

    #[test]
    fn tokenizer_joins_soft_sign_apostrophes_only() {
        let t: Vec<&str> = tokenize("Nagy's dal'neishem don't l'Europe").iter().map(|t| t.text).collect();
        assert_eq!(t, vec!["Nagy", "s", "dal'neishem", "don", "t", "l", "Europe"]);
        assert_eq!(fold("dal'neishem"), fold("дальнейшем"));
    }

    #[test]
    fn stems_are_per_language() {
        assert_eq!(stem_term("en", "troops").as_deref(), Some("en:troop"));
        assert_eq!(stem_term("ru", "войска"), stem_term("ru", "войск"));
        assert_eq!(stem_term("xx", "troops"), None);
    }

    #[test]
    fn archival_references_match_as_a_unit() {
        let r = ArchivalRef {
            text: "TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14".into(),
            archive: "TsKhSD".into(),
            fond: Some("3".into()),
            opis: Some("12".into()),
            delo: Some("1006".into()),
            leaves: Some("6-14".into()),
            ..Default::default()
        };
        let keys = archive_keys(&RefParts::from_ref(&r));
        for q in [
            "F. 3, Op. 12, D. 1006",
            "F.3, Op.12, D.1006",
            "f. 3, op. 12, d. 1006",
            "TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6–14",
            "F. 3, Op. 12",
            "Ф. 3, Оп. 12, Д. 1006",
            "TsKhSD",
        ] {
            let key = parse_query_ref(q).query_key().unwrap();
            assert!(keys.contains(&key), "{q} → {key} not in {keys:?}");
        }
        for q in ["F. 3, Op. 64", "F. 3, Op. 12, D. 1007", "APRF, F. 3, Op. 12"] {
            let key = parse_query_ref(q).query_key().unwrap();
            assert!(!keys.contains(&key), "{q} matched");
        }
        let p = parse_query_ref("AVPRF, F.059a, Op.4, P.6, D.5, Ll.13-14");
        assert_eq!(p.papka.as_deref(), Some("6"));
        assert_eq!(p.fond.as_deref(), Some("059a"));
        assert_eq!(parse_query_ref("764.00/11–256").file.as_deref(), Some("764.00/11-256"));
    }
}
