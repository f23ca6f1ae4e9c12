//! The analyzers of [`crate::analysis`] as tantivy tokenizers, so that analysis runs inside
//! tantivy's indexing threads on plain text values instead of on the thread that builds the
//! entries.
//!
//! Each tokenizer yields exactly the terms and positions the analysis functions give:
//!
//! - [`PLAIN`]: [`analysis::fold`] of every token, at the token's position.
//! - [`STEM`]: the value is `LANG` [`LANG_SEP`] text; [`analysis::Stemmers::stem_term`] of every
//!   token in that language (all at position 0: the field has no positions).
//! - [`NAMES`]: the value starts with [`ALL_TOKENS`] (a person's name: the
//!   [`analysis::name_keys`] of every token) or [`CAPITALIZED`] (text: the keys of its
//!   capitalised tokens only), keys at their token's position.
//! - [`KEYS`]: the name keys of every token.
//!
//! Empty terms are skipped without shifting the positions of the others. Between two values of
//! a field tantivy leaves a position gap, so a phrase never spans two values.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

use crate::analysis::{self, Stemmers};

pub const PLAIN: &str = "opis_plain";
pub const STEM: &str = "opis_stem";
pub const NAMES: &str = "opis_names";
pub const KEYS: &str = "opis_keys";

/// Separates the language from the text in a [`STEM`] value.
pub const LANG_SEP: char = '\u{1f}';
/// First character of a [`NAMES`] value whose every token is a name.
pub const ALL_TOKENS: char = '\u{1e}';
/// First character of a [`NAMES`] value whose capitalised tokens are names.
pub const CAPITALIZED: char = '\u{1d}';

/// Tokens whose analysis a tokenizer remembers before it starts afresh.
const CACHE_MAX: usize = 64 * 1024;
/// Token buffers larger than this are released after use.
const KEEP_TOKENS: usize = 16 * 1024;

/// A fast hasher for the memo (FxHash: the keys are short words, and nothing is adversarial).
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type Map<V> = HashMap<String, V, BuildHasherDefault<Fx>>;

