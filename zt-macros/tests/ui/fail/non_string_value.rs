use zt_actix::zero_trust;

const SCOPES: &str = "orders:read";

#[zero_trust(okta, scopes = 5)]
async fn number() {}

#[zero_trust(okta, scopes = SCOPES)]
async fn constant() {}

#[zero_trust(okta, scopes = ["orders:read", "orders:write"])]
async fn array() {}

#[zero_trust(auth0, any_scope = b"orders:read")]
async fn byte_string() {}

#[zero_trust(anonymous, reason = concat!("health", " probe"))]
async fn macro_call() {}

#[zero_trust(anonymous, reason = "probe"suffix)]
async fn suffixed() {}

fn main() {}
