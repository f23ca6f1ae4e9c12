//! The query language: a small hand-written lexer and recursive-descent parser with positions.
//!
//! ```text
//! query    := or_expr
//! or_expr  := and_expr ( "OR" and_expr )*
//! and_expr := unary ( ["AND"] unary )*          juxtaposition is AND
//! unary    := ("NOT" | "-") unary | primary
//! primary  := "(" or_expr ")" | field ":" value | "\"phrase\"" | word
//! value    := word | "\"phrase\"" | "(" or_expr ")"   (the field applies inside)
//! ```
//!
//! NOT binds tightest, then AND (explicit or implied), then OR: `a b OR c` is `(a b) OR c`.
//! Only upper-case AND, OR and NOT are operators; lower-case ones are words. Quotes may be
//! straight or typographic (“…”, „…“, «…»). Fields: `speaker:`, `person:`, `archive:`,
//! `cites:` (references in notes), `kind:`, `lang:`, `collection:`, `title:`, `section:`,
//! `notes:`, `id:`, and `date:` with `1956`, `1956-10`, `1956-11-01`, `FROM..TO`, `..TO`,
//! `FROM..` (each end a year, month or day; a range matches documents whose own date range
//! overlaps it).
//!
//! Bounds keep every query cheap: at most [`MAX_QUERY_CHARS`] characters, [`MAX_TERMS`]
//! terms and [`MAX_DEPTH`] levels of parentheses; beyond them, and for every syntax error, the
//! parser returns a [`QueryError`] whose position is the 0-based character offset of the
//! offending place. Nothing here recurses deeper than [`MAX_DEPTH`] or loops without
//! consuming input.

use std::fmt;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;
/// Most words, phrases and field values in one query.
pub const MAX_TERMS: usize = 64;
/// Deepest nesting of parentheses.
pub const MAX_DEPTH: usize = 32;

/// A syntax error and where it is (0-based character offset into the query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub message: String,
    pub position: usize,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.position + 1)
    }
}

fn err<T>(message: impl Into<String>, position: usize) -> Result<T, QueryError> {
    Err(QueryError { message: message.into(), position })
}

/// A field a query term can be restricted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Speaker,
    Person,
    Archive,
    Cites,
    Kind,
    Lang,
    Collection,
    Title,
    Section,
    Notes,
    Id,
    Date,
}

impl Field {
    fn from_name(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "speaker" | "speakers" | "by" => Field::Speaker,
            "person" | "persons" | "people" => Field::Person,
            "archive" | "ref" => Field::Archive,
            "cites" => Field::Cites,
            "kind" | "type" => Field::Kind,
            "lang" | "language" => Field::Lang,
            "collection" => Field::Collection,
            "title" => Field::Title,
            "section" | "heading" => Field::Section,
            "notes" | "note" => Field::Notes,
            "id" => Field::Id,
            "date" => Field::Date,
            _ => return None,
        })
    }

    /// True for fields that say what a text is about (a turn can be the hit), false for
    /// metadata filters (a query made only of those returns documents, not their turns).
    pub fn is_content(self) -> bool {
        matches!(self, Field::Speaker | Field::Person | Field::Section | Field::Notes)
    }
}

const FIELD_NAMES: &str = "speaker, person, archive, cites, kind, lang, collection, title, section, notes, id, date";

/// A day as the number YYYYMMDD (orders like the date).
pub type Day = i64;

/// The parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Matches every entry (the empty query).
    All,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// A word or phrase, in a field or in the default fields.
    Text {
        field: Option<Field>,
        text: String,
        phrase: bool,
        position: usize,
    },
    /// A date range; either end may be open.
    Date {
        from: Option<Day>,
        to: Option<Day>,
        position: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Lex {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Minus,
    Word(String),
    Phrase(String),
    Field(Field),
}

fn closing_quote(open: char) -> &'static [char] {
    match open {
        '«' => &['»'],
        '„' => &['“', '”', '"'],
        '“' => &['”', '“', '"'],
        _ => &['"', '”', '“'],
    }
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„' | '«' | '»')
}

