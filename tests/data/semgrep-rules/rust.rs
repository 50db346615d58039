use std::process::Command;

fn run(user: &str, conn: &rusqlite::Connection, pool: &sqlx::PgPool) {
    // ruleid: rust-command-from-format
    Command::new("sh").arg("-c").arg(format!("ls {}", user)).output().unwrap();
    // ruleid: rust-command-from-format
    Command::new(format!("/opt/tools/{}", user)).status().unwrap();
    // ok: rust-command-from-format
    Command::new("ls").arg(user).output().unwrap();
    let line = format!("{} -d {}", "gzip", user);
    let mut cmd = Command::new("/bin/sh");
    // ruleid: rust-command-from-format
    cmd.arg("-c").arg(line);
    // ok: rust-command-from-format
    cmd.arg("-c").arg("gzip -d archive.gz");

    // ruleid: rust-sql-from-format
    let rows = sqlx::query(&format!("SELECT * FROM users WHERE name = '{}'", user));
    // ok: rust-sql-from-format
    let rows = sqlx::query("SELECT * FROM users WHERE name = $1").bind(user);
    // ruleid: rust-sql-from-format
    conn.execute(&format!("DELETE FROM t WHERE id = {}", user), []).unwrap();
    // ok: rust-sql-from-format
    conn.execute("DELETE FROM t WHERE id = ?1", [user]).unwrap();
    let sql = format!("SELECT id FROM users WHERE name = '{}'", user);
    // ruleid: rust-sql-from-format
    let row: Option<(i64,)> = sqlx::query_as(&sql).fetch_optional(pool).await.unwrap();
    // ok: rust-sql-from-format
    println!("{}", format!("{:?}", row));

    // ruleid: rust-tls-verification-disabled
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build();
    // ok: rust-tls-verification-disabled
    let strict = reqwest::Client::builder().danger_accept_invalid_certs(false).build();

    // ruleid: rust-weak-hash
    let digest = md5::compute(user.as_bytes());
    // ok: rust-weak-hash
    let good = Sha256::digest(user.as_bytes());
    unsafe {
        // ok: rust-weak-hash
        std::ptr::null::<u8>();
    }
}
