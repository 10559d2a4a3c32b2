//! The `ssi-ips` output formats, as pure functions from the scope (and the
//! check outcome) to text.

use std::net::IpAddr;

use serde_json::{json, Value};

use super::{CheckOutcome, Membership, Scope, SsiRange, SOURCE_SECTION, SOURCE_TITLE};

/// The JSON document's schema identifier.
const SCHEMA: &str = "idtoken-doctor/ssi-ips/v1";

/// Bold through the SGR code itself: `colored`'s switch is process-global,
/// which would make one caller's `--color never` another's.
fn bold_text(text: &str, bold: bool) -> String {
    if bold {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn system_units_text(range: &SsiRange) -> String {
    if range.system_units.is_empty() {
        "(none named)".to_owned()
    } else {
        range.system_units.join(", ")
    }
}

/// One row of a text table: its cells (each possibly several lines), and
/// whether a blank line sets it apart from the row before.
struct TableRow {
    starts_group: bool,
    cells: Vec<Vec<String>>,
}

/// A text table whose cells may span several lines; columns two spaces
/// apart, no trailing spaces, a blank line before each group of rows.
fn text_table(headers: &[&str], rows: &[TableRow], bold: bool) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (column, cell) in row.cells.iter().enumerate() {
            for line in cell {
                widths[column] = widths[column].max(line.chars().count());
            }
        }
    }
    let join = |cells: Vec<String>| -> String {
        let mut line = String::new();
        for (column, cell) in cells.iter().enumerate() {
            if column + 1 < cells.len() {
                line.push_str(&format!("{cell:<width$}  ", width = widths[column]));
            } else {
                line.push_str(cell);
            }
        }
        line.trim_end().to_owned()
    };
    let header_line = join(headers.iter().map(|h| (*h).to_owned()).collect());
    let mut text = bold_text(&header_line, bold);
    text.push('\n');
    for (index, row) in rows.iter().enumerate() {
        if index > 0 && row.starts_group {
            text.push('\n');
        }
        let height = row.cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
        for line_index in 0..height {
            let cells = row
                .cells
                .iter()
                .map(|cell| cell.get(line_index).cloned().unwrap_or_default())
                .collect();
            text.push_str(&join(cells));
            text.push('\n');
        }
    }
    text
}

fn human_row(range: &SsiRange, starts_group: bool) -> TableRow {
    let system_units = if range.system_units.is_empty() {
        vec!["(none named)".to_owned()]
    } else {
        range
            .system_units
            .iter()
            .map(|su| (*su).to_owned())
            .collect()
    };
    TableRow {
        starts_group,
        cells: vec![
            vec![range.landscape.name().to_owned()],
            system_units,
            vec![range.site.label().to_owned()],
            vec![range.cidr.to_string()],
            range.addresses.iter().map(|a| (*a).to_owned()).collect(),
        ],
    }
}

fn address_count(scope: &Scope) -> usize {
    scope.ranges.iter().map(|range| range.addresses.len()).sum()
}

fn plain_command(scope: &Scope) -> String {
    match scope.filter {
        Some(selection) => format!(
            "idtoken-doctor ssi-ips --landscape {} --format plain",
            selection.cli_name()
        ),
        None => "idtoken-doctor ssi-ips --format plain".to_owned(),
    }
}

/// The readable table, with the source and a hint for firewall import.
pub(super) fn listing_human(scope: &Scope, bold: bool) -> String {
    let title = format!(
        "SSI egress IP ranges, {}: {} blocks, {} addresses",
        scope.describe(),
        scope.ranges.len(),
        address_count(scope)
    );
    // A main block and the DR block after it serve the same SUs: one group.
    let rows: Vec<TableRow> = scope
        .ranges
        .iter()
        .enumerate()
        .map(|(index, range)| {
            let follows_its_main = index > 0
                && range.site == super::Site::Dr
                && scope.ranges[index - 1].site == super::Site::Main
                && scope.ranges[index - 1].used_by == range.used_by
                && scope.ranges[index - 1].landscape == range.landscape;
            human_row(range, !follows_its_main)
        })
        .collect();
    let table = text_table(
        &["LANDSCAPE", "SYSTEM UNITS", "SITE", "CIDR", "ADDRESSES"],
        &rows,
        bold,
    );
    format!(
        "{}\nSource: KB article {SOURCE_TITLE},\n        section \"{SOURCE_SECTION}\".\n\n{table}\n\
         Allow these blocks to reach the Exchange metadata URL and EWS; allow the DR blocks too,\n\
         the DR location takes over when the main one fails.\n\
         For a firewall import, one block per line: {}\n",
        bold_text(&title, bold),
        plain_command(scope)
    )
}

