//! The configuration: layering, every validation message (one fixture file
//! per bad config), the example file, redaction and api_key_cmd.
//!
//! No test mutates the process environment: the environment layer takes a
//! function, so each test passes its own.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyModifiers};
use orchat::api::ProviderKind;
use orchat::config::{
    Config, ConfigCommand, Flags, PathOrigin, config_command_with, light_theme, permission_warning,
    run_key_cmd,
};
use orchat::keymap::parse_chord;
use ratatui::style::{Color, Modifier};
use rust_decimal::Decimal;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml")
}

/// An environment holding only these variables.
fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn write_config(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let p = dir.path().join("config.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// The one-line error a fixture produces.
fn error_of(name: &str) -> String {
    let e = Config::load_with(Some(&fixture(name)), &no_env)
        .expect_err(&format!("{name} should not load"));
    let msg = e.to_string();
    // Every message is a single line, so it fits a status line and a log line.
    assert!(!msg.contains('\n'), "{name}: not one line: {msg}");
    // It names the file.
    assert!(msg.contains(name), "{name}: file not named: {msg}");
    msg
}

// --- validation messages, one fixture each ---------------------------------

#[test]
fn bad_type_names_line_column_key_and_expectation() {
    let msg = error_of("bad_type.toml");
    assert!(
        msg.ends_with(
            "bad_type.toml line 4, column 14: max_tokens: expected a whole number from 0 to 4294967295, found a string"
        ),
        "{msg}"
    );
    // The string's content is not echoed: a misplaced key would leak.
    assert!(!msg.contains("lots"), "{msg}");
}

#[test]
fn unknown_key_is_caught_with_a_suggestion() {
    let msg = error_of("unknown_key.toml");
    assert!(
        msg.ends_with(
            "unknown_key.toml line 4, column 1: budget.per_conversaton_usd: unknown key \"per_conversaton_usd\"; did you mean \"per_conversation_usd\"?"
        ),
        "{msg}"
    );
}

#[test]
fn negative_budget_is_rejected() {
    let msg = error_of("bad_budget.toml");
    assert!(
        msg.ends_with(
            "bad_budget.toml line 4, column 15: budget.per_day_usd: expected an amount of 0 or more, found -2.50"
        ),
        "{msg}"
    );
}

#[test]
fn unknown_theme_lists_the_known_ones() {
    let msg = error_of("bad_theme.toml");
    assert!(
        msg.ends_with(
            "bad_theme.toml line 2, column 9: theme: expected dark, light, solarized (or a [themes.NAME] table), found \"solarised\""
        ),
        "{msg}"
    );
}

#[test]
fn bad_colour_in_a_custom_theme_names_the_style() {
    let msg = error_of("bad_theme_colour.toml");
    assert!(
        msg.contains(
            "bad_theme_colour.toml line 4, column 14: themes.mine.user_label: expected a colour"
        ),
        "{msg}"
    );
    assert!(msg.contains("found \"purpleish\""), "{msg}");
}

#[test]
fn bad_key_chord_names_the_action_and_the_key() {
    let msg = error_of("bad_key_chord.toml");
    assert!(
        msg.contains(
            "bad_key_chord.toml line 4, column 15: keys.open_picker: expected a character, f1-f24"
        ),
        "{msg}"
    );
    assert!(msg.ends_with("found \"pp\" in \"ctrl+pp\""), "{msg}");
}

#[test]
fn unknown_action_is_named() {
    let msg = error_of("unknown_action.toml");
    assert!(
        msg.ends_with(
            "unknown_action.toml line 3, column 14: keys.open_pickr: unknown action \"open_pickr\"; did you mean \"open_picker\"?"
        ),
        "{msg}"
    );
}

#[test]
fn bad_reasoning_says_what_is_allowed() {
    let msg = error_of("bad_reasoning.toml");
    assert!(
        msg.ends_with(
            "bad_reasoning.toml line 3, column 13: reasoning: expected off, low, medium, high or a token budget, found \"extreme\""
        ),
        "{msg}"
    );
}

#[test]
fn toml_syntax_error_points_at_the_line() {
    let msg = error_of("bad_toml_syntax.toml");
    assert!(
        msg.contains("bad_toml_syntax.toml line 4, column ")
            && msg.contains(": budget.per_day_usd: invalid TOML: "),
        "{msg}"
    );
}

#[test]
fn unknown_provider_kind_lists_the_kinds() {
    let msg = error_of("unknown_provider_kind.toml");
    assert!(
        msg.ends_with(
            "unknown_provider_kind.toml line 4, column 8: providers.local.kind: expected one of `openrouter`, `aimlapi`, `google`, `openai`, found `ollama`"
        ),
        "{msg}"
    );
}

#[test]
fn temperature_out_of_range_is_rejected() {
    let msg = error_of("bad_temperature.toml");
    assert!(
        msg.ends_with(
            "bad_temperature.toml line 2, column 15: temperature: expected a number from 0 to 2, found 2.5"
        ),
        "{msg}"
    );
}

#[test]
fn a_wrong_table_type_and_an_unknown_provider_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_config(&dir, "budget = 5\n");
    let msg = Config::load_with(Some(&p), &no_env)
        .unwrap_err()
        .to_string();
    assert!(
        msg.ends_with("line 1, column 10: budget: expected a table, found the integer 5"),
        "{msg}"
    );
    let p = write_config(&dir, "provider = \"nope\"\n");
    let msg = Config::load_with(Some(&p), &no_env)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("line 1, column 12: provider: expected openrouter, aimlapi, google"),
        "{msg}"
    );
    // A provider of one's own needs somewhere to send requests.
    let p = write_config(&dir, "[providers.mine]\nkind = \"openai\"\n");
    let msg = Config::load_with(Some(&p), &no_env)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("providers.mine: expected a base_url"), "{msg}");
}

