//! Headers a TLS-terminating proxy would add for a client certificate, in each format a
//! service may read them: AWS ALB verify and passthrough modes, Envoy XFCC, RFC 9440.

use std::fmt;

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::IssuedCert;

/// What is left literal when a proxy URL-encodes PEM: letters, digits, `+`, `=`, `/` (which
/// ALB names as safe) and the unreserved `-`, `.`, `_`, `~`.
const PEM_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'+')
    .remove(b'=')
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The proxy identity written in the `By` field of XFCC elements.
pub const PROXY_SPIFFE_ID: &str = "spiffe://example.test/proxy";

/// Holds a set of request headers, lowercase names to raw values, as a proxy would forward
/// them.
///
/// Each constructor writes the standard header names of one format; [`set`](Self::set) and
/// [`without`](Self::without) change them to build broken or renamed variants.
///
/// # Examples
///
/// ```
/// use zt_testkit::{ForwardedHeaders, TestCa};
///
/// let cert = TestCa::new().client().issue();
/// let alb = ForwardedHeaders::alb_verify(&cert);
/// assert!(alb.get("x-amzn-mtls-clientcert-leaf").is_some());
///
/// let envoy = ForwardedHeaders::xfcc(&cert);
/// let value = std::str::from_utf8(envoy.get("x-forwarded-client-cert").unwrap()).unwrap();
/// assert!(value.starts_with("By=spiffe://example.test/proxy;Hash="));
/// ```
#[derive(Clone, Default)]
pub struct ForwardedHeaders {
    headers: Vec<(String, Vec<u8>)>,
}

impl ForwardedHeaders {
    /// Creates an empty header set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the headers of an ALB in mutual TLS verify mode: the leaf in URL-encoded PEM
    /// with its subject and issuer (RFC 2253), serial number (hex) and validity
    /// (`NotBefore=…;NotAfter=…`, ISO 8601).
    ///
    /// # Panics
    ///
    /// Panics if the certificate cannot be parsed, which a [`TestCa`](crate::TestCa)
    /// certificate always can.
    #[must_use]
    pub fn alb_verify(cert: &IssuedCert) -> Self {
        let der = cert.der();
        let (_, parsed) =
            X509Certificate::from_der(&der).expect("certificates from TestCa parse as X.509");
        let validity = parsed.validity();
        let iso = |t: x509_parser::time::ASN1Time| {
            let t = t.to_datetime();
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        };

        Self::new()
            .set("x-amzn-mtls-clientcert-serial-number", hex(cert.serial()))
            .set("x-amzn-mtls-clientcert-issuer", parsed.issuer().to_string())
            .set(
                "x-amzn-mtls-clientcert-subject",
                parsed.subject().to_string(),
            )
            .set(
                "x-amzn-mtls-clientcert-validity",
                format!(
                    "NotBefore={};NotAfter={}",
                    iso(validity.not_before),
                    iso(validity.not_after)
                ),
            )
            .set("x-amzn-mtls-clientcert-leaf", url_encode(&cert.pem()))
    }

    /// Creates the header of an ALB in mutual TLS passthrough mode: the whole chain, leaf
    /// first, in URL-encoded PEM.
    #[must_use]
    pub fn alb_passthrough(cert: &IssuedCert) -> Self {
        Self::new().set("x-amzn-mtls-clientcert", url_encode(&cert.chain_pem()))
    }

    /// Creates an Envoy `x-forwarded-client-cert` header with one element for `cert`:
    /// `By`, `Hash`, `Cert`, `Chain`, `Subject` and the first URI SAN as `URI`.
    #[must_use]
    pub fn xfcc(cert: &IssuedCert) -> Self {
        Self::xfcc_hops(&[cert])
    }

    /// Creates an `x-forwarded-client-cert` header with one element per hop, in order: the
    /// last one is the element appended by the proxy nearest to the service.
    #[must_use]
    pub fn xfcc_hops(hops: &[&IssuedCert]) -> Self {
        let elements: Vec<String> = hops.iter().map(|cert| xfcc_element(cert)).collect();
        Self::new().set("x-forwarded-client-cert", elements.join(","))
    }

    /// Creates an `x-forwarded-client-cert` header naming `uri` without any certificate, as
    /// Envoy sends when configured to forward the URI SAN only.
    #[must_use]
    pub fn xfcc_uri_only(uri: &str) -> Self {
        Self::new().set(
            "x-forwarded-client-cert",
            format!("By={PROXY_SPIFFE_ID};Subject=\"CN=billing\";URI={uri}"),
        )
    }

    /// Creates RFC 9440 headers: `client-cert` holding the leaf and `client-cert-chain` the
    /// certificates above it, each as a structured-field byte sequence.
    #[must_use]
    pub fn rfc9440(cert: &IssuedCert) -> Self {
        let chain = cert.chain();
        let byte_sequence = |der: &[u8]| format!(":{}:", STANDARD.encode(der));
        let rest: Vec<String> = chain[1..].iter().map(|c| byte_sequence(c)).collect();
        Self::new()
            .set("client-cert", byte_sequence(&chain[0]))
            .set("client-cert-chain", rest.join(", "))
    }

    /// Sets header `name` (stored lowercase) to `value`, replacing any earlier value.
    #[must_use]
    pub fn set(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// Removes header `name`.
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self
    }

    /// Returns the value of header `name` (lowercase), as a service's header lookup would.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Returns every header, in the order set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }
}

impl fmt::Debug for ForwardedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ForwardedHeaders")
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

fn xfcc_element(cert: &IssuedCert) -> String {
    let der = cert.der();
    let (_, parsed) =
        X509Certificate::from_der(&der).expect("certificates from TestCa parse as X.509");
    let uri = parsed
        .subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|san| {
            san.value.general_names.iter().find_map(|name| match name {
                x509_parser::extensions::GeneralName::URI(uri) => Some((*uri).to_owned()),
                _ => None,
            })
        });
    let subject = parsed
        .subject()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");

    let mut element = format!(
        "By={PROXY_SPIFFE_ID};Hash={};Cert=\"{}\";Chain=\"{}\";Subject=\"{subject}\"",
        hex(digest(&SHA256, &der).as_ref()),
        url_encode(&cert.pem()),
        url_encode(&cert.chain_pem()),
    );
    if let Some(uri) = uri {
        element.push_str(";URI=");
        element.push_str(&uri);
    }
    element
}

/// URL-encodes PEM text the way ALB and Envoy do.
#[must_use]
pub fn url_encode(pem: &str) -> String {
    utf8_percent_encode(pem, PEM_SAFE).to_string()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;

    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
