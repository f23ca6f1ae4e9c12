#!/usr/bin/env python3
"""OAI-PMH checks of a running `opis serve`, run by run-oai (see its header).

Expected values come from the store through the opis binary (`stats --json`, `list --json`,
`show ID --format json`), never from the provider itself. Every response fetched is saved
under OUT and validated at the end: with the shared driver schema (OAI-PMH + oai_dc) when
it carries no other payload, with a driver written here that adds the oai-identifier schema
(Identify's description) and lets TEI pass (each TEI record is validated by jing instead).
"""

import json
import math
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from lxml import etree
from sickle import Sickle, oaiexceptions

OAI = os.environ["OPIS_URL"] + "/oai"
BIN = os.environ["OPIS_BIN"]
DATA = os.environ["OPIS_DATA"]
SCHEMAS = Path(os.environ["OPIS_SHARED"]) / "schemas"
OUT = Path(sys.argv[1])
PAGE = int(os.environ.get("OPIS_OAI_PAGE_SIZE", "100"))
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "tei": "http://www.tei-c.org/ns/1.0",
    "id": "http://www.openarchives.org/OAI/2.0/oai-identifier",
}

failures = []
saved = {"dc": [], "driver": []}


def check(ok, message):
    if not ok:
        failures.append(message)
        print("FAIL:", message)


def opis(*args):
    return subprocess.run([BIN, "--data", DATA, *args], check=True, capture_output=True, text=True).stdout


def fetch(params, label, schema="dc", method="GET", content_type="application/x-www-form-urlencoded"):
    """One request (params: a list of pairs, so arguments can repeat); the parsed response."""
    body = urllib.parse.urlencode(params)
    if method == "GET":
        req = urllib.request.Request(OAI + ("?" + body if body else ""))
    else:
        req = urllib.request.Request(OAI, data=body.encode(), headers={"Content-Type": content_type})
    with urllib.request.urlopen(req) as res:
        status, ctype, raw = res.status, res.headers.get("Content-Type", ""), res.read()
    check(status == 200, f"{label}: HTTP {status}")
    check(ctype.startswith("text/xml"), f"{label}: Content-Type {ctype}")
    path = OUT / f"{sum(map(len, saved.values())):03d}-{label}.xml"
    path.write_bytes(raw)
    saved[schema].append(path)
    return etree.fromstring(raw)


def error_code(root):
    err = root.find("oai:error", NS)
    return None if err is None else err.get("code")


def expect_error(params, code, label, method="GET", **kw):
    root = fetch(params, label, method=method, **kw)
    got = error_code(root)
    check(got == code, f"{label}: expected error {code}, got {got}")
    request = root.find("oai:request", NS)
    if code in ("badVerb", "badArgument"):
        check(not request.attrib, f"{label}: the request element of {code} carries attributes {dict(request.attrib)}")
    return root


# ---------------------------------------------------------------- the store's view
stats = json.loads(opis("stats", "--json"))
listing = [json.loads(line) for line in opis("list", "--json").splitlines()]
total = stats["documents"]
check(total == len(listing) and total > 2 * PAGE, f"{total} documents, page size {PAGE}: need several pages")
stamp = {d["id"]: d["updated_at"][:19] + "Z" for d in listing}
documents = {d["id"]: json.loads(opis("show", d["id"], "--format", "json")) for d in listing}
collections = {name: n for name, n in stats["collections"].items() if name}

