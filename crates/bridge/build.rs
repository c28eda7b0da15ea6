// Re-embed the SQL migrations whenever one changes (sqlx::migrate! reads them at compile time);
// migrations-postgres is embedded by tests/schema_parity.rs, and by the PostgreSQL store later.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations-postgres");
}
