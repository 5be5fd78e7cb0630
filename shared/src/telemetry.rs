//! Logging for the functions: the Lambda runtime's own format and level controls (JSON when
//! `AWS_LAMBDA_LOG_FORMAT=JSON`; the level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else
//! INFO), with one rule on top. Only our own crates log below INFO at the configured level:
//! libraries log whole payloads there (at TRACE the runtime logs each raw event, with its body
//! and its `X-Callout-Token`; the AWS SDK logs every DynamoDB item it reads or writes), and
//! raising the log level to investigate must never put personal data or secrets in the logs.

use std::str::FromStr;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// The crates whose log lines we write ourselves, and so know to be free of personal data.
const OWN_CRATES: [&str; 4] = ["availability", "intake", "handover", "shared"];

/// The filter for a configured level: ours at `configured`, the runtime at most DEBUG (its
/// TRACE lines hold raw events), everything else at most INFO.
pub fn filter(configured: LevelFilter) -> EnvFilter {
    let libraries = configured.min(LevelFilter::INFO);
    let runtime = configured.min(LevelFilter::DEBUG);
    let mut directives = vec![libraries.to_string(), format!("lambda_runtime={runtime}")];
    directives.extend(OWN_CRATES.iter().map(|name| format!("{name}={configured}")));
    EnvFilter::builder().parse_lossy(directives.join(","))
}

/// The configured level, as the runtime reads it; an unreadable value means INFO.
pub fn configured_level() -> LevelFilter {
    std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| LevelFilter::from_str(level.trim()).ok())
        .unwrap_or(LevelFilter::INFO)
}

/// Installs the subscriber; call once, first thing in `main`.
pub fn init() {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let collector = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(configured_level()));
    if json {
        collector.json().init();
    } else {
        collector.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn captured_at(configured: LevelFilter) -> String {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(configured))
            .with_writer(move || CaptureWriter(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "handover", "own trace");
            tracing::debug!(target: "shared::store", "own debug");
            tracing::trace!(target: "lambda_runtime::layers::api_response", "raw JSON event");
            tracing::debug!(target: "lambda_runtime::runtime", "runtime debug");
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "sdk trace");
            tracing::debug!(target: "hyper_util::client", "library debug");
            tracing::info!(target: "aws_config", "library info");
            tracing::warn!(target: "reqwest", "library warn");
        });
        let bytes = buffer.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for CaptureWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut buffer) = self.0.lock() {
                buffer.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn at_trace_only_our_crates_log_below_info_and_the_runtime_stops_at_debug() {
        let logs = captured_at(LevelFilter::TRACE);
        for present in [
            "own trace",
            "own debug",
            "runtime debug",
            "library info",
            "library warn",
        ] {
            assert!(logs.contains(present), "{present} missing from {logs}");
        }
        for absent in ["raw JSON event", "sdk trace", "library debug"] {
            assert!(
                !logs.contains(absent),
                "{absent} must not be logged: {logs}"
            );
        }
    }

    #[test]
    fn at_warn_everything_stops_at_warn() {
        let logs = captured_at(LevelFilter::WARN);
        assert!(logs.contains("library warn"), "{logs}");
        for absent in ["own trace", "own debug", "runtime debug", "library info"] {
            assert!(
                !logs.contains(absent),
                "{absent} must not be logged: {logs}"
            );
        }
    }
}
