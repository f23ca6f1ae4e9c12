//! Printed dates to ISO 8601 day ranges ("9 and 12 July 1956" → 1956-07-09 .. 1956-07-12).
//!
//! Understood shapes (month names in English or German, full or abbreviated, any case;
//! days with or without ordinal suffixes "st"/"nd"/"rd"/"th" or a German "."):
//!
//! - single days: "30 October 1956", "October 30, 1956", "Oct. 30, 1956",
//!   "1st April, 1949", "2nd of May 1950", "31. Oktober 1997", "1956-10-30", "30.10.1956";
//! - day ranges and lists within a month: "3-4 November 1956", "November 3–4, 1956",
//!   "9 and 12 July 1956", "20./21. November 1997" (first to last day);
//! - ranges across months or years: "30 October - 4 November 1956",
//!   "October 30-November 4, 1956", "30 December 1956 – 2 January 1957";
//! - months: "November 1967", "Sept. 1956", "1956-10", "October-November 1956";
//! - years: "1956", "1956–1957", "1956–57".
//!
//! Years outside 1000..=2999, impossible days (30 February) and backwards ranges give
//! no date. Seasons ("Spring 1958") and dates without a year are not dates here.

use std::sync::LazyLock;

use opis_model::DocDate;
use regex::{Captures, Regex};

/// Parses a string that is one date expression (surrounding whitespace, surrounding
/// `**` and a final period or comma allowed). `text` of the result is the input with
/// those removed.
pub fn parse_date(text: &str) -> Option<DocDate> {
    let cleaned = clean(text);
    if cleaned.is_empty() {
        return None;
    }
    PATTERNS.iter().find_map(|p| {
        let caps = p.anchored.captures(cleaned)?;
        let (from, to) = (p.convert)(&caps)?;
        Some(doc_date(cleaned, from, to))
    })
}

/// Finds the first date expression inside a longer text ("… on 30 October 1956 …");
/// `text` of the result is the matched substring.
///
/// Dates with a day win over months, months over bare years: a bare year is returned
/// only when nothing more precise is in the text, and never when it looks like part of
/// a file number ("B 136/59748", "D. 1006").
pub fn find_date(text: &str) -> Option<DocDate> {
    // (tier, start, end, from, to) of the best candidate so far.
    let mut best: Option<(u8, usize, usize, Ymd, Ymd)> = None;
    for p in PATTERNS.iter() {
        if best.as_ref().is_some_and(|b| b.0 < p.tier) {
            continue;
        }
        for caps in p.search.captures_iter(text) {
            let Some(m) = caps.get(0) else { continue };
            if let Some(b) = &best {
                // Matches come in increasing start order: nothing later can win.
                if b.0 == p.tier && (m.start() > b.1 || (m.start() == b.1 && m.end() <= b.2)) {
                    break;
                }
            }
            if p.numeric && !numeric_context_ok(text, m.start(), m.end()) {
                continue;
            }
            if let Some((from, to)) = (p.convert)(&caps) {
                best = Some((p.tier, m.start(), m.end(), from, to));
                break;
            }
        }
    }
    let (_, start, end, from, to) = best?;
    let matched = text.get(start..end)?.trim();
    Some(doc_date(matched, from, to))
}

/// Number of days in `month` (1–12) of `year` (proleptic Gregorian calendar);
/// 0 for a month outside 1–12.
pub fn last_day_of_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// A validated calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Ymd {
    year: u32,
    month: u32,
    day: u32,
}

