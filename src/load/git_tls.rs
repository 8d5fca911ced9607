//! libgit2's certificate authorities, read when an https fetch needs them
//! rather than whenever git is used.
//!
//! libgit2 sets OpenSSL up when git2 is first used, and OpenSSL then parses
//! every certificate of the system's bundle (`SSL_CERT_FILE`): ~70 ms of one
//! core, most of a `cairn check` of a small catalog — the pre-commit hook,
//! on every commit — though only a fetch of a `git:` source over https ever
//! verifies a certificate. [`defer`] sets libgit2 up at start-up with that
//! file pointed at `/dev/null`, then puts the environment back as git2
//! leaves it; [`before_https_fetch`] hands libgit2 the bundle before the
//! first https fetch (`GIT_OPT_SET_SSL_CERT_LOCATIONS`, which adds it to the
//! same store). The certificate directory (`SSL_CERT_DIR`), which OpenSSL
//! reads lazily, is left as it was.

use std::path::PathBuf;
use std::sync::{Once, OnceLock};

const CERT_FILE: &str = "SSL_CERT_FILE";

/// The bundle [`defer`] kept from libgit2, when it did.
static DEFERRED: OnceLock<PathBuf> = OnceLock::new();

/// Sets libgit2 up without reading the certificate bundle. Called first in
/// `main`, before any thread starts (it changes the environment for a
/// moment). Does nothing when no bundle is known: libgit2 then falls back
/// to OpenSSL's own default as it always did.
pub fn defer() {
    // Where git2 would point OpenSSL: the variable if it names a file that
    // exists, else the first bundle found in the usual places.
    let Some(bundle) = openssl_probe::probe().cert_file else {
        return;
    };
    std::env::set_var(CERT_FILE, "/dev/null");
    // Any git2 call sets libgit2 (and so OpenSSL) up, once per process.
    let _ = git2::Config::new();
    // What git2's set-up leaves in the environment otherwise, for the
    // processes cairn runs and the other TLS clients in it.
    std::env::set_var(CERT_FILE, &bundle);
    let _ = DEFERRED.set(bundle);
}

/// Gives libgit2 the bundle [`defer`] kept from it, once per process:
/// called before every fetch over https.
pub fn before_https_fetch() {
    static LOADED: Once = Once::new();
    LOADED.call_once(|| {
        if let Some(bundle) = DEFERRED.get() {
            // SAFETY: libgit2's global options must not change under a
            // running operation that reads them. Only an https fetch reads
            // the certificate store, and every one waits here until it is
            // loaded.
            let _ = unsafe { git2::opts::set_ssl_cert_file(bundle) };
        }
    });
}
