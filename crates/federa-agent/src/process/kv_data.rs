//! The key-value store's data as a switch moves it: its `data.json`, in
//! the format `application/json` (an object of string values by key).

use std::path::{Path, PathBuf};

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::driver::DriverError;
use crate::driver::{Snapshot, SnapshotWriter};

pub const FORMAT: &str = "application/json";
const DATA_FILE: &str = "data.json";

/// The store's data file under a service's directory.
pub fn data_file(service_dir: &Path) -> PathBuf {
    service_dir.join("site").join(DATA_FILE)
}

/// Copies the store's data into `into`. The store replaces its file by
/// renaming a complete new one over it, so the file opened here is one
/// whole state of the store, whatever it writes meanwhile.
pub async fn export(service_dir: &Path, into: &mut SnapshotWriter) -> Result<(), DriverError> {
    if into.format() != FORMAT {
        return Err(DriverError::Failed(format!(
            "the key-value store exports {FORMAT}, not {}",
            into.format()
        )));
    }
    match tokio::fs::File::open(data_file(service_dir)).await {
        Ok(file) => into.copy_from(file).await,
        // A store never written to holds nothing.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => into.write(b"{}").await,
        Err(e) => Err(DriverError::Failed(format!("cannot read the store: {e}"))),
    }
}

/// Checks that `snapshot` is data the store can load, reading it once
/// with no more in memory than one value, then puts it in place of the
/// store's data.
pub async fn import(service_dir: &Path, snapshot: &Snapshot) -> Result<(), DriverError> {
    if snapshot.format != FORMAT {
        return Err(DriverError::Failed(format!(
            "the key-value store imports {FORMAT}, not {}",
            snapshot.format
        )));
    }
    let path = snapshot.path.clone();
    tokio::task::spawn_blocking(move || check_store_json(&path))
        .await
        .map_err(|e| DriverError::Failed(e.to_string()))??;
    let target = data_file(service_dir);
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(failed)?;
    }
    // Renamed in whole, so the store never sees half of it; copied to a
    // temporary name first when the snapshot is on another file system.
    if tokio::fs::rename(&snapshot.path, &target).await.is_err() {
        let temporary = target.with_extension("json.tmp");
        tokio::fs::copy(&snapshot.path, &temporary)
            .await
            .map_err(failed)?;
        tokio::fs::rename(&temporary, &target)
            .await
            .map_err(failed)?;
    }
    Ok(())
}

fn check_store_json(path: &Path) -> Result<(), DriverError> {
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut reader = serde_json::Deserializer::from_reader(std::io::BufReader::new(file));
    reader
        .deserialize_map(StoreEntries)
        .and_then(|()| reader.end())
        .map_err(|e| {
            DriverError::Failed(format!(
                "the snapshot is not a key-value store's data (an object of strings): {e}"
            ))
        })
}

/// Visits an object whose values are all strings, keeping none of them.
struct StoreEntries;

impl<'de> Visitor<'de> for StoreEntries {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        while entries.next_key::<IgnoredAny>()?.is_some() {
            entries.next_value::<StringValue>()?;
        }
        Ok(())
    }
}

/// A string, checked and dropped.
struct StringValue;

impl<'de> serde::Deserialize<'de> for StringValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = StringValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<StringValue, E> {
                Ok(StringValue)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

fn failed(error: std::io::Error) -> DriverError {
    DriverError::Failed(format!("cannot load the snapshot into the store: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_object_of_strings_is_store_data() {
        let dir = tempfile::tempdir().unwrap();
        let check = |text: &str| {
            let path = dir.path().join("snapshot.json");
            std::fs::write(&path, text).unwrap();
            check_store_json(&path)
        };
        assert!(check(r#"{"a": "1", "b": "two"}"#).is_ok());
        assert!(check("{}").is_ok());
        for bad in [
            r#"{"a": 1}"#,
            r#"["a"]"#,
            r#"{"a": "1"} trailing"#,
            r#"{"a": "#,
        ] {
            let error = check(bad).unwrap_err().to_string();
            assert!(
                error.contains("not a key-value store's data"),
                "{bad}: {error}"
            );
        }
    }
}
