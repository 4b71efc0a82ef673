//! Lifecycle consumers by sequence number (issue 11): notifications and the history list's
//! refresh keep working however many runs pass through the page's bounded feed, and each run
//! is announced at most once, whatever replays its end.

use serde_json::json;
use telemetry_core::lifecycle_feed::{FeedCursor, FeedNumbering};
use telemetry_core::run::RunSource;
use telemetry_core::run_end::{RunEndNotifier, NOTIFIED_KEPT};
use telemetry_core::tracker::{Change, Lifecycle, LifecycleKind};
use telemetry_core::{decode_text, Tracker};

/// The page's feed as the shell keeps it: the newest 100 events.
const FEED_KEPT: usize = 100;

struct Page {
    tracker: Tracker,
    numbering: FeedNumbering,
    feed: Vec<Lifecycle>,
    now: f64,
}

impl Page {
    fn new() -> Page {
        Page {
            tracker: Tracker::new("http://127.0.0.1:8188"),
            numbering: FeedNumbering::default(),
            feed: Vec::new(),
            now: 1_000.0,
        }
    }

    fn send(&mut self, kind: &str, data: serde_json::Value) {
        self.now += 10.0;
        let frame = json!({ "type": kind, "data": data }).to_string();
        let msg = decode_text(&frame).expect("frame decodes");
        let mut out = Vec::new();
        self.tracker.apply(&msg, self.now, &mut out);
        for change in out {
            if let Change::Lifecycle(l) = change {
                self.feed.push(self.numbering.page_event(&l));
            }
        }
        let excess = self.feed.len().saturating_sub(FEED_KEPT);
        self.feed.drain(..excess);
    }

    /// One prompt from start to success, as ComfyUI sends it.
    fn run(&mut self, id: &str) {
        let ts = self.now as i64;
        self.send("execution_start", json!({"prompt_id": id, "timestamp": ts}));
        self.send(
            "executing",
            json!({"node": "1", "display_node": "1", "prompt_id": id}),
        );
        self.send(
            "executed",
            json!({"node": "1", "display_node": "1", "prompt_id": id, "output": {}}),
        );
        self.send(
            "execution_success",
            json!({"prompt_id": id, "timestamp": ts + 5}),
        );
    }

    fn source(&self, id: &str) -> Option<RunSource> {
        self.tracker.run(id).map(|r| r.source)
    }

    /// What the run-end notifier announces for the events a cursor has not handled yet.
    fn notify(&self, cursor: &mut FeedCursor, notifier: &mut RunEndNotifier) -> Vec<String> {
        cursor
            .take(&self.feed)
            .iter()
            .filter_map(|e| notifier.on_event(e, self.source(&e.run_id)))
            .map(|n| n.run_id)
            .collect()
    }
}

#[test]
fn the_200th_run_notifies_like_the_first() {
    let mut page = Page::new();
    let mut cursor = FeedCursor::new();
    let mut notifier = RunEndNotifier::default();
    for i in 1..=200 {
        let id = format!("prompt-{i:03}");
        page.run(&id);
        assert_eq!(
            page.notify(&mut cursor, &mut notifier),
            vec![id.clone()],
            "run {i} is announced once"
        );
    }
    assert_eq!(page.feed.len(), FEED_KEPT, "the feed stayed bounded");
}

#[test]
fn the_history_list_refreshes_after_the_200th_run() {
    let mut page = Page::new();
    page.run("before-the-page-opened");
    // The history page opens late: what already happened is no reason to refresh.
    let mut cursor = FeedCursor::at_end_of(&page.feed);
    assert!(cursor.take(&page.feed).is_empty());
    let mut refreshes = 0;
    for i in 1..=200 {
        page.run(&format!("p{i}"));
        if !cursor.take(&page.feed).is_empty() {
            refreshes += 1;
        }
        // Nothing new: no refresh.
        assert!(cursor.take(&page.feed).is_empty());
    }
    assert_eq!(refreshes, 200);
}

#[test]
fn a_replayed_end_of_an_announced_run_is_not_announced_again() {
    let mut page = Page::new();
    let mut cursor = FeedCursor::new();
    let mut notifier = RunEndNotifier::default();
    page.run("A");
    assert_eq!(page.notify(&mut cursor, &mut notifier), vec!["A"]);
    // A reload: a new tracker replays A's end (the extension's catch-up); the notifier comes
    // back from what was saved.
    let saved = notifier.saved();
    let mut reloaded = RunEndNotifier::default();
    reloaded.absorb_saved(&saved);
    let mut page2 = Page::new();
    let mut cursor2 = FeedCursor::new();
    page2.run("A");
    page2.run("B");
    assert_eq!(page2.notify(&mut cursor2, &mut reloaded), vec!["B"]);
    // The same end twice in one page (duplicated frames) is one notification.
    let end = page2
        .feed
        .iter()
        .rfind(|e| e.kind == LifecycleKind::Succeeded)
        .cloned()
        .expect("an end");
    assert_eq!(reloaded.on_event(&end, Some(RunSource::Stream)), None);
}