fn lex(query: &str) -> Result<Vec<(Lex, usize)>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((Lex::LParen, i));
            i += 1;
        } else if c == ')' {
            out.push((Lex::RParen, i));
            i += 1;
        } else if is_quote(c) {
            let close = closing_quote(c);
            let start = i;
            let mut j = i + 1;
            while j < chars.len() && !close.contains(&chars[j]) {
                j += 1;
            }
            if j >= chars.len() {
                return err("unclosed quote", start);
            }
            out.push((Lex::Phrase(chars[start + 1..j].iter().collect()), start));
            i = j + 1;
        } else {
            let start = i;
            let at_term_start = i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '(';
            if (c == '-' || c == '+') && at_term_start {
                let next = chars.get(i + 1).copied();
                if next.is_some_and(|n| !n.is_whitespace() && n != ')' && n != '-' && n != '+') {
                    if c == '-' {
                        out.push((Lex::Minus, i));
                    }
                    i += 1;
                    continue;
                }
            }
            let mut j = i;
            while j < chars.len()
                && !chars[j].is_whitespace()
                && chars[j] != '('
                && chars[j] != ')'
                && !is_quote(chars[j])
            {
                j += 1;
            }
            let word: String = chars[start..j].iter().collect();
            // A field prefix: letters, then a colon.
            if let Some(colon) = word.find(':') {
                let name = &word[..colon];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()) {
                    let Some(field) = Field::from_name(name) else {
                        return err(format!("unknown field \"{name}:\" (fields: {FIELD_NAMES})"), start);
                    };
                    out.push((Lex::Field(field), start));
                    let value_start = start + name.chars().count() + 1;
                    let next = chars.get(value_start).copied();
                    if next.is_none_or(|n| n.is_whitespace() || n == ')') {
                        return err(format!("{name}: needs a value"), value_start.min(chars.len()));
                    }
                    i = value_start;
                    continue;
                }
            }
            let lexeme = match word.as_str() {
                "AND" | "&&" => Lex::And,
                "OR" | "||" => Lex::Or,
                "NOT" => Lex::Not,
                _ => Lex::Word(word),
            };
            out.push((lexeme, start));
            i = j;
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(Lex, usize)>,
    at: usize,
    end: usize,
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Lex> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn pos(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end, |(_, p)| *p)
    }

    fn ends_term(t: Option<&Lex>) -> bool {
        matches!(t, None | Some(Lex::RParen) | Some(Lex::Or) | Some(Lex::And))
    }

    fn or_expr(&mut self, depth: usize, field: Option<Field>) -> Result<Node, QueryError> {
        if self.peek() == Some(&Lex::Or) {
            return err("OR needs a term before it", self.pos());
        }
        let mut alternatives = vec![self.and_expr(depth, field)?];
        while self.peek() == Some(&Lex::Or) {
            let at = self.pos();
            self.at += 1;
            if Self::ends_term(self.peek()) {
                return err("OR needs a term after it", at);
            }
            alternatives.push(self.and_expr(depth, field)?);
        }
        Ok(if alternatives.len() == 1 { alternatives.pop().unwrap_or(Node::All) } else { Node::Or(alternatives) })
    }

    fn and_expr(&mut self, depth: usize, field: Option<Field>) -> Result<Node, QueryError> {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None | Some(Lex::RParen) | Some(Lex::Or) => break,
                Some(Lex::And) => {
                    let at = self.pos();
                    if items.is_empty() {
                        return err("AND needs a term before it", at);
                    }
                    self.at += 1;
                    if Self::ends_term(self.peek()) {
                        return err("AND needs a term after it", at);
                    }
                }
                _ => items.push(self.unary(depth, field)?),
            }
        }
        Ok(match items.len() {
            0 => Node::All,
            1 => items.pop().unwrap_or(Node::All),
            _ => Node::And(items),
        })
    }

    fn unary(&mut self, depth: usize, field: Option<Field>) -> Result<Node, QueryError> {
        let mut negations = 0usize;
        while let Some(Lex::Not | Lex::Minus) = self.peek() {
            let at = self.pos();
            let was_not = self.peek() == Some(&Lex::Not);
            self.at += 1;
            negations += 1;
            if Self::ends_term(self.peek()) {
                return err(if was_not { "NOT needs a term after it" } else { "- needs a term after it" }, at);
            }
        }
        let node = self.primary(depth, field)?;
        Ok(if negations % 2 == 1 { Node::Not(Box::new(node)) } else { node })
    }

    fn group(&mut self, depth: usize, field: Option<Field>) -> Result<Node, QueryError> {
        let open = self.pos();
        if depth >= MAX_DEPTH {
            return err(format!("parentheses nested more than {MAX_DEPTH} deep"), open);
        }
        self.at += 1;
        if self.peek() == Some(&Lex::RParen) {
            return err("empty parentheses", open);
        }
        let inner = self.or_expr(depth + 1, field)?;
        match self.peek() {
            Some(Lex::RParen) => {
                self.at += 1;
                Ok(inner)
            }
            _ => err("unclosed parenthesis", open),
        }
    }

    fn count_term(&mut self, position: usize) -> Result<(), QueryError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return err(format!("too many terms (at most {MAX_TERMS})"), position);
        }
        Ok(())
    }

    fn primary(&mut self, depth: usize, field: Option<Field>) -> Result<Node, QueryError> {
        let position = self.pos();
        let Some((token, _)) = self.tokens.get(self.at).cloned() else {
            return err("a term is missing", position);
        };
        match token {
            Lex::LParen => self.group(depth, field),
            Lex::RParen => err("unexpected ')'", position),
            Lex::Field(f) => {
                self.at += 1;
                match self.peek() {
                    Some(Lex::LParen) => self.group(depth, Some(f)),
                    Some(Lex::Word(_) | Lex::Phrase(_) | Lex::And | Lex::Or | Lex::Not | Lex::Minus) => {
                        let value_at = self.pos();
                        let (text, phrase) = match self.tokens.get(self.at).map(|(t, _)| t.clone()) {
                            Some(Lex::Word(w)) => (w, false),
                            Some(Lex::Phrase(p)) => (p, true),
                            Some(Lex::And) => ("AND".into(), false),
                            Some(Lex::Or) => ("OR".into(), false),
                            Some(Lex::Not) => ("NOT".into(), false),
                            _ => ("-".into(), false),
                        };
                        self.at += 1;
                        self.leaf(Some(f), text, phrase, value_at)
                    }
                    _ => err("the field needs a value", position),
                }
            }
            Lex::Word(w) => {
                self.at += 1;
                self.leaf(field, w, false, position)
            }
            Lex::Phrase(p) => {
                self.at += 1;
                self.leaf(field, p, true, position)
            }
            Lex::And | Lex::Or => err("a term is missing", position),
            Lex::Not | Lex::Minus => self.unary(depth, field),
        }
    }

    fn leaf(&mut self, field: Option<Field>, text: String, phrase: bool, position: usize) -> Result<Node, QueryError> {
        self.count_term(position)?;
        if field == Some(Field::Date) {
            let (from, to) = parse_date_range(text.trim(), position)?;
            return Ok(Node::Date { from, to, position });
        }
        Ok(Node::Text { field, text, phrase, position })
    }
}

