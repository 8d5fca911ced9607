//! The `cairn` binary: everything lives in the library; see `cli`.

fn main() {
    std::process::exit(cairn::cli::run());
}
