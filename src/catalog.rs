//! The catalog of checks: what each means, its typical causes and the remedies
//! it gives. `docs/checks.md` is generated from it (a test keeps it current).

use crate::remedy::Remedy;
use crate::report::CheckId;

/// What a check is about, for the docs and `--help` readers.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The check.
    pub id: CheckId,
    /// What the check verifies.
    pub meaning: &'static str,
    /// When it fails or warns, and the usual cause in the field.
    pub typical_cause: &'static str,
    /// The remedies it can give, most common first.
    pub remedies: &'static [Remedy],
}

/// One value of a vocabulary a check carries in its details (the contract's
/// "What the tool recognises"): scripts match on `value`.
#[derive(Debug, Clone, Copy)]
pub struct VocabularyValue {
    /// The stable value.
    pub value: &'static str,
    /// What it is, in words.
    pub meaning: &'static str,
    /// The remedy the check gives for it, if any.
    pub remedy: Option<Remedy>,
}

/// The vocabulary check `id` carries: the details key and its values, read
/// from the tables that recognise them (so the docs cannot drift from them).
pub fn vocabulary(id: CheckId) -> Option<(&'static str, Vec<VocabularyValue>)> {
    use CheckId::*;
    let front_ends = || {
        crate::http::front_end::FRONT_ENDS
            .iter()
            .map(|f| VocabularyValue {
                value: f.id,
                meaning: f.product,
                remedy: Some(f.remedy),
            })
            .collect()
    };
    match id {
        TokenInput => Some((
            "looks_like",
            crate::token::LooksLike::ALL
                .iter()
                .map(|l| VocabularyValue {
                    value: l.id(),
                    meaning: l.meaning(),
                    remedy: Some(l.remedy()),
                })
                .collect(),
        )),
        TokenKind => Some((
            "kind",
            crate::token::KINDS
                .iter()
                .map(|k| VocabularyValue {
                    value: k.id,
                    meaning: k.what,
                    remedy: k.remedy,
                })
                .collect(),
        )),
        HttpAccess | HttpContent | EwsReachable => Some(("front_end", front_ends())),
        MetadataDocument => Some((
            "family",
            crate::metadata::Family::ALL
                .iter()
                .map(|f| VocabularyValue {
                    value: f.id(),
                    meaning: f.what(),
                    remedy: Some(f.remedy()),
                })
                .collect(),
        )),
        _ => None,
    }
}

/// The vocabulary of `id` as a Markdown list, empty when it has none.
fn vocabulary_markdown(id: CheckId) -> String {
    let Some((key, values)) = vocabulary(id) else {
        return String::new();
    };
    let mut out = format!(
        "
*`details.{key}`:*

"
    );
    for v in values {
        out.push_str(&format!("- `{}`: {}", v.value, v.meaning));
        match v.remedy {
            Some(remedy) if id != CheckId::EwsReachable => {
                out.push_str(&format!(". *Remedy:* {}\n", remedy.text()))
            }
            _ => out.push_str(".\n"),
        }
    }
    out
}

