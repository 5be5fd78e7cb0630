//! The run's clock. `make test` runs these tests twice: on today's clock, then with the system
//! clock a year ahead (libfaketime; scripts/test.sh), so that a test that writes with a fixed
//! instant and reads with the real clock (or the other way round) fails on the day it is written,
//! not on the day its instant passes (docs/development.md, time in the tests). This checks that
//! the clock is where the run says it is, so that the second run cannot pass by running on
//! today's clock, and that DynamoDB Local, which keeps today's, has nothing to expire.

use std::time::{Duration, SystemTime};

/// How far ahead of the kernel's clock `make test` moved this process's clock
/// (`E2E_CLOCK_AHEAD_DAYS`; none: not at all).
fn expected_ahead() -> Duration {
    let days = std::env::var("E2E_CLOCK_AHEAD_DAYS").map_or(0, |days| {
        days.parse::<u64>()
            .expect("E2E_CLOCK_AHEAD_DAYS is a number of days")
    });
    Duration::from_secs(days * 86_400)
}

#[test]
fn the_system_clock_is_as_far_ahead_as_the_run_says() {
    // the kernel stamps a new file with its own time, which libfaketime does not move (the run
    // sets NO_FAKE_STAT, so reading the stamp is not moved either)
    let path = std::env::temp_dir().join(e2e::unique("clock-probe"));
    std::fs::write(&path, b"").expect("a file in the temp dir");
    let kernel = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("its modification time");
    std::fs::remove_file(&path).expect("removed");
    let ahead = match SystemTime::now().duration_since(kernel) {
        Ok(ahead) => ahead,
        Err(behind) => panic!("the clock is {:?} behind the kernel's", behind.duration()),
    };
    let expected = expected_ahead();
    assert!(
        ahead.abs_diff(expected) < Duration::from_secs(60),
        "the clock is {ahead:?} ahead of the kernel's, not {expected:?}"
    );
}

/// DynamoDB Local deletes the items of a table with a time to live once their expiry has passed
/// by its clock (today's): on a fresh DynamoDB Local, an item that expired an hour earlier was
/// gone a second after its table was created. The tests write at fixed instants in the past, so
/// their tables have none, and what a test wrote stays until the functions, on the test's clock,
/// say it expired.
#[tokio::test]
async fn a_test_table_has_no_time_to_live_for_dynamodb_local_to_act_on() {
    let sdk = e2e::sdk().await;
    let table = e2e::fresh_table(&sdk).await;
    let described = aws_sdk_dynamodb::Client::new(&sdk)
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .expect("described");
    let status = described
        .time_to_live_description
        .and_then(|d| d.time_to_live_status);
    assert_eq!(
        status,
        Some(aws_sdk_dynamodb::types::TimeToLiveStatus::Disabled)
    );
}