// --- layering --------------------------------------------------------------

#[test]
fn layers_defaults_then_file_then_env_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    // Defaults only: an explicit file that is empty changes nothing.
    let empty = write_config(&dir, "");
    let d = Config::load_with(Some(&empty), &no_env).unwrap().config;
    assert_eq!(d, Config::default());
    assert_eq!(d.model, orchat::config::DEFAULT_MODEL);
    assert_eq!(d.provider, "openrouter");
    assert_eq!(d.theme, "dark");

    let path = write_config(
        &dir,
        "model = \"file/model\"\nmax_tokens = 100\ntheme = \"light\"\nreasoning = \"low\"\n",
    );
    // File over defaults.
    let f = Config::load_with(Some(&path), &no_env).unwrap();
    assert!(f.found);
    assert_eq!(f.origin, PathOrigin::Flag);
    assert_eq!(f.config.model, "file/model");
    assert_eq!(f.config.max_tokens, Some(100));
    assert_eq!(f.config.theme, "light");

    // Environment over the file, only where set.
    let env = env_of(&[("ORCHAT_MODEL", "env/model"), ("ORCHAT_THEME", "dark")]);
    let mut c = Config::load_with(Some(&path), &env).unwrap().config;
    assert_eq!(c.model, "env/model");
    assert_eq!(c.theme, "dark");
    assert_eq!(
        c.max_tokens,
        Some(100),
        "the file's value stays where env is unset"
    );

    // Flags over everything.
    c.apply_flags(&Flags {
        model: Some("flag/model".into()),
        max_tokens: Some(7),
        temperature: Some(0.7),
        ..Flags::default()
    })
    .unwrap();
    assert_eq!(c.model, "flag/model");
    assert_eq!(c.max_tokens, Some(7));
    // Kept as its decimal text: 0.7, not 0.699999988 (f32 widened).
    assert_eq!(c.temperature, Some(0.7));
    assert_eq!(
        c.reasoning.as_deref(),
        Some("low"),
        "unset flags keep the file's value"
    );
}

