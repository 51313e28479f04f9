//! Keys in the operating system's keyring (Secret Service, macOS Keychain,
//! Windows Credential Manager, through the keyring crate): one entry per
//! provider under the service "orchat". Read after the flags and the
//! environment, before the config. Where no keyring service runs, reading
//! finds nothing (quietly: the other sources still work) and `orchat key`
//! says so in one line.

/// The keyring's service name for orchat's entries.
pub const SERVICE: &str = "orchat";

/// Where keys are kept: the system keyring, or a test's.
pub trait KeyStore {
    /// The key saved for `provider`; `Ok(None)` when there is none.
    fn get(&self, provider: &str) -> Result<Option<String>, String>;
    fn set(&self, provider: &str, key: &str) -> Result<(), String>;
    /// Whether there was one to delete.
    fn delete(&self, provider: &str) -> Result<bool, String>;
}

/// The operating system's keyring.
pub struct SystemKeyring;

fn entry(provider: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(SERVICE, provider).map_err(describe)
}

/// `ORCHAT_KEYRING=off`: the keyring is not read (tests, and machines
/// where asking it would prompt).
fn off() -> bool {
    std::env::var("ORCHAT_KEYRING").is_ok_and(|v| v == "off")
}

impl KeyStore for SystemKeyring {
    fn get(&self, provider: &str) -> Result<Option<String>, String> {
        if off() {
            return Ok(None);
        }
        get_from(&entry(provider)?)
    }
    fn set(&self, provider: &str, key: &str) -> Result<(), String> {
        set_on(&entry(provider)?, key)
    }
    fn delete(&self, provider: &str) -> Result<bool, String> {
        delete_on(&entry(provider)?)
    }
}

/// An entry's key (`None`: no entry).
pub fn get_from(e: &keyring::Entry) -> Result<Option<String>, String> {
    match e.get_password() {
        Ok(k) => Ok(Some(k)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(describe(err)),
    }
}

pub fn set_on(e: &keyring::Entry, key: &str) -> Result<(), String> {
    e.set_password(key).map_err(describe)
}

pub fn delete_on(e: &keyring::Entry) -> Result<bool, String> {
    match e.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(err) => Err(describe(err)),
    }
}

/// A keyring error in a user's words (never the key itself: the crate's
/// errors do not carry it).
fn describe(e: keyring::Error) -> String {
    match e {
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            "no keyring service is running here (on Linux, a Secret Service such as GNOME Keyring or KWallet); use the environment variable or the config's api_key_cmd".to_string()
        }
        keyring::Error::BadEncoding(_) => "the saved key is not valid text".to_string(),
        keyring::Error::TooLong(what, max) => format!("the {what} is longer than {max}"),
        keyring::Error::Invalid(what, why) => format!("the keyring refused the {what}: {why}"),
        keyring::Error::Ambiguous(_) => "the keyring holds several orchat entries for this provider".to_string(),
        other => format!("the keyring failed: {other}"),
    }
}

/// Makes every entry the keyring crate creates from now on its in-memory
/// mock (tests only: nothing is persisted, each entry holds its own key).
pub fn set_mock_for_tests() {
    keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
}
