//! Configuration errors, raised at startup and never on the request path.

/// Reports a setting that prevents the service from starting safely.
///
/// Every message names the setting at fault and says what a valid one looks like.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A URL setting could not be parsed.
    #[error("{setting}: `{value}` is not a valid URL ({source})")]
    InvalidUrl {
        /// The setting at fault.
        setting: String,
        /// The value given.
        value: String,
        /// What the URL parser said.
        source: url::ParseError,
    },
    /// A URL setting uses plain HTTP on a non-loopback host.
    #[error(
        "{setting}: `{value}` must use https (plain http is allowed only for loopback addresses)"
    )]
    InsecureUrl {
        /// The setting at fault.
        setting: String,
        /// The value given.
        value: String,
    },
    /// A required setting is missing.
    #[error("{setting} is required: {hint}")]
    Missing {
        /// The setting at fault.
        setting: String,
        /// What to set it to.
        hint: &'static str,
    },
    /// A setting has a value that is refused.
    #[error("{setting}: {problem}")]
    Invalid {
        /// The setting at fault.
        setting: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// A handler requires a mechanism that is not configured.
    #[error("{setting} is not configured, but handler `{handler}` requires it; configure it at startup or change the handler's #[zero_trust] attribute")]
    Unconfigured {
        /// The missing setting.
        setting: String,
        /// The handler, as `module::name`.
        handler: String,
    },
    /// An HTTP client could not be built.
    #[error("could not build the HTTP client for {setting}: {source}")]
    HttpClient {
        /// The setting the client serves.
        setting: String,
        /// What the client builder said.
        source: reqwest::Error,
    },
}
