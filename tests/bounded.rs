//! Every read is bounded, keys and conversations stay where they belong,
//! and pipes and servers that misbehave end in one line: through the real
//! one-shot binary against scripted faults of the local server (and a few
//! raw sockets standing in for servers no HTTP library would be).

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::oneshot::{Local, orchat, run, stderr, stdout};
use orchat::server::ServerOptions;

/// The binary under a 2 GB address-space limit: a read that grows without
/// bound dies of it instead of passing.
fn limited(dir: &tempfile::TempDir) -> Command {
    let inner = orchat(dir);
    let mut c = Command::new("prlimit");
    c.arg("--as=2000000000").arg("--").arg(inner.get_program());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.stdin(Stdio::null());
    c
}

fn ask(local: &Local, dir: &tempfile::TempDir, prompt: &str) -> std::process::Output {
    run(limited(dir).args([
        "--base-url",
        &local.url(),
        "-m",
        "google/gemini-2.5-flash",
        "-p",
        prompt,
    ]))
}

#[test]
fn bodies_that_never_end_are_refused_in_one_line_with_memory_bounded() {
    let local = Local::start(ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    for (fault, words, requests) in [
        (
            "endless-body",
            "could not read the answer: the server's answer is larger than 64 MiB; orchat stopped reading it",
            1,
        ),
        (
            "huge-length",
            "could not read the answer: the server's answer is larger than 64 MiB; orchat stopped reading it",
            1,
        ),
        (
            "endless-padding",
            "could not read the answer: the server sent more than 1 MiB of blank padding and no answer",
            1,
        ),
    ] {
        let before = local.server.received().len();
        let started = Instant::now();
        let o = ask(&local, &dir, &format!("hi [[fault:{fault}]]"));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{fault}: {err}");
        assert!(err.contains(words), "{fault}: {err}");
        assert!(err.lines().count() <= 2, "{fault}: one line: {err}");
        assert_eq!(local.server.received().len() - before, requests, "{fault}");
        assert!(started.elapsed() < Duration::from_secs(60), "{fault}");
    }
    // An error body that never ends: its first words, a short line, retried
    // as its status is.
    let o = ask(&local, &dir, "hi [[fault:endless-error:500]]");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let last = err.lines().rev().find(|l| l.contains("(500)")).unwrap();
    assert!(last.contains("the provider failed (500)"), "{err}");
    assert!(
        last.len() < 400,
        "the error is a line, not a megabyte: {}",
        last.len()
    );
}

#[test]
fn a_redirect_is_not_followed_and_names_where_it_pointed() {
    let local = Local::start(ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let o = ask(&local, &dir, "secret plans [[fault:redirect:307]]");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the server redirected to collector.example:8080 (307); orchat does not follow redirects: if you trust it, use --base-url with that address"),
        "{err}"
    );
    assert_eq!(local.server.received().len(), 1, "asked once, never resent");
    assert!(!err.contains("retry"), "{err}");
}

#[test]
fn a_key_the_server_echoes_is_hidden_on_screen_in_json_and_in_files() {
    const KEY: &str = "sk-or-v1-SENTINEL-echo-0123456789";
    let local = Local::start(ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    for json in [false, true] {
        let mut cmd = orchat(&dir);
        cmd.env("OPENROUTER_API_KEY", KEY).args([
            "--provider",
            "openrouter",
            "--base-url",
            &local.url(),
            "-p",
            "repeat it [[fault:echo-key]]",
        ]);
        if json {
            cmd.arg("--json");
        }
        let o = run(&mut cmd);
        let (out, err) = (stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(
            out.contains("You sent the key [key hidden] with this request."),
            "{out}"
        );
        assert!(
            !out.contains("SENTINEL") && !err.contains("SENTINEL"),
            "{out}{err}"
        );
    }
    // The server did get the key (it echoed it): only orchat hid it.
    assert!(
        local.server.received()[0]
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v.contains("SENTINEL"))
    );
}

#[test]
fn keys_that_cannot_be_keys_are_refused_before_any_request() {
    let local = Local::start(ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "--provider",
        "openrouter",
        "--base-url",
        &local.url(),
        "-p",
        "hi",
    ];
    let o = run(orchat(&dir)
        .env("OPENROUTER_API_KEY", "sk-or-v1-abc\ndef")
        .args(base));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "orchat: the key in OPENROUTER_API_KEY contains a line break: that is not a key"
    );
    let o = run(orchat(&dir)
        .args(["--api-key-file", "/dev/zero"])
        .args(base));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "orchat: the key file /dev/zero is larger than 16 KiB: that is not a key"
    );
    // A megabyte-long line is not sent (today it was, and answered 431).
    let long = dir.path().join("long-key");
    std::fs::write(&long, "k".repeat(1_000_000)).unwrap();
    let o = run(orchat(&dir).arg("--api-key-file").arg(&long).args(base));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("that is not a key"), "{}", stderr(&o));
    assert_eq!(local.server.received().len(), 0, "nothing was sent");
}

