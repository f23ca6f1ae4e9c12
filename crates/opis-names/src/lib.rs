//! Name keys: how a person's name, in whatever spelling or script, becomes the terms under
//! which its spellings meet. Shared by the search index (`opis-index`, fields `names`,
//! `speaker`, `person`) and the people authority (`opis-formats::extract::authority`), so a
//! query and the authority agree on which spellings are one name.
//!
//! **Tokens** ([`tokenize`]): maximal runs of letters, digits and combining marks.
//!
//! **Plain fold** ([`fold`]): lower case; diacritics removed (Kádár → kadar, Gomułka → gomulka,
//! ß → ss, ø → o, æ → ae); Cyrillic transliterated to one Latin scheme (Library of Congress
//! without diacritics: х → kh, ц → ts, ч → ch, ш → sh, щ → shch, ж → zh, ю → yu, я → ya,
//! й → i, ы → y, ё → e, ъ and ь dropped; Ukrainian, Belarusian, Serbian and Macedonian letters
//! too), so Хрущёв → khrushchev and Маленков → malenkov.
//!
//! **Name key** ([`name_key`]): a phonetic-ish key under which the common Latin spellings of a
//! Russian (or Polish, Hungarian …) name meet. The rules, in order:
//! 0. ISO 9 and the scholarly transliteration: ŝ → shch; â, û → ya, yu (at the start, after a
//!    vowel, or in a marked word); in a word marked by č š ž ŝ ë ʹ ʺ, h and x (х) → kh
//!    (Hruŝëv, Xruščëv = Khrushchev). An unmarked ISO 9 word with h (Mihail) is not caught.
//! 1. Lower case; ż ž → zh, š → sh, č → ch (the letters whose plain fold would lose a sound);
//!    then the plain fold (diacritics, Cyrillic transliteration as above).
//! 2. Consonant clusters, longest first, left to right, into two classes — `S` (the hushing
//!    sibilants ш ж щ in every spelling) and `K` (х and ч in every spelling):
//!    schtsch, shtch, chtch, shch, szcz, sch, zh, sh, sz → `S`;
//!    tsch, tch, cz, kh, ch → `K`; then ts, tz → c; ck → k; x → ks; ph → f; w → v; ou → u.
//! 3. After a consonant, yo / jo / io / ye / je / ie → e (ё and е after a consonant:
//!    Khrushchyov, Fjodor, Wasiljew, Breżniew); after a vowel, ye / je / ie → e (Andreyev,
//!    Andrejew, Andreev; Tsvetayeva, Tsvetaeva); and after `S` or `K`, o → e
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

/// Longest token kept, in characters; longer runs of letters are cut (they are never words).
pub const MAX_TOKEN_CHARS: usize = 64;

/// One token of a text: a run of letters and digits, with its byte range and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok<'a> {
    /// The token as it stands in the text (apostrophes inside kept, see [`tokenize`]).
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
    /// 0-based position among the tokens of the text.
    pub position: u32,
}

impl Tok<'_> {
    /// True when the token starts with an upper-case letter (a candidate name).
    pub fn is_capitalized(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_uppercase)
    }
}

pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining(c)
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}')
}

pub fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | 'ʹ' | '`')
}

/// Splits `text` into tokens: maximal runs of letters, digits and combining marks.
///
/// An apostrophe between letters joins the two parts when both have at least two letters
/// and the second at least three (transliterated soft signs: "dal'neishem", "Gol'dman");
/// otherwise it splits ("Nagy's" → "Nagy" "s", "don't" → "don" "t", "l'Europe" → "l"
/// "Europe").
pub fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::with_capacity(text.len() / 6 + 1);
    for_each_token(text, |t| out.push(t));
    out
}

/// Maximal runs of word characters, as byte ranges.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let mut start = None;
        while i < bytes.len() {
            let b = bytes[i];
            let (word, len) = if b.is_ascii() {
                (b.is_ascii_alphanumeric(), 1)
            } else {
                let c = text[i..].chars().next().unwrap_or(' ');
                (is_word_char(c), c.len_utf8())
            };
            match (word, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => return Some((s, i)),
                _ => {}
            }
            i += len;
        }
        start.map(|s| (s, bytes.len()))
    })
}

