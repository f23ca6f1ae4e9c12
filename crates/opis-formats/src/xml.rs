//! The one XML pull parser every XML reader uses (FRUS, ParlaMint, Akoma Ntoso,
//! our own TEI): quick-xml underneath, with the project's policies on top.
//!
//! - Text arrives merged: character data, CDATA, character references and the
//!   five predefined entities become one [`XmlEvent::Text`].
//! - An undefined entity reference is an error naming line and column.
//! - A DOCTYPE that declares entities is refused before anything is expanded
//!   (billion-laughs and external-entity attacks); quick-xml never expands them.
//! - Empty elements come as `Start` followed by `End`, so readers handle one shape.
//! - Elements nest at most [`MAX_DEPTH`] deep; deeper is an error (trees built from
//!   the events and the readers' recursive walks stay within the stack).
//! - Every error is a [`FormatError::Malformed`] with the file, line and column.
//!
//! Element and attribute names are given as written (`div`, `xml:id`,
//! `frus:doc-dateTime-min`); [`local`] strips a prefix.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use quick_xml::events::Event;

use crate::error::{FormatError, Result};

/// One XML event, simplified.
#[derive(Debug, Clone, PartialEq)]
pub enum XmlEvent<'a> {
    /// An element opens. Empty elements give `Start` then `End`.
    Start {
        name: Cow<'a, str>,
        attrs: Vec<(String, String)>,
    },
    End {
        name: Cow<'a, str>,
    },
    /// Character data with references resolved; adjacent pieces merged.
    Text(Cow<'a, str>),
}

/// Deepest element nesting accepted. Real documents nest a few dozen levels (TEI: around 20);
/// 100,000-deep nesting would overflow the stack when a tree of it is walked or dropped.
pub const MAX_DEPTH: usize = 256;

/// The local part of a qualified name: `tei:div` → `div`.
pub fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// The value of attribute `name` (as written, e.g. `xml:id`) in `attrs`.
pub fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A pull parser over a whole XML text.
pub struct XmlReader<'a> {
    reader: quick_xml::Reader<&'a [u8]>,
    text: &'a str,
    path: PathBuf,
    /// An event read ahead while merging text.
    pending: Option<XmlEvent<'a>>,
    /// Line counting is incremental: the byte offset and line last computed.
    line_cache: (usize, u32),
    /// Elements open now, with the offset of their start tag.
    open: Vec<(String, usize)>,
    seen_root: bool,
}

impl<'a> XmlReader<'a> {
    pub fn new(path: &Path, text: &'a str) -> Self {
        let mut reader = quick_xml::Reader::from_str(text);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        XmlReader {
            reader,
            text,
            path: path.to_owned(),
            pending: None,
            line_cache: (0, 1),
            open: Vec::new(),
            seen_root: false,
        }
    }

    /// Byte offset of the parser in the text: the end of the last event read.
    pub fn position(&self) -> usize {
        self.reader.buffer_position() as usize
    }

    /// 1-based line of a byte offset. Cheap when offsets grow, as they do while reading.
    pub fn line_at(&mut self, offset: usize) -> u32 {
        let offset = self.text.floor_char_boundary(offset.min(self.text.len()));
        let (from, line) = if offset >= self.line_cache.0 { self.line_cache } else { (0, 1) };
        let bytes = &self.text.as_bytes()[from..offset];
        let line = line + bytes.iter().filter(|&&b| b == b'\n').count() as u32;
        self.line_cache = (offset, line);
        line
    }

    /// The current line (where the last event ended).
    pub fn line(&mut self) -> u32 {
        self.line_at(self.position())
    }

    /// An error at a byte offset, with line and column.
    pub fn error_at(&mut self, offset: usize, message: impl Into<String>) -> FormatError {
        // quick-xml's offsets can fall inside a character (a byte-order mark it skipped).
        let offset = self.text.floor_char_boundary(offset.min(self.text.len()));
        let line = self.line_at(offset);
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[line_start..offset].chars().count() + 1;
        FormatError::Malformed {
            path: self.path.clone(),
            line,
            message: format!("column {column}: {}", message.into()),
        }
    }

