//! Client certificates forwarded by a TLS-terminating proxy, in each header format.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::net::IpAddr;
use std::time::Duration;

use rustls::pki_types::UnixTime;

use zt_core::verify::mtls::{
    ForwardedCertificates, ForwardedHeader, PeerIdentity, ProxyFormat, ProxyRefusal, TrustBundle,
};
use zt_core::Reason;
use zt_testkit::{ForwardedHeaders, IssuedCert, LogCapture, TestCa, DEFAULT_SPIFFE_ID};

const FORMATS: [ProxyFormat; 4] = [
    ProxyFormat::AlbVerify,
    ProxyFormat::AlbPassthrough,
    ProxyFormat::Xfcc,
    ProxyFormat::Rfc9440,
];

fn proxy_ip() -> IpAddr {
    "10.20.0.5".parse().unwrap()
}

fn client_ip() -> IpAddr {
    "198.51.100.23".parse().unwrap()
}

/// A bundle for `ca` with current CRLs from its root and intermediate, the latter revoking
/// `revoked`.
fn bundle(ca: &TestCa, revoked: &[&IssuedCert]) -> TrustBundle {
    let crl = revoked.iter().fold(ca.crl(), |crl, cert| crl.revoke(cert));
    TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(crl.sign().der())
}

fn forwarded(format: ProxyFormat, bundle: TrustBundle) -> ForwardedCertificates {
    ForwardedCertificates::builder(format)
        .trusted_proxy("10.20.0.0/16")
        .trusted_proxy("fd00::/8")
        .trust_bundle(bundle)
        .build()
        .unwrap()
}

fn headers(format: ProxyFormat, cert: &IssuedCert) -> ForwardedHeaders {
    match format {
        ProxyFormat::AlbVerify => ForwardedHeaders::alb_verify(cert),
        ProxyFormat::AlbPassthrough => ForwardedHeaders::alb_passthrough(cert),
        ProxyFormat::Xfcc => ForwardedHeaders::xfcc(cert),
        ProxyFormat::Rfc9440 => ForwardedHeaders::rfc9440(cert),
        other => panic!("no headers for {other:?}"),
    }
}

fn identify(
    fwd: &ForwardedCertificates,
    peer: IpAddr,
    headers: &ForwardedHeaders,
) -> Result<Option<PeerIdentity>, ProxyRefusal> {
    fwd.identify(peer, &|name| headers.get(name))
}

#[test]
fn valid_certificate_from_the_trusted_proxy_gives_its_identity() {
    let ca = TestCa::new();
    for format in FORMATS {
        let cert = ca.client().dns("billing.example.test").issue();
        let fwd = forwarded(format, bundle(&ca, &[]));

        let who = identify(&fwd, proxy_ip(), &headers(format, &cert))
            .unwrap()
            .unwrap_or_else(|| panic!("{format:?}: no identity"));

        assert_eq!(who.spiffe_id(), Some(DEFAULT_SPIFFE_ID), "{format:?}");
        assert_eq!(who.dns_names(), ["billing.example.test"], "{format:?}");
        assert_eq!(who, PeerIdentity::from_der(&cert.der()).unwrap());
    }
}

#[test]
fn trusted_ipv6_proxy_is_recognised() {
    let ca = TestCa::new();
    let fwd = forwarded(ProxyFormat::Xfcc, bundle(&ca, &[]));
    let sent = ForwardedHeaders::xfcc(&ca.client().issue());

    let who = identify(&fwd, "fd00::17".parse().unwrap(), &sent).unwrap();

    assert!(who.is_some());
}

#[test]
fn headers_from_a_peer_outside_the_proxy_networks_are_forged_and_warned_without_value() {
    let ca = TestCa::new();
    for format in FORMATS {
        let fwd = forwarded(format, bundle(&ca, &[]));
        let sent = headers(format, &ca.client().issue());
        let logs = LogCapture::install();

        let result = identify(&fwd, client_ip(), &sent);

        assert_eq!(result, Err(ProxyRefusal::Forged), "{format:?}");
        assert_eq!(result.unwrap_err().reason(), Reason::ForgedProxyHeader);
        let text = logs.text();
        assert!(text.contains("WARN"), "{format:?}: {text}");
        assert!(text.contains("zt::proxy"), "{format:?}: {text}");
        assert!(text.contains("198.51.100.23"), "{format:?}: {text}");
        for (_, value) in sent.iter() {
            let value = String::from_utf8_lossy(value);
            // Any long piece of a value would show a leak; the values hold no dots, so
            // check windows of them.
            for window in value.as_bytes().chunks(24) {
                logs.assert_free_of(&String::from_utf8_lossy(window));
            }
        }
    }
}

