use zt_actix::zero_trust;

#[zero_trust(okta, scope = "orders:read")]
async fn singular_scope() {}

#[zero_trust(auth0, audience = "api://x")]
async fn audience() {}

#[zero_trust(anonymous, reason = "probe", why = "probe")]
async fn anonymous_extra() {}

#[zero_trust(okta, type = "jwt")]
async fn keyword_key() {}

fn main() {}
