//! The table, a landscape filter, a membership check, and the `ssi-ips`
//! subcommand that prints them for firewall allow-lists.
//!
//! Every fact comes from the KB article's table (see [`data`] for how it was
//! read); the command needs no network.

pub mod cidr;
pub mod data;
mod render;

use std::ffi::OsStr;
use std::io::{self, IsTerminal, Write};
use std::net::IpAddr;

pub use cidr::{CidrError, Ipv4Cidr};
pub use data::{KbMarking, Landscape, Site, SsiRange, SOURCE_SECTION, SOURCE_TITLE};

use crate::exits::USAGE as EXIT_USAGE;
use crate::render::ColorChoice;

/// Exit code of `ssi-ips --check` when the address is SSI's.
pub const EXIT_IS_SSI: i32 = 0;

/// Exit code of `ssi-ips --check` when the address is not SSI's (in the
/// selected landscapes).
pub const EXIT_NOT_SSI: i32 = 1;

/// Every SSI egress block of the KB article, in the article's order.
pub fn ranges() -> &'static [SsiRange] {
    &data::RANGES
}

/// A `--landscape` selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandscapeFilter {
    /// A data centre with its mod landscape: `FRA` selects FRA and FRA mod.
    /// An allow-list for "Frankfurt" should not miss the mod blocks.
    Family(Landscape),
    /// Exactly one landscape: `FRA-mod`.
    Only(Landscape),
}

impl LandscapeFilter {
    /// Reads a landscape name, ignoring case, spaces, `-` and `_`: `FRA`,
    /// `fra`, `FRA mod`, `FRA-mod`, `fra_mod`. An unknown name gives a message
    /// that lists the valid ones.
    pub fn parse(name: &str) -> Result<LandscapeFilter, String> {
        let folded: String = name
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        let chosen = Landscape::ALL.into_iter().find_map(|landscape| {
            let base = landscape.cli_name().replace('-', "").to_lowercase();
            (base == folded).then_some(if landscape.is_mod() {
                LandscapeFilter::Only(landscape)
            } else {
                LandscapeFilter::Family(landscape)
            })
        });
        chosen.ok_or_else(|| {
            let valid: Vec<&str> = Landscape::ALL.iter().map(|l| l.cli_name()).collect();
            let shown = if name.trim().is_empty() {
                "an empty landscape name".to_owned()
            } else {
                format!("unknown landscape `{}`", name.trim())
            };
            format!(
                "{shown}: expected one of {} (WDC, FRA and PER include their mod landscape)",
                valid.join(", ")
            )
        })
    }

    /// Whether a landscape is selected.
    pub fn matches(self, landscape: Landscape) -> bool {
        match self {
            LandscapeFilter::Family(family) => landscape.family() == family,
            LandscapeFilter::Only(only) => landscape == only,
        }
    }

    /// The selected landscapes, in the article's order.
    pub fn landscapes(self) -> Vec<Landscape> {
        Landscape::ALL
            .into_iter()
            .filter(|landscape| self.matches(*landscape))
            .collect()
    }

    /// The name to give `--landscape` for this selection.
    pub fn cli_name(self) -> &'static str {
        match self {
            LandscapeFilter::Family(landscape) | LandscapeFilter::Only(landscape) => {
                landscape.cli_name()
            }
        }
    }
}

/// The blocks of the landscapes `name` selects (see [`LandscapeFilter::parse`]):
/// `FRA` gives FRA and FRA mod, `FRA-mod` only FRA mod. An unknown name is an
/// error whose message lists the valid names.
pub fn filter(name: &str) -> Result<Vec<&'static SsiRange>, String> {
    let selection = LandscapeFilter::parse(name)?;
    Ok(ranges()
        .iter()
        .filter(|range| selection.matches(range.landscape))
        .collect())
}

/// An address found in an SSI block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The address as it was asked about.
    pub address: IpAddr,
    /// The block it lies in: landscape, SUs, site and CIDR.
    pub range: &'static SsiRange,
}

/// Which SSI block `address` lies in, if any: landscape, SUs, main or DR
/// site, block. An IPv4-mapped IPv6 address (`::ffff:20.79.94.109`, as a
/// dual-stack server logs it) is checked as its IPv4 address; any other IPv6
/// address is not SSI's, since SSI sends from IPv4 only.
pub fn check(address: IpAddr) -> Option<Membership> {
    check_among(address, ranges())
}

