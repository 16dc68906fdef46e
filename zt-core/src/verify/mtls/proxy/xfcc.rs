//! Envoy's `x-forwarded-client-cert` header.
//!
//! The value is a comma-separated list of elements, one per proxy hop, each a `;`-separated
//! list of `key=value` pairs. A value holding `,`, `;` or `=` is double-quoted, with `\`
//! escaping the next character. Each proxy appends its own element, so only the last one was
//! written by the proxy this service trusts; the earlier ones came through it unchecked.

use aws_lc_rs::digest::{digest, SHA256};

use super::forwarded::{pem_chain, Forwarded, Names};
use super::ProxyRefusal;

/// The pairs of one element that this parser understands.
#[derive(Default)]
struct Element {
    hash: Option<Vec<u8>>,
    cert: Option<Vec<u8>>,
    chain: Option<Vec<u8>>,
    subject: Option<Vec<u8>>,
    uris: Vec<Vec<u8>>,
    dns: Vec<Vec<u8>>,
}

/// Parses the element appended by the last proxy.
pub(super) fn parse(value: &[u8]) -> Result<Forwarded, ProxyRefusal> {
    let elements = split_outside_quotes(value, b',')?;
    let Some(last) = elements.last() else {
        return Err(ProxyRefusal::Malformed("XFCC header is empty"));
    };
    let element = read_element(last)?;

    let hash = element.hash.as_deref().map(parse_hash).transpose()?;
    let chain = match (&element.cert, &element.chain) {
        (Some(cert), Some(chain)) => {
            let cert = pem_chain(cert)?;
            let chain = pem_chain(chain)?;
            if cert.len() != 1 || chain.first() != cert.first() {
                return Err(ProxyRefusal::Malformed(
                    "XFCC Cert is not the first of Chain",
                ));
            }
            Some(chain)
        }
        (Some(cert), None) => {
            let cert = pem_chain(cert)?;
            if cert.len() != 1 {
                return Err(ProxyRefusal::Malformed(
                    "XFCC Cert holds several certificates",
                ));
            }
            Some(cert)
        }
        (None, Some(chain)) => Some(pem_chain(chain)?),
        (None, None) => None,
    };

    if let Some(chain) = chain {
        if let (Some(hash), Some(leaf)) = (hash, chain.first()) {
            if digest(&SHA256, leaf).as_ref() != hash {
                return Err(ProxyRefusal::Malformed(
                    "XFCC Hash does not match the certificate",
                ));
            }
        }
        return Ok(Forwarded::Chain(chain));
    }

    if element.uris.is_empty() && element.dns.is_empty() {
        return Err(ProxyRefusal::Malformed(
            "XFCC element carries neither a certificate nor a name",
        ));
    }
    Ok(Forwarded::Names(Names {
        uris: element
            .uris
            .into_iter()
            .map(text)
            .collect::<Result<_, _>>()?,
        dns: element
            .dns
            .into_iter()
            .map(text)
            .collect::<Result<_, _>>()?,
        subject: element.subject.map(text).transpose()?.unwrap_or_default(),
        hash,
    }))
}

fn read_element(raw: &[u8]) -> Result<Element, ProxyRefusal> {
    let mut element = Element::default();
    for pair in split_outside_quotes(raw, b';')? {
        let Some(eq) = pair.iter().position(|b| *b == b'=') else {
            return Err(ProxyRefusal::Malformed("XFCC pair without `=`"));
        };
        let key = &pair[..eq];
        let value = unquote(&pair[eq + 1..])?;
        let slot = match key.to_ascii_lowercase().as_slice() {
            b"hash" => &mut element.hash,
            b"cert" => &mut element.cert,
            b"chain" => &mut element.chain,
            b"subject" => &mut element.subject,
            b"uri" => {
                element.uris.push(value);
                continue;
            }
            b"dns" => {
                element.dns.push(value);
                continue;
            }
            // `By` names the proxy's own certificate; other keys may be added by newer
            // proxies. Neither says anything about the client.
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(ProxyRefusal::Malformed("XFCC element repeats a key"));
        }
    }
    Ok(element)
}

