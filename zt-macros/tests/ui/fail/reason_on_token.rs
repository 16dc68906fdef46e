use zt_actix::zero_trust;

#[zero_trust(okta, reason = "internal tool")]
async fn okta_with_reason() {}

#[zero_trust(auth0, scopes = "orders:read", reason = "customers")]
async fn auth0_with_reason() {}

fn main() {}
