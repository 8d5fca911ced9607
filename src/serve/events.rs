//! `/api/v1/events`: Server-Sent Events. The hub keeps one bounded queue
//! per client; each client has a thread of its own that writes its queue to
//! the socket, with a `: ping` comment when idle. A client that falls
//! behind (its queue is full) or stops reading (the socket's write timeout)
//! is dropped, so one slow reader never holds up the others or a worker.
//! Clients are capped at [`MAX_CLIENTS`].
//!
//! Events: `entity.created|updated|deleted` and `resource.created|updated|
//! deleted` (ResourceDefinition versions) with the entity's ref and
//! version; `build.completed` with the changed pages, `build.failed` with
//! the diagnostics and `build.recovered`. `?filter=kind:component` and
//! `?filter=owner:payments` (repeatable, all must match) select entity and
//! resource events; build events always pass.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value as Json;

/// At most this many SSE clients at once; more get 503.
pub const MAX_CLIENTS: usize = 64;

/// How long after a heartbeat its probe follows: long enough for a closed
/// peer's reset to arrive.
const PROBE_DELAY: Duration = Duration::from_millis(50);

/// Events queued per client before it counts as too slow.
const QUEUE: usize = 256;

/// One event, before it gets its id.
pub struct Event {
    pub name: &'static str,
    pub data: Json,
    /// For entity and resource events: the entity's kind slug and owner
    /// name, which filters look at.
    pub subject: Option<(&'static str, String)>,
}

/// A client's `?filter=` conditions.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Filter {
    kinds: Vec<String>,
    owners: Vec<String>,
}

impl Filter {
    /// Reads every `filter=key:value` of a query string (values may also be
    /// separated by commas). An unknown key is an error for a 400.
    pub fn parse(query: &str) -> Result<Filter, String> {
        let mut filter = Filter::default();
        for (key, value) in super::http::query_pairs(query) {
            if key != "filter" {
                continue;
            }
            for condition in value.split(',').filter(|c| !c.is_empty()) {
                match condition.split_once(':') {
                    Some(("kind", kind)) => filter.kinds.push(kind.to_lowercase().replace('-', "")),
                    Some(("owner", owner)) => {
                        let name = owner.rsplit(['/', ':']).next().unwrap_or(owner);
                        filter.owners.push(name.to_lowercase());
                    }
                    _ => return Err(format!("unknown filter `{condition}`: use kind:KIND or owner:NAME")),
                }
            }
        }
        Ok(filter)
    }

    fn matches(&self, event: &Event) -> bool {
        let Some((kind, owner)) = &event.subject else {
            return true;
        };
        (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
            && (self.owners.is_empty() || self.owners.iter().any(|o| o.eq_ignore_ascii_case(owner)))
    }
}

struct Client {
    queue: SyncSender<Arc<[u8]>>,
    filter: Filter,
}

/// The connected clients.
pub struct Hub {
    clients: Mutex<Vec<Client>>,
    connected: Arc<AtomicUsize>,
    next_id: AtomicU64,
    heartbeat: Duration,
    closed: AtomicBool,
}

/// A reserved client place, given back when dropped.
pub struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Hub {
    pub fn new(heartbeat: Duration) -> Hub {
        Hub {
            clients: Mutex::new(Vec::new()),
            connected: Arc::new(AtomicUsize::new(0)),
            next_id: AtomicU64::new(1),
            heartbeat,
            closed: AtomicBool::new(false),
        }
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.connected.load(Ordering::Relaxed)
    }

    /// A place for one more client, unless [`MAX_CLIENTS`] are connected.
    pub fn reserve(&self) -> Option<Slot> {
        self.connected
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < MAX_CLIENTS).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(Arc::clone(&self.connected)))
    }

    /// Streams events to `writer` (the raw connection) on a thread of its own.
    pub fn attach(&self, slot: Slot, writer: Box<dyn Write + Send>, filter: Filter) {
        if self.closed.load(Ordering::Relaxed) {
            return;
        }
        let (queue, receiver) = sync_channel::<Arc<[u8]>>(QUEUE);
        let heartbeat = self.heartbeat;
        self.lock().push(Client { queue, filter });
        let spawned = std::thread::Builder::new().name("cairn-sse".into()).spawn(move || {
            let _slot = slot;
            stream(writer, &receiver, heartbeat);
        });
        if let Err(error) = spawned {
            eprintln!("warning: cannot start an event stream: {error}");
        }
    }

    /// Sends `events` to every client whose filter matches; drops clients
    /// that are gone or too slow.
    pub fn publish(&self, events: &[Event]) {
        let frames: Vec<(&Event, Arc<[u8]>)> = events
            .iter()
            .map(|event| {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                let frame = format!("id: {id}\nevent: {}\ndata: {}\n\n", event.name, event.data);
                (event, Arc::from(frame.into_bytes()))
            })
            .collect();
        self.lock().retain(|client| {
            frames
                .iter()
                .filter(|(event, _)| client.filter.matches(event))
                .all(|(_, frame)| match client.queue.try_send(Arc::clone(frame)) {
                    Ok(()) => true,
                    Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
                })
        });
    }

    /// Ends every stream (on shutdown).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Client>> {
        self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The response head of an event stream: no length, closed when done.
