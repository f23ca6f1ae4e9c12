#!/usr/bin/env python3
"""Citations read by clients opis did not write, against a running `opis serve`.

- citeproc-py renders the seed's CSL-JSON with the Chicago full-note style of
  $OPIS_SHARED/schemas/csl; the note names the archive and the archival reference. The
  CSL-JSON also validates against the CSL data schema there (jsonschema).
- bibtexparser and rispy read the BibTeX and RIS of the seed, a FRUS document and the hostile
  fixture back: title, date, URL and archival reference equal the document's (its JSON from
  `opis show --format json`) and, for the seed, what the seed file prints. BibTeX values are
  decoded from LaTeX with pylatexenc.
- extruct reads the Dublin Core tags of the reading view; the Highwire `citation_*` tags
  (which extruct has no syntax for) are read with lxml, the HTML parser extruct uses.
- The result-set exports (`/search/cite.{bib,ris,json}`) hold each document once.

Environment: OPIS_URL, OPIS_BIN, OPIS_DATA, OPIS_SHARED (see scripts/client-tests).
Exits 1 when a check fails, after running all of them.
"""

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import bibtexparser
import extruct
import jsonschema
import lxml.html
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from pylatexenc.latex2text import LatexNodes2Text

URL = os.environ["OPIS_URL"].rstrip("/")
BIN = os.environ["OPIS_BIN"]
DATA = os.environ["OPIS_DATA"]
SHARED = os.environ["OPIS_SHARED"]

SEED_ID = "wilson-113647"
FRUS_RANGE_ID = "frus1955-57v25-d162"  # dated November 3–4, 1956: a range
FRUS_TELEGRAM_ID = "frus1955-57v25-d165"

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def fetch(path):
    try:
        with urllib.request.urlopen(URL + path, timeout=60) as res:
            return res.status, res.headers, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def opis(*args):
    out = subprocess.run([BIN, "--data", DATA, *args], check=True, capture_output=True)
    return out.stdout.decode("utf-8")


def document(doc_id):
    return json.loads(opis("show", doc_id, "--format", "json"))


def hostile_id():
    for line in opis("list", "--json").splitlines():
        row = json.loads(line)
        if "<script>" in row["title"]:
            return row["id"]
    raise SystemExit("the hostile fixture is not in the collection")


def seed_printed():
    """The seed file's Citation field and the URL under it, as printed."""
    with open(os.path.join(SHARED, "seed", "presidium-1956-10-30.txt"), encoding="utf-8") as f:
        text = f.read()
    after = text[text.index("**Citation:**") + len("**Citation:**"):]
    lines = [l.strip() for l in after.splitlines() if l.strip()]
    url = next(l for l in lines if l.startswith("<http")).strip("<>")
    return lines[0], url


def expected_url(doc):
    src = doc.get("source_url") or ""
    return src if src.startswith(("http://", "https://")) else f"{URL}/doc/{urllib.parse.quote(doc['id'], safe='')}"


def expected_dates(doc):
    d = doc.get("date")
    return (d["from"], d["to"]) if d else (None, None)


def reference_text(doc):
    refs = doc.get("archival_refs") or []
    return refs[0]["text"] if refs else None


def joined(archive, location):
    """Archive and location as one reference; a reference without a known archive is its location."""
    return ", ".join(p for p in (archive, location) if p)


# ---------------------------------------------------------------------------- CSL-JSON

