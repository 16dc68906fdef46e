use zt_actix::zero_trust;

#[zero_trust(psk)]
async fn no_name() {}

#[zero_trust(psk = "deploy hook")]
async fn spaced_name() {}

#[zero_trust(psk = "deploy-hook", scopes = "deploy")]
async fn scoped() {}

fn main() {}
