//! The token is a credential: no command, in any format, with or without
//! `--redact`, prints it (whole, as `header.payload`, or its signature) on
//! standard output or standard error, and none sends it anywhere but as the
//! amurl request itself. Under `--redact`, the user's identifiers (the
//! `msexchuid`, the unique id, e-mail addresses) appear nowhere.

mod hostile_support;

use std::time::Duration;

use hostile_support::{args, auth_cert, mint, run, Lab, Run, HOST, METADATA_PATH};
use idtoken_doctor::lab::authcert::{metadata_json, MetadataOptions};
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, RecordedRequest, Route};

const FORMATS: [&str; 4] = ["human", "json", "markdown", "junit"];

/// The user part of the token's `msexchuid` (a real one is a GUID).
const USER_ID: &str = "7d3c9a41-5b2e-4f88-9c61-0e2f4a8b7c15";

/// An e-mail address the token carries in a claim, as some pasted tokens do.
const EMAIL: &str = "jane.doe@contoso.com";

/// What `demo`'s own token carries as `msexchuid` (the mint's default).
const DEMO_USER_ID: &str = "53e925fa-76ba-45e1-be0f-4ef08b59d389";

const EWS_PATH: &str = "/EWS/Exchange.asmx";

/// A lab Exchange: metadata publishing the signing certificate, EWS asking for
/// authentication, and the token that points at it.
struct Exchange {
    lab: Lab,
    server: HttpsServer,
    token: String,
}

impl Exchange {
    fn start() -> Exchange {
        let lab = Lab::new();
        let metadata = metadata_json(&[auth_cert()], &MetadataOptions::default());
        let server = lab.https(vec![
            Route::new(METADATA_PATH, Behaviour::json(metadata)),
            Route::new(EWS_PATH, Behaviour::unauthorized(&["Negotiate", "NTLM"])),
        ]);
        let token = mint(&lab.amurl(&server))
            .msexchuid(format!("{USER_ID}@contoso.com"))
            .claim("upn", EMAIL)
            .appctx_field("smtp", EMAIL)
            .sign(&auth_cert().private_key)
            .expect("signed");
        Exchange { lab, server, token }
    }

    /// The network flags for the lab, loopback allowed.
    fn net(&self) -> Vec<String> {
        let mut net = self.lab.net_args(5);
        net.push("--allow-private".into());
        net
    }
}

/// The secret forms of a token.
struct Secrets {
    token: String,
    signing_input: String,
    signature: String,
}

impl Secrets {
    fn of(token: &str) -> Secrets {
        let (signing_input, signature) = token.rsplit_once('.').expect("three parts");
        Secrets {
            token: token.to_string(),
            signing_input: signing_input.to_string(),
            signature: signature.to_string(),
        }
    }

    /// Fails when `text` holds the token, its `header.payload`, its
    /// signature, or any 24 characters in a row of the signature or of
    /// `header.payload` (a clipped excerpt leaks too), in any letter case (a
    /// host name is lower-cased, and still leaks).
    fn assert_absent(&self, text: &str, what: &str) {
        let lower = text.to_ascii_lowercase();
        for (name, secret) in [
            ("the raw token", &self.token),
            ("header.payload", &self.signing_input),
            ("the signature", &self.signature),
        ] {
            assert!(
                !lower.contains(&secret.to_ascii_lowercase()),
                "{what} shows {name}:\n{text}"
            );
        }
        for (name, secret) in [
            ("the signature", &self.signature),
            ("header.payload", &self.signing_input),
        ] {
            let secret = secret.to_ascii_lowercase();
            for start in (0..secret.len().saturating_sub(24)).step_by(4) {
                let window = &secret[start..start + 24];
                assert!(
                    !lower.contains(window),
                    "{what} shows part of {name} ({window}):\n{text}"
                );
            }
        }
    }
}

/// Any `eyJ…` run with a dot in it: the shape of `header.payload`.
fn jwt_shaped(text: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(found) = text[from..].find("eyJ") {
        let start = from + found;
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .map_or(text.len(), |n| start + n);
        let run = &text[start..end];
        if run.contains('.') && run.len() > 20 {
            return Some(run);
        }
        from = start + 3;
    }
    None
}

