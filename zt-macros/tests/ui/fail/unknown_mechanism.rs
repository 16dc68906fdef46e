use zt_actix::zero_trust;

#[zero_trust(google)]
async fn misspelt_provider() {}

#[zero_trust(Okta)]
async fn wrong_case() {}

#[zero_trust(anonymus, reason = "typo")]
async fn misspelt_anonymous() {}

fn main() {}
