//! The header formats proxies use to forward a client certificate, and their parsers.
//!
//! Every parser takes untrusted bytes: it returns a typed refusal on any input it does not
//! understand and never panics.

use rustls::pki_types::CertificateDer;

use super::forwarded::{pem_chain, Forwarded, MAX_CHAIN};
use super::xfcc;
use super::ProxyRefusal;

/// Names the way a TLS-terminating proxy forwards the client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProxyFormat {
    /// AWS Application Load Balancer, mutual TLS in verify mode: the balancer checked the
    /// chain against its trust store and forwards the leaf (`x-amzn-mtls-clientcert-leaf`,
    /// URL-encoded PEM) with its subject, issuer, serial number and validity.
    AlbVerify,
    /// AWS Application Load Balancer, mutual TLS in passthrough mode: the balancer checked
    /// nothing and forwards the whole chain, leaf first (`x-amzn-mtls-clientcert`,
    /// URL-encoded PEM).
    AlbPassthrough,
    /// Envoy's `x-forwarded-client-cert`: `key=value` pairs separated by `;`, one element
    /// per proxy hop, elements separated by `,`; the certificate in `Cert` or `Chain`
    /// (URL-encoded PEM).
    Xfcc,
    /// RFC 9440: `client-cert` holds the leaf and `client-cert-chain` the certificates
    /// above it, as structured-field byte sequences (`:base64 DER:`).
    Rfc9440,
}

/// Names one header a [`ProxyFormat`] reads; each has a standard name that can be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForwardedHeader {
    /// ALB verify mode: the subject distinguished name (read only to detect forgeries).
    AlbSubject,
    /// ALB verify mode: the issuer distinguished name (read only to detect forgeries).
    AlbIssuer,
    /// ALB verify mode: the serial number in hex, checked against the leaf when present.
    AlbSerialNumber,
    /// ALB verify mode: the validity dates (the leaf's own dates are what is checked).
    AlbValidity,
    /// ALB verify mode: the leaf certificate, URL-encoded PEM.
    AlbLeaf,
    /// ALB passthrough mode: the client chain, leaf first, URL-encoded PEM.
    AlbChain,
    /// Envoy's forwarded client certificate header.
    Xfcc,
    /// RFC 9440 leaf certificate.
    ClientCert,
    /// RFC 9440 certificates above the leaf.
    ClientCertChain,
}

impl ForwardedHeader {
    /// Returns the standard (lowercase) name of the header.
    #[must_use]
    pub const fn default_name(self) -> &'static str {
        match self {
            Self::AlbSubject => "x-amzn-mtls-clientcert-subject",
            Self::AlbIssuer => "x-amzn-mtls-clientcert-issuer",
            Self::AlbSerialNumber => "x-amzn-mtls-clientcert-serial-number",
            Self::AlbValidity => "x-amzn-mtls-clientcert-validity",
            Self::AlbLeaf => "x-amzn-mtls-clientcert-leaf",
            Self::AlbChain => "x-amzn-mtls-clientcert",
            Self::Xfcc => "x-forwarded-client-cert",
            Self::ClientCert => "client-cert",
            Self::ClientCertChain => "client-cert-chain",
        }
    }
}

impl ProxyFormat {
    /// Returns the headers this format reads, in a fixed order.
    #[must_use]
    pub const fn headers(self) -> &'static [ForwardedHeader] {
        match self {
            Self::AlbVerify => &[
                ForwardedHeader::AlbLeaf,
                ForwardedHeader::AlbSubject,
                ForwardedHeader::AlbIssuer,
                ForwardedHeader::AlbSerialNumber,
                ForwardedHeader::AlbValidity,
            ],
            Self::AlbPassthrough => &[ForwardedHeader::AlbChain],
            Self::Xfcc => &[ForwardedHeader::Xfcc],
            Self::Rfc9440 => &[
                ForwardedHeader::ClientCert,
                ForwardedHeader::ClientCertChain,
            ],
        }
    }
}

