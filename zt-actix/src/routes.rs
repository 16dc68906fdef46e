//! The route inventory: every route of an app, with the protection the gate proved for it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;

use actix_service::IntoServiceFactory;
use actix_web::body::MessageBody;
use actix_web::dev::AppConfig;
use actix_web::dev::{
    Payload, ResourceDef, Service, ServiceFactory, ServiceRequest, ServiceResponse, Transform,
};
use actix_web::http::Method;
use actix_web::introspection::{IntrospectionReportItem, IntrospectionTree};
use actix_web::test::TestRequest;
use actix_web::{web, App, Error, FromRequest, HttpRequest};
use serde::Serialize;
use zt_core::{ConfigError, IdentityRule, Requirement, ScopeRule};

use crate::declaration::Declaration;
use crate::rejection::Rejection;
use crate::route::{marked, MARK_PREFIX};

/// Lists every route of an application with its method, path and protection.
///
/// Build it with [`ZeroTrust::check_routes`](crate::ZeroTrust::check_routes) at startup, or
/// take it as an extractor in an admin handler that carries its own `#[zero_trust]`:
///
/// ```
/// use actix_web::{get, HttpResponse};
/// use zt_actix::{zero_trust, RouteInventory};
///
/// #[zero_trust(okta, scopes = "zt:admin")]
/// #[get("/admin/routes")]
/// async fn routes(inventory: RouteInventory) -> HttpResponse {
///     HttpResponse::Ok().json(inventory)
/// }
/// ```
///
/// [`Display`](fmt::Display) prints a table; `Serialize` gives `{"routes":[..]}`.
///
/// # Limitations
///
/// The inventory reads actix-web's route introspection, which merges every registration at
/// the same full path: two resources registered at one path with the same methods show as
/// one row. Default services do not appear; the gate answers requests that match no route
/// itself, so they never run.
#[derive(Debug, Clone, Serialize)]
pub struct RouteInventory {
    routes: Vec<RouteEntry>,
}

/// Describes one method on one path and what protects it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RouteEntry {
    /// The HTTP method, or `*` for every method the path serves without a declaration.
    pub method: String,
    /// The full path pattern, scopes included.
    pub path: String,
    /// Whether the gate proved the route declared; undeclared routes are refused.
    pub declared: bool,
    /// The handler, as `module::name` for route attributes or the handler name otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// The requirement in the attribute's own words, such as `any(okta, mtls)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// The mechanisms that can admit a caller, in the written order.
    pub mechanisms: Vec<String>,
    /// Every scope named anywhere in the requirement.
    pub scopes: Vec<String>,
    /// Client-certificate identities (SPIFFE ids or `policy:<name>`) and pre-shared secret
    /// names (`psk:<name>`).
    pub identities: Vec<String>,
    /// Why the route is public, for anonymous routes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_reason: Option<String>,
    /// Why the route counts as undeclared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl RouteInventory {
    /// Returns every route, in path order.
    #[must_use]
    pub fn routes(&self) -> &[RouteEntry] {
        &self.routes
    }

    /// Returns the routes the gate refuses because no declaration covers them.
    pub fn undeclared(&self) -> impl Iterator<Item = &RouteEntry> {
        self.routes.iter().filter(|r| !r.declared)
    }

    /// Returns the inventory as pretty-printed JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing strings and vectors of strings cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Builds the inventory from the introspection actix-web stores in an app's data.
    pub(crate) fn from_table(table: &RouteTable) -> Self {
        let mut routes = Vec::new();
        for entry in &table.entries {
            for (method, protection) in &entry.declared {
                routes.push(declared_entry(method, &entry.path, protection));
            }
            for method in entry.undeclared_methods() {
                routes.push(undeclared_entry(method, &entry.path, entry.problem()));
            }
        }
        Self { routes }
    }
}

