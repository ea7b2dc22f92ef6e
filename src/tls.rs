//! TLS for the client's own HTTP client: rustls with the `ring` crypto
//! provider (or `aws-lc-rs` with the feature of that name), and the
//! system's certificate verifier (rustls-platform-verifier), as reqwest
//! would set it up. Configured here rather than by installing a
//! process-wide default provider, so a program that installs its own
//! provider, before or after building a client, is never in conflict with
//! wxa; one it installed first is used.
//!
//! `ring` builds from a small C/assembly core with the ordinary C compiler;
//! `aws-lc-rs` needs a larger C build (and CMake on some targets) and costs
//! about a minute more of a cold build, for FIPS support and speed that a
//! client of a JSON API rarely needs.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls_platform_verifier::Verifier;

/// The provider: a process default if the program installed one, else the
/// one this build selects.
fn provider() -> Arc<CryptoProvider> {
    if let Some(installed) = CryptoProvider::get_default() {
        return installed.clone();
    }
    #[cfg(feature = "aws-lc-rs")]
    return Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    #[cfg(not(feature = "aws-lc-rs"))]
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration of the client's HTTP client.
pub(crate) fn client_config() -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    let verifier = Verifier::new(provider.clone()).map_err(|e| format!("cannot load the system's certificate verifier: {e}"))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("no TLS version in common with the crypto provider: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // reqwest does not set ALPN on a configuration it is handed.
    config.alpn_protocols = alpn();
    Ok(config)
}

fn alpn() -> Vec<Vec<u8>> {
    let mut protocols = Vec::new();
    if cfg!(feature = "http2") {
        protocols.push(b"h2".to_vec());
    }
    protocols.push(b"http/1.1".to_vec());
    protocols
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configures_the_selected_provider_and_http_1_1() {
        let config = client_config().expect("a TLS configuration");
        assert!(config.alpn_protocols.contains(&b"http/1.1".to_vec()));
        assert_eq!(config.alpn_protocols.contains(&b"h2".to_vec()), cfg!(feature = "http2"));
        // reqwest accepts it: a configuration of another rustls version would
        // silently become an unknown backend and fail here.
        reqwest::Client::builder().tls_backend_preconfigured(config).build().expect("reqwest takes the configuration");
    }
}
