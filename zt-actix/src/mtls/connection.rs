//! The peer certificate of a TLS connection, captured once when the connection opens.

use std::any::Any;
use std::sync::Arc;

use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use rustls_pki_types::CertificateDer;
use zt_core::verify::mtls::{CertificateKey, MtlsError, PeerIdentity};

/// Records a connection's verified client certificate in its connection data; pass it to
/// `HttpServer::on_connect`.
///
/// It runs once per connection, after the handshake, and reads the end-entity certificate's
/// identity (and the issuer and serial of every certificate the client sent, for revocation)
/// once, so requests on a keep-alive connection do not parse the certificate again. Plain
/// TCP connections are left alone, and routes that need a client certificate refuse their
/// requests.
///
/// # Examples
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// use zt_actix::mtls::{capture_peer_certificate, MtlsSettings};
/// use zt_actix::ZeroTrust;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let zt = ZeroTrust::builder()
///     .mtls(MtlsSettings::from_files("ca.pem", "crl.pem", "server.pem", "server.key"))
///     .build()?;
/// let tls = zt.mtls_server_config()?;
/// HttpServer::new(move || App::new().app_data(zt.clone()))
///     .on_connect(capture_peer_certificate)
///     .bind_rustls_0_23(("127.0.0.1", 8443), tls)?
///     .run()
///     .await?;
/// # Ok(())
/// # }
/// ```
pub fn capture_peer_certificate(connection: &dyn Any, data: &mut Extensions) {
    let Some(tls) = connection.downcast_ref::<TlsStream<TcpStream>>() else {
        return;
    };
    let (_, session) = tls.get_ref();
    if let Some(chain) = session.peer_certificates() {
        data.insert(PeerCertificate::from_chain(chain));
    }
}

/// Holds what a connection's client certificate says, read once after the handshake.
///
/// Found in the connection data of TLS connections that [`capture_peer_certificate`] saw;
/// the rustls verifier had already accepted the chain.
#[derive(Clone, Debug)]
pub struct PeerCertificate(Arc<Captured>);

#[derive(Debug)]
struct Captured {
    identity: Result<PeerIdentity, MtlsError>,
    /// Issuer and serial of the certificates above the end entity that the client sent.
    intermediates: Vec<CertificateKey>,
}

impl PeerCertificate {
    /// Reads a chain as the client sent it: the end-entity certificate first.
    #[must_use]
    pub fn from_chain(chain: &[CertificateDer<'_>]) -> Self {
        let intermediates: Result<Vec<_>, _> = chain
            .iter()
            .skip(1)
            .map(|der| CertificateKey::from_der(der))
            .collect();
        // Every certificate the client sent is checked for revocation on each request, so
        // one that cannot be read makes the whole chain unusable rather than unchecked.
        let (identity, intermediates) = match (chain.first(), intermediates) {
            (Some(end_entity), Ok(intermediates)) => {
                (PeerIdentity::from_der(end_entity), intermediates)
            }
            _ => (Err(MtlsError::MalformedCertificate), Vec::new()),
        };
        Self(Arc::new(Captured {
            identity,
            intermediates,
        }))
    }

    /// Returns the end-entity certificate's identity, or why it could not be read.
    ///
    /// # Errors
    ///
    /// Returns the [`MtlsError`] met when parsing the certificate after the handshake.
    pub fn identity(&self) -> Result<&PeerIdentity, &MtlsError> {
        self.0.identity.as_ref()
    }

    /// Returns the issuer and serial of every certificate the client sent, end entity first;
    /// empty when the end entity could not be read.
    pub fn chain_keys(&self) -> impl Iterator<Item = &CertificateKey> {
        let end_entity = self
            .0
            .identity
            .as_ref()
            .ok()
            .map(PeerIdentity::certificate_key);
        end_entity.into_iter().chain(self.0.intermediates.iter())
    }
}