/// E-mail-like values (`local@domain.tld`), except Microsoft first-party
/// application ids (`00000002-0000-0ff1-ce00-000000000000@contoso.com` in
/// `iss`), which `--redact` keeps by design: they name Exchange, not a person.
fn email_like(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b".-".contains(&b);
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = (0..at).rev().take_while(|&i| local(bytes[i])).last();
        let end = (at + 1..bytes.len())
            .take_while(|&i| domain(bytes[i]))
            .last();
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        let (user, host) = (&text[start..at], &text[at + 1..=end]);
        if !host.trim_end_matches('.').contains('.') {
            continue;
        }
        if user.ends_with("-0000-0ff1-ce00-000000000000") {
            continue;
        }
        found.push(text[start..=end].to_string());
    }
    found
}

/// Everything the tool printed, for scanning.
fn printed(out: &Run) -> String {
    format!("{}\n{}", out.stdout, out.stderr)
}

/// Under `--redact`: none of `identifiers`, no e-mail-like value.
fn assert_redacted(text: &str, identifiers: &[&str], what: &str) {
    let lower = text.to_ascii_lowercase();
    for id in identifiers {
        assert!(
            !lower.contains(&id.to_ascii_lowercase()),
            "{what} shows {id} under --redact:\n{text}"
        );
    }
    let emails = email_like(text);
    assert!(emails.is_empty(), "{what} shows {emails:?} under --redact");
}

/// Runs `command_args` in every format, with and without `--redact`, and
/// checks every output; returns the unredacted JSON report.
fn every_format(
    secrets: &Secrets,
    command_args: &[String],
    stdin: Option<&str>,
    identifiers: &[&str],
) -> serde_json::Value {
    let mut unredacted_json = None;
    for format in FORMATS {
        for redact in [false, true] {
            let mut argv = command_args.to_vec();
            argv.extend(args(["--format", format]));
            if redact {
                argv.push("--redact".into());
            }
            let what = format!("`{}` ({format}, redact {redact})", command_args[0]);
            let out = run(&argv, stdin, Duration::from_secs(30));
            assert!(!out.killed, "{what} hung");
            assert!(
                out.code.is_some_and(|c| c != 2),
                "{what}: exit {:?}\n{}",
                out.code,
                out.stderr
            );
            assert!(!out.stdout.is_empty(), "{what} printed nothing");
            let text = printed(&out);
            secrets.assert_absent(&text, &what);
            if let Some(run) = jwt_shaped(&text) {
                panic!("{what} shows JWT-shaped text {run}");
            }
            if redact {
                assert_redacted(&text, identifiers, &what);
            } else if format == "json" {
                // A batch prints one report per line: the first will do.
                let first = serde_json::Deserializer::from_str(&out.stdout)
                    .into_iter::<serde_json::Value>()
                    .next()
                    .and_then(Result::ok);
                unredacted_json =
                    Some(first.unwrap_or_else(|| panic!("{what}: not JSON: {}", out.stdout)));
            }
        }
    }
    let report = unredacted_json.expect("a JSON run");
    // The redaction checks above are only worth something if the plain
    // report does show the identifiers.
    let plain = report.to_string().to_ascii_lowercase();
    for id in identifiers {
        assert!(
            plain.contains(&id.to_ascii_lowercase()),
            "the unredacted report lacks {id}, so hiding it proves nothing"
        );
    }
    report
}

/// The identifiers `--redact` must hide for this token: the user id, the
/// e-mail, and the unique id the unredacted report shows.
fn identifiers_with(unique_id: Option<&str>) -> Vec<String> {
    let mut ids = vec![USER_ID.to_string(), EMAIL.to_string()];
    ids.extend(unique_id.map(str::to_string));
    ids
}

/// The unique id as the tool computes it (from an unredacted `decode`).
fn unique_id(token: &str) -> String {
    let out = run(
        &args(["decode", "-", "--format", "json"]),
        Some(token),
        Duration::from_secs(30),
    );
    out.report()["token"]["unique_id"]
        .as_str()
        .expect("a unique id")
        .to_string()
}

