//! The pages around the reading view: home, search, people, a person, archives, the timeline.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use opis_formats::extract::date::MONTH_NAMES;
use opis_index::{Hit, MAX_LIMIT, MAX_OFFSET, SearchOptions, SearchResults, Sort};
use opis_store::Store;
use serde::Deserialize;

use crate::layout::{
    SearchControls, archive_segment, doc_url, enc, first_chars, fmt_date, page, person_url, plural, quoted,
    search_form, search_url, snippet,
};
use crate::{AppState, Shared, WebError, blocking};

/// Hits per search page.
const PAGE_SIZE: usize = 20;
/// Facet values shown per facet on the search page.
const FACET_SHOWN: usize = 8;

/// Facets in the order shown, with the query field each narrows by and its heading.
const FACETS: [(&str, &str, &str); 7] = [
    ("collection", "collection", "Collection"),
    ("kind", "kind", "Kind"),
    ("year", "date", "Year"),
    ("speaker", "speaker", "Speaker"),
    ("person", "person", "People named"),
    ("archive", "archive", "Archive file"),
    ("language", "lang", "Language"),
];

/// Query fields a reader may have added as filters (shown as removable).
const FILTER_FIELDS: [&str; 11] =
    ["speaker", "person", "archive", "cites", "kind", "lang", "collection", "title", "section", "date", "id"];

fn search_all(state: &AppState, query: &str, opts: SearchOptions) -> Result<SearchResults, WebError> {
    state.index().search_as(query, &opts, &crate::auth::visibility()).map_err(|e| WebError::from_search(e, query))
}

fn facets_only(state: &AppState, query: &str) -> Result<SearchResults, WebError> {
    search_all(state, query, SearchOptions { limit: 0, offset: 0, sort: Sort::Relevance, facets: true })
}

/// The clause that narrows a query to one facet value.
fn facet_clause(field: &str, value: &str) -> String {
    if field == "date" { format!("date:{}", value.trim()) } else { format!("{field}:{}", quoted(value)) }
}

/// `query` with `clause` added (AND).
fn with_clause(query: &str, clause: &str) -> String {
    let q = query.trim();
    if q.is_empty() { clause.to_owned() } else { format!("{q} {clause}") }
}

