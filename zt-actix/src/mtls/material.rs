//! Reading the PEM material from files or secrets, and turning it into a trust bundle and a
//! server certificate.

use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::path::Path;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls::InconsistentKeys;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use zeroize::Zeroizing;
use zt_core::verify::mtls::{RevocationIndex, TrustBundle};
use zt_core::{ConfigError, Secret};

use super::settings::MaterialSource;

/// The bytes of every piece of material, as read, with the setting each came from.
pub(crate) struct RawMaterial {
    ca: Piece,
    crls: Vec<Piece>,
    /// The server's certificate chain and key, when it terminates TLS.
    server: Option<(Piece, Piece)>,
}

struct Piece {
    setting: String,
    bytes: Zeroizing<Vec<u8>>,
}

/// The parsed material, ready to install.
pub(crate) struct Material {
    pub(crate) bundle: TrustBundle,
    pub(crate) server: Option<CertifiedKey>,
}

impl MaterialSource {
    /// Reads every piece; nothing is parsed yet.
    pub(crate) fn read(&self) -> Result<RawMaterial, ConfigError> {
        match self {
            Self::Files { ca, crls, server } => Ok(RawMaterial {
                ca: file("mtls CA file", ca)?,
                crls: crls
                    .iter()
                    .map(|p| file("mtls CRL file", p))
                    .collect::<Result<_, _>>()?,
                server: match server {
                    Some((cert, key)) => Some((
                        file("mtls server certificate file", cert)?,
                        file("mtls server key file", key)?,
                    )),
                    None => None,
                },
            }),
            Self::Secrets {
                ca,
                crls,
                cert,
                key,
            } => Ok(RawMaterial {
                ca: secret("mtls CA secret", ca)?,
                crls: vec![secret("mtls CRL secret", crls)?],
                server: Some((
                    secret("mtls server certificate secret", cert)?,
                    secret("mtls server key secret", key)?,
                )),
            }),
        }
    }
}

fn file(what: &str, path: &Path) -> Result<Piece, ConfigError> {
    let setting = format!("{what} `{}`", path.display());
    match std::fs::read(path) {
        Ok(bytes) => Ok(Piece {
            setting,
            bytes: Zeroizing::new(bytes),
        }),
        Err(e) => Err(invalid(setting, format!("cannot be read ({e})"))),
    }
}

fn secret(what: &str, secret: &Secret) -> Result<Piece, ConfigError> {
    let setting = format!("{what} `{}`", secret.name());
    match secret.current() {
        Ok(version) => Ok(Piece {
            setting,
            bytes: Zeroizing::new(version.value().expose_bytes().to_vec()),
        }),
        Err(e) => Err(invalid(
            setting,
            format!("has no usable value ({e}); load the secret store before building"),
        )),
    }
}

fn invalid(setting: String, problem: String) -> ConfigError {
    ConfigError::Invalid { setting, problem }
}

impl RawMaterial {
    /// Returns a digest of every byte, to notice a change without keeping the key around.
    pub(crate) fn digest(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        for piece in self.pieces() {
            piece.bytes.hash(&mut hasher);
        }
        hasher.finish()
    }

    fn pieces(&self) -> impl Iterator<Item = &Piece> {
        let server = self.server.iter().flat_map(|(cert, key)| [cert, key]);
        std::iter::once(&self.ca)
            .chain(server)
            .chain(self.crls.iter())
    }

    /// Parses the material; the bundle's verifier itself is built by the caller.
    pub(crate) fn parse(&self, provider: &CryptoProvider) -> Result<Material, ConfigError> {
        let roots = certificates(&self.ca)?;
        let mut bundle = roots
            .into_iter()
            .fold(TrustBundle::new(), TrustBundle::root);
        for piece in &self.crls {
            bundle = crls(piece)?.into_iter().fold(bundle, TrustBundle::crl);
        }

        let server = self
            .server
            .as_ref()
            .map(|(cert, key)| server_certificate(cert, key, provider))
            .transpose()?;
        Ok(Material { bundle, server })
    }
}

/// Parses the server's certificate chain and private key, and checks they belong together.
fn server_certificate(
    cert: &Piece,
    key: &Piece,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, ConfigError> {
    let chain = certificates(cert)?;
    let key_der = PrivateKeyDer::from_pem_slice(&key.bytes).map_err(|_| {
        invalid(
            key.setting.clone(),
            "holds no PEM private key (PKCS#8, PKCS#1 or SEC1)".to_owned(),
        )
    })?;
    let signing_key = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|_| {
            invalid(
                key.setting.clone(),
                "holds a private key of a kind or algorithm that cannot be used".to_owned(),
            )
        })?;
    let server = CertifiedKey::new(chain, signing_key);
    match server.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
        Err(e) => {
            return Err(invalid(
                cert.setting.clone(),
                format!("does not match the server key ({e}); check that they belong together"),
            ));
        }
    }
    Ok(server)
}

fn certificates(piece: &Piece) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = CertificateDer::pem_slice_iter(&piece.bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(piece.setting.clone(), format!("is not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(invalid(
            piece.setting.clone(),
            "holds no `BEGIN CERTIFICATE` block".to_owned(),
        ));
    }
    Ok(certs)
}

fn crls(piece: &Piece) -> Result<Vec<CertificateRevocationListDer<'static>>, ConfigError> {
    let crls = if piece.bytes.trim_ascii_start().starts_with(b"-----") {
        CertificateRevocationListDer::pem_slice_iter(&piece.bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(piece.setting.clone(), format!("is not valid PEM ({e})")))?
    } else if piece.bytes.is_empty() {
        Vec::new()
    } else {
        vec![CertificateRevocationListDer::from(piece.bytes.to_vec())]
    };
    if crls.is_empty() {
        return Err(invalid(
            piece.setting.clone(),
            "holds no CRL (`BEGIN X509 CRL` block or DER)".to_owned(),
        ));
    }
    if let Err(e) = RevocationIndex::new(&crls) {
        return Err(invalid(piece.setting.clone(), e.to_string()));
    }
    Ok(crls)
}
