use zt_actix::zero_trust;

#[zero_trust(anonymous, reason = "")]
async fn empty() {}

#[zero_trust(anonymous, reason = "   ")]
async fn blank() {}

fn main() {}
