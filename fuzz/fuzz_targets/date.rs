//! Fuzzes the date parsers: a parsed date is a real range (from ≤ to, both valid days).
#![no_main]

use libfuzzer_sys::fuzz_target;
use opis_formats::extract::date;

fn valid_day(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts[..] else { return false };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else { return false };
    (1..=12).contains(&m) && d >= 1 && d <= date::last_day_of_month(y, m)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for d in [date::parse_date(text), date::find_date(text)].into_iter().flatten() {
        assert!(d.from <= d.to, "{d:?} from {text:?}");
        assert!(valid_day(&d.from) && valid_day(&d.to), "{d:?} from {text:?}");
    }
});
