//! How a call to an upstream (CM.com, a presence system) can fail, in the terms the functions
//! decide on, and the one fact both the retry rule ([`crate::setup::retry`]) and the at-most-once
//! protocol ([`crate::rules::once`]) go by: whether the upstream may have acted
//! ([`UpstreamError::may_have_acted`]).

/// An upstream call's failure. Its text never holds a URL, a header or a body: it is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    #[error("no answer within the time budget")]
    Timeout,
    /// No connection could be made: the request never left.
    #[error("could not connect")]
    NotConnected,
    /// The connection failed once the request may have been sent (reset, TLS, protocol).
    #[error("the connection failed")]
    Unreachable,
    #[error("answered HTTP {0}")]
    Status(u16),
    #[error("answered with a body that is not JSON or too large")]
    UnreadableBody,
    /// A 2xx whose body is not one of the answers the API documents (MSC presence: `Online` or
    /// `Offline`). `prefix` is at most [`ANSWER_PREFIX_CHARS`] characters of it, sanitised by
    /// [`sanitised_prefix`]: enough to tell an HTML page or a new word from an empty body.
    #[error(
        "answered HTTP {status} with a {length}-byte body that is not a presence answer (starts {prefix:?})"
    )]
    UnrecognisedAnswer {
        status: u16,
        length: usize,
        prefix: String,
    },
    #[error("the credentials cannot be sent")]
    InvalidToken,
}

impl UpstreamError {
    /// Whether the upstream may have acted on a call that failed this way: when the request may
    /// have been received and the answer does not say it was refused (a timeout, a connection
    /// lost after sending, a 5xx). Then the outcome is unknown. "Could not connect" and a 4xx are
    /// refusals; a body we could not send or a token we could not put in a header never left.
    pub fn may_have_acted(&self) -> bool {
        match self {
            // a 2xx, whatever its body says, is the upstream's word that it took the request
            Self::Timeout | Self::Unreachable | Self::UnrecognisedAnswer { .. } => true,
            Self::Status(status) => *status >= 500,
            Self::NotConnected | Self::UnreadableBody | Self::InvalidToken => false,
        }
    }
}

impl UpstreamError {
    /// Whether this failure is the upstream's own trouble, the only kind a circuit breaker may
    /// count: it answered 5xx or 429, did not answer in time, or the connection was refused or
    /// reset. A 4xx (or 3xx) answers a request we built from a caller's input, and an answer we
    /// cannot read may be what that input asked for: counting those would let any caller open
    /// the circuit for everyone.
    pub fn is_upstream_trouble(&self) -> bool {
        match self {
            Self::Timeout | Self::NotConnected | Self::Unreachable => true,
            Self::Status(status) => *status == 429 || *status >= 500,
            Self::UnreadableBody | Self::UnrecognisedAnswer { .. } | Self::InvalidToken => false,
        }
    }
}

/// How many characters of an unrecognised answer a log line may show.
pub const ANSWER_PREFIX_CHARS: usize = 16;

/// The first [`ANSWER_PREFIX_CHARS`] characters of `body` with everything but ASCII letters,
/// digits, spaces and `<>/!-_.` replaced by `?`: a log line can tell `<!DOCTYPE html>` or `Busy`
/// from an empty answer, and never carries control characters, quotes or text in other scripts.
pub fn sanitised_prefix(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(ANSWER_PREFIX_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric()
                || matches!(c, ' ' | '<' | '>' | '/' | '!' | '-' | '_' | '.')
            {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// What a failed `reqwest` call means for us. Only the error's kind is read: its text (which
/// holds the URL, and so MSC's API key) is dropped here and never logged.
pub fn classify(error: &reqwest::Error) -> UpstreamError {
    if error.is_connect() {
        UpstreamError::NotConnected
    } else if error.is_timeout() {
        UpstreamError::Timeout
    } else {
        UpstreamError::Unreachable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_are_known_outcomes() {
        for unknown in [
            UpstreamError::Timeout,
            UpstreamError::Unreachable,
            UpstreamError::Status(500),
            UpstreamError::Status(502),
            UpstreamError::Status(503),
            UpstreamError::Status(504),
        ] {
            assert!(unknown.may_have_acted(), "{unknown:?}");
        }
        for refused in [
            UpstreamError::NotConnected,
            UpstreamError::Status(400),
            UpstreamError::Status(401),
            UpstreamError::Status(404),
            UpstreamError::Status(429),
            UpstreamError::Status(302),
        ] {
            assert!(!refused.may_have_acted(), "{refused:?}");
        }
    }

    #[test]
    fn only_the_upstreams_own_trouble_counts_against_it() {
        for trouble in [
            UpstreamError::Timeout,
            UpstreamError::NotConnected,
            UpstreamError::Unreachable,
            UpstreamError::Status(429),
            UpstreamError::Status(500),
            UpstreamError::Status(503),
        ] {
            assert!(trouble.is_upstream_trouble(), "{trouble:?}");
        }
        for caused_by_the_request in [
            UpstreamError::Status(400),
            UpstreamError::Status(404),
            UpstreamError::Status(414),
            UpstreamError::Status(302),
            UpstreamError::UnreadableBody,
            UpstreamError::InvalidToken,
            UpstreamError::UnrecognisedAnswer {
                status: 200,
                length: 4,
                prefix: "Busy".into(),
            },
        ] {
            assert!(
                !caused_by_the_request.is_upstream_trouble(),
                "{caused_by_the_request:?}"
            );
        }
    }

    #[test]
    fn the_prefix_is_short_and_plain() {
        assert_eq!(sanitised_prefix(b""), "");
        assert_eq!(sanitised_prefix(b"Busy"), "Busy");
        assert_eq!(
            sanitised_prefix(b"<!DOCTYPE html><html><body>secret"),
            "<!DOCTYPE html><"
        );
        assert_eq!(sanitised_prefix("\"x\"\r\n\u{202e}é".as_bytes()), "?x?????");
        assert_eq!(sanitised_prefix(&[0xff, b'a']), "?a");
    }
}
