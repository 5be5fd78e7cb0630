//! Inbound authentication: CAIC cannot sign requests, so each callout carries a high-entropy
//! shared secret in `X-Callout-Token`. Several tokens are accepted at once, for rotation.

use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::rules::secret::Secret;
use crate::setup::config::{
    CALLOUT_TOKEN_PARAM, CALLOUT_TOKENS, ConfigError, Env, PRESENCE_CHECK_TOKEN_PARAM,
    PRESENCE_CHECK_TOKENS,
};
use crate::setup::refreshing::{Refreshing, refresh_interval};

pub const CALLOUT_TOKEN_HEADER: &str = "x-callout-token";

/// Shorter tokens are refused at start-up: they could be guessed.
pub const MIN_TOKEN_LEN: usize = 16;

/// The accepted callout tokens, kept only as SHA-256 digests so that every comparison is over
/// 32 bytes, in constant time, whatever the length of the presented or the accepted token.
pub struct CalloutTokens {
    digests: Vec<[u8; 32]>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenListError {
    #[error("holds no token")]
    Empty,
    #[error("token {position} is shorter than {MIN_TOKEN_LEN} characters")]
    TooShort { position: usize },
}

impl CalloutTokens {
    /// Parses a comma-separated list (`CALLOUT_TOKENS`); spaces around tokens are ignored.
    pub fn parse(list: &Secret) -> Result<Self, TokenListError> {
        let tokens: Vec<&str> = list
            .expose()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if tokens.is_empty() {
            return Err(TokenListError::Empty);
        }
        if let Some(position) = tokens.iter().position(|t| t.len() < MIN_TOKEN_LEN) {
            return Err(TokenListError::TooShort {
                position: position + 1,
            });
        }
        Ok(Self {
            digests: tokens.iter().map(|t| digest(t.as_bytes())).collect(),
        })
    }

    /// Whether `presented` is one of the accepted tokens. Every accepted digest is compared, so
    /// the time taken says nothing about which token (or how much of it) matched.
    pub fn accepts(&self, presented: &[u8]) -> bool {
        let presented = digest(presented);
        let matched = self.digests.iter().fold(Choice::from(0), |any, accepted| {
            any | accepted.ct_eq(&presented)
        });
        matched.into()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The callout tokens, from `CALLOUT_TOKENS` or the SSM parameter named by `CALLOUT_TOKEN_PARAM`:
/// the dialog's callouts send one in `X-Callout-Token`, and only there.
pub async fn callout_tokens(
    env: &Env,
    sdk: &aws_config::SdkConfig,
) -> Result<Refreshing<CalloutTokens>, ConfigError> {
    tokens(env, CALLOUT_TOKENS, CALLOUT_TOKEN_PARAM, sdk).await
}

/// The presence-check tokens, from `PRESENCE_CHECK_TOKENS` or the SSM parameter named by
/// `PRESENCE_CHECK_TOKEN_PARAM`; `None` when neither is set. CAIC's presence-check webhook cannot
/// send headers, so its token sits in the URL, where it leaks most easily (CAIC's webhook
/// settings, every proxy's log): such a token opens the presence check alone, never a dialog
/// callout.
pub async fn presence_check_tokens(
    env: &Env,
    sdk: &aws_config::SdkConfig,
) -> Result<Option<Refreshing<CalloutTokens>>, ConfigError> {
    if !env.either(PRESENCE_CHECK_TOKENS, PRESENCE_CHECK_TOKEN_PARAM) {
        return Ok(None);
    }
    tokens(env, PRESENCE_CHECK_TOKENS, PRESENCE_CHECK_TOKEN_PARAM, sdk)
        .await
        .map(Some)
}

async fn tokens(
    env: &Env,
    plain: &'static str,
    param: &'static str,
    sdk: &aws_config::SdkConfig,
) -> Result<Refreshing<CalloutTokens>, ConfigError> {
    Refreshing::load(env, plain, param, sdk, refresh_interval(env)?, |list| {
        CalloutTokens::parse(list).map_err(|e| e.to_string())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(list: &str) -> Result<CalloutTokens, TokenListError> {
        CalloutTokens::parse(&Secret::new(list.to_owned()))
    }

    #[test]
    fn accepts_each_listed_token_and_nothing_else() {
        let accepted = tokens(" old-token-0123456789 , new-token-0123456789,").ok();
        let accepts = |t: &str| accepted.as_ref().is_some_and(|a| a.accepts(t.as_bytes()));
        assert!(accepts("old-token-0123456789"));
        assert!(accepts("new-token-0123456789"));
        assert!(!accepts("new-token-012345678"));
        assert!(!accepts("new-token-01234567890"));
        assert!(!accepts(""));
        assert!(!accepts("old-token-0123456789,new-token-0123456789"));
    }

    /// The bound is [`MIN_TOKEN_LEN`] characters: a token that long is taken, one shorter refused.
    #[test]
    fn a_token_of_the_minimum_length_is_taken_and_a_shorter_one_refused() {
        let sixteen = "0123456789abcdef";
        assert_eq!(sixteen.len(), MIN_TOKEN_LEN);
        assert!(tokens(sixteen).is_ok_and(|t| t.accepts(sixteen.as_bytes())));
        assert!(matches!(
            tokens(&sixteen[1..]),
            Err(TokenListError::TooShort { position: 1 })
        ));
    }

    #[test]
    fn refuses_empty_and_short_lists() {
        assert!(matches!(tokens(" , "), Err(TokenListError::Empty)));
        assert!(matches!(
            tokens("long-enough-token-1,short"),
            Err(TokenListError::TooShort { position: 2 })
        ));
    }
}
