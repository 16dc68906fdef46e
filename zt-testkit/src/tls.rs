//! TLS clients for tests of services that take client certificates: rustls client
//! configurations, a blocking HTTPS/1.1 connection that keeps one connection open across
//! requests, and the PEM files a service reads.

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::aws_lc_rs;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::{IssuedCert, TestCa, TestCrl};

/// Builds a rustls client configuration that trusts `server_root` for the server's
/// certificate and, when given, presents `identity` (chain, end entity first, and key).
///
/// # Panics
///
/// Panics when the root or the client key cannot be used; a test kit fails loudly.
#[must_use]
pub fn client_config(
    server_root: CertificateDer<'static>,
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots
        .add(server_root)
        .expect("the server root is a parseable certificate");
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("the default provider supports the default versions")
        .with_root_certificates(roots);
    match identity {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .expect("the client key matches a supported algorithm"),
        None => builder.with_no_client_auth(),
    }
}

impl IssuedCert {
    /// Builds a client configuration presenting this certificate (with its intermediate)
    /// to a server whose certificate `server_ca` issued ([`TestCa::server`]).
    #[must_use]
    pub fn client_config(&self, server_ca: &TestCa) -> ClientConfig {
        client_config(server_ca.root_der(), Some((self.chain(), self.key_der())))
    }
}

impl TestCa {
    /// Builds a client configuration that trusts this CA's server certificates and presents
    /// no client certificate.
    #[must_use]
    pub fn client_config_without_certificate(&self) -> ClientConfig {
        client_config(self.root_der(), None)
    }

    /// Writes what a service needs to take client certificates from this CA into `dir`:
    /// `ca.pem` (the root), `crl.pem` (the root's and the intermediate's CRLs, revoking
    /// nothing), `server.pem` (a [`TestCa::server`] chain) and `server.key`.
    ///
    /// # Errors
    ///
    /// Returns the I/O error of a file that cannot be written.
    pub fn write_mtls_files(&self, dir: &Path) -> io::Result<MtlsFiles> {
        let files = MtlsFiles {
            ca: dir.join("ca.pem"),
            crl: dir.join("crl.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        };
        let server = self.server();
        std::fs::write(&files.ca, self.root_pem())?;
        files.replace_crls(&[self.root_crl().sign(), self.crl().sign()])?;
        std::fs::write(&files.cert, server.chain_pem())?;
        std::fs::write(&files.key, server.key_pem().as_bytes())?;
        Ok(files)
    }
}

/// Paths of the PEM files [`TestCa::write_mtls_files`] wrote.
#[derive(Clone, Debug)]
pub struct MtlsFiles {
    /// The trusted root CA certificate.
    pub ca: PathBuf,
    /// The CRLs, several PEM blocks in one file.
    pub crl: PathBuf,
    /// The server's certificate chain.
    pub cert: PathBuf,
    /// The server's private key (PKCS#8).
    pub key: PathBuf,
}

impl MtlsFiles {
    /// Replaces the CRL file at once (written beside it, then renamed over it), as a CRL
    /// distribution job would.
    ///
    /// # Errors
    ///
    /// Returns the I/O error of the write or the rename.
    pub fn replace_crls(&self, crls: &[TestCrl]) -> io::Result<()> {
        let pem: String = crls.iter().map(TestCrl::pem).collect();
        let staging = self.crl.with_extension("pem.new");
        std::fs::write(&staging, pem)?;
        std::fs::rename(&staging, &self.crl)
    }
}

/// Holds one HTTPS/1.1 connection open, so several requests travel on it (keep-alive).
///
/// Blocking, for tests: every read gives up after 10 s.
pub struct HttpsConnection {
    stream: StreamOwned<ClientConnection, TcpStream>,
}

impl HttpsConnection {
    /// Connects to `addr` as `localhost` and completes the TLS handshake.
    ///
    /// With TLS 1.3 a server that refuses the client certificate says so after the client's
    /// side of the handshake is done, so that refusal surfaces on the first
    /// [`get`](Self::get).
    ///
    /// # Errors
    ///
    /// Returns the I/O or TLS error that ended the connection.
    pub fn open(addr: SocketAddr, config: ClientConfig) -> io::Result<Self> {
        let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
        let tcp = TcpStream::connect(addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut tls = ClientConnection::new(Arc::new(config), name).map_err(io::Error::other)?;
        let mut tcp = tcp;
        while tls.is_handshaking() {
            tls.complete_io(&mut tcp)?;
        }
        Ok(Self {
            stream: StreamOwned::new(tls, tcp),
        })
    }

    /// Sends `GET path` on this connection and reads the response.
    ///
    /// # Errors
    ///
    /// Returns the I/O or TLS error that ended the connection, or `InvalidData` for a
    /// response without `Content-Length`.
    pub fn get(&mut self, path: &str) -> io::Result<HttpsResponse> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        self.stream.write_all(request.as_bytes())?;
        self.stream.flush()?;

        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if self.stream.read(&mut byte)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status line"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();

        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no content-length"))?;
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body)?;
        Ok(HttpsResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

impl std::fmt::Debug for HttpsConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsConnection").finish_non_exhaustive()
    }
}

/// One response read by [`HttpsConnection::get`].
#[derive(Clone, Debug)]
pub struct HttpsResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl HttpsResponse {
    /// Returns the first value of the header `name` (any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}
