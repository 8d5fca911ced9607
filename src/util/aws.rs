//! The AWS SDK set-up `cairn publish` and `cairn discover aws` share: one
//! HTTP client (rustls on ring, not the SDK's aws-lc default) and loading
//! the SDK configuration so that missing credentials fail before any call.

use anyhow::{anyhow, bail};
use aws_config::ConfigLoader;
use aws_sdk_s3::config::ProvideCredentials;
use aws_sdk_s3::error::DisplayErrorContext;

/// The HTTP client of every AWS call: hyper and rustls with ring, trusting
/// the platform's certificates (plain HTTP too, for local endpoints).
pub fn https_client() -> aws_sdk_s3::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The SDK defaults with [`https_client`], a profile and an endpoint when
/// given; the caller adds what else it needs and calls [`load`].
pub fn loader(profile: Option<&str>, endpoint_url: Option<&str>) -> ConfigLoader {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https_client());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader
}

/// Loads the configuration and fails, saying how to fix it, when no
/// credentials can be had.
pub async fn load(loader: ConfigLoader) -> anyhow::Result<aws_config::SdkConfig> {
    let shared = loader.load().await;
    let provider = shared
        .credentials_provider()
        .ok_or_else(|| anyhow!("no AWS credentials provider is configured"))?;
    if let Err(error) = provider.provide_credentials().await {
        bail!(
            "no AWS credentials: {}\n  help: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE / --profile, \
             or run where an IAM role is available",
            DisplayErrorContext(&error)
        );
    }
    Ok(shared)
}