/// Parses a query string into a [`Node`] tree.
pub fn parse(query: &str) -> Result<Node, QueryError> {
    let n = query.chars().count();
    if n > MAX_QUERY_CHARS {
        return err(format!("query too long ({n} characters, at most {MAX_QUERY_CHARS})"), MAX_QUERY_CHARS);
    }
    let tokens = lex(query)?;
    let mut parser = Parser { tokens, at: 0, end: n, terms: 0 };
    let node = parser.or_expr(0, None)?;
    if parser.at < parser.tokens.len() {
        return err("unexpected ')'", parser.pos());
    }
    Ok(node)
}

pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses "1956", "1956-10" or "1956-10-30" into its first and last day.
pub fn parse_day_span(s: &str) -> Option<(Day, Day)> {
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize| -> Option<i64> {
        if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) { p.parse().ok() } else { None }
    };
    let y = num(parts.first()?, 4)?;
    if y == 0 {
        return None;
    }
    match parts.len() {
        1 => Some((y * 10000 + 101, y * 10000 + 1231)),
        2 => {
            let m = num(parts[1], 2).filter(|m| (1..=12).contains(m))?;
            Some((y * 10000 + m * 100 + 1, y * 10000 + m * 100 + days_in_month(y, m)))
        }
        3 => {
            let m = num(parts[1], 2).filter(|m| (1..=12).contains(m))?;
            let d = num(parts[2], 2).filter(|d| *d >= 1 && *d <= days_in_month(y, m))?;
            let day = y * 10000 + m * 100 + d;
            Some((day, day))
        }
        _ => None,
    }
}