/// The catalog entry of one check.
pub fn entry(id: CheckId) -> Entry {
    use CheckId::*;
    let (meaning, typical_cause, remedies): (&str, &str, &'static [Remedy]) = match id {
        MailboxLocation => (
            "For `probe ADDRESS`: Exchange Online's Autodiscover, asked anonymously, says where the mailbox lives; `details.location` is `exchange-online` (a 200 answer with `ServerLocation`: warn) or `on-premises`.",
            "An Exchange Online mailbox, where the legacy identity token is gone and SSI's add-in must use nested app authentication; an `error` (cause `autodiscover-unavailable`) when Autodiscover cannot be reached from this machine.",
            &[Remedy::MailboxExchangeOnline, Remedy::AutodiscoverUnavailable],
        ),
        MailboxAmurl => (
            "On-premises: the EWS URL from Autodiscover (Exchange Online's hybrid answer, else the customer's Autodiscover v2 at `autodiscover.{domain}`, then `{domain}`) gives the amurl on its host and port (`details.amurl`, `details.source`); the legacy chain follows on it.",
            "No Autodiscover answers from this machine with an EWS URL (`error`, cause `autodiscover-unavailable`): Autodiscover v2 is not published, or it is blocked from here.",
            &[Remedy::AutodiscoverUnavailable],
        ),
        MailboxTenant => (
            "Exchange Online: the domain's Microsoft Entra tenant, from Entra's discovery document for the domain (`details.tenant_id`, `details.cloud`); the NAA links follow on the tenant's discovery document.",
            "Entra knows no tenant for the domain (AADSTS90002: a typo, or a domain the tenant has not verified); an `error` (cause `entra-unavailable`) when Entra cannot be reached from here.",
            &[Remedy::TenantUnknown, Remedy::TenantUnavailable],
        ),
        TokenInput => (
            "A JWT (three base64url parts starting with `eyJ`) can be found in the input.",
            "An empty paste, a truncated token, a URL where the token belongs, the decoded claims from jwt.io or jwt.ms, an opaque NAA token, or text that holds no token; `details.looks_like` says which.",
            &[
                Remedy::PasteToken,
                Remedy::ProbeTarget,
                Remedy::ProbeAddress,
                Remedy::BatchTokenPiece,
                Remedy::InternalError,
            ],
        ),
        TokenEncoding => (
            "Header and payload are base64url-encoded JSON objects; the signature is base64url.",
            "A token damaged in copying: a character lost or added, a part cut.",
            &[Remedy::TokenDamaged],
        ),
        TokenKind => (
            "The JWT is an Exchange user identity token, or a Microsoft Entra ID token (nested app authentication), whose chain is then walked on Entra ID's discovery document and keys; `details.kind` names what it is: `exchange-identity`, `exchange-callback`, `owa-download`, `entra` or `other-jwt`, and for `entra` `details.token_use` says `access` or `id`.",
            "The add-in sent (or the engineer pasted) another token: a callback token from getCallbackTokenAsync, an attachment-download token, an Entra ID token from nested app authentication.",
            &[
                Remedy::TokenKindCallback,
                Remedy::TokenKindOwaDownload,
                Remedy::TokenKindOther,
            ],
        ),
        TokenHeader => (
            "The header says `typ` JWT, `alg` RS256 and carries the `x5t` thumbprint; an Entra token's, `alg` RS256 and a `kid`, and no `nonce` (the mark of a Microsoft Graph token).",
            "Another kind of token was pasted (a callback token); an Entra token for Microsoft Graph.",
            &[
                Remedy::TokenHeader,
                Remedy::TokenClaims,
                Remedy::EntraTokenHeader,
                Remedy::EntraMicrosoftApiToken,
            ],
        ),
        TokenVersion => (
            "`appctx.version` is `ExIdTok.V1` (appctx as a JSON object or a JSON string); an Entra token's `ver` is `1.0` or `2.0` and agrees with the form of `iss`.",
            "A token that is not an Exchange user identity token; an altered Entra token.",
            &[Remedy::TokenVersion, Remedy::TokenClaims, Remedy::EntraVersion],
        ),
        TokenAmurl => (
            "`appctx.amurl` is an absolute https URL; its path is normally `/autodiscover/metadata/json/1`. For an Entra token: the key discovery URL from `iss` (`details.discovery`), on an Entra ID authority.",
            "Exchange issues tokens for an internal or http URL; the external URLs are not set. An Entra-looking token from another identity provider.",
            &[
                Remedy::TokenAmurl,
                Remedy::TokenAmurlPath,
                Remedy::UseHttps,
                Remedy::TokenClaims,
                Remedy::EntraIssuer,
            ],
        ),
        TokenLifetime => (
            "Now (or `--now`) lies between `nbf` and `exp`, with 5 minutes of skew (a warning).",
            "An old token pasted from a ticket; a wrong clock on the Exchange server.",
            &[Remedy::TokenLifetime, Remedy::TokenClaims],
        ),
        TokenAudience => (
            "With `--audience`: `aud` equals the add-in URL (a difference only in the query is a warning). An Entra token's `aud` is judged always: a Microsoft API fails, an ID token warns.",
            "The SSI configuration and the add-in manifest name different add-in URLs; an add-in that asks nested app authentication for a Microsoft Graph token or sends its ID token.",
            &[
                Remedy::TokenAudience,
                Remedy::EntraMicrosoftApiToken,
                Remedy::EntraIdToken,
            ],
        ),
        TokenIssuer => (
            "The realms after `@` in `iss`, `appctxsender` and `msexchuid` agree; an Entra token's tenant in `iss` equals `tid`.",
            "A token assembled from different organisations, or a misconfigured auth realm.",
            &[Remedy::TokenIssuer, Remedy::EntraIssuer],
        ),
        TokenDeprecation => (
            "The amurl is not Exchange Online, which has issued no legacy identity tokens in any tenant since 31 October 2025 (a warning naming the verdict); skipped for an Entra token.",
            "An old token from an Exchange Online mailbox: SSI's add-in authenticates with nested app authentication there.",
            &[Remedy::ExchangeOnlineDeprecation],
        ),
        DnsName => (
            "The amurl host is a public-looking name, not a single label, an internal suffix or a non-public IP literal.",
            "The token carries the internal Exchange host name (the KB's main cause).",
            &[Remedy::InternalHostName, Remedy::PublicAddress],
        ),
        DnsResolve => (
            "Public resolvers (1.1.1.1, 8.8.8.8, 9.9.9.9 or `--dns-server`) answer with addresses. When none of the default resolvers answers on port 53, they are asked over TCP and over DNS over HTTPS (through `--proxy` when given); `details.resolvers` lists every resolver's outcome and transport. An answer of NXDOMAIN, SERVFAIL or no records is the target's DNS (`fail`); no answer at all, from any resolver, is this machine's network (`error`, exit code 3; `details.cause` `no-route` when this machine has no route to any resolver: no network at all, else `resolvers-unreachable`); `details.outcomes` tells each distinct outcome once, with the resolvers that had it.",
            "The name exists only in the internal DNS, or its name servers do not answer; `error`: outbound DNS is blocked where the tool runs.",
            &[
                Remedy::PublishDnsName,
                Remedy::DnsUnanswered,
                Remedy::DnsResolversUnreachable,
                Remedy::DnsResolversGarbled,
                Remedy::NoNetwork,
            ],
        ),
        DnsAddress => (
            "At least one address is public (not loopback, RFC 1918, link-local, CGNAT, ULA, documentation...) and IPv4; `details.families` lists the families of the answer (`ipv4`, `ipv6`).",
            "The public DNS publishes an internal address; a host with public IPv6 addresses only fails with `details.cause` `ipv6-only` (SSI connects over IPv4).",
            &[Remedy::PublicAddress, Remedy::MixedAddresses, Remedy::Ipv6Only],
        ),
        DnsSplitHorizon => (
            "This machine's resolver (and hosts file) agree with the public resolvers (a warning): it warns on a non-public address, or on a public one no public resolver gives while they agree among themselves. Public resolvers that differ among themselves (geo-DNS, CDN names) make another public address a note, not a warning.",
            "You are inside the customer's network: what you see is not what SSI sees.",
            &[Remedy::SplitHorizon],
        ),
        TcpConnect => (
            "The port accepts a TCP connection within the time budget (through `--proxy` when given: the tunnel is asked for the address the dns link vetted, `details.tunnel_to`, never for the name, which the proxy's own DNS could answer with an address inside its network; a proxy that refuses tunnels to addresses, 400 or 403, is named with `details.proxy_refuses_addresses` and `--resolve` in the summary). `error` (exit code 3) when the cause is on this machine's side: `details.cause` `proxy` (the proxy cannot be reached, refuses the tunnel or wants credentials: 407) or `no-route` (no route here for the target's address family).",
            "A firewall drops the connection (time-out): either it does not allow SSI's addresses, or it allows only them and drops this machine; or nothing listens (refused).",
            &[
                Remedy::FirewallAllowSsi,
                Remedy::PortClosed,
                Remedy::Unreachable,
                Remedy::ProxyFailed,
                Remedy::NoRoute,
            ],
        ),
        TlsHandshake => (
            "A TLS 1.2 or 1.3 handshake completes, and the server serves a client without a certificate. When it fails, `details.cause` says why: `protocol-version` (the server speaks only TLS 1.1 or older; SSI needs TLS 1.2 or newer), `client-certificate-required` (the server asked for a client certificate and refused without one, by an alert or by an error answer such as nginx's 400 \"No required SSL certificate was sent\" or IIS's 403.7), `not-tls` (something else answers, such as plain HTTP), `alert` (another TLS alert, named in the summary), `closed` (the server closed the connection), `timeout`.",
            "Plain HTTP on 443, an old front end that speaks only TLS 1.0/1.1, mutual TLS on the reverse proxy, a device that resets or stalls the handshake.",
            &[
                Remedy::TlsProtocolVersion,
                Remedy::TlsClientCertificate,
                Remedy::TlsHandshake,
                Remedy::TlsAlert,
                Remedy::TlsClosed,
                Remedy::TimedOut,
            ],
        ),
        TlsTrust => (
            "The chain the server sends verifies to a public root. When it does not, `details.cause` says why: `self-signed`, `unknown-issuer`, `incomplete-chain` (an intermediate missing from what the server sends), `weak-signature` (a certificate signed with SHA-1 or MD5), `weak-key` (an RSA key under 2048 bits).",
            "A self-signed or internal-CA certificate, an intermediate missing from what the server sends, an old certificate signed with SHA-1 or with a 1024-bit key.",
            &[
                Remedy::TlsSelfSigned,
                Remedy::TlsChainUntrusted,
                Remedy::TlsIncompleteChain,
                Remedy::TlsWeakSignature,
                Remedy::TlsWeakKey,
            ],
        ),
        TlsName => (
            "The certificate is valid for the amurl host. When it is not, `details.cause` is `mismatch` (it names other hosts) or `cn-only` (the host is only in the subject CN, which clients do not read: only subjectAltName counts).",
            "The certificate names another host (the internal name, or a default certificate), or an old certificate carries the name only in its CN.",
            &[Remedy::TlsName, Remedy::TlsCnOnly],
        ),
        TlsValidity => (
            "The server certificate is within its validity period; a warning within 30 days of expiry. `details.cause`: `expired`, `not-yet-valid`, `expiring` (the warning).",
            "The HTTPS certificate expired and was not renewed on the reverse proxy or IIS.",
            &[Remedy::TlsValidity, Remedy::TlsNotYetValid, Remedy::TlsRenewSoon],
        ),
        HttpAccess => (
            "An anonymous GET of the amurl gets 200 (redirects are reported, never followed).",
            "Authentication on the metadata URL (401), a pre-authenticating proxy or login page (3xx), 403, 404, 5xx; `details.front_end` names the product that answered instead of Exchange, and its remedy names that product's own setting.",
            &[
                Remedy::MetadataAuthentication,
                Remedy::MetadataRedirect,
                Remedy::MetadataForbidden,
                Remedy::MetadataNotFound,
                Remedy::MetadataServerError,
                Remedy::UseHttps,
                Remedy::TimedOut,
                Remedy::ProxyFailed,
                Remedy::EntraDiscovery,
            ],
        ),
        HttpContent => (
            "The body is JSON, within 1 MiB.",
            "An HTML login or error page served with 200.",
            &[
                Remedy::MetadataNotJson,
                Remedy::MetadataTooLarge,
                Remedy::TimedOut,
                Remedy::EntraDiscovery,
            ],
        ),
        MetadataDocument => (
            "The JSON is an Exchange authentication metadata document (it has a `keys` array). For an Entra token: the discovery document's `issuer` (with `{tenantid}` as `tid`) equals `iss` and names a `jwks_uri`, whose key set has a `keys` array.",
            "The URL (or `--metadata`) serves another document: an error object, or another kind of key document, which `details.family` names.",
            &[Remedy::MetadataNotExchange, Remedy::EntraDiscovery],
        ),
        MetadataKeys => (
            "A key has `keyvalue.type` x509Certificate and a parseable certificate; in an Entra key set, a key is RSA with `n` and `e` (`use` absent or `sig`).",
            "No auth certificate is configured, or the document is truncated.",
            &[Remedy::MetadataNoKeys, Remedy::EntraNoKeys],
        ),
        MetadataCertificate => (
            "Every published certificate is current and its declared `keyinfo.x5t` equals its SHA-1 thumbprint (a warning).",
            "An expired auth certificate still published beside the current one.",
            &[Remedy::MetadataCertificate, Remedy::EntraKeyCertificate],
        ),
        KeyMatch => (
            "The token's `x5t` is among the published keys (declared or computed thumbprint); an Entra token's `kid` among the key set's, whose `issuer`, where a key names one, accepts the token's.",
            "The Exchange Server Auth Certificate was renewed or replaced, or the amurl points at another organisation.",
            &[
                Remedy::KeyNotPublished,
                Remedy::MetadataCertificate,
                Remedy::EntraKeyNotPublished,
            ],
        ),
        KeyCertificate => (
            "The matching certificate (the Exchange Server Auth Certificate) is valid; a warning within 60 days of expiry.",
            "The auth certificate expired (a classic cause, five years after installation).",
            &[
                Remedy::AuthCertificateExpired,
                Remedy::AuthCertificateRenewSoon,
                Remedy::EntraKeyCertificate,
            ],
        ),
        KeySignature => (
            "The RS256 signature over `header.payload` verifies with that certificate's key (an Entra key's `n` and `e`).",
            "A token damaged in copying, or signed by another server.",
            &[
                Remedy::SignatureInvalid,
                Remedy::MetadataCertificate,
                Remedy::EntraSignature,
            ],
        ),
        EwsReachable => (
            "`https://<host>[:<port>]/EWS/Exchange.asmx` gives an HTTP answer (401 included).",
            "EWS is not published to the internet, or the firewall blocks SSI's addresses.",
            &[
                Remedy::EwsUnreachable,
                Remedy::ProxyFailed,
                Remedy::DnsResolversUnreachable,
            ],
        ),
    };
    Entry {
        id,
        meaning,
        typical_cause,
        remedies,
    }
}

