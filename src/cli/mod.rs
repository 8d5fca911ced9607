//! The command line: flags are parsed here (clap), each subcommand lives in
//! its own file with an `execute` function, and this module maps outcomes
//! to exit statuses — 0 clean or warnings only, 1 the catalog has errors,
//! 2 cairn could not run.

mod build;
mod check;
mod diff;
mod discover;
mod explain;
mod import;
mod init;
mod lookup;
mod mcp;
mod notify;
mod publish;
mod render;
mod search;
mod serve;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostics::render::{render, Format};
use crate::pipeline::Compilation;

/// The catalog compiled cleanly (or with warnings only).
pub const EXIT_OK: i32 = 0;
/// The catalog has errors.
pub const EXIT_ERRORS: i32 = 1;
/// cairn could not run: bad flags, unreadable root, I/O failure.
pub const EXIT_FAILURE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "cairn",
    version,
    about = "A GitOps-driven static catalog compiler",
    propagate_version = true
)]
pub struct Cli {
    /// The catalog root (the directory holding cairn.yaml).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// The git revision that holds the published ResourceDefinition versions
    /// (default: in CI the merge base with `origin/$GITHUB_BASE_REF`, else with
    /// the current branch's upstream; with neither, only tags count).
    #[arg(long, global = true, value_name = "REF")]
    base: Option<String>,
    /// How diagnostics are printed.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Print only diagnostics, no progress or summary lines.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print what each step did.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// When to color human output (`NO_COLOR` is honoured by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the catalog; with FILES, report only on those files (references
    /// still resolve against the whole catalog).
    Check(check::Args),
    /// Compile the catalog into the output directory.
    Build(build::Args),
    /// Scaffold a catalog repository from the built-in template.
    Init(init::Args),
    /// Print the long explanation of a diagnostic code.
    Explain(explain::Args),
    /// The semantic changes of the catalog between two git revisions.
    Diff(diff::Args),
    /// Upload the built site to S3 (only what changed) and invalidate CloudFront.
    Publish(publish::Args),
    /// Search the catalog, as the portal's Cmd+K does.
    Search(search::Args),
    /// Print a ResourceClaim rendered for Terraform or Crossplane.
    Render(render::Args),
    /// Who owns an alias (PagerDuty, Datadog, Kubernetes… id), an ARN or an
    /// entity: owner, on-call, Slack, runbooks.
    Lookup(lookup::Args),
    /// Scan local clones, a GitHub organisation or an AWS account and write
    /// a facts snapshot for the build to merge.
    Discover(discover::Args),
    /// Serve the catalog to AI assistants over the Model Context Protocol
    /// (stdio): search, ownership, dependencies, definitions, claims.
    Mcp(mcp::Args),
    /// Post the entity changes between `--base` and HEAD to webhooks, signed
    /// with HMAC-SHA256.
    Notify(notify::Args),
    /// Write a running Backstage's catalog as catalog YAML.
    Import(import::Args),
    /// Preview the portal: build, serve on 127.0.0.1, rebuild on change,
    /// live-reload the browser.
    Serve(serve::Args),
}

/// Options every command shares, after parsing.
#[derive(Clone)]
pub struct Global {
    pub root: PathBuf,
    pub base: Option<String>,
    pub format: Format,
    pub quiet: bool,
    pub verbose: bool,
    pub color: bool,
}

impl Global {
    /// Prints diagnostics (already filtered) in the chosen format to stdout.
    fn report(&self, compilation: &Compilation, diagnostics: &[crate::diagnostics::Diagnostic], files: usize) {
        let mut text = self.render(self.format, compilation, diagnostics, files);
        if self.quiet && self.format == Format::Human {
            // Keep diagnostics, drop the closing summary line when clean.
            if diagnostics.is_empty() {
                text.clear();
            }
        }
        print!("{text}");
    }