fn declared_entry(method: &str, path: &str, protection: &Protection) -> RouteEntry {
    let mut entry = RouteEntry {
        method: method.to_owned(),
        path: path.to_owned(),
        declared: true,
        handler: Some(protection.handler.clone()),
        requirement: Some(describe(&protection.requirement)),
        mechanisms: Vec::new(),
        scopes: Vec::new(),
        identities: Vec::new(),
        anonymous_reason: None,
        problem: None,
    };
    for leaf in protection.requirement.leaves() {
        let (mechanism, scopes) = match *leaf {
            Requirement::Anonymous { reason } => {
                entry.anonymous_reason = Some(reason.to_owned());
                ("anonymous", None)
            }
            Requirement::Token { provider, scopes } => (provider.as_str(), Some(scopes)),
            Requirement::ApiKey { scopes } => ("api_key", Some(scopes)),
            Requirement::Mtls { identity } => {
                entry.identities.push(identity_text(identity));
                ("mtls", None)
            }
            Requirement::Psk { name } => {
                entry.identities.push(format!("psk:{name}"));
                ("psk", None)
            }
            _ => ("unknown", None),
        };
        if !entry.mechanisms.iter().any(|m| m == mechanism) {
            entry.mechanisms.push(mechanism.to_owned());
        }
        for scope in scopes.map_or(&[][..], |s| s.scopes()) {
            if !entry.scopes.iter().any(|s| s == scope) {
                entry.scopes.push((*scope).to_owned());
            }
        }
    }
    entry
}

fn undeclared_entry(method: &str, path: &str, problem: String) -> RouteEntry {
    RouteEntry {
        method: method.to_owned(),
        path: path.to_owned(),
        declared: false,
        handler: None,
        requirement: None,
        mechanisms: Vec::new(),
        scopes: Vec::new(),
        identities: Vec::new(),
        anonymous_reason: None,
        problem: Some(problem),
    }
}

fn identity_text(identity: IdentityRule) -> String {
    match identity {
        IdentityRule::Spiffe(id) => id.to_owned(),
        IdentityRule::Policy(name) => format!("policy:{name}"),
        _ => "unknown".to_owned(),
    }
}

/// Writes `requirement` the way the attribute spells it.
fn describe(requirement: &Requirement) -> String {
    fn scoped(name: &str, scopes: ScopeRule) -> String {
        match scopes {
            ScopeRule::All([]) => name.to_owned(),
            ScopeRule::All(list) => format!("{name}, scopes = \"{}\"", list.join(" ")),
            ScopeRule::Any(list) => format!("{name}, any_scope = \"{}\"", list.join(" ")),
        }
    }
    fn joined(parts: &[Requirement]) -> String {
        let inner: Vec<_> = parts.iter().map(describe).collect();
        inner.join(", ")
    }

    match *requirement {
        Requirement::Anonymous { reason } => format!("anonymous, reason = \"{reason}\""),
        Requirement::Token { provider, scopes } => scoped(provider.as_str(), scopes),
        Requirement::ApiKey { scopes } => scoped("api_key", scopes),
        Requirement::Mtls { identity } => match identity {
            IdentityRule::Policy(name) => format!("mtls, policy = \"{name}\""),
            other => format!("mtls, identity = \"{}\"", identity_text(other)),
        },
        Requirement::Psk { name } => format!("psk = \"{name}\""),
        Requirement::Any(parts) => format!("any({})", joined(parts)),
        Requirement::All(parts) => format!("all({})", joined(parts)),
        _ => "unknown".to_owned(),
    }
}

impl fmt::Display for RouteInventory {
    /// Prints one line per route: method, path, protection (or why it is refused).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method_width = self
            .routes
            .iter()
            .map(|r| r.method.len())
            .max()
            .unwrap_or(0);
        let path_width = self.routes.iter().map(|r| r.path.len()).max().unwrap_or(0);
        let method_width = method_width.max("METHOD".len());
        let path_width = path_width.max("PATH".len());

