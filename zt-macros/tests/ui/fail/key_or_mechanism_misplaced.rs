use zt_actix::zero_trust;

#[zero_trust(okta, scopes)]
async fn key_without_value() {}

#[zero_trust(okta = "corp")]
async fn mechanism_with_value() {}

#[zero_trust(okta(scopes = "orders:read"))]
async fn mechanism_with_list() {}

#[zero_trust(anonymous, reason("probe"))]
async fn key_with_list() {}

fn main() {}
