use zt_actix::zero_trust;

#[zero_trust(okta scopes = "orders:read")]
async fn missing_comma() {}

#[zero_trust("okta")]
async fn quoted_mechanism() {}

#[zero_trust(okta, scopes: "orders:read")]
async fn colon_instead_of_equals() {}

#[zero_trust(okta, scopes =)]
async fn missing_value() {}

fn main() {}
