//! Keys in the OS keyring: the keyring crate's mock store behind our
//! get/set/delete, the order keys are found in (flag, environment, keyring,
//! config), `orchat key set|delete` against a store, and the real binary on
//! a machine with no keyring service (one clear line, other sources work).

use std::cell::RefCell;
use std::collections::HashMap;

use clap::Parser;
use orchat::cli::{Cli, KeyCommand};
use orchat::config::keyring::{self, KeyStore};

#[test]
fn the_crates_mock_store_sets_gets_and_deletes() {
    keyring::set_mock_for_tests();
    let e = ::keyring::Entry::new(keyring::SERVICE, "openrouter").unwrap();
    assert_eq!(keyring::get_from(&e), Ok(None));
    keyring::set_on(&e, "sk-or-v1-abc").unwrap();
    assert_eq!(keyring::get_from(&e), Ok(Some("sk-or-v1-abc".into())));
    assert_eq!(keyring::delete_on(&e), Ok(true));
    assert_eq!(keyring::delete_on(&e), Ok(false));
    // A store that fails says so in a user's words.
    let mock: &::keyring::mock::MockCredential = e.get_credential().downcast_ref().unwrap();
    mock.set_error(::keyring::Error::NoStorageAccess("locked".into()));
    let err = keyring::get_from(&e).unwrap_err();
    assert!(
        err.starts_with("no keyring service is running here"),
        "{err}"
    );
}

#[derive(Default)]
struct Memory(RefCell<HashMap<String, String>>, bool);

impl KeyStore for Memory {
    fn get(&self, p: &str) -> Result<Option<String>, String> {
        if self.1 {
            return Err("no keyring service is running here".into());
        }
        Ok(self.0.borrow().get(p).cloned())
    }
    fn set(&self, p: &str, k: &str) -> Result<(), String> {
        self.0.borrow_mut().insert(p.into(), k.into());
        Ok(())
    }
    fn delete(&self, p: &str) -> Result<bool, String> {
        Ok(self.0.borrow_mut().remove(p).is_some())
    }
}

fn resolve(
    cli: &[&str],
    cfg: &orchat::config::Config,
    store: &dyn KeyStore,
) -> Option<(String, String)> {
    let cli = Cli::try_parse_from(std::iter::once("orchat").chain(cli.iter().copied())).unwrap();
    let p = cfg.provider_for("openrouter").unwrap();
    orchat::cli::connect::resolve_key(&cli, cfg, "openrouter", &p, store)
        .unwrap()
        .map(|(k, from)| (k.expose().to_string(), from))
}

#[test]
fn keys_are_found_flag_then_environment_then_keyring_then_config() {
    // One test touches the process environment, in order.
    let cfg = orchat::config::Config::parse_str(
        "[providers.openrouter]\napi_key_cmd = \"echo sk-from-config\"\n",
        std::path::Path::new("config.toml"),
    )
    .unwrap();
    let store = Memory::default();
    store.set("openrouter", "sk-from-keyring").unwrap();
    unsafe {
        std::env::set_var("OPENROUTER_API_KEY", "sk-from-env");
        std::env::set_var("MY_KEY", "sk-from-flag");
    }
    assert_eq!(
        resolve(&["--api-key-env", "MY_KEY"], &cfg, &store),
        Some(("sk-from-flag".into(), "MY_KEY".into()))
    );
    assert_eq!(
        resolve(&[], &cfg, &store),
        Some(("sk-from-env".into(), "OPENROUTER_API_KEY".into()))
    );
    unsafe { std::env::remove_var("OPENROUTER_API_KEY") };
    assert_eq!(
        resolve(&[], &cfg, &store),
        Some(("sk-from-keyring".into(), "the system keyring".into()))
    );
    store.delete("openrouter").unwrap();
    assert_eq!(
        resolve(&[], &cfg, &store),
        Some(("sk-from-config".into(), "api_key_cmd".into()))
    );
    // No keyring service: the config still answers.
    let broken = Memory(RefCell::default(), true);
    assert_eq!(
        resolve(&[], &cfg, &broken),
        Some(("sk-from-config".into(), "api_key_cmd".into()))
    );
}

#[test]
fn key_set_and_delete_against_a_store() {
    let store = Memory::default();
    let mut input = std::io::Cursor::new(b"  sk-or-v1-typed  \n".to_vec());
    assert_eq!(
        orchat::cli::key::run(
            KeyCommand::Set { provider: None },
            "openrouter",
            &store,
            &mut input
        ),
        0
    );
    assert_eq!(store.get("openrouter"), Ok(Some("sk-or-v1-typed".into())));
    let mut empty = std::io::Cursor::new(b"\n".to_vec());
    assert_eq!(
        orchat::cli::key::run(
            KeyCommand::Set { provider: None },
            "openrouter",
            &store,
            &mut empty
        ),
        1
    );
    assert_eq!(
        store.get("openrouter"),
        Ok(Some("sk-or-v1-typed".into())),
        "kept"
    );
    let mut none = std::io::Cursor::new(Vec::new());
    assert_eq!(
        orchat::cli::key::run(
            KeyCommand::Delete { provider: None },
            "openrouter",
            &store,
            &mut none
        ),
        0
    );
    assert_eq!(store.get("openrouter"), Ok(None));
}

#[test]
fn without_a_keyring_service_the_binary_says_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_orchat"))
        .args(["key", "set", "--provider", "openrouter"])
        .env("ORCHAT_CONFIG", dir.path().join("none.toml"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"sk-or-v1-sentinel\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("orchat: not saved: no keyring service is running here"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("sentinel"), "the key is never printed");
}
