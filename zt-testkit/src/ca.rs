//! A test certificate authority: a root, an intermediate, client and server certificates
//! (valid or broken in one named way) and revocation lists.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use rcgen::string::Ia5String;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use rustls_pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, PrivatePkcs8KeyDer,
};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// The SPIFFE id a client certificate carries unless the builder is told otherwise.
pub const DEFAULT_SPIFFE_ID: &str = "spiffe://example.test/service/billing";

/// The common name of the default test root.
const ROOT_NAME: &str = "zt-testkit Root CA";

/// The common name of the default test intermediate.
const INTERMEDIATE_NAME: &str = "zt-testkit Intermediate CA";

/// Issues certificates from a root and an intermediate CA, both made fresh in memory.
///
/// Client and server certificates are signed by the intermediate; trust the root. Two CAs made
/// with [`TestCa::new`] have the same subject names and different keys, which is exactly what
/// a rogue CA copying the real one's name looks like ([`TestCa::impostor`] says so by name);
/// [`TestCa::named`] makes an unrelated CA.
///
/// # Examples
///
/// ```
/// use zt_testkit::TestCa;
///
/// let ca = TestCa::new();
/// let client = ca.client().dns("billing.example.test").issue();
/// let revoked = ca.client().issue();
/// let crl = ca.crl().revoke(&revoked).sign();
/// let stale = ca.crl().expired().sign();
///
/// assert_eq!(client.chain().len(), 2);
/// assert!(client.pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// # let _ = (crl.der(), stale.pem(), ca.root_der());
/// ```
///
/// # Panics
///
/// Issuing panics only if the system random generator fails or a name given to a builder is
/// not ASCII; this is a test kit, and a panic is the clearest failure there.
///
/// # Security
///
/// For tests only: the private keys live in memory unprotected. `Debug` shows subject names
/// and serials, never key material.
pub struct TestCa {
    root: CertifiedIssuer<'static, KeyPair>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
    root_name: String,
    intermediate_name: String,
}

impl TestCa {
    /// Creates a root CA and an intermediate CA signed by it, valid from a day ago for a year.
    ///
    /// Their common names are `zt-testkit Root CA` and `zt-testkit Intermediate CA`.
    #[must_use]
    pub fn new() -> Self {
        Self::named(ROOT_NAME, INTERMEDIATE_NAME)
    }

    /// Creates a CA like [`TestCa::new`] whose root and intermediate have the given common
    /// names: an unrelated CA, for "wrong CA" tests.
    #[must_use]
    pub fn named(root_name: &str, intermediate_name: &str) -> Self {
        let now = OffsetDateTime::now_utc();
        let mut root_params = ca_params(root_name, now);
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let root = CertifiedIssuer::self_signed(root_params, new_key())
            .expect("fixed, valid root parameters sign with a fresh key");

        let mut intermediate_params = ca_params(intermediate_name, now);
        intermediate_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        let intermediate = CertifiedIssuer::signed_by(intermediate_params, new_key(), &root)
            .expect("fixed, valid intermediate parameters sign with a fresh key");

        Self {
            root,
            intermediate,
            root_name: root_name.to_owned(),
            intermediate_name: intermediate_name.to_owned(),
        }
    }

    /// Creates a rogue CA whose root and intermediate copy this CA's subject names.
    ///
    /// A verifier that matches issuers by name instead of by signature accepts its
    /// certificates.
    #[must_use]
    pub fn impostor(&self) -> Self {
        Self::named(&self.root_name, &self.intermediate_name)
    }

