//! HTTP: a fixed pool of workers takes requests from tiny_http, checks
//! them and answers from the snapshot being served.
//!
//! The checks, in order: request target over 8 KiB → 414, more than 100
//! header fields or 32 KiB of them → 431 (tiny_http itself answers 400 to a
//! malformed request line or header; it has no limit of its own on the
//! head's size, and the socket's read timeout (`super::listen`) is what
//! bounds a head that never ends);
//! methods other than GET and HEAD → 405 with `Allow`; a `Host` that is not
//! the bound address, `localhost` or `127.0.0.1` with the port → 421 (DNS
//! rebinding); then routing. A path is percent-decoded once; an encoded
//! slash, backslash or NUL, a `.` or `..` segment, an empty segment or an
//! absolute path is 404 — and lookups only ever go to the in-memory build.
//! `dir/` serves `dir/index.html`; `dir` where `dir/index.html` exists
//! redirects (301) to `dir/`.

use std::io::{Cursor, Read};
use std::net::IpAddr;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use tiny_http::{HTTPVersion, Header, Method, Request, Response, Server, StatusCode};

use super::events::{Filter, Slot};
use super::{inject, Snapshot, State, Stop};
use crate::output::safe_relative_path;
use crate::search::store::hits_json;
use crate::search::Filters;

/// Workers answering requests; event streams run on threads of their own.
const WORKERS: usize = 8;
const MAX_TARGET: usize = 8 * 1024;
const MAX_HEADERS: usize = 100;
const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Search results at most, whatever `limit` asks.
const MAX_SEARCH_LIMIT: usize = 100;
/// Searches running at once; past it a search gets 503 with `Retry-After`,
/// so the other workers stay free for pages, `/health` and `/ready`.
const MAX_CONCURRENT_SEARCHES: usize = WORKERS / 2;

type Reply = Response<Box<dyn Read + Send>>;

/// What a request gets.
enum Answer {
    Reply(Reply),
    Events(Slot, Filter),
}

/// Starts the workers; they stop once the state says so, and send on
/// `stop` if the server itself fails.
pub fn start_workers(server: &Arc<Server>, state: &Arc<State>, stop: &Sender<Stop>) -> Vec<JoinHandle<()>> {
    (0..WORKERS)
        .filter_map(|n| {
            let server = Arc::clone(server);
            let state = Arc::clone(state);
            let stop = stop.clone();
            std::thread::Builder::new()
                .name(format!("cairn-http-{n}"))
                .spawn(move || work(&server, &state, &stop))
                .map_err(|error| eprintln!("warning: cannot start an HTTP worker: {error}"))
                .ok()
        })
        .collect()
}

fn work(server: &Server, state: &State, stop: &Sender<Stop>) {
    while !state.stopping() {
        match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(request)) => handle(state, request),
            Ok(None) => {}
            Err(error) => {
                // tiny_http's accept loop has ended: nothing more would be
                // served, so `run` returns this error.
                let _ = stop.send(Stop::Failed(anyhow::anyhow!(
                    "the HTTP server stopped accepting connections: {error}"
                )));
                return;
            }
        }
    }
}

fn handle(state: &State, request: Request) {
    match answer(state, &request) {
        Answer::Reply(reply) => {
            state.metrics.request(reply.status_code().0);
            // A client that went away is no error of ours.
            let _ = request.respond(reply);
        }
        Answer::Events(slot, filter) => {
            state.metrics.request(200);
            state.hub.attach(slot, request.into_writer(), filter);
        }
    }
}

fn answer(state: &State, request: &Request) -> Answer {
    if request.url().len() > MAX_TARGET {
        return Answer::Reply(text(414, "request target too long\n"));
    }
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|h| h.field.as_str().as_str().len() + h.value.as_str().len() + 4)
        .sum();
    if request.headers().len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return Answer::Reply(text(431, "request header fields too large\n"));
    }
    if !matches!(request.method(), Method::Get | Method::Head) {
        return Answer::Reply(with(text(405, "method not allowed\n"), "Allow", "GET, HEAD"));
    }
    if !host_allowed(state, request) {
        return Answer::Reply(text(421, "unknown host: use the address cairn serve printed\n"));
    }
    let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
    let snapshot = state.snapshot();
    let reply = match path {
        "/health" => text(200, "ok\n"),
        "/ready" => ready(&snapshot),
        "/metrics" => metrics(state, &snapshot),
        "/api/v1/search" => match state.searches.enter(MAX_CONCURRENT_SEARCHES) {
            Some(_running) => search(&snapshot, query),
            None => with(text(503, "too many searches at once\n"), "Retry-After", "1"),
        },
        "/api/v1/events" => return events(state, request, query),
        _ => static_file(&snapshot, request, path, query),
    };
    Answer::Reply(reply)
}

