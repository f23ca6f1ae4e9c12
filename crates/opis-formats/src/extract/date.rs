//! Printed dates to ISO 8601 day ranges ("9 and 12 July 1956" → 1956-07-09 .. 1956-07-12).

use opis_model::DocDate;

/// Parses a string that is one date expression (surrounding whitespace and a final
/// period allowed). `text` of the result is the input trimmed.
pub fn parse_date(text: &str) -> Option<DocDate> {
    let _ = text;
    None
}

/// Finds the first date expression inside a longer text ("… on 30 October 1956 …").
pub fn find_date(text: &str) -> Option<DocDate> {
    let _ = text;
    None
}
