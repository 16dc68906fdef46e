use zt_actix::zero_trust;

#[zero_trust(okta, scopes = "orders:read orders:write orders:read")]
async fn all_of() {}

#[zero_trust(auth0, any_scope = "a b a b")]
async fn any_of() {}

fn main() {}