#[test]
fn a_number_out_of_range_gets_a_clean_message() {
    let dir = tempfile::tempdir().unwrap();
    for (text, want) in [
        (
            "max_tokens = 99999999999999999999999\n",
            "max_tokens: expected a whole number from 0 to 4294967295, found 99999999999999999999999, which is out of range",
        ),
        (
            "max_tokens = 9999999999\n",
            "max_tokens: expected a whole number from 0 to 4294967295, found the integer 9999999999",
        ),
        (
            "[budget]\nper_day_usd = 99999999999999999999999999999999\n",
            "budget.per_day_usd: expected an amount in USD such as 5 or \"0.50\", found 99999999999999999999999999999999, which is out of range",
        ),
    ] {
        let path = write_config(&dir, text);
        let msg = Config::load_with(Some(&path), &no_env)
            .unwrap_err()
            .to_string();
        assert!(msg.ends_with(want), "{msg}");
        assert!(!msg.contains("i128") && !msg.contains('`'), "{msg}");
    }
}

#[test]
fn a_file_that_is_no_configuration_is_refused_after_a_bounded_read() {
    let msg = Config::load_with(Some(std::path::Path::new("/dev/zero")), &no_env)
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "/dev/zero: not a configuration file: it is larger than 1 MiB"
    );
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("image.png");
    std::fs::write(&bin, b"\x89PNG\r\n\x1a\n\0\0\0").unwrap();
    let msg = Config::load_with(Some(&bin), &no_env)
        .unwrap_err()
        .to_string();
    assert!(
        msg.ends_with("not a configuration file: it holds binary data, not TOML text"),
        "{msg}"
    );
}

#[test]
fn env_and_flag_values_are_validated_and_named() {
    let env = env_of(&[("ORCHAT_MAX_TOKENS", "many")]);
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&dir, "");
    let msg = Config::load_with(Some(&path), &env)
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "environment variable ORCHAT_MAX_TOKENS: expected a non-negative integer, found \"many\""
    );
    let env = env_of(&[("ORCHAT_THEME", "neon")]);
    let msg = Config::load_with(Some(&path), &env)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("environment variable ORCHAT_THEME: expected dark, light"),
        "{msg}"
    );

    let mut c = Config::default();
    let e = c
        .apply_flags(&Flags {
            temperature: Some(3.0),
            ..Flags::default()
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "--temperature: expected a number from 0 to 2, found 3"
    );
    let e = c
        .apply_flags(&Flags {
            reasoning: Some("max".into()),
            ..Flags::default()
        })
        .unwrap_err();
    assert!(
        e.to_string().starts_with("--reasoning: expected off, low"),
        "{e}"
    );
}

#[test]
fn path_resolution_explicit_then_env_then_default() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_config(&dir, "model = \"from/flag\"\n");
    let b = dir.path().join("b.toml");
    std::fs::write(&b, "model = \"from/env\"\n").unwrap();
    let env = env_of(&[("ORCHAT_CONFIG", b.to_str().unwrap())]);

    // --config wins over ORCHAT_CONFIG.
    let l = Config::load_with(Some(&a), &env).unwrap();
    assert_eq!(
        (l.config.model.as_str(), l.origin),
        ("from/flag", PathOrigin::Flag)
    );
    // ORCHAT_CONFIG over the platform's file.
    let l = Config::load_with(None, &env).unwrap();
    assert_eq!(
        (l.config.model.as_str(), l.origin),
        ("from/env", PathOrigin::Env)
    );
    // Otherwise the platform's config directory.
    let (p, origin) = orchat::config::config_path(None, &no_env);
    assert_eq!(origin, PathOrigin::Default);
    assert!(p.unwrap().ends_with("orchat/config.toml"));

    // A file named explicitly must exist; so must one named by ORCHAT_CONFIG.
    let missing = dir.path().join("missing.toml");
    let msg = Config::load_with(Some(&missing), &no_env)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("missing.toml") && msg.contains("(from --config)"),
        "{msg}"
    );
    let env = env_of(&[("ORCHAT_CONFIG", missing.to_str().unwrap())]);
    let msg = Config::load_with(None, &env).unwrap_err().to_string();
    assert!(msg.contains("(from ORCHAT_CONFIG)"), "{msg}");
}

