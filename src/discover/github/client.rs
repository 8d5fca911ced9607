//! The GitHub client: one loop that owns every request's retries — rate
//! limits (`Retry-After`, `X-RateLimit-Reset`, secondary limits), 5xx and
//! transport errors — and what a response's status and headers mean.

use super::*;

/// Why a query failed for good.
#[derive(Debug)]
pub(super) enum Failure {
    /// Retrying cannot help: bad credentials, forbidden, not found.
    Fatal(String),
    /// Retries or the wait budget ran out.
    GaveUp(String),
}

impl Failure {
    pub(super) fn message(self) -> String {
        match self {
            Failure::Fatal(message) | Failure::GaveUp(message) => message,
        }
    }
}

/// What to do with one response.
#[derive(Debug, PartialEq)]
pub(super) enum Verdict {
    Data(Value),
    /// Rate limited: wait this long, then try again.
    Wait(Duration, String),
    /// A secondary rate limit without `Retry-After`: back off.
    Secondary(String),
    /// A server or transport error: retry with backoff.
    Retry(String),
    Fatal(String),
}

#[derive(Debug, Default)]
pub(super) struct Stats {
    pub(super) requests: u64,
    pub(super) retries: u64,
    pub(super) rate_limit_waits: u64,
    pub(super) waited: Duration,
}

/// octocrab on a current-thread runtime, with one retry loop.
pub(super) struct Client {
    pub(super) octocrab: octocrab::Octocrab,
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) token: Option<String>,
    pub(super) max_wait: Duration,
    pub(super) backoff: Duration,
    pub(super) stats: Stats,
    /// Set once the wait budget is spent: later queries fail at once.
    pub(super) exhausted: Option<String>,
}