impl Ymd {
    fn new(year: u32, month: u32, day: u32) -> Option<Ymd> {
        let y = i32::try_from(year).ok()?;
        let ok = (1000..=2999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= last_day_of_month(y, month);
        ok.then_some(Ymd { year, month, day })
    }

    fn first_of_month(year: u32, month: u32) -> Option<Ymd> {
        Ymd::new(year, month, 1)
    }

    fn last_of_month(year: u32, month: u32) -> Option<Ymd> {
        let y = i32::try_from(year).ok()?;
        Ymd::new(year, month, last_day_of_month(y, month))
    }

    fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn doc_date(text: &str, from: Ymd, to: Ymd) -> DocDate {
    DocDate { text: text.to_string(), from: from.iso(), to: to.iso() }
}

/// Strips whitespace, surrounding `**` and a final period or comma, repeatedly.
fn clean(text: &str) -> &str {
    let mut s = text.trim();
    loop {
        let before = s.len();
        if let Some(inner) = s.strip_prefix("**").and_then(|t| t.strip_suffix("**")) {
            s = inner.trim();
        }
        if let Some(inner) = s.strip_suffix(['.', ',']) {
            s = inner.trim_end();
        }
        if s.len() == before {
            return s;
        }
    }
}

/// A numeric match ("1956", "1956-10", "30.10.1956") is a date only when it does not
/// look like part of a file number, a decimal or a reference ("B 136/59748",
/// "764.00/11–256", "D. 1006", "No. 1956").
fn numeric_context_ok(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).unwrap_or("");
    let after = text.get(end..).unwrap_or("");
    if before
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '–' | '—' | '_' | '#' | '§'))
    {
        return false;
    }
    let mut next = after.chars();
    match next.next() {
        Some('/' | '\\') => return false,
        Some('.' | ',' | '-' | '–' | ':') if next.next().is_some_and(|c| c.is_ascii_digit()) => {
            return false;
        }
        Some(c) if c.is_alphanumeric() => return false,
        _ => {}
    }
    // The word before, ignoring spaces: reference abbreviations take numbers, not years.
    let word: String = before
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .to_lowercase();
    const REF_WORDS: &[&str] = &[
        "d.", "f.", "op.", "p.", "pp.", "l.", "ll.", "no.", "nos.", "nr.", "vol.", "box", "folder", "file", "lot",
        "page", "pages", "document", "doc.", "number", "fond", "delo", "opis",
    ];
    !REF_WORDS.contains(&word.as_str())
}

/// Month number of a month name or abbreviation as the patterns accept it.
fn month_number(name: &str) -> Option<u32> {
    let lower = name.trim_end_matches('.').to_lowercase();
    let prefix: String = lower.chars().take(3).collect();
    let n = match prefix.as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" | "mär" | "mae" => 3,
        "apr" => 4,
        "may" | "mai" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" | "okt" => 10,
        "nov" => 11,
        "dec" | "dez" => 12,
        _ => return None,
    };
    Some(n)
}

/// The English month names, January first (for labels and for tests that write dates out).
pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const MONTHS: &str = "january|february|march|april|may|june|july|august|september|october|\
november|december|januar|februar|märz|maerz|mai|juni|juli|oktober|dezember|\
jan|febr|feb|mar|apr|jun|jul|aug|sept|sep|oct|okt|nov|dec|dez";

fn day(name: &str) -> String {
    format!(r"(?-u:\b)(?P<{name}>[0-3]?[0-9])(?:(?:st|nd|rd|th)(?-u:\b)|\.|(?-u:\b))")
}

fn month(name: &str) -> String {
    format!(r"(?-u:\b)(?P<{name}>(?:{MONTHS})(?-u:\b)\.?)")
}

fn year(name: &str) -> String {
    format!(r"(?-u:\b)(?P<{name}>[12][0-9]{{3}})(?-u:\b)")
}

/// Between a day and its month: "30 October", "2nd of May", "31. Oktober".
const OF: &str = r"\s*(?:of\s+)?";
/// Between a month or day and the year: "October 30, 1956", "November 1967".
const COMMA: &str = r"\s*,?\s*";
/// A range: "3-4", "3 – 4", "30 October to 4 November".
const RANGE: &str = r"\s*(?:[-‐‑‒–—]|(?-u:\b)(?:to|until|till|through|bis)(?-u:\b))\s*";
/// Between days of a list or range: "9 and 12", "20./21.", "9, 10 and 12".
const DAY_SEP: &str = r"\s*(?:[-‐‑‒–—/,&]|(?-u:\b)(?:and|und|to|until|till|through|bis)(?-u:\b))\s*";