/// `docs/checks.md`: every check with its meaning, typical cause and remedies.
pub fn checks_markdown() -> String {
    let mut out = String::from(
        "# Checks\n\nGenerated from the tool's own catalog (`src/catalog.rs`, `src/remedy.rs`); \
         a test keeps this file current. Every check has a stable id `stage.name` and a status \
         `pass`, `warn`, `fail`, `skip` or `error`. The verdict is the first `fail` or `error` in \
         this order (with `--strict`, the first `fail`, `error` or `warn`).\n\n\
         ## Inconclusive: `error` and exit code 3\n\n\
         An `error` is a check that could not be made from this machine, for a reason on this \
         side, not the target's; its `details.cause` says which (`resolvers-unreachable`, \
         `proxy`, `no-route`) and its remedy speaks to the person running the tool. The verdict \
         is then `inconclusive` and the exit code 3, whatever the stage. For example, on a \
         network that blocks outbound DNS and HTTPS to the public resolvers:\n\n\
         ```text\n\
         $ idtoken-doctor probe mail.contoso.com\n\
         ? dns.resolve  no public resolver could be reached from this machine, so nothing is known about mail.contoso.com's DNS: ...\n\
         $ echo $?\n\
         3\n\
         ```\n\n\
         Name a resolver you can reach (`--dns-server 10.0.0.53`, or \
         `--dns-server https://dns.example/dns-query`), pin the address (`--resolve`), or go \
         through your proxy (`--proxy http://user:password@proxy:3128`).\n",
    );
    let mut stage = None;
    for id in CheckId::ALL {
        if stage != Some(id.stage()) {
            stage = Some(id.stage());
            out.push_str(&format!(
                "\n## {} (exit code {})\n",
                id.stage(),
                id.stage().exit_code()
            ));
        }
        let e = entry(id);
        out.push_str(&format!(
            "\n### `{}`\n\n{}\n\n*Typical cause:* {}\n\n*Remedies:*\n\n",
            id, e.meaning, e.typical_cause
        ));
        for remedy in e.remedies {
            out.push_str(&format!("- {}\n", remedy.text()));
        }
        out.push_str(&vocabulary_markdown(id));
    }
    out.push_str(&demo_markdown());
    out
}

