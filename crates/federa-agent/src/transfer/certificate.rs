//! The transfer channel's certificates: a self-signed one for the source
//! agent, kept across its restarts and named to the target by its SHA-256, and the verifier with
//! which the target accepts exactly that certificate and no other.

use std::path::Path;
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
    /// The key and self-signed certificate kept in `dir`, made for `host`
    /// on the first start. Kept so that a restarted agent still holds the
    /// certificate its targets pinned and they resume their downloads; the
    /// key file is readable by this agent's user only.
    pub fn load_or_generate(dir: &Path, host: &str) -> anyhow::Result<ServingCertificate> {
        let (certificate_path, key_path) = (dir.join(CERTIFICATE_FILE), dir.join(KEY_FILE));
        let (der, key) = match (std::fs::read(&certificate_path), std::fs::read(&key_path)) {
            (Ok(der), Ok(key)) => (der, key),
            _ => {
                let generated = rcgen::generate_simple_self_signed(vec![host.to_string()])?;
                let der = generated.cert.der().to_vec();
                let key = generated.signing_key.serialize_der();
                write_private(&key_path, &key)?;
                write_private(&certificate_path, &der)?;
                (der, key)
            }
        };
        let sha256 = sha256_hex(&der);
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key));
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(der)], key)
            .map_err(|e| {
                anyhow::anyhow!(
                    "the serving key and certificate in {} do not load: {e}",
                    dir.display()
                )
            })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServingCertificate {
            config: Arc::new(config),
            sha256,
        })
    }
}

const CERTIFICATE_FILE: &str = "serving-certificate.der";
const KEY_FILE: &str = "serving-key.der";

/// Writes `bytes` whole (a temporary file renamed) with mode 0600.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let temporary = path.with_extension("tmp");
    // A file left by a crash keeps its mode when reopened; 0600 holds only
    // for a file this call creates.
    match std::fs::remove_file(&temporary) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_serving_certificate_is_kept_across_starts_with_its_key_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = ServingCertificate::load_or_generate(dir.path(), "127.0.0.1").unwrap();
        let again = ServingCertificate::load_or_generate(dir.path(), "127.0.0.1").unwrap();
        assert_eq!(first.sha256, again.sha256);
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        let elsewhere = tempfile::tempdir().unwrap();
        let other = ServingCertificate::load_or_generate(elsewhere.path(), "127.0.0.1").unwrap();
        assert_ne!(first.sha256, other.sha256);

        std::fs::write(dir.path().join(KEY_FILE), b"not a key").unwrap();
        let error = ServingCertificate::load_or_generate(dir.path(), "127.0.0.1")
            .err()
            .expect("a broken key is refused")
            .to_string();
        assert!(error.contains("do not load"), "{error}");
    }
}