        writeln!(
            f,
            "{:method_width$}  {:path_width$}  PROTECTION",
            "METHOD", "PATH"
        )?;
        for route in &self.routes {
            let protection = match (&route.requirement, &route.problem) {
                (Some(requirement), _) => format!(
                    "{requirement}  [{}]",
                    route.handler.as_deref().unwrap_or("?")
                ),
                (None, Some(problem)) => format!("UNDECLARED: {problem}"),
                (None, None) => "UNDECLARED".to_owned(),
            };
            writeln!(
                f,
                "{:method_width$}  {:path_width$}  {protection}",
                route.method, route.path
            )?;
        }
        Ok(())
    }
}

impl FromRequest for RouteInventory {
    type Error = Rejection;
    type Future = std::future::Ready<Result<Self, Rejection>>;

    /// Reads the inventory of the app serving the request.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let table = req
            .app_data::<web::Data<IntrospectionTree>>()
            .map(|tree| RouteTable::build(tree));
        std::future::ready(match table {
            Some(table) => Ok(Self::from_table(&table)),
            None => Err(Rejection::misconfigured()),
        })
    }
}

/// A handler and requirement proven to serve a method on a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Protection {
    pub(crate) handler: String,
    pub(crate) requirement: Requirement,
}

/// One full path of the app, as the gate sees it.
#[derive(Debug)]
pub(crate) struct TableEntry {
    /// The full path pattern.
    pub(crate) path: String,
    exact: ResourceDef,
    prefix: ResourceDef,
    /// Methods served, from method guards; empty means every method.
    methods: Vec<Method>,
    /// Serves every method (no method guard, or guards the gate cannot read).
    serves_any: bool,
    /// Methods proven declared, with their protection.
    pub(crate) declared: BTreeMap<String, Protection>,
    /// Why routes at this path cannot be proven, when that applies to every method.
    blocked: Option<String>,
    /// Methods two declarations claim with different requirements.
    conflicts: Vec<Method>,
}

impl TableEntry {
    /// Tells whether this entry may serve `method` on `path`: a prefix match counts, so
    /// that a service answering a whole subtree is never overlooked.
    fn may_serve(&self, method: &Method, path: &str) -> bool {
        let serves = self.serves_any || self.methods.contains(method);
        serves && (self.exact.is_match(path) || self.prefix.is_match(path))
    }

    /// Returns the protection of `method` when this entry serves `path` exactly, declared.
    pub(crate) fn protection(&self, method: &Method, path: &str) -> Option<&Protection> {
        if !self.exact.is_match(path) {
            return None;
        }
        self.declared.get(method.as_str())
    }

    /// Lists the methods this path may serve without a proven declaration.
    fn undeclared_methods(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .methods
            .iter()
            .filter(|m| !self.declared.contains_key(m.as_str()))
            .map(Method::as_str)
            .collect();
        if self.serves_any {
            out.push("*");
        }
        out
    }

    fn problem(&self) -> String {
        if let Some(blocked) = &self.blocked {
            return blocked.clone();
        }
        if !self.conflicts.is_empty() {
            return "several #[zero_trust] handlers with this name and route declare different \
                    requirements; give them distinct names"
                .to_owned();
        }
        if self.serves_any {
            return "serves every method, and no #[zero_trust] declaration covers them (give \
                    the route a method and a #[zero_trust] handler)"
                .to_owned();
        }
        "no #[zero_trust] declaration covers it (register a #[zero_trust] handler with a route \
         attribute or zt_actix::route)"
            .to_owned()
    }
}

/// Every path of an app with the methods proven declared on it.
#[derive(Debug)]
pub(crate) struct RouteTable {
    pub(crate) entries: Vec<TableEntry>,
}

