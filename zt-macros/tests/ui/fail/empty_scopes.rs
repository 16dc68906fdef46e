use zt_actix::zero_trust;

#[zero_trust(okta, scopes = "")]
async fn empty_all() {}

#[zero_trust(auth0, any_scope = "")]
async fn empty_any() {}

#[zero_trust(okta, scopes = "   ")]
async fn blank() {}

fn main() {}
