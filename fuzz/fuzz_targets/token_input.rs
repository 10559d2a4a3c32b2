//! Token input extraction and decoding on arbitrary bytes: whatever is
//! pasted (read as lossy UTF-8, as `read_input` does with a file or standard
//! input), finding the token, decoding it, judging it and rendering the
//! report in every format must not panic.
#![no_main]

use idtoken_doctor::input;
use idtoken_doctor::render::{self, RenderOptions};
use idtoken_doctor::report::{CheckId, Report, Stage};
use idtoken_doctor::token::{self, TokenContext};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let extracted = input::extract_jwt(&text);
    if let Some(jwt) = &extracted {
        // What is handed on is a compact JWT: three non-empty parts, line
        // breaks inside it joined. (Stray characters such as `+` or a replaced
        // byte stay in, so that token.encoding can name them as damage.)
        assert!(jwt.starts_with("eyJ"));
        assert_eq!(jwt.split('.').count(), 3);
        assert!(jwt.split('.').all(|part| !part.is_empty()));
        assert!(!jwt.chars().any(|c| c.is_whitespace() || c.is_control()));
        assert!(jwt.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
    if let Some(candidate) = input::find_token(&text) {
        assert!(candidate.text().starts_with("eyJ"));
        // Positions count from 1 and lie inside the input.
        assert!(candidate.line() >= 1 && candidate.column() >= 1 && candidate.offset() >= 1);
        assert!(candidate.offset() <= text.chars().count());
        assert!(candidate.parts() >= 1);
    }

    // A fixed instant keeps runs reproducible; an audience exercises token.audience.
    let now = OffsetDateTime::from_unix_timestamp(1_750_000_000).expect("a valid instant");
    let ctx = TokenContext {
        now,
        audience: Some("https://addin.contoso.test/app?et=1".to_string()),
    };
    let analysis = token::analyze(&text, &ctx);
    assert_eq!(
        analysis.checks.len(),
        CheckId::of_stage(Stage::Token).len(),
        "the token stage returns all its checks"
    );
    if let Some(token) = &analysis.token {
        let _ = (
            token.x5t(),
            token.amurl(),
            token.unique_id(),
            token.signature(),
        );
    }

    let mut report = Report::new("decode", now, false);
    report.token = analysis.facts();
    report.extend(analysis.checks);
    let options = RenderOptions::default();
    let _ = render::human(&report, &options);
    let _ = render::markdown(&report, &options);
    let _ = render::json_line(&report, &options);
    render::redact(&mut report);
    let _ = render::junit(std::slice::from_ref(&report), &options);
});