#[test]
fn budget_amounts_are_exact_decimals() {
    let dir = tempfile::tempdir().unwrap();
    // 0.30000000000000001 is the same f64 as 0.3: only a decimal parse of the
    // source text keeps the trailing 1.
    let p = write_config(
        &dir,
        "[budget]\nper_conversation_usd = 0.30000000000000001\nper_day_usd = \"12.345\"\n",
    );
    let c = Config::load_with(Some(&p), &no_env).unwrap().config;
    let (conv, day) = c.budget();
    assert_eq!(conv.unwrap().to_string(), "0.30000000000000001");
    assert_eq!(day, Some(Decimal::new(12345, 3)));

    let p = write_config(&dir, "[budget]\nper_day_usd = \"$5\"\n");
    let msg = Config::load_with(Some(&p), &no_env)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("line 2, column 15: budget.per_day_usd: expected an amount in USD"),
        "{msg}"
    );
}

// --- the example file ------------------------------------------------------

#[test]
fn example_config_loads_and_sets_what_it_says() {
    let l = Config::load_with(Some(&example()), &no_env).unwrap();
    let c = &l.config;
    assert_eq!(c.model, "google/gemini-2.5-flash");
    assert_eq!(
        c.budget(),
        (Some(Decimal::new(50, 2)), Some(Decimal::from(5)))
    );
    assert_eq!(
        c.providers["local"].base_url.as_deref(),
        Some("http://127.0.0.1:8080/v1")
    );
    assert!(c.themes.contains_key("solarized"));
    assert!(c.presets.contains_key("reviewer"));
}

