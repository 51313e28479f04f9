//! Screens say what happened (issue 20, section 3), and the wire kinds of
//! section 1 where they show on screen: keys in, against the local server,
//! read at 80x24.

mod common;

use std::time::Duration;

use common::{Driver, answers, ctrl, errors, key, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orchat::app::{Mode, Msg};
use orchat::chat::answer::Status;
use orchat::chat::catalog::{Catalog, Source};
use orchat::chat::pricing::CostKind;
use orchat::server::faults::OverflowDialect;
use orchat::server::{Fault, ServerOptions};
use orchat::store::Store;

fn fkey(n: u8) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::F(n), KeyModifiers::NONE))
}

/// The row of `s` holding `needle`.
fn row<'a>(s: &'a str, needle: &str) -> &'a str {
    s.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle:?}:\n{s}"))
}

// ------------------------------------------------------------ section 3

#[tokio::test]
async fn a_free_checkpoints_countdown_offers_its_released_twin() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.chat.model = "google/gemini-2.5-pro-exp-03-25".into();
    d.submit("hello");
    d.until_idle().await;
    assert_eq!(answers(&d.app)[0].status, Status::Complete);
    // A second request within the minute: the server's one-a-minute limit.
    d.submit("and again");
    d.until(common::retrying).await;
    assert_eq!(
        d.app.chat.offer.as_ref().map(|o| o.model.as_str()),
        Some("google/gemini-2.5-pro")
    );
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("retrying in"), "{s}");
    assert!(
        s.contains("Ctrl+Y asks google/gemini-2.5-pro (paid) now"),
        "{s}"
    );
    // Ctrl+Y: the wait is given up and the paid model answers.
    d.send(ctrl('y'));
    d.until_idle().await;
    assert_eq!(d.app.chat.model, "google/gemini-2.5-pro");
    let got = d.server.received();
    assert_eq!(got.last().unwrap().body["model"], "google/gemini-2.5-pro");
    let a = answers(&d.app);
    let last = a.last().unwrap();
    assert_eq!(last.status, Status::Complete);
    assert!(!last.text.is_empty());
    let s = screen(&d.app, 80, 24);
    assert!(!s.contains("retrying in"), "{s}");
}

#[tokio::test]
async fn the_attach_prompt_has_its_own_placeholder_and_hints() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.type_text("my draft");
    d.send(fkey(2));
    assert!(matches!(d.app.screen.mode, Mode::Attach { .. }));
    let s = screen(&d.app, 80, 24);
    assert!(
        s.contains("a file path (~/photo.png) or an https:// URL"),
        "{s}"
    );
    assert!(s.contains("Enter attaches · Esc cancels"), "{s}");
    assert!(
        !s.contains("Type a message"),
        "not the chat's placeholder:\n{s}"
    );
    assert!(!s.contains("Enter send ·"), "not the chat's hints:\n{s}");
    insta::assert_snapshot!("attach_prompt_80x24", s);
    // Esc: the draft and the chat's own hints come back.
    d.send(key(KeyCode::Esc));
    assert_eq!(d.app.draft(), "my draft");
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("my draft") && s.contains("Enter send ·"), "{s}");
    // Emptied, the chat's placeholder is back.
    for _ in 0.."my draft".len() {
        d.send(key(KeyCode::Backspace));
    }
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("Type a message"), "{s}");
}

#[test]
fn a_tilde_path_is_attached_from_home() {
    let home = tempfile::tempdir().unwrap();
    let png = home.path().join("fox.png");
    image::RgbImage::from_pixel(4, 4, image::Rgb([200, 80, 20]))
        .save(&png)
        .unwrap();
    let loaded = orchat::chat::attach::load_from("~/fox.png", Some(home.path()))
        .expect("~/ is the home directory");
    assert!(loaded.label().contains("fox.png"), "{}", loaded.label());
}