#[test]
fn runs_rebuilt_from_history_or_marked_at_start_are_never_announced() {
    let mut notifier = RunEndNotifier::default();
    let end = |id: &str, seq| Lifecycle {
        seq,
        run_id: id.to_owned(),
        kind: LifecycleKind::Succeeded,
        at_ms: 0.0,
    };
    assert_eq!(
        notifier.on_event(&end("backfilled", 1), Some(RunSource::History)),
        None
    );
    assert!(notifier.has_notified("backfilled"));
    notifier.mark("stored-finished");
    assert_eq!(
        notifier.on_event(&end("stored-finished", 2), Some(RunSource::Stream)),
        None
    );
    let failed = Lifecycle {
        kind: LifecycleKind::Failed {
            message: Some(" boom ".into()),
        },
        ..end("abcdef123456", 3)
    };
    let n = notifier
        .on_event(&failed, Some(RunSource::Polling))
        .expect("a watched failure is announced");
    assert!(n.body.ends_with("failed: boom"), "{}", n.body);
    // Starts, outputs and queue events are not ends.
    let started = Lifecycle {
        kind: LifecycleKind::Started,
        ..end("other", 4)
    };
    assert_eq!(notifier.on_event(&started, None), None);
    assert!(!notifier.has_notified("other"));
}

#[test]
fn remembered_ids_are_bounded_and_unreadable_saves_are_harmless() {
    let mut notifier = RunEndNotifier::default();
    for i in 0..(NOTIFIED_KEPT + 50) {
        notifier.mark(&format!("r{i}"));
    }
    assert_eq!(notifier.len(), NOTIFIED_KEPT);
    assert!(!notifier.has_notified("r0"), "the oldest went first");
    assert!(notifier.has_notified(&format!("r{}", NOTIFIED_KEPT + 49)));
    for junk in ["", "{", "null", "[1,2]", "\"x\"", "[\"ok\", 3]"] {
        let mut n = RunEndNotifier::default();
        n.absorb_saved(junk);
        assert!(n.is_empty(), "{junk:?}");
    }
    let mut n = RunEndNotifier::new(3);
    n.absorb_saved(r#"["a","b","a","c","d"]"#);
    assert_eq!(n.saved(), r#"["b","c","d"]"#);
}

#[test]
fn saved_ids_read_as_a_vec_of_strings_reads_them() {
    // What `serde_json::from_str::<Vec<String>>` reads (the reader before), as the oracle.
    for text in [
        "",
        "[]",
        " [ \"a\" , \"b\" ] ",
        r#"["a","b","a"]"#,
        r#"["\u0041\n","é"]"#,
        r#"["a",["b"]]"#,
        r#"["a",null]"#,
        r#"["a"] x"#,
        r#"{"0":"a"}"#,
        r#""a""#,
        "[\"a\"",
    ] {
        let mut read = RunEndNotifier::default();
        read.absorb_saved(text);
        let mut oracle = RunEndNotifier::default();
        for id in serde_json::from_str::<Vec<String>>(text).unwrap_or_default() {
            oracle.mark(&id);
        }
        assert_eq!(read.saved(), oracle.saved(), "{text:?}");
    }
}

#[test]
fn a_new_tracker_continues_the_page_numbering() {
    let mut page = Page::new();
    let mut cursor = FeedCursor::new();
    let mut notifier = RunEndNotifier::default();
    page.run("A");
    assert_eq!(page.notify(&mut cursor, &mut notifier), vec!["A"]);
    // A new server setting: a new tracker numbering from 1, on the same page feed.
    page.tracker = Tracker::new("http://other:8188");
    page.numbering = FeedNumbering::continuing(&page.feed);
    page.run("B");
    assert_eq!(page.notify(&mut cursor, &mut notifier), vec!["B"]);
    let seqs: Vec<u64> = page.feed.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

#[test]
fn a_cursor_survives_a_feed_that_started_again() {
    let ev = |seq| Lifecycle {
        seq,
        run_id: format!("r{seq}"),
        kind: LifecycleKind::Queued,
        at_ms: 0.0,
    };
    let mut cursor = FeedCursor::new();
    let first: Vec<_> = (1..=50).map(ev).collect();
    assert_eq!(cursor.take(&first).len(), 50);
    assert_eq!(cursor.last_seq(), 50);
    // Without renumbering, a restarted feed is still read, not skipped until seq 51.
    let restarted: Vec<_> = (1..=3).map(ev).collect();
    assert_eq!(cursor.take(&restarted).len(), 3);
    assert!(cursor.take(&restarted).is_empty());
    assert!(cursor.take(&[]).is_empty());
}

/// During a flood of ends the shell reads and writes the saved ids on every flush: what this
/// page wrote is not written again until it changes, and another tab's write is absorbed and
/// answered with the union, so neither tab's ids are lost.
#[test]
fn saved_ids_are_written_only_when_they_change() {
    let mut a = RunEndNotifier::default();
    a.mark("a1");
    let first = a.to_save().expect("a new id is written");
    assert_eq!(first, r#"["a1"]"#);
    a.absorb_saved(&first);
    assert_eq!(a.to_save(), None, "its own text again: nothing to write");
    let mut b = RunEndNotifier::default();
    b.absorb_saved(&first);
    b.mark("b1");
    let theirs = b.to_save().expect("b writes the union");
    assert_eq!(theirs, r#"["a1","b1"]"#);
    a.absorb_saved(&theirs);
    assert!(a.has_notified("b1"));
    assert_eq!(a.to_save().as_deref(), Some(r#"["a1","b1"]"#));
    // A tab that wrote fewer ids (an older page) is answered with ours.
    a.absorb_saved(r#"["b1"]"#);
    assert_eq!(a.to_save().as_deref(), Some(r#"["a1","b1"]"#));
    a.mark("a1");
    assert_eq!(a.to_save(), None, "an id already known changes nothing");
}
