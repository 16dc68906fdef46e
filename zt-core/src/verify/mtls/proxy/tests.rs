use zt_testkit::{ForwardedHeaders, TestCa};

use super::*;
use crate::ConfigError;

const PROXY: &str = "10.0.0.7";

fn bundle(ca: &TestCa) -> TrustBundle {
    TrustBundle::new()
        .root(ca.root_der())
        .crl(ca.root_crl().sign().der())
        .crl(ca.crl().sign().der())
}

fn forwarded(ca: &TestCa, format: ProxyFormat) -> ForwardedCertificates {
    ForwardedCertificates::builder(format)
        .trusted_proxy("10.0.0.0/24")
        .trust_bundle(bundle(ca))
        .build()
        .unwrap()
}

fn setting(error: &ConfigError) -> &str {
    match error {
        ConfigError::Missing { setting, .. } | ConfigError::Invalid { setting, .. } => setting,
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn no_proxy_network_is_refused_at_build_naming_the_setting() {
    let ca = TestCa::new();

    let error = ForwardedCertificates::builder(ProxyFormat::Xfcc)
        .trust_bundle(bundle(&ca))
        .build()
        .unwrap_err();

    assert_eq!(setting(&error), "mtls.proxy.trusted_proxies");
    assert!(error.to_string().contains("10.0.0.0/8"));
}

#[test]
fn bad_or_catch_all_networks_are_refused() {
    let ca = TestCa::new();
    for network in ["10.0.0.0/33", "proxy.internal", "0.0.0.0/0", "::/0", ""] {
        let error = ForwardedCertificates::builder(ProxyFormat::Rfc9440)
            .trusted_proxy(network)
            .trust_bundle(bundle(&ca))
            .build()
            .unwrap_err();
        assert_eq!(setting(&error), "mtls.proxy.trusted_proxies", "{network}");
    }
}

#[test]
fn missing_or_incomplete_bundle_is_refused() {
    let ca = TestCa::new();
    let no_bundle = ForwardedCertificates::builder(ProxyFormat::AlbVerify)
        .trusted_proxy(PROXY)
        .build()
        .unwrap_err();
    let no_crl = ForwardedCertificates::builder(ProxyFormat::AlbVerify)
        .trusted_proxy(PROXY)
        .trust_bundle(TrustBundle::new().root(ca.root_der()))
        .build()
        .unwrap_err();

    assert_eq!(setting(&no_bundle), "mtls.proxy.trust_bundle");
    assert_eq!(setting(&no_crl), "mtls.proxy.trust_bundle");
}

#[test]
fn header_renames_are_checked() {
    let ca = TestCa::new();
    let build = |header, name: &str| {
        ForwardedCertificates::builder(ProxyFormat::Rfc9440)
            .trusted_proxy(PROXY)
            .trust_bundle(bundle(&ca))
            .header_name(header, name)
            .build()
    };

    assert!(build(ForwardedHeader::ClientCert, "X-Client-Cert").is_ok());
    for (header, name) in [
        (ForwardedHeader::Xfcc, "x-forwarded-client-cert"),
        (ForwardedHeader::ClientCert, ""),
        (ForwardedHeader::ClientCert, "client cert"),
        (ForwardedHeader::ClientCert, "client-cert-chain"),
    ] {
        let error = build(header, name).unwrap_err();
        assert_eq!(setting(&error), "mtls.proxy.header_name", "{name}");
    }
}

#[test]
fn renamed_header_is_read_under_its_new_name_only() {
    let ca = TestCa::new();
    let fwd = ForwardedCertificates::builder(ProxyFormat::AlbPassthrough)
        .trusted_proxy(PROXY)
        .trust_bundle(bundle(&ca))
        .header_name(ForwardedHeader::AlbChain, "X-Client-Chain")
        .build()
        .unwrap();
    let standard = ForwardedHeaders::alb_passthrough(&ca.client().issue());
    let value = standard.get("x-amzn-mtls-clientcert").unwrap().to_vec();
    let renamed = ForwardedHeaders::new().set("x-client-chain", value);
    let ip = PROXY.parse().unwrap();

    assert!(fwd.identify(ip, &|n| standard.get(n)).unwrap().is_none());
    assert!(fwd.identify(ip, &|n| renamed.get(n)).unwrap().is_some());
}

#[test]
fn uri_only_trust_is_for_xfcc_only() {
    let ca = TestCa::new();

    let error = ForwardedCertificates::builder(ProxyFormat::AlbVerify)
        .trusted_proxy(PROXY)
        .trust_bundle(bundle(&ca))
        .insecure_trust_uri_only(true)
        .build()
        .unwrap_err();

    assert_eq!(setting(&error), "mtls.proxy.insecure_trust_uri_only");
}

#[test]
fn ipv4_mapped_peers_match_ipv4_networks() {
    let ca = TestCa::new();
    let fwd = forwarded(&ca, ProxyFormat::Xfcc);
    let headers = ForwardedHeaders::xfcc(&ca.client().issue());

    let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
    let outside: IpAddr = "::ffff:10.0.1.7".parse().unwrap();

    assert!(fwd.identify(mapped, &|n| headers.get(n)).unwrap().is_some());
    assert_eq!(
        fwd.identify(outside, &|n| headers.get(n)),
        Err(ProxyRefusal::Forged)
    );
}

#[test]
fn oversized_header_is_refused_before_parsing() {
    let ca = TestCa::new();
    let fwd = forwarded(&ca, ProxyFormat::Xfcc);
    let huge = ForwardedHeaders::new().set("x-forwarded-client-cert", vec![b'a'; 16 * 1024 + 1]);

    let result = fwd.identify(PROXY.parse().unwrap(), &|n| huge.get(n));

    assert_eq!(result, Err(ProxyRefusal::TooLarge));
}

#[test]
fn debug_names_headers_and_networks_only() {
    let ca = TestCa::new();
    let text = format!("{:?}", forwarded(&ca, ProxyFormat::AlbVerify));

    assert!(text.contains("x-amzn-mtls-clientcert-leaf"));
    assert!(text.contains("10.0.0.0/24"));
}

/// A small deterministic generator, so a failing input can be reproduced from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap()
    }

    fn bytes(&mut self, len: usize, alphabet: &[u8]) -> Vec<u8> {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
}

/// Random bytes, and valid header values truncated, spliced and with bytes replaced: every
/// parser must answer with a value, never panic.
#[test]
fn parsers_survive_random_truncated_and_garbled_input() {
    let ca = TestCa::new();
    let cert = ca.client().issue();
    let samples = [
        (ProxyFormat::AlbVerify, ForwardedHeaders::alb_verify(&cert)),
        (
            ProxyFormat::AlbPassthrough,
            ForwardedHeaders::alb_passthrough(&cert),
        ),
        (ProxyFormat::Xfcc, ForwardedHeaders::xfcc(&cert)),
        (ProxyFormat::Rfc9440, ForwardedHeaders::rfc9440(&cert)),
    ];
    let syntax = b"=;,:\"\\%-+/ \tABCabc019URIHashCertChainBy\x00\xff";
    let ip: IpAddr = PROXY.parse().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);

    for (format, valid) in &samples {
        let fwd = forwarded(&ca, *format);
        assert!(fwd.identify(ip, &|n| valid.get(n)).unwrap().is_some());

        for round in 0..1500 {
            let mut headers = valid.clone();
            let names: Vec<String> = valid.iter().map(|(n, _)| n.to_owned()).collect();
            for name in &names {
                let original = valid.get(name).unwrap();
                let value = match (round + rng.below(3)) % 5 {
                    0 => {
                        let len = rng.below(300);
                        rng.bytes(len, syntax)
                    }
                    1 => original[..rng.below(original.len() + 1)].to_vec(),
                    2 => {
                        let mut v = original.to_vec();
                        for _ in 0..=rng.below(4) {
                            let at = rng.below(v.len().max(1));
                            if let Some(b) = v.get_mut(at) {
                                *b = syntax[rng.below(syntax.len())];
                            }
                        }
                        v
                    }
                    3 => {
                        let cut = rng.below(original.len() + 1);
                        let mut v = original[cut..].to_vec();
                        v.extend_from_slice(&original[..cut]);
                        v
                    }
                    _ => {
                        let len = rng.below(2000);
                        (0..len).map(|_| rng.next().to_le_bytes()[0]).collect()
                    }
                };
                headers = headers.set(name, value);
            }
            // Any answer will do; reaching here without a panic is the property.
            let _ = fwd.identify(ip, &|n| headers.get(n));
        }
    }
}
