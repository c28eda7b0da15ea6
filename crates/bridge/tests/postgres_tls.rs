//! A store URL asking for TLS (`sslmode=require`) gets it from PostgreSQL, and one the server
//! cannot serve with TLS is refused rather than sent in clear: the store on a throwaway server,
//! before and after TLS is switched on with the repository's test certificate.

use bridge::store::Store;

#[tokio::test]
async fn a_store_url_asking_for_tls_gets_it() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
        return;
    };
    let url = format!("{}?sslmode=require", server.fresh_database().await.unwrap());
    let refused = Store::open(&url)
        .await
        .expect_err("the server has no TLS yet");
    assert!(
        refused.to_string().contains("cannot open the store")
            && refused.to_string().to_lowercase().contains("tls"),
        "{refused}"
    );

    // TLS on: the test certificate (localhost, 127.0.0.1) in the data directory, owned by the
    // server's user as PostgreSQL insists, then a reload.
    let data = server.dir().join("data");
    let owner = std::fs::metadata(&data).unwrap();
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tls");
    for (from, to) in [("cert.pem", "server.crt"), ("key.pem", "server.key")] {
        let path = data.join(to);
        std::fs::copy(fixtures.join(from), &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid())).unwrap();
    }
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&server.url())
        .await
        .unwrap();
    sqlx::query("ALTER SYSTEM SET ssl = 'on'")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("SELECT pg_reload_conf()")
        .execute(&mut conn)
        .await
        .unwrap();
    // The reload is signalled, not waited for: the server takes it in a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let on: String = sqlx::query_scalar("SHOW ssl")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        if on == "on" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "ssl is still {on}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let store = Store::open(&url).await.expect("TLS is negotiated");
    store.ping().await.unwrap();
    store.close().await;
}
