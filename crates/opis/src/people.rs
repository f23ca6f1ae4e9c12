//! The people authority from the command line: rebuilt from the store (the documents' people
//! summaries and authority records) and the editor's overrides file `DATA/people.csv` after every ingest
//! and reindex; `opis people [--ambiguous] [--show ID] [--json]` prints it.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};
use opis_formats::extract::authority::{NodeTally, Overrides, SUMMARY_RULES, build_by_parts, summary_of};
use opis_formats::extract::name_table::NameTable;
use opis_formats::pocom::{PocomRecord, join};
use opis_store::{SqlStore, Store};

/// The editor's file in the data folder.
pub const OVERRIDES_FILE: &str = "people.csv";

/// What a rebuild produced.
pub struct RebuildSummary {
    pub persons: usize,
    pub links: usize,
    pub ambiguities: usize,
    /// Documents whose people summary was made (stored without one).
    pub summarized: usize,
    pub seconds: f64,
}

/// Builds the authority from the documents' people summaries, the stored authority records
/// and the overrides, and stores it; `None` when its inputs (documents, records, overrides,
/// rules) are those of the authority stored, unless `force`.
///
/// Whole documents are read only for those stored without a summary (a correction applied at
/// write time, a store older than the summaries). Every summary's names are then read in one
/// pass into a [`NameTable`] (more than [`NAMES_IN_MEMORY`]: spilled to a file, and read back
/// in windows of parts),
/// and the authority is built part by part (`build_by_parts`: the names of a group of tied
/// nodes at a time) and written part by part in one transaction.
pub fn rebuild(data: &Path, store: &mut SqlStore, force: bool) -> Result<Option<RebuildSummary>> {
    let started = std::time::Instant::now();
    // The writer's page cache: a rebuild reads every name and writes every link.
    store.tune_for_bulk_writes(crate::ingest::WRITER_CACHE_MIB)?;
    let overrides_path = data.join(OVERRIDES_FILE);
    let overrides_text = match std::fs::read_to_string(&overrides_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", overrides_path.display())),
    };
    let overrides = match &overrides_text {
        Some(text) => Overrides::from_csv(&overrides_path.display().to_string(), text)?,
        None => Overrides::default(),
    };
    let record_json = store.person_records()?;
    let inputs = fingerprint(store.last_change()?, &record_json, overrides_text.as_deref());
    if !force && store.people_inputs()?.as_deref() == Some(inputs.as_str()) {
        return Ok(None);
    }
    let records: Vec<PocomRecord> = record_json
        .iter()
        .map(|json| serde_json::from_str(json))
        .collect::<Result<_, _>>()
        .context("reading the stored authority records")?;
    drop(record_json);
    let records = join(&records);

    // Summaries of the documents stored without one (or made by other rules).
    let stale = store.stale_people_summaries(SUMMARY_RULES)?;
    for ids in stale.chunks(256) {
        let mut batch = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(d) = store.document(id)? {
                batch.push((d.content_hash, summary_of(&d.document)));
            }
        }
        store.put_people_summaries(&batch).context("storing the people summaries")?;
    }
    let summarized = stale.len();
    drop(stale);
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), summarized, "people rebuild: summaries made");

    // One pass over the summaries: every node with its count of names, the ties between nodes,
    // and the names themselves (more than fit in memory: spilled to a file in the data folder).
    let budget = crate::ingest::env_override("OPIS_PEOPLE_NAMES_IN_MEMORY", NAMES_IN_MEMORY);
    let spill_path = data.join(SPILL_FILE);
    let _spill_removed = RemoveOnDrop(&spill_path);
    let mut tally = NodeTally::default();
    let mut table = NameTable::default();
    store.for_each_people_summary::<anyhow::Error>(
        opis_store::PEOPLE_SUMMARY_BATCH,
        |_| true,
        |s| {
            tally.add(&s);
            table.add(&s).with_context(|| format!("{}: cannot write", spill_path.display()))?;
            if table.len() > budget && !table.is_spilled() {
                table.spill_to(&spill_path).with_context(|| format!("{}: cannot write", spill_path.display()))?;
            }
            Ok(())
        },
    )?;
    let mut plan = tally.plan(&records);
    plan.build_alone(budget / ALONE_PER_BUDGET);
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        spilled = table.is_spilled(),
        "people rebuild: names read"
    );
    // Too many names for memory: the parts are taken in windows of consecutive groups, each
    // window's names read back from the spill file.
    let windows = plan.windows(budget);
    if tracing::enabled!(tracing::Level::DEBUG) {
        let mut largest: Vec<(usize, usize)> = (0..plan.groups.len()).map(|g| (plan.names_in(g), g)).collect();
        largest.sort_unstable_by(|a, b| b.cmp(a));
        largest.truncate(5);
        let largest: Vec<String> =
            largest.iter().map(|&(n, g)| format!("{} ({n} names)", plan.groups[g].join("+"))).collect();
        tracing::debug!(groups = plan.groups.len(), windows = windows.len(), ?largest, "people rebuild: the plan");
    }
    let mut loaded = if table.is_spilled() { 0..0 } else { 0..plan.groups.len() };

    let mut summary = RebuildSummary { persons: 0, links: 0, ambiguities: 0, summarized, seconds: 0.0 };
    let mut writer = store.begin_people()?;
    let (mut reading, mut writing) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    build_by_parts::<anyhow::Error>(
        &plan,
        &records,
        &overrides,
        |i, part| {
            let t = std::time::Instant::now();
            if !loaded.contains(&i) {
                loaded = windows.iter().find(|w| w.contains(&i)).cloned().unwrap_or(i..i + 1);
                let keep: HashSet<&str> = plan.groups[loaded.clone()].iter().flatten().map(String::as_str).collect();
                table
                    .load(|node| keep.contains(node))
                    .with_context(|| format!("{}: cannot read", spill_path.display()))?;
                tracing::debug!(parts = ?loaded, names = table.len(), "people rebuild: a window of parts read");
            }
            let names = table.part(part);
            reading += t.elapsed();
            Ok(names)
        },
        |a| {
            let t = std::time::Instant::now();
            summary.persons += a.persons.len();
            summary.links += a.links.len();
            summary.ambiguities += a.ambiguities.len();
            writer.write(a).context("storing the people authority")?;
            writing += t.elapsed();
            Ok(())
        },
    )?;
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        reading = reading.as_secs_f64(),
        writing = writing.as_secs_f64(),
        "people rebuild: authority built"
    );
    writer.finish(Some(&inputs)).context("storing the people authority")?;
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "people rebuild: committed");
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(Some(summary))
}

