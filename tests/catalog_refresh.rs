//! The live catalog: fetched from `/models`, cached, and replaced quietly by
//! the cache or the bundle when the fetch fails.

use orchat::api::{ChatClient, ClientConfig, Provider};
use orchat::catalog::{Catalog, Source};
use orchat::secret::ApiKey;
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

    let live = orchat::catalog::refresh(&client(&server.base_url()), Some(&cache))
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
        orchat::catalog::refresh(&client(&dead), Some(&cache))
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
