//! What forwarded headers say about the client, whatever the format, and the URL-encoded PEM
//! that ALB and Envoy both use.

use percent_encoding::percent_decode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::ProxyRefusal;

/// The most certificates accepted in one forwarded chain, leaf included.
pub(super) const MAX_CHAIN: usize = 8;

/// What a set of forwarded headers says about the client.
#[derive(Debug)]
pub(super) enum Forwarded {
    /// A chain, leaf first, that the service must verify.
    Chain(Vec<CertificateDer<'static>>),
    /// A leaf whose chain the proxy verified (ALB verify mode); its hex serial, when sent.
    VerifiedLeaf {
        leaf: CertificateDer<'static>,
        serial: Option<Vec<u8>>,
    },
    /// Names without a certificate (XFCC `URI`/`DNS` only).
    Names(Names),
}

/// The names an XFCC element states without a certificate to prove them.
#[derive(Debug, Default)]
pub(super) struct Names {
    pub(super) uris: Vec<String>,
    pub(super) dns: Vec<String>,
    pub(super) subject: String,
    pub(super) hash: Option<[u8; 32]>,
}

/// Decodes URL-encoded PEM holding one or more certificates, in order.
pub(super) fn pem_chain(url_encoded: &[u8]) -> Result<Vec<CertificateDer<'static>>, ProxyRefusal> {
    // ALB and Envoy keep `+`, `=` and `/` literal, so `+` is never read as a space.
    let pem: Vec<u8> = percent_decode(url_encoded).collect();
    let mut chain = Vec::new();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let Ok(cert) = cert else {
            return Err(ProxyRefusal::Malformed("PEM certificate cannot be decoded"));
        };
        if chain.len() == MAX_CHAIN {
            return Err(ProxyRefusal::Malformed("certificate chain too long"));
        }
        chain.push(cert);
    }
    if chain.is_empty() {
        return Err(ProxyRefusal::Malformed("no PEM certificate in header"));
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_certificates_is_malformed() {
        assert!(pem_chain(b"").is_err());
        assert!(pem_chain(b"-----BEGIN%20CERTIFICATE-----%0Anot base64%0A").is_err());
        assert!(
            pem_chain(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").is_err()
        );
    }
}
