//! Checks the transcription of the KB table in `src/ssi_ips/data.rs` against
//! the article's own HTML, held verbatim below: every block, its listed
//! addresses (which must be exactly the block's expansion), site, Azure
//! prefix, red/semicolon marking, users, landscape, SUs, resource and
//! websites, in the article's order.
//!
//! `SEED_TABLE` is the `<table>` element of the seed
//! `000_4264a49f0ea8c37f.txt` ("Unable to Validate the Client Identity Token"
//! Error when Starting Add-In), copied byte for byte with
//! `awk '/<table data-layout/{f=1} f{print} /<\/table>/{f=0}'`.

use std::net::Ipv4Addr;

use idtoken_doctor::ssi_ips::{self, Ipv4Cidr, Landscape, Site, SsiRange};

/// The KB article's table, verbatim.
const SEED_TABLE: &str = r##"<table data-layout="default">
    <tbody>
        <tr>
            <th>
                <p>Location</p>
            </th>
            <th>
                <p>SU</p>
            </th>
            <th>
                <p>Resource</p>
            </th>
            <th>
                <p>Main location</p>
            </th>
            <th>
                <p>List of PIPs in IP range</p>
            </th>
            <th>
                <p />
            </th>
            <th>
                <p>DR location</p>
            </th>
            <th>
                <p>List of PIPs in IP range</p>
            </th>
            <th>
                <p>Website (public DNS)</p>
            </th>
        </tr>
        <tr>
            <td>
                <p>WDC</p>
            </td>
            <td>
                <p>Wdcprod01</p>
            </td>
            <td>
                <p>web, worker</p>
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_CentralUS03/overview">40.89.246.90/31</a>
                </p>
            </td>
            <td>
                <p>40.89.246.90,<br />40.89.246.91</p>
            </td>
            <td>
                <p>Wdcprod-AKS<br />Wdcprod01</p>
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_EastUS02/overview">20.81.29.60/31</a>
                </p>
            </td>
            <td>
                <p>20.81.29.60,<br />20.81.29.61</p>
            </td>
            <td>
                <p>sapcfc-sap-wdcprod01-sync.c4c.invisiblesolutions.com</p>
            </td>
        </tr>
        <tr>
            <td>
                <p>WDC</p>
            </td>
            <td>
                <p>Wdctest01</p>
            </td>
            <td>
                <p>web, worker</p>
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_EastUS01/overview">52.186.90.126/31</a>
                </p>
            </td>
            <td>
                <p>52.186.90.126,<br />52.186.90.127</p>
            </td>
            <td>
                <p>Wdctest-AKS<br />Wdctest01</p>
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_CentralUS04/overview">20.84.212.112/31</a>
                </p>
            </td>
            <td>
                <p>20.84.212.112,<br />20.84.212.113</p>
            </td>
            <td>
                <p>sapcfc-sap-wdctest01-sync.c4c.invisiblesolutions.com</p>
            </td>
        </tr>
        <tr>
            <td>
                <p>WDC mod</p>
            </td>
            <td>
                <p />
            </td>
            <td>
                <p />
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_EastUS03/overview">20.121.86.250/31</a>
                </p>
            </td>
            <td>
                <p>20.121.86.250;<br />20.121.86.251</p>
            </td>
            <td>
                <p />
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_CentralUS07/overview">52.228.162.70/31</a>
                </p>
            </td>
            <td>
                <p>52.228.162.70;<br />52.228.162.71</p>
            </td>
            <td>
                <p />
            </td>
        </tr>
        <tr>
            <td>
                <p>FRA</p>
                <p>FRA mod</p>
            </td>
            <td>
                <p>Fraprod01-05</p>
                <p>Fratest01</p>
                <p>Fratest21</p>
                <p>Fraprod21</p>
            </td>
            <td>
                <p>web, worker</p>
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/33b1da52-153f-4025-a908-f06ecc770b17/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_GermanyWestCentral01/overview">20.79.94.108/30</a><br>
                <br />
                <br />
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/33b1da52-153f-4025-a908-f06ecc770b17/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_GermanyWestCentral02/overview">20.79.101.104/30</a><br>
                <br />
                <br />
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/33b1da52-153f-4025-a908-f06ecc770b17/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_GermanyWestCentral03/overview">20.52.203.122/31</a><br>
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/33b1da52-153f-4025-a908-f06ecc770b17/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_GermanyWestCentral04/overview">20.79.89.96/30</a>
                </p>
            </td>
            <td>
                <p>20.79.94.108,<br />20.79.94.109,<br />20.79.94.110,<br />20.79.94.111</p>
                <p>20.79.101.104,<br />20.79.101.105,<br />20.79.101.106,<br />20.79.101.107</p>
                <p style="color:red;">20.52.203.122,<br />20.52.203.123</p>
                <p style="color:red;">20.79.89.96;<br />20.79.89.97;<br />20.79.89.98;<br />20.79.89.99</p>
                <p />
            </td>
            <td>
                <p>Fratest-AKS<br />Fratest01<br />Fraprod01<br />Fraprod&#8209;AKS</p>
                <p>Fraprod02<br />Fraprod03<br />Fraprod04<br />Fraprod05</p>
                <p>Fratest21<br>
                <br /></p>
                <p>Fraprod21</p>
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/33b1da52-153f-4025-a908-f06ecc770b17/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_WestEurope02/overview">20.50.236.104/30</a><br>
                <br />
                <br />
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/33b1da52-153f-4025-a908-f06ecc770b17/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_WestEurope03/overview">20.54.192.120/30</a><br>
                <br />
                <br />
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/33b1da52-153f-4025-a908-f06ecc770b17/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_WestEurope04/overview">51.105.215.150/31</a><br>
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/33b1da52-153f-4025-a908-f06ecc770b17/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_GermanyNorth01/overview">20.113.195.212/30</a>
                </p>
            </td>
            <td>
                <p>20.50.236.104,<br />20.50.236.105,<br />20.50.236.106,<br />20.50.236.107</p>
                <p>20.54.192.120,<br />20.54.192.121,<br />20.54.192.122,<br />20.54.192.123</p>
                <p style="color:red;">51.105.215.150,<br />51.105.215.151</p>
                <p style="color:red;">20.113.195.212; 20.113.195.213; 20.113.195.214; 20.113.195.215</p>
                <p />
            </td>
            <td>
                <p>sapcfc-sap-fraprod<strong>[01..05]</strong>-sync.c4c.invisiblesolutions.com</p>
                <p>sapcfc-sap-fratest01-sync.c4c.invisiblesolutions.com</p>
                <p>sapcfc-sap-fratest21-sync.c4c.invisiblesolutions.com</p>
                <p>sapcfc-sap-fraprod21-sync.c4c.invisiblesolutions.com</p>
            </td>
        </tr>
        <tr>
            <td>
                <p>PER<br>
                <br /></p>
                <p><br>
                <br /></p>
                <p>PER mod</p>
            </td>
            <td>
                <p>Perprod01</p>
                <p>Pertest01</p>
            </td>
            <td>
                <p>web, worker</p>
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_AustraliaSoutheast01/overview">40.115.90.12/31</a><br>
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_AustraliaEast01/overview">20.53.187.192/31</a><br>
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_AustraliaSoutheast03/overview">20.70.88.90/31</a>
                </p>
            </td>
            <td>
                <p>40.115.90.12,<br />40.115.90.13</p>
                <p style="color:red;">20.53.187.192,<br />20.53.187.193</p>
                <p style="color:red;">20.70.88.90;<br />20.70.88.91</p>
            </td>
            <td>
                <p>PerProd-AKS<br />PerProd01</p>
                <p>Pertest-AKS<br />Pertest01</p>
            </td>
            <td>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_AustraliaEast02/overview">20.193.1.176/31</a><br>
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_AustraliaSoutheast02/overview">13.70.173.238/31</a><br>
                <br />
                </p>
                <p>
                    <a href="https://portal.azure.com/#@revenuegrid.com/resource/subscriptions/a112f56e-a5f0-489a-845c-d3cb60827d85/resourceGroups/Reserved-IP-Addresses/providers/Microsoft.Network/publicIPPrefixes/Reserved_IP_Addresses_AustraliaEast03/overview">20.248.144.52/31</a>
                </p>
            </td>
            <td>
                <p>20.193.1.176,<br />20.193.1.177</p>
                <p style="color:red;">13.70.173.238,<br />13.70.173.239</p>
                <p style="color:red;">20.248.144.52;<br />20.248.144.53</p>
            </td>
            <td>
                <p>sapcfc-sap-perprod01-sync.c4c.invisiblesolutions.com</p>
                <p>sapcfc-sap-pertest01-sync.c4c.invisiblesolutions.com</p>
            </td>
        </tr>
    </tbody>