/// No request carries any part of the token: every one is a GET of the
/// amurl's path or of EWS, with no credentials and nothing of the token in
/// its target or headers.
fn assert_requests_clean(requests: &[RecordedRequest], secrets: &Secrets) {
    assert!(!requests.is_empty(), "the server was never asked");
    for request in requests {
        assert_eq!(request.method, "GET", "{request:?}");
        assert!(
            request.target == METADATA_PATH || request.target == EWS_PATH,
            "unexpected request {request:?}"
        );
        for name in ["authorization", "cookie", "proxy-authorization"] {
            assert_eq!(request.header(name), None, "{request:?}");
        }
        let mut sent = format!("{} {}\n", request.method, request.target);
        for (name, value) in &request.headers {
            sent.push_str(&format!("{name}: {value}\n"));
        }
        secrets.assert_absent(&sent, "a request to the server");
        let (header, payload) = secrets.signing_input.split_once('.').expect("two parts");
        for part in [header, payload] {
            assert!(
                !sent.contains(part),
                "a request carries a token part: {sent}"
            );
        }
    }
}

#[test]
fn decode_shows_no_token_in_any_format() {
    let exchange = Exchange::start();
    let secrets = Secrets::of(&exchange.token);
    let id = unique_id(&exchange.token);
    let identifiers = identifiers_with(Some(&id));
    let identifiers: Vec<&str> = identifiers.iter().map(String::as_str).collect();
    // From standard input, and as an argument.
    every_format(
        &secrets,
        &args(["decode"]),
        Some(&exchange.token),
        &identifiers,
    );
    every_format(
        &secrets,
        &args(["decode", &exchange.token]),
        None,
        &identifiers,
    );
    assert_eq!(exchange.server.connections(), 0, "decode is offline");
}

#[test]
fn probe_of_a_token_shows_and_sends_no_token() {
    let exchange = Exchange::start();
    let secrets = Secrets::of(&exchange.token);
    let id = unique_id(&exchange.token);
    let identifiers = identifiers_with(Some(&id));
    let identifiers: Vec<&str> = identifiers.iter().map(String::as_str).collect();
    let mut argv = args(["probe", &exchange.token]);
    argv.extend(exchange.net());
    let report = every_format(&secrets, &argv, None, &identifiers);
    assert_eq!(report["verdict"]["status"], "healthy", "{report:#}");
    assert_requests_clean(&exchange.server.requests(), &secrets);
    // The resolver is asked for the host name, and nothing else.
    for query in exchange.lab.dns.queries() {
        let name = query.split_whitespace().next().unwrap_or_default();
        assert!(
            name.trim_end_matches('.').eq_ignore_ascii_case(HOST),
            "{query}"
        );
    }
}

#[test]
fn keys_with_a_saved_document_shows_no_token() {
    let exchange = Exchange::start();
    let secrets = Secrets::of(&exchange.token);
    let id = unique_id(&exchange.token);
    let identifiers = identifiers_with(Some(&id));
    let identifiers: Vec<&str> = identifiers.iter().map(String::as_str).collect();
    let document = metadata_json(&[auth_cert()], &MetadataOptions::default());
    let path = exchange.lab.file("metadata.json", document.as_bytes());
    let argv = args(["keys", "--metadata", &path.display().to_string()]);
    let report = every_format(&secrets, &argv, Some(&exchange.token), &identifiers);
    assert_eq!(report["verdict"]["status"], "healthy", "{report:#}");
    assert_eq!(
        exchange.server.connections(),
        0,
        "keys --metadata FILE is offline"
    );
}

#[test]
fn diagnose_shows_and_sends_no_token() {
    let exchange = Exchange::start();
    let secrets = Secrets::of(&exchange.token);
    let id = unique_id(&exchange.token);
    let identifiers = identifiers_with(Some(&id));
    let identifiers: Vec<&str> = identifiers.iter().map(String::as_str).collect();
    let mut argv = args(["diagnose", "-"]);
    argv.extend(exchange.net());
    let report = every_format(&secrets, &argv, Some(&exchange.token), &identifiers);
    assert_eq!(report["verdict"]["status"], "healthy", "{report:#}");
    assert_requests_clean(&exchange.server.requests(), &secrets);
}

#[test]
fn a_batch_shows_and_sends_no_token() {
    let exchange = Exchange::start();
    let secrets = Secrets::of(&exchange.token);
    let id = unique_id(&exchange.token);
    let identifiers = identifiers_with(Some(&id));
    let identifiers: Vec<&str> = identifiers.iter().map(String::as_str).collect();
    let list = format!(
        "# tokens from the ticket\n{}\n\n{}\n",
        exchange.token, exchange.token
    );
    let path = exchange.lab.file("tokens.txt", list.as_bytes());
    let mut argv = args(["diagnose", "--batch", &path.display().to_string()]);
    argv.extend(exchange.net());
    every_format(&secrets, &argv, None, &identifiers);
    assert_requests_clean(&exchange.server.requests(), &secrets);
}