    /// Returns the root certificate, the one to trust, in DER.
    #[must_use]
    pub fn root_der(&self) -> CertificateDer<'static> {
        self.root.der().clone()
    }

    /// Returns the root certificate in PEM.
    #[must_use]
    pub fn root_pem(&self) -> String {
        self.root.pem()
    }

    /// Returns the intermediate certificate in DER.
    #[must_use]
    pub fn intermediate_der(&self) -> CertificateDer<'static> {
        self.intermediate.der().clone()
    }

    /// Returns the intermediate certificate in PEM.
    #[must_use]
    pub fn intermediate_pem(&self) -> String {
        self.intermediate.pem()
    }

    /// Starts a client certificate: valid now, `clientAuth` usage, the SPIFFE id
    /// [`DEFAULT_SPIFFE_ID`] as its only SAN, common name `billing`.
    pub fn client(&self) -> ClientCertBuilder<'_> {
        ClientCertBuilder {
            ca: self,
            common_name: "billing".to_owned(),
            uris: vec![DEFAULT_SPIFFE_ID.to_owned()],
            dns_names: Vec::new(),
            validity: Validity::Current,
            client_auth: true,
        }
    }

    /// Issues a server certificate for `localhost` and `127.0.0.1`, with `serverAuth` usage.
    #[must_use]
    pub fn server(&self) -> IssuedCert {
        let now = OffsetDateTime::now_utc();
        let mut params = leaf_params(
            "localhost",
            now - Duration::hours(1),
            now + Duration::days(1),
        );
        params.subject_alt_names = vec![
            SanType::DnsName(ia5("localhost")),
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign_leaf(&params)
    }

    /// Starts a CRL signed by the intermediate, the issuer of client certificates.
    pub fn crl(&self) -> CrlBuilder<'_> {
        CrlBuilder::new(&self.intermediate)
    }

    /// Starts a CRL signed by the root, which covers the intermediate.
    ///
    /// A verifier that checks the whole chain and refuses unknown revocation status needs one
    /// from each CA.
    pub fn root_crl(&self) -> CrlBuilder<'_> {
        CrlBuilder::new(&self.root)
    }

    fn sign_leaf(&self, params: &CertificateParams) -> IssuedCert {
        let key = new_key();
        let cert = params
            .signed_by(&key, &self.intermediate)
            .expect("leaf parameters built here sign with a fresh key");
        let serial = params
            .serial_number
            .as_ref()
            .map(SerialNumber::to_bytes)
            .unwrap_or_default();

        IssuedCert {
            chain: vec![cert.der().clone(), self.intermediate.der().clone()],
            key_der: Zeroizing::new(key.serialize_der()),
            key_pem: Zeroizing::new(key.serialize_pem()),
            serial,
        }
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa")
            .field("root", &self.root_name)
            .field("intermediate", &self.intermediate_name)
            .finish_non_exhaustive()
    }
}

/// When a certificate is valid.
#[derive(Clone, Copy, Debug)]
enum Validity {
    Current,
    Expired,
    NotYetValid,
}

/// Builds one client certificate; see [`TestCa::client`] for the defaults.
#[derive(Debug)]
#[must_use = "call `issue` to get the certificate"]
pub struct ClientCertBuilder<'a> {
    ca: &'a TestCa,
    common_name: String,
    uris: Vec<String>,
    dns_names: Vec<String>,
    validity: Validity,
    client_auth: bool,
}

impl ClientCertBuilder<'_> {
    /// Replaces the SPIFFE id with `id` (a URI SAN).
    pub fn spiffe(mut self, id: &str) -> Self {
        self.uris = vec![id.to_owned()];
        self
    }

    /// Adds another URI SAN beside the ones already set.
    pub fn also_uri(mut self, uri: &str) -> Self {
        self.uris.push(uri.to_owned());
        self
    }

    /// Adds a DNS SAN.
    pub fn dns(mut self, name: &str) -> Self {
        self.dns_names.push(name.to_owned());
        self
    }

    /// Removes every SAN, leaving only the subject's common name.
    pub fn without_san(mut self) -> Self {
        self.uris.clear();
        self.dns_names.clear();
        self
    }

    /// Sets the subject's common name (default `billing`).
    pub fn common_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.common_name);
        self
    }

    /// Makes the certificate valid from two days ago until one day ago.
    pub fn expired(mut self) -> Self {
        self.validity = Validity::Expired;
        self
    }

    /// Makes the certificate valid from tomorrow for a day.
    pub fn not_yet_valid(mut self) -> Self {
        self.validity = Validity::NotYetValid;
        self
    }

    /// Gives the certificate the `serverAuth` usage instead of `clientAuth`.
    pub fn without_client_auth(mut self) -> Self {
        self.client_auth = false;
        self
    }

    /// Signs the certificate with the intermediate CA.
    ///
    /// # Panics
    ///
    /// Panics if a SAN or the common name is not ASCII, or the random generator fails.
    #[must_use]
    pub fn issue(self) -> IssuedCert {
        let now = OffsetDateTime::now_utc();
        let (not_before, not_after) = match self.validity {
            Validity::Current => (now - Duration::hours(1), now + Duration::days(1)),
            Validity::Expired => (now - Duration::days(2), now - Duration::days(1)),
            Validity::NotYetValid => (now + Duration::days(1), now + Duration::days(2)),
        };
        let mut params = leaf_params(&self.common_name, not_before, not_after);

        let uris = self.uris.iter().map(|u| SanType::URI(ia5(u)));
        let dns = self.dns_names.iter().map(|d| SanType::DnsName(ia5(d)));
        params.subject_alt_names = uris.chain(dns).collect();
        params.extended_key_usages = if self.client_auth {
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        } else {
            vec![ExtendedKeyUsagePurpose::ServerAuth]
        };

        self.ca.sign_leaf(&params)
    }
}

