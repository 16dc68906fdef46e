use zt_actix::zero_trust;

#[zero_trust(anonymous, reason = "health probe", scopes = "health:read")]
async fn with_scopes() {}

#[zero_trust(anonymous, any_scope = "health:read", reason = "health probe")]
async fn with_any_scope() {}

fn main() {}