#[tokio::test]
async fn the_still_coming_hint_goes_when_the_answer_ends() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("tell me slowly [[fault:pace:40]] [[fault:long:60]]");
    d.until(|a| answers(a).first().is_some_and(|x| !x.text.is_empty()))
        .await;
    d.submit("another one");
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("an answer is still coming: Esc stops it"), "{s}");
    d.until_idle().await;
    assert_eq!(d.app.screen.flash, None);
    let s = screen(&d.app, 80, 24);
    assert!(!s.contains("still coming"), "{s}");
    // The draft typed meanwhile is kept for the user to send.
    assert_eq!(d.app.draft(), "another one");
}

#[tokio::test]
async fn a_reported_cost_of_a_model_with_no_price_is_not_compared_with_zero() {
    // The server bills the model; our catalog has no price for it.
    let priced: Catalog = Catalog::parse(
        r#"{"data":[{"id":"local/mystery-7b","name":"Mystery 7B","context_length":32768,
            "pricing":{"prompt":"0.000001","completion":"0.000002"}}]}"#,
        Source::Live,
    )
    .unwrap();
    let mut models = Catalog::bundled().models;
    models.extend(priced.models);
    let server = orchat::server::start_with(
        ServerOptions::default(),
        Catalog {
            models,
            source: Source::Live,
        },
    )
    .await
    .unwrap();
    let mut d = Driver::on(server);
    let unpriced: Catalog = Catalog::parse(
        r#"{"data":[{"id":"local/mystery-7b","name":"Mystery 7B","context_length":32768}]}"#,
        Source::Live,
    )
    .unwrap();
    let mut ours = Catalog::bundled().models;
    ours.extend(unpriced.models);
    d.app.env.catalog = Catalog {
        models: ours,
        source: Source::Live,
    };
    d.app.chat.model = "local/mystery-7b".into();
    d.submit("who are you");
    d.until_idle().await;
    assert_eq!(d.app.wallet.charges[0].cost.kind, CostKind::Reported);
    d.send(ctrl('o'));
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("our prices say ?"), "{s}");
    assert!(!s.contains("our prices say $0.00"), "{s}");
    assert!(!s.contains("gap"), "no gap against a price we lack:\n{s}");
    // With a priced model beside it, the gap is only over the priced ones.
    d.send(key(KeyCode::Esc));
    d.app.chat.model = "google/gemini-2.5-flash".into();
    d.submit("and you");
    d.until_idle().await;
    d.send(ctrl('o'));
    let s = screen(&d.app, 120, 40);
    assert!(s.contains("+ ? · gap $0.00 on the priced models"), "{s}");
}

#[tokio::test]
async fn an_answer_stopped_by_clear_is_settled_like_one_stopped_by_esc() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions {
        generation_delay: Duration::from_millis(300),
        ..ServerOptions::default()
    })
    .await;
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    d.fx.set_store(Some(store.clone()));
    d.app.conversation.id = "conv-clear".into();
    d.app.env.openrouter = true;
    d.fx.settle_waits = vec![Duration::from_millis(200); 20];
    d.submit("tell me slowly [[fault:pace:20]] [[fault:long:400]]");
    d.until(|a| answers(a).first().is_some_and(|x| x.text.len() > 8))
        .await;
    d.submit("/clear");
    assert!(d.app.conversation.is_empty(), "cleared");
    // The stopped answer's estimate is settled with /generation and saved
    // though its conversation is off the screen.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let settled = loop {
        store.flush();
        let charges = store.charges("conv-clear").unwrap();
        if let Some(c) = charges.iter().find(|c| c.cost.kind == CostKind::Settled) {
            break c.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never settled: {charges:?}"
        );
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), d.rx.recv()).await {
            d.send(m);
        }
    };
    assert!(settled.estimate.is_some());
    let billed = d
        .client()
        .generation_cost(settled.generation_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(settled.cost.usd, billed);
    assert_eq!(
        store.charges("conv-clear").unwrap().len(),
        1,
        "settled in place, not billed twice"
    );
}