def check_csl(seed_doc, printed):
    status, headers, body = fetch(f"/doc/{SEED_ID}/cite.json")
    check(status == 200, f"cite.json answers 200 (got {status})")
    check(headers.get("Content-Type", "").startswith("application/vnd.citationstyles.csl+json"),
          "cite.json is application/vnd.citationstyles.csl+json")
    check("attachment" in headers.get("Content-Disposition", ""), "cite.json is an attachment")
    items = json.loads(body)
    with open(os.path.join(SHARED, "schemas", "csl", "schema", "csl-data.json"), encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.validate(items, schema)
        check(True, "the seed's CSL-JSON validates against the CSL data schema")
    except jsonschema.ValidationError as e:
        check(False, f"the seed's CSL-JSON validates against the CSL data schema: {e.message}")
    item = items[0]
    check(item["title"] == seed_doc["title"], "CSL title is the document's")
    check(f'{item["archive"]}, {item["archive_location"]}' == reference_text(seed_doc),
          "CSL archive + archive_location is the document's archival reference")

    style_path = os.path.join(SHARED, "schemas", "csl", "chicago-fullnote-bibliography.csl")
    style = CitationStylesStyle(style_path, validate=False)
    bib = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    cite = Citation([CitationItem(SEED_ID)])
    bib.register(cite)
    note = str(bib.cite(cite, lambda item: check(False, f"citeproc-py knows {item.key}")))
    entries = [str(e) for e in bib.bibliography()]
    print(f"     citeproc-py note: {note}")
    print(f"     citeproc-py bibliography: {entries[0] if entries else ''}")
    # What the seed prints: "…, Wilson Center Digital Archive, TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14, compiled by …"
    m = re.search(r"Digital Archive, (.+?), compiled by", printed)
    reference = m.group(1) if m else ""
    archive, location = reference.split(", ", 1) if reference else ("", "")
    check(archive == "TsKhSD" and location.startswith("F. 3"), f"the seed prints archive {archive!r}, reference {location!r}")
    check(archive in note, f"the citeproc-py Chicago note names the archive {archive!r}")
    check(location in note, f"the citeproc-py Chicago note names the reference {location!r}")
    check(seed_doc["title"] in note, "the citeproc-py Chicago note names the title")
    check(bool(entries) and archive in entries[0] and location in entries[0],
          "the citeproc-py Chicago bibliography entry names archive and reference")


# ---------------------------------------------------------------------------- BibTeX

def latex(value):
    return LatexNodes2Text().latex_to_text(value).strip()


def read_bibtex(doc_id):
    status, headers, body = fetch(f"/doc/{urllib.parse.quote(doc_id, safe='')}/cite.bib")
    check(status == 200 and headers.get("Content-Type", "").startswith("application/x-bibtex"),
          f"{doc_id}: cite.bib answers 200 as application/x-bibtex")
    lib = bibtexparser.parse_string(body.decode("utf-8"))
    check(not lib.failed_blocks, f"{doc_id}: bibtexparser reads the BibTeX without failed blocks")
    check(len(lib.entries) == 1, f"{doc_id}: one BibTeX entry")
    return lib.entries[0] if lib.entries else None


def check_bibtex(doc, printed=None):
    e = read_bibtex(doc["id"])
    if e is None:
        return
    fields = {f.key: f.value for f in e.fields}
    title = latex(fields.get("title", ""))
    check(title == doc["title"], f"{doc['id']}: BibTeX title reads back as the document's ({title!r})")
    start, end = expected_dates(doc)
    if start:
        want = start if start == end else f"{start}/{end}"
        check(fields.get("date") == want, f"{doc['id']}: BibTeX date {fields.get('date')!r} is {want!r}")
        check(fields.get("year") == start[:4], f"{doc['id']}: BibTeX year is {start[:4]}")
    url = fields.get("url")
    check(url == expected_url(doc), f"{doc['id']}: BibTeX url {url!r} is the document's")
    ref = reference_text(doc)
    if ref:
        check(latex(fields.get("library", "")) == ref, f"{doc['id']}: BibTeX library is the archival reference")
        both = joined(latex(fields.get("archive", "")), latex(fields.get("archive_location", "")))
        check(both == ref, f"{doc['id']}: BibTeX archive + archive_location {both!r} is {ref!r}")
    if printed:
        check(f'"{title}"' in printed, "seed: the BibTeX title is the one the seed prints")
        check(latex(fields.get("library", "")) in printed, "seed: the BibTeX library is the reference the seed prints")
        check("V. N. Malin" in printed and latex(fields.get("editor", "")) == "Malin, V. N."
              and fields.get("editortype") == "compiler", "seed: the compiler the seed prints is the BibTeX compiler")
    return e


# ---------------------------------------------------------------------------- RIS

def check_ris(doc, printed=None):
    status, headers, body = fetch(f"/doc/{urllib.parse.quote(doc['id'], safe='')}/cite.ris")
    check(status == 200 and headers.get("Content-Type", "").startswith("application/x-research-info-systems"),
          f"{doc['id']}: cite.ris answers 200 as application/x-research-info-systems")
    text = body.decode("utf-8")
    lines = text.split("\r\n")
    check(text.endswith("ER  - \r\n") and all("\n" not in l for l in lines),
          f"{doc['id']}: RIS lines end in CRLF and the record ends with ER")
    entries = rispy.loads(text)
    if not check(len(entries) == 1, f"{doc['id']}: rispy reads one record"):
        return
    r = entries[0]
    check(r.get("title") == doc["title"], f"{doc['id']}: RIS title reads back as the document's ({r.get('title')!r})")
    start, _ = expected_dates(doc)
    if start:
        check(r.get("date") == start.replace("-", "/"), f"{doc['id']}: RIS date {r.get('date')!r} is {start}")
        check(r.get("year") == start[:4], f"{doc['id']}: RIS year is {start[:4]}")
    check(r.get("urls") == [expected_url(doc)], f"{doc['id']}: RIS URL {r.get('urls')} is the document's")
    ref = reference_text(doc)
    if ref:
        both = joined(r.get("name_of_database"), r.get("accession_number"))
        check(both == ref, f"{doc['id']}: RIS DB + AN (Zotero's archive + loc. in archive) {both!r} is {ref!r}")
    check(r.get("language") == doc["language"], f"{doc['id']}: RIS language is the document's")
    if printed:
        check(f'"{r.get("title")}"' in printed and f'{r.get("name_of_database")}, {r.get("accession_number")}' in printed,
              "seed: RIS title and archival reference are the ones the seed prints")


# ---------------------------------------------------------------------------- meta tags

def check_meta(doc, printed=None):
    status, _, body = fetch(f"/doc/{urllib.parse.quote(doc['id'], safe='')}")
    check(status == 200, f"{doc['id']}: the reading view answers 200")
    page_url = f"{URL}/doc/{urllib.parse.quote(doc['id'], safe='')}"
    data = extruct.extract(body, base_url=page_url, syntaxes=["dublincore"], errors="strict")
    dc = {}
    for block in data.get("dublincore", []):
        for el in block.get("elements", []) + block.get("terms", []):
            dc.setdefault(el["name"], []).append(el["content"])
    check(dc.get("DC.title") == [doc["title"]], f"{doc['id']}: extruct finds DC.title {dc.get('DC.title')}")
    start, end = expected_dates(doc)
    if start:
        want = start if start == end else f"{start}/{end}"
        check(dc.get("DC.date") == [want], f"{doc['id']}: extruct finds DC.date {dc.get('DC.date')}")
    check(page_url in dc.get("DC.identifier", []), f"{doc['id']}: extruct finds the page as DC.identifier")
    check(expected_url(doc) in dc.get("DC.identifier", []), f"{doc['id']}: extruct finds the URL as DC.identifier")
    check(dc.get("DC.language") == [doc["language"]], f"{doc['id']}: extruct finds DC.language")
    ref = reference_text(doc)
    if ref:
        check(dc.get("DC.source") == [ref], f"{doc['id']}: extruct finds the archival reference as DC.source")
    check(bool(dc.get("DCTERMS.bibliographicCitation")), f"{doc['id']}: extruct finds DCTERMS.bibliographicCitation")

    head = lxml.html.fromstring(body).head
    hw = {}
    for m in head.iter("meta"):
        name = m.get("name") or ""
        if name.startswith("citation_"):
            hw.setdefault(name, []).append(m.get("content"))
    check(hw.get("citation_title") == [doc["title"]], f"{doc['id']}: citation_title is the document's")
    if start:
        check(hw.get("citation_date") == [start.replace("-", "/")], f"{doc['id']}: citation_date {hw.get('citation_date')}")
    check(hw.get("citation_public_url") == [page_url], f"{doc['id']}: citation_public_url is the page")
    check(hw.get("citation_language") == [doc["language"]], f"{doc['id']}: citation_language")
    if doc.get("authors"):
        check(len(hw.get("citation_author", [])) == len(doc["authors"]), f"{doc['id']}: one citation_author per author")
    if ref:
        archive = doc["archival_refs"][0]["archive"]
        check(hw.get("citation_publisher") == ([archive] if archive else None),
              f"{doc['id']}: citation_publisher is the archive {archive!r}")
        check(joined(archive, hw.get("citation_archive_location", [""])[0]) == ref,
              f"{doc['id']}: citation_archive_location completes the reference")
    if printed:
        check(f'"{hw.get("citation_title", [""])[0]}"' in printed, "seed: citation_title is the title the seed prints")


# ---------------------------------------------------------------------------- exports

def check_exports():
    status, headers, body = fetch("/search/cite.bib?q=" + urllib.parse.quote("speaker:Khrushchev"))
    lib = bibtexparser.parse_string(body.decode("utf-8"))
    keys = [e.key for e in lib.entries]
    check(status == 200 and SEED_ID in keys and len(keys) == len(set(keys)),
          f"/search/cite.bib?q=speaker:Khrushchev holds the seed once among {len(keys)} entries")
    check(headers.get("X-Opis-Export-Count") == str(len(keys)), "the export says how many entries it holds")

    status, headers, body = fetch("/search/cite.ris?q=Hungary")
    entries = rispy.loads(body.decode("utf-8"))
    ids = [e.get("id") for e in entries]
    check(status == 200 and len(ids) == len(set(ids)) and SEED_ID in ids,
          f"/search/cite.ris?q=Hungary holds {len(ids)} records, each once, the seed among them")

    status, headers, body = fetch("/search/cite.json?q=")
    items = json.loads(body)
    stats = json.loads(opis("stats", "--json"))
    limit = int(headers.get("X-Opis-Export-Limit", "0"))
    want = min(stats["documents"], limit)
    check(len(items) == want, f"/search/cite.json?q= holds {len(items)} items: min(documents {stats['documents']}, limit {limit})")
    check((headers.get("X-Opis-Export-Truncated") == "true") == (stats["documents"] > limit),
          "the export says whether it was cut at the limit")
    with open(os.path.join(SHARED, "schemas", "csl", "schema", "csl-data.json"), encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.validate(items, schema)
        check(True, f"all {len(items)} exported CSL-JSON items validate against the CSL data schema")
    except jsonschema.ValidationError as e:
        check(False, f"exported CSL-JSON validates: {e.message} at {list(e.absolute_path)}")


def main():
    printed, printed_url = seed_printed()
    seed = document(SEED_ID)
    check(seed["source_url"] == printed_url, "the seed's stored URL is the one its file prints")
    check_csl(seed, printed)
    check_bibtex(seed, printed)
    check_ris(seed, printed)
    check_meta(seed, printed)
    for doc_id in (FRUS_RANGE_ID, FRUS_TELEGRAM_ID, hostile_id()):
        doc = document(doc_id)
        check_bibtex(doc)
        check_ris(doc)
        check_meta(doc)
    check_exports()
    if failures:
        print(f"\n{len(failures)} citation check(s) failed")
        sys.exit(1)
    print("\nall citation checks passed")


if __name__ == "__main__":
    main()
