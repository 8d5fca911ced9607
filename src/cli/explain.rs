//! `cairn explain CODE`: the long explanation of a diagnostic code.

use anyhow::bail;

use super::{Global, EXIT_OK};
use crate::diagnostics::{did_you_mean, Code};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A diagnostic code, e.g. `unresolved-ref`.
    code: String,
}

pub fn execute(_global: &Global, args: Args) -> anyhow::Result<i32> {
    let Some(code) = Code::from_name(&args.code) else {
        let names = Code::ALL.iter().map(|c| c.as_str());
        match did_you_mean(&args.code, names) {
            Some(suggestion) => bail!("unknown diagnostic code `{}`; did you mean `{suggestion}`?", args.code),
            None => bail!(
                "unknown diagnostic code `{}`; codes appear in brackets, e.g. error[unresolved-ref]",
                args.code
            ),
        }
    };
    print!("{}", code.explanation());
    Ok(EXIT_OK)
}
