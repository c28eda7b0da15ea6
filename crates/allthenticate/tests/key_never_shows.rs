//! That the API key never shows: not in an error, a `Debug` output or a log line, for an
//! expired key and a wrong one. A test binary of its own: it captures the log with a
//! thread-local subscriber, which other tests registering the same call sites on other
//! threads at the same time could leave uncaptured.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use allthenticate::model::routes;
use allthenticate::{AllthenticateClient, AllthenticateError};
use common::{KEY, client, config, start};

/// A tracing writer into a shared buffer, to read what the client logged.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn an_expired_key_is_unauthorized_and_the_key_never_shows() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // Current-thread runtime: every log line of this test is written on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let running = start().await;
    let client = client(&running);
    assert!(client.list_users().await.is_ok());
    assert_eq!(running.sim.expire_keys(Some(KEY)), 1);

    let err = client.list_users().await.unwrap_err();
    match &err {
        AllthenticateError::Unauthorized {
            status,
            header,
            message,
            ..
        } => {
            assert_eq!((*status, header.as_str()), (401, "authorization"));
            assert_eq!(message, "API key expired");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_transient());
    // A 401 is not retried.
    assert_eq!(running.sim.call_count("GET", routes::MULTIPLE_USERS), 2);

    let wrong = AllthenticateClient::new(config(&running, "k-wrong-0000"))
        .unwrap()
        .list_invites()
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("Invalid API key"), "{wrong}");

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("Allthenticate call"),
        "nothing logged: {logged}"
    );
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{client:?}"),
        format!("{:?}", client.config()),
        wrong.to_string(),
        logged,
    ] {
        assert!(!text.contains(KEY), "the key leaked: {text}");
        assert!(!text.contains("k-wrong-0000"), "the key leaked: {text}");
    }
    running.shutdown().await;
}
