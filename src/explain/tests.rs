//! Every table entry by its example, the variants a paste brings, several
//! findings at once, and what must not be recognised.

use time::macros::datetime;

use super::table::{self, Entry};
use super::*;

fn findings(text: &str) -> Vec<Finding> {
    explain(text, datetime!(2026-06-01 12:00 UTC))
}

fn codes(text: &str) -> Vec<String> {
    findings(text).into_iter().map(|f| f.code).collect()
}

fn only(text: &str) -> Finding {
    let found = findings(text);
    assert_eq!(found.len(), 1, "{text:?}: {found:#?}");
    found.into_iter().next().expect("one finding")
}

fn every_entry() -> impl Iterator<Item = &'static Entry> {
    table::MESSAGES
        .iter()
        .chain(table::SIGNIN_CODES)
        .chain(table::AADSTS)
        .chain(table::OFFICE_JS)
}

#[test]
fn every_entry_is_recognised_by_its_example() {
    for entry in every_entry() {
        let found = only(entry.example);
        assert_eq!(found.code, entry.code, "{}", entry.example);
        assert_eq!(found.kind, entry.kind.id());
        assert_eq!(found.chain, entry.chain.id());
        assert_eq!(found.meaning, entry.meaning);
        assert_eq!(found.source, entry.source);
        // Also inside a sentence of a ticket.
        let ticket = format!("Hi, the user sees this: {} -- thanks", entry.example);
        assert!(codes(&ticket).contains(&entry.code.to_string()), "{ticket}");
    }
}

#[test]
fn every_entry_names_a_public_source_and_says_what_to_do() {
    static UNKNOWN: [Entry; 2] = [table::UNKNOWN_AADSTS, table::UNKNOWN_SIGNIN_CODE];
    for entry in every_entry().chain(UNKNOWN.iter()) {
        assert!(entry.source.starts_with('['), "{}", entry.code);
        assert!(entry.source.contains("] https://"), "{}", entry.code);
        for text in [entry.meaning, entry.remedy, entry.next] {
            assert!(text.len() > 20, "{}: {text}", entry.code);
        }
    }
    for channel in table::CHANNELS {
        assert!(channel.source.contains("] https://"), "{}", channel.name);
    }
}

#[test]
fn the_ssi_messages_of_the_knowledge_base_are_recognised() {
    for (message, chain) in [
        ("Unable to validate the client identity token", "legacy"),
        ("Unable to load the identity token", "legacy"),
        ("Looks like your login session has expired", "legacy"),
        ("Failed to load Identity token", "naa"),
    ] {
        let found = only(message);
        assert_eq!(found.kind, "ssi-message");
        assert_eq!(found.chain, chain, "{message}");
        assert_eq!(found.text, message);
    }
}

#[test]
fn case_and_spacing_do_not_matter() {
    for variant in [
        "UNABLE TO VALIDATE THE CLIENT IDENTITY TOKEN",
        "unable to validate the client identity token",
        "Unable  to\tvalidate the\r\n  client identity token.",
        "Unable to validate the\u{00A0}client identity\u{202F}token",
        "Unable to vali\u{200B}date the cli\u{00AD}ent iden\u{2060}tity to\u{FEFF}ken",
        "Unable to validate the clientidentity token",
    ] {
        let found = only(variant);
        assert_eq!(
            found.code, "Unable to validate the client identity token",
            "{variant:?}"
        );
    }
    for variant in [
        "SOMETHING WENT WRONG. [7Q6CK]",
        "Something went wrong [ 7q6ck ]",
    ] {
        assert_eq!(codes(variant), ["7q6ck"], "{variant}");
    }
    for variant in [
        "AADSTS700046",
        "aadsts700046",
        "AADSTS 700046",
        "AADSTS: 700046",
        "Error:AADSTS700046.",
    ] {
        assert_eq!(codes(variant), ["AADSTS700046"], "{variant}");
    }
    assert_eq!(
        codes("you can\u{2019}t get there from here"),
        ["You can't get there from here"]
    );
    assert_eq!(codes("generictokenerror"), ["GenericTokenError"]);
}

#[test]
fn an_unknown_signin_code_is_recognised_and_called_unknown() {
    let found = only("Something went wrong. [zz99q]");
    assert_eq!(found.code, "zz99q");
    assert_eq!(found.kind, "signin-code");
    assert!(found.meaning.contains("unknown"), "{}", found.meaning);
    // A bracketed word without the pop-up's sentence is not a code.
    assert!(findings("see [ab12c] in the log").is_empty());
    // A known code is recognised without the sentence.
    assert_eq!(codes("popup [7q6cl]"), ["7q6cl"]);
    // Words in brackets are not codes, even after the sentence.
    assert!(findings("Something went wrong [error]").is_empty());
}

