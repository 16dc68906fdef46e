use zt_actix::zero_trust;

struct Orders;

impl Orders {
    #[zero_trust(okta)]
    async fn list(&self) -> &'static str {
        "orders"
    }

    #[zero_trust(okta)]
    async fn consume(self) -> &'static str {
        "orders"
    }
}

fn main() {
    let _ = Orders.list();
}
