//! `cairn check`'s cache on disk, `.cairn/cache/check.bin`: the [`Cache`]
//! of the last check — each file's stamp, text, lowered entities, the
//! diagnostics of reading it and what the per-entity rules said of each
//! document — so that the next check reads and parses only the files whose
//! stamp changed. References, the graph, policies and rules always run on
//! the whole catalog again.
//!
//! Invariants:
//! * The cache is a pure speed-up: a check that reads it reports exactly
//!   what a check without it does. Anything doubtful is read again — a
//!   file whose stamp (size, modification time, inode, status-change time)
//!   differs, a file modified within [`RACY`] of the check that cached it
//!   (its next edit could keep the same timestamps), a file with a
//!   diagnostic whose severity a policy may set per target. The whole cache
//!   is dropped when cairn's version or binary, `cairn.yaml` or the format
//!   changed, or when it cannot be read back whole.
//! * Writing is best effort and atomic (`util::write_atomically`): a
//!   read-only checkout only loses the speed-up, and two checks at once
//!   leave one of their caches, never a mix.
//!
//! The file is a header (format and key) and then chunks of files, each
//! its byte length (8 bytes, little-endian), its CRC-32 (4 bytes) and a
//! postcard-encoded list: chunks are encoded and decoded on every core, and
//! written as they are encoded, a few at a time. The checksums catch what
//! decoding would not — a torn write after a crash, a flipped byte inside
//! a string.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Cache, CachedFile};
use crate::config::CONFIG_FILE;
use crate::diagnostics::Diagnostic;
use crate::model::Entity;
use crate::source::Stamp;

/// Bumped whenever what is written changes shape.
const FORMAT: u32 = 1;

/// A file modified this close before the check that read it is not kept:
/// filesystems keep modification times to a jiffy, a second or two, so an
/// edit right after the read could leave the stamp as it was.
const RACY: Duration = Duration::from_secs(2);

/// The cache is written again once more than one file in this many is
/// missing from it (always, for a catalog of fewer files).
const STALE_SHARE: usize = 64;

/// Files per chunk: enough chunks to keep both cores busy on a large
/// catalog, few enough that each is worth a task.
const FILES_PER_CHUNK: usize = 256;

/// Chunks encoded at once before they are written: what bounds the memory
/// of writing.
const CHUNKS_AT_ONCE: usize = 16;

/// Where the cache lives and what the run it was read in started from.
pub(super) struct Disk {
    path: PathBuf,
    key: String,
    /// When the cache was read: files modified since `started - RACY` are
    /// not written back.
    started: SystemTime,
    /// How many files the cache held when read.
    loaded: usize,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    key: String,
}

/// One file as written ([`FileRecord`] as read back).
#[derive(Serialize)]
struct FileRecordRef<'a> {
    display: &'a str,
    stamp: Stamp,
    text: &'a str,
    entities: &'a [Arc<Entity>],
    diagnostics: &'a [Diagnostic],
    /// What the per-entity rules said of each entity's document.
    checked: Vec<Option<&'a [Diagnostic]>>,
}

#[derive(Deserialize)]
struct FileRecord {
    display: String,
    stamp: Stamp,
    text: Arc<str>,
    entities: Vec<Arc<Entity>>,
    diagnostics: Vec<Diagnostic>,
    checked: Vec<Option<Vec<Diagnostic>>>,
}

impl Cache {
    /// The cache `cairn check` left for the catalog at `root`, empty when
    /// there is none or it no longer applies; it keeps what the coming
    /// compile reads, for [`Cache::persist`].
    pub fn persisted(root: &Path) -> Cache {
        let mut cache = Cache::default();
        let path = crate::load::cache_dir(root).join("check.bin");
        let key = key(root);
        let started = SystemTime::now();
        let files = read_file(&path, &key).unwrap_or_default();
        let loaded = files.len();
        for file in files {
            for (entity, checked) in file.entities.iter().zip(file.checked) {
                if let Some(out) = checked {
                    cache.checked.insert(entity.node.clone(), out);
                }
            }
            cache.files.insert(
                file.display,
                CachedFile {
                    stamp: file.stamp,
                    text: file.text,
                    entities: file.entities,
                    diagnostics: file.diagnostics,
                },
            );
        }
        cache.disk = Some(Disk {
            path,
            key,
            started,
            loaded,
        });
        cache
    }

    /// Whether [`Cache::persist`] would write: when the cache on disk
    /// misses more than [`STALE_SHARE`] of the catalog — files read again
    /// (changed or added) and files gone. Below that, the next checks read
    /// those few files again, which costs less than writing the whole
    /// cache after every edit.
    pub fn worth_persisting(&self) -> bool {
        let Some(disk) = &self.disk else { return false };
        let stale = self.read_again + disk.loaded.saturating_sub(self.reused());
        stale > disk.loaded / STALE_SHARE
    }