/// [`tokenize`], one token at a time.
pub fn for_each_token<'a>(text: &'a str, mut f: impl FnMut(Tok<'a>)) {
    let mut position = 0u32;
    let mut emit = |s: usize, e: usize| {
        let mut end = e;
        if e - s > MAX_TOKEN_CHARS
            && let Some((i, _)) = text[s..e].char_indices().nth(MAX_TOKEN_CHARS)
        {
            end = s + i;
        }
        f(Tok { text: &text[s..end], start: s, end, position });
        position += 1;
    };
    // Join across apostrophes.
    let mut pending: Option<(usize, usize)> = None;
    for (s, e) in word_spans(text) {
        if let Some(last) = pending.as_mut() {
            let gap = &text[last.1..s];
            let mut gap_chars = gap.chars();
            let single_apostrophe = matches!((gap_chars.next(), gap_chars.next()), (Some(c), None) if is_apostrophe(c));
            if single_apostrophe && text[last.0..last.1].chars().count() >= 2 && text[s..e].chars().count() >= 3 {
                last.1 = e;
                continue;
            }
            emit(last.0, last.1);
        }
        pending = Some((s, e));
    }
    if let Some((s, e)) = pending {
        emit(s, e);
    }
}

/// The plain fold of one token: lower case, no diacritics, Cyrillic in Latin letters, only
/// ASCII letters and digits kept (other scripts are kept as they are, lower-cased).
pub fn fold(token: &str) -> String {
    fold_with(token, false)
}

fn fold_with(token: &str, for_names: bool) -> String {
    let mut out = String::with_capacity(token.len());
    fold_into(token, for_names, &mut out);
    out
}

/// [`fold`] (or the name fold) appended to `out`.
pub fn fold_into(token: &str, for_names: bool, out: &mut String) {
    for c in token.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            }
            continue;
        }
        for l in c.to_lowercase() {
            fold_char(l, for_names, out);
        }
    }
}

fn fold_char(c: char, for_names: bool, out: &mut String) {
    if c.is_ascii() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        }
        return;
    }
    if is_combining(c) || is_apostrophe(c) {
        return;
    }
    if for_names {
        let special = match c {
            'ż' | 'ž' => Some("zh"),
            'š' => Some("sh"),
            'č' => Some("ch"),
            _ => None,
        };
        if let Some(s) = special {
            out.push_str(s);
            return;
        }
    }
    if let Some(s) = cyrillic(c) {
        out.push_str(s);
        return;
    }
    let latin_or_greek = matches!(c, '\u{00A0}'..='\u{02AF}' | '\u{0370}'..='\u{03FF}' | '\u{1E00}'..='\u{1FFF}');
    if latin_or_greek && let Some(s) = deunicode::deunicode_char(c) {
        let mut any = false;
        for b in s.chars().filter(char::is_ascii_alphanumeric) {
            out.push(b.to_ascii_lowercase());
            any = true;
        }
        if any || !c.is_alphanumeric() {
            return;
        }
    }
    if c.is_alphanumeric() {
        out.push(c);
    }
}

/// Cyrillic (lower case) to Latin: Library of Congress without diacritics.
fn cyrillic(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' | 'є' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'й' | 'і' | 'ї' => "i",
        'к' | 'ќ' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' | 'ў' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        'ґ' | 'ѓ' => "g",
        'ђ' => "dj",
        'ј' => "j",
        'љ' => "lj",
        'њ' => "nj",
        'ћ' => "c",
        'џ' | 'ѕ' => "dz",
        _ => return None,
    })
}

/// True when the token holds a Cyrillic letter.
pub fn is_cyrillic(token: &str) -> bool {
    token.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}'))
}

/// Consonant clusters of rule 2, longest first within each starting letter.
const CLUSTERS: &[(&str, &str)] = &[
    ("schtsch", "S"),
    ("shtch", "S"),
    ("chtch", "S"),
    ("shch", "S"),
    ("szcz", "S"),
    ("tsch", "K"),
    ("sch", "S"),
    ("tch", "K"),
    ("zh", "S"),
    ("sh", "S"),
    ("sz", "S"),
    ("cz", "K"),
    ("kh", "K"),
    ("ch", "K"),
    ("ts", "c"),
    ("tz", "c"),
    ("ck", "k"),
    ("ph", "f"),
    ("ou", "u"),
    ("x", "ks"),
    ("w", "v"),
];

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// Letters that mark a Latin token as ISO 9 or the scholarly transliteration of Cyrillic.
fn is_slavic_mark(c: char) -> bool {
    matches!(c, 'č' | 'š' | 'ž' | 'ŝ' | 'ë' | 'ʹ' | 'ʺ')
}