const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
Connection: close\r\nX-Content-Type-Options: nosniff\r\n\r\nretry: 1000\n: connected\n\n";

/// Writes the head, then each queued frame or a `: ping` every
/// `heartbeat`, until the hub lets go of the client or a write fails.
fn stream(mut writer: Box<dyn Write + Send>, receiver: &std::sync::mpsc::Receiver<Arc<[u8]>>, heartbeat: Duration) {
    let mut send = |bytes: &[u8]| writer.write_all(bytes).and_then(|()| writer.flush()).is_ok();
    if !send(HEAD) {
        return;
    }
    loop {
        let sent = match receiver.recv_timeout(heartbeat) {
            Ok(frame) => send(&frame),
            // A peer that closed still accepts one write (the kernel
            // buffers it, the peer answers with a reset); the second write a
            // moment later fails, so a closed client is let go at the first
            // heartbeat after it left, not the second.
            Err(RecvTimeoutError::Timeout) => {
                send(b": ping\n\n") && {
                    std::thread::sleep(PROBE_DELAY);
                    send(b":\n")
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if !sent {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(kind: &'static str, owner: &str) -> Event {
        Event {
            name: "entity.updated",
            data: Json::Null,
            subject: Some((kind, owner.to_string())),
        }
    }

    #[test]
    fn filters_select_entity_events_and_pass_build_events() {
        let filter = Filter::parse("filter=kind:component&filter=owner:group:default/Payments").unwrap();
        assert!(filter.matches(&entity("component", "payments")));
        assert!(!filter.matches(&entity("api", "payments")));
        assert!(!filter.matches(&entity("component", "search")));
        let build = Event {
            name: "build.failed",
            data: Json::Null,
            subject: None,
        };
        assert!(filter.matches(&build));
        let either = Filter::parse("filter=kind:component,kind:resource-definition").unwrap();
        assert!(either.matches(&entity("resourcedefinition", "")));
        assert!(Filter::parse("filter=colour:red").is_err());
        assert_eq!(Filter::parse("q=x").unwrap(), Filter::default());
    }

    #[test]
    fn clients_are_capped() {
        let hub = Hub::new(Duration::from_secs(1));
        let slots: Vec<Slot> = (0..MAX_CLIENTS).map_while(|_| hub.reserve()).collect();
        assert_eq!(slots.len(), MAX_CLIENTS);
        assert!(hub.reserve().is_none());
        drop(slots);
        assert_eq!(hub.clients(), 0);
        assert!(hub.reserve().is_some());
    }
}
