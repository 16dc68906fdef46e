use zt_actix::zero_trust;

// Every problem is reported in one build: the second mechanism, the unknown key, the bad
// scope, the misplaced key and the signature.
#[zero_trust(okta, colour = "red", scopes = "a\"b", reason = "why not")]
fn everything_wrong() {}

fn main() {}