#[test]
fn forgery_warnings_are_rate_limited_and_count_the_quiet_ones() {
    let ca = TestCa::new();
    let fwd = forwarded(ProxyFormat::Xfcc, bundle(&ca, &[]));
    let sent = ForwardedHeaders::xfcc(&ca.client().issue());
    let now = UnixTime::now();
    let later = UnixTime::since_unix_epoch(Duration::from_secs(now.as_secs() + 11));
    let logs = LogCapture::install();

    for _ in 0..3 {
        let result = fwd.identify_at(client_ip(), &|n| sent.get(n), now);
        assert_eq!(result, Err(ProxyRefusal::Forged));
    }
    let result = fwd.identify_at(client_ip(), &|n| sent.get(n), later);

    assert_eq!(result, Err(ProxyRefusal::Forged));
    let text = logs.text();
    assert_eq!(text.matches("WARN").count(), 2, "{text}");
    assert_eq!(text.matches("DEBUG").count(), 2, "{text}");
    assert!(text.contains("earlier_refusals_not_warned=2"), "{text}");
}

#[test]
fn one_forged_header_among_several_is_enough_to_refuse() {
    let ca = TestCa::new();
    let fwd = forwarded(ProxyFormat::AlbVerify, bundle(&ca, &[]));
    let sent = ForwardedHeaders::new().set("x-amzn-mtls-clientcert-subject", "CN=admin");

    assert_eq!(
        identify(&fwd, client_ip(), &sent),
        Err(ProxyRefusal::Forged)
    );
}

#[test]
fn absent_headers_give_no_identity_from_anyone() {
    let ca = TestCa::new();
    for format in FORMATS {
        let fwd = forwarded(format, bundle(&ca, &[]));
        let unrelated = ForwardedHeaders::new().set("authorization", "Bearer abc");
        let logs = LogCapture::install();

        assert_eq!(identify(&fwd, proxy_ip(), &unrelated), Ok(None));
        assert_eq!(identify(&fwd, client_ip(), &unrelated), Ok(None));
        assert!(logs.text().is_empty());
    }
}

#[test]
fn chain_from_an_impostor_ca_is_refused() {
    let ca = TestCa::new();
    let impostor = ca.impostor();
    let forged = impostor.client().issue();
    for format in [
        ProxyFormat::AlbPassthrough,
        ProxyFormat::Xfcc,
        ProxyFormat::Rfc9440,
    ] {
        let fwd = forwarded(format, bundle(&ca, &[]));

        let result = identify(&fwd, proxy_ip(), &headers(format, &forged));

        assert_eq!(result, Err(ProxyRefusal::UntrustedChain), "{format:?}");
        assert_eq!(result.unwrap_err().reason(), Reason::UntrustedCertificate);
    }
}

#[test]
fn alb_verify_rechecking_the_chain_refuses_an_impostor_leaf() {
    let ca = TestCa::new();
    let forged = ca.impostor().client().issue();
    let genuine = ca.client().issue();
    let fwd = ForwardedCertificates::builder(ProxyFormat::AlbVerify)
        .trusted_proxy("10.20.0.0/16")
        .trust_bundle(bundle(&ca, &[]))
        .intermediate(ca.intermediate_der())
        .recheck_chain(true)
        .build()
        .unwrap();

    let refused = identify(&fwd, proxy_ip(), &ForwardedHeaders::alb_verify(&forged));
    let accepted = identify(&fwd, proxy_ip(), &ForwardedHeaders::alb_verify(&genuine));

    assert_eq!(refused, Err(ProxyRefusal::UntrustedChain));
    assert!(accepted.unwrap().is_some());
}