#[test]
fn example_config_commented_settings_are_valid_too() {
    // Settings left off are written `#key = value`; with the `#` removed the
    // file must still load, so the documented values are real ones.
    let text = std::fs::read_to_string(example()).unwrap();
    let mut uncommented = 0;
    let on: String = text
        .lines()
        .map(|l| {
            let is_setting = l.starts_with('#')
                && l[1..].starts_with(|c: char| c.is_ascii_alphabetic())
                && l.contains(" = ");
            if is_setting {
                uncommented += 1;
                format!("{}\n", &l[1..])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(uncommented >= 10, "only {uncommented} commented settings");
    let dir = tempfile::tempdir().unwrap();
    let p = write_config(&dir, &on);
    let c = Config::load_with(Some(&p), &no_env).unwrap().config;
    assert_eq!(c.max_tokens, Some(4096));
    assert_eq!(c.temperature, Some(0.7));
    assert_eq!(c.fallback_models.len(), 2);
    assert_eq!(
        c.paths.state.as_deref(),
        Some(Path::new("~/.local/state/orchat"))
    );
    assert!(c.providers["openrouter"].api_key_cmd.is_some());
    assert_eq!(c.keys["copy_answer"].as_str(), Some("alt+c"));
}

#[test]
fn example_config_documents_every_key() {
    // Every key the merged config can hold appears in the example: fill every
    // optional field, serialise, and look for each key name.
    let text = std::fs::read_to_string(example()).unwrap();
    let mut c = Config::load_with(Some(&example()), &no_env).unwrap().config;
    c.max_tokens = Some(1);
    c.temperature = Some(1.0);
    c.reasoning = Some("low".into());
    c.system_prompt = Some("x".into());
    c.fallback_models = vec!["x".into()];
    c.paths.data = Some("x".into());
    c.paths.cache = Some("x".into());
    c.paths.state = Some("x".into());
    let value = toml::Value::try_from(&c).unwrap();
    fn keys(v: &toml::Value, out: &mut Vec<String>) {
        if let toml::Value::Table(t) = v {
            for (k, v) in t {
                out.push(k.clone());
                keys(v, out);
            }
        }
    }
    let mut all = Vec::new();
    keys(&value, &mut all);
    for k in all {
        assert!(text.contains(&k), "the example does not mention {k}");
    }
    // Every bindable action is listed where [keys] is explained.
    let start = text
        .find("# Actions: ")
        .expect("the example lists the actions");
    let listed = &text[start..start + text[start..].find("\n[keys]").unwrap()];
    for (action, _) in orchat::keymap::key_actions() {
        assert!(
            listed.contains(&format!(" {action},")) || listed.contains(&format!(" {action}.")),
            "add the action {action} to the [keys] comment of assets/config.example.toml"
        );
    }
    for style in orchat::config::THEME_STYLES {
        assert!(
            text.contains(&format!("\n{style} = ")),
            "theme style {style} undocumented"
        );
    }
}

// --- what the config builds ------------------------------------------------

#[test]
fn themes_dark_light_and_custom() {
    let mut c = Config::default();
    assert_eq!(
        c.to_theme().user_label,
        orchat::config::theme::Theme::dark().user_label
    );
    c.theme = "light".into();
    assert_eq!(c.to_theme().status_bar, light_theme().status_bar);
    assert_ne!(
        light_theme().status_bar,
        orchat::config::theme::Theme::dark().status_bar
    );
    // --no-color wins over any theme.
    assert_eq!(
        c.effective_theme(true).error,
        orchat::config::theme::Theme::plain().error
    );

    let c = Config::load_with(Some(&example()), &no_env).unwrap().config;
    let mut c2 = c.clone();
    c2.theme = "solarized".into();
    let t = c2.to_theme();
    assert_eq!(t.text.fg, Some(Color::Rgb(0x83, 0x94, 0x96)));
    assert_eq!(t.status_bar.bg, Some(Color::Rgb(0x07, 0x36, 0x42)));
    assert!(t.user_label.add_modifier.contains(Modifier::BOLD));
}

#[test]
fn providers_from_tables() {
    let c = Config::load_with(Some(&example()), &no_env).unwrap().config;
    let local = c.provider_for("local").unwrap();
    assert_eq!(local.kind, ProviderKind::Custom);
    assert_eq!(
        local.chat_url(),
        "http://127.0.0.1:8080/v1/chat/completions"
    );
    assert_eq!(local.key_env.as_deref(), Some("LOCAL_LLM_KEY"));
    assert_eq!(local.model_id("google/gemma-3-27b-it"), "gemma3:27b");
    let work = c.provider_for("work").unwrap();
    assert_eq!(work.kind, ProviderKind::OpenRouter);
    assert!(
        work.extra_headers
            .contains(&("X-Team".into(), "research".into()))
    );
    // A built-in without a table is the built-in.
    assert_eq!(c.provider_for("google").unwrap().kind, ProviderKind::Google);
    assert!(c.provider_for("nope").is_err());
    assert_eq!(c.selected_provider().unwrap().name, "openrouter");
}

#[test]
fn key_bindings_are_parsed() {
    let c = Config::load_with(Some(&example()), &no_env).unwrap().config;
    let b = c.key_bindings();
    assert!(b.contains(&orchat::keymap::KeyOverride {
        context: None,
        action: orchat::keymap::Action::EditInEditor,
        chord: (KeyModifiers::CONTROL, KeyCode::Char('e')),
    }));
    assert_eq!(
        parse_chord("alt+enter"),
        Ok((KeyModifiers::ALT, KeyCode::Enter))
    );
    assert_eq!(
        orchat::keymap::action_by_name("open_picker"),
        Some(orchat::keymap::Action::OpenPicker)
    );
    // Two actions on one chord would make one unreachable.
    let dir = tempfile::tempdir().unwrap();
    let p = write_config(&dir, "[keys]\nhelp = \"f2\"\nopen_cost = \"F2\"\n");
    let msg = Config::load_with(Some(&p), &no_env)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("keys.open_cost: \"F2\" is already bound to help"),
        "{msg}"
    );
}

/// `[keys.SCREEN]` tables and lists of chords: read into remappings of one
/// screen; every mistake named at its key, in the user's words.
#[test]
fn screen_key_tables_and_lists_are_read_and_checked() {
    use orchat::keymap::{Action, Context, KeyOverride};
    let dir = tempfile::tempdir().unwrap();
    let p = write_config(
        &dir,
        "[keys]\nattach = [\"f6\", \"ctrl+a\"]\n\n[keys.picker]\nclose = [\"esc\", \"ctrl+g\"]\nchoose = \"tab\"\n",
    );
    let b = Config::load_with(Some(&p), &no_env)
        .unwrap()
        .config
        .key_bindings();
    let want = |context, action, chord| KeyOverride {
        context,
        action,
        chord,
    };
    for o in [
        want(None, Action::Attach, (KeyModifiers::NONE, KeyCode::F(6))),
        want(
            None,
            Action::Attach,
            (KeyModifiers::CONTROL, KeyCode::Char('a')),
        ),
        want(
            Some(Context::Picker),
            Action::Close,
            (KeyModifiers::NONE, KeyCode::Esc),
        ),
        want(
            Some(Context::Picker),
            Action::Close,
            (KeyModifiers::CONTROL, KeyCode::Char('g')),
        ),
        want(
            Some(Context::Picker),
            Action::Choose,
            (KeyModifiers::NONE, KeyCode::Tab),
        ),
    ] {
        assert!(b.contains(&o), "{o:?} in {b:?}");
    }
    // A screen's table may give a chord another action than [keys] does
    // there (that is what it is for), and chat's Ctrl+P may close the picker.
    let p = write_config(
        &dir,
        "[keys]\nclose = \"ctrl+q\"\n[keys.picker]\nlist_down = \"ctrl+q\"\n",
    );
    assert!(Config::load_with(Some(&p), &no_env).is_ok());
    for (text, want) in [
        (
            "[keys.pickr]\nclose = \"ctrl+g\"\n",
            "keys.pickr: unknown screen \"pickr\"; did you mean \"picker\"?",
        ),
        (
            "[keys.picker]\nsend = \"ctrl+g\"\n",
            "keys.picker.send: send does nothing on the picker screen; it works on: chat",
        ),
        ("[keys.picker]\nclose = \"ctrl+\"\n", "keys.picker.close: "),
        (
            "[keys.sessions]\nclose = \"ctrl+g\"\nchoose = \"ctrl+g\"\n",
            "keys.sessions.close: \"ctrl+g\" is already bound to choose",
        ),
        (
            "[keys]\nsend = 3\n",
            "keys.send: expected a key chord like \"ctrl+p\", a list of them",
        ),
        ("[keys]\nsend = []\n", "keys.send: expected a key chord"),
    ] {
        let p = write_config(&dir, text);
        let msg = Config::load_with(Some(&p), &no_env)
            .unwrap_err()
            .to_string();
        assert!(msg.contains(want), "{text}: {msg}");
        assert_eq!(msg.lines().count(), 1, "{msg}");
    }
}

// --- config show / check / path --------------------------------------------

const SECRETS: &str = r#"
[providers.openrouter]
api_key_cmd = "echo sk-or-v1-SENTINEL1"

[providers.aimlapi]
api_key_cmd = "printf 0123456789abcdef0123456789SENTINEL"

[providers.gw]
base_url = "https://gw.example.com/v1"

[providers.gw.headers]
Authorization = "Bearer SENTINEL2"
X-Api-Key = "SENTINEL3"
X-Auth-Token = "SENTINEL4"
X-Goog-Api-Key = "0123456789abcdef0123456789SENTINEL5"
My-Secret = "plainSENTINEL6"
X-Title = "orchat-visible"
"#;

#[test]
fn config_show_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_config(&dir, SECRETS);
    let mut out = Vec::new();
    let code = config_command_with(ConfigCommand::Show, Some(&p), &no_env, &mut out);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("SENTINEL"), "a secret leaked:\n{text}");
    assert_eq!(text.matches("<redacted>").count(), 7, "{text}");
    // The command's program stays readable.
    assert!(
        text.contains("api_key_cmd = \"printf <redacted>\""),
        "{text}"
    );
    // What is not secret stays readable, and the merged defaults are shown.
    assert!(text.contains("X-Title = \"orchat-visible\""), "{text}");
    assert!(
        text.contains("model = \"google/gemini-2.5-flash\""),
        "{text}"
    );
    assert!(
        text.contains(&format!("# {} is valid", p.display())),
        "{text}"
    );
    // The output is TOML again (comments included), so it can be saved.
    toml::from_str::<toml::Table>(&text).unwrap();
}