/// The `demo` scenarios as a Markdown table, from the scenario list itself.
fn demo_markdown() -> String {
    let mut out = String::from(
        "\n## Demo scenarios\n\n`idtoken-doctor demo SCENARIO` runs `diagnose` against servers on \
         127.0.0.1 with one link broken (`demo --list` prints the same):\n\n\
         | scenario | exit code | what it shows |\n|---|---|---|\n",
    );
    for scenario in crate::lab::scenario::Scenario::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            scenario.name(),
            scenario.expected_exit_code(),
            scenario.about()
        ));
    }
    out
}

/// `docs/json-report.md`: the JSON report's schema (generated from the types
/// that print it) and the exit codes.
pub fn json_report_markdown() -> String {
    let mut out = String::from(
        "# The JSON report\n\n`--format json` prints one JSON object per target (in batch mode, \
         one per line). Generated from the tool's own types (`src/render/json.rs`); a test keeps \
         this file current.\n\n## Exit codes\n\n| code | meaning |\n|---|---|\n\
         | 0 | healthy (warnings allowed unless `--strict`) |\n\
         | 2 | usage error, or input that cannot be read |\n\
         | 3 | inconclusive: the first check that did not pass could not be made from this machine (`error`) |\n",
    );
    for stage in crate::report::Stage::ALL {
        out.push_str(&format!(
            "| {} | verdict in `{stage}` |\n",
            stage.exit_code()
        ));
    }
    out.push_str(
        "\n`ssi-ips --check IP` exits 0 when the address is SSI's, 1 when not. In batch mode the \
         exit code is that of the first target, in input order, whose verdict is not healthy.\n\n",
    );
    out.push_str(&crate::render::json_report_guide());
    out.push_str("\n## Schema\n\n```json\n");
    let schema = crate::render::report_schema();
    out.push_str(&serde_json::to_string_pretty(&schema).unwrap_or_default());
    out.push_str("\n```\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_has_a_meaning_a_cause_and_a_remedy() {
        for id in CheckId::ALL {
            let e = entry(id);
            assert_eq!(e.id, id);
            assert!(!e.meaning.is_empty() && !e.typical_cause.is_empty());
            assert!(!e.remedies.is_empty(), "{id} has no remedy");
        }
    }

    #[test]
    fn the_markdown_names_every_vocabulary_value_with_its_remedy() {
        let md = checks_markdown();
        for id in CheckId::ALL {
            for v in vocabulary(id).map(|(_, values)| values).unwrap_or_default() {
                assert!(
                    md.contains(&format!("- `{}`: ", v.value)),
                    "{id}: {}",
                    v.value
                );
                if let (Some(remedy), false) = (v.remedy, id == CheckId::EwsReachable) {
                    assert!(md.contains(remedy.text()), "{id}: {}", v.value);
                }
            }
        }
        assert!(md.contains("`details.front_end`"));
    }

    #[test]
    fn the_markdown_names_every_demo_scenario() {
        let md = checks_markdown();
        for scenario in crate::lab::scenario::Scenario::ALL {
            assert!(md.contains(&format!("| `{scenario}` |")), "{scenario}");
        }
    }

    #[test]
    fn the_markdown_names_every_check() {
        let md = checks_markdown();
        for id in CheckId::ALL {
            assert!(md.contains(&format!("`{id}`")), "{id} missing");
        }
    }
}
