//! Reading and altering compact JWS access tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

/// Decodes one part (0 header, 1 claims) of a compact JWS.
pub(crate) fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Replaces one character in the middle of a part with another base64url character.
pub(crate) fn flip_char_in_part(token: &str, index: usize) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let part = &mut parts[index];
    let middle = part.len() / 2;
    let current = part.as_bytes()[middle];
    let replacement = if current == b'A' { "B" } else { "A" };
    part.replace_range(middle..=middle, replacement);
    parts.join(".")
}

/// Re-encodes the claims with one claim changed, keeping the original header and signature.
pub(crate) fn with_claim(token: &str, name: &str, value: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = jwt_part(token, 1);
    claims[name] = Value::from(value);
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    parts.join(".")
}

/// Keeps the header and claims and drops the signature, leaving the trailing dot.
pub(crate) fn strip_signature(token: &str) -> String {
    let (signed, _signature) = token.rsplit_once('.').unwrap();
    format!("{signed}.")
}

/// Seconds since the Unix epoch, as in `iat` and `exp`.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
