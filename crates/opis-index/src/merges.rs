//! Which segments the index writer merges: tantivy's log merge policy, kept off segments of
//! more than [`MAX_MERGED_SEGMENT_BYTES`] on disk, and with no merge reading more than
//! [`MAX_MERGE_INPUT_BYTES`].
//!
//! A merge reads its segments through memory maps, so every page it reads is resident in the
//! writer's process while it runs. Tantivy's default merges segments until they hold ten million
//! entries: at a million documents it merged eight segments of 240 MB into one of 1.9 GB, and
//! the ingest's peak RSS was the size of that merge (2.8 GiB). Bounding merges bounds it, and
//! the collection stays in segments of a few hundred MB (a search's cost per segment is a
//! term-dictionary lookup per query word; its cost per hit does not change).

use std::collections::HashMap;
use std::path::PathBuf;

use tantivy::index::SegmentMeta;
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// A segment larger than this on disk (its live entries' share) is not merged again.
pub const MAX_MERGED_SEGMENT_BYTES: u64 = 96 * 1024 * 1024;
/// Most bytes one merge reads.
pub const MAX_MERGE_INPUT_BYTES: u64 = 384 * 1024 * 1024;

/// The merge policy of the index in `dir`.
#[derive(Debug)]
pub struct BoundedMerges {
    dir: PathBuf,
    log: LogMergePolicy,
}

impl BoundedMerges {
    pub fn new(dir: PathBuf) -> BoundedMerges {
        BoundedMerges { dir, log: LogMergePolicy::default() }
    }

    /// Bytes on disk of each segment in the folder, by segment id (the file names' stem).
    fn segment_bytes(&self) -> HashMap<String, u64> {
        let mut bytes = HashMap::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return bytes };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some((stem, _)) = name.to_str().and_then(|n| n.split_once('.')) else { continue };
            if let Ok(meta) = entry.metadata() {
                *bytes.entry(stem.to_owned()).or_insert(0) += meta.len();
            }
        }
        bytes
    }
}

/// A segment's live bytes: its bytes on disk less the share of its deleted entries (a segment
/// that has lost most of its entries to newer versions becomes small enough to merge again).
fn live_bytes(meta: &SegmentMeta, on_disk: u64) -> u64 {
    let max = u64::from(meta.max_doc().max(1));
    on_disk.saturating_mul(u64::from(meta.num_docs())) / max
}

impl MergePolicy for BoundedMerges {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let on_disk = self.segment_bytes();
        let size = |meta: &SegmentMeta| live_bytes(meta, on_disk.get(&meta.id().uuid_string()).copied().unwrap_or(0));
        let small: Vec<SegmentMeta> =
            segments.iter().filter(|m| size(m) <= MAX_MERGED_SEGMENT_BYTES).cloned().collect();
        let by_id: HashMap<_, _> = small.iter().map(|m| (m.id(), m)).collect();
        self.log
            .compute_merge_candidates(&small)
            .into_iter()
            .filter_map(|MergeCandidate(ids)| {
                let sized: Vec<_> = ids.into_iter().map(|id| (id, by_id.get(&id).map_or(0, |m| size(m)))).collect();
                let kept = within(&sized, MAX_MERGE_INPUT_BYTES);
                (kept.len() >= 2).then_some(MergeCandidate(kept))
            })
            .collect()
    }
}

/// The segments of a merge (listed largest first, as the log policy does), as many as fit in
/// `max` bytes together.
fn within<T: Copy>(segments: &[(T, u64)], max: u64) -> Vec<T> {
    let mut total = 0;
    let mut kept = Vec::new();
    for &(id, bytes) in segments {
        if total + bytes <= max {
            total += bytes;
            kept.push(id);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[test]
    fn a_merge_keeps_the_segments_that_fit_its_budget() {
        // Eight flushed segments of 60 MB: six fit in 384 MB.
        let level: Vec<(usize, u64)> = (0..8).map(|i| (i, 60 * MB)).collect();
        assert_eq!(within(&level, MAX_MERGE_INPUT_BYTES), vec![0, 1, 2, 3, 4, 5]);
        // A large one first does not keep the smaller ones after it out.
        assert_eq!(within(&[(0, 300 * MB), (1, 90 * MB), (2, 80 * MB)], MAX_MERGE_INPUT_BYTES), vec![0, 2]);
        assert_eq!(within(&[(0, 30 * MB), (1, 30 * MB)], MAX_MERGE_INPUT_BYTES), vec![0, 1]);
    }
}
