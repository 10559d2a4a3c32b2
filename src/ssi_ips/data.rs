//! The table "IP addresses of SAP Cloud for Customer Server-Side Integration"
//! of the KB article, one entry per CIDR block.
//!
//! # How the table was read
//!
//! The article's HTML table has the columns Location, SU, Resource, Main
//! location, "List of PIPs in IP range", an unheaded column, DR location,
//! "List of PIPs in IP range" and "Website (public DNS)". It has five rows:
//! WDC (Wdcprod01), WDC (Wdctest01), WDC mod, FRA and PER. The FRA and PER rows
//! hold several ranges each, as paragraphs stacked in the cells; the n-th
//! paragraph of the Main-location cell goes with the n-th paragraph of its
//! address list, of the unheaded column and of the two DR cells (the author
//! padded the paragraphs with line breaks so that they line up).
//!
//! - **The unheaded column** names who sends from a range pair: system units
//!   (SUs) and their AKS clusters ("Fratest-AKS, Fratest01, Fraprod01,
//!   Fraprod-AKS"). It is kept verbatim in [`SsiRange::used_by`]; the SUs in
//!   it, spelt as in the SU column, are [`SsiRange::system_units`].
//! - **WDC** has one row per SU, so each WDC pair has one SU. **WDC mod** has its
//!   own row with no SU, resource or website.
//! - **FRA**, four pairs: 1 = Fratest01 + Fraprod01, 2 = Fraprod02..05,
//!   3 = Fratest21, 4 = Fraprod21 (from the unheaded column). The Location cell
//!   says "FRA" then "FRA mod" without padding to align them; the SU and
//!   website cells list Fraprod01-05, Fratest01, Fratest21, Fraprod21. Read
//!   here: pairs 1-2 (the "01" generation) are **FRA**, pairs 3-4 (the "21"
//!   generation, both printed in red) are **FRA mod**.
//! - **PER**, three pairs: the Location cell is padded so that "PER" faces pair 1,
//!   a blank paragraph faces pair 2 and "PER mod" faces pair 3; the unheaded
//!   column has Perprod01 for pair 1 and Pertest01 for pair 2 and nothing for
//!   pair 3. Read here: pairs 1-2 are **PER** (Perprod01, Pertest01), pair 3 is
//!   **PER mod** with no SU, like WDC mod.
//! - The Resource cell ("web, worker") spans a whole row, so every pair of the
//!   FRA and PER rows carries it; WDC mod's is empty.
//! - Websites: the FRA cell writes `sapcfc-sap-fraprod[01..05]-sync…`; it is
//!   expanded here to one host per SU. Each pair lists the websites of its SUs.
//!
//! Two markings are kept in [`SsiRange::marking`] as the article printed them:
//! address lists styled `color:red` (FRA pairs 3-4, PER pairs 2-3) and address
//! lists separated by `;` instead of `,` (WDC mod, FRA pair 4, PER pair 3).
//! Neither is a reliable "mod" marker on its own: PER pair 2 is red but faces
//! "PER" and Pertest01, and FRA pair 3 (Fratest21) uses commas. The other
//! reading, "only the `;` pairs are mod", would move Fratest21's pair 3 from
//! FRA mod to FRA. It changes a label only: `--landscape FRA` selects both
//! FRA landscapes either way, and FRA mod keeps the wider set, which is the
//! safe side for an allow-list.
//!
//! The test `tests/ssi_ips_data.rs` holds the article's table verbatim and
//! checks this transcription against it: every block, address, site, Azure
//! prefix, marking, SU and website, in order.

use super::cidr::Ipv4Cidr;

/// The article the ranges come from.
pub const SOURCE_TITLE: &str =
    "\"Unable to Validate the Client Identity Token\" Error when Starting Add-In";

/// The section of the article that holds the table.
pub const SOURCE_SECTION: &str = "Productive landscape (IP Addresses)";

/// An SSI landscape, as the Location column of the KB table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Landscape {
    /// WDC: the US data centre.
    Wdc,
    /// WDC mod.
    WdcMod,
    /// FRA: the European data centre.
    Fra,
    /// FRA mod.
    FraMod,
    /// PER: the Australian data centre.
    Per,
    /// PER mod.
    PerMod,
}