# ---------------------------------------------------------------- Identify
root = fetch([("verb", "Identify")], "identify", schema="driver")
ident = root.find("oai:Identify", NS)
repo = ident.findtext("oai:description/id:oai-identifier/id:repositoryIdentifier", namespaces=NS)
prefix = f"oai:{repo}:"
check(ident.findtext("oai:protocolVersion", namespaces=NS) == "2.0", "Identify: protocolVersion")
check(ident.findtext("oai:deletedRecord", namespaces=NS) == "no", "Identify: deletedRecord no")
check(ident.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ", "Identify: granularity")
check(ident.findtext("oai:baseURL", namespaces=NS) == OAI, "Identify: baseURL is the URL asked")
check(ident.findtext("oai:earliestDatestamp", namespaces=NS) == min(stamp.values()), "Identify: earliestDatestamp")

client = Sickle(OAI)
identify = client.Identify()
check(identify.repositoryName and identify.baseURL == OAI, "sickle reads Identify")


# ---------------------------------------------------------------- harvests with sickle
class CountingSickle(Sickle):
    """Counts the HTTP requests a harvest makes."""

    requests = 0

    def harvest(self, **kwargs):
        self.requests += 1
        return super().harvest(**kwargs)


def local(identifier):
    check(identifier.startswith(prefix), f"identifier {identifier} does not start with {prefix}")
    return urllib.parse.unquote(identifier[len(prefix):])


pages = math.ceil(total / PAGE)
for verb in ("ListRecords", "ListIdentifiers"):
    for metadata_prefix in ("oai_dc", "tei"):
        if verb == "ListIdentifiers" and metadata_prefix == "tei":
            continue
        harvester = CountingSickle(OAI)
        items = list(getattr(harvester, verb)(metadataPrefix=metadata_prefix))
        headers = [i.header if verb == "ListRecords" else i for i in items]
        ids = [local(h.identifier) for h in headers]
        what = f"sickle {verb} {metadata_prefix}"
        check(len(ids) == total, f"{what}: {len(ids)} records, the store has {total}")
        check(len(set(ids)) == len(ids), f"{what}: some records came twice")
        check(set(ids) == set(stamp), f"{what}: other ids than the store's")
        check(harvester.requests == pages, f"{what}: {harvester.requests} requests, expected {pages} pages")
        for h in headers:
            check(h.datestamp == stamp.get(local(h.identifier)), f"{what}: datestamp of {h.identifier}")
        if verb == "ListRecords" and metadata_prefix == "oai_dc":
            dc_records = {local(r.header.identifier): r.metadata for r in items}

# Dublin Core against the documents.
for doc_id, doc in documents.items():
    dc = dc_records.get(doc_id, {})
    label = f"oai_dc of {doc_id}"
    if doc["title"].strip():
        check(dc.get("title") == [doc["title"].strip()], f"{label}: title {dc.get('title')} != {doc['title']!r}")
    if doc.get("date"):
        d = doc["date"]
        want = d["from"] if d["from"] == d["to"] else f"{d['from']}/{d['to']}"
        check(dc.get("date") == [want], f"{label}: date {dc.get('date')} != {want}")
    check(dc.get("language") == [doc["language"]] or not doc["language"], f"{label}: language")
    url = os.environ["OPIS_URL"] + "/doc/" + urllib.parse.quote(doc_id, safe="")
    check(url in dc.get("identifier", []), f"{label}: the document URL {url} is not an identifier")
    for ref in doc.get("archival_refs", []):
        check(ref["text"].strip() in dc.get("source", []), f"{label}: archival reference {ref['text']!r}")
    if doc.get("summary"):
        check(dc.get("description") == [doc["summary"].strip()], f"{label}: description")
    for who in doc.get("authors", []):
        check(who.strip() in dc.get("creator", []), f"{label}: creator {who}")
    if doc.get("rights"):
        check(dc.get("rights") == [doc["rights"].strip()], f"{label}: rights")
    check(doc["kind"] in dc.get("type", []), f"{label}: type {doc['kind']}")
seed = dc_records.get("wilson-113647", {})
check("TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14" in seed.get("source", []), f"seed: dc:source {seed.get('source')}")
hostile = [d for d in dc_records.values() if any("<script>" in t for t in d.get("title", []))]
check(len(hostile) == 1, "the hostile fixture's title comes back as text, <script> and all")

# ---------------------------------------------------------------- raw pages: tokens and attributes
for verb, metadata_prefix in (("ListRecords", "oai_dc"), ("ListIdentifiers", "oai_dc"), ("ListRecords", "tei")):
    schema = "driver" if metadata_prefix == "tei" else "dc"
    params = [("verb", verb), ("metadataPrefix", metadata_prefix)]
    seen, n = [], 0
    while True:
        root = fetch(params, f"{verb}-{metadata_prefix}-{n}", schema=schema)
        lst = root.find(f"oai:{verb}", NS)
        heads = lst.findall(".//oai:header", NS)
        token = lst.find("oai:resumptionToken", NS)
        if token is not None:
            check(token.get("cursor") == str(len(seen)), f"{verb} page {n}: cursor {token.get('cursor')}")
            check(token.get("completeListSize") == str(total), f"{verb} page {n}: completeListSize")
        seen += [local(h.findtext("oai:identifier", namespaces=NS)) for h in heads]
        if metadata_prefix == "tei":
            for record in lst.findall("oai:record", NS):
                tei = record.find("oai:metadata/tei:TEI", NS)
                rid = local(record.findtext("oai:header/oai:identifier", namespaces=NS))
                check(tei is not None, f"tei record {rid} holds no <TEI>")
                if tei is not None:
                    title = tei.findtext("tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title", namespaces=NS) or ""
                    check(title == documents[rid]["title"], f"tei of {rid}: title {title!r}")
                    (OUT / "tei").mkdir(exist_ok=True)
                    (OUT / "tei" / f"{len(list((OUT / 'tei').iterdir())):04d}.xml").write_bytes(etree.tostring(tei, xml_declaration=True, encoding="UTF-8"))
        n += 1
        if token is None or not (token.text or "").strip():
            check(n == 1 or token is not None, f"{verb}: the last page of a paged list ends with an empty token")
            break
        check(token.get("expirationDate", "") > root.findtext("oai:responseDate", namespaces=NS), f"{verb}: expirationDate")
        params = [("verb", verb), ("resumptionToken", token.text)]
    check(sorted(seen) == sorted(stamp), f"raw {verb} {metadata_prefix}: every record exactly once")

# POST gives what GET gives.
get_ids = [h.findtext("oai:identifier", namespaces=NS) for h in fetch([("verb", "ListIdentifiers"), ("metadataPrefix", "oai_dc")], "get-page").iter(f"{{{NS['oai']}}}header")]
post_ids = [h.findtext("oai:identifier", namespaces=NS) for h in fetch([("verb", "ListIdentifiers"), ("metadataPrefix", "oai_dc")], "post-page", method="POST").iter(f"{{{NS['oai']}}}header")]
check(get_ids == post_ids and len(get_ids) == PAGE, "POST answers as GET does")

# ---------------------------------------------------------------- GetRecord, formats, sets
seed_id = prefix + "wilson-113647"
rec = client.GetRecord(identifier=seed_id, metadataPrefix="oai_dc")
check(rec.metadata.get("title") == [documents["wilson-113647"]["title"]], "sickle GetRecord: the seed's title")
fetch([("verb", "GetRecord"), ("identifier", seed_id), ("metadataPrefix", "oai_dc")], "getrecord-dc")
fetch([("verb", "GetRecord"), ("identifier", seed_id), ("metadataPrefix", "tei")], "getrecord-tei", schema="driver")
formats = {f.metadataPrefix for f in client.ListMetadataFormats()}
check(formats == {"oai_dc", "tei"}, f"ListMetadataFormats: {formats}")
fetch([("verb", "ListMetadataFormats")], "formats")
fetch([("verb", "ListMetadataFormats"), ("identifier", seed_id)], "formats-of-seed")
sets = {s.setSpec: s.setName for s in client.ListSets()}
fetch([("verb", "ListSets")], "sets")
check(sorted(sets.values()) == sorted(collections), f"ListSets {sets} != collections {collections}")
for spec, name in sets.items():
    members = list(client.ListIdentifiers(metadataPrefix="oai_dc", set=spec))
    check(len(members) == collections.get(name), f"set {spec}: {len(members)} records, collection has {collections.get(name)}")
    check(all(spec in h.setSpecs for h in members), f"set {spec}: headers name the set")

# ---------------------------------------------------------------- from / until
stamps = sorted(set(stamp.values()))
for label, args, want in [
    ("from-latest", {"from": stamps[-1]}, sum(s >= stamps[-1] for s in stamp.values())),
    ("until-earliest", {"until": stamps[0]}, sum(s <= stamps[0] for s in stamp.values())),
    ("day-range", {"from": stamps[0][:10], "until": stamps[-1][:10]}, total),
]:
    got = list(client.ListIdentifiers(metadataPrefix="oai_dc", **args))
    check(len(got) == want, f"{label} {args}: {len(got)} records, expected {want}")
    fetch([("verb", "ListIdentifiers"), ("metadataPrefix", "oai_dc"), *args.items()], label)

# ---------------------------------------------------------------- every protocol error
LR = [("verb", "ListRecords"), ("metadataPrefix", "oai_dc")]
expect_error([], "badVerb", "no-verb")
expect_error([("verb", "Harvest")], "badVerb", "unknown-verb")
expect_error([("verb", "Identify"), ("verb", "Identify")], "badVerb", "repeated-verb")
expect_error([("verb", "Identify"), ("set", "x")], "badArgument", "illegal-argument")
expect_error([("verb", "ListRecords")], "badArgument", "missing-prefix")
expect_error([("verb", "GetRecord"), ("metadataPrefix", "oai_dc")], "badArgument", "missing-identifier")
expect_error(LR + [("metadataPrefix", "oai_dc")], "badArgument", "repeated-argument")
expect_error(LR + [("from", "1956-10-30T12:00")], "badArgument", "bad-from")
expect_error(LR + [("from", "2000-01-01"), ("until", "2099-01-01T00:00:00Z")], "badArgument", "mixed-granularity")
expect_error(LR + [("from", "2099-01-01"), ("until", "2000-01-01")], "badArgument", "from-after-until")
expect_error(LR + [("resumptionToken", "abc")], "badArgument", "token-not-exclusive")
expect_error(LR, "badArgument", "post-not-form", method="POST", content_type="text/plain")
expect_error([("verb", "ListRecords"), ("resumptionToken", "garbage")], "badResumptionToken", "garbled-token")
first = fetch(LR, "first-page")
token = first.findtext("oai:ListRecords/oai:resumptionToken", namespaces=NS)
flipped = token[:40] + ("0" if token[40] != "0" else "1") + token[41:]
expect_error([("verb", "ListRecords"), ("resumptionToken", flipped)], "badResumptionToken", "tampered-token")
expect_error([("verb", "ListIdentifiers"), ("resumptionToken", token)], "badResumptionToken", "token-of-another-verb")
expect_error([("verb", "ListSets"), ("resumptionToken", token)], "badResumptionToken", "listsets-token")
expect_error([("verb", "ListRecords"), ("metadataPrefix", "marc21")], "cannotDisseminateFormat", "unknown-format")
expect_error([("verb", "GetRecord"), ("identifier", seed_id), ("metadataPrefix", "marc21")], "cannotDisseminateFormat", "getrecord-unknown-format")
expect_error([("verb", "GetRecord"), ("identifier", prefix + "no-such-document"), ("metadataPrefix", "oai_dc")], "idDoesNotExist", "unknown-id")
expect_error([("verb", "GetRecord"), ("identifier", "oai:elsewhere.org:wilson-113647"), ("metadataPrefix", "oai_dc")], "idDoesNotExist", "foreign-id")
expect_error([("verb", "ListMetadataFormats"), ("identifier", prefix + "no-such-document")], "idDoesNotExist", "formats-unknown-id")
expect_error(LR + [("until", "1990-01-01")], "noRecordsMatch", "until-before-everything")
expect_error(LR + [("set", "no-such-set")], "noRecordsMatch", "unknown-set")
# noSetHierarchy needs a store without collections; crates/opis-web/tests/oai.rs checks it.

# The same errors as sickle sees them.
for exc, call in [
    (oaiexceptions.BadArgument, lambda: client.GetRecord(metadataPrefix="oai_dc")),
    (oaiexceptions.BadResumptionToken, lambda: list(client.ListRecords(resumptionToken="garbage"))),
    (oaiexceptions.CannotDisseminateFormat, lambda: client.GetRecord(identifier=seed_id, metadataPrefix="marc21")),
    (oaiexceptions.IdDoesNotExist, lambda: client.GetRecord(identifier=prefix + "nothing", metadataPrefix="oai_dc")),
    (oaiexceptions.NoRecordsMatch, lambda: list(client.ListRecords(metadataPrefix="oai_dc", until="1990-01-01"))),
]:
    try:
        call()
        check(False, f"sickle: no {exc.__name__}")
    except exc:
        pass

# ---------------------------------------------------------------- schemas
local_schemas = OUT / "schemas"
local_schemas.mkdir()
oai_dir = (SCHEMAS / "oai-pmh").resolve()
# The oai-identifier schema (http://www.openarchives.org/OAI/2.0/oai-identifier.xsd), restated
# from the OAI-PMH 2.0 guidelines: not among the shared schemas.
(local_schemas / "oai-identifier.xsd").write_text("""<?xml version="1.0" encoding="UTF-8"?>
<schema xmlns="http://www.w3.org/2001/XMLSchema" xmlns:oai-identifier="http://www.openarchives.org/OAI/2.0/oai-identifier"
        targetNamespace="http://www.openarchives.org/OAI/2.0/oai-identifier" elementFormDefault="qualified">
  <element name="oai-identifier" type="oai-identifier:oai-identifierType"/>
  <complexType name="oai-identifierType">
    <sequence>
      <element name="scheme" type="oai-identifier:schemeType"/>
      <element name="repositoryIdentifier" type="oai-identifier:repositoryIdentifierType"/>
      <element name="delimiter" type="oai-identifier:delimiterType"/>
      <element name="sampleIdentifier" type="oai-identifier:sampleIdentifierType"/>
    </sequence>
  </complexType>
  <simpleType name="schemeType"><restriction base="string"><pattern value="oai"/></restriction></simpleType>
  <simpleType name="repositoryIdentifierType"><restriction base="string">
    <pattern value="[a-zA-Z][a-zA-Z0-9\\-]*(\\.[a-zA-Z][a-zA-Z0-9\\-]*)+"/></restriction></simpleType>
  <simpleType name="delimiterType"><restriction base="string"><pattern value=":"/></restriction></simpleType>
  <simpleType name="sampleIdentifierType"><restriction base="string">
    <pattern value="oai:[a-zA-Z][a-zA-Z0-9\\-]*(\\.[a-zA-Z][a-zA-Z0-9\\-]*)+:[a-zA-Z0-9\\-_\\.!~\\*'\\(\\);/\\?:@&amp;=\\+$,%]+"/>
  </restriction></simpleType>
</schema>
""")
# TEI has no XSD here: the envelope lets <TEI> through, and jing checks each one against tei_all.rng.
(local_schemas / "tei-envelope.xsd").write_text("""<?xml version="1.0" encoding="UTF-8"?>
<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.tei-c.org/ns/1.0" elementFormDefault="qualified">
  <element name="TEI"><complexType>
    <sequence><any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></sequence>
    <anyAttribute processContents="skip"/>
  </complexType></element>
</schema>
""")
(local_schemas / "driver.xsd").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:local:opis-oai-driver" elementFormDefault="qualified">
  <import namespace="http://www.openarchives.org/OAI/2.0/" schemaLocation="{(oai_dir / 'OAI-PMH.xsd').as_uri()}"/>
  <import namespace="http://www.openarchives.org/OAI/2.0/oai_dc/" schemaLocation="{(oai_dir / 'oai_dc.xsd').as_uri()}"/>
  <import namespace="http://www.openarchives.org/OAI/2.0/oai-identifier" schemaLocation="oai-identifier.xsd"/>
  <import namespace="http://www.tei-c.org/ns/1.0" schemaLocation="tei-envelope.xsd"/>
</schema>
""")


def validate(cmd, files, what):
    if not files:
        return
    res = subprocess.run([*cmd, *map(str, files)], capture_output=True, text=True)
    # xmllint says "FILE validates" for each; jing on Debian warns about optional jars.
    lines = (res.stdout + res.stderr).splitlines()
    bad = [line for line in lines if "validates" not in line and not line.startswith("[warning]")]
    check(res.returncode == 0 and not bad, f"{what}: {len(bad)} problem(s):\n  " + "\n  ".join(bad[:20]))
    if res.returncode == 0 and not bad:
        print(f"ok: {len(files)} {what}")


validate(["xmllint", "--noout", "--nonet", "--schema", str(oai_dir / "oai-pmh-with-oai_dc.xsd")], saved["dc"],
         "responses valid against OAI-PMH.xsd + oai_dc.xsd")
validate(["xmllint", "--noout", "--nonet", "--schema", str(local_schemas / "driver.xsd")], saved["driver"],
         "Identify and TEI responses valid against OAI-PMH.xsd + oai-identifier")
tei_files = sorted((OUT / "tei").glob("*.xml"))
check(len(tei_files) == total, f"{len(tei_files)} TEI records saved, {total} expected")
validate(["jing", str(SCHEMAS / "tei" / "tei_all.rng")], tei_files, "TEI records valid against tei_all.rng")

if failures:
    print(f"oai: {len(failures)} check(s) failed")
    sys.exit(1)
print(f"oai: ok ({total} records harvested in {pages} pages; {sum(map(len, saved.values()))} responses validated)")