/// What the gate concludes about one request.
#[derive(Debug)]
pub(crate) enum Routing<'a> {
    /// Every route that may serve the request is declared; this one serves it.
    Declared(&'a TableEntry),
    /// A route that may serve the request is not declared.
    Undeclared(&'a TableEntry),
    /// The path exists, but not with this method.
    MethodNotAllowed,
    /// No route matches; actix-web would call a default service.
    NoRoute,
}

impl RouteTable {
    /// Reads the introspection of an app and proves each path's methods declared.
    pub(crate) fn build(tree: &IntrospectionTree) -> Rc<Self> {
        let items: Vec<IntrospectionReportItem> = (&tree.root).into();
        let guarded_scopes: Vec<&IntrospectionReportItem> = items
            .iter()
            .filter(|i| {
                i.resource_type != "resource" && (!i.guards.is_empty() || !i.methods.is_empty())
            })
            .collect();

        let mut entries: Vec<TableEntry> = items
            .iter()
            .filter(|i| i.resource_type == "resource")
            .map(|item| entry(item, &guarded_scopes))
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Rc::new(Self { entries })
    }

    /// Decides where `method` on `path` goes.
    pub(crate) fn route(&self, method: &Method, path: &str) -> Routing<'_> {
        let mut found = None;
        let mut path_exists = false;
        for entry in &self.entries {
            if entry.exact.is_match(path) {
                path_exists = true;
            }
            if !entry.may_serve(method, path) {
                continue;
            }
            if !entry.declared.contains_key(method.as_str()) {
                return Routing::Undeclared(entry);
            }
            if entry.protection(method, path).is_some() {
                found.get_or_insert(entry);
            }
        }
        match found {
            Some(entry) => Routing::Declared(entry),
            None if path_exists => Routing::MethodNotAllowed,
            None => Routing::NoRoute,
        }
    }

    /// Tells whether any path serves a method without a proven declaration.
    pub(crate) fn has_undeclared(&self) -> bool {
        self.entries
            .iter()
            .any(|e| !e.undeclared_methods().is_empty())
    }
}

fn entry(
    item: &IntrospectionReportItem,
    guarded_scopes: &[&IntrospectionReportItem],
) -> TableEntry {
    let path = item.full_path.clone();
    let methods: Vec<Method> = item.methods.iter().filter_map(|m| m.parse().ok()).collect();
    let mut declared = BTreeMap::new();
    let mut conflicts = Vec::new();
    let mut unreadable = Vec::new();

    for guard in &item.guards {
        if let Some((method, mark)) = marked(guard) {
            let protection = Protection {
                handler: mark.handler,
                requirement: mark.requirement,
            };
            claim(&mut declared, &mut conflicts, method, protection);
        } else if !is_method_guard(guard) || guard.starts_with(MARK_PREFIX) {
            unreadable.push(guard.as_str());
        }
    }
    if let Some(name) = &item.resource_name {
        for declaration in Declaration::matching_route(name, &path) {
            for method in declaration.methods.iter().filter_map(|m| m.parse().ok()) {
                let protection = Protection {
                    handler: format!("{}::{}", declaration.module, declaration.handler),
                    requirement: declaration.requirement,
                };
                claim(&mut declared, &mut conflicts, method, protection);
            }
        }
    }

    let blocked = if let Some(scope) = guarded_scopes
        .iter()
        .find(|s| path.starts_with(s.full_path.as_str()))
    {
        Some(format!(
            "the enclosing scope {} has routing guards ({}); requests they turn away would \
             fall through to other services, so the gate cannot prove where they go",
            scope.full_path,
            scope.guards.join(", ")
        ))
    } else if !unreadable.is_empty() {
        Some(format!(
            "routing guards the gate cannot read ({}); move the condition into the handler",
            unreadable.join(", ")
        ))
    } else {
        None
    };
    if blocked.is_some() {
        declared.clear();
    }
    for method in &conflicts {
        declared.remove(method.as_str());
    }

    TableEntry {
        exact: ResourceDef::new(path.as_str()),
        prefix: ResourceDef::prefix(path.as_str()),
        serves_any: methods.is_empty() || blocked.is_some(),
        path,
        methods,
        declared,
        blocked,
        conflicts,
    }
}

