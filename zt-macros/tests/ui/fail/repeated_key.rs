use zt_actix::zero_trust;

#[zero_trust(okta, scopes = "a", scopes = "b")]
async fn scopes_twice() {}

#[zero_trust(auth0, any_scope = "a", any_scope = "a")]
async fn any_scope_twice() {}

#[zero_trust(anonymous, reason = "probe", reason = "probe")]
async fn reason_twice() {}

fn main() {}