#[test]
fn alb_verify_without_recheck_trusts_the_balancer_for_the_chain() {
    // Documented behaviour: the balancer verified the chain, so a leaf whose issuer merely
    // has the trusted name passes the leaf checks. This test pins that limitation.
    let ca = TestCa::new();
    let forged = ca.impostor().client().issue();
    let fwd = forwarded(ProxyFormat::AlbVerify, bundle(&ca, &[]));

    let result = identify(&fwd, proxy_ip(), &ForwardedHeaders::alb_verify(&forged));

    assert!(result.unwrap().is_some());
}

#[test]
fn leaf_from_an_unrelated_ca_has_no_crl_in_alb_verify_mode() {
    let ca = TestCa::new();
    let other = TestCa::named("Other Root", "Other Intermediate")
        .client()
        .issue();
    let fwd = forwarded(ProxyFormat::AlbVerify, bundle(&ca, &[]));

    let result = identify(&fwd, proxy_ip(), &ForwardedHeaders::alb_verify(&other));

    assert_eq!(result, Err(ProxyRefusal::RevocationUnknown));
}

#[test]
fn revoked_certificate_is_refused() {
    let ca = TestCa::new();
    for format in FORMATS {
        let revoked = ca.client().issue();
        let fwd = forwarded(format, bundle(&ca, &[&revoked]));

        let result = identify(&fwd, proxy_ip(), &headers(format, &revoked));

        assert_eq!(result, Err(ProxyRefusal::Revoked), "{format:?}");
        assert_eq!(result.unwrap_err().reason(), Reason::CertificateRevoked);
    }
}

#[test]
fn revocation_applies_after_a_reload() {
    let ca = TestCa::new();
    for format in FORMATS {
        let cert = ca.client().issue();
        let sent = headers(format, &cert);
        let fwd = forwarded(format, bundle(&ca, &[]));
        assert!(identify(&fwd, proxy_ip(), &sent).unwrap().is_some());

        fwd.reload(&bundle(&ca, &[&cert])).unwrap();

        assert_eq!(
            identify(&fwd, proxy_ip(), &sent),
            Err(ProxyRefusal::Revoked),
            "{format:?}"
        );
        assert!(fwd.reload(&TrustBundle::new()).is_err());
        assert_eq!(
            identify(&fwd, proxy_ip(), &sent),
            Err(ProxyRefusal::Revoked)
        );
    }
}

#[test]
fn expired_crl_is_refused() {
    let ca = TestCa::new();
    let stale = TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(ca.crl().expired().sign().der());
    for format in FORMATS {
        let fwd = forwarded(format, stale.clone());

        let result = identify(&fwd, proxy_ip(), &headers(format, &ca.client().issue()));

        assert_eq!(
            result,
            Err(ProxyRefusal::RevocationListExpired),
            "{format:?}"
        );
    }
}

#[test]
fn missing_crl_for_a_ca_in_the_chain_is_refused() {
    let ca = TestCa::new();
    let root_crl_only = TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der());
    for format in FORMATS {
        let fwd = forwarded(format, root_crl_only.clone());

        let result = identify(&fwd, proxy_ip(), &headers(format, &ca.client().issue()));

        assert_eq!(result, Err(ProxyRefusal::RevocationUnknown), "{format:?}");
    }
}

#[test]
fn expired_and_not_yet_valid_certificates_are_refused() {
    let ca = TestCa::new();
    for format in FORMATS {
        let fwd = forwarded(format, bundle(&ca, &[]));
        let expired = headers(format, &ca.client().expired().issue());
        let early = headers(format, &ca.client().not_yet_valid().issue());

        let expired = identify(&fwd, proxy_ip(), &expired);
        let early = identify(&fwd, proxy_ip(), &early);

        assert_eq!(expired, Err(ProxyRefusal::Expired), "{format:?}");
        assert_eq!(expired.unwrap_err().reason(), Reason::Expired);
        assert_eq!(early, Err(ProxyRefusal::NotYetValid), "{format:?}");
    }
}

#[test]
fn certificate_without_client_auth_is_refused() {
    let ca = TestCa::new();
    for format in FORMATS {
        let fwd = forwarded(format, bundle(&ca, &[]));

        let result = identify(
            &fwd,
            proxy_ip(),
            &headers(format, &ca.client().without_client_auth().issue()),
        );

        assert_eq!(result, Err(ProxyRefusal::NoClientAuth), "{format:?}");
    }
}

