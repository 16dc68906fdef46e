use zt_actix::zero_trust;

#[zero_trust(okta, scopes = "orders:read", any_scope = "orders:admin")]
async fn both() {}

#[zero_trust(auth0, any_scope = "orders:admin", scopes = "orders:read")]
async fn both_other_order() {}

fn main() {}