/// [`check`] restricted to some blocks, such as those [`filter`] returns
/// (`check_among(address, filter("FRA")?)`).
pub fn check_among(
    address: IpAddr,
    candidates: impl IntoIterator<Item = &'static SsiRange>,
) -> Option<Membership> {
    let ipv4 = match address {
        IpAddr::V4(ipv4) => ipv4,
        IpAddr::V6(ipv6) => ipv6.to_ipv4_mapped()?,
    };
    candidates
        .into_iter()
        .find(|range| range.cidr.contains(ipv4))
        .map(|range| Membership { address, range })
}

/// Reads the `--check` argument: an IPv4 or IPv6 address, surrounding
/// whitespace and IPv6 brackets allowed.
pub fn parse_address(text: &str) -> Result<IpAddr, String> {
    let trimmed = text.trim();
    let unbracketed = trimmed
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(trimmed);
    unbracketed.parse::<IpAddr>().map_err(|_| {
        let hint = if trimmed.contains('/') {
            " (one address, not a block)"
        } else {
            ""
        };
        format!(
            "--check expects an IPv4 or IPv6 address such as 20.79.94.109{hint}, got `{trimmed}`"
        )
    })
}

/// The blocks a command run covers: all, or those of a `--landscape`.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The `--landscape` selection, if any.
    pub filter: Option<LandscapeFilter>,
    /// The selected blocks, in the article's order.
    pub ranges: Vec<&'static SsiRange>,
}

impl Scope {
    /// All blocks, or those `landscape` names.
    pub fn new(landscape: Option<&str>) -> Result<Scope, String> {
        let filter = landscape.map(LandscapeFilter::parse).transpose()?;
        let ranges = ranges()
            .iter()
            .filter(|range| filter.is_none_or(|selection| selection.matches(range.landscape)))
            .collect();
        Ok(Scope { filter, ranges })
    }

    /// The selected landscapes, in the article's order.
    pub fn landscapes(&self) -> Vec<Landscape> {
        match self.filter {
            Some(selection) => selection.landscapes(),
            None => Landscape::ALL.to_vec(),
        }
    }

    /// "all landscapes", "FRA and FRA mod", "FRA mod".
    pub fn describe(&self) -> String {
        match self.filter {
            None => "all landscapes".to_owned(),
            Some(_) => {
                let names: Vec<&str> = self.landscapes().iter().map(|l| l.name()).collect();
                names.join(" and ")
            }
        }
    }
}

/// The answer to `--check`.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// The address asked about.
    pub address: IpAddr,
    /// The block of the selected landscapes it lies in.
    pub found: Option<Membership>,
    /// With `--landscape`: the block of another landscape it lies in, so
    /// that "not in FRA" does not hide "but in WDC mod".
    pub outside_scope: Option<Membership>,
}

impl CheckOutcome {
    /// Checks `address` against the scope's blocks, and against the others
    /// when it is not in the scope.
    pub fn new(address: IpAddr, scope: &Scope) -> CheckOutcome {
        let found = check_among(address, scope.ranges.iter().copied());
        let outside_scope = match (&found, scope.filter) {
            (None, Some(_)) => check(address),
            _ => None,
        };
        CheckOutcome {
            address,
            found,
            outside_scope,
        }
    }

    /// The exit code: 0 when the address is SSI's in the scope, 1 when not.
    pub fn exit_code(&self) -> i32 {
        if self.found.is_some() {
            EXIT_IS_SSI
        } else {
            EXIT_NOT_SSI
        }
    }
}

/// Output formats of `ssi-ips`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpsFormat {
    /// A table of landscapes and ranges.
    #[default]
    Human,
    /// A JSON document.
    Json,
    /// One CIDR per line, for firewall import.
    Plain,
    /// A Markdown table.
    Markdown,
}

/// What `ssi-ips` was asked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// Only this landscape (WDC, FRA, PER, or a test/mod one such as FRA-mod).
    pub landscape: Option<String>,
    /// Say whether this address is SSI's (exit 0) or not (exit 1).
    pub check: Option<String>,
    /// The output format.
    pub format: IpsFormat,
    /// When to use colour (honours NO_COLOR).
    pub color: ColorChoice,
}