/// A certificate with its chain and private key.
///
/// `Debug` shows the serial only.
pub struct IssuedCert {
    chain: Vec<CertificateDer<'static>>,
    key_der: Zeroizing<Vec<u8>>,
    key_pem: Zeroizing<String>,
    serial: Vec<u8>,
}

impl IssuedCert {
    /// Returns the certificate itself in DER.
    #[must_use]
    pub fn der(&self) -> CertificateDer<'static> {
        self.chain[0].clone()
    }

    /// Returns the certificate itself in PEM.
    #[must_use]
    pub fn pem(&self) -> String {
        pem_block("CERTIFICATE", &self.chain[0])
    }

    /// Returns the certificate followed by the intermediate, as a TLS peer sends them.
    #[must_use]
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain.clone()
    }

    /// Returns the chain in PEM, certificate first.
    #[must_use]
    pub fn chain_pem(&self) -> String {
        self.chain
            .iter()
            .map(|c| pem_block("CERTIFICATE", c))
            .collect()
    }

    /// Returns the private key as PKCS#8 DER.
    #[must_use]
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.to_vec()))
    }

    /// Returns the private key as PKCS#8 PEM.
    #[must_use]
    pub fn key_pem(&self) -> Zeroizing<String> {
        self.key_pem.clone()
    }

    /// Returns the serial number, big-endian, as written in the certificate.
    #[must_use]
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }
}

impl fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCert")
            .field("serial", &hex(&self.serial))
            .finish_non_exhaustive()
    }
}

/// Builds a certificate revocation list: current for an hour unless made expired.
#[must_use = "call `sign` to get the CRL"]
pub struct CrlBuilder<'a> {
    issuer: &'a CertifiedIssuer<'static, KeyPair>,
    revoked: Vec<Vec<u8>>,
    expired: bool,
    lifetime: Duration,
}

impl<'a> CrlBuilder<'a> {
    fn new(issuer: &'a CertifiedIssuer<'static, KeyPair>) -> Self {
        Self {
            issuer,
            revoked: Vec::new(),
            expired: false,
            lifetime: Duration::hours(1),
        }
    }

    /// Sets how long from now the CRL stays current (its next update); default one hour.
    pub fn valid_for(mut self, lifetime: std::time::Duration) -> Self {
        self.lifetime = Duration::try_from(lifetime).unwrap_or(Duration::hours(1));
        self
    }

    /// Lists `cert` as revoked (key compromise).
    pub fn revoke(self, cert: &IssuedCert) -> Self {
        self.revoke_serial(cert.serial())
    }

    /// Lists the serial number `serial` (big-endian) as revoked.
    pub fn revoke_serial(mut self, serial: &[u8]) -> Self {
        self.revoked.push(serial.to_vec());
        self
    }

    /// Makes the CRL's next update an hour ago, so a verifier enforcing it refuses the list.
    pub fn expired(mut self) -> Self {
        self.expired = true;
        self
    }

