//! The commands a remedy asks someone to run, ready to paste: one table of
//! templates, each with the page of Microsoft's (or the tool's own)
//! documentation it was checked against, and which templates each remedy
//! gives, read-only ones first.
//!
//! A template's placeholders are filled from the facts of the check and its
//! target (a host, a port, the metadata URL, a certificate's thumbprint) and
//! from the SSI address ranges of the KB article. A template whose facts are
//! not known is left out rather than shown with a placeholder. The metadata
//! URL comes from a token, so it is quoted for the shell it goes into: a
//! hostile amurl cannot turn a pasted command into another one.

use super::Remedy;

/// Where a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// Windows PowerShell (or PowerShell 7) on a Windows machine.
    PowerShell,
    /// The Exchange Management Shell on an Exchange server.
    ExchangeManagementShell,
    /// A POSIX shell (Linux, macOS, WSL).
    Sh,
}

impl Shell {
    /// The shell's name as the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Shell::PowerShell => "powershell",
            Shell::ExchangeManagementShell => "exchange-management-shell",
            Shell::Sh => "sh",
        }
    }

    /// The shell's name for a person: a comment before or after a command.
    pub fn label(self) -> &'static str {
        match self {
            Shell::PowerShell => "PowerShell",
            Shell::ExchangeManagementShell => "Exchange Management Shell",
            Shell::Sh => "sh",
        }
    }
}

/// One command of a remedy, its values filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Where to run it.
    pub shell: Shell,
    /// The command line, whole.
    pub run: String,
    /// What it shows or does, in a sentence.
    pub purpose: &'static str,
    /// Whether it changes configuration (read-only commands say `false`).
    pub changes: bool,
}

/// A command with placeholders: `{host}`, `{port}`, `{hostport}` (host and
/// port as `openssl -connect` takes them), `{amurl_sh}` (the metadata URL
/// quoted for sh), `{thumbprint}` (40 upper-case hex digits) and
/// `{ssi_ranges}` (every SSI block, comma-separated).
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// A short name, for the tests and the table.
    pub name: &'static str,
    /// Where it runs.
    pub shell: Shell,
    /// The command line with its placeholders.
    pub run: &'static str,
    /// What it shows or does.
    pub purpose: &'static str,
    /// Whether it changes configuration.
    pub changes: bool,
    /// The documentation the command was checked against.
    pub source: &'static str,
}

