//! Reading and writing a key ring kept in a file.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use zt_core::verify::api_key::RingDocument;

/// Reads the ring at `path`; a missing file is an empty ring when `creating`, else an error.
pub(crate) fn load(path: &Path, creating: bool) -> Result<RingDocument, String> {
    match fs::read(path) {
        Ok(bytes) => {
            RingDocument::from_json(&bytes).map_err(|e| format!("--ring {}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && creating => Ok(RingDocument {
            version: 1,
            keys: Vec::new(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "--ring {}: no such ring file (zt keys create makes one)",
            path.display()
        )),
        Err(e) => Err(format!("--ring {}: cannot read: {e}", path.display())),
    }
}

/// Writes the ring to `path` atomically (a temporary file renamed over it), readable by
/// its owner only.
pub(crate) fn save(path: &Path, doc: &RingDocument) -> Result<(), String> {
    let tmp = temporary_path(path);
    let write = || -> std::io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(doc.to_json().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| format!("--ring {}: cannot write: {e}", path.display()))
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}
