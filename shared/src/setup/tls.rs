//! The one outbound HTTP set-up, for CM.com and the AWS SDK alike: reqwest over HTTP/1.1, with
//! rustls on ring trusting Mozilla's roots as compiled into the binary (`webpki-roots`: the
//! roots' names and keys, ready to use, so no certificate is parsed at start-up).
//!
//! Why not the SDK's own hyper client: it always compiles an HTTP/2 stack (h2, over half a
//! megabyte of code) that DynamoDB and SSM calls never use, and a second TLS set-up.
//! Why not the platform's store: reading it costs every cold start file I/O and parsing (on this
//! project's benchmark machine ~6 ms of an availability cold start: `SSL_CERT_DIR` makes
//! rustls-native-certs read a few hundred files), and `provided.al2023` has no store we need:
//! DynamoDB, SSM and CM.com all present certificates from public roots. Why ring: it is the
//! smaller of rustls's two providers (see docs/performance.md). A corporate proxy with its own
//! root would need that root added here.

use std::sync::Arc;
use std::time::Duration;

use rustls::{ClientConfig, RootCertStore};

use crate::setup::config::ConfigError;

/// The trusted roots, as rustls holds them.
pub fn root_store() -> RootCertStore {
    RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
}

/// The rustls configuration for reqwest: ring, TLS 1.2 and 1.3, the compiled-in roots.
///
/// rustls 0.23.48 deprecates ring's provider because it has no post-quantum key exchange
/// (X25519MLKEM768, which only the aws-lc-rs provider offers). We keep ring, on purpose, for now:
/// aws-lc-rs is the larger provider and needs a C toolchain to build (docs/performance.md), and
/// moving to it is a decision of its own, measured, not a side effect of a dependency update.
pub fn client_config() -> Result<ClientConfig, rustls::Error> {
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(root_store())
        .with_no_client_auth())
}

/// An HTTPS client on [`client_config`]: HTTP/1.1, no redirects followed, connections given up
/// after `connect_timeout`. The CM.com adapters and the AWS SDK (see [`crate::setup::aws`]) each get one.
pub fn http_client(connect_timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    let refused = |problem: String| ConfigError::Tls {
        client: "HTTP client",
        problem,
    };
    let tls = client_config().map_err(|e| refused(e.to_string()))?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .user_agent(concat!("cm-livechat-handover/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| refused(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roots_behind_aws_and_common_public_sites_are_trusted() {
        let roots = root_store();
        assert_eq!(roots.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        assert!(roots.len() > 100, "only {} roots", roots.len());
        // AWS endpoints chain to Amazon's roots (or Starfield's, cross-signed); the other two
        // sign much of the public web
        for name in [
            "Amazon Root CA 1",
            "Starfield Services Root Certificate Authority - G2",
            "ISRG Root X1",
            "DigiCert Global Root G2",
        ] {
            let present = roots.roots.iter().any(|anchor| {
                anchor
                    .subject
                    .as_ref()
                    .windows(name.len())
                    .any(|w| w == name.as_bytes())
            });
            assert!(present, "{name} is not a trusted root");
        }
    }

    #[test]
    fn the_client_accepts_the_compiled_in_roots() {
        assert_eq!(client_config().err().map(|e| e.to_string()), None);
        let client = http_client(Duration::from_millis(500)).map_err(|e| e.to_string());
        assert_eq!(client.err(), None);
    }
}
