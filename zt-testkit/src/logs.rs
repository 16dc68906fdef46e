//! Capturing log output in a test, to prove that no credential reaches it.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tracing::subscriber::DefaultGuard;
use tracing::Dispatch;

/// Records every `tracing` event emitted on the current thread while it lives.
///
/// Install it at the start of a test; events from every target at every level, TRACE
/// included, are formatted as text into memory. Single-threaded test runtimes (such as
/// `#[actix_web::test]`) see everything the code under test logs.
///
/// Tests running in parallel threads of one binary cannot hide events from each other: the
/// first capture also keeps an inert subscriber registered for the rest of the process, so
/// `tracing` never caches a log statement as unwanted merely because a thread without a
/// subscriber reached it first.
///
/// # Examples
///
/// ```
/// use zt_testkit::LogCapture;
///
/// let logs = LogCapture::install();
/// tracing::debug!(target: "zt::decision", reason = "expired", "denied");
/// assert!(logs.text().contains("reason=\"expired\""));
/// logs.assert_free_of("eyJhbGciOi.secret-token");
/// ```
pub struct LogCapture {
    buffer: Buffer,
    _guard: DefaultGuard,
}

impl std::fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogCapture").finish_non_exhaustive()
    }
}

impl LogCapture {
    /// Starts recording on this thread; recording stops when the value drops.
    #[must_use]
    pub fn install() -> Self {
        // While a single subscriber is registered, tracing decides whether a log statement
        // is wanted by asking the subscriber of whichever thread reaches it first, and
        // remembers the answer for every thread. A second, always-interested subscriber
        // (a registry with no layers, which drops everything) makes it ask all of them.
        static ANCHOR: OnceLock<Dispatch> = OnceLock::new();
        ANCHOR.get_or_init(|| Dispatch::new(tracing_subscriber::registry()));

        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        Self {
            buffer,
            _guard: guard,
        }
    }

    /// Returns everything recorded so far.
    #[must_use]
    pub fn text(&self) -> String {
        let bytes = self.buffer.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Fails the test if `secret`, or any dot-separated part of it longer than eight
    /// characters (a JWT's header, payload or signature), appears in the logs.
    ///
    /// # Panics
    ///
    /// Panics, printing the logs, when the secret or a part of it was logged.
    pub fn assert_free_of(&self, secret: &str) {
        let text = self.text();
        let whole = std::iter::once(secret);
        for part in whole.chain(secret.split('.')).filter(|p| p.len() > 8) {
            assert!(!text.contains(part), "a secret reached the logs:\n{text}");
        }
    }
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
