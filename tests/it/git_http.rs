//! Git sources over HTTP with a token: a real smart-HTTP git server on
//! 127.0.0.1 (git's own `git http-backend`, run as CGI by a small server in
//! this file) that demands Basic authentication, over plain HTTP and over
//! TLS (rustls, with the test CA of `tests/fixtures/tls/`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::harness::{fixtures, run, Run, TestCatalog};

const TOKEN: &str = "t0ken-for-tests";

/// Serves the repositories under `root` until the test process ends, over
/// TLS with `tls`.
fn serve(root: PathBuf, tls: Option<Arc<rustls::ServerConfig>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (root, tls) = (root.clone(), tls.clone());
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                let _ = match tls {
                    Some(tls) => rustls::ServerConnection::new(tls)
                        .map_err(std::io::Error::other)
                        .and_then(|tls| handle(rustls::StreamOwned::new(tls, stream), &root)),
                    None => handle(stream, &root),
                };
            });
        }
    });
    port
}

/// The server side of TLS for `localhost`, signed by the test CA
/// (`tests/fixtures/tls/ca.pem`).
fn tls_config() -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = fixtures().join("tls");
    let certificates = CertificateDer::pem_file_iter(dir.join("localhost.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("localhost.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .unwrap();
    Arc::new(config)
}

/// One connection: requests until the client closes it.
fn handle(stream: impl Read + Write, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let body = read_body(&mut reader, header("content-length"), header("transfer-encoding"))?;
        let expected = format!("Basic {}", base64(&format!("x-access-token:{TOKEN}")));
        if header("authorization").as_deref() != Some(expected.as_str()) {
            reader.get_mut().write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\n\r\n",
            )?;
            reader.get_mut().flush()?;
            continue;
        }
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let exec_path = String::from_utf8(Command::new("git").arg("--exec-path").output()?.stdout).unwrap();
        let mut cgi = Command::new(Path::new(exec_path.trim()).join("git-http-backend"))
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REQUEST_METHOD", &method)
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
            .env("CONTENT_LENGTH", body.len().to_string())
            .env("REMOTE_USER", "x-access-token")
            .env("REMOTE_ADDR", "127.0.0.1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        cgi.stdin.take().unwrap().write_all(&body)?;
        let output = cgi.wait_with_output()?;
        let split = output
            .stdout
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| output.stdout.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
        let (head_len, sep) = split.unwrap_or((0, 0));
        let cgi_headers = String::from_utf8_lossy(&output.stdout[..head_len]).to_string();
        let content = &output.stdout[head_len + sep..];
        let mut status = "200 OK".to_string();
        let mut response = String::new();
        for line in cgi_headers.lines() {
            match line.split_once(':') {
                Some((name, value)) if name.eq_ignore_ascii_case("status") => status = value.trim().to_string(),
                Some(_) => response.push_str(&format!("{line}\r\n")),
                None => {}
            }
        }
        let writer = reader.get_mut();
        writer.write_all(
            format!(
                "HTTP/1.1 {status}\r\n{response}Content-Length: {}\r\n\r\n",
                content.len()
            )
            .as_bytes(),
        )?;
        writer.write_all(content)?;
        writer.flush()?;
    }
}