#[tokio::test]
async fn the_input_an_answer_had_comes_back_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::new(ServerOptions::default()).await;
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    d.fx.set_store(Some(store.clone()));
    d.app.conversation.id = "conv-in".into();
    d.submit("tell me slowly [[fault:pace:20]] [[fault:long:400]]");
    d.until(|a| answers(a).first().is_some_and(|x| x.text.len() > 8))
        .await;
    d.send(key(KeyCode::Esc));
    d.until_idle().await;
    let before = screen(&d.app, 80, 24);
    let header = row(&before, "▌ google/").to_string();
    let estimate = header
        .split(" · ")
        .find(|p| p.starts_with('≈') && p.ends_with(" in"))
        .unwrap_or_else(|| panic!("an input estimate: {header}"))
        .to_string();
    assert_ne!(estimate, "≈0 in");
    store.flush();
    let mut again = common::new_app();
    again.restore(&orchat::runtime::load_session(&store, "conv-in").unwrap());
    let after = screen(&again, 80, 24);
    assert!(
        row(&after, "▌ google/").contains(&format!(" · {estimate} · ")),
        "{estimate} after a reload:\n{after}"
    );
}

#[tokio::test]
async fn overlays_sit_above_the_input_box_and_clear_whole_rows() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("write a long line [[fault:long:300]]");
    d.until_idle().await;
    d.type_text("a draft stays in view");
    for (open, name) in [
        (ctrl('p'), "model"),
        (ctrl('o'), "cost per model"),
        (fkey(1), "keys and commands"),
    ] {
        d.send(open);
        let s = screen(&d.app, 80, 24);
        assert!(s.contains(name), "{name}:\n{s}");
        let lines: Vec<&str> = s.lines().collect();
        // The input box whole: its top border, the draft, its bottom.
        let top = lines
            .iter()
            .position(|l| l.starts_with("┌ message "))
            .unwrap_or_else(|| panic!("{name}: the input box's border:\n{s}"));
        assert!(lines[top].ends_with('┐'), "{name}:\n{s}");
        assert!(
            lines[top + 1].contains("a draft stays in view"),
            "{name}:\n{s}"
        );
        assert!(lines[top + 2].starts_with('└'), "{name}:\n{s}");
        // Every row the overlay covers holds the overlay alone: nothing of
        // the answer beside its borders.
        let first = lines.iter().position(|l| l.contains(name)).unwrap();
        let last = lines[first..]
            .iter()
            .position(|l| l.trim_start().starts_with('└'))
            .map(|i| first + i)
            .unwrap();
        assert!(last < top, "{name}: above the input box:\n{s}");
        for l in &lines[first..=last] {
            let t = l.trim();
            assert!(
                t.starts_with('┌') || t.starts_with('│') || t.starts_with('└'),
                "{name}: a row with something beside the overlay: {l:?}\n{s}"
            );
            assert!(
                t.ends_with('┐') || t.ends_with('│') || t.ends_with('┘'),
                "{name}: {l:?}\n{s}"
            );
        }
        d.send(key(KeyCode::Esc));
    }
}

#[tokio::test]
async fn at_80_columns_a_header_keeps_its_cost_kind_and_titles_keep_whole_words() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.app.chat.model = "google/gemini-2.5-flash-lite-preview-06-17".into();
    d.submit("a long answer [[fault:long:200]]");
    d.until_idle().await;
    let s = screen(&d.app, 80, 24);
    // The vendor gives way first; the cost and its kind stay whole.
    let header = row(&s, "▌ gemini-2.5-flash-lite");
    assert!(header.ends_with(" reported"), "{header}");
    assert!(header.contains(" · $0.0"), "{header}");
    d.send(ctrl('p'));
    let s = screen(&d.app, 80, 24);
    let title = row(&s, "┌ model");
    assert!(title.contains("· Esc close ─"), "{title}");
    d.send(key(KeyCode::Esc));
    d.send(ctrl('s'));
    let s = screen(&d.app, 80, 24);
    let title = row(&s, "┌ conversations");
    assert!(title.contains("· Esc close "), "{title}");
    // Every hint in the title is whole.
    for hint in title.split(" · ").skip(1) {
        let hint = hint.trim_end_matches(['─', '┐', ' ']);
        assert!(
            [
                "type to search",
                "Enter open",
                "Ctrl+R rename",
                "Ctrl+X delete",
                "Esc close"
            ]
            .contains(&hint),
            "{hint:?} in {title}"
        );
    }
}