#[test]
fn a_failing_diagnosis_shows_no_token_either() {
    // The chain breaks at key.signature, where the signature is what is judged.
    let exchange = Exchange::start();
    let tampered = mint(&exchange.lab.amurl(&exchange.server))
        .msexchuid(format!("{USER_ID}@contoso.com"))
        .claim("upn", EMAIL)
        .tamper_signature()
        .sign(&auth_cert().private_key)
        .expect("signed");
    let secrets = Secrets::of(&tampered);
    let id = unique_id(&tampered);
    let identifiers = identifiers_with(Some(&id));
    let identifiers: Vec<&str> = identifiers.iter().map(String::as_str).collect();
    let mut argv = args(["diagnose"]);
    argv.extend(exchange.net());
    let report = every_format(&secrets, &argv, Some(&tampered), &identifiers);
    assert_eq!(report["verdict"]["check"], "key.signature", "{report:#}");
    assert_requests_clean(&exchange.server.requests(), &secrets);
}

#[test]
fn demo_shows_no_token_in_any_format() {
    // demo's token is made inside the process: nothing JWT-shaped may come
    // out, and under --redact not its msexchuid.
    for format in FORMATS {
        for redact in [false, true] {
            // -v: the human report shows the token's claims only when asked.
            let mut argv = args(["demo", "--format", format, "-v"]);
            if redact {
                argv.push("--redact".into());
            }
            let out = run(&argv, None, Duration::from_secs(60));
            let what = format!("demo ({format}, redact {redact})");
            assert_eq!(out.code, Some(0), "{what}: {}", out.stderr);
            let text = printed(&out);
            if let Some(run) = jwt_shaped(&text) {
                panic!("{what} shows JWT-shaped text {run}");
            }
            if redact {
                assert_redacted(&text, &[DEMO_USER_ID], &what);
            } else if format != "junit" {
                // JUnit lists checks only; the others show the token's claims.
                assert!(text.contains(DEMO_USER_ID), "{what} lacks the msexchuid");
            }
        }
    }
}

#[test]
fn damaged_tokens_are_not_echoed() {
    // Whatever shape a pasted token arrives in, what is printed about it
    // names positions and lengths, never its text.
    let exchange = Exchange::start();
    let token = &exchange.token;
    let secrets = Secrets::of(token);
    let (signing_input, signature) = token.rsplit_once('.').expect("three parts");
    let mut damaged_payload = token.clone();
    damaged_payload.replace_range(60..61, "!");
    let wrapped: String = token
        .as_bytes()
        .chunks(76)
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    let cases = [
        ("without its signature", signing_input.to_string()),
        (
            "cut in the signature",
            format!("{signing_input}.{}", &signature[..100]),
        ),
        ("with a damaged payload", damaged_payload),
        ("wrapped at 76 columns", wrapped),
        ("with a trailing dot", format!("{token}.")),
        (
            "in a log line",
            format!("2026-01-01 INFO token={token}; user={EMAIL}"),
        ),
    ];
    for (case, input) in &cases {
        for command in ["decode", "keys", "probe"] {
            let mut argv = args([command, "-", "--format", "json"]);
            if command == "probe" {
                argv.extend(exchange.net());
            }
            if command == "keys" {
                let document = metadata_json(&[auth_cert()], &MetadataOptions::default());
                let path = exchange.lab.file("metadata.json", document.as_bytes());
                argv.extend(args(["--metadata", &path.display().to_string()]));
            }
            let out = run(&argv, Some(input), Duration::from_secs(30));
            let what = format!("{command} of a token {case}");
            assert!(!out.killed, "{what} hung");
            secrets.assert_absent(&printed(&out), &what);
        }
    }
    // Nothing of the damaged tokens went out as a DNS query or a request.
    for query in exchange.lab.dns.queries() {
        secrets.assert_absent(&query, "a DNS query");
        let name = query.split_whitespace().next().unwrap_or_default();
        assert!(
            name.trim_end_matches('.').eq_ignore_ascii_case(HOST),
            "{query}"
        );
    }
    assert_requests_clean_or_none(&exchange.server.requests(), &secrets);
}

