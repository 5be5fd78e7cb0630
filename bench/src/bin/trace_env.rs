//! What lambda_runtime's per-invocation `std::env::set_var("_X_AMZN_TRACE_ID", ..)` costs in
//! resident memory on glibc, on its own: glibc's `setenv` keeps every value it was ever given
//! (it cannot know whether a `getenv` caller still holds the old one), and each invocation
//! brings a new trace id. `make bench` sets it next to the floor's RSS growth.
//!
//! `trace_env <count>`: sets `count` distinct trace-id-shaped values; prints
//! `{"bytes_per_call"}`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let before = rss_kib()?;
    for i in 0..count {
        let trace_id = format!("Root=1-6b05e01d-{i:024x};Parent=0ceff85a47b71751;Sampled=1");
        // SAFETY: this process has one thread, so nothing reads the environment meanwhile
        unsafe { std::env::set_var("_X_AMZN_TRACE_ID", trace_id) };
    }
    let after = rss_kib()?;
    let per_call = after.saturating_sub(before) as f64 * 1024.0 / count as f64;
    println!("{}", serde_json::json!({ "bytes_per_call": per_call }));
    Ok(())
}

fn rss_kib() -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/self/status".into())
}