fn range_json(range: &SsiRange) -> Value {
    json!({
        "landscape": range.landscape.name(),
        "family": range.landscape.family().name(),
        "system_units": range.system_units,
        "used_by": range.used_by,
        "resource": range.resource,
        "site": range.site.key(),
        "cidr": range.cidr.to_string(),
        "addresses": range.addresses,
        "azure_prefix": range.azure_prefix,
        "websites": range.websites,
    })
}

fn document_head(scope: &Scope) -> serde_json::Map<String, Value> {
    let mut document = serde_json::Map::new();
    document.insert("schema".into(), json!(SCHEMA));
    document.insert("tool_version".into(), json!(env!("CARGO_PKG_VERSION")));
    document.insert(
        "source".into(),
        json!({"title": SOURCE_TITLE, "section": SOURCE_SECTION}),
    );
    let landscapes: Vec<&str> = scope.landscapes().iter().map(|l| l.name()).collect();
    document.insert("landscapes".into(), json!(landscapes));
    document
}

fn pretty(document: serde_json::Map<String, Value>) -> String {
    let mut text = Value::Object(document).to_string();
    text.push('\n');
    text
}

/// One JSON object: schema, source, the selected landscapes and the blocks.
pub(super) fn listing_json(scope: &Scope) -> String {
    let mut document = document_head(scope);
    let ranges: Vec<Value> = scope.ranges.iter().map(|r| range_json(r)).collect();
    document.insert("ranges".into(), Value::Array(ranges));
    pretty(document)
}

/// One CIDR block per line, each once, in the article's order.
pub(super) fn listing_plain(scope: &Scope) -> String {
    let mut seen = Vec::new();
    let mut text = String::new();
    for range in &scope.ranges {
        if !seen.contains(&range.cidr) {
            seen.push(range.cidr);
            text.push_str(&format!("{}\n", range.cidr));
        }
    }
    text
}

fn markdown_table(ranges: &[&SsiRange]) -> String {
    let mut text = String::from(
        "| Landscape | System units | Site | CIDR | Addresses |\n|---|---|---|---|---|\n",
    );
    for range in ranges {
        text.push_str(&format!(
            "| {} | {} | {} | `{}` | {} |\n",
            range.landscape.name(),
            system_units_text(range),
            range.site.label(),
            range.cidr,
            range.addresses.join(", ")
        ));
    }
    text
}

/// A heading, the source and a Markdown table, for a ticket.
pub(super) fn listing_markdown(scope: &Scope) -> String {
    format!(
        "### SSI egress IP ranges: {}\n\nSource: KB article {SOURCE_TITLE}, section \"{SOURCE_SECTION}\".\n\n{}",
        scope.describe(),
        markdown_table(&scope.ranges)
    )
}

/// "20.79.94.109", or "::ffff:20.79.94.109 (IPv4 20.79.94.109)".
fn address_text(address: IpAddr) -> String {
    match address {
        IpAddr::V6(ipv6) => match ipv6.to_ipv4_mapped() {
            Some(ipv4) => format!("{ipv6} (IPv4 {ipv4})"),
            None => ipv6.to_string(),
        },
        IpAddr::V4(ipv4) => ipv4.to_string(),
    }
}

