//! Which store for the index read in place: its own sorted runs (a table
//! of an index file, a fence in memory, 4 KiB blocks through a bounded
//! cache) or fjall, a pure-Rust LSM tree, sized with the same cache.
//!
//! The workload is the index's commonest lookup: a paragraph hash (a
//! 64-bit xxh3) to a 64-bit value, half of them absent (a new paragraph)
//! and half present, in input order (random) and as a sorted batch. Each
//! store is built from the same entries, then queried through caches far
//! below and above the data's size; the answers are checked equal.
//!
//!   cargo run --release -- [ENTRIES] [LOOKUPS] [DIR]
//!
//! (defaults: 10 million entries, 1 million lookups, a directory under
//! /tmp, removed after).

use std::path::Path;
use std::time::Instant;

use fjall::{Config, PartitionCreateOptions, PersistMode};
use newsdedup::store::sorted_run::SortedRun;
use xxhash_rust::xxh3::xxh3_64;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn key(i: u64) -> u64 {
    xxh3_64(&i.to_le_bytes())
}

/// `n` lookups: even ones of present keys, odd ones absent, spread by a
/// fixed generator.
fn lookups(n: usize, entries: u64) -> Vec<u64> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|j| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match j % 2 {
                0 => key(x % entries),
                _ => key(entries + x % entries),
            }
        })
        .collect()
}

/// Runs `get` over `keys`; returns ns a lookup and how many were found.
fn timed(keys: &[u64], mut get: impl FnMut(u64) -> Option<u64>) -> (f64, usize) {
    let start = Instant::now();
    let found = keys.iter().filter(|&&k| get(k).is_some()).count();
    (start.elapsed().as_nanos() as f64 / keys.len() as f64, found)
}

fn fjall_open(dir: &Path, cache: u64) -> Result<(fjall::Keyspace, fjall::PartitionHandle)> {
    let keyspace = Config::new(dir).cache_size(cache).open()?;
    let options = PartitionCreateOptions::default().block_size(4096);
    let table = keyspace.open_partition("paragraphs", options)?;
    Ok((keyspace, table))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let entries: u64 = args.get(1).map_or(Ok(10_000_000), |a| a.parse())?;
    let n: usize = args.get(2).map_or(Ok(1_000_000), |a| a.parse())?;
    let dir = match args.get(3) {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("store-choice-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let run_path = dir.join("table.run");
    let lsm_dir = dir.join("fjall");

    let start = Instant::now();
    SortedRun::write(&run_path, (0..entries).map(|i| (key(i), i)))?;
    let run_build = start.elapsed().as_secs_f64();
    let start = Instant::now();
    {
        let (keyspace, table) = fjall_open(&lsm_dir, 64 << 20)?;
        for i in 0..entries {
            table.insert(key(i).to_be_bytes(), i.to_le_bytes())?;
        }
        table.rotate_memtable_and_wait()?;
        table.major_compact()?;
        keyspace.persist(PersistMode::SyncAll)?;
    }
    let lsm_build = start.elapsed().as_secs_f64();
    let size = |path: &Path| -> u64 {
        walk(path)
            .iter()
            .map(|p| p.metadata().map_or(0, |m| m.len()))
            .sum()
    };
    let (run_bytes, lsm_bytes) = (size(&run_path), size(&lsm_dir));
    println!(
        "{entries} entries: sorted run built in {run_build:.1} s, {:.0} MB; \
         fjall in {lsm_build:.1} s, {:.0} MB",
        run_bytes as f64 / 1e6,
        lsm_bytes as f64 / 1e6
    );

    let random = lookups(n, entries);
    let mut sorted = random.clone();
    sorted.sort_unstable();
    println!("cache_MiB  order   pass  run_ns  fjall_ns  found");
    for cache_mib in [16u64, 64, 1024] {
        let cache = cache_mib << 20;
        let run = SortedRun::open(&run_path, cache)?;
        let (_keyspace, lsm) = fjall_open(&lsm_dir, cache)?;
        let lsm_get = |k: u64| {
            lsm.get(k.to_be_bytes())
                .expect("a read")
                .map(|v| u64::from_le_bytes(v[..8].try_into().expect("8 bytes")))
        };
        for (order, keys) in [("random", &random), ("sorted", &sorted)] {
            for pass in ["first", "again"] {
                let (run_ns, run_found) = timed(keys, |k| run.get(k));
                let (lsm_ns, lsm_found) = timed(keys, lsm_get);
                assert_eq!(run_found, lsm_found, "the same answers");
                println!("{cache_mib:9}  {order}  {pass}  {run_ns:6.0}  {lsm_ns:8.0}  {run_found}");
            }
        }
    }
    if args.get(3).is_none() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

/// Every file under `path` (or `path` itself).
fn walk(path: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(path) {
        Err(_) => vec![path.to_path_buf()],
        Ok(entries) => entries.flatten().flat_map(|e| walk(&e.path())).collect(),
    }
}
