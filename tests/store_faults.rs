//! The store under a misbehaving disk, through the real store: a lock held
//! by another program, a full disk, a damaged file, files others could
//! read. Nothing queued is dropped: it waits, is retried, and lands in
//! order; what never can land is handed back to be kept elsewhere.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use orchat::chat::pricing::{Charge, Cost, CostKind};
use orchat::store::{SaveState, Store, StoreOptions, StoredMessage, StoredRole, export};
use rust_decimal::Decimal;

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("data").join("sessions.db")
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

fn quick() -> StoreOptions {
    StoreOptions {
        busy_timeout: Duration::from_millis(50),
        ..StoreOptions::default()
    }
}

/// Every state the store announced, in order.
fn states(store: &Store) -> Arc<Mutex<Vec<SaveState>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    store.on_change(Box::new(move |st| s.lock().unwrap().push(st.clone())));
    seen
}

fn wait_for(what: &str, mut pred: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pred() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn charge(conv: &str, id: &str, usd: &str) -> Charge {
    Charge {
        id: id.into(),
        conversation_id: conv.into(),
        model: "google/gemini-2.5-flash".into(),
        cost: Cost::new(usd.parse().unwrap(), CostKind::Reported),
        created_ms: 1,
        ..Charge::default()
    }
}

fn texts(store: &Store, id: &str) -> Vec<String> {
    store
        .load(id)
        .unwrap()
        .map(|(_, m)| m.into_iter().map(|m| m.text).collect())
        .unwrap_or_default()
}

#[test]
fn writes_under_a_held_lock_wait_say_paused_and_land_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let store = Store::open_with(&path, &quick()).unwrap();
    let seen = states(&store);
    store.flush();

    // Another program holds a write transaction, longer than the busy
    // timeout and several retries.
    let other = raw(&path);
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    store.put_message(StoredMessage::new(
        "c",
        0,
        StoredRole::User,
        "the prompt",
        1,
    ));
    store.put_message(StoredMessage::new(
        "c",
        1,
        StoredRole::Assistant,
        "the answer",
        2,
    ));
    store.put_charge(charge("c", "c/1", "0.0005724"));
    wait_for("saving to pause", || {
        matches!(store.state(), SaveState::Paused { .. })
    });
    let SaveState::Paused { reason, queued } = store.state() else {
        unreachable!()
    };
    assert_eq!(reason, "the database is locked by another program");
    assert_eq!(queued, 3);
    assert!(
        !store.flush(),
        "a flush while paused says nothing was written"
    );
    assert_eq!(
        store.state().line(),
        "saving paused: the database is locked by another program (3 changes waiting; retrying)"
    );
    assert_eq!(store.state().status().unwrap(), "saving paused: locked");
    // More comes while it waits, and time passes: nothing is dropped.
    std::thread::sleep(Duration::from_secs(2));
    store.put_message(StoredMessage::new(
        "c",
        2,
        StoredRole::User,
        "a follow-up",
        3,
    ));
    other.execute_batch("COMMIT").unwrap();

    assert!(store.flush_within(Duration::from_secs(10)));
    assert_eq!(
        texts(&store, "c"),
        ["the prompt", "the answer", "a follow-up"]
    );
    assert_eq!(store.spent_since(0).unwrap(), "0.0005724".parse().unwrap());
    assert_eq!(store.state(), SaveState::Saving);
    let seen = seen.lock().unwrap().clone();
    assert!(
        matches!(
            seen.as_slice(),
            [SaveState::Paused { .. }, .., SaveState::Saving]
        ),
        "told of the pause, then of catching up: {seen:?}"
    );
}

#[test]
fn a_full_disk_pauses_saving_and_freed_space_lets_every_change_through() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    drop(Store::open(&path).unwrap());
    // Fill the file, then let orchat's connection grow it no further: a
    // write needing a new page fails as on a full disk.
    let filler = raw(&path);
    filler
        .execute_batch(
            "CREATE TABLE filler(b BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
             INSERT INTO filler SELECT zeroblob(4000) FROM n;
             PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap();
    let pages: u32 = filler
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    let store = Store::open_with(
        &path,
        &StoreOptions {
            max_page_count: Some(pages),
            ..quick()
        },
    )
    .unwrap();
    let big = "a long answer ".repeat(3000);
    store.put_message(StoredMessage::new("c", 0, StoredRole::User, "prompt", 1));
    store.put_message(StoredMessage::new("c", 1, StoredRole::Assistant, &big, 2));
    store.put_charge(charge("c", "c/1", "0.0001931"));
    wait_for("saving to pause", || {
        matches!(store.state(), SaveState::Paused { .. })
    });
    assert_eq!(store.state().reason(), Some("the disk is full"));
    assert_eq!(store.state().status().unwrap(), "saving paused: disk full");

    // Room is made (another program deletes what filled it): the queued
    // exchange and its charge land, whole.
    filler.execute_batch("DROP TABLE filler").unwrap();
    assert!(store.flush_within(Duration::from_secs(10)));
    assert_eq!(texts(&store, "c"), ["prompt", big.as_str()]);
    assert_eq!(store.spent_since(0).unwrap(), "0.0001931".parse().unwrap());
}