    /// Writes what the last compile kept back to where
    /// [`Cache::persisted`] read it from, when [`Cache::worth_persisting`].
    /// Best effort: a cache that cannot be written costs the next run time.
    pub fn persist(&self) {
        let Some(disk) = self.disk.as_ref().filter(|_| self.worth_persisting()) else {
            return;
        };
        let settled = disk.started.checked_sub(RACY).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut settled_files: Vec<(&str, &CachedFile)> = self
            .files
            .iter()
            .filter(|(_, file)| file.stamp.modified() < settled)
            .map(|(display, file)| (display.as_str(), file))
            .collect();
        settled_files.sort_unstable_by_key(|(display, _)| *display);
        let header = Header {
            format: FORMAT,
            key: disk.key.clone(),
        };
        if let Some(dir) = disk.path.parent() {
            crate::load::create_cache_dir(dir);
        }
        let _ = crate::util::write_atomically(&disk.path, |out| {
            out.write_all(&postcard::to_stdvec(&header).map_err(std::io::Error::other)?)?;
            for group in settled_files.chunks(FILES_PER_CHUNK * CHUNKS_AT_ONCE) {
                let chunks: Vec<Vec<u8>> = group
                    .par_chunks(FILES_PER_CHUNK)
                    .map(|files| {
                        let records: Vec<FileRecordRef> = files
                            .iter()
                            .filter_map(|(display, file)| record(&self.checked, display, file))
                            .collect();
                        postcard::to_stdvec(&records).map_err(std::io::Error::other)
                    })
                    .collect::<std::io::Result<_>>()?;
                for chunk in chunks {
                    out.write_all(&(chunk.len() as u64).to_le_bytes())?;
                    out.write_all(&crc32fast::hash(&chunk).to_le_bytes())?;
                    out.write_all(&chunk)?;
                }
            }
            Ok(())
        });
    }
}

/// `file` as written, or `None` when it must be read again anyway: a
/// diagnostic with a target (which the policies may give a severity of
/// its own; the target is not written).
fn record<'a>(
    checked: &'a crate::validate::Checked,
    display: &'a str,
    file: &'a CachedFile,
) -> Option<FileRecordRef<'a>> {
    let entity_checks: Vec<Option<&[Diagnostic]>> = file.entities.iter().map(|e| checked.of(&e.node)).collect();
    let targeted = file
        .diagnostics
        .iter()
        .chain(entity_checks.iter().flatten().flat_map(|out| out.iter()))
        .any(|d| d.target.is_some());
    (!targeted).then_some(FileRecordRef {
        display,
        stamp: file.stamp,
        text: &file.text,
        entities: &file.entities,
        diagnostics: &file.diagnostics,
        checked: entity_checks,
    })
}

/// The files of the cache at `path`, when it was written with `key`: the
/// header is read first, so that a cache that no longer applies is not
/// read whole.
fn read_file(path: &Path, key: &str) -> Option<Vec<FileRecord>> {
    let mut file = File::open(path).ok()?;
    let mut bytes = Vec::with_capacity(file.metadata().map(|m| m.len() as usize + 1).unwrap_or(0));
    (&mut file).take(256).read_to_end(&mut bytes).ok()?;
    let (header, _) = postcard::take_from_bytes::<Header>(&bytes).ok()?;
    if header.format != FORMAT || header.key != key {
        return None;
    }
    file.read_to_end(&mut bytes).ok()?;
    read(&bytes, key)
}

/// The files of a cache written with `key`, or `None` when it was written
/// with another key or format, or is damaged.
fn read(bytes: &[u8], key: &str) -> Option<Vec<FileRecord>> {
    let (header, mut rest) = postcard::take_from_bytes::<Header>(bytes).ok()?;
    if header.format != FORMAT || header.key != key {
        return None;
    }
    let mut chunks = Vec::new();
    while !rest.is_empty() {
        let (length, after) = rest.split_first_chunk::<8>()?;
        let (checksum, after) = after.split_first_chunk::<4>()?;
        let length = usize::try_from(u64::from_le_bytes(*length)).ok()?;
        if length > after.len() {
            return None;
        }
        let (chunk, after) = after.split_at(length);
        chunks.push((chunk, u32::from_le_bytes(*checksum)));
        rest = after;
    }
    let files: Vec<Vec<FileRecord>> = chunks
        .into_par_iter()
        .map(|(chunk, checksum)| {
            let intact = crc32fast::hash(chunk) == checksum;
            intact
                .then(|| postcard::from_bytes::<Vec<FileRecord>>(chunk).ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    Some(files.into_iter().flatten().collect())
}

/// What a cache must have been written with to be read: the format,
/// cairn's version and binary (a rebuilt cairn may lower or check files
/// differently) and the text of `cairn.yaml`.
fn key(root: &Path) -> String {
    let mut key = Sha256::new();
    key.update(format!("cairn {} check cache\n", env!("CARGO_PKG_VERSION")));
    if let Some(stamp) = std::env::current_exe().ok().and_then(|exe| Stamp::of(&exe)) {
        key.update(format!("{stamp:?}\n"));
    }
    key.update(std::fs::read(root.join(CONFIG_FILE)).unwrap_or_default());
    hex::encode(&key.finalize()[..16])
}
