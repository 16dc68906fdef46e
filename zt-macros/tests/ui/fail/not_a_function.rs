use zt_actix::zero_trust;

#[zero_trust(okta)]
struct Handler {
    _name: String,
}

#[zero_trust(okta)]
mod handlers {}

#[zero_trust(okta)]
const HANDLER: u8 = 0;

fn main() {
    let _ = Handler { _name: String::new() };
    let _ = HANDLER;
}