/// Records that `method` is declared with `protection`; two different claims conflict.
fn claim(
    declared: &mut BTreeMap<String, Protection>,
    conflicts: &mut Vec<Method>,
    method: Method,
    protection: Protection,
) {
    match declared.get(method.as_str()) {
        Some(existing) if existing.requirement != protection.requirement => {
            if !conflicts.contains(&method) {
                conflicts.push(method);
            }
        }
        Some(_) => {}
        None => {
            declared.insert(method.as_str().to_owned(), protection);
        }
    }
}

/// Tells whether a guard name is a method guard or an `Any` of method guards, the forms route
/// attributes with several methods produce.
fn is_method_guard(name: &str) -> bool {
    if name.parse::<Method>().is_ok() && !name.contains(['(', ' ', ',']) {
        return true;
    }
    name.strip_prefix("AnyGuard(")
        .and_then(|rest| rest.strip_suffix(')'))
        .is_some_and(|inner| {
            inner
                .split(',')
                .all(|m| m.trim().parse::<Method>().is_ok() && !m.trim().contains('('))
        })
}

impl RouteInventory {
    /// Builds `app` once, without serving any request to it, and lists its routes.
    ///
    /// A probe wrapped outermost reads the routes actix-web reports and answers the one
    /// request it is sent itself, so no middleware or handler of the app runs; data
    /// factories of the app do run, as they would at startup.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Invalid`] (setting `routes`) when the app cannot be built.
    pub async fn of<T, B>(app: App<T>) -> Result<Self, ConfigError>
    where
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        let slot = Rc::new(RefCell::new(None));
        let app = app.wrap(Probe(Rc::clone(&slot)));
        let failed = |problem: &str| ConfigError::Invalid {
            setting: "routes".to_owned(),
            problem: problem.to_owned(),
        };

        let service = app
            .into_factory()
            .new_service(AppConfig::default())
            .await
            .map_err(|()| failed("the app could not be built to list its routes"))?;
        let _ = service.call(TestRequest::default().to_request()).await;

        let inventory = slot.borrow_mut().take();
        inventory.ok_or_else(|| failed("actix-web reported no routes for the app"))
    }
}

/// Answers the probe request with the app's inventory, never calling the app.
struct Probe(Rc<RefCell<Option<RouteInventory>>>);

impl<S, B> Transform<S, ServiceRequest> for Probe
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ProbeService<B>;
    type InitError = ();
    type Future = std::future::Ready<Result<ProbeService<B>, ()>>;

    fn new_transform(&self, _: S) -> Self::Future {
        std::future::ready(Ok(ProbeService(Rc::clone(&self.0), PhantomData)))
    }
}

struct ProbeService<B>(Rc<RefCell<Option<RouteInventory>>>, PhantomData<B>);

impl<B> Service<ServiceRequest> for ProbeService<B>
where
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = std::future::Ready<Result<ServiceResponse<B>, Error>>;

    actix_web::dev::always_ready!();

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let inventory = req
            .app_data::<web::Data<IntrospectionTree>>()
            .map(|tree| RouteInventory::from_table(&RouteTable::build(tree)));
        *self.0.borrow_mut() = inventory;
        std::future::ready(Err(actix_web::error::ErrorNotFound("route probe")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_guards_and_any_of_methods_are_recognised() {
        assert!(is_method_guard("GET"));
        assert!(is_method_guard("PURGE"));
        assert!(is_method_guard("AnyGuard(GET, HEAD)"));
        assert!(!is_method_guard("AnyGuard(GET, Header(x))"));
        assert!(!is_method_guard("Not(GET)"));
        assert!(!is_method_guard("AllGuard(GET, POST)"));
        assert!(!is_method_guard("actix_web::guard::fn_guard"));
    }

    #[test]
    fn requirements_are_described_in_the_attribute_syntax() {
        const NESTED: Requirement = Requirement::Any(&[
            Requirement::ApiKey {
                scopes: ScopeRule::NONE,
            },
            Requirement::All(&[Requirement::Psk { name: "hook" }]),
        ]);
        assert_eq!(describe(&NESTED), "any(api_key, all(psk = \"hook\"))");
    }
}