    /// The next event, or `None` at the end of the document.
    // Not an Iterator: an error ends the stream, and `?` reads better than `Option<Result>`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<XmlEvent<'a>>> {
        if let Some(ev) = self.pending.take() {
            return Ok(Some(ev));
        }
        let mut text: Option<Cow<'a, str>> = None;
        loop {
            let ev = match self.raw_next()? {
                None => return Ok(text.map(XmlEvent::Text)),
                Some(ev) => ev,
            };
            match ev {
                XmlEvent::Text(t) => {
                    text = Some(match text {
                        None => t,
                        Some(prev) => Cow::Owned(prev.into_owned() + &t),
                    });
                }
                other => {
                    if let Some(t) = text {
                        self.pending = Some(other);
                        return Ok(Some(XmlEvent::Text(t)));
                    }
                    return Ok(Some(other));
                }
            }
        }
    }

    fn raw_next(&mut self) -> Result<Option<XmlEvent<'a>>> {
        loop {
            let start = self.position();
            let event = match self.reader.read_event() {
                Ok(e) => e,
                Err(e) => {
                    let at = self.reader.error_position() as usize;
                    return Err(self.error_at(at, format!("malformed XML: {e}")));
                }
            };
            return Ok(Some(match event {
                Event::Eof => {
                    if let Some((name, at)) = self.open.last().cloned() {
                        let line = self.line_at(at);
                        let end = self.text.len();
                        return Err(self.error_at(
                            end,
                            format!("the document ends inside <{name}> (opened on line {line}); expected </{name}>"),
                        ));
                    }
                    if !self.seen_root {
                        return Err(self.error_at(self.text.len(), "no root element; expected an XML document"));
                    }
                    return Ok(None);
                }
                Event::Start(s) => {
                    let name: Cow<'a, str> = Cow::Owned(s.name().0.to_owned());
                    let mut attrs = Vec::new();
                    for a in s.attributes() {
                        let a = a.map_err(|e| self.error_at(start, format!("malformed attribute: {e}")))?;
                        let key = a.key.0.to_owned();
                        let value = match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                            Ok(v) => v.into_owned(),
                            Err(e) => return Err(self.error_at(start, format!("attribute {key}: {e}"))),
                        };
                        attrs.push((key, value));
                    }
                    if self.open.len() >= MAX_DEPTH {
                        return Err(self.error_at(start, format!("elements nested deeper than {MAX_DEPTH} levels")));
                    }
                    self.open.push((name.to_string(), start));
                    self.seen_root = true;
                    XmlEvent::Start { name, attrs }
                }
                Event::End(e) => {
                    self.open.pop();
                    XmlEvent::End { name: Cow::Owned(e.name().0.to_owned()) }
                }
                Event::Empty(_) => unreachable!("expand_empty_elements is set"),
                Event::Text(t) => XmlEvent::Text(Cow::Owned(t.xml10_content().into_owned())),
                Event::CData(c) => XmlEvent::Text(Cow::Owned(c.xml10_content().into_owned())),
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => {
                            let name = r.xml10_content();
                            match quick_xml::escape::resolve_predefined_entity(&name) {
                                Some(s) => s.to_owned(),
                                None => return Err(self.error_at(start, format!("undefined entity &{name};"))),
                            }
                        }
                        Err(e) => return Err(self.error_at(start, format!("bad character reference: {e}"))),
                    };
                    XmlEvent::Text(Cow::Owned(resolved))
                }
                Event::DocType(d) => {
                    if d.xml10_content().contains("<!ENTITY") {
                        return Err(self.error_at(
                            start,
                            "the DOCTYPE declares entities; opis refuses entity declarations (entity expansion attacks)",
                        ));
                    }
                    continue;
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            }));
        }
    }

    /// Reads the text inside the element just opened, up to its end tag, with the
    /// text of nested elements included and whitespace collapsed.
    pub fn element_text(&mut self) -> Result<String> {
        let mut depth = 1usize;
        let mut out = String::new();
        while depth > 0 {
            match self.next()? {
                None => return Err(self.error_at(self.text.len(), "the document ends inside an element")),
                Some(XmlEvent::Start { .. }) => depth += 1,
                Some(XmlEvent::End { .. }) => depth -= 1,
                Some(XmlEvent::Text(t)) => out.push_str(&t),
            }
        }
        Ok(collapse_whitespace(&out))
    }

    /// Skips the element just opened, up to and including its end tag.
    pub fn skip_element(&mut self) -> Result<()> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next()? {
                None => return Err(self.error_at(self.text.len(), "the document ends inside an element")),
                Some(XmlEvent::Start { .. }) => depth += 1,
                Some(XmlEvent::End { .. }) => depth -= 1,
                Some(XmlEvent::Text(_)) => {}
            }
        }
        Ok(())
    }
}