fn membership_lines(membership: &Membership) -> String {
    let range = membership.range;
    let mut lines = vec![
        ("Landscape", range.landscape.name().to_owned()),
        ("System units", system_units_text(range)),
        ("Site", format!("{} location", range.site.label())),
        (
            "Range",
            format!(
                "{} ({} to {})",
                range.cidr,
                range.cidr.network(),
                range.cidr.last()
            ),
        ),
        ("Azure prefix", range.azure_prefix.to_owned()),
    ];
    if !range.websites.is_empty() {
        lines.push(("Websites", range.websites.join(", ")));
    }
    lines
        .into_iter()
        .map(|(label, value)| format!("  {label:<13} {value}\n"))
        .collect()
}

/// "2001:db8::1 is not an SSI egress address of FRA and FRA mod: it is in
/// none of their 8 blocks (SSI sends from IPv4 addresses only)."
fn not_ssi_sentence(outcome: &CheckOutcome, scope: &Scope, address: &str) -> String {
    let whose = match scope.filter {
        None => format!(
            "{address} is not an SSI egress address: it is in none of the {} blocks of the KB article",
            scope.ranges.len()
        ),
        Some(selection) => format!(
            "{address} is not an SSI egress address of {}: it is in none of {} {} blocks",
            scope.describe(),
            if selection.landscapes().len() > 1 { "their" } else { "its" },
            scope.ranges.len()
        ),
    };
    let ipv6_only = matches!(outcome.address, IpAddr::V6(ipv6) if ipv6.to_ipv4_mapped().is_none());
    if ipv6_only {
        format!("{whose} (SSI sends from IPv4 addresses only).")
    } else {
        format!("{whose}.")
    }
}

/// The answer to `--check`, for a person.
pub(super) fn check_human(outcome: &CheckOutcome, scope: &Scope, bold: bool) -> String {
    let address = address_text(outcome.address);
    if let Some(membership) = &outcome.found {
        let verdict = format!("{address} is an SSI egress address.");
        return format!(
            "{}\n{}",
            bold_text(&verdict, bold),
            membership_lines(membership)
        );
    }
    let verdict = not_ssi_sentence(outcome, scope, &address);
    let mut text = format!("{}\n", bold_text(&verdict, bold));
    if let Some(elsewhere) = &outcome.outside_scope {
        text.push_str(&format!(
            "It is SSI's in another landscape, {}:\n{}",
            elsewhere.range.landscape.name(),
            membership_lines(elsewhere)
        ));
    }
    text
}

fn membership_json(membership: &Option<Membership>) -> Value {
    membership
        .as_ref()
        .map_or(Value::Null, |membership| range_json(membership.range))
}

/// The answer to `--check`, as one JSON object.
pub(super) fn check_json(outcome: &CheckOutcome, scope: &Scope) -> String {
    let mut document = document_head(scope);
    document.insert(
        "check".into(),
        json!({
            "address": outcome.address.to_string(),
            "ssi": outcome.found.is_some(),
            "range": membership_json(&outcome.found),
            "outside_landscapes": membership_json(&outcome.outside_scope),
        }),
    );
    pretty(document)
}

/// The answer to `--check` for scripts: the block on one line, or nothing
/// (the exit code says which).
pub(super) fn check_plain(outcome: &CheckOutcome) -> String {
    outcome
        .found
        .as_ref()
        .map_or_else(String::new, |membership| {
            format!("{}\n", membership.range.cidr)
        })
}

/// The answer to `--check`, for a ticket.
pub(super) fn check_markdown(outcome: &CheckOutcome, scope: &Scope) -> String {
    let address = address_text(outcome.address);
    if let Some(membership) = &outcome.found {
        return format!(
            "**{address}** is an SSI egress address.\n\n{}",
            markdown_table(&[membership.range])
        );
    }
    let mut text = format!(
        "{}\n",
        not_ssi_sentence(outcome, scope, &format!("**{address}**"))
    );
    if let Some(elsewhere) = &outcome.outside_scope {
        text.push_str(&format!(
            "\nIt is SSI's in another landscape, {}:\n\n{}",
            elsewhere.range.landscape.name(),
            markdown_table(&[elsewhere.range])
        ));
    }
    text
}