#[test]
fn malformed_headers_are_refused() {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    let cases: Vec<(ProxyFormat, ForwardedHeaders)> = vec![
        (
            ProxyFormat::AlbVerify,
            ForwardedHeaders::alb_verify(&cert).set("x-amzn-mtls-clientcert-leaf", "garbage"),
        ),
        (
            ProxyFormat::AlbVerify,
            ForwardedHeaders::alb_verify(&cert).without("x-amzn-mtls-clientcert-leaf"),
        ),
        (
            ProxyFormat::AlbVerify,
            ForwardedHeaders::alb_verify(&cert).set("x-amzn-mtls-clientcert-serial-number", "0F"),
        ),
        (
            ProxyFormat::AlbVerify,
            ForwardedHeaders::alb_verify(&cert).set(
                "x-amzn-mtls-clientcert-leaf",
                zt_testkit::url_encode(&cert.chain_pem()),
            ),
        ),
        (
            ProxyFormat::AlbPassthrough,
            ForwardedHeaders::new().set("x-amzn-mtls-clientcert", "-----BEGIN%20CERTIFICATE"),
        ),
        (
            ProxyFormat::AlbPassthrough,
            ForwardedHeaders::new().set("x-amzn-mtls-clientcert", ""),
        ),
        (
            ProxyFormat::Xfcc,
            ForwardedHeaders::new().set("x-forwarded-client-cert", "Cert=\"unterminated"),
        ),
        (
            ProxyFormat::Xfcc,
            ForwardedHeaders::new().set("x-forwarded-client-cert", "By=spiffe://proxy"),
        ),
        (
            ProxyFormat::Rfc9440,
            ForwardedHeaders::rfc9440(&cert).set("client-cert", "AAEC"),
        ),
        (
            ProxyFormat::Rfc9440,
            ForwardedHeaders::rfc9440(&cert).set("client-cert", ":bm90IGEgY2VydA==:"),
        ),
        (
            ProxyFormat::Rfc9440,
            ForwardedHeaders::rfc9440(&cert).without("client-cert"),
        ),
    ];
    for (format, sent) in cases {
        let fwd = forwarded(format, bundle(&ca, &[]));

        let result = identify(&fwd, proxy_ip(), &sent);

        assert!(
            matches!(result, Err(ProxyRefusal::Malformed(_))),
            "{format:?} {sent:?}: {result:?}"
        );
        assert_eq!(result.unwrap_err().reason(), Reason::MalformedProxyHeader);
    }
}

#[test]
fn oversized_headers_are_refused() {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    let fwd = ForwardedCertificates::builder(ProxyFormat::AlbPassthrough)
        .trusted_proxy("10.20.0.0/16")
        .trust_bundle(bundle(&ca, &[]))
        .max_header_bytes(1024)
        .build()
        .unwrap();

    let result = identify(&fwd, proxy_ip(), &ForwardedHeaders::alb_passthrough(&cert));

    assert_eq!(result, Err(ProxyRefusal::TooLarge));
}

#[test]
fn xfcc_reads_the_element_appended_by_the_nearest_proxy() {
    let ca = TestCa::new();
    let genuine = ca.client().issue();
    let forged = ca
        .impostor()
        .client()
        .spiffe("spiffe://example.test/admin")
        .issue();
    let fwd = forwarded(ProxyFormat::Xfcc, bundle(&ca, &[]));

    let behind_forged = ForwardedHeaders::xfcc_hops(&[&forged, &genuine]);
    let forged_last = ForwardedHeaders::xfcc_hops(&[&genuine, &forged]);

    let who = identify(&fwd, proxy_ip(), &behind_forged).unwrap().unwrap();
    assert_eq!(who.spiffe_id(), Some(DEFAULT_SPIFFE_ID));
    assert_eq!(
        identify(&fwd, proxy_ip(), &forged_last),
        Err(ProxyRefusal::UntrustedChain)
    );
}