/// Names a rebuild holds in memory at once (about 50 bytes each in a [`NameTable`], measured:
/// a 100k rebuild peaks at 337 MiB with its 2.9 million names held, 250 with a million); a
/// collection with more has them spilled to a file and its parts read back in windows. A 1M
/// rebuild (28 million names) peaked at 945 MiB with 3 million, 900 with 2 million; a 1M
/// ingest at 1015 MiB with 3 million. `OPIS_PEOPLE_NAMES_IN_MEMORY` overrides it (the tests
/// build small collections in windows).
const NAMES_IN_MEMORY: usize = 2_000_000;

/// Where a rebuild with more names than [`NAMES_IN_MEMORY`] keeps them, in the data folder
/// (removed when the rebuild ends, and by the next one if a kill left it).
const SPILL_FILE: &str = "people-names.spill";

/// Removes a file when dropped, whatever happened before.
struct RemoveOnDrop<'a>(&'a Path);

impl Drop for RemoveOnDrop<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}

/// A part of more than a 30th of [`NAMES_IN_MEMORY`] names (66,666) is built alone (see
/// `PartPlan::build_alone`): at 1M documents, 1009 MiB at the peak without, 945 with.
const ALONE_PER_BUDGET: usize = 30;

/// What the authority is built from, in a line: the change log's last seq (every document
/// written moves it), the authority records, the overrides, the summary rules and this build.
fn fingerprint(last_change: i64, records: &[String], overrides: Option<&str>) -> String {
    use std::hash::{Hash, Hasher};
    let hash = |v: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        v(&mut h);
        h.finish()
    };
    format!(
        "opis {} rules {SUMMARY_RULES} changes {last_change} records {}:{:016x} overrides {:016x}",
        env!("CARGO_PKG_VERSION"),
        records.len(),
        hash(&|h| records.hash(h)),
        hash(&|h| overrides.hash(h)),
    )
}

