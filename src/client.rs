//! An HTTP(S) client for the commands that call out — `cairn notify`
//! (webhooks) and `cairn import backstage` — with one retry policy: a
//! timeout per attempt, and retries with exponential backoff on timeouts,
//! connection failures, 429 and 5xx (a `Retry-After` in seconds is waited
//! instead, up to a cap). Other answers are returned as they are.
//!
//! hyper's client (hyper-util) on rustls with ring and the system's root
//! certificates, run on a current-thread tokio runtime: the crates octocrab
//! and the AWS SDK already bring, so this adds nothing to the build. No
//! redirects are followed. Callers print targets with [`display_url`],
//! which keeps a URL's path and query (where webhook URLs carry their
//! secrets) out of logs.

use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as Hyper;
use hyper_util::rt::TokioExecutor;

/// Bodies larger than this are an error (a page of entities is far less).
const MAX_BODY: usize = 256 << 20;

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// The wait before the second attempt; it doubles after each.
    pub backoff: Duration,
    /// No wait is longer than this (a `Retry-After` included).
    pub max_wait: Duration,
    /// One attempt — connecting, sending, reading the answer — gets this long.
    pub timeout: Duration,
}

/// One request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: http::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

/// What a request came to after its retries.
#[derive(Debug)]
pub struct Outcome {
    /// The last answer, or why there was none (timeout, connection).
    pub result: Result<Response, String>,
    pub attempts: u32,
}

impl Outcome {
    /// The answer when it is a success (2xx).
    pub fn success(&self) -> Option<&Response> {
        self.result.as_ref().ok().filter(|r| (200..300).contains(&r.status))
    }

    /// What went wrong, for a person: the status or the transport error.
    pub fn failure(&self) -> String {
        match &self.result {
            Ok(response) => format!("HTTP {}", response.status),
            Err(error) => error.clone(),
        }
    }
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

pub struct Client {
    runtime: tokio::runtime::Runtime,
    hyper: Hyper<Connector, Full<Bytes>>,
    retry: Retry,
}

impl Client {
    pub fn new(retry: Retry) -> anyhow::Result<Client> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the HTTP client's runtime")?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .context("cannot load the system's root certificates")?
            .https_or_http()
            .enable_http1()
            .build();
        let hyper = Hyper::builder(TokioExecutor::new()).build(connector);
        Ok(Client { runtime, hyper, retry })
    }

    /// Sends `request` until it gets an answer that is not worth retrying
    /// or the attempts run out. `on_retry(attempt, why, wait)` is called
    /// before each wait.
    pub fn send(&self, request: &Request, mut on_retry: impl FnMut(u32, &str, Duration)) -> Outcome {
        let mut attempt = 1;
        loop {
            let result = self.runtime.block_on(self.once(request));
            let retryable = match &result {
                Ok(response) => response.status == 429 || (500..600).contains(&response.status),
                Err(_) => true,
            };
            if !retryable || attempt >= self.retry.attempts.max(1) {
                return Outcome {
                    result,
                    attempts: attempt,
                };
            }
            let backoff = self.retry.backoff.saturating_mul(1 << (attempt - 1).min(16));
            let wait = match &result {
                Ok(response) => retry_after(response).unwrap_or(backoff),
                Err(_) => backoff,
            }
            .min(self.retry.max_wait);
            let why = match &result {
                Ok(response) => format!("HTTP {}", response.status),
                Err(error) => error.clone(),
            };
            on_retry(attempt, &why, wait);
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    async fn once(&self, request: &Request) -> Result<Response, String> {
        let mut builder = http::Request::builder()
            .method(request.method.clone())
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let built = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| format!("invalid request: {e}"))?;
        let exchange = async {
            let response = self.hyper.request(built).await.map_err(|e| transport_error(&e))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| format!("reading the answer: {e}"))?
                .to_bytes();
            Ok(Response {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: body.to_vec(),
            })
        };
        tokio::time::timeout(self.retry.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", self.retry.timeout.as_secs_f64())))
    }
}

/// The error and its causes, one line (hyper's own message is terse).
fn transport_error(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A `Retry-After` given in seconds.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A URL to print: scheme, host and port, and `/…` when there is more —
/// the path and query of a webhook URL are often its secret, and
/// credentials in it are never shown.
pub fn display_url(url: &str) -> String {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return "(an invalid URL)".into();
    };
    let scheme = uri.scheme_str().unwrap_or("http");
    let host = uri.host().unwrap_or_default();
    let port = uri.port().map(|p| format!(":{p}")).unwrap_or_default();
    let rest = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let more = if rest.is_empty() || rest == "/" { "/" } else { "/…" };
    format!("{scheme}://{host}{port}{more}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_secrets() {
        assert_eq!(
            display_url("https://hooks.example.com/services/T0/B0/s3cret?token=x"),
            "https://hooks.example.com/…"
        );
        assert_eq!(display_url("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/");
        assert_eq!(display_url("https://user:pw@host.example/x"), "https://host.example/…");
        assert_eq!(display_url("not a url at all"), "(an invalid URL)");
    }
}