fn parse_date_range(value: &str, position: usize) -> Result<(Option<Day>, Option<Day>), QueryError> {
    let bad = |what: &str| {
        err(
            format!("invalid date \"{what}\" (use YYYY, YYYY-MM, YYYY-MM-DD, or FROM..TO with either end open)"),
            position,
        )
    };
    if let Some((a, b)) = value.split_once("..") {
        let from = if a.is_empty() {
            None
        } else {
            match parse_day_span(a) {
                Some((f, _)) => Some(f),
                None => return bad(a),
            }
        };
        let to = if b.is_empty() {
            None
        } else {
            match parse_day_span(b) {
                Some((_, t)) => Some(t),
                None => return bad(b),
            }
        };
        if from.is_none() && to.is_none() {
            return bad(value);
        }
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return err(format!("the date range \"{value}\" ends before it starts"), position);
        }
        return Ok((from, to));
    }
    match parse_day_span(value) {
        Some((f, t)) => Ok((Some(f), Some(t))),
        None => bad(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Node {
        Node::Text { field: None, text: t.into(), phrase: false, position: 0 }
    }

    fn strip(n: Node) -> Node {
        match n {
            Node::Text { field, text, phrase, .. } => Node::Text { field, text, phrase, position: 0 },
            Node::Date { from, to, .. } => Node::Date { from, to, position: 0 },
            Node::And(v) => Node::And(v.into_iter().map(strip).collect()),
            Node::Or(v) => Node::Or(v.into_iter().map(strip).collect()),
            Node::Not(b) => Node::Not(Box::new(strip(*b))),
            Node::All => Node::All,
        }
    }

    #[test]
    fn precedence_and_negation() {
        let n = strip(parse("a b OR c -d").unwrap());
        assert_eq!(
            n,
            Node::Or(vec![
                Node::And(vec![text("a"), text("b")]),
                Node::And(vec![text("c"), Node::Not(Box::new(text("d")))])
            ])
        );
        assert_eq!(strip(parse("NOT NOT a").unwrap()), text("a"));
        assert_eq!(parse("   ").unwrap(), Node::All);
        assert_eq!(strip(parse("and or not").unwrap()), Node::And(vec![text("and"), text("or"), text("not")]));
    }

    #[test]
    fn fields_phrases_and_dates() {
        let n = strip(parse("speaker:Zhukov “Pancha Shila” date:1956-11-01..1956-11-05").unwrap());
        assert_eq!(
            n,
            Node::And(vec![
                Node::Text { field: Some(Field::Speaker), text: "Zhukov".into(), phrase: false, position: 0 },
                Node::Text { field: None, text: "Pancha Shila".into(), phrase: true, position: 0 },
                Node::Date { from: Some(19561101), to: Some(19561105), position: 0 },
            ])
        );
        assert_eq!(
            strip(parse("date:1956-02").unwrap()),
            Node::Date { from: Some(19560201), to: Some(19560229), position: 0 }
        );
        assert_eq!(
            strip(parse("date:..1956-10-30").unwrap()),
            Node::Date { from: None, to: Some(19561030), position: 0 }
        );
        let g = strip(parse("speaker:(Zhukov OR Molotov)").unwrap());
        assert!(matches!(g, Node::Or(ref v) if v.len() == 2));
    }

    #[test]
    fn errors_point_at_the_place() {
        let e = parse("Pancha \"Shila").unwrap_err();
        assert_eq!(e.to_string(), "unclosed quote at column 8");
        assert_eq!(parse("(a OR b").unwrap_err().position, 0);
        assert_eq!(parse("a b)").unwrap_err().to_string(), "unexpected ')' at column 4");
        assert_eq!(parse("foo:bar").unwrap_err().position, 0);
        assert!(parse("speaker: x").is_err());
        assert_eq!(parse("x date:1956-13").unwrap_err().position, 7);
        assert!(parse("a OR").is_err());
        assert!(parse("OR a").is_err());
        assert!(parse("a AND").is_err());
        assert!(parse("()").is_err());
        assert!(parse("date:1957..1956").is_err());
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
    }
}