#[test]
fn https_to_a_plain_http_port_says_so_at_once() {
    let local = Local::start(ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let url = local.url().replace("http://", "https://");
    let started = Instant::now();
    let o = run(orchat(&dir).args(["--base-url", &url, "-p", "hi"]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let port = url.rsplit(':').next().unwrap().trim_end_matches("/v1");
    assert!(
        err.contains(&format!(
            "the server at 127.0.0.1:{port} does not speak TLS; try http:// instead of https://"
        )),
        "{err}"
    );
    assert!(!err.contains("retry"), "no retries: {err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_server_that_accepts_and_never_answers_is_given_up_after_the_idle_timeout() {
    // Accepts connections, reads what is asked, says nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = asked.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let keep = keep.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                let mut r = std::io::BufReader::new(&s);
                let _ = std::io::BufRead::read_line(&mut r, &mut line);
                keep.lock().unwrap().push(line.trim().to_string());
                std::thread::sleep(Duration::from_secs(30));
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "idle_timeout = 2\n").unwrap();
    let started = Instant::now();
    let o = run(orchat(&dir).arg("--config").arg(&config).args([
        "--base-url",
        &format!("http://127.0.0.1:{port}/v1"),
        "-p",
        "hi",
    ]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("timed out: the server took the request and sent nothing for 2s"),
        "{err}"
    );
    assert!(!err.contains("retry"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not four tries"
    );
    let asked = asked.lock().unwrap().clone();
    let chats = asked
        .iter()
        .filter(|l| l.starts_with("POST /v1/chat/completions"))
        .count();
    assert_eq!(chats, 1, "one try: {asked:?}");
}

#[test]
fn a_closed_stdout_stops_the_answer_and_the_request() {
    let local = Local::start(ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    // `| head -c 10`: the reader leaves after ten bytes of a long answer.
    let mut child = orchat(&dir)
        .args([
            "--base-url",
            &local.url(),
            "-p",
            "a long one [[fault:pace:50]] [[fault:long:3000]]",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let started = Instant::now();
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped, not streamed to the end (a minute at this pace)"
    );
    assert!(
        err.contains("stdout was closed, so the answer was stopped"),
        "{err}"
    );

    // `>&-`: nowhere to print, so nothing is asked.
    let before = local.server.received().len();
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} --base-url {} -p hi >&-",
            env!("CARGO_BIN_EXE_orchat"),
            local.url()
        ))
        .env("ORCHAT_DATA_DIR", dir.path().join("data"))
        .env("ORCHAT_STATE_DIR", dir.path().join("state"))
        .env("ORCHAT_CACHE_DIR", dir.path().join("cache"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("stdout is closed"));
    assert_eq!(local.server.received().len(), before, "nothing was sent");
}

#[test]
fn a_prompt_too_long_for_the_model_is_not_sent_from_a_pipe_either() {
    let local = Local::start(ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    // About 5 million tokens into a model of one million.
    let big = "word ".repeat(4_000_000);
    let mut child = orchat(&dir)
        .args(["--base-url", &local.url(), "-m", "google/gemini-2.5-flash"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut input, big.as_bytes());
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("too long for this model; nothing was sent"),
        "{err}"
    );
    assert_eq!(local.server.received().len(), 0);
    // A pipe that never ends is read to a limit, not to the end of memory.
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "head -c 80000000 /dev/zero | prlimit --as=2000000000 -- {} --base-url {}",
            env!("CARGO_BIN_EXE_orchat"),
            local.url()
        ))
        .env("ORCHAT_DATA_DIR", dir.path().join("data"))
        .env("ORCHAT_STATE_DIR", dir.path().join("state"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("larger than 64 MiB: too long for any model"),
        "{err}"
    );
}

#[test]
fn a_damaged_image_is_refused_before_anything_is_sent() {
    let local = Local::start(ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(64, 64)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let cut = dir.path().join("cut.png");
    std::fs::write(&cut, &png[..png.len() / 2]).unwrap();
    let o = run(orchat(&dir)
        .args(["--base-url", &local.url(), "-p", "what is this?", "--image"])
        .arg(&cut));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cut.png: damaged image: the PNG data is cut short or corrupted"),
        "{err}"
    );
    assert_eq!(local.server.received().len(), 0);
    // The whole file goes, its size read from the pixels.
    let whole = dir.path().join("whole.png");
    std::fs::write(&whole, &png).unwrap();
    let o = run(orchat(&dir)
        .args(["--base-url", &local.url(), "-p", "what is this?", "--image"])
        .arg(&whole));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