#[test]
fn xfcc_with_a_hash_of_another_certificate_is_refused() {
    let ca = TestCa::new();
    let one = ForwardedHeaders::xfcc(&ca.client().issue());
    let other = ForwardedHeaders::xfcc(&ca.client().issue());
    let text = |h: &ForwardedHeaders| {
        String::from_utf8(h.get("x-forwarded-client-cert").unwrap().to_vec()).unwrap()
    };
    let hash_of = |value: &str| value.split(';').nth(1).unwrap().to_owned();
    let spliced = text(&one).replace(&hash_of(&text(&one)), &hash_of(&text(&other)));
    let fwd = forwarded(ProxyFormat::Xfcc, bundle(&ca, &[]));

    let result = identify(
        &fwd,
        proxy_ip(),
        &ForwardedHeaders::new().set("x-forwarded-client-cert", spliced),
    );

    assert!(
        matches!(result, Err(ProxyRefusal::Malformed(_))),
        "{result:?}"
    );
}

#[test]
fn xfcc_cert_alone_is_verified_with_configured_intermediates() {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    let full = ForwardedHeaders::xfcc(&cert);
    let value = String::from_utf8(full.get("x-forwarded-client-cert").unwrap().to_vec()).unwrap();
    let without_chain: Vec<&str> = value
        .split(';')
        .filter(|p| !p.starts_with("Chain="))
        .collect();
    let sent = ForwardedHeaders::new().set("x-forwarded-client-cert", without_chain.join(";"));
    let plain = forwarded(ProxyFormat::Xfcc, bundle(&ca, &[]));
    let with_intermediate = ForwardedCertificates::builder(ProxyFormat::Xfcc)
        .trusted_proxy("10.20.0.0/16")
        .trust_bundle(bundle(&ca, &[]))
        .intermediate(ca.intermediate_der())
        .build()
        .unwrap();

    assert_eq!(
        identify(&plain, proxy_ip(), &sent),
        Err(ProxyRefusal::UntrustedChain)
    );
    assert!(identify(&with_intermediate, proxy_ip(), &sent)
        .unwrap()
        .is_some());
}

#[test]
fn xfcc_uri_only_is_refused_unless_explicitly_trusted() {
    let ca = TestCa::new();
    let sent = ForwardedHeaders::xfcc_uri_only(DEFAULT_SPIFFE_ID);
    let strict = forwarded(ProxyFormat::Xfcc, bundle(&ca, &[]));
    let lenient = ForwardedCertificates::builder(ProxyFormat::Xfcc)
        .trusted_proxy("10.20.0.0/16")
        .trust_bundle(bundle(&ca, &[]))
        .insecure_trust_uri_only(true)
        .build()
        .unwrap();

    let refused = identify(&strict, proxy_ip(), &sent);
    let who = identify(&lenient, proxy_ip(), &sent).unwrap().unwrap();

    assert_eq!(refused, Err(ProxyRefusal::IdentityWithoutCertificate));
    assert_eq!(
        refused.unwrap_err().reason(),
        Reason::ProxyIdentityUnverified
    );
    assert_eq!(who.spiffe_id(), Some(DEFAULT_SPIFFE_ID));
    assert_eq!(who.serial(), "");
    // Even in that mode, a forged element from a client is refused.
    assert_eq!(
        identify(&lenient, client_ip(), &sent),
        Err(ProxyRefusal::Forged)
    );
}

#[test]
fn rfc9440_leaf_without_its_chain_needs_a_configured_intermediate() {
    let ca = TestCa::new();
    let sent = ForwardedHeaders::rfc9440(&ca.client().issue()).without("client-cert-chain");
    let fwd = forwarded(ProxyFormat::Rfc9440, bundle(&ca, &[]));

    assert_eq!(
        identify(&fwd, proxy_ip(), &sent),
        Err(ProxyRefusal::UntrustedChain)
    );
}

#[test]
fn renamed_alb_leaf_header_is_read() {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    let standard = ForwardedHeaders::alb_verify(&cert);
    let leaf = standard
        .get("x-amzn-mtls-clientcert-leaf")
        .unwrap()
        .to_vec();
    let sent = ForwardedHeaders::new().set("x-client-leaf", leaf);
    let fwd = ForwardedCertificates::builder(ProxyFormat::AlbVerify)
        .trusted_proxy("10.20.0.5")
        .trust_bundle(bundle(&ca, &[]))
        .header_name(ForwardedHeader::AlbLeaf, "X-Client-Leaf")
        .build()
        .unwrap();

    assert!(identify(&fwd, proxy_ip(), &sent).unwrap().is_some());
    assert_eq!(
        identify(&fwd, "10.20.0.6".parse().unwrap(), &sent),
        Err(ProxyRefusal::Forged)
    );
}