/// Whether the `Host` header names this server: `localhost`, `127.0.0.1`,
/// `[::1]` or the bound address (any IP literal when bound to all
/// interfaces), with the bound port. HTTP/1.0 may omit it.
fn host_allowed(state: &State, request: &Request) -> bool {
    let Some(host) = header_value(request, "Host") else {
        return *request.http_version() == HTTPVersion(1, 0);
    };
    let bound = state.address;
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !port.contains(']') => (name, port.parse::<u16>().ok()),
        _ => (host, Some(80)),
    };
    if port != Some(bound.port()) {
        return false;
    }
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let literal = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
    match literal.parse::<IpAddr>() {
        Ok(ip) => ip == bound.ip() || ip.is_loopback() || bound.ip().is_unspecified(),
        Err(_) => false,
    }
}

fn ready(snapshot: &Snapshot) -> Reply {
    match (&snapshot.build, &snapshot.failure) {
        (Some(build), _) => text(200, &format!("ready: build {}\n", build.number)),
        (None, Some(_)) => text(503, "not ready: the catalog has errors\n"),
        (None, None) => with(text(503, "not ready: building\n"), "Retry-After", "1"),
    }
}

fn metrics(state: &State, snapshot: &Snapshot) -> Reply {
    let body = state.metrics.render(snapshot, state.hub.clients());
    bytes(200, "text/plain; version=0.0.4; charset=utf-8", body.into_bytes())
}

/// `/api/v1/search?q=&limit=` (and `kind`, `owner`, `lifecycle`, `tier`).
fn search(snapshot: &Snapshot, query: &str) -> Reply {
    let Some(build) = &snapshot.build else {
        return text(503, "not ready: no build yet\n");
    };
    let mut q = String::new();
    let mut limit = 10;
    let mut filters = Filters::default();
    for (key, value) in query_pairs(query) {
        match key.as_str() {
            "q" => q = value,
            "limit" => match value.parse::<usize>() {
                Ok(n) => limit = n.min(MAX_SEARCH_LIMIT),
                Err(_) => return text(400, "limit must be a number\n"),
            },
            "kind" => filters.kind = Some(value),
            "owner" => filters.owner = Some(value),
            "lifecycle" => filters.lifecycle = Some(value),
            "tier" => filters.tier = Some(value),
            _ => {}
        }
    }
    let search = match build.search.wait() {
        Ok(search) => search,
        Err(error) => return text(500, &format!("search index: {error}\n")),
    };
    match search.index.search(crate::search::bounded_query(&q), &filters, limit) {
        Ok(rows) => bytes(200, "application/json", hits_json(&rows).to_string().into_bytes()),
        Err(error) => text(500, &format!("search failed: {error:#}\n")),
    }
}

fn events(state: &State, request: &Request, query: &str) -> Answer {
    let filter = match Filter::parse(query) {
        Ok(filter) => filter,
        Err(message) => return Answer::Reply(text(400, &format!("{message}\n"))),
    };
    if *request.method() == Method::Head {
        return Answer::Reply(bytes(200, "text/event-stream", Vec::new()));
    }
    match state.hub.reserve() {
        Some(slot) => Answer::Events(slot, filter),
        None => Answer::Reply(with(text(503, "too many event streams\n"), "Retry-After", "5")),
    }
}