impl Landscape {
    /// Every landscape, in the article's order.
    pub const ALL: [Landscape; 6] = [
        Landscape::Wdc,
        Landscape::WdcMod,
        Landscape::Fra,
        Landscape::FraMod,
        Landscape::Per,
        Landscape::PerMod,
    ];

    /// The name as the article writes it: `WDC`, `FRA mod`.
    pub fn name(self) -> &'static str {
        match self {
            Landscape::Wdc => "WDC",
            Landscape::WdcMod => "WDC mod",
            Landscape::Fra => "FRA",
            Landscape::FraMod => "FRA mod",
            Landscape::Per => "PER",
            Landscape::PerMod => "PER mod",
        }
    }

    /// The name to type after `--landscape`, without a space: `WDC`, `FRA-mod`.
    pub fn cli_name(self) -> &'static str {
        match self {
            Landscape::Wdc => "WDC",
            Landscape::WdcMod => "WDC-mod",
            Landscape::Fra => "FRA",
            Landscape::FraMod => "FRA-mod",
            Landscape::Per => "PER",
            Landscape::PerMod => "PER-mod",
        }
    }

    /// The data centre the landscape belongs to: `WDC mod` belongs to `WDC`.
    pub fn family(self) -> Landscape {
        match self {
            Landscape::Wdc | Landscape::WdcMod => Landscape::Wdc,
            Landscape::Fra | Landscape::FraMod => Landscape::Fra,
            Landscape::Per | Landscape::PerMod => Landscape::Per,
        }
    }

    /// Whether this is one of the "mod" landscapes.
    pub fn is_mod(self) -> bool {
        self.family() != self
    }
}

/// Which of a landscape's two sites sends from a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Site {
    /// The main location.
    Main,
    /// The disaster-recovery location.
    Dr,
}

impl Site {
    /// `main` or `DR`, as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Site::Main => "main",
            Site::Dr => "DR",
        }
    }

    /// `main` or `dr`, for JSON.
    pub fn key(self) -> &'static str {
        match self {
            Site::Main => "main",
            Site::Dr => "dr",
        }
    }
}

/// How the article printed a range's address list; evidence for the reading
/// of the table (see the module documentation), not a property of the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KbMarking {
    /// The address list is styled `color:red`.
    pub red: bool,
    /// The addresses are separated by `;` rather than `,`.
    pub semicolons: bool,
}

/// One SSI egress block, with what the KB table says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsiRange {
    /// The landscape (Location column).
    pub landscape: Landscape,
    /// The system units that send from the range, spelt as in the SU column;
    /// empty for WDC mod and PER mod, for which the article names none.
    pub system_units: &'static [&'static str],
    /// The article's unheaded column, verbatim: SUs and AKS clusters.
    pub used_by: &'static [&'static str],
    /// The Resource column: "web, worker", or empty.
    pub resource: &'static str,
    /// Main or disaster-recovery location.
    pub site: Site,
    /// The block.
    pub cidr: Ipv4Cidr,
    /// The addresses the article lists for the block, verbatim, in order.
    pub addresses: &'static [&'static str],
    /// The Azure public-IP prefix the article links the block to.
    pub azure_prefix: &'static str,
    /// Public DNS names of the SUs' SSI websites.
    pub websites: &'static [&'static str],
    /// How the article printed the address list.
    pub marking: KbMarking,
}

/// Parses a block of the static table; a malformed literal stops the build,
/// since the table is evaluated at compile time.
const fn block(text: &str) -> Ipv4Cidr {
    match Ipv4Cidr::parse(text) {
        Ok(cidr) => cidr,
        Err(_) => panic!("malformed CIDR block in the SSI range table"),
    }
}

const PLAIN: KbMarking = KbMarking {
    red: false,
    semicolons: false,
};
const SEMICOLONS: KbMarking = KbMarking {
    red: false,
    semicolons: true,
};
const RED: KbMarking = KbMarking {
    red: true,
    semicolons: false,
};
const RED_SEMICOLONS: KbMarking = KbMarking {
    red: true,
    semicolons: true,
};

const WEB_WORKER: &str = "web, worker";

const WDCPROD01: &[&str] = &["Wdcprod01"];
const WDCPROD01_USERS: &[&str] = &["Wdcprod-AKS", "Wdcprod01"];
const WDCPROD01_SITES: &[&str] = &["sapcfc-sap-wdcprod01-sync.c4c.invisiblesolutions.com"];