/// Every command the tool gives, with its source.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "get-authconfig",
        shell: Shell::ExchangeManagementShell,
        run: "Get-AuthConfig | Format-List CurrentCertificateThumbprint, PreviousCertificateThumbprint, NextCertificateThumbprint, NextCertificateEffectiveDate, Realm",
        purpose: "show which certificate Exchange signs identity tokens with (CurrentCertificateThumbprint)",
        changes: false,
        source: "https://learn.microsoft.com/powershell/module/exchange/get-authconfig",
    },
    Template {
        name: "get-exchangecertificate-thumbprint",
        shell: Shell::ExchangeManagementShell,
        run: "Get-ExchangeCertificate -Thumbprint {thumbprint} | Format-List Thumbprint, Subject, NotBefore, NotAfter, Status, Services",
        purpose: "find the certificate with this thumbprint on the Exchange server: subject, validity, status",
        changes: false,
        source: "https://learn.microsoft.com/powershell/module/exchange/get-exchangecertificate",
    },
    Template {
        name: "monitor-auth-certificate",
        shell: Shell::ExchangeManagementShell,
        run: ".\\MonitorExchangeAuthCertificate.ps1",
        purpose: "Microsoft's CSS-Exchange script (https://aka.ms/MonitorExchangeAuthCertificate), validation only: says what is wrong with the Exchange Server Auth Certificate and what renewal would do",
        changes: false,
        source: "https://microsoft.github.io/CSS-Exchange/Admin/MonitorExchangeAuthCertificate/",
    },
    Template {
        name: "renew-auth-certificate",
        shell: Shell::ExchangeManagementShell,
        run: ".\\MonitorExchangeAuthCertificate.ps1 -ValidateAndRenewAuthCertificate $true",
        purpose: "renew (or repair) the Exchange Server Auth Certificate, publish it with Set-AuthConfig and restart the web app pools",
        changes: true,
        source: "https://microsoft.github.io/CSS-Exchange/Admin/MonitorExchangeAuthCertificate/",
    },
    Template {
        name: "publish-next-auth-certificate",
        shell: Shell::ExchangeManagementShell,
        run: "Set-AuthConfig -PublishCertificate",
        purpose: "make the certificate configured as next (NextCertificateThumbprint) the current one at once",
        changes: true,
        source: "https://learn.microsoft.com/powershell/module/exchange/set-authconfig",
    },
    Template {
        name: "restart-autodiscover-pool",
        shell: Shell::PowerShell,
        run: "Restart-WebAppPool -Name MSExchangeAutodiscoverAppPool",
        purpose: "restart the Autodiscover application pool so that it serves the current auth configuration in the metadata",
        changes: true,
        source: "https://learn.microsoft.com/powershell/module/webadministration/restart-webapppool",
    },
    Template {
        name: "get-autodiscover-vdir-auth",
        shell: Shell::ExchangeManagementShell,
        run: "Get-AutodiscoverVirtualDirectory | Format-List Server, Name, InternalUrl, ExternalUrl, *Authentication*",
        purpose: "show the Autodiscover virtual directories and the authentication methods Exchange set on them",
        changes: false,
        source: "https://learn.microsoft.com/powershell/module/exchange/get-autodiscovervirtualdirectory",
    },
    Template {
        name: "appcmd-list-anonymous",
        shell: Shell::PowerShell,
        run: "C:\\Windows\\System32\\inetsrv\\appcmd.exe list config \"Default Web Site/Autodiscover\" -section:system.webServer/security/authentication/anonymousAuthentication",
        purpose: "show whether IIS allows anonymous requests to /autodiscover (SSI fetches the metadata anonymously)",
        changes: false,
        source: "https://learn.microsoft.com/iis/configuration/system.webserver/security/authentication/anonymousauthentication",
    },
    Template {
        name: "appcmd-enable-anonymous",
        shell: Shell::PowerShell,
        run: "C:\\Windows\\System32\\inetsrv\\appcmd.exe set config \"Default Web Site/Autodiscover\" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:true /commit:apphost",
        purpose: "allow anonymous requests to /autodiscover in IIS (Exchange's default), so that SSI can fetch the metadata",
        changes: true,
        source: "https://learn.microsoft.com/iis/configuration/system.webserver/security/authentication/anonymousauthentication",
    },
    Template {
        name: "get-ews-vdir-urls",
        shell: Shell::ExchangeManagementShell,
        run: "Get-WebServicesVirtualDirectory | Format-List Server, Name, InternalUrl, ExternalUrl",
        purpose: "show the EWS URLs Exchange publishes; the external one names the host the token's amurl should carry",
        changes: false,
        source: "https://learn.microsoft.com/powershell/module/exchange/get-webservicesvirtualdirectory",
    },
    Template {
        name: "resolve-public",
        shell: Shell::PowerShell,
        run: "Resolve-DnsName -Name {host} -Type A -Server 1.1.1.1",
        purpose: "ask a public resolver for the host's IPv4 addresses, as SSI sees them",
        changes: false,
        source: "https://learn.microsoft.com/powershell/module/dnsclient/resolve-dnsname",
    },
    Template {
        name: "resolve-system",
        shell: Shell::PowerShell,
        run: "Resolve-DnsName -Name {host} -Type A",
        purpose: "ask this machine's own resolver, to compare with the public answer",
        changes: false,
        source: "https://learn.microsoft.com/powershell/module/dnsclient/resolve-dnsname",
    },
    Template {
        name: "test-port",
        shell: Shell::PowerShell,
        run: "Test-NetConnection -ComputerName {host} -Port {port}",
        purpose: "from a machine outside the customer's network: does the port accept a connection (TcpTestSucceeded)",
        changes: false,
        source: "https://learn.microsoft.com/powershell/module/nettcpip/test-netconnection",
    },
    Template {
        name: "ssi-ranges",
        shell: Shell::Sh,
        run: "idtoken-doctor ssi-ips --format plain",
        purpose: "list SSI's egress ranges, one a line, for a network firewall's allow-list",
        changes: false,
        source: "docs/checks.md (the ssi-ips command: the KB article's table)",
    },
    Template {
        name: "firewall-allow-ssi",
        shell: Shell::PowerShell,
        run: "New-NetFirewallRule -DisplayName 'SAP C4C SSI HTTPS' -Direction Inbound -Protocol TCP -LocalPort {port} -RemoteAddress {ssi_ranges} -Action Allow",
        purpose: "on the Exchange server's Windows Firewall, allow HTTPS from every SSI range (a network firewall needs the same ranges)",
        changes: true,
        source: "https://learn.microsoft.com/powershell/module/netsecurity/new-netfirewallrule",
    },
    Template {
        name: "openssl-chain",
        shell: Shell::Sh,
        run: "openssl s_client -connect {hostport} -servername {host} -showcerts </dev/null",
        purpose: "show the certificate chain the server sends (subject, issuer, dates of each)",
        changes: false,
        source: "https://docs.openssl.org/master/man1/openssl-s_client/",
    },
    Template {
        name: "get-exchangecertificate-iis",
        shell: Shell::ExchangeManagementShell,
        run: "Get-ExchangeCertificate | Format-List Thumbprint, Subject, CertificateDomains, Issuer, NotAfter, Services",
        purpose: "list the certificates on the Exchange server with their names, issuer, expiry and services (IIS serves HTTPS)",
        changes: false,
        source: "https://learn.microsoft.com/powershell/module/exchange/get-exchangecertificate",
    },
    Template {
        name: "curl-head",
        shell: Shell::Sh,
        run: "curl -sS -o /dev/null -D - {amurl_sh}",
        purpose: "show the status line and headers the metadata URL answers an anonymous GET with (Location, WWW-Authenticate, Server)",
        changes: false,
        source: "https://curl.se/docs/manpage.html",
    },
    Template {
        name: "get-legacy-token-status",
        shell: Shell::PowerShell,
        run: "Get-AuthenticationPolicy -AllowLegacyExchangeTokens",
        purpose: "in Exchange Online PowerShell (Connect-ExchangeOnline): whether legacy Exchange tokens are on for the tenant",
        changes: false,
        source: "https://learn.microsoft.com/office/dev/add-ins/outlook/turn-exchange-tokens-on-off",
    },
];

