//! The page shell (landmarks, site header with the search box, footer) and the helpers every
//! page uses: URL building, dates for reading, highlighted snippets.

use maud::{DOCTYPE, Markup, html};
use opis_index::Hit;
use opis_model::{ArchivalRef, DocDate};

/// A whole page: `title` goes into `<title>`, `body` into `<main>`. `query` fills the search box
/// of the site header; `None` leaves it out (the page has its own).
pub(crate) fn page(title: &str, query: Option<&str>, body: Markup) -> Markup {
    page_with_head(title, query, html! {}, body)
}

/// [`page`] with `head` added to `<head>` (the reading view's citation meta tags).
pub(crate) fn page_with_head(title: &str, query: Option<&str>, head: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " — opis" }
                link rel="stylesheet" href="/static/opis.css";
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
                script src="/static/opis.js" defer {}
                (head)
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    div.bar {
                        a.brand href="/" { "opis" }
                        nav aria-label="Site" {
                            ul {
                                li { a href="/people" { "People" } }
                                li { a href="/archive" { "Archives" } }
                                li { a href="/timeline" { "Timeline" } }
                            }
                        }
                        (crate::auth::account_area())
                    }
                    @if let Some(query) = query {
                        (search_form(query, "site-q", None))
                    }
                }
                main #main tabindex="-1" { (body) }
                footer.site {
                    p {
                        "opis reading room · search: words, \"phrases\", AND/OR/NOT, "
                        code { "speaker:" } ", " code { "person:" } ", " code { "archive:" } ", "
                        code { "date:1956-10" } " · press " kbd { "/" } " to search, "
                        kbd { "j" } "/" kbd { "k" } " to move between results"
                    }
                }
            }
        }
    }
}

/// The search page's extra controls: the order of results and a date range (ISO days, or empty).
pub(crate) struct SearchControls<'a> {
    pub sort: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

/// The search form; `controls` adds the sort and date-range controls (search page only).
pub(crate) fn search_form(query: &str, id: &str, controls: Option<SearchControls<'_>>) -> Markup {
    html! {
        form.search role="search" action="/search" method="get" {
            label.visually-hidden for=(id) { "Search the collection" }
            input type="search" id=(id) name="q" value=(query) placeholder="Search: Zhukov, \"Pancha Shila\", speaker:Molotov"
                autocomplete="off" spellcheck="false" data-search;
            @if let Some(c) = &controls {
                label.visually-hidden for="sort" { "Order results by" }
                select #sort name="sort" {
                    option value="relevance" selected[c.sort == "relevance"] { "Best match" }
                    option value="date" selected[c.sort == "date"] { "Oldest first" }
                    option value="-date" selected[c.sort == "-date"] { "Newest first" }
                }
            }
            button type="submit" { "Search" }
            @if let Some(c) = &controls {
                fieldset.dates {
                    legend { "Dated between" }
                    span.end {
                        label for="from" { "From" }
                        input type="date" id="from" name="from" value=(c.from);
                    }
                    span.end {
                        label for="to" { "to" }
                        input type="date" id="to" name="to" value=(c.to);
                    }
                }
            }
        }
    }
}

/// A page that only says what went wrong.
pub(crate) fn error_page(heading: &str, message: &str) -> Markup {
    page(
        heading,
        Some(""),
        html! {
            h1 { (heading) }
            p { (message) }
            p { a href="/" { "Back to the collection" } }
        },
    )
}

/// Percent-encodes a path segment or query value (everything but unreserved characters).
pub(crate) fn enc(s: &str) -> String {
    opis_cite::percent_encode(s)
}

/// `/search?q=…` for a query.
pub(crate) fn search_url(query: &str) -> String {
    format!("/search?q={}", enc(query))
}

pub(crate) fn person_url(name: &str) -> String {
    format!("/person/{}", enc(name.trim()))
}

pub(crate) fn doc_url(id: &str) -> String {
    format!("/doc/{}", enc(id))
}

/// A value made safe to stand inside a query's double quotes.
pub(crate) fn quoted(value: &str) -> String {
    let clean: String =
        value.chars().map(|c| if matches!(c, '"' | '“' | '”' | '„' | '«' | '»') { ' ' } else { c }).collect();
    format!("\"{}\"", clean.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The URL segment of one archive facet component below its parent ("F. 3" → "3").
pub(crate) fn archive_segment(depth: usize, component: &str) -> String {
    let prefix = match depth {
        1 => "F. ",
        2 => "Op. ",
        3 => "D. ",
        _ => "",
    };
    component.strip_prefix(prefix).unwrap_or(component).to_owned()
}

/// The archive page of an archival reference: archive, fond, opis, delo as far as known.
pub(crate) fn archive_url(r: &ArchivalRef) -> Option<String> {
    let path = opis_index::analysis::archive_facet_path(r);
    if path.is_empty() {
        return None;
    }
    let segs: Vec<String> = path.iter().enumerate().map(|(i, c)| enc(&archive_segment(i, c))).collect();
    Some(format!("/archive/{}", segs.join("/")))
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn ymd(iso: &str) -> Option<(&str, usize, u32)> {
    let mut parts = iso.splitn(3, '-');
    let y = parts.next()?;
    let m: usize = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    (y.len() == 4 && (1..=12).contains(&m)).then_some((y, m, d))
}

/// A date for reading: "30 Oct 1956", "Oct 1956", "1956", or a range of those.
pub(crate) fn fmt_date(d: &DocDate) -> String {
    let (Some((y1, m1, d1)), Some((y2, m2, d2))) = (ymd(&d.from), ymd(&d.to)) else {
        return d.text.clone();
    };
    let mon = |m: usize| MONTHS[m - 1];
    if d.from == d.to {
        return format!("{d1} {} {y1}", mon(m1));
    }
    if y1 == y2 && m1 == 1 && d1 == 1 && m2 == 12 && d2 == 31 {
        return y1.to_owned();
    }
    if y1 == y2 && m1 == m2 && d1 == 1 && d2 >= 28 {
        return format!("{} {y1}", mon(m1));
    }
    if y1 == y2 && m1 == m2 {
        return format!("{d1}–{d2} {} {y1}", mon(m1));
    }
    format!("{d1} {} {y1} – {d2} {} {y2}", mon(m1), mon(m2))
}

/// A hit's snippet with its matches marked; the text is escaped by maud, never passed raw.
pub(crate) fn snippet(hit: &Hit) -> Markup {
    html! {
        @for (text, marked) in hit.snippet_segments() {
            @if marked { mark { (text) } } @else { (text) }
        }
    }
}

/// The first `max` characters of `text` at a word boundary, with an ellipsis when cut.
pub(crate) fn first_chars(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{cut}…")
}

/// "1 document", "3 documents".
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