type Convert = fn(&Captures) -> Option<(Ymd, Ymd)>;

/// One date shape, compiled anchored (for [`parse_date`]) and unanchored (for
/// [`find_date`]).
struct Pattern {
    /// 0: has a day; 1: month; 2: year. Lower is more precise.
    tier: u8,
    /// Digits only: check the surroundings in running text.
    numeric: bool,
    anchored: Regex,
    search: Regex,
    convert: Convert,
}

fn num(c: &Captures, name: &str) -> Option<u32> {
    c.name(name)?.as_str().parse().ok()
}

fn mon(c: &Captures, name: &str) -> Option<u32> {
    month_number(c.name(name)?.as_str())
}

fn ordered(from: Ymd, to: Ymd) -> Option<(Ymd, Ymd)> {
    (from <= to).then_some((from, to))
}

fn single(c: &Captures) -> Option<(Ymd, Ymd)> {
    let m = mon(c, "m").or_else(|| num(c, "mn"))?;
    let d = Ymd::new(num(c, "y")?, m, num(c, "d")?)?;
    Some((d, d))
}

fn days_in_month(c: &Captures) -> Option<(Ymd, Ymd)> {
    let (y, m) = (num(c, "y")?, mon(c, "m")?);
    ordered(Ymd::new(y, m, num(c, "d1")?)?, Ymd::new(y, m, num(c, "d2")?)?)
}

fn across_months(c: &Captures) -> Option<(Ymd, Ymd)> {
    let y = num(c, "y")?;
    ordered(Ymd::new(y, mon(c, "m1")?, num(c, "d1")?)?, Ymd::new(y, mon(c, "m2")?, num(c, "d2")?)?)
}

fn across_years(c: &Captures) -> Option<(Ymd, Ymd)> {
    ordered(
        Ymd::new(num(c, "y1")?, mon(c, "m1")?, num(c, "d1")?)?,
        Ymd::new(num(c, "y2")?, mon(c, "m2")?, num(c, "d2")?)?,
    )
}

fn whole_month(c: &Captures) -> Option<(Ymd, Ymd)> {
    let y = num(c, "y")?;
    let m = mon(c, "m").or_else(|| num(c, "mn"))?;
    Some((Ymd::first_of_month(y, m)?, Ymd::last_of_month(y, m)?))
}

fn month_range(c: &Captures) -> Option<(Ymd, Ymd)> {
    let y = num(c, "y")?;
    ordered(Ymd::first_of_month(y, mon(c, "m1")?)?, Ymd::last_of_month(y, mon(c, "m2")?)?)
}

fn whole_year(c: &Captures) -> Option<(Ymd, Ymd)> {
    let y = num(c, "y")?;
    Some((Ymd::new(y, 1, 1)?, Ymd::new(y, 12, 31)?))
}