    /// Signs the CRL with the issuing CA.
    ///
    /// # Panics
    ///
    /// Panics only if the random generator fails.
    #[must_use]
    pub fn sign(self) -> TestCrl {
        let now = OffsetDateTime::now_utc();
        let (this_update, next_update) = if self.expired {
            (now - Duration::hours(2), now - Duration::hours(1))
        } else {
            (now - Duration::minutes(1), now + self.lifetime)
        };
        let revoked_certs = self
            .revoked
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: SerialNumber::from_slice(serial),
                revocation_time: now - Duration::minutes(1),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect();
        let params = CertificateRevocationListParams {
            this_update,
            next_update,
            crl_number: SerialNumber::from_slice(&random_serial()),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };

        let crl = params
            .signed_by(self.issuer)
            .expect("CA issuers here carry the cRLSign usage and next update follows this update");
        TestCrl {
            der: crl.der().clone(),
        }
    }
}

impl fmt::Debug for CrlBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let revoked: Vec<String> = self.revoked.iter().map(|s| hex(s)).collect();
        f.debug_struct("CrlBuilder")
            .field("revoked", &revoked)
            .field("expired", &self.expired)
            .finish_non_exhaustive()
    }
}

/// A signed certificate revocation list.
#[derive(Clone, Debug)]
pub struct TestCrl {
    der: CertificateRevocationListDer<'static>,
}

impl TestCrl {
    /// Returns the CRL in DER.
    #[must_use]
    pub fn der(&self) -> CertificateRevocationListDer<'static> {
        self.der.clone()
    }

    /// Returns the CRL in PEM.
    #[must_use]
    pub fn pem(&self) -> String {
        pem_block("X509 CRL", &self.der)
    }
}

fn ca_params(name: &str, now: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(name);
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(365);
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn leaf_params(
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(common_name);
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params
}

fn subject(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "zt-testkit");
    name.push(DnType::CommonName, common_name);
    name
}

fn new_key() -> KeyPair {
    KeyPair::generate().expect("the system random generator works")
}

/// Returns 16 random bytes whose first byte is in 1..=127, so the serial is positive and
/// encodes in exactly 16 bytes.
fn random_serial() -> Vec<u8> {
    let mut serial = vec![0u8; 16];
    SystemRandom::new()
        .fill(&mut serial)
        .expect("the system random generator works");
    serial[0] = (serial[0] & 0x7f).max(1);
    serial
}

fn ia5(value: &str) -> Ia5String {
    Ia5String::try_from(value).expect("SAN values given to the test CA are ASCII")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pem_block(label: &str, der: &[u8]) -> String {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impostor_copies_the_subject_names_but_not_the_keys() {
        let ca = TestCa::new();
        let rogue = ca.impostor();

        assert_eq!(format!("{ca:?}"), format!("{rogue:?}"));
        assert_ne!(ca.root_der(), rogue.root_der());
        assert_ne!(ca.intermediate_der(), rogue.intermediate_der());
    }

    #[test]
    fn debug_never_shows_key_material() {
        let ca = TestCa::new();
        let cert = ca.client().issue();
        let key_pem = cert.key_pem();
        let body = key_pem.lines().nth(1).unwrap_or_default();

        let shown = format!("{ca:?} {cert:?}");
        assert!(!shown.contains(body));
        assert!(!shown.contains("PRIVATE"));
    }

    #[test]
    fn pem_outputs_have_their_labels() {
        let ca = TestCa::new();
        let cert = ca.client().issue();

        assert!(cert.chain_pem().matches("BEGIN CERTIFICATE").count() == 2);
        assert!(cert.key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(ca
            .crl()
            .sign()
            .pem()
            .starts_with("-----BEGIN X509 CRL-----"));
        assert!(ca.root_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    }

    #[test]
    fn serials_are_distinct_and_positive() {
        let ca = TestCa::new();
        let (a, b) = (ca.client().issue(), ca.client().issue());

        assert_ne!(a.serial(), b.serial());
        assert!(a.serial()[0] > 0 && a.serial()[0] < 0x80);
    }
}
