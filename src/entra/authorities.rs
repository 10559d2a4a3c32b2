//! The Microsoft Entra ID authorities (the hosts that issue tokens and
//! publish the discovery documents and keys), one entry per host, with the
//! cloud it belongs to and the public source it was learned from.

/// A cloud of Microsoft Entra ID (`details.cloud`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// The worldwide (public) cloud.
    Public,
    /// Microsoft Entra ID for US Government.
    UsGovernment,
    /// Microsoft Entra ID operated by 21Vianet (China).
    China,
}

impl Cloud {
    /// The stable value of `details.cloud`.
    pub fn id(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::UsGovernment => "us-government",
            Cloud::China => "china",
        }
    }
}

/// One Entra ID authority host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authority {
    /// The host as it appears in `iss` (lower case).
    pub host: &'static str,
    /// Its cloud.
    pub cloud: Cloud,
    /// Where the cloud publishes the v1 discovery document for a tenant (a v1
    /// token's `iss` is on `sts.windows.net`, which serves no documents).
    pub v1_discovery_host: &'static str,
    /// The public page the entry was learned from.
    pub source: &'static str,
}

/// Entra's own instance-discovery answer, which lists the aliases of each
/// cloud's authority (MSAL reads it; recorded answers in MSAL's tests).
const INSTANCE_DISCOVERY: &str =
    "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1";

/// Every authority the tool recognises.
pub const AUTHORITIES: [Authority; 7] = [
    Authority {
        host: "login.microsoftonline.com",
        cloud: Cloud::Public,
        v1_discovery_host: "login.microsoftonline.com",
        source: "https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud",
    },
    // The issuer of v1.0 tokens (`https://sts.windows.net/{tid}/`).
    Authority {
        host: "sts.windows.net",
        cloud: Cloud::Public,
        v1_discovery_host: "login.microsoftonline.com",
        source: "https://learn.microsoft.com/entra/identity-platform/access-tokens",
    },
    Authority {
        host: "login.windows.net",
        cloud: Cloud::Public,
        v1_discovery_host: "login.microsoftonline.com",
        source: INSTANCE_DISCOVERY,
    },
    Authority {
        host: "login.microsoft.com",
        cloud: Cloud::Public,
        v1_discovery_host: "login.microsoftonline.com",
        source: INSTANCE_DISCOVERY,
    },
    Authority {
        host: "login.microsoftonline.us",
        cloud: Cloud::UsGovernment,
        v1_discovery_host: "login.microsoftonline.us",
        source: "https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud",
    },
    Authority {
        host: "login.partner.microsoftonline.cn",
        cloud: Cloud::China,
        v1_discovery_host: "login.partner.microsoftonline.cn",
        source: "https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud",
    },
    Authority {
        host: "login.chinacloudapi.cn",
        cloud: Cloud::China,
        v1_discovery_host: "login.chinacloudapi.cn",
        source: "https://learn.microsoft.com/python/api/azure-identity/azure.identity.azureauthorityhosts",
    },
];

/// The authority `host` is, if it is one (case and a trailing dot ignored).
pub fn authority(host: &str) -> Option<&'static Authority> {
    let host = host.trim().trim_end_matches('.');
    AUTHORITIES
        .iter()
        .find(|a| a.host.eq_ignore_ascii_case(host))
}

/// The authority hosts, for summaries that list them.
pub fn hosts() -> String {
    AUTHORITIES
        .iter()
        .map(|a| a.host)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_of_the_contract_is_known_and_others_are_not() {
        for (host, cloud) in [
            ("login.microsoftonline.com", Cloud::Public),
            ("STS.WINDOWS.NET.", Cloud::Public),
            ("login.microsoftonline.us", Cloud::UsGovernment),
            ("login.partner.microsoftonline.cn", Cloud::China),
            ("login.chinacloudapi.cn", Cloud::China),
        ] {
            assert_eq!(authority(host).map(|a| a.cloud), Some(cloud), "{host}");
        }
        for host in ["login.microsoftonline.com.evil.test", "contoso.com", ""] {
            assert!(authority(host).is_none(), "{host}");
        }
    }

    #[test]
    fn every_entry_names_its_source_and_a_discovery_host_of_its_own_cloud() {
        for a in AUTHORITIES {
            assert!(a.source.starts_with("https://"), "{}", a.host);
            assert_eq!(
                authority(a.v1_discovery_host).map(|d| d.cloud),
                Some(a.cloud)
            );
        }
    }
}