fn read_body(reader: &mut impl BufRead, length: Option<String>, encoding: Option<String>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if encoding.is_some_and(|e| e.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                return Ok(body);
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    if let Some(length) = length.and_then(|l| l.parse::<usize>().ok()) {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(body)
}

fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A bare repository `defs.git` under a served root, holding one
/// definition, served over TLS with `tls`.
fn served_repository(tls: Option<Arc<rustls::ServerConfig>>) -> (TestCatalog, u16) {
    let served = TestCatalog::empty();
    let work = served.path().join("work");
    let repo = git2::Repository::init(&work).unwrap();
    std::fs::create_dir_all(work.join("resources/db")).unwrap();
    std::fs::write(
        work.join("resources/db/1.0.0.yaml"),
        "apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata: { name: db, version: '1.0.0' }\nspec: {}\n",
    )
    .unwrap();
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::now("Test", "test@example.com").unwrap();
    repo.commit(Some("refs/heads/main"), &signature, &signature, "defs", &tree, &[])
        .unwrap();
    let bare = served.path().join("root/defs.git");
    let served_repo = git2::Repository::init_bare(&bare).unwrap();
    served_repo
        .remote_anonymous(&format!("file://{}", work.display()))
        .unwrap()
        .fetch(&["+refs/heads/*:refs/heads/*"], None, None)
        .unwrap();
    let port = serve(served.path().join("root"), tls);
    (served, port)
}

fn catalog_for(port: u16) -> TestCatalog {
    catalog_at(&format!("http://127.0.0.1:{port}/defs.git"))
}

fn catalog_at(url: &str) -> TestCatalog {
    let catalog = TestCatalog::empty();
    catalog.write(
        "cairn.yaml",
        format!("sources:\n  - git: {url}\n    branch: main\n    path: resources/\n"),
    );
    catalog
}

/// `cairn check --format json` of `catalog`, with `token` as the only git
/// token in its environment.
fn check_command(catalog: &TestCatalog, token: Option<&str>) -> Command {
    let mut command = catalog.command(&["--format", "json", "check"]);
    command.env_remove("GITHUB_TOKEN").env_remove("CAIRN_GIT_TOKEN");
    if let Some(token) = token {
        command.env("CAIRN_GIT_TOKEN", token);
    }
    command
}

fn check(catalog: &TestCatalog, token: Option<&str>) -> Run {
    run(&mut check_command(catalog, token))
}

/// `run` read the served repository's one definition, and nothing was wrong.
fn assert_fetched(run: &Run) {
    assert_eq!(
        (run.status, run.codes()),
        (0, Vec::<String>::new()),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.json()["summary"]["entities"], 1);
}

#[test]
fn an_http_source_is_fetched_with_the_token_from_the_environment() {
    let (_served, port) = served_repository(None);
    let catalog = catalog_for(port);
    let run = check(&catalog, Some(TOKEN));
    assert_fetched(&run);
    for file in walkdir::WalkDir::new(catalog.path())
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
    {
        let bytes = std::fs::read(file.path()).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(TOKEN),
            "the token was written to {}",
            file.path().display()
        );
    }
}

#[test]
fn without_a_token_the_source_is_unreachable_and_says_which_variable_to_set() {
    let (_served, port) = served_repository(None);
    let run = check(&catalog_for(port), None);
    assert_eq!(
        (run.status, run.codes()),
        (1, vec!["source-unreachable".to_string()]),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("CAIRN_GIT_TOKEN"), "{}", run.stdout);
    let wrong = check(&catalog_for(port), Some("wrong"));
    assert_eq!(wrong.codes(), ["source-unreachable"]);
    assert!(!wrong.stdout.contains("wrong\""), "{}", wrong.stdout);
}

/// cairn reads the system's certificate bundle only when a fetch needs it
/// (`load::git_tls`): the bundle `SSL_CERT_FILE` names still decides which
/// servers an https source trusts.
#[test]
fn an_https_source_is_verified_against_the_certificate_bundle() {
    let (_served, port) = served_repository(Some(tls_config()));
    let catalog = catalog_at(&format!("https://localhost:{port}/defs.git"));
    let ca = fixtures().join("tls/ca.pem");
    assert_fetched(&run(check_command(&catalog, Some(TOKEN)).env("SSL_CERT_FILE", ca)));

    // A bundle without the test CA: the server is not trusted, nothing is
    // fetched (a fresh catalog, with no cache to fall back to).
    let catalog = catalog_at(&format!("https://localhost:{port}/defs.git"));
    let untrusted = run(check_command(&catalog, Some(TOKEN)).env("SSL_CERT_FILE", "/dev/null"));
    assert_eq!(
        (untrusted.status, untrusted.codes()),
        (1, vec!["source-unreachable".to_string()]),
        "{}",
        untrusted.stdout
    );
    assert!(
        untrusted.stdout.to_lowercase().contains("certificate"),
        "{}",
        untrusted.stdout
    );
}