/// The templates each remedy gives, by name, read-only ones first.
fn names_for(remedy: Remedy) -> &'static [&'static str] {
    const AUTH_CERT: &[&str] = &[
        "get-authconfig",
        "get-exchangecertificate-thumbprint",
        "monitor-auth-certificate",
        "renew-auth-certificate",
    ];
    const REACH: &[&str] = &["test-port", "ssi-ranges", "firewall-allow-ssi"];
    const TLS_CERT: &[&str] = &["openssl-chain", "get-exchangecertificate-iis"];
    const FRONT_END: &[&str] = &["curl-head"];
    match remedy {
        Remedy::KeyNotPublished => &[
            "get-authconfig",
            "get-exchangecertificate-thumbprint",
            "monitor-auth-certificate",
            "publish-next-auth-certificate",
            "restart-autodiscover-pool",
        ],
        Remedy::AuthCertificateExpired
        | Remedy::AuthCertificateRenewSoon
        | Remedy::MetadataCertificate
        | Remedy::MetadataNoKeys => AUTH_CERT,
        Remedy::MetadataServerError => &["get-authconfig", "monitor-auth-certificate"],
        Remedy::TokenIssuer => &["get-authconfig"],
        Remedy::TokenAmurl | Remedy::TokenAmurlPath | Remedy::InternalHostName => {
            &["get-ews-vdir-urls"]
        }
        Remedy::PublishDnsName | Remedy::DnsUnanswered | Remedy::PublicAddress => {
            &["resolve-public"]
        }
        Remedy::MixedAddresses | Remedy::SplitHorizon => &["resolve-public", "resolve-system"],
        Remedy::FirewallAllowSsi | Remedy::MetadataForbidden | Remedy::TlsClosed => REACH,
        Remedy::EwsUnreachable => &[
            "get-ews-vdir-urls",
            "test-port",
            "ssi-ranges",
            "firewall-allow-ssi",
        ],
        Remedy::PortClosed | Remedy::Unreachable | Remedy::TimedOut => &["test-port"],
        Remedy::TlsChainUntrusted
        | Remedy::TlsIncompleteChain
        | Remedy::TlsSelfSigned
        | Remedy::TlsName
        | Remedy::TlsValidity
        | Remedy::TlsRenewSoon
        | Remedy::TlsNotYetValid
        | Remedy::TlsCnOnly
        | Remedy::TlsWeakKey
        | Remedy::TlsWeakSignature => TLS_CERT,
        Remedy::MetadataAuthentication => &[
            "curl-head",
            "get-autodiscover-vdir-auth",
            "appcmd-list-anonymous",
            "appcmd-enable-anonymous",
        ],
        Remedy::FrontEndOwaForms => &["curl-head", "get-autodiscover-vdir-auth"],
        // A named front end (Entra application proxy, AD FS, F5, ...) is set
        // up in its own console: the report already shows what it answered.
        Remedy::MetadataRedirect | Remedy::MetadataNotFound | Remedy::MetadataNotJson => FRONT_END,
        Remedy::ExchangeOnlineDeprecation | Remedy::FrontEndExchangeOnline => {
            &["get-legacy-token-status"]
        }
        _ => &[],
    }
}