// ------------------------------------------------------------ section 1 on screen

#[tokio::test]
async fn think_tags_show_as_reasoning_and_never_go_back() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("what is 2+2 [[fault:think-tags]]");
    d.until_idle().await;
    let a = answers(&d.app)[0].clone();
    assert_eq!(a.status, Status::Complete);
    assert!(!a.reasoning.trim().is_empty());
    assert!(!a.text.contains("think>"), "{}", a.text);
    let s = screen(&d.app, 80, 24);
    assert!(!s.contains("<think>") && !s.contains("</think>"), "{s}");
    d.submit("and 3+3");
    d.until_idle().await;
    let sent = &d.server.received()[1].body;
    let history = sent["messages"].to_string();
    assert!(!history.contains("think>"), "{history}");
    assert!(
        !history.contains(a.reasoning.trim()),
        "the thinking is not sent back: {history}"
    );
}

#[tokio::test]
async fn a_byok_answer_shows_what_the_provider_key_paid() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("hello [[fault:byok]]");
    d.until_idle().await;
    assert_eq!(d.app.wallet.charges[0].cost.kind, CostKind::Byok);
    assert!(!d.app.wallet.charges[0].cost.usd.is_zero());
    let s = screen(&d.app, 80, 24);
    assert!(row(&s, "▌ google/").ends_with("BYOK"), "{s}");
    assert!(s.contains("your own provider key (BYOK)"), "{s}");
    assert!(!s.contains("total $0.00 "), "{s}");
}

#[tokio::test]
async fn an_error_event_shows_the_servers_words_and_keeps_the_text() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("hi [[fault:error-event:text]]");
    d.until_idle().await;
    let a = answers(&d.app)[0];
    assert!(!a.text.is_empty());
    let (text, hint) = errors(&d.app).pop().unwrap();
    assert!(
        text.contains("the model crashed while generating (out of memory)"),
        "{text}"
    );
    assert!(
        !text.contains("(502)") && !text.contains("connection"),
        "{text}"
    );
    let hint = hint.unwrap_or_default();
    assert!(
        !hint.contains("after retrying"),
        "no retries happened: {hint}"
    );
    assert!(hint.contains("the text above is kept"), "{hint}");
    assert_eq!(d.server.received().len(), 1);
}

#[tokio::test]
async fn an_empty_200_says_the_server_failed_and_is_not_retried() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("hi [[fault:empty-200]]");
    d.until_idle().await;
    assert_eq!(d.server.received().len(), 1);
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("the server sent an empty answer"), "{s}");
    assert!(!s.contains("network"), "{s}");
}

#[tokio::test]
async fn keep_alives_and_a_growing_message_leave_one_clean_answer() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("capital of France [[fault:keepalives]] [[fault:delta-and-message]]");
    d.until_idle().await;
    let a = answers(&d.app)[0];
    assert_eq!(a.status, Status::Complete);
    assert_eq!(
        a.text,
        common::oneshot::answer(
            "google/gemini-2.5-flash",
            "capital of France [[fault:keepalives]] [[fault:delta-and-message]]"
        ),
        "not doubled"
    );
    let s = screen(&d.app, 80, 24);
    assert!(!s.contains("malformed"), "{s}");
}

