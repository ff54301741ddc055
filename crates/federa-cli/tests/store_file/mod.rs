//! A key-value store's data file written straight to disk, as the store
//! itself writes it, so that a test can give a store hundreds of MiB in
//! seconds and tell every byte of it back.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;

use federa_agent::transfer::RunningSha256;

/// Writes a key-value store's data file straight to `path`, as the store
/// itself writes it (an object of string values by key): `keys` keys
/// `key-00000`…, each holding `value_bytes` bytes that differ from key to
/// key. Returns the file's size and SHA-256 (hex).
pub fn write_store_file(path: &Path, keys: usize, value_bytes: usize) -> (u64, String) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut sha256 = RunningSha256::new();
    let mut size = 0u64;
    let mut put = |bytes: &[u8]| {
        out.write_all(bytes).unwrap();
        sha256.update(bytes);
        size += bytes.len() as u64;
    };
    let mut value = vec![0u8; value_bytes];
    put(b"{");
    for i in 0..keys {
        if i > 0 {
            put(b",");
        }
        store_value(i, &mut value);
        put(format!("\"{}\":\"", store_key(i)).as_bytes());
        put(&value);
        put(b"\"");
    }
    put(b"}");
    out.into_inner().unwrap().sync_all().unwrap();
    (size, sha256.hex())
}

/// The size and SHA-256 (hex) of the file at `path`, read a chunk at a
/// time.
pub fn file_digest(path: &Path) -> (u64, String) {
    let mut file = std::fs::File::open(path).unwrap();
    let mut sha256 = RunningSha256::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut chunk).unwrap();
        if read == 0 {
            return (size, sha256.hex());
        }
        sha256.update(&chunk[..read]);
        size += read as u64;
    }
}

pub fn store_key(i: usize) -> String {
    format!("key-{i:05}")
}

/// The value [`write_store_file`] puts under key `i`: 4 KiB of letters
/// from a generator seeded by `i`, repeated, so no two values are alike
/// and a gibibyte is written in seconds.
pub fn store_value(i: usize, into: &mut [u8]) {
    let mut pattern = [0u8; 4096];
    let mut state = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for byte in pattern.iter_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = b'a' + (state % 26) as u8;
    }
    for piece in into.chunks_mut(pattern.len()) {
        piece.copy_from_slice(&pattern[..piece.len()]);
    }
}
