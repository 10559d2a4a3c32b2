//! Benchmarks of the offline work on the hot paths: finding and decoding a
//! token (`token::analyze`), reading a metadata document (`metadata::judge`),
//! and matching the token's `x5t` and verifying its RS256 signature
//! (`key::judge`). Run with `cargo bench --bench links`; the whole-process
//! figures come from `scripts/bench.sh`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use idtoken_doctor::input;
use idtoken_doctor::key;
use idtoken_doctor::lab::authcert::{metadata_json, AuthCert, MetadataOptions};
use idtoken_doctor::lab::mint::TokenMint;
use idtoken_doctor::metadata::{self, MetadataDocument};
use idtoken_doctor::render;
use idtoken_doctor::report::{Report, Status, TokenFacts};
use idtoken_doctor::token::{self, TokenContext};
use time::{Duration, OffsetDateTime};

/// Everything the benchmarks work on, made once: a signing certificate, a
/// token it signed, and metadata documents publishing it among others.
struct Fixture {
    now: OffsetDateTime,
    token: String,
    messy_paste: String,
    metadata_one_key: String,
    metadata_hundred_keys: String,
}

/// The instant everything is judged at (fixed, so runs compare).
fn bench_now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_750_000_000).expect("a valid instant")
}

fn fixture() -> Fixture {
    let now = bench_now();
    let day = Duration::days(1);
    let signing =
        AuthCert::generate(now - 200 * day, now + 3 * 365 * day).expect("an auth certificate");
    let token = TokenMint::new(signing.x5t.clone(), now - Duration::minutes(10))
        .amurl("https://mail.contoso.test/autodiscover/metadata/json/1")
        .sign(&signing.private_key)
        .expect("a signed token");
    // 99 other certificates for the same key: distinct DER, distinct x5t,
    // and cheap to make (no new RSA key each).
    let mut others = (1..100)
        .map(|i| {
            AuthCert::for_key(
                signing.private_key.clone(),
                now - (200 + i) * day,
                now + 3 * 365 * day,
            )
            .expect("another auth certificate")
        })
        .collect::<Vec<_>>();
    let options = MetadataOptions::default();
    let metadata_one_key = metadata_json(&[&signing], &options);
    // The signing certificate last: matching has to look at every key.
    others.push(signing);
    let metadata_hundred_keys = metadata_json(&others.iter().collect::<Vec<_>>(), &options);
    Fixture {
        now,
        messy_paste: messy_paste(&token),
        token,
        metadata_one_key,
        metadata_hundred_keys,
    }
}

/// The token as support engineers paste it: inside a JSON log line, with a
/// `Bearer ` prefix and line breaks every 76 characters, after a screenful
/// of log noise holding a few `eyJ` runs that are not tokens.
fn messy_paste(token: &str) -> String {
    let mut paste = String::new();
    for line in 0..60 {
        paste.push_str(&format!(
            "2025-06-15 10:{:02}:{:02},{line:03} INFO [SSI] request {line} state eyJhIjoxfQ ok\n",
            line / 60,
            line % 60
        ));
    }
    let wrapped = token
        .as_bytes()
        .chunks(76)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n");
    paste.push_str(&format!(
        "2025-06-15 10:01:00,000 ERROR [SSI] Unable to validate the client identity token: \
         {{\"headers\":{{\"Authorization\":\"Bearer {wrapped}\"}},\"user\":\"jane@contoso.test\"}}\n"
    ));
    paste
}

fn document(text: &str, now: OffsetDateTime) -> MetadataDocument {
    metadata::judge(text.as_bytes(), now)
        .document
        .expect("a metadata document")
}

fn token_benches(c: &mut Criterion, fx: &Fixture) {
    let ctx = TokenContext {
        now: fx.now,
        audience: None,
    };
    let mut group = c.benchmark_group("token");
    group.bench_function("extract_jwt/messy_paste", |b| {
        b.iter(|| input::extract_jwt(black_box(&fx.messy_paste)))
    });
    group.bench_function("analyze/token", |b| {
        b.iter(|| token::analyze(black_box(&fx.token), &ctx))
    });
    group.bench_function("analyze/messy_paste", |b| {
        b.iter(|| token::analyze(black_box(&fx.messy_paste), &ctx))
    });
    group.finish();
}

fn metadata_benches(c: &mut Criterion, fx: &Fixture) {
    let mut group = c.benchmark_group("metadata");
    for (keys, text) in [(1, &fx.metadata_one_key), (100, &fx.metadata_hundred_keys)] {
        group.bench_with_input(BenchmarkId::new("judge", keys), text, |b, text| {
            b.iter(|| metadata::judge(black_box(text.as_bytes()), fx.now))
        });
    }
    group.finish();
}

fn key_benches(c: &mut Criterion, fx: &Fixture) {
    let decoded = token::analyze(
        &fx.token,
        &TokenContext {
            now: fx.now,
            audience: None,
        },
    )
    .token
    .expect("the minted token decodes");
    let x5t = decoded.x5t().expect("the minted token has an x5t");
    let signature = decoded
        .signature()
        .expect("the minted token has a signature");
    let one = document(&fx.metadata_one_key, fx.now);
    let hundred = document(&fx.metadata_hundred_keys, fx.now);
    assert!(
        key::judge(Some(x5t), decoded.signing_input(), signature, &one, fx.now)
            .iter()
            .all(|check| check.status == Status::Pass)
    );

    let mut group = c.benchmark_group("key");
    // Matching and one RS256 verification: what every diagnosis does.
    for (keys, doc) in [(1, &one), (100, &hundred)] {
        group.bench_with_input(BenchmarkId::new("judge", keys), doc, |b, doc| {
            b.iter(|| key::judge(Some(x5t), decoded.signing_input(), signature, doc, fx.now))
        });
    }
    // An x5t that is not published: the signature is tried against every
    // key (up to key::MAX_KEYS_TRIED) to find the one that really signed.
    let unknown = "AAAAAAAAAAAAAAAAAAAAAAAAAAA";
    group.bench_function("judge_unpublished_x5t/100", |b| {
        b.iter(|| {
            key::judge(
                Some(unknown),
                decoded.signing_input(),
                signature,
                &hundred,
                fx.now,
            )
        })
    });
    group.finish();
}

/// A decoded token whose claims hold `count` distinct msexchuid-like values and
/// e-mail addresses (issue 9: `--redact` must stay linear in the report's size).
fn report_with_identifiers(count: usize) -> Report {
    let mut claims = serde_json::Map::new();
    for i in 0..count {
        let id = format!("{i:08x}-0a16-4e8e-93e4-fa7d981911df");
        claims.insert(
            format!("field{i}"),
            serde_json::json!({
                "msexchuid": format!("{id}@contoso.com"),
                "note": format!("seen {id} and mail{i}@contoso.com"),
            }),
        );
    }
    let mut report = Report::new("decode", bench_now(), false);
    report.token = Some(TokenFacts {
        claims,
        ..TokenFacts::default()
    });
    report
}

fn redact_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("redact");
    for count in [1000, 4000] {
        let report = report_with_identifiers(count);
        group.bench_with_input(
            BenchmarkId::new("identifiers", count),
            &report,
            |b, report| {
                b.iter(|| {
                    let mut copy = report.clone();
                    render::redact(&mut copy);
                    copy
                })
            },
        );
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let fx = fixture();
    token_benches(c, &fx);
    metadata_benches(c, &fx);
    key_benches(c, &fx);
    redact_benches(c);
}

criterion_group!(links, benches);
criterion_main!(links);