/// Splits on `separator` outside double quotes, trimming spaces and tabs; refuses an
/// unterminated quote and empty parts.
fn split_outside_quotes(input: &[u8], separator: u8) -> Result<Vec<&[u8]>, ProxyRefusal> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, &b) in input.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if b == separator && !quoted {
            parts.push(trim(&input[start..i]));
            start = i + 1;
        }
    }
    if quoted || escaped {
        return Err(ProxyRefusal::Malformed(
            "XFCC value has an unterminated quote",
        ));
    }
    parts.push(trim(&input[start..]));
    if parts.iter().any(|p| p.is_empty()) {
        return Err(ProxyRefusal::Malformed("XFCC has an empty element or pair"));
    }
    Ok(parts)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// Removes the quotes around a value and its escapes; an unquoted value may not hold `"`.
fn unquote(value: &[u8]) -> Result<Vec<u8>, ProxyRefusal> {
    const BAD: ProxyRefusal = ProxyRefusal::Malformed("XFCC value is badly quoted");

    let Some(inner) = value
        .strip_prefix(b"\"")
        .and_then(|v| v.strip_suffix(b"\""))
    else {
        return if value.contains(&b'"') {
            Err(BAD)
        } else {
            Ok(value.to_vec())
        };
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut bytes = inner.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'\\' => out.push(*bytes.next().ok_or(BAD)?),
            b'"' => return Err(BAD),
            _ => out.push(b),
        }
    }
    Ok(out)
}

fn parse_hash(hex: &[u8]) -> Result<[u8; 32], ProxyRefusal> {
    const BAD: ProxyRefusal = ProxyRefusal::Malformed("XFCC Hash is not a SHA-256 in hex");

    if hex.len() != 64 {
        return Err(BAD);
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let digit = |b: u8| {
            char::from(b)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
        };
        *byte = (digit(pair[0]).ok_or(BAD)? << 4) | digit(pair[1]).ok_or(BAD)?;
    }
    Ok(out)
}

fn text(bytes: Vec<u8>) -> Result<String, ProxyRefusal> {
    String::from_utf8(bytes).map_err(|_| ProxyRefusal::Malformed("XFCC name is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(value: &str) -> Names {
        match parse(value.as_bytes()).unwrap() {
            Forwarded::Names(names) => names,
            other => panic!("expected names, got {other:?}"),
        }
    }

    #[test]
    fn the_last_element_is_read_and_quoted_separators_stay_inside_values() {
        let value = r#"By=spiffe://a;URI=spiffe://first,By=spiffe://b;Subject="CN=x, O=y; z";URI=spiffe://td/last;DNS=a.test;DNS=b.test"#;

        let n = names(value);

        assert_eq!(n.uris, ["spiffe://td/last"]);
        assert_eq!(n.dns, ["a.test", "b.test"]);
        assert_eq!(n.subject, "CN=x, O=y; z");
    }

    #[test]
    fn keys_are_case_insensitive_and_escapes_are_undone() {
        let n = names(r#"uri=spiffe://td/a;SUBJECT="CN=\"quoted\\\"""#);

        assert_eq!(n.uris, ["spiffe://td/a"]);
        assert_eq!(n.subject, r#"CN="quoted\""#);
    }

    #[test]
    fn broken_forms_are_malformed() {
        for bad in [
            "",
            ",",
            "URI=spiffe://a,",
            "URI",
            r#"Subject="open;URI=spiffe://a"#,
            r#"Subject=a"b;URI=spiffe://a"#,
            r#"Subject="a"b";URI=spiffe://a"#,
            r#"Subject="a\"#,
            "Hash=abc;URI=spiffe://a",
            "By=spiffe://proxy",
            "Subject=a;Subject=b;URI=spiffe://a",
            "Cert=%%%",
        ] {
            assert!(
                matches!(parse(bad.as_bytes()), Err(ProxyRefusal::Malformed(_))),
                "accepted {bad:?}"
            );
        }
    }
}