/// Like [`assert_requests_clean`], when no request at all is fine too.
fn assert_requests_clean_or_none(requests: &[RecordedRequest], secrets: &Secrets) {
    if !requests.is_empty() {
        assert_requests_clean(requests, secrets);
    }
}

/// Every character of `text` as a percent-escape.
fn percent_encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[test]
fn a_token_glued_or_percent_encoded_into_a_target_is_never_resolved_nor_printed() {
    let exchange = Exchange::start();
    let token = &exchange.token;
    let secrets = Secrets::of(token);
    let base = exchange.lab.amurl(&exchange.server);
    let (origin, _) = base.split_once("/autodiscover").expect("amurl");
    let encoded = percent_encoded(token);
    let cases = [
        ("glued to a path", format!("{origin}/x{token}")),
        ("percent-encoded in a path", format!("{origin}/{encoded}")),
        ("percent-encoded as a host", format!("https://{encoded}/")),
        (
            "percent-encoded twice in a path",
            format!("{origin}/{}", encoded.replace('%', "%25")),
        ),
    ];
    for (case, target) in &cases {
        for format in FORMATS {
            let mut argv = args(["probe", target, "--format", format]);
            argv.extend(exchange.net());
            let out = run(&argv, None, Duration::from_secs(30));
            let what = format!("probe of a token {case} ({format})");
            assert!(!out.killed, "{what} hung");
            let printed = printed(&out);
            secrets.assert_absent(&printed, &what);
            assert!(!printed.contains(&encoded[..60]), "{what}:\n{printed}");
        }
    }
    // A token found is judged as one: only its own amurl may be asked.
    for query in exchange.lab.dns.queries() {
        secrets.assert_absent(&query, "a DNS query");
    }
    assert_requests_clean_or_none(&exchange.server.requests(), &secrets);
    for request in exchange.server.requests() {
        assert!(
            !request.target.contains(&encoded[..60]),
            "{}",
            request.target
        );
    }
}

#[test]
fn a_token_in_the_wrong_place_on_the_command_line_is_not_echoed() {
    // Usage errors quote what they did not understand; a token there would
    // land in a CI log.
    let exchange = Exchange::start();
    let token = &exchange.token;
    let secrets = Secrets::of(token);
    let (_, signature) = token.rsplit_once('.').expect("three parts");
    let cases: Vec<Vec<String>> = vec![
        args(["decode", token, token]),
        args(["decode", "--now", token, token]),
        args(["decode", "--format", token]),
        args(["keys", token, "--metadata", token]),
        args(["probe", token, "--resolve", token]),
        args(["diagnose", token, "--ews-url", token]),
        // A token wrapped over two lines and pasted without quotes: the
        // shell hands the tail of the signature over as a second argument.
        args([
            "decode",
            &token[..token.len() - 200],
            &signature[signature.len() - 200..],
        ]),
        args(["ssi-ips", "--check", token]),
        args(["demo", token]),
    ];
    for argv in cases {
        let out = run(&argv, None, Duration::from_secs(30));
        let what = format!("`{}` with a misplaced token", argv[0]);
        assert_eq!(out.code, Some(2), "{what}: {}\n{}", out.stdout, out.stderr);
        assert!(!out.stderr.is_empty(), "{what} says nothing");
        secrets.assert_absent(&printed(&out), &what);
        assert!(
            jwt_shaped(&printed(&out)).is_none(),
            "{what}: {}",
            out.stderr
        );
    }
}

#[test]
fn the_email_scanner_finds_addresses_and_spares_application_ids() {
    assert_eq!(
        email_like(
            "mail jane.doe@contoso.com and 00000002-0000-0ff1-ce00-000000000000@contoso.com"
        ),
        vec!["jane.doe@contoso.com".to_string()]
    );
    assert!(email_like("[redacted-msexchuid:1a2b3c4d]@contoso.com, a@b, @x.y").is_empty());
    assert_eq!(
        jwt_shaped("x eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ y"),
        Some("eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ")
    );
    assert_eq!(jwt_shaped("eyJhbGciOiJSUzI1NiJ9 alone"), None);
}