/// Registers the tokenizers on an index (they are not persisted with it).
pub fn register(index: &tantivy::Index) {
    let manager = index.tokenizers();
    for (name, mode) in [(PLAIN, Mode::Plain), (STEM, Mode::Stem), (NAMES, Mode::Names), (KEYS, Mode::Keys)] {
        manager.register(name, TextAnalyzer::from(OpisTokenizer::new(mode)));
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Plain,
    Stem,
    Names,
    Keys,
}

/// One analyzer, with a memo of the analysis of the tokens it has seen.
pub struct OpisTokenizer {
    mode: Mode,
    tokens: Vec<Token>,
    /// Stems: token → (language index in `langs`, stem term).
    stems: Map<(usize, Option<String>)>,
    langs: Vec<String>,
    stemmers: Stemmers,
    /// Name keys: token → keys.
    keys: Map<Vec<String>>,
}

impl OpisTokenizer {
    fn new(mode: Mode) -> Self {
        OpisTokenizer {
            mode,
            tokens: Vec::new(),
            stems: Map::default(),
            langs: Vec::new(),
            stemmers: Stemmers::default(),
            keys: Map::default(),
        }
    }
}

impl Clone for OpisTokenizer {
    fn clone(&self) -> Self {
        OpisTokenizer::new(self.mode)
    }
}

/// The next token slot, cleared.
fn slot(tokens: &mut Vec<Token>, n: usize) -> &mut Token {
    if n == tokens.len() {
        tokens.push(Token::default());
    }
    let t = &mut tokens[n];
    t.text.clear();
    t
}

fn set(t: &mut Token, tok: &analysis::Tok<'_>, position: u32) {
    t.offset_from = tok.start;
    t.offset_to = tok.end;
    t.position = position as usize;
    t.position_length = 1;
}

impl OpisTokenizer {
    fn name_keys<'c>(keys: &'c mut Map<Vec<String>>, token: &str) -> &'c [String] {
        if !keys.contains_key(token) {
            if keys.len() >= CACHE_MAX {
                keys.clear();
            }
            keys.insert(token.to_owned(), analysis::name_keys(token));
        }
        keys.get(token).map_or(&[], Vec::as_slice)
    }

    fn analyse(&mut self, text: &str) -> usize {
        if self.tokens.len() > KEEP_TOKENS {
            self.tokens.truncate(KEEP_TOKENS);
            self.tokens.shrink_to_fit();
        }
        let OpisTokenizer { mode, tokens, stems, langs, stemmers, keys } = self;
        let mut n = 0;
        match *mode {
            Mode::Plain => analysis::for_each_token(text, |tok| {
                let t = slot(tokens, n);
                analysis::fold_into(tok.text, false, &mut t.text);
                if !t.text.is_empty() {
                    set(t, &tok, tok.position);
                    n += 1;
                }
            }),
            Mode::Stem => {
                let Some((lang, body)) = text.split_once(LANG_SEP) else {
                    return 0;
                };
                if analysis::stemmer_for(lang).is_none() {
                    return 0;
                }
                let li = match langs.iter().position(|l| l == lang) {
                    Some(i) => i,
                    None => {
                        langs.push(lang.to_owned());
                        langs.len() - 1
                    }
                };
                analysis::for_each_token(body, |tok| {
                    let fresh = stems.get(tok.text).is_none_or(|(l, _)| *l != li);
                    if fresh {
                        if stems.len() >= CACHE_MAX {
                            stems.clear();
                        }
                        let stem = stemmers.stem_term(lang, tok.text);
                        stems.insert(tok.text.to_owned(), (li, stem));
                    }
                    if let Some((_, Some(stem))) = stems.get(tok.text) {
                        let t = slot(tokens, n);
                        t.text.push_str(stem);
                        set(t, &tok, 0);
                        n += 1;
                    }
                });
            }
            Mode::Names | Mode::Keys => {
                let (all, body) = match (*mode, text.chars().next()) {
                    (Mode::Keys, _) => (true, text),
                    (_, Some(ALL_TOKENS)) => (true, &text[ALL_TOKENS.len_utf8()..]),
                    (_, Some(CAPITALIZED)) => (false, &text[CAPITALIZED.len_utf8()..]),
                    _ => (false, text),
                };
                analysis::for_each_token(body, |tok| {
                    if !all && !tok.is_capitalized() {
                        return;
                    }
                    for key in Self::name_keys(keys, tok.text) {
                        if key.is_empty() {
                            continue;
                        }
                        let t = slot(tokens, n);
                        t.text.push_str(key);
                        set(t, &tok, tok.position);
                        n += 1;
                    }
                });
            }
        }
        n
    }
}

/// The tokens of one value.
pub struct OpisTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl Tokenizer for OpisTokenizer {
    type TokenStream<'a> = OpisTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> OpisTokenStream<'a> {
        let n = self.analyse(text);
        OpisTokenStream { tokens: &mut self.tokens[..n], next: 0 }
    }
}

impl TokenStream for OpisTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1)]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next.saturating_sub(1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(mode: Mode, text: &str) -> Vec<(String, usize)> {
        let mut t = OpisTokenizer::new(mode);
        let mut out = Vec::new();
        t.token_stream(text).process(&mut |tok| out.push((tok.text.clone(), tok.position)));
        out
    }

    #[test]
    fn tokenizers_give_the_analysis_terms() {
        assert_eq!(
            terms(Mode::Plain, "Хрущёв met Kádár"),
            vec![("khrushchev".into(), 0), ("met".into(), 1), ("kadar".into(), 2)]
        );
        assert_eq!(terms(Mode::Stem, "en\u{1f}troops moved"), vec![("en:troop".into(), 0), ("en:move".into(), 0)]);
        assert!(terms(Mode::Stem, "xx\u{1f}troops").is_empty());
        let capitalized = terms(Mode::Names, "\u{1d}the troops of Zhukov");
        assert_eq!(capitalized, vec![(analysis::name_key("Zhukov"), 3)]);
        let all = terms(Mode::Names, "\u{1e}liu shaoqi");
        assert_eq!(all, vec![("liu".into(), 0), ("Saoqi".into(), 1)]);
        assert_eq!(terms(Mode::Keys, "liu shaoqi"), all);
    }
}