#[test]
fn an_unknown_aadsts_code_points_to_microsofts_lookup() {
    let found = only("AADSTS123456: Something unusual");
    assert_eq!(found.code, "AADSTS123456");
    assert_eq!(found.kind, "aadsts");
    assert!(
        found
            .next
            .contains("https://login.microsoftonline.com/error?code=123456"),
        "{}",
        found.next
    );
    let known = only("AADSTS65001");
    assert!(known.next.contains("error?code=65001"), "{}", known.next);
}

#[test]
fn office_js_codes_stand_alone() {
    let found = only("getUserIdentityTokenAsync failed: error 9018");
    assert_eq!((found.code.as_str(), found.chain), ("9018", "legacy"));
    // The code says it more exactly than the message beside it.
    assert_eq!(
        codes("GenericTokenError: An internal error has occurred. code 9017"),
        ["9017"]
    );
    for not in ["19017", "90171", "port 9017.5", "v1.9017", "ticket 9017a"] {
        assert!(findings(not).is_empty(), "{not}");
    }
}

#[test]
fn several_findings_in_one_text_in_their_order() {
    let text = "Outlook shows \"Failed to load Identity token\", then the pop-up says \
                Something went wrong. [7q6ck]; the sign-in log has AADSTS65001 for \
                anna@contoso.com, and the add-in logged error 9017.";
    assert_eq!(
        codes(text),
        [
            "Failed to load Identity token",
            "7q6ck",
            "AADSTS65001",
            "anna@contoso.com",
            "9017"
        ]
    );
    // The same code twice is one finding.
    assert_eq!(codes("AADSTS65001 ... AADSTS65001"), ["AADSTS65001"]);
}

#[test]
fn nothing_recognisable_gives_nothing() {
    for text in [
        "",
        "   ",
        "The add-in does not start, please help.",
        "Version 2408 of our CRM",
        "iss 00000002-0000-0ff1-ce00-000000000000@contoso.com",
        "https://mail.contoso.com/owa/",
        "user@localhost",
    ] {
        assert!(findings(text).is_empty(), "{text:?}: {:#?}", findings(text));
    }
}

#[test]
fn the_outlook_build_of_the_brief_on_its_channel() {
    let found =
        only("Version 2408 (Build 17928.20392 Click-to-Run) Semi-Annual Enterprise Channel");
    assert_eq!(found.kind, "outlook-build");
    assert_eq!(found.chain, "client");
    assert_eq!(found.code, "16.0.17928.20392");
    assert_eq!(
        found.text,
        "Version 2408 (Build 17928.20392) Semi-Annual Enterprise Channel"
    );
    assert!(
        found.meaning.contains("supports nested app authentication"),
        "{}",
        found.meaning
    );
}

#[test]
fn outlook_builds_are_judged_per_channel() {
    let supported = |text: &str| {
        let meaning = only(text).meaning;
        if meaning.contains("depends on its channel") {
            None
        } else {
            Some(!meaning.contains("no nested app") && !meaning.contains("older than"))
        }
    };
    let cases = [
        // The same build: enough on Semi-Annual, not on its Extended sibling.
        ("Version 2408 (Build 17928.20392 Click-to-Run) Semi-Annual Enterprise Channel (Extended)", Some(false)),
        ("Version 2408 (Build 17928.20604 Click-to-Run) Semi-Annual Enterprise Channel (Extended)", Some(true)),
        ("Version 2408 (Build 17928.20392) Current Channel", Some(false)),
        ("Version 2409 (Build 18025.20000) Current Channel", Some(true)),
        ("Microsoft Outlook Version 2410 Monthly Enterprise Channel", Some(true)),
        ("Microsoft Outlook Version 2402 Monthly Enterprise Channel", Some(false)),
        ("Outlook 16.0.18429.20132", Some(true)),
        ("Outlook 16.0.15601.20000", Some(false)),
        ("Version 2408 (Build 17928.20392 Click-to-Run)", None),
        ("Microsoft Outlook 2016", Some(false)),
        ("Outlook LTSC 2021", Some(false)),
    ];
    for (text, expected) in cases {
        assert_eq!(supported(text), expected, "{text}: {}", only(text).meaning);
    }
    // Where the channel decides, the meaning says so and names both sides.
    let open = only("Build 17928.20392").meaning;
    assert!(open.contains("does not name"), "{open}");
    assert!(
        open.contains("Semi-Annual Enterprise Channel (from"),
        "{open}"
    );
    // The channel's own first version, without a build, cannot be told.
    let unsure = only("Version 2408 Semi-Annual Enterprise Channel (Extended)").meaning;
    assert!(unsure.contains("cannot be told"), "{unsure}");
}

