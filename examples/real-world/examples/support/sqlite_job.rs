//! The SQLite job the `sqlite` example and its test share: a seeded table,
//! and 500 queries of which one is malformed and five are deliberately heavy.

use fanout::Elapsed;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use std::fmt;
use std::path::Path;

pub(crate) const ROWS: i64 = 5_000;
pub(crate) const QUERIES: usize = 500;

/// Which query input `i` runs: a lookup by id, except for five heavy
/// recursive counts (inputs 50, 150, ..; about 2 s of CPU each on this
/// project's machines) and one malformed statement (input 123).
pub(crate) fn query_for(i: usize) -> &'static str {
    match i {
        123 => "SELEC name FROM items WHERE id = ?",
        _ if i % 100 == 50 => {
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000000) \
             SELECT 'heavy' AS name, count(*) + ? AS price FROM n"
        }
        _ => "SELECT name, price FROM items WHERE id = ?",
    }
}

/// One query: the row's name and price.
pub(crate) async fn run_query(pool: &SqlitePool, i: usize) -> Result<(String, i64), sqlx::Error> {
    let id = (i as i64 % ROWS) + 1;
    let row = sqlx::query(query_for(i)).bind(id).fetch_one(pool).await?;
    Ok((row.try_get("name")?, row.try_get("price")?))
}

/// The application's own error, so `?` and `try_gather` carry both kinds.
#[derive(Debug)]
pub(crate) enum QueryError {
    Sql(sqlx::Error),
    TimedOut(Elapsed),
}

impl From<sqlx::Error> for QueryError {
    fn from(error: sqlx::Error) -> Self {
        QueryError::Sql(error)
    }
}

impl From<Elapsed> for QueryError {
    fn from(elapsed: Elapsed) -> Self {
        QueryError::TimedOut(elapsed)
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Sql(error) => write!(f, "{error}"),
            QueryError::TimedOut(elapsed) => write!(f, "{elapsed}"),
        }
    }
}

pub(crate) async fn seed(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL)",
    )
    .execute(pool)
    .await?;
    let mut tx = pool.begin().await?;
    for id in 1..=ROWS {
        sqlx::query("INSERT INTO items (id, name, price) VALUES (?, ?, ?)")
            .bind(id)
            .bind(format!("item-{id}"))
            .bind(id * 7 % 1000)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// A pool on a new database file at `path`, seeded with `ROWS` rows.
///
/// More connections than a batch's bound: a heavy query that missed its
/// deadline is dropped by fanout, but SQLite finishes it on its own thread,
/// holding its connection a little longer.
pub(crate) async fn seeded_pool(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(16)
        .connect_with(options)
        .await?;
    seed(&pool).await?;
    Ok(pool)
}

/// What the batch should report.
pub(crate) const EXPECTED_OK: usize = 494;
pub(crate) const MALFORMED: usize = 123;
pub(crate) const HEAVY: [usize; 5] = [50, 150, 250, 350, 450];