/// Whether to colour: always, never, or (auto) on a terminal unless
/// `NO_COLOR` is set to a non-empty value.
pub fn colour_wanted(choice: ColorChoice, is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && no_color.is_none_or(OsStr::is_empty),
    }
}

/// The `ssi-ips` subcommand: prints the blocks (or answers `--check`) to
/// `out`, usage errors to standard error, and returns the exit code: 0, 1
/// when a checked address is not SSI's, 2 on a usage error.
pub fn run(args: &Request, out: &mut dyn Write) -> i32 {
    run_to(args, out, &mut io::stderr())
}

/// [`run`] with standard error given, for tests and embedding. `--color auto`
/// still asks whether the process's standard output is a terminal, since that
/// is where `out` goes when the binary runs.
pub fn run_to(args: &Request, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let scope = match Scope::new(args.landscape.as_deref()) {
        Ok(scope) => scope,
        Err(message) => return usage_error(err, &message),
    };
    let bold = colour_wanted(
        args.color,
        io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let (text, code) = match &args.check {
        None => {
            let text = match args.format {
                IpsFormat::Human => render::listing_human(&scope, bold),
                IpsFormat::Json => render::listing_json(&scope),
                IpsFormat::Plain => render::listing_plain(&scope),
                IpsFormat::Markdown => render::listing_markdown(&scope),
            };
            (text, 0)
        }
        Some(asked) => {
            let address = match parse_address(asked) {
                Ok(address) => address,
                Err(message) => return usage_error(err, &message),
            };
            let outcome = CheckOutcome::new(address, &scope);
            let text = match args.format {
                IpsFormat::Human => render::check_human(&outcome, &scope, bold),
                IpsFormat::Json => render::check_json(&outcome, &scope),
                IpsFormat::Plain => render::check_plain(&outcome),
                IpsFormat::Markdown => render::check_markdown(&outcome, &scope),
            };
            (text, outcome.exit_code())
        }
    };
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => code,
        // A reader that stopped early (`| head`) is no error of ours.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => code,
        Err(error) => {
            let _ = writeln!(err, "idtoken-doctor: cannot write the output: {error}");
            EXIT_USAGE
        }
    }
}