const WDCTEST01: &[&str] = &["Wdctest01"];
const WDCTEST01_USERS: &[&str] = &["Wdctest-AKS", "Wdctest01"];
const WDCTEST01_SITES: &[&str] = &["sapcfc-sap-wdctest01-sync.c4c.invisiblesolutions.com"];

const FRA_PAIR1: &[&str] = &["Fratest01", "Fraprod01"];
// The article writes "Fraprod&#8209;AKS" (a non-breaking hyphen); kept as a plain hyphen.
const FRA_PAIR1_USERS: &[&str] = &["Fratest-AKS", "Fratest01", "Fraprod01", "Fraprod-AKS"];
const FRA_PAIR1_SITES: &[&str] = &[
    "sapcfc-sap-fratest01-sync.c4c.invisiblesolutions.com",
    "sapcfc-sap-fraprod01-sync.c4c.invisiblesolutions.com",
];

const FRA_PAIR2: &[&str] = &["Fraprod02", "Fraprod03", "Fraprod04", "Fraprod05"];
const FRA_PAIR2_SITES: &[&str] = &[
    "sapcfc-sap-fraprod02-sync.c4c.invisiblesolutions.com",
    "sapcfc-sap-fraprod03-sync.c4c.invisiblesolutions.com",
    "sapcfc-sap-fraprod04-sync.c4c.invisiblesolutions.com",
    "sapcfc-sap-fraprod05-sync.c4c.invisiblesolutions.com",
];

const FRATEST21: &[&str] = &["Fratest21"];
const FRATEST21_SITES: &[&str] = &["sapcfc-sap-fratest21-sync.c4c.invisiblesolutions.com"];

const FRAPROD21: &[&str] = &["Fraprod21"];
const FRAPROD21_SITES: &[&str] = &["sapcfc-sap-fraprod21-sync.c4c.invisiblesolutions.com"];

const PERPROD01: &[&str] = &["Perprod01"];
const PERPROD01_USERS: &[&str] = &["PerProd-AKS", "PerProd01"];
const PERPROD01_SITES: &[&str] = &["sapcfc-sap-perprod01-sync.c4c.invisiblesolutions.com"];

const PERTEST01: &[&str] = &["Pertest01"];
const PERTEST01_USERS: &[&str] = &["Pertest-AKS", "Pertest01"];
const PERTEST01_SITES: &[&str] = &["sapcfc-sap-pertest01-sync.c4c.invisiblesolutions.com"];

const NONE: &[&str] = &[];