/// A file of the build.
fn static_file(snapshot: &Snapshot, request: &Request, path: &str, query: &str) -> Reply {
    let Some(key) = build_path(path) else {
        return text(404, "not found\n");
    };
    let failure = snapshot
        .failure
        .as_deref()
        .map(|f| (f.diagnostics.as_slice(), f.number));
    let Some(build) = &snapshot.build else {
        return match failure {
            Some((diagnostics, _)) => bytes(503, "text/html; charset=utf-8", inject::error_page(diagnostics)),
            None => with(text(503, "not ready: building\n"), "Retry-After", "1"),
        };
    };
    let Some(file) = build.file(&key) else {
        let index = format!("{key}/index.html");
        if !key.ends_with("index.html") && build.files.contains_key(&index) {
            let query = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            return with(text(301, "moved\n"), "Location", &format!("/{key}/{query}"));
        }
        return text(404, "not found\n");
    };
    let html = key.ends_with(".html");
    let etag = match failure {
        Some((_, number)) if html => format!("{}-f{number}\"", file.etag.trim_end_matches('"')),
        _ => file.etag.to_string(),
    };
    let cached = header_value(request, "If-None-Match").is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
    if cached {
        return with(empty(304), "ETag", &etag);
    }
    let content_type = if html {
        "text/html; charset=utf-8".to_string()
    } else if let Some(json) = crate::emit::backstage::content_type(&key) {
        json.to_string()
    } else {
        mime_guess::from_path(&key)
            .first_or_octet_stream()
            .essence_str()
            .to_string()
    };
    let (body, length): (Box<dyn Read + Send>, usize) = if html {
        let page = inject::page(&file.bytes, &key, failure.map(|(d, _)| d));
        let length = page.len();
        (Box::new(Cursor::new(page)), length)
    } else {
        (Box::new(Cursor::new(Arc::clone(&file.bytes))), file.bytes.len())
    };
    let reply = Response::new(StatusCode(200), common_headers(&content_type), body, Some(length), None);
    with(reply, "ETag", &etag)
}

/// The build path a request path names: percent-decoded once, checked,
/// `index.html` added to a directory. `None` for anything that is not a
/// plain relative path.
fn build_path(path: &str) -> Option<String> {
    let lower = path.to_ascii_lowercase();
    if ["%2f", "%5c", "%00"].iter().any(|encoded| lower.contains(encoded)) {
        return None;
    }
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    let relative = decoded.strip_prefix('/')?;
    if relative.is_empty() {
        return Some("index.html".into());
    }
    let (relative, directory) = match relative.strip_suffix('/') {
        Some(dir) => (dir, true),
        None => (relative, false),
    };
    if !safe_relative_path(relative) {
        return None;
    }
    Some(if directory {
        format!("{relative}/index.html")
    } else {
        relative.to_string()
    })
}

/// `key=value` pairs of a query string, percent-decoded (`+` is a space).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(key), decode(value))
        })
        .collect()
}

fn header_value<'a>(request: &'a Request, name: &'static str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

/// `reply` with one more header (left out if the value is not ASCII, which
/// only a hostile query string could make it).
fn with(reply: Reply, name: &str, value: &str) -> Reply {
    match Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        Ok(header) => reply.with_header(header),
        Err(()) => reply,
    }
}

fn common_headers(content_type: &str) -> Vec<Header> {
    [
        ("Content-Type", content_type),
        ("Cache-Control", "no-cache"),
        ("X-Content-Type-Options", "nosniff"),
        ("Server", "cairn"),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .filter_map(|(name, value)| Header::from_bytes(name.as_bytes(), value.as_bytes()).ok())
    .collect()
}

fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    let length = body.len();
    Response::new(
        StatusCode(status),
        common_headers(content_type),
        Box::new(Cursor::new(body)) as Box<dyn Read + Send>,
        Some(length),
        None,
    )
}

fn text(status: u16, body: &str) -> Reply {
    bytes(status, "text/plain; charset=utf-8", body.as_bytes().to_vec())
}

fn empty(status: u16) -> Reply {
    Response::new(
        StatusCode(status),
        common_headers(""),
        Box::new(std::io::empty()) as Box<dyn Read + Send>,
        Some(0),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_map_to_build_paths_or_nothing() {
        let cases = [
            ("/", Some("index.html")),
            ("/a/b/", Some("a/b/index.html")),
            ("/a/b.json", Some("a/b.json")),
            ("/a%20b", Some("a b")),
            ("/../etc/passwd", None),
            ("/a/../../etc/passwd", None),
            ("/%2e%2e/etc/passwd", None),
            ("/%2E%2E%2fetc", None),
            ("/a%2fb", None),
            ("/a%5cb", None),
            ("/a\\b", None),
            ("//etc/passwd", None),
            ("/a//b", None),
            ("/./a", None),
            ("/a%00", None),
            ("/%252e%252e/x", Some("%2e%2e/x")),
            ("relative", None),
            ("http://example.com/", None),
            ("/c:/windows", None),
        ];
        for (path, expected) in cases {
            assert_eq!(build_path(path).as_deref(), expected, "{path}");
        }
    }

    #[test]
    fn query_strings_are_decoded() {
        assert_eq!(
            query_pairs("q=chekout+api&limit=5&filter=owner%3Apayments&flag"),
            [
                ("q".into(), "chekout api".into()),
                ("limit".into(), "5".into()),
                ("filter".into(), "owner:payments".into()),
                ("flag".into(), String::new()),
            ]
        );
    }
}