/// The facts a command's placeholders are filled from; `None` where unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    /// The target's host (no brackets around an IPv6 literal).
    pub host: Option<&'a str>,
    /// The target's port.
    pub port: Option<u16>,
    /// The metadata URL.
    pub amurl: Option<&'a str>,
    /// The certificate the check is about, as 40 hex digits.
    pub thumbprint: Option<&'a str>,
}

/// The commands of `remedy`, filled from `facts`, read-only ones first; a
/// command whose facts are unknown is left out.
pub fn commands_for(remedy: Remedy, facts: &Facts<'_>) -> Vec<Command> {
    let mut commands: Vec<Command> = names_for(remedy)
        .iter()
        .filter_map(|name| TEMPLATES.iter().find(|t| t.name == *name))
        .filter_map(|template| fill(template, facts))
        .collect();
    commands.sort_by_key(|c| c.changes);
    commands
}

/// `template` with its placeholders filled, or `None` when a fact is missing.
fn fill(template: &Template, facts: &Facts<'_>) -> Option<Command> {
    let mut run = template.run.to_string();
    let wanted = |name: &str| template.run.contains(name);
    if wanted("{host}") || wanted("{hostport}") {
        let host = facts.host.filter(|h| is_plain_host(h))?;
        let port = facts.port.unwrap_or(443);
        let hostport = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        run = run.replace("{hostport}", &hostport).replace("{host}", host);
    }
    if wanted("{port}") {
        run = run.replace("{port}", &facts.port.unwrap_or(443).to_string());
    }
    if wanted("{amurl_sh}") {
        run = run.replace("{amurl_sh}", &sh_quote(facts.amurl?));
    }
    if wanted("{thumbprint}") {
        let hex = facts
            .thumbprint
            .filter(|t| t.len() == 40 && t.chars().all(|c| c.is_ascii_hexdigit()))?;
        run = run.replace("{thumbprint}", &hex.to_ascii_uppercase());
    }
    if wanted("{ssi_ranges}") {
        run = run.replace("{ssi_ranges}", &ssi_ranges());
    }
    Some(Command {
        shell: template.shell,
        run,
        purpose: template.purpose,
        changes: template.changes,
    })
}

/// Whether `host` is a name or address that can stand unquoted in a command:
/// letters, digits, `.`, `-`, and `:` for an IPv6 literal. A URL parser gives
/// nothing else; anything else is not put into a command at all.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && !host.starts_with('-')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
}

