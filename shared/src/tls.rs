//! The one TLS configuration of both outbound clients (the AWS SDK's and reqwest's): rustls on
//! ring, trusting Mozilla's root certificates as compiled into the binary (`webpki-root-certs`).
//!
//! Why not the platform's store: reading it costs every cold start file I/O and parsing (on this
//! project's benchmark machine ~6 ms of an availability cold start: `SSL_CERT_DIR` makes
//! rustls-native-certs read a few hundred files), and `provided.al2023` has no store we need:
//! DynamoDB, SSM and CM.com all present certificates from public roots. Why ring: it is the
//! smaller of rustls's two providers (see README "Performance"). A corporate proxy with its own
//! root would need that root added here.

use std::sync::Arc;

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, tls::rustls_provider::CryptoMode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls::{ClientConfig, RootCertStore};

use crate::config::ConfigError;

/// The trusted roots, as rustls holds them.
pub fn root_store() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    roots
}

/// The rustls configuration for reqwest: ring, TLS 1.2 and 1.3, the compiled-in roots.
pub fn client_config() -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(root_store())
        .with_no_client_auth())
}

/// The AWS SDK's HTTP client: the SDK's own hyper client on rustls with ring, trusting the same
/// compiled-in roots and nothing from the file system. A refused TLS set-up stops start-up rather
/// than falling back to the SDK's defaults (the platform's store) unnoticed.
pub fn sdk_http_client() -> Result<SharedHttpClient, ConfigError> {
    let trust = webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().fold(
        TrustStore::empty().with_native_roots(false),
        |trust, der| trust.with_pem_certificate(pem(der)),
    );
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| ConfigError::Tls {
            client: "AWS SDK",
            problem: e.to_string(),
        })?;
    Ok(Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https())
}

/// One DER certificate as PEM, the form the SDK's trust store takes.
fn pem(der: &[u8]) -> Vec<u8> {
    let body = STANDARD.encode(der);
    let mut out = Vec::with_capacity(body.len() + body.len() / 64 + 64);
    out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(b"-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    #[test]
    fn every_compiled_in_root_is_a_trust_anchor() {
        let roots = root_store();
        assert_eq!(roots.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(roots.len() > 100, "only {} roots", roots.len());
    }

    #[test]
    fn both_clients_accept_the_compiled_in_roots() {
        assert_eq!(sdk_http_client().err().map(|e| e.to_string()), None);
        assert_eq!(client_config().err().map(|e| e.to_string()), None);
    }

    #[test]
    fn pem_round_trips_to_the_same_der() {
        for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
            let text = pem(der);
            let back: Vec<CertificateDer<'_>> = CertificateDer::pem_slice_iter(&text)
                .collect::<Result<_, _>>()
                .unwrap_or_default();
            assert_eq!(back.len(), 1);
            assert_eq!(back[0].as_ref(), der.as_ref());
            assert!(text.split(|b| *b == b'\n').all(|line| line.len() <= 64));
        }
    }
}
