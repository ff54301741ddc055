//! The store's event-log contract: however many writers race, sequence
//! numbers run 1, 2, 3… without a gap, times never go backwards along
//! them, and a reader following the log never sees a later number before
//! an earlier one has committed (so reading on from the last number seen
//! never skips an event).

mod support;

use std::sync::Arc;

use federa_domain::access::ListScope;
use federa_domain::event::Event;
use tokio::sync::Barrier;

const WRITERS: usize = 8;
const WRITES_PER_WRITER: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_from_concurrent_writers_are_gap_free_and_never_seen_out_of_order() {
    let test = support::open().await;
    let stores = support::replicas(&test, 4).await;
    // Writers each order services (three rows and several events per
    // write) and add participants (one row, one event), interleaved.
    let offer = support::offer(&test.store).await;
    let before = test.store.last_event_sequence().await.unwrap();
    let start = Arc::new(Barrier::new(WRITERS + 1));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, start) = (stores[w % stores.len()].clone(), start.clone());
            let offer = offer.clone();
            tokio::spawn(async move {
                start.wait().await;
                let mut written = 0;
                for n in 0..WRITES_PER_WRITER {
                    if n % 2 == 0 {
                        support::participant(&store, &format!("writer-{w}-{n}")).await;
                    } else {
                        support::order(&store, &offer, &format!("svc-{w}-{n}")).await;
                    }
                    written += 1;
                }
                written
            })
        })
        .collect();
    // A reader tails the log from where it began while the writers run.
    let reader = {
        let (store, start) = (test.store.clone(), start.clone());
        tokio::spawn(async move {
            start.wait().await;
            let mut seen: Vec<Event> = Vec::new();
            let expected = WRITERS * WRITES_PER_WRITER;
            let mut last = before;
            while seen.len() < expected {
                let batch = store
                    .events_after(ListScope::All, &[], last, 50)
                    .await
                    .expect("read the log");
                for event in &batch {
                    assert_eq!(
                        event.sequence_number,
                        last + 1,
                        "the reader saw {} right after {last}",
                        event.sequence_number
                    );
                    last = event.sequence_number;
                }
                seen.extend(batch);
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    let mut written = 0;
    for writer in writers {
        written += writer.await.expect("writer ran");
    }
    assert_eq!(written, WRITERS * WRITES_PER_WRITER);
    let tailed = reader.await.expect("reader ran");

    let after = test.store.last_event_sequence().await.unwrap();
    assert_eq!(after - before, (WRITERS * WRITES_PER_WRITER) as i64);
    let log = test
        .store
        .events_after(ListScope::All, &[], before, 10_000)
        .await
        .unwrap();
    let numbers: Vec<i64> = log.iter().map(|e| e.sequence_number).collect();
    let expected: Vec<i64> = (before + 1..=after).collect();
    assert_eq!(numbers, expected);
    for pair in log.windows(2) {
        assert!(
            pair[0].created_at <= pair[1].created_at,
            "event {} at {} precedes event {} at {}",
            pair[0].sequence_number,
            pair[0].created_at,
            pair[1].sequence_number,
            pair[1].created_at
        );
    }
    // What the reader saw while the writers ran is what the log holds.
    assert_eq!(tailed, log);
}