fn year_range(c: &Captures) -> Option<(Ymd, Ymd)> {
    let y1 = num(c, "y1")?;
    let y2_text = c.name("y2")?.as_str();
    let y2: u32 = y2_text.parse().ok()?;
    // "1956–57": the second year shares the century of the first.
    let y2 = if y2_text.len() == 2 { y1 / 100 * 100 + y2 } else { y2 };
    if y2 <= y1 {
        return None;
    }
    Some((Ymd::new(y1, 1, 1)?, Ymd::new(y2, 12, 31)?))
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let (d, d1, d2) = (day("d"), day("d1"), day("d2"));
    let (m, m1, m2) = (month("m"), month("m1"), month("m2"));
    let (y, y1, y2) = (year("y"), year("y1"), year("y2"));
    let specs: Vec<(u8, bool, String, Convert)> = vec![
        // 30 December 1956 – 2 January 1957
        (0, false, format!("{d1}{OF}{m1}{COMMA}{y1}{RANGE}{d2}{OF}{m2}{COMMA}{y2}"), across_years),
        // December 30, 1956 – January 2, 1957
        (0, false, format!(r"{m1}\s*{d1}{COMMA}{y1}{RANGE}{m2}\s*{d2}{COMMA}{y2}"), across_years),
        // 30 October - 4 November 1956
        (0, false, format!("{d1}{OF}{m1}{RANGE}{d2}{OF}{m2}{COMMA}{y}"), across_months),
        // October 30-November 4, 1956
        (0, false, format!(r"{m1}\s*{d1}{RANGE}{m2}\s*{d2}{COMMA}{y}"), across_months),
        // 3-4 November 1956; 9 and 12 July 1956; 20./21. November 1997
        (0, false, format!("{d1}(?:{DAY_SEP}{d2})+{OF}{m}{COMMA}{y}"), days_in_month),
        // November 3–4, 1956; July 9 and 12, 1956
        (0, false, format!(r"{m}\s*{d1}(?:{DAY_SEP}{d2})+{COMMA}{y}"), days_in_month),
        // 30 October 1956; 1st April, 1949; 2nd of May 1950
        (0, false, format!("{d}{OF}{m}{COMMA}{y}"), single),
        // October 30, 1956; Oct. 30, 1956
        (0, false, format!(r"{m}\s*{d}{COMMA}{y}"), single),
        // 1956-10-30
        (0, true, r"(?-u:\b)(?P<y>[12][0-9]{3})-(?P<mn>[0-9]{2})-(?P<d>[0-9]{2})(?-u:\b)".to_string(), single),
        // 30.10.1956
        (
            0,
            true,
            r"(?-u:\b)(?P<d>[0-3]?[0-9])\.\s?(?P<mn>[01]?[0-9])\.\s?(?P<y>[12][0-9]{3})(?-u:\b)".to_string(),
            single,
        ),
        // October-November 1956
        (1, false, format!("{m1}{RANGE}{m2}{COMMA}{y}"), month_range),
        // November 1967; Sept. 1956
        (1, false, format!("{m}{COMMA}{y}"), whole_month),
        // 1956-10
        (1, true, r"(?-u:\b)(?P<y>[12][0-9]{3})-(?P<mn>0[1-9]|1[0-2])(?-u:\b)".to_string(), whole_month),
        // 1956–1957; 1956-57
        (
            2,
            true,
            r"(?-u:\b)(?P<y1>[12][0-9]{3})\s*[-‐‑‒–—]\s*(?P<y2>[12][0-9]{3}|[0-9]{2})(?-u:\b)".to_string(),
            year_range,
        ),
        // 1956
        (2, true, y, whole_year),
    ];
    specs
        .into_iter()
        .filter_map(|(tier, numeric, body, convert)| {
            Some(Pattern {
                tier,
                numeric,
                anchored: Regex::new(&format!("(?i)^(?:{body})$")).ok()?,
                search: Regex::new(&format!("(?i){body}")).ok()?,
                convert,
            })
        })
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn range(text: &str) -> Option<(String, String)> {
        parse_date(text).map(|d| (d.from, d.to))
    }

    fn r(from: &str, to: &str) -> Option<(String, String)> {
        Some((from.to_string(), to.to_string()))
    }

    #[test]
    fn all_patterns_compile() {
        assert_eq!(PATTERNS.len(), 15);
    }

    #[test]
    fn single_days() {
        assert_eq!(range("October 30, 1956"), r("1956-10-30", "1956-10-30"));
        assert_eq!(range("30 October 1956"), r("1956-10-30", "1956-10-30"));
        assert_eq!(range("1st April, 1949"), r("1949-04-01", "1949-04-01"));
        assert_eq!(range("2nd of May 1950"), r("1950-05-02", "1950-05-02"));
        assert_eq!(range("Oct. 30, 1956"), r("1956-10-30", "1956-10-30"));
        assert_eq!(range("3rd March 1953"), r("1953-03-03", "1953-03-03"));
        assert_eq!(range("July 22nd, 1956"), r("1956-07-22", "1956-07-22"));
        assert_eq!(range("31. Oktober 1997"), r("1997-10-31", "1997-10-31"));
        assert_eq!(range("1956-10-30"), r("1956-10-30", "1956-10-30"));
        assert_eq!(range("30.10.1956"), r("1956-10-30", "1956-10-30"));
        assert_eq!(range("OCTOBER 30, 1956"), r("1956-10-30", "1956-10-30"));
        assert_eq!(range("october 30 1956"), r("1956-10-30", "1956-10-30"));
    }

    #[test]
    fn real_wilson_dates() {
        // original_publication_date values of the Wilson Center exports
        assert_eq!(range("October 31, 1997"), r("1997-10-31", "1997-10-31"));
        assert_eq!(range("September 12, 1996"), r("1996-09-12", "1996-09-12"));
        assert_eq!(range("November 1967"), r("1967-11-01", "1967-11-30"));
        assert_eq!(range("9 and 12 July 1956"), r("1956-07-09", "1956-07-12"));
    }

    #[test]
    fn day_ranges() {
        assert_eq!(range("November 3–4, 1956"), r("1956-11-03", "1956-11-04"));
        assert_eq!(range("November 3-4, 1956"), r("1956-11-03", "1956-11-04"));
        assert_eq!(range("3-4 November 1956"), r("1956-11-03", "1956-11-04"));
        assert_eq!(range("3–4 November 1956"), r("1956-11-03", "1956-11-04"));
        assert_eq!(range("9, 10 and 12 July 1956"), r("1956-07-09", "1956-07-12"));
        assert_eq!(range("July 9 and 12, 1956"), r("1956-07-09", "1956-07-12"));
        assert_eq!(range("20./21. November 1997"), r("1997-11-20", "1997-11-21"));
        assert_eq!(range("October 30-November 4, 1956"), r("1956-10-30", "1956-11-04"));
        assert_eq!(range("30 October - 4 November 1956"), r("1956-10-30", "1956-11-04"));
        assert_eq!(range("30 October to 4 November 1956"), r("1956-10-30", "1956-11-04"));
        assert_eq!(range("30 December 1956 – 2 January 1957"), r("1956-12-30", "1957-01-02"));
        assert_eq!(range("December 30, 1956 - January 2, 1957"), r("1956-12-30", "1957-01-02"));
    }

    #[test]
    fn months_and_years() {
        assert_eq!(range("Sept. 1956"), r("1956-09-01", "1956-09-30"));
        assert_eq!(range("February 1956"), r("1956-02-01", "1956-02-29"));
        assert_eq!(range("February 1957"), r("1957-02-01", "1957-02-28"));
        assert_eq!(range("February 1900"), r("1900-02-01", "1900-02-28"));
        assert_eq!(range("February 2000"), r("2000-02-01", "2000-02-29"));
        assert_eq!(range("1956-10"), r("1956-10-01", "1956-10-31"));
        assert_eq!(range("October-November 1956"), r("1956-10-01", "1956-11-30"));
        assert_eq!(range("1956"), r("1956-01-01", "1956-12-31"));
        assert_eq!(range("1956–1957"), r("1956-01-01", "1957-12-31"));
        assert_eq!(range("1956-57"), r("1956-01-01", "1957-12-31"));
    }

    #[test]
    fn text_is_trimmed_input() {
        let d = parse_date("  **October 30, 1956.**  ").unwrap();
        assert_eq!(d.text, "October 30, 1956");
        let d = parse_date("**November 1967**.").unwrap();
        assert_eq!(d.text, "November 1967");
        assert_eq!(d.from, "1967-11-01");
        let d = parse_date("1956,").unwrap();
        assert_eq!(d.text, "1956");
    }

    #[test]
    fn rejects() {
        assert_eq!(parse_date("February 30, 1956"), None);
        assert_eq!(parse_date("30 February 1956"), None);
        assert_eq!(parse_date("February 29, 1957"), None);
        assert!(parse_date("February 29, 1956").is_some());
        assert_eq!(parse_date("Spring 1958"), None);
        assert_eq!(parse_date("October 30"), None);
        assert_eq!(parse_date("0999"), None);
        assert_eq!(parse_date("3000"), None);
        assert_eq!(parse_date("October 30, 3056"), None);
        assert_eq!(parse_date("1956-13"), None);
        assert_eq!(parse_date("1956-02-30"), None);
        assert_eq!(parse_date("4-3 November 1956"), None);
        assert_eq!(parse_date("1957-1956"), None);
        assert_eq!(parse_date("0 October 1956"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("**"), None);
        assert_eq!(parse_date("Mayday 1956"), None);
        assert_eq!(parse_date("the meeting of 30 October 1956"), None);
    }

    #[test]
    fn last_days() {
        assert_eq!(last_day_of_month(1956, 2), 29);
        assert_eq!(last_day_of_month(1957, 2), 28);
        assert_eq!(last_day_of_month(1900, 2), 28);
        assert_eq!(last_day_of_month(2000, 2), 29);
        assert_eq!(last_day_of_month(1956, 4), 30);
        assert_eq!(last_day_of_month(1956, 12), 31);
        assert_eq!(last_day_of_month(1956, 0), 0);
        assert_eq!(last_day_of_month(1956, 13), 0);
        assert_eq!(last_day_of_month(-4, 2), 29);
    }

    #[test]
    fn find_in_titles() {
        let d = find_date("Working Notes from the Session of the CPSU CC Presidium on 30 October 1956").unwrap();
        assert_eq!((d.text.as_str(), d.from.as_str(), d.to.as_str()), ("30 October 1956", "1956-10-30", "1956-10-30"));
        let d = find_date("Bonn, 31 October 1997").unwrap();
        assert_eq!((d.text.as_str(), d.from.as_str()), ("31 October 1997", "1997-10-31"));
        let d = find_date("Telegram from Budapest, November 3–4, 1956, 11:45 p.m.").unwrap();
        assert_eq!(
            (d.text.as_str(), d.from.as_str(), d.to.as_str()),
            ("November 3–4, 1956", "1956-11-03", "1956-11-04")
        );
        let d = find_date("Meeting of 30 October - 4 November 1956 in Moscow").unwrap();
        assert_eq!(d.text, "30 October - 4 November 1956");
        assert_eq!(d.to, "1956-11-04");
        let d = find_date("Memorandum, 20./21. November 1997, Bonn").unwrap();
        assert_eq!(d.text, "20./21. November 1997");
    }

    #[test]
    fn find_prefers_precise_dates() {
        // The year comes first, the day later: the day wins.
        let d = find_date("In 1956 the Presidium met; on 30 October 1956 it decided.").unwrap();
        assert_eq!(d.from, "1956-10-30");
        let d = find_date("Report of 1967, written in November 1967").unwrap();
        assert_eq!((d.from.as_str(), d.to.as_str()), ("1967-11-01", "1967-11-30"));
        let d = find_date("Report on the 1956 events").unwrap();
        assert_eq!((d.text.as_str(), d.from.as_str(), d.to.as_str()), ("1956", "1956-01-01", "1956-12-31"));
        // An invalid day falls back to the next candidate.
        let d = find_date("February 30, 1956 or rather March 1, 1956").unwrap();
        assert_eq!(d.from, "1956-03-01");
    }

    #[test]
    fn find_avoids_file_numbers() {
        assert_eq!(find_date("BArch, B 136/59748, 403-410."), None);
        assert_eq!(find_date("TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14"), None);
        assert_eq!(find_date("Central Files, 764.00/11–256"), None);
        assert_eq!(find_date("see No. 1956 of the series"), None);
        assert_eq!(find_date("1956/57 budget"), None);
        assert_eq!(find_date("nothing here"), None);
        let d = find_date("BArch, B 136/59748, 403-410, 1997").unwrap();
        assert_eq!(d.text, "1997");
    }

    #[test]
    fn find_handles_non_ascii_text() {
        let d = find_date("Встреча — 30 October 1956 — Москва").unwrap();
        assert_eq!(d.text, "30 October 1956");
        assert_eq!(find_date("١٩٥٦"), None);
        let d = find_date("Wien, am 3. März 1996").unwrap();
        assert_eq!(d.from, "1996-03-03");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            if let Some(d) = parse_date(&s) {
                prop_assert!(d.from <= d.to);
            }
        }

        #[test]
        fn find_never_panics(s in "\\PC*") {
            if let Some(d) = find_date(&s) {
                prop_assert!(d.from <= d.to);
                prop_assert!(s.contains(&d.text));
            }
        }

        #[test]
        fn find_never_panics_on_datelike_noise(s in "[0-9 .,/–\\-a-zA-Zä]{0,60}") {
            if let Some(d) = find_date(&s) {
                prop_assert!(d.from <= d.to);
                prop_assert_eq!(d.from.len(), 10);
            }
            let _ = parse_date(&s);
        }

        #[test]
        fn day_month_year_round_trip(y in 1000u32..=2999, m in 1u32..=12, d in 1u32..=31, upper in any::<bool>()) {
            let name = if upper { MONTH_NAMES[(m - 1) as usize].to_uppercase() } else { MONTH_NAMES[(m - 1) as usize].to_string() };
            let text = format!("{d} {name} {y}");
            let last = last_day_of_month(y as i32, m);
            let iso = format!("{y:04}-{m:02}-{d:02}");
            let parsed = parse_date(&text);
            if d <= last {
                let p = parsed.unwrap();
                prop_assert_eq!(&p.from, &iso);
                prop_assert_eq!(&p.to, &iso);
                prop_assert_eq!(&p.text, &text);
                let us = parse_date(&format!("{name} {d}, {y}")).unwrap();
                prop_assert_eq!(&us.from, &iso);
                let found = find_date(&format!("Memorandum of {text}. Secret.")).unwrap();
                prop_assert_eq!(found.text, text);
                prop_assert_eq!(found.from, iso);
            } else {
                prop_assert!(parsed.is_none());
            }
        }

        #[test]
        fn month_year_covers_month(y in 1000u32..=2999, m in 1u32..=12) {
            let p = parse_date(&format!("{} {y}", MONTH_NAMES[(m - 1) as usize])).unwrap();
            prop_assert_eq!(p.from, format!("{y:04}-{m:02}-01"));
            prop_assert_eq!(p.to, format!("{y:04}-{m:02}-{:02}", last_day_of_month(y as i32, m)));
        }

        #[test]
        fn day_ranges_are_ordered(y in 1000u32..=2999, m in 1u32..=12, a in 1u32..=28, b in 1u32..=28) {
            let text = format!("{a}-{b} {} {y}", MONTH_NAMES[(m - 1) as usize]);
            match parse_date(&text) {
                Some(p) => {
                    prop_assert!(a <= b);
                    prop_assert_eq!(p.from, format!("{y:04}-{m:02}-{a:02}"));
                    prop_assert_eq!(p.to, format!("{y:04}-{m:02}-{b:02}"));
                }
                None => prop_assert!(a > b),
            }
        }
    }
}
