//! A `moto_server` on loopback standing in for AWS Secrets Manager and SSM Parameter Store,
//! and a proxy that puts throttling, server errors and dropped connections between it and
//! the code under test.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// How long `moto_server` may take to answer after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How much of `moto_server`'s error output is kept for failure messages.
const STDERR_TAIL_BYTES: usize = 4096;

/// Runs `moto_server` on 127.0.0.1 and stops it when dropped.
///
/// Starting fails, with a message saying why, when `moto_server` is not on `PATH` (install
/// it with `pip install 'moto[server]'`), exits early, or does not answer within a minute; a
/// test that needs it fails instead of being skipped.
///
/// # Examples
///
/// ```no_run
/// use zt_testkit::MotoServer;
///
/// # async fn run() -> std::io::Result<()> {
/// let moto = MotoServer::start()?;
/// let config = moto.sdk_config().await; // region us-east-1, fake credentials, no retries
/// // aws_sdk_secretsmanager::Client::new(&config) now talks to moto.
/// # let _ = config;
/// # Ok(()) }
/// # let _ = run;
/// ```
///
/// # Limitations
///
/// moto keeps everything in memory: [`MotoServer::stop`] and [`MotoServer::restart`] lose
/// every secret and parameter. It does not run rotation Lambdas (drive a rotation by putting
/// an `AWSPENDING` version and moving `AWSCURRENT`), and after `AWSCURRENT` moved, a
/// `GetSecretValue` without `VersionStage=AWSCURRENT` may answer the old value. These quirks
/// are moto's; code tested here must not rely on them.
#[derive(Debug)]
pub struct MotoServer {
    program: PathBuf,
    port: u16,
    child: Option<Child>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
}

impl MotoServer {
    /// Starts `moto_server` on a free loopback port and waits until it answers.
    ///
    /// # Errors
    ///
    /// Returns an error saying why when `moto_server` is not installed, cannot start, or does
    /// not answer in time.
    pub fn start() -> io::Result<Self> {
        let program = locate(std::env::var_os("PATH"))?;
        let mut last_error = None;
        for _ in 0..3 {
            let mut server = Self {
                program: program.clone(),
                port: free_port()?,
                child: None,
                stderr: Arc::default(),
            };
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("moto_server did not start")))
    }

    /// Returns the endpoint URL, `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Returns the port.
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Returns AWS configuration for this server: region `us-east-1`, the fake credentials
    /// `testing`/`testing`, SDK retries off so that tests see every call.
    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config(&self.endpoint()).await
    }

    /// Stops the server, as an outage would; everything stored is lost.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty.
    ///
    /// # Errors
    ///
    /// As [`MotoServer::start`].
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        self.launch()
    }

    fn launch(&mut self) -> io::Result<()> {
        let mut child = Command::new(&self.program)
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("could not run moto_server: {e}")))?;
        if let Some(stderr) = child.stderr.take() {
            let tail = Arc::clone(&self.stderr);
            thread::spawn(move || keep_tail(stderr, &tail));
        }
        self.child = Some(child);

        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(io::Error::other(format!(
                    "moto_server exited with {status} before answering: {}",
                    self.stderr_tail()
                )));
            }
            if answers(self.port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "moto_server did not answer on port {} within {START_TIMEOUT:?}: {}",
                        self.port,
                        self.stderr_tail()
                    ),
                ));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn stderr_tail(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&tail.iter().copied().collect::<Vec<_>>()).into_owned()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Returns AWS configuration for an emulator or proxy at `endpoint`: region `us-east-1`, the
/// fake credentials `testing`/`testing`, SDK retries off and a five-second operation timeout.
///
/// Everything is set on the config builder; no process-wide environment variable is touched.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "zt-testkit",
        ))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts)
        .load()
        .await
}

/// Finds `moto_server` in the directories of `path` (the `PATH` variable).
fn locate(path: Option<OsString>) -> io::Result<PathBuf> {
    let found = path.and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("moto_server"))
            .find(|candidate| is_executable(candidate))
    });
    found.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "moto_server is not on PATH; install it with pip install 'moto[server]'",
        )
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Tells whether an HTTP server answers on the port.
fn answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    let mut head = [0_u8; 5];
    stream.write_all(request).is_ok() && stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

fn keep_tail(mut stderr: impl Read, tail: &Mutex<VecDeque<u8>>) {
    let mut buf = [0_u8; 1024];
    while let Ok(n) = stderr.read(&mut buf) {
        if n == 0 {
            return;
        }
        let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
        tail.extend(&buf[..n]);
        let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
        tail.drain(..excess);
    }
}

/// Chooses what a [`FaultProxy`] does with the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Forward every request.
    None,
    /// Answer 400 `ThrottlingException`, as AWS does when a quota is exceeded.
    Throttle,
    /// Answer 500 `InternalServiceError`.
    ServerError,
    /// Close the connection without answering.
    Drop,
}