#[test]
fn amurls_and_addresses_point_to_probe() {
    let found = only("metadata: https://mail.contoso.com:443/autodiscover/metadata/json/1.");
    assert_eq!(found.kind, "amurl");
    assert_eq!(found.chain, "legacy");
    assert_eq!(
        found.next,
        "idtoken-doctor probe https://mail.contoso.com:443/autodiscover/metadata/json/1"
    );
    let found = only("mailbox <Anna.Lind@Contoso.com>");
    assert_eq!(found.kind, "email-address");
    assert_eq!(found.next, "idtoken-doctor probe Anna.Lind@Contoso.com");
    assert_eq!(found.chain, "none");
}

/// header `{"alg":"RS256"}`, payload with an amurl, and a signature that
/// holds text shaped like the codes explain knows.
fn token_with_codes_in_its_signature() -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"typ":"JWT","alg":"RS256","x5t":"abc"}"#);
    let payload = b64.encode(
        br#"{"appctx":"{\"version\":\"ExIdTok.V1\",\"amurl\":\"https://mail.contoso.com/autodiscover/metadata/json/1\"}"}"#,
    );
    let signature = format!("AADSTS50011x9017x{}", "A".repeat(300));
    format!("{header}.{payload}.{signature}")
}

#[test]
fn a_token_is_described_never_quoted_and_nothing_is_read_inside_it() {
    let token = token_with_codes_in_its_signature();
    let found = findings(&format!("Here is the token:\n{token}\nthanks"));
    assert_eq!(found.len(), 1, "{found:#?}");
    let finding = &found[0];
    assert_eq!(finding.kind, "token");
    assert_eq!(finding.code, "exchange-identity");
    assert_eq!(finding.chain, "legacy");
    assert!(
        finding.next.contains("idtoken-doctor diagnose"),
        "{}",
        finding.next
    );
    assert!(
        finding
            .meaning
            .contains("https://mail.contoso.com/autodiscover/metadata/json/1"),
        "{}",
        finding.meaning
    );
    let all = json(&found) + &human(&found, 0, None) + &markdown(&found, 0);
    for part in token.split('.') {
        assert!(!all.contains(part), "a part of the token was echoed");
    }
}

#[test]
fn the_json_document_has_the_contracts_shape() {
    let value: serde_json::Value = serde_json::from_str(&json(&findings(
        "AADSTS65001 and [7q6ck] Something went wrong",
    )))
    .expect("JSON");
    assert_eq!(value["schema"], SCHEMA);
    let list = value["findings"].as_array().expect("findings");
    assert_eq!(list.len(), 2);
    for finding in list {
        let mut keys: Vec<&str> = finding
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["chain", "code", "kind", "meaning", "next", "remedy", "source", "text"]
        );
    }
    let empty: serde_json::Value = serde_json::from_str(&json(&[])).expect("JSON");
    assert_eq!(empty["findings"], serde_json::json!([]));
}

#[test]
fn quoted_text_cannot_drive_a_terminal_or_markup() {
    let found = findings("Failed to load \u{1b}]0;x\u{7}Identity token [7q6ck] *bold* <b>");
    let text = human(&found, 0, None) + &markdown(&found, 0) + &json(&found);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(!text.contains('\u{7}'), "{text}");
}

#[test]
fn a_token_pasted_with_invisible_characters_is_still_one_token_and_unread() {
    let token = token_with_codes_in_its_signature();
    let (head, tail) = token.split_at(30);
    let (middle, end) = tail.split_at(60);
    let pasted = format!("token {head}\u{200B}{middle}\u{00AD}{end}");
    let found = findings(&pasted);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].code, "exchange-identity");
    assert!(
        found[0]
            .meaning
            .contains("2 invisible characters were removed"),
        "{}",
        found[0].meaning
    );
}

#[test]
fn the_human_format_wraps_to_the_width_and_keeps_long_words_whole() {
    let found = findings("AADSTS700046 and Version 2408 (Build 17928.20392) Current Channel");
    let text = human(&found, 0, Some(72));
    for line in text.lines() {
        let long_word = line.split(' ').any(|w| w.chars().count() > 72 - 12);
        assert!(line.chars().count() <= 72 || long_word, "{line}");
    }
    assert!(
        text.contains("\n            "),
        "continuation lines are indented: {text}"
    );
    // Unwrapped, each label is one line.
    let flat = human(&found, 0, None);
    assert_eq!(
        flat.lines().filter(|l| l.starts_with("   Meaning")).count(),
        2
    );
    assert_eq!(flat.lines().count(), 1 + 2 * 6);
}
