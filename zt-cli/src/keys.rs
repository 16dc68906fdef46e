//! `zt keys`: create, list, disable and rotate API keys.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use secrecy::ExposeSecret as _;
use zt_core::verify::api_key::{KeyRecord, NewKey, RingDocument};

use crate::ring_store::RingLocation;

/// Longest lifetime a key may be given.
const MAX_LIFETIME: Duration = Duration::from_secs(2 * 365 * 24 * 3600);

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Issues a key and prints it once; the ring stores only its hash.
    Create(CreateArgs),
    /// Lists the ring's keys (ids, scopes, expiry, state; never secrets).
    List(ListArgs),
    /// Switches a key off at once.
    Disable(IdArgs),
    /// Issues a successor with the same scopes and owner; the old key expires after the
    /// overlap, so holders can switch without downtime.
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct Ring {
    /// Where the ring is kept: a file (created when missing), `secretsmanager:<secret id>`
    /// or `ssm:<parameter name>` (which must exist).
    #[arg(long, value_name = "LOCATION", value_parser = RingLocation::parse)]
    ring: RingLocation,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    ring: Ring,
    /// Space-separated scopes the key grants, e.g. "export reports:read".
    #[arg(long)]
    scopes: String,
    /// How long the key works, e.g. 90d or 12h (at most two years).
    #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
    expires_in: Duration,
    /// Who holds the key (a partner, a team).
    #[arg(long)]
    owner: String,
    /// What the key is for.
    #[arg(long, default_value = "")]
    description: String,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    ring: Ring,
    /// Prints JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct IdArgs {
    #[command(flatten)]
    ring: Ring,
    /// The key id (the 12 characters after `ztk_`).
    id: String,
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    #[command(flatten)]
    ring: Ring,
    /// The key id to replace.
    id: String,
    /// How long the old key keeps working, e.g. 7d.
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    overlap: Duration,
    /// How long the new key works; defaults to the old key's lifetime.
    #[arg(long, value_parser = humantime::parse_duration)]
    expires_in: Option<Duration>,
}

pub(crate) fn run(command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Create(args) => create(args),
        KeysCommand::List(args) => list(&args),
        KeysCommand::Disable(args) => disable(&args),
        KeysCommand::Rotate(args) => rotate(&args),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn create(args: CreateArgs) -> Result<(), String> {
    let scopes: Vec<String> = args
        .scopes
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err("--scopes: give at least one scope; keys are scoped by policy".into());
    }
    if args.owner.trim().is_empty() {
        return Err("--owner: say who holds the key".into());
    }
    check_lifetime("--expires-in", args.expires_in)?;

    let mut doc = args.ring.ring.load(true)?;
    let key = issue(
        &mut doc,
        scopes,
        args.expires_in,
        args.owner,
        args.description,
    );
    args.ring.ring.save(&doc)?;
    print_new_key(&key, "created");
    Ok(())
}

fn issue(
    doc: &mut RingDocument,
    scopes: Vec<String>,
    lifetime: Duration,
    owner: String,
    description: String,
) -> NewKey {
    let key = NewKey::generate();
    let now = now();
    doc.keys.push(KeyRecord {
        id: key.id().to_owned(),
        hash: key.hash(),
        scopes,
        not_before: None,
        expires_at: now + lifetime.as_secs(),
        disabled: false,
        owner,
        description,
        created_at: Some(now),
    });
    key
}

fn print_new_key(key: &NewKey, verb: &str) {
    eprintln!("key {} {verb}; it is shown once, store it now:", key.id());
    println!("{}", key.key().expose_secret());
}

fn list(args: &ListArgs) -> Result<(), String> {
    let doc = args.ring.ring.load(false)?;
    if args.json {
        let rows: Vec<_> = doc
            .keys
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "owner": r.owner, "scopes": r.scopes, "expires_at": r.expires_at,
                    "disabled": r.disabled, "state": state(r), "description": r.description,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    println!(
        "{:<12}  {:<8}  {:<20}  {:<20}  SCOPES",
        "ID", "STATE", "EXPIRES", "OWNER"
    );
    for r in &doc.keys {
        let expires = UNIX_EPOCH
            .checked_add(Duration::from_secs(r.expires_at))
            .map_or_else(
                || "never".to_owned(),
                |t| humantime::format_rfc3339_seconds(t).to_string(),
            );
        println!(
            "{:<12}  {:<8}  {:<20}  {:<20}  {}",
            r.id,
            state(r),
            expires,
            r.owner,
            r.scopes.join(" ")
        );
    }
    Ok(())
}

fn state(record: &KeyRecord) -> &'static str {
    if record.disabled {
        "disabled"
    } else if record.expires_at <= now() {
        "expired"
    } else {
        "active"
    }
}

fn disable(args: &IdArgs) -> Result<(), String> {
    let mut doc = args.ring.ring.load(false)?;
    let record = find(&mut doc, &args.id)?;
    record.disabled = true;
    args.ring.ring.save(&doc)?;
    eprintln!("key {} disabled", args.id);
    Ok(())
}

fn rotate(args: &RotateArgs) -> Result<(), String> {
    check_lifetime("--overlap", args.overlap)?;
    let mut doc = args.ring.ring.load(false)?;
    let now = now();
    let old = find(&mut doc, &args.id)?;
    if old.disabled {
        return Err(format!(
            "key {} is disabled; create a new key instead",
            args.id
        ));
    }
    let lifetime = args.expires_in.unwrap_or_else(|| {
        Duration::from_secs(
            old.expires_at
                .saturating_sub(old.created_at.unwrap_or(now))
                .max(86_400),
        )
    });
    check_lifetime("--expires-in", lifetime)?;
    old.expires_at = old.expires_at.min(now + args.overlap.as_secs());
    let (scopes, owner, description) = (
        old.scopes.clone(),
        old.owner.clone(),
        old.description.clone(),
    );

    let key = issue(&mut doc, scopes, lifetime, owner, description);
    args.ring.ring.save(&doc)?;
    print_new_key(&key, &format!("issued to replace {}", args.id));
    Ok(())
}

fn find<'a>(doc: &'a mut RingDocument, id: &str) -> Result<&'a mut KeyRecord, String> {
    doc.keys
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or_else(|| format!("no key with id `{id}` in the ring"))
}

fn check_lifetime(flag: &str, lifetime: Duration) -> Result<(), String> {
    if lifetime.is_zero() || lifetime > MAX_LIFETIME {
        return Err(format!(
            "{flag}: must be between 1s and 2 years; keys are time-limited"
        ));
    }
    Ok(())
}