/// The field filters standing in a query: (field, value, the query without it).
fn filters(query: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = query.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, _) = chars[i];
        let starts_token = i == 0 || chars[i - 1].1.is_whitespace() || chars[i - 1].1 == '(';
        let field = FILTER_FIELDS.iter().find(|f| query[at..].starts_with(&format!("{f}:")));
        if let (true, Some(field)) = (starts_token, field) {
            let value_at = at + field.len() + 1;
            let rest = &query[value_at..];
            let (value, len) = if let Some(inner) = rest.strip_prefix('"') {
                match inner.find('"') {
                    Some(end) => (inner[..end].to_owned(), end + 2),
                    None => (inner.to_owned(), rest.len()),
                }
            } else {
                let end = rest.find(|c: char| c.is_whitespace() || c == ')').unwrap_or(rest.len());
                (rest[..end].to_owned(), end)
            };
            let end = value_at + len;
            if !value.trim().is_empty() {
                let without = format!("{} {}", &query[..at], &query[end..]);
                let without = without.split_whitespace().collect::<Vec<_>>().join(" ");
                out.push(((*field).to_owned(), value, without));
            }
            while i < chars.len() && chars[i].0 < end {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Home

struct CollectionRow {
    name: String,
    documents: u64,
    first: Option<String>,
    last: Option<String>,
}

pub(crate) async fn home(State(state): State<Shared>) -> Result<Markup, WebError> {
    let (stats, rows) = blocking(&state, |s| {
        let stats = s.with_store(|st| Ok(st.stats_visible(&crate::auth::visibility())?))?;
        let mut rows = Vec::new();
        for (name, n) in &stats.collections {
            let (mut first, mut last) = (None, None);
            if !name.trim().is_empty() {
                let q = format!("collection:{}", quoted(name));
                for (sort, slot) in [(Sort::DateAsc, &mut first), (Sort::DateDesc, &mut last)] {
                    let r = search_all(s, &q, SearchOptions { limit: 1, offset: 0, sort, facets: false })?;
                    *slot = r.hits.first().and_then(|h| h.date.clone());
                }
            }
            let year = |d: Option<opis_model::DocDate>, end: bool| {
                d.map(|d| if end { d.to } else { d.from }).map(|s| s.chars().take(4).collect::<String>())
            };
            rows.push(CollectionRow {
                name: name.clone(),
                documents: *n,
                first: year(first, false),
                last: year(last, true),
            });
        }
        Ok((stats, rows))
    })
    .await?;
    let body = html! {
        div.hero {
            h1 { "The reading room" }
            p.lede {
                (plural(stats.documents, "document", "documents")) ", "
                (plural(stats.turns, "speaker turn", "speaker turns")) ", "
                (plural(stats.notes, "note", "notes")) " and "
                (plural(stats.persons, "person", "persons")) " named — read with their notes, "
                "searched across spellings and scripts."
            }
            (search_form("", "home-q", None))
            p.examples {
                "Try "
                a href=(search_url("\"Pancha Shila\"")) { "\"Pancha Shila\"" } ", "
                a href=(search_url("speaker:Zhukov")) { "speaker:Zhukov" } ", "
                a href=(search_url("date:1956-10..1956-11 Hungary")) { "date:1956-10..1956-11 Hungary" } "."
            }
        }
        section aria-labelledby="collections-h" {
            h2 #collections-h { "Collections" }
            @if rows.is_empty() {
                p { "The collection is empty. Run " code { "opis ingest PATH" } " or " code { "opis serve --ingest PATH" } "." }
            } @else {
                table.collections {
                    thead { tr { th scope="col" { "Collection" } th.num scope="col" { "Documents" } th scope="col" { "Years" } } }
                    tbody {
                        @for row in &rows {
                            tr {
                                th scope="row" {
                                    @if row.name.trim().is_empty() { "(no collection)" } @else {
                                        a href=(search_url(&format!("collection:{}", quoted(&row.name)))) { (row.name) }
                                    }
                                }
                                td.num { (row.documents) }
                                td {
                                    @match (&row.first, &row.last) {
                                        (Some(a), Some(b)) if a == b => (a),
                                        (Some(a), Some(b)) => { (a) "–" (b) },
                                        (Some(a), None) | (None, Some(a)) => (a),
                                        (None, None) => "—",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="explore-h" {
            h2 #explore-h { "Explore" }
            ul.entry-points {
                li { a href="/people" { "People" } " — everyone who speaks or is named, with every turn they took." }
                li { a href="/archive" { "Archives" } " — browse by archive, fond, opis and file." }
                li { a href="/timeline" { "Timeline" } " — documents month by month." }
            }
        }
    };
    Ok(page("Reading room", None, body))
}

// ---------------------------------------------------------------------------------------------
// Search

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchParams {
    q: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    /// The date-range control: first and last day (ISO). When either is sent, the query's date
    /// range is replaced by `date:FROM..TO` and the browser is sent to that query's URL.
    from: Option<String>,
    to: Option<String>,
}

/// A date the date-range control sent, kept to the characters of an ISO date.
fn iso_day(s: Option<&str>) -> String {
    s.unwrap_or_default().trim().chars().filter(|c| c.is_ascii_digit() || *c == '-').take(10).collect()
}

/// The first date-range filter (`date:A..B`, `date:A..`, `date:..B`) of a query: (from, to, the
/// query without it).
fn date_range(query: &str) -> Option<(String, String, String)> {
    filters(query).into_iter().find_map(|(field, value, without)| {
        let (a, b) = value.split_once("..").filter(|_| field == "date")?;
        Some((a.trim().to_owned(), b.trim().to_owned(), without))
    })
}

/// A year, month or day as the ISO day that starts (or, with `end`, ends) it, for a date input.
fn as_day(partial: &str, end: bool) -> String {
    let parts: Vec<&str> = partial.split('-').collect();
    let num = |s: &str| s.parse::<u32>().ok();
    match parts[..] {
        [y] if y.len() == 4 && num(y).is_some() => format!("{y}-{}", if end { "12-31" } else { "01-01" }),
        [y, m] if y.len() == 4 && num(y).is_some() && matches!(num(m), Some(1..=12)) => {
            let (year, month) = (num(y).unwrap_or(0), num(m).unwrap_or(1));
            let last = match month {
                2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            format!("{y}-{month:02}-{:02}", if end { last } else { 1 })
        }
        _ => partial.to_owned(),
    }
}

fn sort_of(s: &str) -> Sort {
    match s {
        "date" => Sort::DateAsc,
        "-date" => Sort::DateDesc,
        _ => Sort::Relevance,
    }
}

fn search_page_url(q: &str, sort: &str, page: usize) -> String {
    let mut url = search_url(q);
    if sort != "relevance" {
        url.push_str(&format!("&sort={}", enc(sort)));
    }
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

pub(crate) async fn search(State(state): State<Shared>, Query(p): Query<SearchParams>) -> Result<Response, WebError> {
    let q = p.q.unwrap_or_default();
    let sort = match p.sort.as_deref() {
        Some(s @ ("date" | "-date")) => s.to_owned(),
        _ => "relevance".to_owned(),
    };
    if p.from.is_some() || p.to.is_some() {
        // The search page shows its range in the inputs, not in the text box, so the inputs
        // replace any range of the query; empty inputs leave a range typed in the box alone.
        let (from, to) = (iso_day(p.from.as_deref()), iso_day(p.to.as_deref()));
        let mut q = q.clone();
        if !from.is_empty() || !to.is_empty() {
            while let Some((_, _, without)) = date_range(&q) {
                q = without;
            }
            q = with_clause(&q, &format!("date:{from}..{to}"));
        }
        return Ok(Redirect::to(&search_page_url(&q, &sort, 1)).into_response());
    }
    let max_page = MAX_OFFSET / PAGE_SIZE + 1;
    let page_no = p.page.and_then(|s| s.trim().parse::<usize>().ok()).unwrap_or(1).clamp(1, max_page);
    let opts =
        SearchOptions { limit: PAGE_SIZE, offset: (page_no - 1) * PAGE_SIZE, sort: sort_of(&sort), facets: true };
    let query = q.clone();
    let results = blocking(&state, move |s| search_all(s, &query, opts)).await?;
    Ok(search_page(&q, &sort, page_no, &results).into_response())
}

fn hit_heading(hit: &Hit) -> Markup {
    let date = hit.date.as_ref().map(fmt_date);
    match hit.turn {
        Some(n) => html! {
            a href=(format!("{}#turn-{n}", doc_url(&hit.id))) {
                span.who { (if hit.speakers.is_empty() { "Unnamed speaker".to_owned() } else { hit.speakers.join(", ") }) }
                ", in " cite { (hit.title) }
                @if let Some(d) = &date { ", " (d) }
            }
        },
        None => html! { a href=(doc_url(&hit.id)) { cite { (hit.title) } } },
    }
}

fn search_page(q: &str, sort: &str, page_no: usize, r: &SearchResults) -> Markup {
    let active = filters(q);
    let pages = (r.total as usize).div_ceil(PAGE_SIZE).min(MAX_OFFSET / PAGE_SIZE + 1);
    let first = (page_no - 1) * PAGE_SIZE + 1;
    let title = if q.trim().is_empty() { "Search".to_owned() } else { format!("{q} — search") };
    // The date range lives in its own inputs; the text box holds the rest of the query.
    let (from, to, rest) = match date_range(q) {
        Some((a, b, without)) => (as_day(&a, false), as_day(&b, true), without),
        None => (String::new(), String::new(), q.to_owned()),
    };
    // Document facets count documents; the rest of the total are turns.
    let documents: u64 = r.facets.get("kind").map(|k| k.values().sum()).unwrap_or(r.total).min(r.total);
    let turns = r.total - documents;
    let body = html! {
        h1.visually-hidden { "Search" }
        (search_form(&rest, "q", Some(SearchControls { sort, from: &from, to: &to })))
        @if !active.is_empty() {
            div.filters aria-label="Filters in the query" role="group" {
                @for (field, value, without) in &active {
                    a.chip href=(search_page_url(without, sort, 1)) aria-label=(format!("Remove the filter {field}: {value}")) {
                        span.field { (field) ":" } " " (value) " " span aria-hidden="true" { "×" }
                    }
                }
            }
        }
        div.results-layout {
            section.results aria-labelledby="results-h" {
                h2 #results-h .count {
                    @if r.total == 0 { "No matches" }
                    @else if r.hits.is_empty() { (plural(r.total, "match", "matches")) " — this page is past the last" }
                    @else { (plural(r.total, "match", "matches")) @if pages > 1 { ", " (first) "–" (first + r.hits.len() - 1) " shown" } }
                    @if r.total > 0 {
                        span.split {
                            " — " span #count-documents data-n=(documents) { (plural(documents, "document", "documents")) }
                            @if turns > 0 { ", " span #count-turns data-n=(turns) { (plural(turns, "speaker turn", "speaker turns")) } }
                        }
                    }
                }
                @if r.total > 0 {
                    p.aside-links { a href=(format!("/timeline?q={}", enc(q))) { "These results on the timeline" } }
                }
                @if r.total == 0 && !q.trim().is_empty() {
                    p.hint { "Nothing matched. Names are matched across spellings; try fewer words, or remove a filter." }
                }
                ol.hits start=(first) {
                    @for hit in &r.hits {
                        li.hit data-hit {
                            h3 { (hit_heading(hit)) }
                            p.meta {
                                @if hit.turn.is_some() {
                                    "speaker turn · " (hit.kind)
                                } @else {
                                    @if let Some(d) = &hit.date { time datetime=(d.from) { (fmt_date(d)) } " · " }
                                    (hit.kind)
                                }
                            }
                            @if !hit.snippet.is_empty() { p.snippet { (snippet(hit)) } }
                        }
                    }
                }
                @if pages > 1 { (pagination(q, sort, page_no, pages)) }
            }
            @if r.facets.values().any(|v| !v.is_empty()) {
                aside.facets aria-labelledby="facets-h" {
                    h2 #facets-h { "Refine" }
                    @for (name, field, heading) in FACETS {
                        @if let Some(values) = r.facets.get(name).filter(|v| !v.is_empty()) {
                            (facet_list(q, sort, field, heading, values))
                        }
                    }
                }
            }
        }
    };
    page(&title, None, body)
}

fn facet_list(q: &str, sort: &str, field: &str, heading: &str, values: &BTreeMap<String, u64>) -> Markup {
    let mut values: Vec<(&String, &u64)> = values.iter().collect();
    if field == "date" {
        values.sort_by(|a, b| a.0.cmp(b.0));
    } else {
        values.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    }
    let shown = &values[..values.len().min(FACET_SHOWN)];
    html! {
        section.facet {
            h3 { (heading) }
            ul {
                @for (value, n) in shown {
                    @let clause = facet_clause(field, value);
                    @let on = q.contains(&clause);
                    li {
                        @if on {
                            @let without = q.replace(&clause, " ").split_whitespace().collect::<Vec<_>>().join(" ");
                            a.on href=(search_page_url(&without, sort, 1)) aria-current="true" title="Remove this filter" {
                                span.v { (value) } " " span.n { (n) }
                            }
                        } @else {
                            a href=(search_page_url(&with_clause(q, &clause), sort, 1)) {
                                span.v { (value) } " " span.n { (n) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn pagination(q: &str, sort: &str, page_no: usize, pages: usize) -> Markup {
    let window: BTreeSet<usize> =
        [1, pages].into_iter().chain(page_no.saturating_sub(2).max(1)..=(page_no + 2).min(pages)).collect();
    // `None` stands for a gap between page numbers.
    let mut items: Vec<Option<usize>> = Vec::new();
    let mut last = 0;
    for p in window {
        if p > last + 1 {
            items.push(None);
        }
        items.push(Some(p));
        last = p;
    }
    html! {
        nav.pages aria-label="Result pages" {
            ul {
                @if page_no > 1 { li { a href=(search_page_url(q, sort, page_no - 1)) rel="prev" { "← Previous" } } }
                @for item in &items {
                    @match item {
                        None => li.gap aria-hidden="true" { "…" },
                        Some(p) if *p == page_no => li { span aria-current="page" { (p) } },
                        Some(p) => li { a href=(search_page_url(q, sort, *p)) { (p) } },
                    }
                }
                @if page_no < pages { li { a href=(search_page_url(q, sort, page_no + 1)) rel="next" { "Next →" } } }
            }
        }
    }
}

/// The search page for a query the parser rejected: the message, its column, a caret.
pub(crate) fn bad_query_page(query: &str, message: &str, position: usize) -> Markup {
    let line: String = query.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let body = html! {
        h1.visually-hidden { "Search" }
        (search_form(query, "q", Some(SearchControls { sort: "relevance", from: "", to: "" })))
        div.error role="alert" {
            h2 { "The query could not be read" }
            p { (message) " at column " (position + 1) "." }
            pre.caret aria-hidden="true" { (line) "\n" (" ".repeat(position)) "^" }
            p.hint { "Phrases need a closing quote, parentheses must pair, and fields are written " code { "speaker:Zhukov" } "." }
        }
    };
    page("Query error", None, body)
}

// ---------------------------------------------------------------------------------------------
// People

pub(crate) async fn people(State(state): State<Shared>) -> Result<Markup, WebError> {
    let r = blocking(&state, |s| facets_only(s, "")).await?;
    let sorted = |name: &str| {
        let mut v: Vec<(String, u64)> = r.facets.get(name).map(|m| m.clone().into_iter().collect()).unwrap_or_default();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(300);
        v
    };
    let speakers = sorted("speaker");
    let named = sorted("person");
    let body = html! {
        h1 { "People" }
        p.lede { "Everyone who speaks in a transcript or is named in a document. Each name leads to every turn that person took." }
        div.columns {
            @if !speakers.is_empty() {
                section aria-labelledby="speakers-h" {
                    h2 #speakers-h { "Speakers" }
                    ul.names { @for (name, n) in &speakers { li { a href=(person_url(name)) { (name) } " " span.n { (plural(*n, "turn", "turns")) } } } }
                }
            }
            @if !named.is_empty() {
                section aria-labelledby="named-h" {
                    h2 #named-h { "Named in documents" }
                    ul.names { @for (name, n) in &named { li { a href=(person_url(name)) { (name) } " " span.n { (plural(*n, "document", "documents")) } } } }
                }
            }
        }
        @if speakers.is_empty() && named.is_empty() { p { "No people yet." } }
    };
    Ok(page("People", Some(""), body))
}

struct PersonView {
    turns: Vec<Hit>,
    total_turns: u64,
    attended: Vec<(String, String, Option<opis_model::DocDate>, String)>,
    named_in: u64,
    variants: BTreeSet<String>,
    /// Who else stood in the same attendance lists, with the number of sessions shared, most first.
    co_attendance: Vec<(String, u64)>,
    /// The people authority's persons of this name.
    authority: Vec<opis_model::people::Person>,
}

/// Co-attendants shown on a person's page.
const CO_ATTENDANTS_SHOWN: usize = 24;

/// A name compared loosely: trimmed, without a final full stop, lower case.
fn name_key(s: &str) -> String {
    s.trim().trim_end_matches('.').to_lowercase()
}

fn same_name(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b)
}

pub(crate) async fn person(State(state): State<Shared>, Path(name): Path<String>) -> Result<Markup, WebError> {
    let name = name.trim().to_owned();
    let who = name.clone();
    let view = blocking(&state, move |s| {
        if quoted(&who) == "\"\"" {
            return Err(WebError::NotFound(format!("person {who:?}")));
        }
        let turns_q = format!("speaker:{}", quoted(&who));
        let r =
            search_all(s, &turns_q, SearchOptions { limit: MAX_LIMIT, offset: 0, sort: Sort::DateAsc, facets: false })
                .map_err(|e| match e {
                    // A name with nothing to search for ("£") names nobody.
                    WebError::BadQuery { .. } => WebError::NotFound(format!("person {who:?}")),
                    e => e,
                })?;
        let mut turns: Vec<Hit> = r.hits.into_iter().filter(|h| h.turn.is_some()).collect();
        turns.sort_by(|a, b| {
            let d = |h: &Hit| h.date.as_ref().map(|d| d.from.clone()).unwrap_or_else(|| "9999".into());
            d(a).cmp(&d(b)).then(a.id.cmp(&b.id)).then(a.turn.cmp(&b.turn))
        });
        let named_q = format!("person:{}", quoted(&who));
        let named =
            search_all(s, &named_q, SearchOptions { limit: 200, offset: 0, sort: Sort::DateAsc, facets: false })?;
        let mut attended = Vec::new();
        let mut variants = BTreeSet::new();
        // Normalized name -> (the spelling first seen, sessions shared).
        let mut together: BTreeMap<String, (String, u64)> = BTreeMap::new();
        let mut authority = Vec::new();
        s.with_store(|st| {
            authority = crate::authority::persons_named(st, &who)?;
            let mut seen = BTreeSet::new();
            for hit in named.hits.iter().filter(|h| seen.insert(h.id.clone())) {
                let Some(stored) = st.document(&hit.id)? else { continue };
                let d = stored.document;
                let mut forms = vec![who.clone()];
                for p in d
                    .persons
                    .iter()
                    .filter(|p| same_name(&p.name, &who) || p.variants.iter().any(|v| same_name(v, &who)))
                {
                    forms.push(p.name.clone());
                    forms.extend(p.variants.iter().cloned());
                    variants.extend(p.variants.iter().filter(|v| !same_name(v, &who)).cloned());
                    if !same_name(&p.name, &who) {
                        variants.insert(p.name.clone());
                    }
                }
                let present: Vec<&opis_model::Participants> = d
                    .participants
                    .iter()
                    .filter(|l| l.names.iter().any(|n| forms.iter().any(|f| same_name(n, f))))
                    .collect();
                let lists: Vec<&str> = present.iter().map(|l| l.label.as_str()).collect();
                let mut others = BTreeSet::new();
                for n in present.iter().flat_map(|l| l.names.iter()) {
                    if !n.trim().is_empty()
                        && !crate::authority::not_a_person(n)
                        && !forms.iter().any(|f| same_name(n, f))
                        && others.insert(name_key(n))
                    {
                        together.entry(name_key(n)).or_insert_with(|| (n.trim().to_owned(), 0)).1 += 1;
                    }
                }
                if !lists.is_empty() {
                    attended.push((d.id.clone(), d.title.clone(), d.date.clone(), lists.join("; ")));
                }
            }
            Ok(())
        })?;
        for p in &authority {
            variants.extend(p.variants.iter().map(|v| v.form.clone()).filter(|f| !same_name(f, &who)));
        }
        if turns.is_empty() && named.total == 0 && authority.is_empty() {
            return Err(WebError::NotFound(format!("person {who:?}")));
        }
        let mut co_attendance: Vec<(String, u64)> = together.into_values().collect();
        co_attendance.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(PersonView {
            total_turns: turns.len() as u64,
            turns,
            attended,
            named_in: named.total,
            variants,
            co_attendance,
            authority,
        })
    })
    .await?;
    Ok(person_page(&name, &view))
}

fn person_page(name: &str, v: &PersonView) -> Markup {
    let mut by_doc: Vec<(&Hit, Vec<&Hit>)> = Vec::new();
    for t in &v.turns {
        match by_doc.last_mut() {
            Some((first, list)) if first.id == t.id => list.push(t),
            _ => by_doc.push((t, vec![t])),
        }
    }
    let body = html! {
        h1 { (name) }
        @if !v.variants.is_empty() {
            p.variants { "Also written: " @for (i, var) in v.variants.iter().enumerate() { @if i > 0 { ", " } span lang="" { (var) } } }
        }
        dl.counts {
            div { dt { "Sessions attended" } dd #count-sessions { (v.attended.len()) } }
            div { dt { "Turns spoken" } dd #count-turns { (v.total_turns) } }
            div { dt { "Documents with turns" } dd { (by_doc.len()) } }
            div { dt { "Documents naming" } dd { (v.named_in) } }
        }
        p.lede {
            a href=(search_url(&format!("speaker:{}", quoted(name)))) { "Search these turns" } " · "
            a href=(search_url(&format!("person:{}", quoted(name)))) { "documents naming " (name) }
        }
        @if !v.attended.is_empty() {
            section aria-labelledby="attended-h" {
                h2 #attended-h { "Sessions attended" }
                ul.doclist {
                    @for (id, title, date, lists) in &v.attended {
                        li {
                            @if let Some(d) = date { time datetime=(d.from) { (fmt_date(d)) } " " }
                            a href=(doc_url(id)) { cite { (title) } }
                            " " span.n { "(" (lists) ")" }
                        }
                    }
                }
            }
        }
        @if !v.co_attendance.is_empty() {
            section aria-labelledby="together-h" {
                h2 #together-h { "Most often in the room with" }
                p.n { "From the attendance lists of the sessions above: how many of them each person shared." }
                ol.together {
                    @for (other, n) in v.co_attendance.iter().take(CO_ATTENDANTS_SHOWN) {
                        li { a href=(person_url(other)) { (other) } " " span.n data-sessions=(n) { (plural(*n, "session", "sessions")) } }
                    }
                }
                @if v.co_attendance.len() > CO_ATTENDANTS_SHOWN {
                    p.n { "and " (v.co_attendance.len() - CO_ATTENDANTS_SHOWN) " more." }
                }
            }
        }
        (crate::authority::section(&v.authority))
        section aria-labelledby="turns-h" {
            h2 #turns-h { "Turns spoken, in date order" }
            @if by_doc.is_empty() { p { "No turns are recorded for this name." } }
            @for (first, turns) in &by_doc {
                section.person-doc {
                    h3 {
                        @if let Some(d) = &first.date { time datetime=(d.from) { (fmt_date(d)) } " · " }
                        a href=(doc_url(&first.id)) { cite { (first.title) } }
                    }
                    ol.turn-quotes {
                        @for t in turns {
                            @let n = t.turn.unwrap_or(0);
                            li data-hit {
                                a.anchor href=(format!("{}#turn-{n}", doc_url(&t.id))) { "Turn " (n + 1) }
                                @if t.speakers.len() > 1 { " " span.n { "(with " (t.speakers.iter().filter(|s| !same_name(s, name)).cloned().collect::<Vec<_>>().join(", ")) ")" } }
                                blockquote { p { (first_chars(&t.snippet_plain(), 280)) } }
                            }
                        }
                    }
                }
            }
        }
    };
    page(name, Some(""), body)
}

// ---------------------------------------------------------------------------------------------
// Archives

/// The children of `parent` (or the archives, for `None`) among the archive facet values.
fn children<'a>(values: &'a BTreeMap<String, u64>, parent: Option<&str>) -> Vec<(&'a String, u64)> {
    let under: Vec<(&String, u64)> = match parent {
        None => values.iter().map(|(k, v)| (k, *v)).collect(),
        Some(p) => values
            .iter()
            .filter(|(k, _)| k.len() > p.len() + 2 && k.starts_with(p) && k[p.len()..].starts_with(", "))
            .map(|(k, v)| (k, *v))
            .collect(),
    };
    let mut out: Vec<(&String, u64)> = under
        .iter()
        .filter(|(k, _)| {
            !under.iter().any(|(w, _)| w.len() < k.len() && k.starts_with(w.as_str()) && k[w.len()..].starts_with(", "))
        })
        .copied()
        .collect();
    out.sort_by_key(|(k, _)| natural(k));
    out
}

/// A sort key that orders "D. 9" before "D. 10".
fn natural(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((std::mem::take(&mut text), num.parse().unwrap_or(u64::MAX)));
                num.clear();
            }
            text.push(c);
        }
    }
    out.push((text, num.parse().unwrap_or(0)));
    out
}

/// The last component of a facet value below its parent.
fn component<'a>(value: &'a str, parent: Option<&str>) -> &'a str {
    match parent {
        Some(p) => value.get(p.len() + 2..).unwrap_or(value),
        None => value,
    }
}

pub(crate) async fn archives(State(state): State<Shared>) -> Result<Markup, WebError> {
    let r = blocking(&state, |s| facets_only(s, "")).await?;
    let empty = BTreeMap::new();
    let values = r.facets.get("archive").unwrap_or(&empty);
    let top = children(values, None);
    let body = html! {
        h1 { "Archives" }
        p.lede { "Every archive cited by a document, with the number of documents from it. Follow an archive down to its fonds, inventories (opisi) and files (dela)." }
        @if top.is_empty() { p { "No archival references yet." } }
        ul.archive-list {
            @for (v, n) in &top {
                li { a href=(format!("/archive/{}", enc(v))) { (v) } " " span.n { (plural(*n, "document", "documents")) } }
            }
        }
    };
    Ok(page("Archives", Some(""), body))
}

struct ArchiveView {
    /// (facet value, its label) from the archive down.
    trail: Vec<(String, String)>,
    children: Vec<(String, String, u64)>,
    documents: SearchResults,
    cited: SearchResults,
}

pub(crate) async fn archive(State(state): State<Shared>, Path(path): Path<String>) -> Result<Markup, WebError> {
    let view = blocking(&state, move |s| {
        let mut rest = path.trim_matches('/').to_owned();
        let mut trail: Vec<(String, String)> = Vec::new();
        let mut facets = facets_only(s, "")?;
        loop {
            let empty = BTreeMap::new();
            let values = facets.facets.get("archive").unwrap_or(&empty);
            let parent = trail.last().map(|(v, _)| v.as_str());
            let depth = trail.len();
            let found = children(values, parent).into_iter().find_map(|(v, _)| {
                let label = component(v, parent);
                [archive_segment(depth, label), label.to_owned()].into_iter().find_map(|seg| {
                    if rest == seg {
                        Some((v.clone(), label.to_owned(), String::new()))
                    } else {
                        rest.strip_prefix(&format!("{seg}/")).map(|r| (v.clone(), label.to_owned(), r.to_owned()))
                    }
                })
            });
            let Some((value, label, remaining)) = found else {
                return Err(WebError::NotFound(format!("archive file {path:?}")));
            };
            trail.push((value.clone(), label));
            rest = remaining;
            facets = facets_only(s, &format!("archive:{}", quoted(&value)))?;
            if rest.is_empty() {
                break;
            }
        }
        let (value, _) = trail.last().cloned().unwrap_or_default();
        let empty = BTreeMap::new();
        let values = facets.facets.get("archive").unwrap_or(&empty);
        let kids = children(values, Some(&value))
            .into_iter()
            .map(|(v, n)| (v.clone(), component(v, Some(&value)).to_owned(), n))
            .collect();
        let opts = SearchOptions { limit: 500, offset: 0, sort: Sort::DateAsc, facets: false };
        let documents = search_all(s, &format!("archive:{}", quoted(&value)), opts)?;
        let cited = search_all(s, &format!("cites:{}", quoted(&value)), SearchOptions { limit: 100, ..opts })?;
        Ok(ArchiveView { trail, children: kids, documents, cited })
    })
    .await?;
    Ok(archive_page(&view))
}

fn archive_page(v: &ArchiveView) -> Markup {
    let depth = v.trail.len();
    let url_of = |upto: usize| {
        let segs: Vec<String> =
            v.trail[..upto].iter().enumerate().map(|(i, (_, label))| enc(&archive_segment(i, label))).collect();
        format!("/archive/{}", segs.join("/"))
    };
    let title = v.trail.last().map(|(value, _)| value.clone()).unwrap_or_default();
    let docs: Vec<&Hit> = v.documents.hits.iter().filter(|h| h.turn.is_none()).collect();
    let cited: Vec<&Hit> = v.cited.hits.iter().filter(|h| h.turn.is_none()).collect();
    let body = html! {
        nav.crumbs aria-label="Breadcrumb" {
            ol {
                li { a href="/archive" { "Archives" } }
                @for (i, (_, label)) in v.trail.iter().enumerate() {
                    li { @if i + 1 == depth { span aria-current="page" { (label) } } @else { a href=(url_of(i + 1)) { (label) } } }
                }
            }
        }
        h1 { (title) }
        @if !v.children.is_empty() {
            section aria-labelledby="within-h" {
                h2 #within-h { "Within" }
                ul.archive-list {
                    @for (_, label, n) in &v.children {
                        li { a href=(format!("{}/{}", url_of(depth), enc(&archive_segment(depth, label)))) { (label) } " " span.n { (plural(*n, "document", "documents")) } }
                    }
                }
            }
        }
        section aria-labelledby="docs-h" {
            h2 #docs-h { "Documents from this file" }
            @if docs.is_empty() { p { "None." } }
            ul.doclist {
                @for h in &docs {
                    li { @if let Some(d) = &h.date { time datetime=(d.from) { (fmt_date(d)) } " " } a href=(doc_url(&h.id)) { cite { (h.title) } } " " span.n { (h.kind) } }
                }
            }
        }
        @if !cited.is_empty() {
            section aria-labelledby="cited-h" {
                h2 #cited-h { "Cited in the notes of" }
                ul.doclist {
                    @for h in &cited {
                        li { @if let Some(d) = &h.date { time datetime=(d.from) { (fmt_date(d)) } " " } a href=(doc_url(&h.id)) { cite { (h.title) } } }
                    }
                }
            }
        }
    };
    page(&title, Some(""), body)
}

// ---------------------------------------------------------------------------------------------
// Timeline

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TimelineParams {
    q: Option<String>,
}

/// Months shown with their gaps filled (so the axis is true to time) when the span is at most this.
const TIMELINE_MAX_MONTHS: usize = 1800;

/// One bar of a chart: its label, the date filter its bar links to, its count.
struct Bar {
    label: String,
    clause: String,
    count: u64,
    /// The label under the axis, when this bar carries one.
    tick: Option<String>,
}

pub(crate) async fn timeline(State(state): State<Shared>, Query(p): Query<TimelineParams>) -> Result<Markup, WebError> {
    let q = p.q.unwrap_or_default();
    let query = q.clone();
    let r = blocking(&state, move |s| facets_only(s, &query)).await?;
    let mut months: BTreeMap<(i32, u32), u64> = BTreeMap::new();
    for (m, n) in r.facets.get("month").into_iter().flatten() {
        if let Some((y, mo)) = m.split_once('-')
            && let (Ok(y), Ok(mo)) = (y.parse::<i32>(), mo.parse::<u32>())
            && (1..=12).contains(&mo)
        {
            months.insert((y, mo), *n);
        }
    }
    let mut years: BTreeMap<i32, u64> = BTreeMap::new();
    for (y, n) in r.facets.get("year").into_iter().flatten() {
        if let Ok(y) = y.parse::<i32>() {
            years.insert(y, *n);
        }
    }
    if let (Some(&(y0, m0)), Some(&(y1, m1))) = (months.keys().next(), months.keys().next_back()) {
        let span = (y1 - y0) as i64 * 12 + i64::from(m1) - i64::from(m0) + 1;
        if span <= TIMELINE_MAX_MONTHS as i64 {
            let (mut y, mut m) = (y0, m0);
            while (y, m) <= (y1, m1) {
                months.entry((y, m)).or_insert(0);
                (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            }
        }
    }
    if let (Some(&lo), Some(&hi)) = (years.keys().next(), years.keys().next_back())
        && hi - lo <= 400
    {
        for y in lo..=hi {
            years.entry(y).or_insert(0);
        }
    }
    let span_years = years.len().max(1);
    let year_every = [1, 2, 5, 10, 20, 50, 100].into_iter().find(|k| span_years / k <= 14).unwrap_or(200);
    let month_bars: Vec<Bar> = months
        .iter()
        .map(|(&(y, m), &count)| Bar {
            label: format!("{} {y}", MONTH_NAMES[m as usize - 1]),
            clause: format!("date:{y}-{m:02}"),
            count,
            tick: (m == 1 && y.rem_euclid(year_every as i32) == 0 || months.len() <= 24 && m % 3 == 1).then(|| {
                if months.len() <= 24 { format!("{} {y}", &MONTH_NAMES[m as usize - 1][..3]) } else { y.to_string() }
            }),
        })
        .collect();
    let year_bars: Vec<Bar> = years
        .iter()
        .map(|(&y, &count)| Bar {
            label: y.to_string(),
            clause: format!("date:{y}"),
            count,
            tick: (y.rem_euclid(year_every as i32) == 0 || years.len() <= 14).then(|| y.to_string()),
        })
        .collect();
    let filtered = !q.trim().is_empty();
    let span = match (years.keys().next(), years.keys().next_back()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => String::new(),
    };
    let title = if filtered { format!("{q} — timeline") } else { "Timeline".to_owned() };
    let body = html! {
        h1 { "Timeline" }
        p.lede {
            "Documents per month" @if filtered { " matching " code { (q) } } ". Each bar opens the search for its month."
        }
        form.search.timeline-form role="search" action="/timeline" method="get" {
            label for="timeline-q" { "Only documents matching" }
            input type="search" id="timeline-q" name="q" value=(q) placeholder="e.g. Hungary, speaker:Zhukov, kind:telegram"
                autocomplete="off" spellcheck="false";
            button type="submit" { "Show" }
            @if filtered { a.clear href="/timeline" { "All documents" } }
        }
        @if months.is_empty() { p { "No dated documents" @if filtered { " match this query" } "." } } @else {
            figure.timeline {
                (chart(&q, &month_bars, "Documents per month"))
                figcaption { "Documents per month, " (span) ", by the month their date begins in." }
            }
            @if years.len() > 1 {
                figure.timeline.years {
                    (chart(&q, &year_bars, "Documents per year"))
                    figcaption { "Documents per year, " (span) "." }
                }
            }
            details {
                summary { "The numbers as a table" }
                table.collections {
                    thead { tr { th scope="col" { "Month" } th.num scope="col" { "Documents" } } }
                    tbody {
                        @for b in month_bars.iter().filter(|b| b.count > 0) {
                            tr { th scope="row" { a href=(search_url(&with_clause(&q, &b.clause))) { (b.label) } } td.num { (b.count) } }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&title, Some(""), body))
}

fn chart(q: &str, bars: &[Bar], label: &str) -> Markup {
    let n = bars.len().max(1);
    let max = bars.iter().map(|b| b.count).max().unwrap_or(1).max(1);
    let (w, h, top, bottom, left) = (960.0_f64, 260.0_f64, 16.0_f64, 28.0_f64, 40.0_f64);
    let plot_w = w - left - 8.0;
    let plot_h = h - top - bottom;
    let slot = plot_w / n as f64;
    let bar = if slot >= 3.0 { slot * 0.8 } else { slot.max(1.5) };
    html! {
        svg viewBox=(format!("0 0 {w} {h}")) aria-label=(label) {
            line.axis x1=(left) y1=(top + plot_h) x2=(w - 8.0) y2=(top + plot_h) {}
            text.tick x=(left - 6.0) y=(top + 4.0) text-anchor="end" { (max) }
            text.tick x=(left - 6.0) y=(top + plot_h) text-anchor="end" { "0" }
            @for (i, b) in bars.iter().enumerate() {
                @let bh = if b.count == 0 { 0.0 } else { (b.count as f64 / max as f64 * plot_h).max(2.0) };
                @let x = left + i as f64 * slot + (slot - bar) / 2.0;
                @if b.count > 0 {
                    a href=(search_url(&with_clause(q, &b.clause))) aria-label=(format!("{}: {}", b.label, plural(b.count, "document", "documents"))) {
                        rect.bar x=(format!("{x:.2}")) y=(format!("{:.1}", top + plot_h - bh)) width=(format!("{bar:.2}")) height=(format!("{bh:.1}")) {
                            title { (b.label) ": " (plural(b.count, "document", "documents")) }
                        }
                    }
                }
                @if let Some(t) = &b.tick {
                    line.axis x1=(format!("{:.2}", x + bar / 2.0)) y1=(top + plot_h) x2=(format!("{:.2}", x + bar / 2.0)) y2=(top + plot_h + 4.0) {}
                    text.tick x=(format!("{:.1}", x + bar / 2.0)) y=(h - 8.0) text-anchor="middle" { (t) }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------

pub(crate) async fn not_found(uri: Uri) -> WebError {
    WebError::NotFound(uri.path().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_found_and_removed() {
        let f = filters("Hungary speaker:\"Zhukov\" date:1956");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0], ("speaker".into(), "Zhukov".into(), "Hungary date:1956".into()));
        assert_eq!(f[1], ("date".into(), "1956".into(), "Hungary speaker:\"Zhukov\"".into()));
        assert!(filters("speaker:\"unclosed").len() == 1);
        assert!(filters("ünï:cöde \"").is_empty());
    }

    #[test]
    fn archive_children_are_one_level_down() {
        let values: BTreeMap<String, u64> =
            [("A", 3), ("A, F. 3", 2), ("A, F. 3, Op. 12", 2), ("A, F. 10", 1), ("B", 1)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
        let top: Vec<&String> = children(&values, None).into_iter().map(|(k, _)| k).collect();
        assert_eq!(top, ["A", "B"]);
        let under: Vec<&String> = children(&values, Some("A")).into_iter().map(|(k, _)| k).collect();
        assert_eq!(under, ["A, F. 3", "A, F. 10"]);
    }
}