/// `opis people`.
pub fn command(store: &SqlStore, ambiguous: bool, show: Option<&str>, json: bool) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Some(id) = show {
        let person = store.person(id)?.with_context(|| format!("no person {id} (see `opis people`)"))?;
        let links = store.person_links(Some(id), None)?;
        if json {
            let value = serde_json::json!({ "person": person, "links": links });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
            return Ok(());
        }
        writeln!(out, "{}  {}", person.id, person.name)?;
        if person.birth.is_some() || person.death.is_some() {
            writeln!(
                out,
                "  life      {}–{}",
                person.birth.as_deref().unwrap_or("?"),
                person.death.as_deref().unwrap_or("?")
            )?;
        }
        writeln!(out, "  documents {}  turns {}  mentions {}", person.documents, person.turns, person.mentions)?;
        for v in &person.variants {
            let system = v.system.as_deref().map(|s| format!(", {s}")).unwrap_or_default();
            let sources = v.sources.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
            let more = if v.sources.len() > 5 { format!(" and {} more", v.sources.len() - 5) } else { String::new() };
            writeln!(out, "  variant   {} ({}{system}) — {sources}{more}", v.form, v.script)?;
        }
        for r in &person.roles {
            writeln!(
                out,
                "  role      {} {}–{} ({})",
                r.role,
                r.from.as_deref().unwrap_or("?"),
                r.to.as_deref().unwrap_or(""),
                r.source
            )?;
        }
        for s in &person.sources {
            writeln!(out, "  source    {s}")?;
        }
        for m in &person.merges {
            writeln!(out, "  merged    {m}")?;
        }
        for l in &links {
            writeln!(
                out,
                "  in        {}  \"{}\" {} [{}] turns {} mentions {}",
                l.doc_id,
                l.form,
                l.roles.join(","),
                l.how,
                l.turns,
                l.mentions
            )?;
        }
        return Ok(());
    }
    // Read and written a batch at a time: a large collection's authority does not fit in memory
    // whole (a million documents: 1.2 GB of person records, 817,000 ambiguities).
    if ambiguous {
        let mut first = true;
        if json {
            write!(out, "[")?;
        }
        store.for_each_ambiguity(opis_store::PEOPLE_BATCH, |a| -> Result<()> {
            if json {
                write!(out, "{}{}", if first { "" } else { "," }, serde_json::to_string(&a)?)?;
            } else {
                writeln!(out, "{}\t{}\t{}", a.doc_id, a.form, a.candidates.join(" | "))?;
            }
            first = false;
            Ok(())
        })?;
        if json {
            writeln!(out, "]")?;
        }
        return Ok(());
    }
    store.for_each_person(opis_store::PEOPLE_BATCH, |p| -> Result<()> {
        if json {
            writeln!(out, "{}", serde_json::to_string(&p)?)?;
        } else {
            let forms: Vec<&str> =
                p.variants.iter().map(|v| v.form.as_str()).filter(|f| *f != p.name).take(6).collect();
            writeln!(out, "{}\t{}\t{} doc(s)\t{} turn(s)\t{}", p.id, p.name, p.documents, p.turns, forms.join("; "))?;
        }
        Ok(())
    })?;
    Ok(())
}