#[test]
fn what_cannot_be_saved_by_quit_time_is_handed_back_and_applies_later() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let store = Store::open_with(&path, &quick()).unwrap();
    store.flush();
    let other = raw(&path);
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    store.put_message(StoredMessage::new("c", 0, StoredRole::User, "prompt", 1));
    store.put_message(StoredMessage::new(
        "c",
        1,
        StoredRole::Assistant,
        "answer",
        2,
    ));
    store.put_charge(charge("c", "c/1", "0.0005724"));
    let started = Instant::now();
    assert!(!store.flush_within(Duration::from_millis(600)));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the wait is bounded"
    );
    let unsaved = store.take_unsaved();
    assert_eq!(unsaved.len(), 3, "{unsaved:?}");
    let why = store.state().line();
    let file = export::unsaved_json(&why, &unsaved);
    other.execute_batch("COMMIT").unwrap();
    drop(store);

    // Nothing of it reached the database; the file has it all, in order.
    let reopened = Store::open(&path).unwrap();
    assert!(reopened.load("c").unwrap().is_none());
    let changes = export::read_unsaved(&file).unwrap().unwrap();
    assert_eq!(changes, unsaved);
    reopened.apply(changes);
    assert!(reopened.flush());
    assert_eq!(texts(&reopened, "c"), ["prompt", "answer"]);
    assert_eq!(
        reopened.list().unwrap()[0].total_cost,
        "0.0005724".parse::<Decimal>().unwrap()
    );
    assert!(export::read_unsaved(r#"{"orchat_export":1}"#).is_none());
}

/// Writes garbage over page `page` of the file, as a bad sector or a stray
/// write would.
fn garble_page(path: &Path, page: i64) {
    let conn = raw(path);
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(path).unwrap();
    let at = ((page - 1) * page_size) as usize;
    for (i, b) in bytes[at..at + page_size as usize].iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    std::fs::write(path, bytes).unwrap();
}

/// A store with an old conversation of many messages, copied, and in the
/// copy a page picked by `which` (SQL over `dbstat`) garbled.
fn damaged_copy(dir: &tempfile::TempDir, name: &str, which: &str) -> PathBuf {
    let good = db(dir);
    if !good.exists() {
        let s = Store::open(&good).unwrap();
        for i in 0..60 {
            let text = format!("message {i}: {}", "words ".repeat(50));
            s.put_message(StoredMessage::new("old", i, StoredRole::User, &text, 1));
        }
        assert!(s.flush());
    }
    let copy = dir.path().join(name).join("sessions.db");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(&good, &copy).unwrap();
    let page: i64 = raw(&copy).query_row(which, [], |r| r.get(0)).unwrap();
    garble_page(&copy, page);
    copy
}

/// Writes to a damaged copy and checks nothing reached it.
fn never_written(copy: &Path) {
    let before = std::fs::read(copy).unwrap();
    let store = Store::open(copy).unwrap();
    let seen = states(&store);
    store.put_message(StoredMessage::new("c", 0, StoredRole::User, "new", 2));
    store.put_charge(charge("c", "c/0", "0.0001"));
    assert!(!store.flush(), "nothing was written");
    let SaveState::Damaged { reason } = store.state() else {
        panic!("{:?}", store.state());
    };
    assert!(reason.contains("is damaged"), "{reason}");
    assert_eq!(store.state().status().unwrap(), "saving off: damaged");
    // Later changes are not tried either.
    store.put_message(StoredMessage::new("c", 1, StoredRole::User, "newer", 3));
    assert!(!store.flush());
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "said once: {:?}",
        seen.lock().unwrap()
    );
    // They are still held, to be kept elsewhere.
    assert_eq!(store.take_unsaved().len(), 3);
    drop(store);
    assert_eq!(
        std::fs::read(copy).unwrap(),
        before,
        "the file is unchanged"
    );
    let wal = PathBuf::from(format!("{}-wal", copy.display()));
    assert!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0,
        "and nothing went to its WAL"
    );
}

#[test]
fn a_damaged_database_is_never_written_again() {
    let dir = tempfile::tempdir().unwrap();
    // A page the write needs (the messages table's root): SQLite itself
    // refuses the write, and saving stops there.
    never_written(&damaged_copy(
        &dir,
        "root",
        "SELECT rootpage FROM sqlite_master WHERE name = 'messages'",
    ));
    // A page of another conversation that the write would never touch:
    // SQLite would write the new pages happily; the check before the first
    // write finds the damage.
    never_written(&damaged_copy(
        &dir,
        "leaf",
        "SELECT pageno FROM dbstat WHERE name = 'messages' AND pagetype = 'leaf'
         ORDER BY pageno LIMIT 1",
    ));
}

#[cfg(unix)]
#[test]
fn the_database_its_wal_and_the_data_folder_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let store = Store::open(&path).unwrap();
    store.put_message(StoredMessage::new("c", 0, StoredRole::User, "hi", 1));
    assert!(store.flush());
    assert_eq!(mode(&path), 0o600);
    for suffix in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    drop(store);

    // A database an older orchat left readable by others is made private.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);

    // Generated images too.
    let images = dir.path().join("data").join("images").join("conv");
    let png = {
        let mut out = Vec::new();
        image::DynamicImage::new_rgb8(2, 2)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let url = format!(
        "data:image/png;base64,{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &png)
    );
    let saved = orchat::chat::images::save_data_url(&url, &images, "001-x").unwrap();
    assert_eq!(mode(&saved), 0o600);
    assert_eq!(mode(&images), 0o700);
    assert_eq!(mode(images.parent().unwrap()), 0o700);
}