/// Rule 0: an ISO 9 or scholarly spelling rewritten with the letters the other rules know
/// (`None` when there is nothing to rewrite): ŝ (ISO 9 щ) → shch; â, û (ISO 9 я, ю) → ya, yu
/// at the start of a word, after a vowel, or in a marked word; and in a word marked as such a
/// transliteration (č š ž ŝ ë ʹ ʺ), h (ISO 9 х, not in a digraph) and x (scholarly х) → kh.
/// Unmarked words keep h and x (Hammer, Alexander) and their â and û after a consonant
/// (Turkish Kâzım, French Brûlé).
fn slavic_romanization(token: &str) -> Option<String> {
    if token.is_ascii() {
        return None;
    }
    let lower = token.to_lowercase();
    let marked = lower.chars().any(is_slavic_mark);
    if !marked && !lower.contains(['â', 'û']) {
        return None;
    }
    let mut out = String::with_capacity(lower.len() + 4);
    let mut prev: Option<char> = None;
    for c in lower.chars() {
        let after_vowel = prev.is_none_or(|p| matches!(p, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'ë' | 'â' | 'û'));
        match c {
            'ŝ' => out.push_str("shch"),
            'â' if after_vowel || marked => out.push_str("ya"),
            'û' if after_vowel || marked => out.push_str("yu"),
            'h' if marked && !matches!(prev, Some('c' | 's' | 'z' | 'k' | 'g' | 't' | 'p')) => out.push_str("kh"),
            'x' if marked => out.push_str("kh"),
            _ => out.push(c),
        }
        prev = Some(c);
    }
    Some(out)
}

/// What [`name_key`]'s rules start from: the token romanized where it shows a Slavic
/// romanization, folded for names; `None` when the key is that fold itself (empty, not ASCII,
/// or digits).
fn name_fold(token: &str) -> Result<String, String> {
    let rewritten = slavic_romanization(token);
    let folded = fold_with(rewritten.as_deref().unwrap_or(token), true);
    if folded.is_empty() || !folded.is_ascii() || folded.bytes().all(|b| b.is_ascii_digit()) {
        return Err(folded);
    }
    Ok(folded)
}

/// The first letter of [`name_key`]`(token)`, found without making the key: a caller that
/// compares the keys of many tokens with a few known keys can pass over the tokens whose key
/// cannot begin as any of those does. Only the first cluster rule can change the first letter
/// (and y, j → i); the later rules look back at a letter before, or change the last one.
pub fn name_key_initial(token: &str) -> Option<char> {
    let folded = match name_fold(token) {
        Ok(folded) => folded,
        Err(key) => return key.chars().next(),
    };
    let first = match CLUSTERS.iter().find(|(from, _)| folded.starts_with(from)) {
        Some((_, to)) => to.chars().next()?,
        None => folded.chars().next()?,
    };
    Some(if matches!(first, 'y' | 'j') { 'i' } else { first })
}