#[test]
fn config_check_and_path() {
    let mut out = Vec::new();
    let code = config_command_with(
        ConfigCommand::Check,
        Some(&fixture("bad_type.toml")),
        &no_env,
        &mut out,
    );
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 2);
    assert!(
        text.starts_with("fail ") && text.contains("line 4, column 14"),
        "{text}"
    );

    let mut out = Vec::new();
    let code = config_command_with(ConfigCommand::Check, Some(&example()), &no_env, &mut out);
    assert_eq!(code, 0);
    assert!(String::from_utf8(out).unwrap().starts_with("ok "));

    let mut out = Vec::new();
    let p = Path::new("/somewhere/else.toml");
    assert_eq!(
        config_command_with(ConfigCommand::Path, Some(p), &no_env, &mut out),
        0
    );
    assert_eq!(String::from_utf8(out).unwrap(), "/somewhere/else.toml\n");
}

#[cfg(unix)]
#[test]
fn loose_permissions_warn_only_when_the_file_holds_secrets() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = write_config(&dir, SECRETS);
    let set = |mode| std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    set(0o644);
    let w = permission_warning(&p).expect("644 is readable by others");
    assert!(w.contains("chmod 600") && w.contains("644"), "{w}");
    assert_eq!(
        Config::load_with(Some(&p), &no_env).unwrap().warnings.len(),
        1
    );
    set(0o600);
    assert_eq!(permission_warning(&p), None);
    assert!(
        Config::load_with(Some(&p), &no_env)
            .unwrap()
            .warnings
            .is_empty()
    );
    // No secrets, no warning, whatever the mode.
    let q = dir.path().join("plain.toml");
    let mut f = std::fs::File::create(&q).unwrap();
    writeln!(f, "model = \"x/y\"").unwrap();
    std::fs::set_permissions(&q, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(
        Config::load_with(Some(&q), &no_env)
            .unwrap()
            .warnings
            .is_empty()
    );
}