/// The table, in the article's order: row by row, and within a row pair by
/// pair, main location before DR.
pub(super) static RANGES: [SsiRange; 20] = [
    // WDC, Wdcprod01
    SsiRange {
        landscape: Landscape::Wdc,
        system_units: WDCPROD01,
        used_by: WDCPROD01_USERS,
        resource: WEB_WORKER,
        site: Site::Main,
        cidr: block("40.89.246.90/31"),
        addresses: &["40.89.246.90", "40.89.246.91"],
        azure_prefix: "Reserved_IP_Addresses_CentralUS03",
        websites: WDCPROD01_SITES,
        marking: PLAIN,
    },
    SsiRange {
        landscape: Landscape::Wdc,
        system_units: WDCPROD01,
        used_by: WDCPROD01_USERS,
        resource: WEB_WORKER,
        site: Site::Dr,
        cidr: block("20.81.29.60/31"),
        addresses: &["20.81.29.60", "20.81.29.61"],
        azure_prefix: "Reserved_IP_Addresses_EastUS02",
        websites: WDCPROD01_SITES,
        marking: PLAIN,
    },
    // WDC, Wdctest01
    SsiRange {
        landscape: Landscape::Wdc,
        system_units: WDCTEST01,
        used_by: WDCTEST01_USERS,
        resource: WEB_WORKER,
        site: Site::Main,
        cidr: block("52.186.90.126/31"),
        addresses: &["52.186.90.126", "52.186.90.127"],
        azure_prefix: "Reserved_IP_Addresses_EastUS01",
        websites: WDCTEST01_SITES,
        marking: PLAIN,
    },
    SsiRange {
        landscape: Landscape::Wdc,
        system_units: WDCTEST01,
        used_by: WDCTEST01_USERS,
        resource: WEB_WORKER,
        site: Site::Dr,
        cidr: block("20.84.212.112/31"),
        addresses: &["20.84.212.112", "20.84.212.113"],
        azure_prefix: "Reserved_IP_Addresses_CentralUS04",
        websites: WDCTEST01_SITES,
        marking: PLAIN,
    },
    // WDC mod
    SsiRange {
        landscape: Landscape::WdcMod,
        system_units: NONE,
        used_by: NONE,
        resource: "",
        site: Site::Main,
        cidr: block("20.121.86.250/31"),
        addresses: &["20.121.86.250", "20.121.86.251"],
        azure_prefix: "Reserved_IP_Addresses_EastUS03",
        websites: NONE,
        marking: SEMICOLONS,
    },
    SsiRange {
        landscape: Landscape::WdcMod,
        system_units: NONE,
        used_by: NONE,
        resource: "",
        site: Site::Dr,
        cidr: block("52.228.162.70/31"),
        addresses: &["52.228.162.70", "52.228.162.71"],
        azure_prefix: "Reserved_IP_Addresses_CentralUS07",
        websites: NONE,
        marking: SEMICOLONS,
    },
    // FRA, pair 1: Fratest01, Fraprod01
    SsiRange {
        landscape: Landscape::Fra,
        system_units: FRA_PAIR1,
        used_by: FRA_PAIR1_USERS,
        resource: WEB_WORKER,
        site: Site::Main,
        cidr: block("20.79.94.108/30"),
        addresses: &[
            "20.79.94.108",
            "20.79.94.109",
            "20.79.94.110",
            "20.79.94.111",
        ],
        azure_prefix: "Reserved_IP_Addresses_GermanyWestCentral01",
        websites: FRA_PAIR1_SITES,
        marking: PLAIN,
    },
    SsiRange {
        landscape: Landscape::Fra,
        system_units: FRA_PAIR1,
        used_by: FRA_PAIR1_USERS,
        resource: WEB_WORKER,
        site: Site::Dr,
        cidr: block("20.50.236.104/30"),
        addresses: &[
            "20.50.236.104",
            "20.50.236.105",
            "20.50.236.106",
            "20.50.236.107",
        ],
        azure_prefix: "Reserved_IP_Addresses_WestEurope02",
        websites: FRA_PAIR1_SITES,
        marking: PLAIN,
    },
    // FRA, pair 2: Fraprod02..05
    SsiRange {
        landscape: Landscape::Fra,
        system_units: FRA_PAIR2,
        used_by: FRA_PAIR2,
        resource: WEB_WORKER,
        site: Site::Main,
        cidr: block("20.79.101.104/30"),
        addresses: &[
            "20.79.101.104",
            "20.79.101.105",
            "20.79.101.106",
            "20.79.101.107",
        ],
        azure_prefix: "Reserved_IP_Addresses_GermanyWestCentral02",
        websites: FRA_PAIR2_SITES,
        marking: PLAIN,
    },
    SsiRange {
        landscape: Landscape::Fra,
        system_units: FRA_PAIR2,
        used_by: FRA_PAIR2,
        resource: WEB_WORKER,
        site: Site::Dr,
        cidr: block("20.54.192.120/30"),
        addresses: &[
            "20.54.192.120",
            "20.54.192.121",
            "20.54.192.122",
            "20.54.192.123",
        ],
        azure_prefix: "Reserved_IP_Addresses_WestEurope03",
        websites: FRA_PAIR2_SITES,
        marking: PLAIN,
    },
    // FRA mod, pair 3: Fratest21
    SsiRange {
        landscape: Landscape::FraMod,
        system_units: FRATEST21,
        used_by: FRATEST21,
        resource: WEB_WORKER,
        site: Site::Main,
        cidr: block("20.52.203.122/31"),
        addresses: &["20.52.203.122", "20.52.203.123"],
        azure_prefix: "Reserved_IP_Addresses_GermanyWestCentral03",
        websites: FRATEST21_SITES,
        marking: RED,
    },
    SsiRange {
        landscape: Landscape::FraMod,
        system_units: FRATEST21,
        used_by: FRATEST21,
        resource: WEB_WORKER,
        site: Site::Dr,
        cidr: block("51.105.215.150/31"),
        addresses: &["51.105.215.150", "51.105.215.151"],
        azure_prefix: "Reserved_IP_Addresses_WestEurope04",
        websites: FRATEST21_SITES,
        marking: RED,
    },
    // FRA mod, pair 4: Fraprod21
    SsiRange {
        landscape: Landscape::FraMod,
        system_units: FRAPROD21,
        used_by: FRAPROD21,
        resource: WEB_WORKER,
        site: Site::Main,
        cidr: block("20.79.89.96/30"),
        addresses: &["20.79.89.96", "20.79.89.97", "20.79.89.98", "20.79.89.99"],
        azure_prefix: "Reserved_IP_Addresses_GermanyWestCentral04",
        websites: FRAPROD21_SITES,
        marking: RED_SEMICOLONS,
    },
    SsiRange {
        landscape: Landscape::FraMod,
        system_units: FRAPROD21,
        used_by: FRAPROD21,
        resource: WEB_WORKER,
        site: Site::Dr,
        cidr: block("20.113.195.212/30"),
        addresses: &[
            "20.113.195.212",
            "20.113.195.213",
            "20.113.195.214",
            "20.113.195.215",
        ],
        azure_prefix: "Reserved_IP_Addresses_GermanyNorth01",
        websites: FRAPROD21_SITES,
        marking: RED_SEMICOLONS,
    },
    // PER, pair 1: Perprod01
    SsiRange {
        landscape: Landscape::Per,
        system_units: PERPROD01,
        used_by: PERPROD01_USERS,
        resource: WEB_WORKER,
        site: Site::Main,
        cidr: block("40.115.90.12/31"),
        addresses: &["40.115.90.12", "40.115.90.13"],
        azure_prefix: "Reserved_IP_Addresses_AustraliaSoutheast01",
        websites: PERPROD01_SITES,
        marking: PLAIN,
    },
    SsiRange {
        landscape: Landscape::Per,
        system_units: PERPROD01,
        used_by: PERPROD01_USERS,
        resource: WEB_WORKER,
        site: Site::Dr,
        cidr: block("20.193.1.176/31"),
        addresses: &["20.193.1.176", "20.193.1.177"],
        azure_prefix: "Reserved_IP_Addresses_AustraliaEast02",
        websites: PERPROD01_SITES,
        marking: PLAIN,
    },
    // PER, pair 2: Pertest01
    SsiRange {
        landscape: Landscape::Per,
        system_units: PERTEST01,
        used_by: PERTEST01_USERS,
        resource: WEB_WORKER,
        site: Site::Main,
        cidr: block("20.53.187.192/31"),
        addresses: &["20.53.187.192", "20.53.187.193"],
        azure_prefix: "Reserved_IP_Addresses_AustraliaEast01",
        websites: PERTEST01_SITES,
        marking: RED,
    },
    SsiRange {
        landscape: Landscape::Per,
        system_units: PERTEST01,
        used_by: PERTEST01_USERS,
        resource: WEB_WORKER,
        site: Site::Dr,
        cidr: block("13.70.173.238/31"),
        addresses: &["13.70.173.238", "13.70.173.239"],
        azure_prefix: "Reserved_IP_Addresses_AustraliaSoutheast02",
        websites: PERTEST01_SITES,
        marking: RED,
    },
    // PER mod, pair 3
    SsiRange {
        landscape: Landscape::PerMod,
        system_units: NONE,
        used_by: NONE,
        resource: WEB_WORKER,
        site: Site::Main,
        cidr: block("20.70.88.90/31"),
        addresses: &["20.70.88.90", "20.70.88.91"],
        azure_prefix: "Reserved_IP_Addresses_AustraliaSoutheast03",
        websites: NONE,
        marking: RED_SEMICOLONS,
    },
    SsiRange {
        landscape: Landscape::PerMod,
        system_units: NONE,
        used_by: NONE,
        resource: WEB_WORKER,
        site: Site::Dr,
        cidr: block("20.248.144.52/31"),
        addresses: &["20.248.144.52", "20.248.144.53"],
        azure_prefix: "Reserved_IP_Addresses_AustraliaEast03",
        websites: NONE,
        marking: RED_SEMICOLONS,
    },
];