    /// Diagnostics rendered in `format` (color only on the terminal's format).
    fn render(
        &self,
        format: Format,
        compilation: &Compilation,
        diagnostics: &[crate::diagnostics::Diagnostic],
        files: usize,
    ) -> String {
        let summary = compilation.summary(diagnostics, files);
        let color = self.color && format == self.format;
        if matches!(format, Format::Github | Format::Sarif) {
            // Code scanning and annotations want paths from the repository
            // root, which may be above the catalog root.
            let rebased = self.repository_paths(diagnostics);
            return render(format, &rebased, compilation, &summary, color);
        }
        render(format, diagnostics, compilation, &summary, color)
    }

    /// The diagnostics with the paths of files under the catalog root made
    /// relative to the enclosing git repository's work tree (unchanged when
    /// the root is the work tree or not in one).
    fn repository_paths(&self, diagnostics: &[crate::diagnostics::Diagnostic]) -> Vec<crate::diagnostics::Diagnostic> {
        let prefix = std::fs::canonicalize(&self.root).ok().and_then(|root| {
            let repository = git2::Repository::discover(&root).ok()?;
            let workdir = std::fs::canonicalize(repository.workdir()?).ok()?;
            let relative = root.strip_prefix(&workdir).ok()?;
            (!relative.as_os_str().is_empty()).then(|| crate::load::display_path(&workdir, &root))
        });
        let mut rebased = diagnostics.to_vec();
        if let Some(prefix) = prefix {
            for diagnostic in &mut rebased {
                if self.root.join(&diagnostic.location.file).is_file() {
                    diagnostic.location.file = format!("{prefix}/{}", diagnostic.location.file);
                }
            }
        }
        rebased
    }

    /// With `-v`, how long each stage took, on stderr.
    fn timings(&self, compilation: &Compilation) {
        for (step, duration) in &compilation.timings {
            self.lap(step, *duration);
        }
    }

    /// With `-v`, how long `step` took, on stderr.
    fn lap(&self, step: &str, duration: std::time::Duration) {
        if self.verbose {
            eprintln!("{step:>14}: {:.1} ms", duration.as_secs_f64() * 1000.0);
        }
    }

    /// A progress line on stderr, unless `--quiet` or a machine format.
    fn status(&self, message: impl std::fmt::Display) {
        if !self.quiet && self.format == Format::Human {
            eprintln!("{message}");
        }
    }
}

/// Lets `value` go without running its destructors: for a whole catalog
/// held until the process exits, which frees it at once. Dropping the
/// nodes, strings and maps of 10,000 services one by one costs about 5%
/// of a `check` (BENCHMARKS.md, "check").
fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

/// Parses the command line, runs the command and returns the exit status.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { EXIT_FAILURE } else { EXIT_OK };
        }
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
        }
    };
    let global = Global {
        root: cli.root,
        base: cli.base,
        format: cli.format,
        quiet: cli.quiet,
        verbose: cli.verbose,
        color,
    };
    let result = match cli.command {
        Command::Check(args) => check::execute(&global, args),
        Command::Build(args) => build::execute(&global, args),
        Command::Init(args) => init::execute(&global, args),
        Command::Explain(args) => explain::execute(&global, args),
        Command::Diff(args) => diff::execute(&global, args),
        Command::Publish(args) => publish::execute(&global, args),
        Command::Search(args) => search::execute(&global, args),
        Command::Render(args) => render::execute(&global, args),
        Command::Lookup(args) => lookup::execute(&global, args),
        Command::Notify(args) => notify::execute(&global, args),
        Command::Mcp(args) => mcp::execute(&global, args),
        Command::Import(args) => import::execute(&global, args),
        Command::Serve(args) => serve::execute(&global, args),
        Command::Discover(args) => discover::execute(&global, args),
    };
    match result {
        Ok(status) => status,
        Err(error) => {
            eprintln!("error: {error:#}");
            EXIT_FAILURE
        }
    }
}

/// The exit status for a set of reported diagnostics.
fn status_of(diagnostics: &[crate::diagnostics::Diagnostic]) -> i32 {
    if crate::diagnostics::Counts::of(diagnostics).errors > 0 {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}
