//! One `tracing` event per access decision, target `zt::decision`; never the credential.
//!
//! Allows are logged at TRACE and client-caused denials at DEBUG, so callers cannot flood
//! the logs; a denial because keys cannot be had is INFO (the fetch failure itself is a WARN
//! from `zt::keys`, rate-limited by the refetch cooldown); misconfiguration is ERROR.

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use tracing::Level;
use zt_core::{Denial, Principal};

fn route(req: &HttpRequest) -> String {
    req.match_pattern().unwrap_or_else(|| req.path().to_owned())
}

pub(crate) fn anonymous(req: &HttpRequest, reason: &str) {
    tracing::trace!(
        target: "zt::decision",
        outcome = "allow",
        mechanism = "anonymous",
        route = %route(req),
        anonymous_reason = reason,
    );
}

pub(crate) fn verified(
    req: &HttpRequest,
    mechanism: &str,
    result: &Result<Arc<Principal>, Option<Denial>>,
    elapsed: Duration,
) {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    match result {
        Ok(principal) => tracing::trace!(
            target: "zt::decision",
            outcome = "allow",
            mechanism,
            route = %route(req),
            issuer = principal.issuer(),
            subject = principal.subject(),
            micros,
        ),
        Err(None) => misconfigured(req, "the route's provider is not configured"),
        Err(Some(denial)) => {
            let reason = denial.reason().code();
            if matches!(denial, Denial::Unavailable { .. }) {
                log_denial(Level::INFO, req, mechanism, reason, micros);
            } else {
                log_denial(Level::DEBUG, req, mechanism, reason, micros);
            }
        }
    }
}

fn log_denial(level: Level, req: &HttpRequest, mechanism: &str, reason: &str, micros: u64) {
    macro_rules! deny {
        ($level:expr) => {
            tracing::event!(
                target: "zt::decision",
                $level,
                outcome = "deny",
                mechanism,
                reason,
                route = %route(req),
                micros,
            )
        };
    }
    if level == Level::INFO {
        deny!(Level::INFO);
    } else {
        deny!(Level::DEBUG);
    }
}

pub(crate) fn misconfigured(req: &HttpRequest, problem: &str) {
    tracing::error!(
        target: "zt::decision",
        outcome = "deny",
        reason = "misconfigured",
        route = %route(req),
        problem,
    );
}
