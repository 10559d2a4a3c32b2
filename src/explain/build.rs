//! An Outlook version and build (as About Outlook shows them, "Version 2408
//! (Build 17928.20392 Click-to-Run) Semi-Annual Enterprise Channel", or as
//! 16.0.17928.20392) judged against the first builds with nested app
//! authentication (requirement set NestedAppAuth 1.1), per channel.

use super::table::{self, Channel, Kind};
use super::{Chain, Finding, Folded};

/// A build: the two numbers after `16.0.`.
type Build = (u32, u32);

/// What the text says about one Outlook.
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// `Version YYMM`.
    version: Option<u32>,
    build: Option<Build>,
    channel: Option<&'static Channel>,
}

/// The Outlook build in `spaced` (folded with spaces), when it names one.
pub(super) fn find(spaced: &Folded) -> Option<(usize, Finding)> {
    let text = spaced.text.as_str();
    let build = ["build ", "16.0."]
        .into_iter()
        .filter_map(|prefix| {
            text.match_indices(prefix).find_map(|(at, _)| {
                let from = at + prefix.len();
                build_at(text, from).map(|(b, end)| (at, end, b))
            })
        })
        .min_by_key(|(at, _, _)| *at);
    let version = text.match_indices("version ").find_map(|(at, p)| {
        let from = at + p.len();
        let digits: String = text[from..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let month = digits.get(2..).and_then(|m| m.parse::<u32>().ok());
        (digits.len() == 4 && month.is_some_and(|m| (1..=12).contains(&m)))
            .then(|| (at, from + 4, digits.parse::<u32>().unwrap_or_default()))
    });
    let channel = table::CHANNELS
        .iter()
        .find(|c| c.phrases.iter().any(|p| text.contains(p)));
    // A bare "Version 2408" is Outlook's only where the text speaks of it.
    let about_outlook = build.is_some()
        || [
            "outlook",
            "office",
            "click-to-run",
            "microsoft 365",
            "channel",
        ]
        .iter()
        .any(|w| text.contains(w));
    let version = version.filter(|_| about_outlook);
    if build.is_none() && version.is_none() && channel.is_none_or(|c| c.minimum.is_some()) {
        return None;
    }
    let seen = Seen {
        version: version.map(|v| v.2),
        build: build.map(|b| b.2),
        channel,
    };
    let start = [version.map(|v| v.0), build.map(|b| b.0)]
        .into_iter()
        .flatten()
        .min();
    let shown = shown(&seen);
    let (meaning, remedy) = judge(&seen);
    let code = match (seen.version, seen.build) {
        (_, Some((a, b))) => format!("16.0.{a}.{b}"),
        (Some(v), None) => format!("Version {v}"),
        (None, None) => channel.map_or_else(String::new, |c| c.name.to_string()),
    };
    let source = channel.map_or(table::BUILD_SOURCE, |c| c.source);
    Some((
        start.map_or(0, |s| spaced.position(s)),
        Finding {
            text: shown,
            kind: Kind::OutlookBuild.id(),
            code,
            chain: Chain::Client.id(),
            meaning,
            remedy: remedy.to_string(),
            next: table::BUILD_NEXT.to_string(),
            source: source.to_string(),
        },
    ))
}

/// `NNNNN.NNNNN` at `from`, standing alone; the build and where it ends.
fn build_at(text: &str, from: usize) -> Option<(Build, usize)> {
    let rest = text.get(from..)?;
    let major: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest.get(major.len()..)?.strip_prefix('.')?;
    let minor: String = after.chars().take_while(char::is_ascii_digit).collect();
    let end = from + major.len() + 1 + minor.len();
    let alone = !text
        .as_bytes()
        .get(end)
        .is_some_and(|b| b.is_ascii_alphanumeric());
    ((4..=5).contains(&major.len()) && (3..=5).contains(&minor.len()) && alone)
        .then(|| Some(((major.parse().ok()?, minor.parse().ok()?), end)))
        .flatten()
}

/// Whether this Outlook has NAA on `channel`: `None` when the text does not
/// say enough (only the version, and the channel's first build is inside it).
fn supported_on(seen: &Seen, channel: &Channel) -> Option<bool> {
    let (version, build) = channel.minimum?;
    match (seen.build, seen.version) {
        (Some(b), _) => Some(b >= build),
        (None, Some(v)) if v != version => Some(v > version),
        _ => None,
    }
}

/// `Version 2408 (Build 17928.20392)`, as much of it as the text gives.
fn describe(seen: &Seen) -> String {
    match (seen.version, seen.build) {
        (Some(v), Some((a, b))) => format!("Version {v} (Build {a}.{b})"),
        (Some(v), None) => format!("Version {v}"),
        (None, Some((a, b))) => format!("Build {a}.{b}"),
        (None, None) => String::new(),
    }
}

/// What was recognised: the version and build as About Outlook writes them,
/// and the channel.
fn shown(seen: &Seen) -> String {
    let channel = seen.channel.map(|c| c.name);
    [Some(describe(seen)), channel.map(str::to_string)]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn minimum_words(channel: &Channel) -> String {
    match channel.minimum {
        Some((v, (a, b))) => format!("Version {v}, build {a}.{b}"),
        None => "no build".to_string(),
    }
}

/// The meaning and the remedy.
fn judge(seen: &Seen) -> (String, &'static str) {
    let what = format!("Outlook {}", describe(seen));
    if let Some(channel) = seen.channel {
        let has = match channel.minimum {
            None => Some(false),
            Some(_) => supported_on(seen, channel),
        };
        let first = minimum_words(channel);
        return match has {
            Some(true) => (
                format!("{what} on the {}: supports nested app authentication (NestedAppAuth 1.1 from {first} on this channel).", channel.name),
                table::BUILD_SUPPORTED,
            ),
            Some(false) => (
                format!("{what} on the {}: no nested app authentication (NestedAppAuth 1.1 needs {first} on this channel), so SSI's add-in cannot use NAA here.", channel.name),
                table::BUILD_TOO_OLD,
            ),
            None => (
                format!("{what} on the {}: NestedAppAuth 1.1 arrived with {first}; the text does not give the build, so it cannot be told.", channel.name),
                table::BUILD_SUPPORTED,
            ),
        };
    }
    let verdicts: Vec<(&Channel, Option<bool>)> = table::CHANNELS
        .iter()
        .filter(|c| c.minimum.is_some())
        .map(|c| (c, supported_on(seen, c)))
        .collect();
    let list = |want: bool| {
        verdicts
            .iter()
            .filter(|(_, v)| *v == Some(want))
            .map(|(c, _)| format!("{} (from {})", c.name, minimum_words(c)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if verdicts.iter().all(|(_, v)| *v == Some(true)) {
        (
            format!("{what}: supports nested app authentication on every Windows channel (the text does not name the channel, and it does not matter)."),
            table::BUILD_SUPPORTED,
        )
    } else if verdicts.iter().all(|(_, v)| *v == Some(false)) {
        (
            format!("{what}: older than the first build with nested app authentication on any Windows channel; SSI's add-in cannot use NAA in it."),
            table::BUILD_TOO_OLD,
        )
    } else {
        (
            format!(
                "{what}: whether it supports nested app authentication depends on its channel, which the text does not name. Supported on: {}. Not on: {}.",
                or_none(list(true)),
                or_none(list(false))
            ),
            "Find the channel (File > Office Account > About Outlook shows it) and judge again; on a channel without NAA at this build, update Outlook.",
        )
    }
}

fn or_none(text: String) -> String {
    if text.is_empty() {
        "none that the text allows telling".to_string()
    } else {
        text
    }
}