/// The name key of one token (see the module documentation for the rules).
pub fn name_key(token: &str) -> String {
    let folded = match name_fold(token) {
        Ok(folded) => folded,
        Err(key) => return key,
    };
    // Rule 2: clusters.
    let bytes = folded.as_bytes();
    let mut s = String::with_capacity(folded.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        for (from, to) in CLUSTERS {
            if bytes[i..].starts_with(from.as_bytes()) {
                s.push_str(to);
                i += from.len();
                continue 'outer;
            }
        }
        s.push(bytes[i] as char);
        i += 1;
    }
    // Rule 3: ё/е after a consonant; o after S or K.
    let chars: Vec<char> = s.chars().collect();
    let mut t: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = t.last().copied();
        let after_consonant = prev.is_some_and(|p| p.is_ascii_alphabetic() && !is_vowel(p));
        if after_consonant
            && matches!(c, 'y' | 'j' | 'i')
            && matches!(chars.get(i + 1), Some('o') | Some('e'))
            && !(c == 'i' && chars.get(i + 1) == Some(&'o') && i + 2 == chars.len())
        {
            t.push('e');
            i += 2;
            continue;
        }
        // е after a vowel: ye, je, ie → e (Andreyev, Andrejew = Andreev; Tsvetayeva = Tsvetaeva).
        let after_vowel = prev.is_some_and(is_vowel);
        if after_vowel && matches!(c, 'y' | 'j' | 'i') && chars.get(i + 1) == Some(&'e') {
            t.push('e');
            i += 2;
            continue;
        }
        if c == 'o' && matches!(prev, Some('S') | Some('K')) {
            t.push('e');
            i += 1;
            continue;
        }
        t.push(c);
        i += 1;
    }
    // Rule 4: y, j → i. Rule 5: collapse runs.
    let mut key = String::with_capacity(t.len());
    let mut last: Option<char> = None;
    for c in t {
        let c = if matches!(c, 'y' | 'j') { 'i' } else { c };
        if last == Some(c) {
            continue;
        }
        key.push(c);
        last = Some(c);
    }
    // Rule 6: a final f → v.
    if key.len() > 2 && key.ends_with('f') {
        key.pop();
        key.push('v');
    }
    key
}

/// The name keys of one token: its [`name_key`], and for a Cyrillic word also the keys of its
/// likely nominative forms, so that the oblique cases of Russian surnames meet their Latin
/// spelling (Молотову, Молотова, Молотовым → Молотов; Вышинского, Вышинскому → Вышинский;
/// Сталиным → Сталин; Шверником → Шверник; Фурцевой → Фурцева). The first key is the
/// token's own; all are indexed at the token's position.
pub fn name_keys(token: &str) -> Vec<String> {
    let mut keys = vec![name_key(token)];
    if is_cyrillic(token) {
        for form in russian_nominatives(&token.to_lowercase()) {
            let k = name_key(&form);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

fn is_cyrillic_consonant(c: char) -> bool {
    matches!(
        c,
        'б' | 'в'
            | 'г'
            | 'д'
            | 'ж'
            | 'з'
            | 'й'
            | 'к'
            | 'л'
            | 'м'
            | 'н'
            | 'п'
            | 'р'
            | 'с'
            | 'т'
            | 'ф'
            | 'х'
            | 'ц'
            | 'ч'
            | 'ш'
            | 'щ'
    )
}

/// Likely nominative forms of an inflected Russian (sur)name, lower case.
fn russian_nominatives(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let mut out = Vec::new();
    let stem = |cut: usize| -> Option<String> { (n > cut + 2).then(|| chars[..n - cut].iter().collect()) };
    let ends = |suffix: &str| word.ends_with(suffix);
    // Adjectival surnames: -ского/-скому/-ским/-ском → -ский; -ого/-ому → -ий, -ой.
    for (suffix, cut) in [("ого", 3), ("его", 3), ("ому", 3), ("ему", 3)] {
        if ends(suffix)
            && let Some(s) = stem(cut)
        {
            out.push(format!("{s}ий"));
            out.push(format!("{s}ой"));
        }
    }
    for (suffix, cut) in [("ым", 2), ("им", 2), ("ом", 2), ("ем", 2)] {
        if ends(suffix)
            && let Some(s) = stem(cut)
        {
            if s.chars().last().is_some_and(is_cyrillic_consonant) {
                out.push(s.clone());
            }
            if suffix == "им" || suffix == "ом" {
                out.push(format!("{s}ий"));
            }
        }
    }
    // Noun-like surnames (-ов, -ин, consonant stems): -а, -у, -е → stem.
    for suffix in ["а", "у", "е"] {
        if ends(suffix)
            && let Some(s) = stem(1)
            && s.chars().last().is_some_and(is_cyrillic_consonant)
        {
            out.push(s);
        }
    }
    // Feminine -овой/-евой/-иной → -ова; -ю → -я (Берию → Берия).
    if ends("ой")
        && let Some(s) = stem(2)
    {
        out.push(format!("{s}а"));
    }
    if ends("ю")
        && let Some(s) = stem(1)
    {
        out.push(format!("{s}я"));
    }
    out.sort();
    out.dedup();
    out
}
