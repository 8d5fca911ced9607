//! `cairn serve`: the local preview server. It compiles the catalog, keeps
//! the rendered output in memory and serves it on 127.0.0.1 (unless told
//! otherwise), watches the catalog root and its `templates/` and rebuilds on
//! change, and tells browsers and scripts what changed over Server-Sent
//! Events (`/api/v1/events`). Pages served here — not the ones `cairn build`
//! writes — carry a small script that reloads the page when a rebuild
//! changed it, and, while the catalog is broken, an overlay listing the
//! diagnostics over the last good build.
//!
//! * [`snapshot`]: one build in memory (path → bytes and ETag, the entities
//!   with their versions, the search index) and the diff of two builds.
//! * [`watch`]: notify (debounced) → recompile → re-render → swap → events.
//! * [`http`]: routing, the hardening (methods, Host, paths, limits) and the
//!   fixed pool of workers.
//! * [`events`]: the SSE hub, one thread per client, bounded queues.
//! * [`inject`]: the live-reload script and the diagnostics overlay.
//! * [`metrics`]: counters for `/metrics` in Prometheus' text format.
//!
//! Architecture Invariant: only the in-memory build is served — no request
//! path ever reaches the file system, so `..`, encoded traversal and
//! symlinks cannot lead outside it. A new build replaces the old one with one
//! swap of an `Arc`, so a request sees one build or the other, never half.

mod events;
mod http;
mod inject;
mod metrics;
mod snapshot;
pub(crate) mod watch;

pub(crate) use snapshot::{describe, Change, EntityInfo};

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;

use crate::diagnostics::Diagnostic;
use crate::pipeline::Compilation;

/// How long a connection may take to send a request head (or stay idle
/// between requests), and leave the bytes of a response unread, before it
/// is dropped.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the server connects to itself so that `accept` never waits
/// as long as [`SOCKET_TIMEOUT`] (see [`listen`]).
const ACCEPT_TICK: Duration = Duration::from_secs(1);

/// What `cairn serve` was asked to do.
pub struct Options {
    pub root: PathBuf,
    /// The git revision holding the published ResourceDefinition versions.
    pub base: Option<String>,
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// Open the portal in the default browser once it is served.
    pub open: bool,
    /// How often an idle SSE stream gets a `: ping` comment.
    pub heartbeat: Duration,
    /// Prints a compilation's diagnostics on the terminal (the renderer of
    /// `cairn check`).
    pub report: Box<dyn Fn(&Compilation) + Send>,
}

/// What is being served right now: the last good build and, while the
/// catalog is broken, the diagnostics of the failed one.
#[derive(Default)]
pub struct Snapshot {
    pub build: Option<Arc<snapshot::Build>>,
    pub failure: Option<Arc<Failure>>,
}

/// A failed build: its diagnostics (errors and warnings) and a number that
/// changes with every failed build, for ETags.
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    pub number: u64,
}

/// The state every worker shares.
pub struct State {
    current: RwLock<Arc<Snapshot>>,
    pub address: SocketAddr,
    pub hub: events::Hub,
    pub metrics: metrics::Metrics,
    /// Searches being answered now.
    pub searches: Gauge,
    stopping: AtomicBool,
}

/// A count of things in progress, bounded by whoever enters.
#[derive(Default)]
pub struct Gauge(std::sync::atomic::AtomicUsize);

/// One place taken in a [`Gauge`], given back when dropped.
pub struct Entered<'a>(&'a Gauge);

