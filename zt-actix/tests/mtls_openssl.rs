//! Certificates made with the `openssl` command-line tool, as an operator would make them,
//! against the service: a client certificate with a SPIFFE URI SAN and `clientAuth` is
//! accepted; one without `clientAuth` is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on unexpected errors.

mod common;

use std::path::Path;
use std::process::Command;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zt_actix::mtls::MtlsSettings;
use zt_testkit::{HttpsConnection, MtlsFiles, TestCa};

use common::{refused_in_handshake, Service};

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command-line tool must be installed for this test");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Makes a CA, its CRL, and a client certificate with the given extended key usage.
fn openssl_ca(dir: &Path) {
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = local\n[local]\ndatabase = index.txt\ncrlnumber = crlnumber\n\
         default_md = sha256\ndefault_crl_days = 1\n",
    )
    .unwrap();
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=openssl test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "ca", "-gencrl", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-out",
            "crl.pem",
        ],
    );
}

fn openssl_client(dir: &Path, name: &str, usage: &str) {
    std::fs::write(
        dir.join(format!("{name}.ext")),
        format!(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage={usage}\nsubjectAltName=URI:spiffe://example.test/service/billing\n"
        ),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            "/CN=billing",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

fn client_config(dir: &Path, name: &str, server_ca: &TestCa) -> rustls::ClientConfig {
    let chain = CertificateDer::pem_file_iter(dir.join(format!("{name}.pem")))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join(format!("{name}.key"))).unwrap();
    zt_testkit::client_config(server_ca.root_der(), Some((chain, key)))
}

#[test]
fn openssl_client_certificates_are_accepted_with_client_auth_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    openssl_ca(path);
    openssl_client(path, "client", "clientAuth");
    openssl_client(path, "server_only", "serverAuth");
    // The service presents a server certificate of the test CA; clients trust that CA.
    let server_ca = TestCa::new();
    let server = server_ca.server();
    std::fs::write(path.join("server.pem"), server.chain_pem()).unwrap();
    std::fs::write(path.join("server.key"), server.key_pem().as_bytes()).unwrap();
    let files = MtlsFiles {
        ca: path.join("ca.pem"),
        crl: path.join("crl.pem"),
        cert: path.join("server.pem"),
        key: path.join("server.key"),
    };
    let settings = MtlsSettings::from_files(&files.ca, &files.crl, &files.cert, &files.key);
    let service = Service::start_with(settings, files, dir, server_ca.root_der());
    let path = service.files.ca.parent().unwrap().to_owned();

    let mut accepted =
        HttpsConnection::open(service.tls, client_config(&path, "client", &server_ca)).unwrap();
    let answer = accepted.get("/billing").unwrap();
    let server_only = client_config(&path, "server_only", &server_ca);

    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer
        .body
        .contains("spiffe://example.test/service/billing from CN=openssl test CA"));
    assert!(refused_in_handshake(service.tls, server_only));
    assert_eq!(service.runs(), 1);
}