#[tokio::test]
async fn a_context_overflow_offers_to_leave_out_older_turns() {
    let mut d = Driver::new(ServerOptions::default()).await;
    for q in ["first question", "second question", "third question"] {
        d.submit(q);
        d.until_idle().await;
    }
    d.server
        .push_fault(Fault::ContextOverflow(OverflowDialect::Llama));
    d.submit("fourth question");
    d.until_idle().await;
    let (text, hint) = errors(&d.app).pop().unwrap();
    assert!(text.contains("too long for this model"), "{text}");
    let hint = hint.unwrap();
    assert!(hint.contains("Ctrl+Y"), "{hint}");
    let sent_before = d.server.received().last().unwrap().body["messages"]
        .as_array()
        .unwrap()
        .len();
    d.send(ctrl('y'));
    d.until_idle().await;
    let body = d.server.received().last().unwrap().body.clone();
    let sent_after = body["messages"].as_array().unwrap().len();
    assert!(sent_after < sent_before, "{sent_after} < {sent_before}");
    assert!(body["messages"].to_string().contains("fourth question"));
    assert!(!body["messages"].to_string().contains("first question"));
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("left out of what is sent"), "{s}");
    assert_eq!(answers(&d.app).last().unwrap().status, Status::Complete);
    // Everything is still on screen and kept: nothing the user wrote is lost.
    assert!(
        common::prompts(&d.app)
            .iter()
            .any(|t| t == "first question")
    );
}

#[tokio::test]
async fn a_compressed_stream_and_a_wrapped_image_arrive_whole() {
    let mut d = Driver::new(ServerOptions::default()).await;
    d.submit("hello [[fault:gzip]]");
    d.until_idle().await;
    assert_eq!(answers(&d.app)[0].status, Status::Complete);
    d.app.chat.model = "google/gemini-2.5-flash-image-preview".into();
    d.submit("a red fox [[fault:image-wrapped]]");
    d.until_idle().await;
    let n = answers(&d.app).last().unwrap().images.len();
    assert_eq!(n, 1, "the paid-for image is kept");
    let s = screen(&d.app, 80, 24);
    assert!(!s.contains("not saved"), "{s}");
}

/// A catalog of a plain server's own: one model that says nothing of its
/// inputs, one known to read text only.
fn own_catalog() -> Catalog {
    Catalog::parse(
        r#"{"data":[
            {"id":"local/says-nothing","context_length":32768},
            {"id":"local/text-only","context_length":32768,
             "architecture":{"input_modalities":["text"],"output_modalities":["text"]}}
        ]}"#,
        Source::Live,
    )
    .unwrap()
}

#[tokio::test]
async fn an_image_goes_to_a_model_that_says_nothing_about_images() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("fox.png");
    image::RgbImage::from_pixel(4, 4, image::Rgb([200, 80, 20]))
        .save(&png)
        .unwrap();
    let server = orchat::server::start_with(
        ServerOptions {
            dialect: orchat::server::Dialect::Plain,
            ..ServerOptions::default()
        },
        own_catalog(),
    )
    .await
    .unwrap();
    let mut d = Driver::on(server);
    d.app.env.catalog = own_catalog();
    d.app.chat.model = "local/says-nothing".into();
    d.send(fkey(2));
    d.type_text(&png.display().to_string());
    d.send(key(KeyCode::Enter));
    d.until(|a| !a.composer.attachments.is_empty()).await;
    d.submit("what is this");
    d.until_idle().await;
    assert!(errors(&d.app).is_empty(), "{:?}", errors(&d.app));
    let sent = d.server.received().last().unwrap().body.to_string();
    assert!(sent.contains("image_url"), "unknown never blocks: {sent}");
    // A model known to read text only is refused, and the refusal never
    // names an empty list.
    d.app.chat.model = "local/text-only".into();
    d.send(fkey(2));
    d.type_text(&png.display().to_string());
    d.send(key(KeyCode::Enter));
    d.until(|a| !a.composer.attachments.is_empty()).await;
    d.submit("and this");
    let (text, _) = errors(&d.app).pop().expect("refused");
    assert!(
        text.contains("local/text-only does not read images"),
        "{text}"
    );
    assert!(
        text.contains("no model in this provider's list is known to read them"),
        "{text}"
    );
    assert!(!text.ends_with("include "), "{text}");
    let s = screen(&d.app, 80, 24);
    assert!(s.contains("does not read images"), "{s}");
}
