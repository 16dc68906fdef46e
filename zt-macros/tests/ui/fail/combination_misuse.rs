use zt_actix::zero_trust;

#[zero_trust(any(okta))]
async fn one_part() {}

#[zero_trust(any(okta, anonymous))]
async fn with_anonymous() {}

#[zero_trust(all(mtls(identity = "spiffe://corp/a"), psk = "hook"))]
async fn with_psk() {}

#[zero_trust(any(okta, any(auth0, api_key)))]
async fn same_kind_nested() {}

#[zero_trust(any(okta, auth0), scopes = "read")]
async fn keys_outside() {}

#[zero_trust(any(okta, okta))]
async fn repeated_part() {}

fn main() {}