impl Gauge {
    /// Takes a place unless `limit` are taken.
    pub fn enter(&self, limit: usize) -> Option<Entered<'_>> {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1))
            .ok()
            .map(|_| Entered(self))
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl State {
    fn new(address: SocketAddr, heartbeat: Duration) -> State {
        State {
            current: RwLock::new(Arc::new(Snapshot::default())),
            address,
            hub: events::Hub::new(heartbeat),
            metrics: metrics::Metrics::default(),
            searches: Gauge::default(),
            stopping: AtomicBool::new(false),
        }
    }

    /// The snapshot being served (a request holds on to one for its whole
    /// life).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Serves `next` from now on.
    fn swap(&self, next: Snapshot) {
        *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(next);
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(options: Options) -> anyhow::Result<()> {
    let listener = listen(SocketAddr::new(options.bind, options.port))?;
    let address = listener.local_addr().context("cannot read the bound address")?;
    let server = tiny_http::Server::from_listener(listener, None)
        .map_err(|error| anyhow::anyhow!("cannot start the HTTP server: {error}"))?;
    let server = Arc::new(server);
    let state = Arc::new(State::new(address, options.heartbeat));

    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    let signalled = stop_tx.clone();
    ctrlc::set_handler(move || {
        let _ = signalled.send(Stop::Signal);
    })
    .context("cannot install the SIGINT/SIGTERM handler")?;

    let _watcher = watch::start(
        options.root.clone(),
        options.base.clone(),
        Arc::clone(&state),
        options.report,
    )?;
    let keeper = Arc::clone(&state);
    std::thread::Builder::new()
        .name("cairn-accept-tick".into())
        .spawn(move || keep_accepting(keeper))
        .context("cannot start a thread")?;
    let workers = http::start_workers(&server, &state, &stop_tx);
    let url = format!("http://{}/", display_address(address));
    println!("cairn serve: {} at {url}", options.root.display());
    eprintln!("press Ctrl+C to stop");
    if options.open {
        open_browser(&url);
    }

    // A signal or a failed server ends the wait; a closed channel would
    // mean the handler is gone.
    let stop = stop_rx.recv();
    eprintln!("cairn serve: stopping");
    state.stopping.store(true, Ordering::Relaxed);
    state.hub.close();
    for worker in workers {
        let _ = worker.join();
    }
    match stop {
        Ok(Stop::Failed(error)) => Err(error),
        Ok(Stop::Signal) | Err(_) => Ok(()),
    }
}

/// Why the server stops.
pub enum Stop {
    /// SIGINT or SIGTERM.
    Signal,
    /// The HTTP server stopped accepting connections.
    Failed(anyhow::Error),
}

/// A listening socket whose accepted connections inherit read and write
/// timeouts (Linux copies them from the listener): tiny_http sets none, and
/// keeps a thread per connection, so without them a client that trickles
/// its request head, idles or stops reading would hold a thread forever —
/// and tiny_http's thread pool can leave a new connection queued behind
/// such threads. On the listener the read timeout also bounds `accept`,
/// and an `accept` error ends tiny_http's accept loop, so
/// [`keep_accepting`] connects to the server every [`ACCEPT_TICK`].
fn listen(address: SocketAddr) -> anyhow::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None).context("cannot create a socket")?;
    socket.set_reuse_address(true).context("cannot set SO_REUSEADDR")?;
    socket
        .set_read_timeout(Some(SOCKET_TIMEOUT))
        .context("cannot set the read timeout")?;
    socket
        .set_write_timeout(Some(SOCKET_TIMEOUT))
        .context("cannot set the write timeout")?;
    // tiny_http writes a response head and body separately: without
    // TCP_NODELAY (inherited too), Nagle's algorithm and the client's
    // delayed ACK add 40 ms to a keep-alive response.
    socket.set_tcp_nodelay(true).context("cannot set TCP_NODELAY")?;
    socket
        .bind(&address.into())
        .with_context(|| format!("cannot listen on {address}"))?;
    socket
        .listen(1024)
        .with_context(|| format!("cannot listen on {address}"))?;
    Ok(socket.into())
}

/// Connects to the server every [`ACCEPT_TICK`] (and hangs up at once), so
/// the listener's `accept` returns well within its timeout.
fn keep_accepting(state: Arc<State>) {
    let mut target = state.address;
    if target.ip().is_unspecified() {
        target.set_ip(match target {
            SocketAddr::V4(_) => IpAddr::from([127, 0, 0, 1]),
            SocketAddr::V6(_) => IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1]),
        });
    }
    while !state.stopping() {
        let _ = std::net::TcpStream::connect_timeout(&target, ACCEPT_TICK);
        std::thread::sleep(ACCEPT_TICK);
    }
}

/// `127.0.0.1:8080`, `[::1]:8080`.
fn display_address(address: SocketAddr) -> String {
    match address {
        SocketAddr::V4(v4) => v4.to_string(),
        SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
    }
}

/// Opens `url` with the desktop's opener; a failure is only reported.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if let Err(error) = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("warning: cannot open a browser with `{opener}`: {error}");
    }
}
