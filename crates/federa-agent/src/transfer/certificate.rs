//! The transfer channel's certificates: a fresh self-signed one for the
//! source agent, named to the target by its SHA-256, and the verifier with
//! which the target accepts exactly that certificate and no other.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::digest::sha256_hex;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS configuration a source agent serves exports with, and the
/// fingerprint the targets are told to pin.
pub struct ServingCertificate {
    pub config: Arc<rustls::ServerConfig>,
    /// SHA-256 of the DER certificate, lowercase hex.
    pub sha256: String,
}

impl ServingCertificate {
    /// A new key and self-signed certificate for `host`; nothing of it is
    /// written to disk, so each start of the agent has its own.
    pub fn generate(host: &str) -> anyhow::Result<ServingCertificate> {
        let generated = rcgen::generate_simple_self_signed(vec![host.to_string()])?;
        let der: CertificateDer<'static> = generated.cert.der().clone();
        let sha256 = sha256_hex(&der);
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            generated.signing_key.serialize_der(),
        ));
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![der], key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServingCertificate {
            config: Arc::new(config),
            sha256,
        })
    }
}

/// Accepts the one certificate whose SHA-256 is pinned, whatever its name
/// or issuer, and still checks that the peer holds its key.
#[derive(Debug)]
pub struct PinnedCertificate {
    sha256: String,
    provider: Arc<CryptoProvider>,
    /// Set once a peer showed another certificate, so the caller can tell
    /// a refused certificate from a network failure.
    mismatched: Arc<AtomicBool>,
}

impl PinnedCertificate {
    /// A client configuration that trusts only the certificate with
    /// `sha256`, and the flag it raises when shown another.
    pub fn client_config(sha256: &str) -> anyhow::Result<(rustls::ClientConfig, Arc<AtomicBool>)> {
        let mismatched = Arc::new(AtomicBool::new(false));
        let verifier = PinnedCertificate {
            sha256: sha256.to_ascii_lowercase(),
            provider: provider(),
            mismatched: mismatched.clone(),
        };
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok((config, mismatched))
    }
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if sha256_hex(end_entity) == self.sha256 {
            Ok(ServerCertVerified::assertion())
        } else {
            self.mismatched.store(true, Ordering::SeqCst);
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