/// Runs of whitespace become one space; the ends are trimmed.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The root element's name and attributes, read without parsing the rest.
pub fn root_element(path: &Path, text: &str) -> Result<(String, Vec<(String, String)>)> {
    let mut r = XmlReader::new(path, text);
    loop {
        match r.next()? {
            Some(XmlEvent::Start { name, attrs }) => return Ok((name.into_owned(), attrs)),
            Some(XmlEvent::Text(_)) => continue,
            Some(XmlEvent::End { .. }) | None => {
                return Err(FormatError::Unrecognized { path: path.to_owned(), reason: "no root element".into() });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_text_well_formed() {
        assert!(matches!(escape("plain text"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(escape("bell\u{7} tab\t line\n"), "bell\u{fffd} tab\t line\n");
    }

    fn events(xml: &str) -> Result<Vec<XmlEvent<'_>>> {
        let mut r = XmlReader::new(Path::new("t.xml"), xml);
        let mut out = Vec::new();
        while let Some(e) = r.next()? {
            out.push(e);
        }
        Ok(out)
    }

    #[test]
    fn text_is_merged_and_references_resolved() {
        let ev = events("<a x=\"1 &amp; 2\">K&#225;d&aacute;r<![CDATA[ <b> ]]></a>");
        let err = ev.unwrap_err().to_string();
        assert!(err.contains("t.xml:1: column") && err.contains("undefined entity &aacute;"), "{err}");
        let ev = events("<a x=\"1 &amp; 2\">K&#225;d&amp;r<![CDATA[ <b> ]]><e/></a>").unwrap();
        assert_eq!(
            ev,
            vec![
                XmlEvent::Start { name: "a".into(), attrs: vec![("x".into(), "1 & 2".into())] },
                XmlEvent::Text("Kád&r <b> ".into()),
                XmlEvent::Start { name: "e".into(), attrs: vec![] },
                XmlEvent::End { name: "e".into() },
                XmlEvent::End { name: "a".into() },
            ]
        );
    }

    #[test]
    fn entity_declarations_are_refused() {
        let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n <!ENTITY lol2 \"&lol;&lol;\">\n]>\n<lolz>&lol2;</lolz>";
        let err = events(bomb).unwrap_err().to_string();
        assert!(err.contains("refuses entity declarations"), "{err}");
    }

    #[test]
    fn an_error_right_after_a_byte_order_mark_is_reported_not_a_panic() {
        // Found by `cargo fuzz run tei`: the error offset fell inside the BOM.
        let input = "\u{feff}?<x version=   \0\0\0\0\0\0\0jn\0   </person>\n0     lvn";
        let err = events(input).unwrap_err().to_string();
        assert!(err.starts_with("t.xml:1: column"), "{err}");
    }

    #[test]
    fn truncated_xml_names_line_and_column() {
        let err = events("<TEI>\n  <text>\n    <p>cut here").unwrap_err().to_string();
        assert!(err.starts_with("t.xml:3: column"), "{err}");
        let err = events("<a>\n<b></c></a>").unwrap_err().to_string();
        assert!(err.starts_with("t.xml:2: column"), "{err}");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_an_error_not_a_stack_overflow() {
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(events(&ok).is_ok());
        let deep = format!("<r>\n{}{}</r>", "<a>".repeat(100_000), "</a>".repeat(100_000));
        let err = events(&deep).unwrap_err().to_string();
        assert!(err.contains(&format!("nested deeper than {MAX_DEPTH}")), "{err}");
        assert!(err.starts_with("t.xml:2: column"), "{err}");
        let tree = Element::parse_document(Path::new("t.xml"), &deep).unwrap_err().to_string();
        assert!(tree.contains("nested deeper"), "{tree}");
    }
}

/// An element and everything inside it, for readers that work on one small
/// element at a time (a document of a volume, a TEI file opis wrote).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// 1-based line of the start tag.
    pub line: u32,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    /// Reads the element whose start tag was just returned by `reader.next()`.
    pub fn read(reader: &mut XmlReader<'_>, name: &str, attrs: Vec<(String, String)>) -> Result<Element> {
        let line = reader.line();
        let mut stack = vec![Element { name: name.to_owned(), attrs, children: vec![], line }];
        loop {
            match reader.next()? {
                None => return Err(reader.error_at(reader.text.len(), "the document ends inside an element")),
                Some(XmlEvent::Start { name, attrs }) => {
                    let line = reader.line();
                    stack.push(Element { name: name.into_owned(), attrs, children: vec![], line });
                }
                Some(XmlEvent::Text(t)) => {
                    stack.last_mut().expect("an open element").children.push(Node::Text(t.into_owned()))
                }
                Some(XmlEvent::End { .. }) => {
                    let done = stack.pop().expect("an open element");
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(done)),
                        None => return Ok(done),
                    }
                }
            }
        }
    }

    /// Reads a whole document's root element.
    pub fn parse_document(path: &Path, text: &str) -> Result<Element> {
        let mut reader = XmlReader::new(path, text);
        loop {
            match reader.next()? {
                Some(XmlEvent::Start { name, attrs }) => return Element::read(&mut reader, &name, attrs),
                Some(_) => continue,
                None => return Err(reader.error_at(text.len(), "no root element")),
            }
        }
    }

    pub fn local_name(&self) -> &str {
        local(&self.name)
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        attr(&self.attrs, name)
    }

    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element with this local name.
    pub fn child(&self, local_name: &str) -> Option<&Element> {
        self.elements().find(|e| e.local_name() == local_name)
    }

    /// Child elements with this local name.
    pub fn children_named<'s>(&'s self, local_name: &'s str) -> impl Iterator<Item = &'s Element> + 's {
        self.elements().filter(move |e| e.local_name() == local_name)
    }

    /// All text inside, as written (no whitespace collapsing).
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for c in &self.children {
            match c {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }
}

/// Escapes text for XML content and attribute values. Characters XML 1.0 does not allow (C0
/// controls other than tab, newline and carriage return; U+FFFE, U+FFFF) become U+FFFD, so the
/// output is always well-formed whatever the document held.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(|c: char| matches!(c, '&' | '<' | '>' | '"') || not_allowed_in_xml(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if not_allowed_in_xml(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A character XML 1.0 documents cannot hold, even as a reference.
fn not_allowed_in_xml(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}