// --- api_key_cmd -----------------------------------------------------------

const PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);

#[test]
fn api_key_cmd_takes_the_first_line() {
    let k = run_key_cmd("echo sk-x; echo second-line", PATIENCE).unwrap();
    assert_eq!(k.expose(), "sk-x");
}

#[test]
fn failing_api_key_cmd_does_not_echo_its_output() {
    let e = run_key_cmd("echo sk-LEAKED1; echo LEAKED2 >&2; exit 3", PATIENCE).unwrap_err();
    assert!(!e.contains("LEAKED"), "{e}");
    assert!(e.contains("exit status 3") && !e.contains('\n'), "{e}");
    let e = run_key_cmd("true", PATIENCE).unwrap_err();
    assert!(e.contains("empty"), "{e}");
}

#[test]
fn api_key_cmd_is_bounded_in_time_and_in_output() {
    // A command that never answers: given up on, killed, said.
    let start = std::time::Instant::now();
    let e = run_key_cmd("sleep 1000", std::time::Duration::from_secs(2)).unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        e,
        "api_key_cmd (sleep …) printed no key within 2s; run it in a shell to see why (api_key_cmd_timeout sets the wait)"
    );
    // Endless output, or a megabyte line: read to 16 KiB, then refused.
    let e = run_key_cmd("yes", PATIENCE).unwrap_err();
    assert_eq!(
        e,
        "api_key_cmd (yes …) printed more than 16 KiB: that is not a key"
    );
    let e = run_key_cmd("head -c 1000000 /dev/zero | tr '\\0' k", PATIENCE).unwrap_err();
    assert!(
        e.ends_with("printed more than 16 KiB: that is not a key"),
        "{e}"
    );
    // A line that cannot be a header.
    let e = run_key_cmd("printf 'sk-a\\tb\\n'", PATIENCE).unwrap_err();
    assert_eq!(
        e,
        "the key in api_key_cmd (printf …) contains a control character: that is not a key"
    );
}

#[test]
fn resolve_key_prefers_api_key_cmd_and_says_where_from() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_config(
        &dir,
        "[providers.gw]\nbase_url = \"https://gw.example.com/v1\"\napi_key_cmd = \"printf 'sk-from-cmd\\n'\"\nkey_env = \"ORCHAT_TEST_UNSET_VAR_1\"\n",
    );
    let c = Config::load_with(Some(&p), &no_env).unwrap().config;
    let (key, source) = c.resolve_key("gw").unwrap().unwrap();
    assert_eq!(
        (key.expose(), source.as_str()),
        ("sk-from-cmd", "api_key_cmd")
    );
    // Debug output of the resolved key never shows it.
    assert!(!format!("{key:?}").contains("sk-from-cmd"));
}