/// Parses the headers of `format`; `value(header)` returns each one's raw bytes.
pub(super) fn parse<'a>(
    format: ProxyFormat,
    value: impl Fn(ForwardedHeader) -> Option<&'a [u8]>,
) -> Result<Forwarded, ProxyRefusal> {
    match format {
        ProxyFormat::AlbVerify => {
            let Some(leaf) = value(ForwardedHeader::AlbLeaf) else {
                return Err(ProxyRefusal::Malformed(
                    "ALB leaf certificate header missing",
                ));
            };
            let leaf = single(pem_chain(leaf)?)?;
            let serial = value(ForwardedHeader::AlbSerialNumber)
                .map(hex_serial)
                .transpose()?;
            Ok(Forwarded::VerifiedLeaf { leaf, serial })
        }
        ProxyFormat::AlbPassthrough => {
            let chain = value(ForwardedHeader::AlbChain).unwrap_or_default();
            Ok(Forwarded::Chain(pem_chain(chain)?))
        }
        ProxyFormat::Xfcc => xfcc::parse(value(ForwardedHeader::Xfcc).unwrap_or_default()),
        ProxyFormat::Rfc9440 => {
            let Some(leaf) = value(ForwardedHeader::ClientCert) else {
                return Err(ProxyRefusal::Malformed("client-cert header missing"));
            };
            let mut chain = vec![sf_byte_sequence(leaf)?];
            if let Some(rest) = value(ForwardedHeader::ClientCertChain) {
                chain.extend(sf_byte_sequences(rest)?);
            }
            if chain.len() > MAX_CHAIN {
                return Err(ProxyRefusal::Malformed("certificate chain too long"));
            }
            Ok(Forwarded::Chain(chain))
        }
    }
}

fn single(
    mut chain: Vec<CertificateDer<'static>>,
) -> Result<CertificateDer<'static>, ProxyRefusal> {
    match chain.pop() {
        Some(leaf) if chain.is_empty() => Ok(leaf),
        _ => Err(ProxyRefusal::Malformed(
            "ALB leaf header holds more than one certificate",
        )),
    }
}

/// Reads a serial number written in hex, with or without `:` between bytes, as the
/// significant bytes of the integer (leading zero bytes dropped).
fn hex_serial(text: &[u8]) -> Result<Vec<u8>, ProxyRefusal> {
    const BAD: ProxyRefusal = ProxyRefusal::Malformed("serial number is not hex");

    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| *b != b':')
        .map(|b| {
            char::from(b)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
        })
        .collect::<Option<_>>()
        .ok_or(BAD)?;
    if digits.is_empty() || digits.len() > 2 * 64 {
        return Err(BAD);
    }
    let odd = digits.len() % 2;
    let mut bytes = Vec::with_capacity(digits.len() / 2 + 1);
    if odd == 1 {
        bytes.push(digits[0]);
    }
    for pair in digits[odd..].chunks_exact(2) {
        bytes.push(pair[0] << 4 | pair[1]);
    }
    Ok(significant(&bytes).to_vec())
}

/// Drops leading zero bytes of a big-endian integer, keeping at least one byte.
pub(super) fn significant(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[start..]
}

fn sf_byte_sequence(value: &[u8]) -> Result<CertificateDer<'static>, ProxyRefusal> {
    let item: sfv::Item = sfv::Parser::new(value)
        .parse()
        .map_err(|_| ProxyRefusal::Malformed("client-cert is not a structured-field item"))?;
    match item.bare_item {
        sfv::BareItem::ByteSequence(der) => Ok(CertificateDer::from(der)),
        _ => Err(ProxyRefusal::Malformed(
            "client-cert is not a byte sequence",
        )),
    }
}

fn sf_byte_sequences(value: &[u8]) -> Result<Vec<CertificateDer<'static>>, ProxyRefusal> {
    let list: sfv::List = sfv::Parser::new(value)
        .parse()
        .map_err(|_| ProxyRefusal::Malformed("client-cert-chain is not a structured-field list"))?;
    if list.len() >= MAX_CHAIN {
        return Err(ProxyRefusal::Malformed("certificate chain too long"));
    }
    list.into_iter()
        .map(|entry| match entry {
            sfv::ListEntry::Item(sfv::Item {
                bare_item: sfv::BareItem::ByteSequence(der),
                ..
            }) => Ok(CertificateDer::from(der)),
            _ => Err(ProxyRefusal::Malformed(
                "client-cert-chain holds something other than byte sequences",
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_serials_are_read_with_or_without_colons_and_leading_zeros() {
        assert_eq!(hex_serial(b"0a1B").unwrap(), [0x0a, 0x1b]);
        assert_eq!(hex_serial(b"00:0a:1b").unwrap(), [0x0a, 0x1b]);
        assert_eq!(hex_serial(b"a1b").unwrap(), [0x0a, 0x1b]);
        assert_eq!(hex_serial(b"00").unwrap(), [0]);
        assert!(hex_serial(b"").is_err());
        assert!(hex_serial(b"0x1b").is_err());
        assert!(hex_serial("é1".as_bytes()).is_err());
    }

    #[test]
    fn rfc9440_values_must_be_byte_sequences() {
        assert!(sf_byte_sequence(b":AAEC:").is_ok());
        assert!(sf_byte_sequence(b"\"text\"").is_err());
        assert!(sf_byte_sequence(b":AAEC").is_err());
        assert_eq!(sf_byte_sequences(b":AAEC:, :AwQ=:").unwrap().len(), 2);
        assert!(sf_byte_sequences(b":AAEC:, token").is_err());
        assert!(sf_byte_sequences(b"(:AAEC:)").is_err());
    }
}