</table>
"##;

/// A `<p>` of a cell: whether it is styled red, and its text lines.
#[derive(Debug, Clone)]
struct Paragraph {
    red: bool,
    html: String,
    lines: Vec<String>,
}

impl Paragraph {
    fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// The text of an HTML fragment, one entry per line break, tags dropped,
/// the non-breaking hyphen the article uses once turned into `-`.
fn text_lines(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let close = rest[open..].find('>').expect("a closed tag") + open;
        if rest[open..close].starts_with("<br") {
            text.push('\n');
        }
        rest = &rest[close + 1..];
    }
    text.push_str(rest);
    text.replace("&#8209;", "-")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every `<p>` of a cell, empty ones (`<p />`, padding) included.
fn paragraphs(cell: &str) -> Vec<Paragraph> {
    let mut found = Vec::new();
    let mut rest = cell;
    while let Some(start) = rest.find("<p") {
        let tag_end = rest[start..].find('>').expect("a closed <p>") + start;
        let tag = &rest[start..=tag_end];
        if tag.ends_with("/>") {
            found.push(Paragraph {
                red: false,
                html: String::new(),
                lines: Vec::new(),
            });
            rest = &rest[tag_end + 1..];
            continue;
        }
        let end = rest[tag_end..].find("</p>").expect("a closed paragraph") + tag_end;
        let html = &rest[tag_end + 1..end];
        found.push(Paragraph {
            red: tag.contains("color:red"),
            html: html.to_owned(),
            lines: text_lines(html),
        });
        rest = &rest[end + 4..];
    }
    found
}

/// The paragraphs of a cell that say something.
fn filled(cell: &[Paragraph]) -> Vec<Paragraph> {
    cell.iter()
        .filter(|p| !p.lines.is_empty())
        .cloned()
        .collect()
}

/// The data rows of the table, each a list of cells, each a list of paragraphs.
fn seed_rows() -> Vec<Vec<Vec<Paragraph>>> {
    SEED_TABLE
        .split("<tr>")
        .skip(1)
        .filter(|row| row.contains("<td>"))
        .map(|row| {
            row.split("<td>")
                .skip(1)
                .map(|cell| paragraphs(&cell[..cell.find("</td>").expect("a closed cell")]))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// One block as the article gives it.
#[derive(Debug)]
struct SeedBlock {
    row: usize,
    pair: usize,
    site: Site,
    cidr: String,
    addresses: Vec<String>,
    red: bool,
    semicolons: bool,
    azure_prefix: String,
    used_by: Vec<String>,
}

fn azure_prefix(link_html: &str) -> String {
    let start = link_html.find("publicIPPrefixes/").expect("a prefix link") + 17;
    let end = link_html[start..]
        .find("/overview")
        .expect("an /overview link")
        + start;
    link_html[start..end].to_owned()
}

fn split_addresses(text: &str) -> Vec<String> {
    text.split([',', ';', '\n', ' '])
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every block of the article, in its order: row by row, pair by pair, main
/// before DR.
fn seed_blocks() -> Vec<SeedBlock> {
    let mut blocks = Vec::new();
    for (row_index, row) in seed_rows().iter().enumerate() {
        assert_eq!(row.len(), 9, "row {row_index} has nine cells");
        let used_by = filled(&row[5]);
        for (site, range_cell, address_cell) in [(Site::Main, 3, 4), (Site::Dr, 6, 7)] {
            let ranges = filled(&row[range_cell]);
            let lists = filled(&row[address_cell]);
            assert_eq!(
                ranges.len(),
                lists.len(),
                "row {row_index}: blocks and lists pair up"
            );
            for (pair, (range, list)) in ranges.iter().zip(&lists).enumerate() {
                blocks.push(SeedBlock {
                    row: row_index,
                    pair,
                    site,
                    cidr: range.text(),
                    addresses: split_addresses(&list.text()),
                    red: list.red,
                    semicolons: list.text().contains(';'),
                    azure_prefix: azure_prefix(&range.html),
                    used_by: used_by
                        .get(pair)
                        .map(|p| p.lines.clone())
                        .unwrap_or_default(),
                });
            }
        }
    }
    // The article lists all main blocks of a row, then all DR blocks; the
    // table keeps each DR block next to its main block.
    blocks.sort_by_key(|block| (block.row, block.pair, block.site == Site::Dr));
    blocks
}

#[test]
fn the_article_lists_exactly_the_expansion_of_each_block() {
    let blocks = seed_blocks();
    assert_eq!(blocks.len(), 20);
    for block in &blocks {
        let cidr: Ipv4Cidr = block.cidr.parse().expect("the article's block parses");
        let expanded: Vec<String> = cidr.addresses().map(|a| a.to_string()).collect();
        assert_eq!(expanded, block.addresses, "{}", block.cidr);
        for address in &block.addresses {
            let parsed: Ipv4Addr = address.parse().expect("an IPv4 address");
            assert!(cidr.contains(parsed));
        }
    }
}

#[test]
fn the_table_transcribes_every_block_of_the_article_in_order() {
    let blocks = seed_blocks();
    let table = ssi_ips::ranges();
    assert_eq!(table.len(), blocks.len());
    for (range, block) in table.iter().zip(&blocks) {
        let at = format!("row {} pair {} {:?}", block.row, block.pair, block.site);
        assert_eq!(range.cidr.to_string(), block.cidr, "{at}");
        assert_eq!(range.addresses, block.addresses, "{at}");
        assert_eq!(range.site, block.site, "{at}");
        assert_eq!(range.azure_prefix, block.azure_prefix, "{at}");
        assert_eq!(range.marking.red, block.red, "{at}");
        assert_eq!(range.marking.semicolons, block.semicolons, "{at}");
        assert_eq!(range.used_by, block.used_by, "{at}");
    }
}

/// The ranges of the table that come from a row of the article.
fn ranges_of_row(row: usize) -> Vec<&'static SsiRange> {
    let blocks = seed_blocks();
    ssi_ips::ranges()
        .iter()
        .zip(blocks)
        .filter(|(_, block)| block.row == row)
        .map(|(range, _)| range)
        .collect()
}

/// "Fraprod01-05" names Fraprod01 to Fraprod05; "…fraprod[01..05]…" likewise.
fn expand_numbered(name: &str) -> Vec<String> {
    if let Some(open) = name.find('[') {
        let close = name.find(']').expect("a closed bracket");
        let (first, last) = name[open + 1..close]
            .split_once("..")
            .expect("a [a..b] pattern");
        let (first, last): (u32, u32) = (first.parse().expect("a"), last.parse().expect("b"));
        return (first..=last)
            .map(|n| format!("{}{n:02}{}", &name[..open], &name[close + 1..]))
            .collect();
    }
    match name.rsplit_once('-') {
        Some((stem, last)) if last.len() == 2 && last.bytes().all(|b| b.is_ascii_digit()) => {
            let base = &stem[..stem.len() - 2];
            let first: u32 = stem[stem.len() - 2..].parse().expect("a first number");
            let last: u32 = last.parse().expect("a last number");
            (first..=last).map(|n| format!("{base}{n:02}")).collect()
        }
        _ => vec![name.to_owned()],
    }
}

fn cell_names(cell: &[Paragraph]) -> Vec<String> {
    cell.iter()
        .flat_map(|p| p.lines.iter())
        .flat_map(|line| expand_numbered(line))
        .collect()
}

#[test]
fn system_units_websites_and_resources_come_from_their_row() {
    for (row_index, row) in seed_rows().iter().enumerate() {
        let ranges = ranges_of_row(row_index);
        let units = cell_names(&row[1]);
        let websites = cell_names(&row[8]);
        let resource = filled(&row[2])
            .first()
            .map(Paragraph::text)
            .unwrap_or_default();
        for range in &ranges {
            assert_eq!(range.resource, resource, "row {row_index}");
            for unit in range.system_units {
                assert!(units.iter().any(|u| u.eq_ignore_ascii_case(unit)), "{unit}");
            }
            for website in range.websites {
                assert!(websites.iter().any(|w| w == website), "{website}");
            }
        }
        // Nothing the row names is left out.
        for unit in &units {
            let covered = ranges
                .iter()
                .any(|r| r.system_units.iter().any(|u| u.eq_ignore_ascii_case(unit)));
            assert!(covered, "row {row_index}: {unit} has no block");
        }
        for website in &websites {
            assert!(
                ranges
                    .iter()
                    .any(|r| r.websites.contains(&website.as_str())),
                "{website}"
            );
        }
    }
}

/// The landscape a pair belongs to, by the reading documented in
/// `src/ssi_ips/data.rs`: where the Location cell has one paragraph per pair
/// (every row but FRA), the paragraph facing the pair names it, a blank one
/// continuing the name above; FRA's two names face no pair, and the pairs
/// of the "21" SUs are FRA mod.
fn landscape_by_reading(
    location: &[Paragraph],
    pair: usize,
    pairs: usize,
    units: &[&str],
) -> String {
    if location.len() == pairs || location.len() == 1 {
        let facing = &location[..=pair.min(location.len() - 1)];
        return facing
            .iter()
            .rev()
            .find(|p| !p.lines.is_empty())
            .map(Paragraph::text)
            .expect("a named paragraph above");
    }
    let base = location[0].text();
    if !units.is_empty() && units.iter().all(|unit| unit.ends_with("21")) {
        format!("{base} mod")
    } else {
        base
    }
}

#[test]
fn landscapes_follow_the_documented_reading_of_the_location_cells() {
    let blocks = seed_blocks();
    let mut named_per_row: Vec<Vec<String>> = vec![Vec::new(); seed_rows().len()];
    for (range, block) in ssi_ips::ranges().iter().zip(&blocks) {
        let row = &seed_rows()[block.row];
        let location = &row[0];
        let pairs = filled(&row[3]).len();
        let expected = landscape_by_reading(location, block.pair, pairs, range.system_units);
        assert_eq!(range.landscape.name(), expected, "{}", range.cidr);
        named_per_row[block.row].push(expected);
    }
    // Every name of every Location cell is used by a block of its row.
    for (row_index, row) in seed_rows().iter().enumerate() {
        for name in filled(&row[0]).iter().map(Paragraph::text) {
            assert!(
                named_per_row[row_index].contains(&name),
                "{name} has no block"
            );
        }
    }
    for landscape in Landscape::ALL {
        assert!(ssi_ips::ranges().iter().any(|r| r.landscape == landscape));
    }
}
