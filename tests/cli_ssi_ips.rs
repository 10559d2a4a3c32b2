//! `idtoken-doctor ssi-ips`: the SSI egress ranges of the KB article, for
//! firewall allow-lists, and `--check` for one address.

mod cli_support;

use std::net::Ipv4Addr;

use cli_support::*;
use serde_json::Value;

fn ssi_ips(args: &[&str]) -> std::process::Output {
    run(doctor().arg("ssi-ips").args(args))
}

/// Parses `a.b.c.d/len` into the network address and prefix length.
fn parse_cidr(line: &str) -> (Ipv4Addr, u32) {
    let (addr, len) = line
        .split_once('/')
        .unwrap_or_else(|| panic!("`{line}` is not a CIDR"));
    let addr: Ipv4Addr = addr
        .parse()
        .unwrap_or_else(|_| panic!("`{line}` has no IPv4 address"));
    let len: u32 = len
        .parse()
        .unwrap_or_else(|_| panic!("`{line}` has no prefix length"));
    assert!((8..=32).contains(&len), "`{line}`: implausible prefix");
    (addr, len)
}

fn contains((network, len): (Ipv4Addr, u32), addr: Ipv4Addr) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(network) & mask == u32::from(addr) & mask
}

fn ranges(json: &Value) -> &Vec<Value> {
    json["ranges"].as_array().expect("a ranges array")
}

#[test]
fn check_inside_a_range_exits_0_and_names_landscape_and_range() {
    let output = ssi_ips(&["--check", "20.79.94.109"]);
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("is an SSI egress address"), "{text}");
    assert!(text.contains("FRA"), "names the landscape: {text}");
    assert!(text.contains("20.79.94.108/30"), "names the range: {text}");

    // The first and last addresses of a block are inside too, in every landscape.
    for (address, landscape, cidr) in [
        ("40.89.246.90", "WDC", "40.89.246.90/31"),
        ("20.79.94.111", "FRA", "20.79.94.108/30"),
        ("20.52.203.123", "FRA mod", "20.52.203.122/31"),
        ("13.70.173.238", "PER", "13.70.173.238/31"),
    ] {
        let output = ssi_ips(&["--check", address, "--format", "json"]);
        assert_code(&output, 0);
        let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(json["check"]["ssi"], true, "{address}");
        assert_eq!(json["check"]["range"]["landscape"], landscape, "{address}");
        assert_eq!(json["check"]["range"]["cidr"], cidr, "{address}");
    }
}

#[test]
fn check_outside_the_ranges_exits_1() {
    for address in [
        "192.0.2.1",
        "20.79.94.112",
        "20.79.94.107",
        "8.8.8.8",
        "2001:db8::1",
    ] {
        let output = ssi_ips(&["--check", address]);
        assert_code(&output, 1);
        let text = stdout(&output);
        assert!(
            text.contains("not an SSI egress address"),
            "{address}: {text}"
        );
        let output = ssi_ips(&["--check", address, "--format", "json"]);
        assert_code(&output, 1);
        let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(json["check"]["ssi"], false, "{address}");
    }
}

#[test]
fn check_within_another_landscape_exits_1_and_says_where_it_belongs() {
    let output = ssi_ips(&["--check", "20.79.94.109", "--landscape", "WDC"]);
    assert_code(&output, 1);
    let text = stdout(&output);
    assert!(
        text.contains("FRA"),
        "names the landscape it belongs to: {text}"
    );
}

#[test]
fn a_bad_address_is_a_usage_error() {
    for bad in [
        "300.1.1.1",
        "20.79.94",
        "mail.contoso.com",
        "",
        "20.79.94.109/30",
    ] {
        let output = ssi_ips(&["--check", bad]);
        assert_code(&output, 2);
        assert!(stderr(&output).contains("--check"), "{}", describe(&output));
        assert!(output.stdout.is_empty(), "{}", describe(&output));
    }
}