fn usage_error(err: &mut dyn Write, message: &str) -> i32 {
    // Nothing sensible is left to do if standard error is gone too.
    // The message quotes what was given: a misplaced token stays hidden.
    let _ = writeln!(
        err,
        "idtoken-doctor: {}",
        crate::input::hide_token_text(message)
    );
    EXIT_USAGE
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::net::Ipv4Addr;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("a test address")
    }

    fn args(landscape: Option<&str>, check: Option<&str>, format: IpsFormat) -> Request {
        Request {
            landscape: landscape.map(str::to_owned),
            check: check.map(str::to_owned),
            format,
            color: ColorChoice::Never,
        }
    }

    /// Runs the command; returns exit code, standard output, standard error.
    fn run_captured(args: &Request) -> (i32, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run_to(args, &mut out, &mut err);
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
        (code, text(out), text(err))
    }

    #[test]
    fn every_block_expands_to_exactly_its_listed_addresses() {
        for range in ranges() {
            let expanded: Vec<String> = range.cidr.addresses().map(|a| a.to_string()).collect();
            assert_eq!(expanded, range.addresses, "{}", range.cidr);
        }
        assert_eq!(ranges().len(), 20);
        let total: usize = ranges().iter().map(|range| range.addresses.len()).sum();
        assert_eq!(total, 52);
    }

    #[test]
    fn no_block_repeats_or_overlaps_another() {
        let all = ranges();
        for (index, range) in all.iter().enumerate() {
            for other in &all[index + 1..] {
                assert!(
                    !range.cidr.contains(other.cidr.network())
                        && !other.cidr.contains(range.cidr.network()),
                    "{} overlaps {}",
                    range.cidr,
                    other.cidr
                );
            }
        }
        let addresses: HashSet<&str> = all
            .iter()
            .flat_map(|r| r.addresses.iter().copied())
            .collect();
        assert_eq!(addresses.len(), 52, "an address is listed twice");
    }

    #[test]
    fn every_landscape_has_main_and_dr_blocks_in_pairs() {
        for landscape in Landscape::ALL {
            let sites: Vec<Site> = ranges()
                .iter()
                .filter(|range| range.landscape == landscape)
                .map(|range| range.site)
                .collect();
            assert!(!sites.is_empty(), "{} has no block", landscape.name());
            // Main, DR, main, DR...: each main block is followed by its DR block.
            for pair in sites.chunks(2) {
                assert_eq!(pair, [Site::Main, Site::Dr], "{}", landscape.name());
            }
        }
        for pair in ranges().chunks(2) {
            let (main, dr) = (&pair[0], &pair[1]);
            assert_eq!(main.landscape, dr.landscape);
            assert_eq!(main.system_units, dr.system_units);
            assert_eq!(main.used_by, dr.used_by);
            assert_eq!(main.websites, dr.websites);
            assert_eq!(main.marking, dr.marking, "{} and {}", main.cidr, dr.cidr);
        }
    }

    #[test]
    fn system_units_are_among_the_users_and_have_a_website_each() {
        for range in ranges() {
            for unit in range.system_units {
                assert!(
                    range
                        .used_by
                        .iter()
                        .any(|user| user.eq_ignore_ascii_case(unit)),
                    "{unit} of {} is not in the unheaded column",
                    range.cidr
                );
                let host = format!(
                    "sapcfc-sap-{}-sync.c4c.invisiblesolutions.com",
                    unit.to_lowercase()
                );
                assert!(range.websites.contains(&host.as_str()), "{host}");
            }
            assert_eq!(range.websites.len(), range.system_units.len());
            assert!(range.azure_prefix.starts_with("Reserved_IP_Addresses_"));
        }
        for landscape in [Landscape::WdcMod, Landscape::PerMod] {
            assert!(ranges()
                .iter()
                .filter(|range| range.landscape == landscape)
                .all(|range| range.system_units.is_empty()));
        }
    }

    #[test]
    fn landscape_names_and_families() {
        assert_eq!(Landscape::FraMod.name(), "FRA mod");
        assert_eq!(Landscape::FraMod.cli_name(), "FRA-mod");
        assert_eq!(Landscape::FraMod.family(), Landscape::Fra);
        assert!(Landscape::PerMod.is_mod());
        assert!(!Landscape::Wdc.is_mod());
        assert_eq!(Site::Dr.label(), "DR");
        assert_eq!(Site::Dr.key(), "dr");
    }

    fn landscapes_of(name: &str) -> Vec<Landscape> {
        let mut seen = Vec::new();
        for range in filter(name).expect("a valid name") {
            if !seen.contains(&range.landscape) {
                seen.push(range.landscape);
            }
        }
        seen
    }

    #[test]
    fn a_data_centre_name_selects_it_with_its_mod_landscape() {
        assert_eq!(landscapes_of("FRA"), [Landscape::Fra, Landscape::FraMod]);
        assert_eq!(landscapes_of("fra"), [Landscape::Fra, Landscape::FraMod]);
        assert_eq!(landscapes_of(" Wdc "), [Landscape::Wdc, Landscape::WdcMod]);
        assert_eq!(landscapes_of("PER"), [Landscape::Per, Landscape::PerMod]);
        assert_eq!(filter("FRA").expect("FRA").len(), 8);
        assert_eq!(filter("WDC").expect("WDC").len(), 6);
        assert_eq!(filter("PER").expect("PER").len(), 6);
    }

    #[test]
    fn a_mod_name_selects_only_that_landscape_however_it_is_spelt() {
        for spelling in ["FRA mod", "FRA-mod", "fra_mod", "framod", "  FRA - MOD "] {
            assert_eq!(landscapes_of(spelling), [Landscape::FraMod], "{spelling:?}");
        }
        assert_eq!(filter("FRA-mod").expect("FRA-mod").len(), 4);
        assert_eq!(landscapes_of("wdc-mod"), [Landscape::WdcMod]);
        assert_eq!(landscapes_of("PER mod"), [Landscape::PerMod]);
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        for name in ["XYZ", "FRA2", "mod", "Fraprod01"] {
            let message = filter(name).expect_err("not a landscape");
            assert!(message.contains(&format!("`{name}`")), "{message}");
            for landscape in Landscape::ALL {
                assert!(message.contains(landscape.cli_name()), "{message}");
            }
        }
        assert!(filter("  ")
            .expect_err("empty")
            .contains("empty landscape name"));
    }

    #[test]
    fn an_address_inside_a_block_is_found_with_its_landscape_site_and_range() {
        let membership = check(ip("20.79.94.109")).expect("SSI's");
        assert_eq!(membership.address, ip("20.79.94.109"));
        assert_eq!(membership.range.landscape, Landscape::Fra);
        assert_eq!(membership.range.site, Site::Main);
        assert_eq!(membership.range.cidr.to_string(), "20.79.94.108/30");
        assert_eq!(membership.range.system_units, ["Fratest01", "Fraprod01"]);

        let dr = check(ip("20.113.195.215")).expect("SSI's");
        assert_eq!(dr.range.landscape, Landscape::FraMod);
        assert_eq!(dr.range.site, Site::Dr);

        let mapped = check(ip("::ffff:20.79.94.109")).expect("IPv4-mapped is checked as IPv4");
        assert_eq!(mapped.range.cidr.to_string(), "20.79.94.108/30");
        assert_eq!(mapped.address, ip("::ffff:20.79.94.109"));
    }

    #[test]
    fn addresses_outside_every_block_are_not_found() {
        for outside in [
            "20.79.94.112",
            "20.79.94.107",
            "8.8.8.8",
            "2001:db8::1",
            "::1",
        ] {
            assert_eq!(check(ip(outside)), None, "{outside}");
        }
    }

    #[test]
    fn every_block_edge_is_in_and_its_neighbours_are_out() {
        for range in ranges() {
            let first = u32::from(range.cidr.network());
            let last = u32::from(range.cidr.last());
            for inside in [first, last] {
                let found = check(IpAddr::V4(Ipv4Addr::from(inside))).expect("inside");
                assert!(std::ptr::eq(found.range, range), "{}", range.cidr);
            }
            for outside in [first - 1, last + 1] {
                assert_eq!(check(IpAddr::V4(Ipv4Addr::from(outside))), None);
            }
        }
    }

    #[test]
    fn a_landscape_restricts_the_check_and_names_where_else_the_address_is() {
        let fra = filter("FRA").expect("FRA");
        assert!(check_among(ip("20.121.86.250"), fra.iter().copied()).is_none());
        assert!(check_among(ip("20.79.89.97"), fra.iter().copied()).is_some());

        let scope = Scope::new(Some("FRA")).expect("FRA");
        let outcome = CheckOutcome::new(ip("20.121.86.250"), &scope);
        assert_eq!(outcome.found, None);
        let elsewhere = outcome.outside_scope.as_ref().expect("in WDC mod");
        assert_eq!(elsewhere.range.landscape, Landscape::WdcMod);
        assert_eq!(outcome.exit_code(), EXIT_NOT_SSI);

        let inside = CheckOutcome::new(ip("20.79.89.97"), &scope);
        assert!(inside.outside_scope.is_none());
        assert_eq!(inside.exit_code(), EXIT_IS_SSI);

        let everywhere = CheckOutcome::new(ip("20.79.94.112"), &Scope::new(None).expect("all"));
        assert!(everywhere.found.is_none() && everywhere.outside_scope.is_none());
    }

    #[test]
    fn check_arguments_are_read_forgivingly_and_refused_with_a_reason() {
        assert_eq!(parse_address(" 20.79.94.109\n"), Ok(ip("20.79.94.109")));
        assert_eq!(parse_address("[2001:db8::1]"), Ok(ip("2001:db8::1")));
        assert_eq!(parse_address("2001:db8::1"), Ok(ip("2001:db8::1")));
        for bad in ["", "foo", "20.79.94", "20.79.94.300", "20.79.94.109:443"] {
            let message = parse_address(bad).expect_err("not an address");
            assert!(message.contains("IPv4 or IPv6 address"), "{message}");
            assert!(message.contains(&format!("`{}`", bad.trim())), "{message}");
        }
        let block = parse_address("20.79.94.108/30").expect_err("a block");
        assert!(block.contains("one address, not a block"), "{block}");
    }

    #[test]
    fn colour_follows_the_choice_the_terminal_and_no_color() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(colour_wanted(ColorChoice::Always, false, set));
        assert!(!colour_wanted(ColorChoice::Never, true, None));
        assert!(colour_wanted(ColorChoice::Auto, true, None));
        assert!(colour_wanted(ColorChoice::Auto, true, empty));
        assert!(!colour_wanted(ColorChoice::Auto, true, set));
        assert!(!colour_wanted(ColorChoice::Auto, false, None));
    }

    #[test]
    fn human_listing_is_a_table_with_source_and_import_hint() {
        let (code, out, err) = run_captured(&args(None, None, IpsFormat::Human));
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.starts_with("SSI egress IP ranges, all landscapes: 20 blocks, 52 addresses\n"));
        assert!(out.contains(SOURCE_TITLE));
        let header = out
            .lines()
            .find(|line| line.starts_with("LANDSCAPE"))
            .expect("a header line");
        for column in ["SYSTEM UNITS", "SITE", "CIDR", "ADDRESSES"] {
            assert!(header.contains(column), "{header}");
        }
        for range in ranges() {
            let line = out
                .lines()
                .find(|line| line.contains(&format!("  {}  ", range.cidr)))
                .unwrap_or_else(|| panic!("no line for {}", range.cidr));
            assert!(line.starts_with(range.landscape.name()), "{line}");
            assert!(
                line.contains(&format!("  {}  ", range.site.label())),
                "{line}"
            );
            assert!(line.ends_with(range.addresses[0]), "{line}");
            for address in range.addresses {
                assert!(out.contains(&format!("  {address}\n")), "{address}");
            }
        }
        assert!(out.contains("(none named)"));
        assert!(out
            .trim_end()
            .ends_with("idtoken-doctor ssi-ips --format plain"));
        assert!(!out.contains('\x1b'), "coloured although --color never");
        assert!(out.lines().all(|line| line == line.trim_end()));
    }

    #[test]
    fn human_listing_of_a_landscape_shows_only_it_and_repeats_it_in_the_hint() {
        let (code, out, _) = run_captured(&args(Some("fra"), None, IpsFormat::Human));
        assert_eq!(code, 0);
        assert!(out.starts_with("SSI egress IP ranges, FRA and FRA mod: 8 blocks, 28 addresses\n"));
        assert!(out.contains("20.79.89.96/30") && !out.contains("40.89.246.90/31"));
        assert!(out.contains("idtoken-doctor ssi-ips --landscape FRA --format plain"));
        let (_, modded, _) = run_captured(&args(Some("fra mod"), None, IpsFormat::Human));
        assert!(modded.contains("--landscape FRA-mod --format plain"));
    }

    #[test]
    fn colour_always_bolds_the_headers() {
        let mut coloured = args(None, None, IpsFormat::Human);
        coloured.color = ColorChoice::Always;
        let (_, out, _) = run_captured(&coloured);
        assert!(out.starts_with("\x1b[1mSSI egress IP ranges"));
        assert!(out.contains("\x1b[1mLANDSCAPE"));
        let (_, plain, _) = run_captured(&Request {
            format: IpsFormat::Plain,
            ..coloured
        });
        assert!(!plain.contains('\x1b'), "plain output must stay importable");
    }

    #[test]
    fn json_listing_carries_the_source_and_every_block_with_its_addresses() {
        let (code, out, _) = run_captured(&args(None, None, IpsFormat::Json));
        assert_eq!(code, 0);
        assert_eq!(out.lines().count(), 1);
        let document: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(document["schema"], "idtoken-doctor/ssi-ips/v1");
        assert_eq!(document["source"]["title"], SOURCE_TITLE);
        assert_eq!(document["source"]["section"], SOURCE_SECTION);
        assert_eq!(document["landscapes"].as_array().map(Vec::len), Some(6));
        let listed = document["ranges"].as_array().expect("ranges");
        assert_eq!(listed.len(), ranges().len());
        for (json, range) in listed.iter().zip(ranges()) {
            assert_eq!(json["cidr"], range.cidr.to_string());
            assert_eq!(json["addresses"], serde_json::json!(range.addresses));
            assert_eq!(json["landscape"], range.landscape.name());
            assert_eq!(json["family"], range.landscape.family().name());
            assert_eq!(json["site"], range.site.key());
            assert_eq!(json["system_units"], serde_json::json!(range.system_units));
            assert_eq!(json["azure_prefix"], range.azure_prefix);
        }
        let (_, per_mod, _) = run_captured(&args(Some("PER-mod"), None, IpsFormat::Json));
        let document: Value = serde_json::from_str(&per_mod).expect("JSON");
        assert_eq!(document["landscapes"], serde_json::json!(["PER mod"]));
        assert_eq!(document["ranges"][0]["system_units"], serde_json::json!([]));
    }

    use serde_json::Value;

    #[test]
    fn plain_listing_is_one_block_per_line_in_table_order() {
        let (code, out, _) = run_captured(&args(None, None, IpsFormat::Plain));
        assert_eq!(code, 0);
        let expected: Vec<String> = ranges().iter().map(|r| r.cidr.to_string()).collect();
        assert_eq!(out.lines().collect::<Vec<_>>(), expected);
        assert!(out.ends_with("/31\n"));
        let (_, fra_mod, _) = run_captured(&args(Some("FRA-mod"), None, IpsFormat::Plain));
        assert_eq!(
            fra_mod,
            "20.52.203.122/31\n51.105.215.150/31\n20.79.89.96/30\n20.113.195.212/30\n"
        );
    }

    #[test]
    fn markdown_listing_is_a_table_for_a_ticket() {
        let (code, out, _) = run_captured(&args(Some("WDC"), None, IpsFormat::Markdown));
        assert_eq!(code, 0);
        assert!(out.starts_with("### SSI egress IP ranges: WDC and WDC mod\n"));
        let rows: Vec<&str> = out.lines().filter(|line| line.starts_with('|')).collect();
        assert_eq!(
            rows[0],
            "| Landscape | System units | Site | CIDR | Addresses |"
        );
        assert_eq!(rows[1], "|---|---|---|---|---|");
        assert_eq!(rows.len(), 2 + 6);
        assert_eq!(
            rows[2],
            "| WDC | Wdcprod01 | main | `40.89.246.90/31` | 40.89.246.90, 40.89.246.91 |"
        );
        assert_eq!(
            rows[7],
            "| WDC mod | (none named) | DR | `52.228.162.70/31` | 52.228.162.70, 52.228.162.71 |"
        );
        assert!(rows.iter().all(|row| row.matches('|').count() == 6));
    }

    #[test]
    fn check_of_an_ssi_address_names_landscape_units_site_and_range() {
        let (code, out, err) = run_captured(&args(None, Some("20.79.94.109"), IpsFormat::Human));
        assert_eq!((code, err.as_str()), (EXIT_IS_SSI, ""));
        assert!(out.starts_with("20.79.94.109 is an SSI egress address.\n"));
        for fact in [
            "Landscape     FRA\n",
            "System units  Fratest01, Fraprod01\n",
            "Site          main location\n",
            "Range         20.79.94.108/30 (20.79.94.108 to 20.79.94.111)\n",
            "Azure prefix  Reserved_IP_Addresses_GermanyWestCentral01\n",
        ] {
            assert!(out.contains(fact), "{fact:?} missing from\n{out}");
        }
    }

    #[test]
    fn check_of_another_address_exits_one_and_says_what_was_searched() {
        let (code, out, _) = run_captured(&args(None, Some("20.79.94.112"), IpsFormat::Human));
        assert_eq!(code, EXIT_NOT_SSI);
        assert_eq!(
            out,
            "20.79.94.112 is not an SSI egress address: it is in none of the 20 blocks of the KB article.\n"
        );
        let (code, out, _) = run_captured(&args(None, Some("2001:db8::1"), IpsFormat::Human));
        assert_eq!(code, EXIT_NOT_SSI);
        assert!(out.contains("SSI sends from IPv4 addresses only"), "{out}");
    }

    #[test]
    fn check_within_a_landscape_points_at_the_other_landscape() {
        let (code, out, _) =
            run_captured(&args(Some("FRA"), Some("20.121.86.251"), IpsFormat::Human));
        assert_eq!(code, EXIT_NOT_SSI);
        assert!(out.starts_with(
            "20.121.86.251 is not an SSI egress address of FRA and FRA mod: it is in none of their 8 blocks.\n"
        ));
        assert!(out.contains("It is SSI's in another landscape, WDC mod:"));
        assert!(out.contains("Range         20.121.86.250/31"));
        let (code, _, _) = run_captured(&args(
            Some("WDC-mod"),
            Some("20.121.86.251"),
            IpsFormat::Human,
        ));
        assert_eq!(code, EXIT_IS_SSI);
        let (code, out, _) = run_captured(&args(
            Some("PER-mod"),
            Some("20.121.86.251"),
            IpsFormat::Human,
        ));
        assert_eq!(code, EXIT_NOT_SSI);
        assert!(out.starts_with(
            "20.121.86.251 is not an SSI egress address of PER mod: it is in none of its 2 blocks.\n"
        ));
    }

    #[test]
    fn check_in_json_plain_and_markdown() {
        let (code, out, _) =
            run_captured(&args(None, Some("::ffff:20.113.195.212"), IpsFormat::Json));
        assert_eq!(code, EXIT_IS_SSI);
        let document: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(document["check"]["address"], "::ffff:20.113.195.212");
        assert_eq!(document["check"]["ssi"], true);
        assert_eq!(document["check"]["range"]["cidr"], "20.113.195.212/30");
        assert_eq!(document["check"]["range"]["landscape"], "FRA mod");
        assert_eq!(document["check"]["range"]["site"], "dr");
        assert_eq!(document["check"]["outside_landscapes"], Value::Null);

        let (code, out, _) =
            run_captured(&args(Some("PER"), Some("20.79.94.110"), IpsFormat::Json));
        assert_eq!(code, EXIT_NOT_SSI);
        let document: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(document["check"]["ssi"], false);
        assert_eq!(document["check"]["range"], Value::Null);
        assert_eq!(document["check"]["outside_landscapes"]["landscape"], "FRA");

        let (code, out, _) = run_captured(&args(None, Some("13.70.173.239"), IpsFormat::Plain));
        assert_eq!((code, out.as_str()), (EXIT_IS_SSI, "13.70.173.238/31\n"));
        let (code, out, _) = run_captured(&args(None, Some("13.70.173.240"), IpsFormat::Plain));
        assert_eq!((code, out.as_str()), (EXIT_NOT_SSI, ""));

        let (code, out, _) = run_captured(&args(None, Some("40.115.90.12"), IpsFormat::Markdown));
        assert_eq!(code, EXIT_IS_SSI);
        assert!(out.starts_with("**40.115.90.12** is an SSI egress address.\n\n| Landscape |"));
        assert!(out.contains(
            "| PER | Perprod01 | main | `40.115.90.12/31` | 40.115.90.12, 40.115.90.13 |"
        ));
        let (code, out, _) = run_captured(&args(None, Some("40.115.90.14"), IpsFormat::Markdown));
        assert_eq!(code, EXIT_NOT_SSI);
        assert!(out.starts_with("**40.115.90.14** is not an SSI egress address"));
    }

    #[test]
    fn usage_errors_exit_two_with_a_message_and_no_output() {
        for (landscape, check, expected) in [
            (Some("Mars"), None, "unknown landscape `Mars`: expected one of WDC, WDC-mod, FRA, FRA-mod, PER, PER-mod"),
            (None, Some("not-an-ip"), "--check expects an IPv4 or IPv6 address such as 20.79.94.109, got `not-an-ip`"),
            (Some("Mars"), Some("20.79.94.109"), "unknown landscape `Mars`"),
        ] {
            let (code, out, err) = run_captured(&args(landscape, check, IpsFormat::Json));
            assert_eq!(code, EXIT_USAGE);
            assert_eq!(out, "");
            assert!(err.starts_with("idtoken-doctor: "), "{err}");
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn a_closed_reader_keeps_the_exit_code_and_other_write_errors_are_reported() {
        struct Failing(io::ErrorKind);
        impl Write for Failing {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(self.0))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut err = Vec::new();
        let not_ssi = args(None, Some("8.8.8.8"), IpsFormat::Human);
        let code = run_to(&not_ssi, &mut Failing(io::ErrorKind::BrokenPipe), &mut err);
        assert_eq!((code, err.len()), (EXIT_NOT_SSI, 0));
        let code = run_to(&not_ssi, &mut Failing(io::ErrorKind::StorageFull), &mut err);
        assert_eq!(code, EXIT_USAGE);
        assert!(String::from_utf8_lossy(&err).contains("cannot write the output"));
    }
}
