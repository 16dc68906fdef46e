//! A source that reads a file, for secrets mounted into a container.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use async_trait::async_trait;

use super::value::ContentVersions;
use super::{SecretSource, SecretValue, SecretVersion, SecretVersions, SourceError};
use crate::ConfigError;

/// Caps the size of a secret file; secrets are keys and passwords, not documents.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Reads a secret from a file, re-reading it only when its metadata changes.
///
/// Made for secrets mounted by an orchestrator (a Kubernetes secret volume, a Docker secret),
/// which are replaced on rotation. Each fetch compares the file's modification time, size and
/// inode with the last read; only a change causes a read, and only different content makes a
/// new version (`file#1`, `file#2`, …). The version current before the last change is kept as
/// previous, so callers still using it are accepted.
///
/// # Security
///
/// Files larger than 64 KiB and empty files are refused. One trailing newline (`\n` or
/// `\r\n`) is removed by default, since editors and `echo` add one; see
/// [`FileSource::keep_trailing_newline`].
///
/// # Limitations
///
/// The previous version lives only in this process: after a restart, only the file's content
/// is known. A pending version is never reported.
#[derive(Debug)]
pub struct FileSource {
    path: PathBuf,
    trim_newline: bool,
    state: Arc<Mutex<FileState>>,
}

#[derive(Debug)]
struct FileState {
    stamp: Option<Stamp>,
    ids: ContentVersions,
    current: Option<SecretVersion>,
    previous: Option<SecretVersion>,
}

/// What identifies one content of the file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    fn of(metadata: &fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Self {
            modified: metadata.modified().ok(),
            len: metadata.len(),
            inode,
        }
    }
}

impl FileSource {
    /// Reads the secret from `path`.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::Invalid`] for `file_source.path` when the path is empty. A
    /// missing file is not a configuration error: it may be mounted later.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let path = path.into();
        if path.as_os_str().is_empty() {
            return Err(ConfigError::Invalid {
                setting: "file_source.path".to_owned(),
                problem: "must not be empty".to_owned(),
            });
        }
        Ok(Self {
            path,
            trim_newline: true,
            state: Arc::new(Mutex::new(FileState {
                stamp: None,
                ids: ContentVersions::new("file#"),
                current: None,
                previous: None,
            })),
        })
    }

    /// Keeps the file's bytes exactly, trailing newline included.
    #[must_use]
    pub fn keep_trailing_newline(mut self) -> Self {
        self.trim_newline = false;
        self
    }

    /// Returns the path read.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl SecretSource for FileSource {
    fn kind(&self) -> &'static str {
        "file"
    }

    async fn fetch(&self, _cached: Option<&SecretVersions>) -> Result<SecretVersions, SourceError> {
        let path = self.path.clone();
        let trim = self.trim_newline;
        let state = Arc::clone(&self.state);
        tokio::task::spawn_blocking(move || read_if_changed(&path, trim, &state))
            .await
            .map_err(|error| SourceError::Other(format!("the file reader task failed: {error}")))?
    }
}

fn read_if_changed(
    path: &Path,
    trim: bool,
    state: &Mutex<FileState>,
) -> Result<SecretVersions, SourceError> {
    let io = |source| SourceError::Io {
        path: path.to_owned(),
        source,
    };
    let stamp = Stamp::of(&fs::metadata(path).map_err(io)?);
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    if let (Some(current), true) = (&state.current, state.stamp == Some(stamp)) {
        return Ok(SecretVersions::new(current.clone()).with_previous(state.previous.clone()));
    }

    let file = fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_FILE_BYTES {
        zeroize::Zeroize::zeroize(&mut bytes);
        return Err(SourceError::Invalid(format!(
            "{} is larger than {MAX_FILE_BYTES} bytes",
            path.display()
        )));
    }
    if trim {
        trim_one_newline(&mut bytes);
    }
    if bytes.is_empty() {
        return Err(SourceError::Invalid(format!("{} is empty", path.display())));
    }

    let value = match String::from_utf8(bytes) {
        Ok(text) => SecretValue::from_text(text),
        Err(error) => SecretValue::from_bytes(error.into_bytes()),
    };
    let version = state.ids.version(value);
    let changed = state
        .current
        .as_ref()
        .is_some_and(|current| current.id() != version.id());
    if changed {
        state.previous = state.current.take();
    }
    state.current = Some(version.clone());
    state.stamp = Some(stamp);
    Ok(SecretVersions::new(version).with_previous(state.previous.clone()))
}

fn trim_one_newline(bytes: &mut Vec<u8>) {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_trimmed() {
        for (input, expected) in [
            (&b"abc\n"[..], &b"abc"[..]),
            (b"abc\r\n", b"abc"),
            (b"abc\n\n", b"abc\n"),
            (b"abc", b"abc"),
        ] {
            let mut bytes = input.to_vec();
            trim_one_newline(&mut bytes);
            assert_eq!(bytes, expected);
        }
    }
}
