//! The `cairn` binary: everything lives in the library; see `cli`.

/// cairn allocates many small strings and nodes from several threads;
/// mimalloc measured faster than the system allocator here (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // First, while cairn has one thread: it sets the environment.
    cairn::load::git_tls::defer();
    std::process::exit(cairn::cli::run());
}
