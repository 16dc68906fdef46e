//! Child processes whose output is collected, and which are killed on drop.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{sleep, timeout_at, Instant};

/// A child process whose standard output and error are collected; killed on drop.
pub(crate) struct Process {
    name: &'static str,
    child: Child,
    output: Arc<Mutex<String>>,
    stdout_lines: mpsc::UnboundedReceiver<String>,
}

impl Process {
    /// Spawns the command with piped standard streams and starts collecting its output.
    pub(crate) fn spawn(name: &'static str, mut command: Command) -> Result<Self, String> {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|error| {
            format!(
                "cannot start {name} ({}): {error}",
                command.get_program().display()
            )
        })?;

        let output = Arc::new(Mutex::new(String::new()));
        let (lines, stdout_lines) = mpsc::unbounded_channel();

        let stdout = child.stdout.take().unwrap();
        let stdout_output = Arc::clone(&output);
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                push_line(&stdout_output, &line);
                let _ = lines.send(line);
            }
        });

        let stderr = child.stderr.take().unwrap();
        let stderr_output = Arc::clone(&output);
        thread::spawn(move || collect_lines(stderr, &stderr_output));

        Ok(Self {
            name,
            child,
            output,
            stdout_lines,
        })
    }

    /// Waits for a line of standard output that `parse` accepts.
    pub(crate) async fn wait_for_line<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut parse: impl FnMut(&str) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            match timeout_at(deadline, self.stdout_lines.recv()).await {
                Ok(Some(line)) => {
                    if let Some(value) = parse(&line) {
                        return Ok(value);
                    }
                }
                Ok(None) => {
                    let status = self.exit_status().await;
                    return Err(format!(
                        "{} closed its output ({status}) without printing {what}; its output:\n{}",
                        self.name,
                        self.output()
                    ));
                }
                Err(_) => {
                    return Err(format!(
                        "{} printed no {what} within {timeout:?}; its output:\n{}",
                        self.name,
                        self.output()
                    ));
                }
            }
        }
    }

    async fn exit_status(&mut self) -> String {
        for _ in 0..20 {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    // Lets the standard error reader catch up before the output is read.
                    sleep(Duration::from_millis(100)).await;
                    return status.to_string();
                }
                Ok(None) => sleep(Duration::from_millis(100)).await,
                Err(error) => return format!("exit status unknown: {error}"),
            }
        }
        "still running".to_owned()
    }

    /// Everything the process printed so far, standard output and error interleaved.
    pub(crate) fn output(&self) -> String {
        let output = self.output.lock().unwrap().clone();
        if output.is_empty() {
            "(nothing)".to_owned()
        } else {
            output
        }
    }

    /// Asserts that no token (nor its signature alone) appears in what the process printed.
    pub(crate) fn assert_output_hides(&self, secrets: &[&str]) {
        // Lets the reader threads take in what was logged for the last request.
        thread::sleep(Duration::from_millis(200));
        let output = self.output();
        for secret in secrets {
            let signature = secret.rsplit('.').next().unwrap_or(secret);
            for needle in [*secret, signature] {
                if needle.len() >= 16 {
                    assert!(
                        !output.contains(needle),
                        "{} printed a credential to its logs",
                        self.name
                    );
                }
            }
        }
    }

    /// Kills the process and reaps it.
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
        if thread::panicking() {
            // The test failed: its report shows what the process logged.
            eprintln!("---- {} output ----\n{}", self.name, self.output());
        }
    }
}

fn push_line(output: &Mutex<String>, line: &str) {
    let mut output = output
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    output.push_str(line);
    output.push('\n');
}

fn collect_lines(stream: impl Read, output: &Mutex<String>) {
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        push_line(output, &line);
    }
}
