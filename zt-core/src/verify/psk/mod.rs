//! Requests signed with a pre-shared secret: HMAC-SHA256 over the method, path, query,
//! a timestamp and the body's digest.
//!
//! A client sends two headers:
//!
//! ```text
//! X-ZT-Timestamp: 1767225600
//! X-ZT-Signature: v1=<64 hex digits>[, v1=<64 hex digits>]
//! ```
//!
//! The signature is `hex(HMAC-SHA256(secret, canonical string))`, where the key is the
//! secret's bytes exactly as stored and the canonical string is described on
//! [`SignedParts`]. During a rotation a client may sign with several versions at once and
//! send every tag; one fitting tag is enough. Any shell can sign:
//!
//! ```sh
//! ts=$(date +%s)
//! body_sha=$(printf '%s' "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)
//! sig=$(printf 'ZT-HMAC-SHA256\n%s\n%s\n%s\n%s\n%s' POST /hooks/deploy "" "$ts" "$body_sha" \
//!       | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
//! curl -X POST --data-binary "$body" -H "X-ZT-Timestamp: $ts" \
//!      -H "X-ZT-Signature: v1=$sig" https://service.internal/hooks/deploy
//! ```
//!
//! Why these headers and not HTTP Message Signatures (RFC 9421): a shell script can build
//! this canonical string with `printf` and sign it with `openssl`, while RFC 9421 needs
//! structured-field serialization of a signature base that is easy to get subtly wrong
//! by hand. No key id is sent: each route names its secret, so the key is implied, and the
//! name is not something a client should have to repeat or could get wrong on purpose.
//!
//! # Security
//!
//! - Timestamps more than [`PskSettings::window`] (5 minutes) away from the server's clock
//!   are refused, each way; accepted signatures are remembered for twice the window, none
//!   forgotten early, so a captured request cannot be replayed to the same process. When
//!   [`PskSettings::replay_capacity`] signatures are held, new requests get 503 instead.
//! - Tags are compared in constant time; secrets shorter than 32 bytes are refused.
//! - Current and previous versions are accepted, pending only while a rotation is in
//!   progress; older versions are refused (see [`crate::secret`]).
//! - The plain bearer mode ([`PskSettings::insecure_accept_bearer`]) is off unless enabled
//!   per secret.
//!
//! # Limitations
//!
//! Headers other than the two above (`Host`, `Content-Type`) are not signed. Signatures are
//! HMAC-SHA256 only. A server cannot tell a changed body from a changed path or method: each
//! is reported as `bad_signature`.

mod canonical;
mod headers;
mod replay;
mod settings;
mod verifier;

pub use canonical::{body_digest, signature_header, SignedParts, Tag, ALGORITHM_LINE};
pub use headers::{SignedHeaders, MAX_SIGNATURES};
pub use settings::PskSettings;
pub use verifier::{PskVerifier, RequestParts};

/// The header carrying the signed timestamp, in unix seconds.
pub const TIMESTAMP_HEADER: &str = "x-zt-timestamp";

/// The header carrying the signatures, `v1=<hex>` items separated by commas.
pub const SIGNATURE_HEADER: &str = "x-zt-signature";

/// The scheme named in `WWW-Authenticate` challenges for signed requests.
pub const CHALLENGE_SCHEME: &str = "ZT-HMAC-SHA256";