/// `text` as one sh word: single-quoted, a quote inside written `'\''`.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Every SSI block of the KB article, comma-separated (`probe` has no
/// `--landscape`, so the rule allows them all).
fn ssi_ranges() -> String {
    crate::ssi_ips::ranges()
        .iter()
        .map(|r| r.cidr.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts<'static> {
        Facts {
            host: Some("mail.contoso.com"),
            port: Some(443),
            amurl: Some("https://mail.contoso.com/autodiscover/metadata/json/1"),
            thumbprint: Some("0123456789abcdef0123456789abcdef01234567"),
        }
    }

    #[test]
    fn every_template_named_by_a_remedy_exists_and_has_a_source() {
        for template in TEMPLATES {
            assert!(
                template.source.starts_with("https://") || template.source.starts_with("docs/"),
                "{}",
                template.name
            );
            assert!(!template.run.contains('\n'), "{}", template.name);
        }
        let remedies = crate::report::CheckId::ALL
            .iter()
            .flat_map(|id| crate::catalog::entry(*id).remedies);
        for remedy in remedies {
            for name in names_for(*remedy) {
                assert!(
                    TEMPLATES.iter().any(|t| t.name == *name),
                    "{remedy:?} names {name}, which is not in the table"
                );
            }
        }
    }

    #[test]
    fn key_match_gives_the_auth_config_and_the_token_certificate_read_only_first() {
        let commands = commands_for(Remedy::KeyNotPublished, &facts());
        let runs: Vec<&str> = commands.iter().map(|c| c.run.as_str()).collect();
        assert!(runs[0].starts_with("Get-AuthConfig"));
        assert!(runs[1].starts_with(
            "Get-ExchangeCertificate -Thumbprint 0123456789ABCDEF0123456789ABCDEF01234567 "
        ));
        let first_change = commands.iter().position(|c| c.changes).expect("a change");
        assert!(commands[first_change..].iter().all(|c| c.changes));
    }

    #[test]
    fn a_command_whose_facts_are_unknown_is_left_out() {
        let no_thumbprint = Facts {
            thumbprint: None,
            ..facts()
        };
        let runs: Vec<String> = commands_for(Remedy::AuthCertificateExpired, &no_thumbprint)
            .into_iter()
            .map(|c| c.run)
            .collect();
        assert!(runs.iter().all(|r| !r.contains("-Thumbprint")), "{runs:?}");
        assert!(runs.iter().any(|r| r.starts_with("Get-AuthConfig")));
        let odd_host = Facts {
            host: Some("mail.contoso.com;calc"),
            ..facts()
        };
        assert!(commands_for(Remedy::PortClosed, &odd_host).is_empty());
    }

    #[test]
    fn the_firewall_rule_allows_every_ssi_range_on_the_targets_port() {
        let commands = commands_for(
            Remedy::FirewallAllowSsi,
            &Facts {
                port: Some(8443),
                ..facts()
            },
        );
        let rule = commands
            .iter()
            .find(|c| c.run.starts_with("New-NetFirewallRule"))
            .expect("a firewall rule");
        assert!(rule.changes);
        assert!(rule.run.contains("-LocalPort 8443 "));
        for range in crate::ssi_ips::ranges() {
            assert!(rule.run.contains(&range.cidr.to_string()), "{}", range.cidr);
        }
    }

    #[test]
    fn a_hostile_amurl_stays_one_quoted_word() {
        let hostile = Facts {
            amurl: Some("https://x.test/a'; rm -rf ~; echo '"),
            ..facts()
        };
        let commands = commands_for(Remedy::MetadataRedirect, &hostile);
        assert_eq!(
            commands[0].run,
            "curl -sS -o /dev/null -D - 'https://x.test/a'\\''; rm -rf ~; echo '\\'''"
        );
    }

    #[test]
    fn an_ipv6_host_is_bracketed_for_openssl() {
        let v6 = Facts {
            host: Some("2001:db8::1"),
            ..facts()
        };
        let commands = commands_for(Remedy::TlsSelfSigned, &v6);
        assert!(commands[0].run.contains("-connect [2001:db8::1]:443 "));
    }
}
