//! The live catalog: fetched from `/models`, cached, and replaced quietly by
//! the cache or the bundle when the fetch fails.

use orchat::api::key::ApiKey;
use orchat::api::{ChatClient, ClientConfig, Provider};
use orchat::chat::catalog::{Catalog, Source};
use orchat::server::ServerOptions;

fn client(base: &str) -> ChatClient {
    let mut p = Provider::openrouter();
    p.base_url = base.to_string();
    ChatClient::new(ClientConfig::new(p, ApiKey::new("sk-test"))).unwrap()
}

#[tokio::test]
async fn refresh_fetches_caches_and_falls_back() {
    let server = orchat::server::start(ServerOptions::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache").join("models.json");

    let live = orchat::chat::catalog::refresh(&client(&server.base_url()), Some(&cache))
        .await
        .expect("the local server lists its models");
    assert_eq!(live.source, Source::Live);
    assert!(live.get("google/gemini-2.5-pro").is_some());
    assert_eq!(
        Catalog::load(Some(&cache)).source,
        Source::Cache,
        "cached on disk"
    );

    // A dead endpoint: no catalog, and the cache stays as it was.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    assert!(
        orchat::chat::catalog::refresh(&client(&dead), Some(&cache))
            .await
            .is_none()
    );
    assert_eq!(Catalog::load(Some(&cache)).source, Source::Cache);
    // No cache at all: the bundle.
    assert_eq!(
        Catalog::load(Some(&dir.path().join("none.json"))).source,
        Source::Bundled
    );
}

#[tokio::test]
async fn a_priceless_list_never_makes_another_providers_models_look_free() {
    // An AI/ML API session in the same home: its list has no prices.
    let aiml = orchat::server::start(ServerOptions {
        dialect: orchat::server::Dialect::AimlApi,
        ..ServerOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = |p: &Provider| {
        dir.path()
            .join(orchat::chat::catalog::cache_file_name(&p.name, &p.base_url))
    };
    let mut aiml_p = Provider::aimlapi();
    aiml_p.base_url = aiml.base_url();
    let aiml_client = ChatClient::new(ClientConfig::new(aiml_p.clone(), ApiKey::new("k"))).unwrap();
    let live = orchat::chat::catalog::refresh(&aiml_client, Some(&cache(&aiml_p)))
        .await
        .unwrap();
    // Its ids (no -001) take the bundled prices; none is free by accident.
    let flash = live
        .get("google/gemini-2.0-flash")
        .expect("AI/ML's spelling");
    assert_eq!(
        flash.pricing,
        Catalog::bundled()
            .get("google/gemini-2.0-flash-001")
            .unwrap()
            .pricing
    );
    let bundled = Catalog::bundled();
    for m in &live.models {
        let free_there = bundled.get(&m.id).is_some_and(|b| b.is_free());
        assert_eq!(
            m.is_free(),
            free_there || m.id.ends_with(":free"),
            "{}",
            m.id
        );
    }
    // Every row has its context window and appears once, whichever spelling
    // AI/ML gave it (`google/gemini-2.0-flash` and bare `gemini-2.0-flash`).
    let mut names: Vec<&str> = live
        .models
        .iter()
        .map(|m| m.id.rsplit('/').next().unwrap())
        .collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n, "no row twice");
    for m in &live.models {
        assert!(m.context_length > 0, "{} has its window", m.id);
    }
    // On screen: the picker never says "ctx 0", and the row is there once.
    let mut app = orchat::app::App::new(live.clone(), "aimlapi", "google/gemini-2.0-flash");
    orchat::app::update(
        &mut app,
        orchat::app::Msg::Action(orchat::keymap::Action::OpenPicker),
    );
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| {
        orchat::ui::draw(
            f,
            &app,
            &mut orchat::ui::View::new(),
            &orchat::config::theme::Theme::dark(),
        )
    })
    .unwrap();
    let cells: Vec<&str> = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    let rows: Vec<String> = cells.chunks(120).map(|r| r.concat()).collect();
    let flash_rows = rows
        .iter()
        .filter(|r| r.contains(" gemini-2.0-flash ") && r.contains("$0.40"))
        .count();
    assert_eq!(flash_rows, 1, "{}", rows.join("\n"));
    assert!(
        !rows
            .iter()
            .any(|r| r.contains("$0.") && r.contains("    0 ")),
        "no window shown as 0"
    );
    // OpenRouter later, in the same home: its own cache (none yet), so the
    // bundled, priced catalog — never AI/ML's list.
    let or = Provider::openrouter();
    assert_ne!(cache(&or), cache(&aiml_p));
    let c = Catalog::load(Some(&cache(&or)));
    assert_eq!(c.source, Source::Bundled);
    let p = c.pricing("google/gemini-2.5-flash").unwrap();
    assert!(!p.is_free());
    assert_eq!(Catalog::load(Some(&cache(&aiml_p))).source, Source::Cache);
}
