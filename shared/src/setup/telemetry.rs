//! Logging for the functions: the Lambda runtime's own format and level controls (JSON when
//! `AWS_LAMBDA_LOG_FORMAT=JSON`; the level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else
//! INFO), with one rule on top. Only our own crates log below INFO at the configured level:
//! libraries log whole payloads there (at TRACE the runtime logs each raw event, with its body
//! and its `X-Callout-Token`; the AWS SDK logs every DynamoDB item it reads or writes), and
//! raising the log level to investigate must never put personal data or secrets in the logs.

use std::io::IsTerminal;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::contract::validate::ChatId;
use crate::rules::secret::Secret;
use crate::setup::config::{CHAT_LOG_KEY, CHAT_LOG_KEY_PARAM, ConfigError, Env};
use crate::setup::refreshing::Refreshing;

/// The crates whose log lines we write ourselves, and so know to be free of personal data.
const OWN_CRATES: [&str; 5] = ["availability", "intake", "handover", "message", "shared"];

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
        // colours for a terminal only: in CloudWatch (and in a log file) escape codes are noise
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(filter(configured_level()));
    if json {
        // `span` (the innermost span: ours, with `requestId` and `chat`) but not `spans`, the
        // list of every enclosing span, which repeated the runtime's `requestId` and cost ~25 K
        // instructions a request to render (docs/performance.md)
        collector.json().with_span_list(false).init();
    } else {
        collector.init();
    }
}

/// The shortest chat log key accepted: 32 characters (`openssl rand -hex 32` gives 64).
pub const MIN_CHAT_LOG_KEY_LEN: usize = 32;

/// Turns a chat id into the tag its log lines carry (`chat`): the first 16 hex digits of
/// HMAC-SHA256 keyed with `CHAT_LOG_KEY`. Lines of one chat share a tag across the
/// functions, and an operator holding the key and a chat id can find them; without the key a
/// tag says nothing about the chat id. No key configured: no tag at all.
#[derive(Clone)]
pub struct ChatTagger {
    key: Option<Hmac<Sha256>>,
}

impl ChatTagger {
    /// Tags nothing (no key configured).
    pub fn off() -> Self {
        Self { key: None }
    }

    /// Tags with `key`, which must be at least [`MIN_CHAT_LOG_KEY_LEN`] characters.
    pub fn with_key(key: &Secret) -> Result<Self, String> {
        let key = key.expose().as_bytes();
        if key.len() < MIN_CHAT_LOG_KEY_LEN {
            return Err(format!("is shorter than {MIN_CHAT_LOG_KEY_LEN} characters"));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| e.to_string())?;
        Ok(Self { key: Some(mac) })
    }

    /// The tag of `chat`, if a key is configured.
    pub fn tag(&self, chat: &ChatId) -> Option<String> {
        let mut mac = self.key.clone()?;
        mac.update(chat.as_str().as_bytes());
        let digest = mac.finalize().into_bytes();
        Some(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Puts the tag of `chat` on the request's span (see [`crate::http::answer`]), so that every
    /// line logged for the request from here on carries it.
    pub fn record(&self, chat: &ChatId) {
        if let Some(tag) = self.tag(chat) {
            tracing::Span::current().record("chat", tag.as_str());
        }
    }
}

/// The key that tags log lines with their chat (see [`ChatTagger`]), from `CHAT_LOG_KEY` or the
/// SSM parameter named by `CHAT_LOG_KEY_PARAM`; neither set: no tags. Read once at start-up: a
/// new key would split one chat's lines across two tags anyway.
pub async fn chat_tagger(
    env: &Env,
    sdk: &aws_config::SdkConfig,
) -> Result<ChatTagger, ConfigError> {
    if !env.either(CHAT_LOG_KEY, CHAT_LOG_KEY_PARAM) {
        return Ok(ChatTagger::off());
    }
    let loaded = Refreshing::load(
        env,
        CHAT_LOG_KEY,
        CHAT_LOG_KEY_PARAM,
        sdk,
        std::time::Duration::MAX,
        ChatTagger::with_key,
    )
    .await?;
    Ok(ChatTagger::clone(&*loaded.get().await))
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
            tracing::debug!(target: "shared::adapters::store", "own debug");
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

    #[test]
    fn a_chat_tag_is_the_keyed_hash_an_operator_can_compute_with_openssl() {
        // printf %s 'chat-7f3a9c' | openssl dgst -sha256 -hmac 'a-log-key-of-at-least-32-characters!'
        let key = Secret::new("a-log-key-of-at-least-32-characters!".to_owned());
        let chat = ChatId::parse("chat-7f3a9c").map_err(|e| e.to_string());
        let tagger = ChatTagger::with_key(&key).map_err(|e| e.to_string());
        let tag = chat.and_then(|chat| tagger.map(|t| t.tag(&chat)));
        assert_eq!(tag, Ok(Some("ee56bb59215dab6d".to_owned())));
    }

    #[test]
    fn tags_differ_by_key_and_by_chat_and_need_a_key() {
        let tag = |key: &str, chat: &str| {
            let tagger = ChatTagger::with_key(&Secret::new(key.to_owned())).ok()?;
            tagger.tag(&ChatId::parse(chat).ok()?)
        };
        let key = "k".repeat(MIN_CHAT_LOG_KEY_LEN);
        let other_key = "j".repeat(MIN_CHAT_LOG_KEY_LEN);
        let a = tag(&key, "chat-a");
        assert_eq!(a.as_ref().map(String::len), Some(16));
        assert_eq!(tag(&key, "chat-a"), a);
        assert_ne!(tag(&key, "chat-b"), a);
        assert_ne!(tag(&other_key, "chat-a"), a);
        let chat = ChatId::parse("chat-a").map_err(|e| e.to_string());
        assert_eq!(chat.map(|c| ChatTagger::off().tag(&c)), Ok(None));
    }

    #[test]
    fn a_short_key_is_refused_without_repeating_it() {
        let short = "s".repeat(MIN_CHAT_LOG_KEY_LEN - 1);
        let refused = ChatTagger::with_key(&Secret::new(short.clone())).map(|_| ());
        assert_eq!(refused, Err("is shorter than 32 characters".to_owned()));
    }
}