/// Forwards AWS JSON requests to an upstream endpoint on loopback, counts them by action,
/// and injects faults on demand; stops when dropped.
///
/// Point the code under test at [`FaultProxy::endpoint`] instead of the emulator's. Each
/// connection carries one request and is closed after the answer.
///
/// # Examples
///
/// ```no_run
/// use zt_testkit::{Fault, FaultProxy, MotoServer};
///
/// let moto = MotoServer::start()?;
/// let proxy = FaultProxy::start(&moto.endpoint())?;
/// // Point the code under test at proxy.endpoint(), then:
/// proxy.set_fault(Fault::Throttle);
/// assert_eq!(proxy.calls_to("DescribeSecret"), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<ProxyShared>,
}

#[derive(Debug)]
struct ProxyShared {
    upstream: SocketAddr,
    fault: Mutex<Fault>,
    calls: Mutex<Vec<String>>,
    stopped: AtomicBool,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream`
    /// (`http://127.0.0.1:PORT`).
    ///
    /// # Errors
    ///
    /// Returns an error when `upstream` is not a loopback `http` URL with a port, or no port
    /// can be bound.
    pub fn start(upstream: &str) -> io::Result<Self> {
        let upstream = loopback_addr(upstream)?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(ProxyShared {
            upstream,
            fault: Mutex::new(Fault::None),
            calls: Mutex::default(),
            stopped: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stopped.load(Ordering::Acquire) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accepting);
                thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        Ok(Self { addr, shared })
    }

    /// Returns the proxy's endpoint URL.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sets what happens to the following requests.
    pub fn set_fault(&self, fault: Fault) {
        *self
            .shared
            .fault
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = fault;
    }

    /// Returns how many requests arrived, faulted ones included.
    #[must_use]
    pub fn calls(&self) -> usize {
        self.shared.calls().len()
    }

    /// Returns how many requests named `action` (`DescribeSecret`, `GetParameter`) arrived.
    #[must_use]
    pub fn calls_to(&self, action: &str) -> usize {
        self.shared.calls().iter().filter(|a| *a == action).count()
    }

    /// Returns the actions of every request so far, in order.
    #[must_use]
    pub fn actions(&self) -> Vec<String> {
        self.shared.calls().clone()
    }

    /// Forgets the requests counted so far.
    pub fn reset_calls(&self) {
        self.shared.calls().clear();
    }
}

impl ProxyShared {
    fn calls(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::Release);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn loopback_addr(url: &str) -> io::Result<SocketAddr> {
    let invalid = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{url}` is not an http://127.0.0.1:PORT URL"),
        )
    };
    let rest = url.strip_prefix("http://").ok_or_else(invalid)?;
    let host_port = rest.trim_end_matches('/');
    let addr: SocketAddr = host_port.parse().map_err(|_| invalid())?;
    if !addr.ip().is_loopback() {
        return Err(invalid());
    }
    Ok(addr)
}

/// Reads one request, then answers it with the fault or the upstream's answer.
fn serve(client: TcpStream, shared: &ProxyShared) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut content_length = 0_usize;
    let mut action = String::from("unknown");
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        head.extend_from_slice(line.as_bytes());
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("x-amz-target") {
                action = value.rsplit('.').next().unwrap_or(value).to_owned();
            }
        }
    }
    let mut body = vec![0_u8; content_length];
    reader.read_exact(&mut body)?;
    shared.calls().push(action);

    let fault = *shared.fault.lock().unwrap_or_else(PoisonError::into_inner);
    let mut client = client;
    match fault {
        Fault::None => forward(&head, &body, shared.upstream, &mut client)?,
        Fault::Throttle => answer(&mut client, 400, "ThrottlingException", "Rate exceeded")?,
        Fault::ServerError => answer(&mut client, 500, "InternalServiceError", "injected")?,
        Fault::Drop => {}
    }
    client.shutdown(Shutdown::Both)
}

fn forward(
    head: &[u8],
    body: &[u8],
    upstream: SocketAddr,
    client: &mut TcpStream,
) -> io::Result<()> {
    let mut server = TcpStream::connect_timeout(&upstream, Duration::from_secs(2))?;
    server.set_read_timeout(Some(Duration::from_secs(10)))?;
    server.write_all(head)?;
    server.write_all(body)?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer)?;
    client.write_all(&answer)
}

fn answer(client: &mut TcpStream, status: u16, code: &str, message: &str) -> io::Result<()> {
    let body = format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}");
    let reason = if status == 500 {
        "Internal Server Error"
    } else {
        "Bad Request"
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         x-amzn-ErrorType: {code}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(response.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_moto_server_fails_with_the_install_command() {
        let error = locate(Some(OsString::from("/nonexistent"))).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert!(error.to_string().contains("pip install 'moto[server]'"));
        assert!(locate(None).is_err());
    }

    #[test]
    fn only_loopback_upstreams_are_accepted() {
        assert!(loopback_addr("http://127.0.0.1:4566").is_ok());
        assert!(loopback_addr("http://127.0.0.1:4566/").is_ok());
        assert!(loopback_addr("http://10.0.0.1:4566").is_err());
        assert!(loopback_addr("https://127.0.0.1:4566").is_err());
        assert!(loopback_addr("http://127.0.0.1").is_err());
    }
}
