//! Statements and round trips per job cycle: a server of its own runs job
//! cycles one after another while every message it sends to the database is
//! counted.
//!
//! On PostgreSQL the server talks to a counting proxy on loopback that reads
//! the frontend protocol: a simple query (`Q`) or an `Execute` (`E`) is a
//! statement, a `Sync` (`S`) or a simple query ends a round trip, and a
//! `Sync` with nothing sent since the previous one is a connection check
//! (sqlx's ping). On SQLite, where the database is in the process, the
//! server's driver logs each statement it runs (`sqlx::query` at debug);
//! the driver does not log `BEGIN`/`COMMIT` there, so the SQLite figure
//! leaves them out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use federa_testkit::Federation;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::database::Database;
use crate::Server;

/// Cycles counted; enough that the background sweeps' few statements
/// per second weigh little.
const CYCLES: u64 = 200;

#[derive(Default)]
struct Counts {
    statements: AtomicU64,
    round_trips: AtomicU64,
    pings: AtomicU64,
}

impl Counts {
    fn snapshot(&self) -> [u64; 3] {
        [
            self.statements.load(Ordering::Relaxed),
            self.round_trips.load(Ordering::Relaxed),
            self.pings.load(Ordering::Relaxed),
        ]
    }
}

/// Prints statements, round trips and pings per job cycle on `database`.
pub async fn report(binary: &std::path::Path, database: &Database) -> anyhow::Result<()> {
    // A database of its own: the figures after it create their federation
    // anew, with the same names.
    let database = database.beside("round-trips").await?;
    match &database {
        Database::Postgres(url) => {
            let counts = Arc::new(Counts::default());
            let proxied = proxy(url, counts.clone()).await?;
            let server = Server::start(binary, &proxied).await?;
            let federation = Federation::create(&server.api).await;
            let before = counts.snapshot();
            run_cycles(&server, &federation).await;
            let after = counts.snapshot();
            server.stop().await;
            let per_cycle = |i: usize| (after[i] - before[i]) as f64 / CYCLES as f64;
            println!(
                "  SQL per job cycle ({CYCLES} cycles one at a time): {:.1} statements + {:.1} pings; {:.1} round trips",
                per_cycle(0),
                per_cycle(2),
                per_cycle(1)
            );
        }
        Database::Sqlite(_) => {
            let counted = Arc::new(AtomicU64::new(0));
            let server =
                Server::start_logging_statements(binary, &database.url(), counted.clone()).await?;
            let federation = Federation::create(&server.api).await;
            let before = counted.load(Ordering::Relaxed);
            run_cycles(&server, &federation).await;
            // The log is read on its own task; let it catch up.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let after = counted.load(Ordering::Relaxed);
            server.stop().await;
            println!(
                "  SQL per job cycle ({CYCLES} cycles one at a time): {:.1} statements, BEGIN/COMMIT not counted",
                (after - before) as f64 / CYCLES as f64
            );
        }
    }
    Ok(())
}

/// Order, claim and complete, one cycle at a time, each service in the
/// same group so every claim finds exactly the job just ordered.
async fn run_cycles(server: &Server, federation: &Federation) {
    let api = &server.api;
    let group = federation.group(api, "counted").await;
    for n in 0..CYCLES {
        crate::job_steps::order_into(api, federation, &format!("counted-{n}"), &group).await;
        for job in crate::job_steps::claim_batch(api, &federation.agent_token).await {
            crate::job_steps::complete(api, &federation.agent_token, job.id).await;
        }
    }
}

/// Starts a counting proxy in front of the PostgreSQL server of `url` and
/// returns the same URL pointed at the proxy, without TLS so the proxy can
/// read the messages.
async fn proxy(url: &str, counts: Arc<Counts>) -> anyhow::Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| anyhow::anyhow!("not a URL: {url}"))?;
    let (credentials, rest) = match rest.split_once('@') {
        Some((credentials, rest)) => (format!("{credentials}@"), rest),
        None => (String::new(), rest),
    };
    let (upstream, path) = rest.split_once('/').unwrap_or((rest, ""));
    let upstream = upstream.to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, counts) = (upstream.clone(), counts.clone());
            tokio::spawn(async move {
                if let Ok(server) = TcpStream::connect(&upstream).await {
                    // Each message is forwarded as it is read: without this,
                    // a message written right after another waits for the
                    // first's acknowledgement, up to the peer's delayed ACK.
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let _ = relay(client, server, counts).await;
                }
            });
        }
    });
    let separator = if path.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{scheme}://{credentials}{local}/{path}{separator}sslmode=disable"
    ))
}

/// Copies both directions, counting the client's messages on the way up.
async fn relay(client: TcpStream, server: TcpStream, counts: Arc<Counts>) -> std::io::Result<()> {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    });
    // The startup message has a length but no type byte.
    let length = client_read.read_u32().await?;
    let mut startup = vec![0; (length as usize).saturating_sub(4)];
    client_read.read_exact(&mut startup).await?;
    server_write.write_u32(length).await?;
    server_write.write_all(&startup).await?;
    let mut sent_since_sync = false;
    loop {
        let kind = client_read.read_u8().await?;
        let length = client_read.read_u32().await?;
        let mut body = vec![0; (length as usize).saturating_sub(4)];
        client_read.read_exact(&mut body).await?;
        match kind {
            b'Q' => {
                counts.statements.fetch_add(1, Ordering::Relaxed);
                counts.round_trips.fetch_add(1, Ordering::Relaxed);
            }
            b'E' => {
                counts.statements.fetch_add(1, Ordering::Relaxed);
                sent_since_sync = true;
            }
            b'S' => {
                counts.round_trips.fetch_add(1, Ordering::Relaxed);
                if !sent_since_sync {
                    counts.pings.fetch_add(1, Ordering::Relaxed);
                }
                sent_since_sync = false;
            }
            _ => sent_since_sync = true,
        }
        let mut message = Vec::with_capacity(body.len() + 5);
        message.push(kind);
        message.extend_from_slice(&length.to_be_bytes());
        message.extend_from_slice(&body);
        server_write.write_all(&message).await?;
    }
}
