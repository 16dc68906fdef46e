//! One `tracing` event and one metric update per access decision; never the credential.
//!
//! Events go to the target `zt::decision` with the fields `outcome` (`allow`/`deny`),
//! `reason` (a stable code), `mechanism`, `method` and `route` (the matched pattern, never the
//! raw path with its values), plus `issuer` and `subject` (the key id for API keys) on
//! allows. Allows are logged at TRACE and client-caused denials at DEBUG, so callers cannot
//! flood the logs; a denial because keys cannot be had is INFO (the fetch failure itself is
//! a WARN from `zt::keys`, rate-limited by the refetch cooldown); misconfiguration, including
//! an undeclared route, is ERROR.
//!
//! # Metrics
//!
//! Through the `metrics` facade (install any recorder; names are stable):
//!
//! - `zt_decisions_total{mechanism, outcome, reason}`: counter, one per decision; the gate
//!   counts as mechanism `gate`.
//! - `zt_verification_seconds{mechanism, outcome}`: histogram of the time spent verifying a
//!   credential (anonymous routes and gate refusals are not timed).

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use tracing::Level;
use zt_core::{Denial, Principal};

/// The counter of decisions.
pub(crate) const DECISIONS: &str = "zt_decisions_total";
/// The histogram of verification time, in seconds.
pub(crate) const VERIFICATION_SECONDS: &str = "zt_verification_seconds";

fn route(req: &HttpRequest) -> String {
    req.match_pattern()
        .unwrap_or_else(|| "(no route)".to_owned())
}

fn count(mechanism: &str, outcome: &'static str, reason: &str) {
    metrics::counter!(
        DECISIONS,
        "mechanism" => mechanism.to_owned(),
        "outcome" => outcome,
        "reason" => reason.to_owned(),
    )
    .increment(1);
}

pub(crate) fn anonymous(req: &HttpRequest, reason: &str) {
    count("anonymous", "allow", "anonymous");
    tracing::trace!(
        target: "zt::decision",
        outcome = "allow",
        reason = "anonymous",
        mechanism = "anonymous",
        method = %req.method(),
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
    let outcome = if result.is_ok() { "allow" } else { "deny" };
    metrics::histogram!(
        VERIFICATION_SECONDS,
        "mechanism" => mechanism.to_owned(),
        "outcome" => outcome,
    )
    .record(elapsed.as_secs_f64());

    match result {
        Ok(principal) => {
            count(mechanism, "allow", "verified");
            tracing::trace!(
                target: "zt::decision",
                outcome = "allow",
                reason = "verified",
                mechanism,
                method = %req.method(),
                route = %route(req),
                issuer = principal.issuer(),
                subject = principal.subject(),
                micros,
            );
        }
        Err(None) => misconfigured(req, "the route's mechanism is not configured"),
        Err(Some(denial)) => {
            let reason = denial.reason().code();
            count(mechanism, "deny", reason);
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
                reason,
                mechanism,
                method = %req.method(),
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
    count("gate", "deny", "misconfigured");
    tracing::error!(
        target: "zt::decision",
        outcome = "deny",
        reason = "misconfigured",
        mechanism = "gate",
        method = %req.method(),
        route = %route(req),
        problem,
    );
}

/// Logs the gate refusing a route that no declaration covers.
pub(crate) fn undeclared(req: &HttpRequest, route: &str) {
    count("gate", "deny", "undeclared_route");
    tracing::error!(
        target: "zt::decision",
        outcome = "deny",
        reason = "undeclared_route",
        mechanism = "gate",
        method = %req.method(),
        route,
        "route without a #[zero_trust] declaration refused",
    );
}

/// Logs the gate answering a request that no route serves (404 or 405).
pub(crate) fn no_route(req: &HttpRequest, reason: &'static str) {
    count("gate", "deny", reason);
    tracing::debug!(
        target: "zt::decision",
        outcome = "deny",
        reason,
        mechanism = "gate",
        method = %req.method(),
        route = "(no route)",
    );
}

/// Logs a route that passed the gate as declared but answered without its guard running.
pub(crate) fn guard_skipped(req: &HttpRequest, route: &str) {
    count("gate", "deny", "guard_skipped");
    tracing::error!(
        target: "zt::decision",
        outcome = "deny",
        reason = "guard_skipped",
        mechanism = "gate",
        method = %req.method(),
        route,
        "a route counted as declared ran no zero-trust guard; its answer was withheld and \
         the route is refused from now on; register only #[zero_trust] handlers there",
    );
}
