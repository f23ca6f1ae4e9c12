//! Turning a file's bytes into text a reader can work on.
//!
//! Sources arrive as UTF-8 (with or without a BOM), but also as Windows-1252 from
//! older exports. Invalid UTF-8 is not an error: the byte offset of the first bad
//! sequence is reported and the whole file is read as Windows-1252, which maps
//! every byte. Line endings are normalised to LF so that readers see one layout.

use std::path::Path;

use opis_model::Diagnostic;

use crate::error::{FormatError, Result};

/// Text decoded from a file, with what was odd about its encoding.
#[derive(Debug)]
pub struct DecodedText {
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Decodes `bytes` read from `path`: refuses empty and binary files, falls back to
/// Windows-1252 for invalid UTF-8, strips a BOM and turns CRLF and lone CR into LF.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<DecodedText> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FormatError::Empty { path: path.to_owned() });
    }
    // UTF-16 with a byte-order mark (XML may be written so): decode before the NUL check,
    // which would otherwise take its zero bytes for a binary file.
    for (bom, encoding) in [(&b"\xFF\xFE"[..], encoding_rs::UTF_16LE), (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let (text, had_errors) = encoding.decode_without_bom_handling(rest);
            let mut diagnostics = Vec::new();
            if had_errors {
                diagnostics.push(Diagnostic::warning(
                    "invalid-utf16",
                    format!("invalid {} sequences were replaced with U+FFFD", encoding.name()),
                    None,
                ));
            }
            return Ok(DecodedText { text: normalize_newlines(text.into_owned()), diagnostics });
        }
    }
    if let Some(offset) = memchr_nul(bytes) {
        return Err(FormatError::Binary { path: path.to_owned(), offset });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut diagnostics = Vec::new();
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u32;
            diagnostics.push(Diagnostic::warning(
                "invalid-utf8",
                format!("invalid UTF-8 at byte offset {offset} (line {line}); the file was read as Windows-1252"),
                Some(line),
            ));
            let (cow, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            cow.into_owned()
        }
    };
    Ok(DecodedText { text: normalize_newlines(text), diagnostics })
}

/// CRLF and lone CR become LF; text without CR is returned untouched.
pub fn normalize_newlines(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_falls_back_to_windows_1252_and_names_the_offset() {
        let d = decode(Path::new("x.txt"), b"Kad\xe1r said\r\nno").unwrap();
        assert_eq!(d.text, "Kad\u{e1}r said\nno");
        assert!(d.diagnostics[0].message.contains("byte offset 3"), "{:?}", d.diagnostics);
    }

    #[test]
    fn empty_and_binary_files_are_refused() {
        assert!(matches!(decode(Path::new("e"), b" \n\n"), Err(FormatError::Empty { .. })));
        assert!(matches!(decode(Path::new("b"), b"PK\x03\x04\x00\x00"), Err(FormatError::Binary { offset: 4, .. })));
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<TEI>Kádár\r\n</TEI>".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        assert_eq!(decode(Path::new("x.xml"), &bytes).unwrap().text, "<TEI>Kádár\n</TEI>");
    }

    #[test]
    fn bom_is_stripped() {
        assert_eq!(decode(Path::new("x"), b"\xEF\xBB\xBFabc").unwrap().text, "abc");
    }
}
