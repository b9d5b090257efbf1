//! A small HTTP/1.1 server on 127.0.0.1 with an ephemeral port, on plain
//! threads so it serves any client on any runtime. Each path behaves
//! differently, so one fan-out meets every kind of outcome:
//!
//! - `/ok/{i}`: `200 OK` at once, body `item {i}`;
//! - `/slow/{i}`: `200 OK` after 2 s;
//! - `/fail/{i}`: `500 Internal Server Error`;
//! - `/drop/{i}`: reads the request, then closes the connection unanswered;
//! - `/page/{i}`: `200 OK` at once, a small HTML page of a site whose links
//!   lead to every kind of path above (see [`page_links`]).
//!
//! Every response closes its connection (`Connection: close`).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// How many of the 200 URLs end each way.
pub(crate) const EXPECTED_OK: usize = 188;
pub(crate) const EXPECTED_FAILED: usize = 11; // 10 answer 500, 1 closes the connection
pub(crate) const EXPECTED_TIMED_OUT: usize = 1; // answers after 2 s

/// Starts the server on an ephemeral port of 127.0.0.1; it runs until the
/// process ends.
pub(crate) fn start() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
    });
    addr
}

/// The 200 paths the examples fetch: input 7, 27, 47, .. answer 500, input
/// 100 answers after 2 s, input 150 closes the connection, the rest are ok.
pub(crate) fn paths() -> Vec<String> {
    (0..200)
        .map(|i| match i {
            100 => format!("/slow/{i}"),
            150 => format!("/drop/{i}"),
            _ if i % 20 == 7 => format!("/fail/{i}"),
            _ => format!("/ok/{i}"),
        })
        .collect()
}

/// How many pages the site has: `/page/0` to `/page/39`; any other page
/// number answers `404 Not Found`.
pub(crate) const PAGES: usize = 40;

/// The links on `/page/{i}`, in the order they appear.
///
/// The home page, `/page/0`, links to pages 1 to 10. Every other page links
/// home, to the next page and to the page ten further on (when they exist),
/// so every page is reachable from home, most of them by two links. Some
/// links lead elsewhere: pages 5, 15, 25 and 35 link to `/fail/{i}` (a
/// 500), page 12 to `/slow/12` (2 s) and page 27 to `/drop/27` (a closed
/// connection).
pub(crate) fn page_links(i: usize) -> Vec<String> {
    if i == 0 {
        return (1..=10).map(|j| format!("/page/{j}")).collect();
    }
    let mut links = vec!["/page/0".to_string()];
    links.extend(
        [i + 1, i + 10]
            .into_iter()
            .filter(|&j| j < PAGES)
            .map(|j| format!("/page/{j}")),
    );
    match i {
        _ if i % 10 == 5 => links.push(format!("/fail/{i}")),
        12 => links.push("/slow/12".to_string()),
        27 => links.push("/drop/27".to_string()),
        _ => {}
    }
    links
}

/// The HTML of `/page/{i}`: a heading and one anchor per link.
fn page(i: usize) -> String {
    let anchors: String = page_links(i)
        .iter()
        .map(|link| format!("<li><a href=\"{link}\">{link}</a></li>"))
        .collect();
    format!("<!DOCTYPE html><html><body><h1>page {i}</h1><ul>{anchors}</ul></body></html>")
}

fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Read the headers up to the blank line; the requests carry no body.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|read| read > 2) {
        header.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let item = path.rsplit('/').next().unwrap_or("");
    let (status, content_type, body) = if let Some(i) = page_number(path) {
        ("200 OK", "text/html", page(i))
    } else if path.starts_with("/ok/") {
        ("200 OK", "text/plain", format!("item {item}"))
    } else if path.starts_with("/slow/") {
        thread::sleep(Duration::from_secs(2));
        ("200 OK", "text/plain", format!("item {item}, late"))
    } else if path.starts_with("/fail/") {
        (
            "500 Internal Server Error",
            "text/plain",
            "failed".to_string(),
        )
    } else if path.starts_with("/drop/") {
        return; // dropping `stream` closes the connection unanswered
    } else {
        ("404 Not Found", "text/plain", "no such path".to_string())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = (&stream).write_all(response.as_bytes());
}

/// `i` for a path `/page/{i}` of one of the site's pages.
fn page_number(path: &str) -> Option<usize> {
    let i = path.strip_prefix("/page/")?.parse().ok()?;
    (i < PAGES).then_some(i)
}
