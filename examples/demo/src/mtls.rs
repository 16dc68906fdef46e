//! The client-certificate listener's material: the operator's files, or a development CA
//! made at startup with a client certificate ready for curl.

use std::path::{Path, PathBuf};
use std::time::Duration;

use zt_actix::MtlsSettings;
use zt_testkit::TestCa;

use crate::settings::MtlsFiles;

/// How long the development CRLs stay current; the demo reloads nothing on its own.
const DEV_CRL_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// The development CA's files, for the printed curl command.
pub(crate) struct DevCa {
    pub(crate) ca: PathBuf,
    pub(crate) client_cert: PathBuf,
    pub(crate) client_key: PathBuf,
    /// The directory holding them, removed when the demo exits normally.
    _dir: tempfile::TempDir,
}

/// Returns the mTLS settings, making a development CA in a fresh temporary directory when
/// no files are configured.
pub(crate) fn settings(files: Option<MtlsFiles>) -> Result<(MtlsSettings, Option<DevCa>), String> {
    if let Some(files) = files {
        let settings = MtlsSettings::from_files(files.ca, files.crl, files.cert, files.key);
        return Ok((settings, None));
    }

    // A new directory of a random name, readable by its owner only: never one left behind
    // by an earlier run, nor one another user prepared.
    let dir = tempfile::Builder::new()
        .prefix("zt-demo-mtls-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary directory for the development CA: {e}"))?;
    let path = dir.path().to_owned();
    let (settings, dev) = dev_ca(&path, dir)
        .map_err(|e| format!("cannot write the development CA to {}: {e}", path.display()))?;
    Ok((settings, Some(dev)))
}

fn dev_ca(dir: &Path, keep: tempfile::TempDir) -> std::io::Result<(MtlsSettings, DevCa)> {
    let ca = TestCa::named(
        "zt-demo development root",
        "zt-demo development intermediate",
    );
    let files = ca.write_mtls_files(dir)?;
    files.replace_crls(&[
        ca.root_crl().valid_for(DEV_CRL_LIFETIME).sign(),
        ca.crl().valid_for(DEV_CRL_LIFETIME).sign(),
    ])?;

    let client = ca.client().issue();
    let dev = DevCa {
        ca: files.ca.clone(),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
        _dir: keep,
    };
    std::fs::write(&dev.client_cert, client.chain_pem())?;
    std::fs::write(&dev.client_key, client.key_pem().as_bytes())?;
    owner_only(&dev.client_key)?;
    owner_only(&files.key)?;

    let settings = MtlsSettings::from_files(files.ca, files.crl, files.cert, files.key);
    Ok((settings, dev))
}

#[cfg(unix)]
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;

    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn owner_only(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
