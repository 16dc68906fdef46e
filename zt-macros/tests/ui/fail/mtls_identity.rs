use zt_actix::zero_trust;

#[zero_trust(mtls)]
async fn no_identity() {}

#[zero_trust(mtls, identity = "CN=billing")]
async fn common_name() {}

#[zero_trust(mtls, identity = "spiffe://corp/a*")]
async fn partial_wildcard() {}

#[zero_trust(mtls, identity = "spiffe://corp/a", policy = "billing")]
async fn identity_and_policy() {}

#[zero_trust(mtls, identity = "spiffe://corp/a", scopes = "read")]
async fn scopes_on_certificate() {}

fn main() {}
