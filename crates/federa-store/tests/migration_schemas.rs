//! The two migration sets describe one schema: after both have run, the
//! SQLite file and the PostgreSQL database hold the same tables, the same
//! columns with comparable types and the same nullability, the same
//! primary keys and the same indexes, as each database reports them.

use std::collections::BTreeMap;

use federa_store::Store;
use federa_test_database::{backend_name, TestDatabase};
use sqlx::{Connection, PgConnection, SqliteConnection};

/// A column as both engines can describe it: the storage class its type
/// falls in, and whether it may hold NULL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    class: &'static str,
    nullable: bool,
}

/// An index by its table and columns (an expression as `<expression>`);
/// named when a migration created it by name, unnamed when a key or
/// `UNIQUE` constraint did.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    table: String,
    name: Option<String>,
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    columns: BTreeMap<(String, String), Column>,
    primary_keys: BTreeMap<String, Vec<String>>,
    indexes: Vec<Index>,
}

/// SQLite's declared type, by the class the store reads and writes it as.
fn sqlite_class(declared: &str) -> &'static str {
    match declared.to_ascii_uppercase().as_str() {
        "BLOB" => "bytes",
        "TEXT" => "text",
        "INTEGER" => "integer",
        "REAL" => "real",
        _ => "unknown",
    }
}

/// PostgreSQL's type, by the SQLite class that stands for it: ids and
/// byte strings are blobs, times and JSON documents are text, booleans
/// are integers.
fn postgres_class(data_type: &str) -> &'static str {
    match data_type {
        "uuid" | "bytea" => "bytes",
        "text" | "jsonb" | "timestamp with time zone" | "character varying" => "text",
        "smallint" | "integer" | "bigint" | "boolean" => "integer",
        "double precision" | "real" => "real",
        _ => "unknown",
    }
}

const SQLX_TABLE: &str = "_sqlx_migrations";

async fn sqlite_schema(url: &str) -> Schema {
    let mut db = SqliteConnection::connect(url).await.expect("open SQLite");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> $1 ORDER BY name",
    )
    .bind(SQLX_TABLE)
    .fetch_all(&mut db)
    .await
    .unwrap();
    let mut schema = Schema::default();
    for table in tables {
        let columns: Vec<(String, String, bool, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&table)
        .fetch_all(&mut db)
        .await
        .unwrap();
        let mut key: Vec<(i64, String)> = Vec::new();
        for (name, declared, not_null, pk) in columns {
            if pk > 0 {
                key.push((pk, name.clone()));
            }
            schema.columns.insert(
                (table.clone(), name),
                Column {
                    class: sqlite_class(&declared),
                    // A primary key column never holds NULL on PostgreSQL;
                    // SQLite's own rule differs, so the key says it here.
                    nullable: !not_null && pk == 0,
                },
            );
        }
        key.sort();
        schema
            .primary_keys
            .insert(table.clone(), key.into_iter().map(|(_, c)| c).collect());
        let indexes: Vec<(String, bool, String, bool)> =
            sqlx::query_as("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(&table)
                .fetch_all(&mut db)
                .await
                .unwrap();
        for (name, unique, origin, partial) in indexes {
            if origin == "pk" {
                continue;
            }
            let columns: Vec<Option<String>> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(&mut db)
                    .await
                    .unwrap();
            schema.indexes.push(Index {
                table: table.clone(),
                name: (origin == "c").then_some(name),
                columns: columns
                    .into_iter()
                    .map(|c| c.unwrap_or_else(|| "<expression>".into()))
                    .collect(),
                unique,
                partial,
            });
        }
    }
    schema.indexes.sort();
    let _ = db.close().await;
    schema
}

/// An index as PostgreSQL's catalogue describes it.
#[derive(sqlx::FromRow)]
struct PgIndex {
    table_name: String,
    name: String,
    is_unique: bool,
    is_primary: bool,
    partial: bool,
    from_constraint: bool,
    columns: Vec<String>,
}

async fn postgres_schema(url: &str) -> Schema {
    let mut db = PgConnection::connect(url).await.expect("open PostgreSQL");
    let mut schema = Schema::default();
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> $1",
    )
    .bind(SQLX_TABLE)
    .fetch_all(&mut db)
    .await
    .unwrap();
    for (table, name, data_type, nullable) in columns {
        schema.columns.insert(
            (table, name),
            Column {
                class: postgres_class(&data_type),
                nullable: nullable == "YES",
            },
        );
    }
    let indexes: Vec<PgIndex> = sqlx::query_as(
        "SELECT t.relname::text AS table_name, i.relname::text AS name, ix.indisunique AS is_unique, \
                ix.indisprimary AS is_primary, ix.indpred IS NOT NULL AS partial, \
                EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) AS from_constraint, \
                ARRAY(SELECT COALESCE(a.attname::text, '<expression>') \
                      FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) \
                      LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                      ORDER BY k.n) AS columns \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         WHERE ns.nspname = current_schema() AND t.relname <> $1",
    )
    .bind(SQLX_TABLE)
    .fetch_all(&mut db)
    .await
    .unwrap();
    for index in indexes {
        if index.is_primary {
            schema.primary_keys.insert(index.table_name, index.columns);
            continue;
        }
        schema.indexes.push(Index {
            table: index.table_name,
            name: (!index.from_constraint).then_some(index.name),
            columns: index.columns,
            unique: index.is_unique,
            partial: index.partial,
        });
    }
    // A table without a primary key has none on SQLite's side either.
    let tables: Vec<String> = schema.columns.keys().map(|(t, _)| t.clone()).collect();
    for table in tables {
        schema.primary_keys.entry(table).or_default();
    }
    schema.indexes.sort();
    let _ = db.close().await;
    schema
}

#[tokio::test]
async fn both_migration_sets_produce_the_same_schema() {
    if backend_name() != "postgres" {
        // The comparison needs both engines; it runs in the PostgreSQL suite.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("federa.db").display());
    Store::open(&sqlite_url).await.unwrap().close().await;
    let postgres = TestDatabase::create().await;
    Store::open(&postgres.url).await.unwrap().close().await;

    let sqlite = sqlite_schema(&sqlite_url).await;
    let postgres = postgres_schema(&postgres.url).await;
    assert!(sqlite.columns.len() > 100, "introspection found the tables");
    assert!(!sqlite.indexes.is_empty() && !postgres.indexes.is_empty());

    let unknown: Vec<_> = sqlite
        .columns
        .iter()
        .chain(&postgres.columns)
        .filter(|(_, c)| c.class == "unknown")
        .collect();
    assert!(unknown.is_empty(), "types of no known class: {unknown:?}");
    let only = |a: &Schema, b: &Schema| -> Vec<String> {
        a.columns
            .iter()
            .filter(|(k, c)| b.columns.get(*k) != Some(c))
            .map(|((t, n), c)| format!("{t}.{n} {c:?}"))
            .collect()
    };
    assert_eq!(
        (only(&sqlite, &postgres), only(&postgres, &sqlite)),
        (vec![], vec![]),
        "columns (SQLite only, PostgreSQL only)"
    );
    assert_eq!(sqlite.primary_keys, postgres.primary_keys);
    let missing = |a: &Schema, b: &Schema| -> Vec<Index> {
        a.indexes
            .iter()
            .filter(|i| !b.indexes.contains(i))
            .cloned()
            .collect()
    };
    assert_eq!(
        (missing(&sqlite, &postgres), missing(&postgres, &sqlite)),
        (vec![], vec![]),
        "indexes (SQLite only, PostgreSQL only)"
    );
}
