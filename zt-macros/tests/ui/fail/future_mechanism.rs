use zt_actix::zero_trust;

#[zero_trust(api_key)]
async fn api_key() {}

#[zero_trust(mtls)]
async fn mtls() {}

#[zero_trust(psk(secret = "name"))]
async fn psk() {}

#[zero_trust(any(okta, mtls))]
async fn any_of() {}

fn main() {}
