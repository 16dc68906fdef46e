use zt_actix::zero_trust;

#[zero_trust(okta, scopes = "orders:read\torders:write")]
async fn tab() {}

#[zero_trust(okta, scopes = "orders:\"read\"")]
async fn quote() {}

#[zero_trust(okta, scopes = r"orders\read")]
async fn backslash() {}

#[zero_trust(okta, scopes = "commandes:lire-été")]
async fn not_ascii() {}

#[zero_trust(okta, scopes = "orders:read  orders:write")]
async fn double_space() {}

#[zero_trust(auth0, any_scope = " orders:read")]
async fn leading_space() {}

fn main() {}