#[test]
fn plain_format_for_a_landscape_is_one_cidr_per_line() {
    let output = ssi_ips(&["--landscape", "FRA", "--format", "plain"]);
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty());
    let json: Value = serde_json::from_slice(&ssi_ips(&["--format", "json"]).stdout).expect("JSON");
    let fra: Vec<&Value> = ranges(&json)
        .iter()
        .filter(|r| r["family"] == "FRA")
        .collect();
    assert_eq!(lines.len(), fra.len(), "{text}");
    for (line, range) in lines.iter().zip(&fra) {
        let cidr = parse_cidr(line);
        let mask = u32::MAX.checked_shl(32 - cidr.1).unwrap_or(0);
        assert_eq!(u32::from(cidr.0) & !mask, 0, "`{line}` has host bits set");
        assert_eq!(range["cidr"], *line);
        for address in range["addresses"].as_array().expect("addresses") {
            let address: Ipv4Addr = address.as_str().expect("text").parse().expect("IPv4");
            assert!(contains(cidr, address), "{address} outside {line}");
        }
    }
    assert!(lines.contains(&"20.79.94.108/30"));
    // No other landscape leaks in.
    assert!(!lines.contains(&"40.89.246.90/31"), "{text}");
    assert!(!lines.contains(&"40.115.90.12/31"), "{text}");
}

#[test]
fn plain_format_of_everything_covers_every_range() {
    let output = ssi_ips(&["--format", "plain"]);
    assert_code(&output, 0);
    let text = stdout(&output);
    let json: Value = serde_json::from_slice(&ssi_ips(&["--format", "json"]).stdout).expect("JSON");
    let cidrs: Vec<&str> = ranges(&json)
        .iter()
        .map(|r| r["cidr"].as_str().expect("a cidr"))
        .collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), cidrs);
    for line in text.lines() {
        parse_cidr(line);
    }
}

#[test]
fn an_unknown_landscape_is_a_usage_error() {
    for bad in ["XYZ", "fra2", ""] {
        let output = ssi_ips(&["--landscape", bad]);
        assert_code(&output, 2);
        let message = stderr(&output);
        assert!(message.contains("landscape"), "{message}");
        assert!(message.contains("FRA"), "lists the known ones: {message}");
    }
}

#[test]
fn landscape_names_are_case_insensitive() {
    let upper = stdout(&ssi_ips(&["--landscape", "PER", "--format", "plain"]));
    let lower = stdout(&ssi_ips(&["--landscape", "per", "--format", "plain"]));
    assert!(!upper.is_empty());
    assert_eq!(upper, lower);
}

#[test]
fn json_parses_and_lists_every_landscape() {
    let output = ssi_ips(&["--format", "json"]);
    assert_code(&output, 0);
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["schema"], "idtoken-doctor/ssi-ips/v1");
    let landscapes: Vec<&str> = json["landscapes"]
        .as_array()
        .expect("landscapes")
        .iter()
        .map(|l| l.as_str().expect("text"))
        .collect();
    for name in ["WDC", "FRA", "PER"] {
        assert!(landscapes.contains(&name), "{landscapes:?}");
    }
    assert_eq!(ranges(&json).len(), 20, "the KB article's 20 blocks");
    for range in ranges(&json) {
        let cidr = parse_cidr(range["cidr"].as_str().expect("a cidr"));
        assert!(
            matches!(range["site"].as_str(), Some("main" | "dr")),
            "{range}"
        );
        let addresses = range["addresses"].as_array().expect("addresses");
        assert_eq!(addresses.len(), 1 << (32 - cidr.1), "{range}");
    }
    let fra: Value =
        serde_json::from_slice(&ssi_ips(&["--landscape", "FRA", "--format", "json"]).stdout)
            .expect("JSON");
    assert!(ranges(&fra).iter().all(|r| r["family"] == "FRA"));
}

#[test]
fn human_and_markdown_tables_show_the_ranges() {
    let human = stdout(&ssi_ips(&[]));
    let markdown = stdout(&ssi_ips(&["--format", "markdown"]));
    for text in [&human, &markdown] {
        assert!(text.contains("20.79.94.108/30"), "{text}");
        assert!(text.contains("40.89.246.90"), "{text}");
    }
    assert!(markdown.contains("| Landscape |"), "{markdown}");
}
