use zt_actix::zero_trust;

#[zero_trust(okta, auth0)]
async fn two_providers() {}

#[zero_trust(okta, anonymous, reason = "public")]
async fn provider_and_anonymous() {}

#[zero_trust(okta, okta)]
async fn same_twice() {}

fn main() {}