impl Client {
    pub(super) fn new(args: &Args, token: Option<String>) -> anyhow::Result<Client> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let mut builder = octocrab::Octocrab::builder()
            .base_uri(args.api_url.trim_end_matches('/'))
            .map_err(|_| anyhow!("--api-url `{}` is not a URL", args.api_url))?
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(60)));
        if let Some(token) = &token {
            builder = builder.personal_token(token.clone());
        }
        let octocrab = {
            let _guard = runtime.enter();
            builder.build().context("cannot set up the GitHub client")?
        };
        Ok(Client {
            octocrab,
            runtime,
            token,
            max_wait: Duration::from_secs(args.max_wait),
            backoff: Duration::from_millis(args.backoff_ms),
            stats: Stats::default(),
            exhausted: None,
        })
    }

    /// One GraphQL query, with retries and rate-limit waits; its `data`.
    pub(super) fn graphql(&mut self, query: &str, variables: Value) -> Result<Value, Failure> {
        if let Some(message) = &self.exhausted {
            return Err(Failure::GaveUp(message.clone()));
        }
        let body = json!({ "query": query, "variables": variables });
        let mut server_errors = 0u32;
        let mut secondary = 0u32;
        loop {
            self.stats.requests += 1;
            let verdict = match self.post(&body) {
                Ok((status, headers, text)) => classify(status, &headers, &text, unix_now()),
                Err(error) => Verdict::Retry(format!("request failed: {error}")),
            };
            let wait = match verdict {
                Verdict::Data(data) => return Ok(data),
                Verdict::Fatal(message) => return Err(Failure::Fatal(self.redact(message))),
                Verdict::Retry(message) => {
                    server_errors += 1;
                    if server_errors >= ATTEMPTS {
                        return Err(Failure::GaveUp(
                            self.redact(format!("{message} (after {ATTEMPTS} attempts)")),
                        ));
                    }
                    self.backoff * 2u32.pow(server_errors - 1)
                }
                Verdict::Wait(wait, message) => {
                    self.stats.rate_limit_waits += 1;
                    self.rate_wait(wait, message)?
                }
                Verdict::Secondary(message) => {
                    self.stats.rate_limit_waits += 1;
                    let wait = self.backoff * (SECONDARY_UNITS as u32) * 2u32.pow(secondary.min(4));
                    secondary += 1;
                    self.rate_wait(wait, message)?
                }
            };
            self.stats.retries += 1;
            std::thread::sleep(wait);
        }
    }

    /// Checks a rate-limit wait against the budget.
    pub(super) fn rate_wait(&mut self, wait: Duration, message: String) -> Result<Duration, Failure> {
        if self.stats.waited + wait > self.max_wait {
            let message = self.redact(format!(
                "{message}; waiting {}s more would exceed --max-wait {}s",
                wait.as_secs(),
                self.max_wait.as_secs()
            ));
            self.exhausted = Some(message.clone());
            return Err(Failure::GaveUp(message));
        }
        self.stats.waited += wait;
        Ok(wait)
    }

    pub(super) fn post(&self, body: &Value) -> Result<(u16, http::HeaderMap, String), octocrab::Error> {
        self.runtime.block_on(async {
            let response = self.octocrab._post("/graphql", Some(body)).await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = self.octocrab.body_to_string(response).await?;
            Ok((status, headers, text))
        })
    }

    /// Never lets the token into a message.
    pub(super) fn redact(&self, message: String) -> String {
        match &self.token {
            Some(token) => message.replace(token.as_str(), "***"),
            None => message,
        }
    }
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Decides what one response means (pure, for tests).
pub(super) fn classify(status: u16, headers: &http::HeaderMap, body: &str, now: u64) -> Verdict {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let json: Option<Value> = serde_json::from_str(body).ok();
    let message = json
        .as_ref()
        .and_then(|j| j["message"].as_str().map(str::to_string).or_else(|| graphql_errors(j)))
        .unwrap_or_else(|| body.chars().take(200).collect());
    let message = format!("HTTP {status}: {}", message.chars().take(300).collect::<String>());
    let rate_limit_wait = || -> Option<Duration> {
        if let Some(seconds) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_secs(seconds));
        }
        if header("x-ratelimit-remaining") == Some("0") {
            let reset = header("x-ratelimit-reset")?.parse::<u64>().ok()?;
            // One second more: the reset time is rounded down.
            return Some(Duration::from_secs(reset.saturating_sub(now) + 1));
        }
        None
    };
    match status {
        200..=299 => {
            let Some(json) = json else {
                return Verdict::Retry(format!("HTTP {status}: the response is not JSON"));
            };
            let errors = json["errors"].as_array().map(Vec::as_slice).unwrap_or_default();
            let of_type = |kind: &str| errors.iter().any(|e| e["type"] == kind);
            if of_type("RATE_LIMITED") {
                return match rate_limit_wait() {
                    Some(wait) => Verdict::Wait(wait, message),
                    None => Verdict::Secondary(message),
                };
            }
            match &json["data"] {
                Value::Null if of_type("NOT_FOUND") || of_type("FORBIDDEN") => Verdict::Fatal(message),
                // GitHub answers a query that timed out with errors only.
                Value::Null => Verdict::Retry(message),
                data => Verdict::Data(data.clone()),
            }
        }
        403 | 429 => {
            if let Some(wait) = rate_limit_wait() {
                Verdict::Wait(wait, message)
            } else if status == 429 || message.to_ascii_lowercase().contains("secondary rate limit") {
                Verdict::Secondary(message)
            } else {
                Verdict::Fatal(message)
            }
        }
        401 => Verdict::Fatal(format!("{message} (check GITHUB_TOKEN)")),
        500..=599 => Verdict::Retry(message),
        _ => Verdict::Fatal(message),
    }
}

/// The messages of a GraphQL `errors` list, joined.
pub(super) fn graphql_errors(json: &Value) -> Option<String> {
    let messages: BTreeSet<&str> = json["errors"]
        .as_array()?
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    (!messages.is_empty()).then(|| messages.into_iter().collect::<Vec<_>>().join("; "))
}
