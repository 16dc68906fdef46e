use zt_actix::zero_trust;

#[zero_trust(mtls)]
async fn mtls() {}

#[zero_trust(psk(secret = "name"))]
async fn psk() {}

#[zero_trust(any(okta, mtls))]
async fn any_of() {}

fn main() {}
