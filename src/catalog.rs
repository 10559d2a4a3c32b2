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

/// The catalog entry of one check.
pub fn entry(id: CheckId) -> Entry {
    use CheckId::*;
    let (meaning, typical_cause, remedies): (&str, &str, &'static [Remedy]) = match id {
        TokenInput => (
            "A JWT (three base64url parts starting with `eyJ`) can be found in the input.",
            "An empty paste, a truncated token, or text that holds no token.",
            &[
                Remedy::PasteToken,
                Remedy::ProbeTarget,
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
            "The JWT is an Exchange user identity token; `details.kind` names what it is: `exchange-identity`, `exchange-callback`, `owa-download`, `entra` or `other-jwt`.",
            "The add-in sent (or the engineer pasted) another token: a callback token from getCallbackTokenAsync, an attachment-download token, an Entra ID token from nested app authentication.",
            &[
                Remedy::TokenKindCallback,
                Remedy::TokenKindOwaDownload,
                Remedy::TokenKindEntra,
                Remedy::TokenKindOther,
            ],
        ),
        TokenHeader => (
            "The header says `typ` JWT, `alg` RS256 and carries the `x5t` thumbprint.",
            "Another kind of token was pasted (an Entra ID access token, a callback token).",
            &[Remedy::TokenHeader, Remedy::TokenClaims],
        ),
        TokenVersion => (
            "`appctx.version` is `ExIdTok.V1` (appctx as a JSON object or a JSON string).",
            "A token that is not an Exchange user identity token.",
            &[Remedy::TokenVersion, Remedy::TokenClaims],
        ),
        TokenAmurl => (
            "`appctx.amurl` is an absolute https URL; its path is normally `/autodiscover/metadata/json/1`.",
            "Exchange issues tokens for an internal or http URL; the external URLs are not set.",
            &[
                Remedy::TokenAmurl,
                Remedy::TokenAmurlPath,
                Remedy::UseHttps,
                Remedy::TokenClaims,
            ],
        ),
        TokenLifetime => (
            "Now (or `--now`) lies between `nbf` and `exp`, with 5 minutes of skew (a warning).",
            "An old token pasted from a ticket; a wrong clock on the Exchange server.",
            &[Remedy::TokenLifetime, Remedy::TokenClaims],
        ),
        TokenAudience => (
            "With `--audience`: `aud` equals the add-in URL (a difference only in the query is a warning).",
            "The SSI configuration and the add-in manifest name different add-in URLs.",
            &[Remedy::TokenAudience],
        ),
        TokenIssuer => (
            "The realms after `@` in `iss`, `appctxsender` and `msexchuid` agree.",
            "A token assembled from different organisations, or a misconfigured auth realm.",
            &[Remedy::TokenIssuer],
        ),
        TokenDeprecation => (
            "The amurl is not Exchange Online, where legacy identity tokens are being turned off.",
            "An Exchange Online mailbox: legacy tokens are turned off since February 2025.",
            &[Remedy::ExchangeOnlineDeprecation],
        ),
        DnsName => (
            "The amurl host is a public-looking name, not a single label, an internal suffix or a non-public IP literal.",
            "The token carries the internal Exchange host name (the KB's main cause).",
            &[Remedy::InternalHostName, Remedy::PublicAddress],
        ),
        DnsResolve => (
            "Public resolvers (1.1.1.1, 8.8.8.8, 9.9.9.9 or `--dns-server`) answer with addresses.",
            "The name exists only in the internal DNS, or its name servers do not answer.",
            &[
                Remedy::PublishDnsName,
                Remedy::DnsUnanswered,
                Remedy::DnsResolversUnreachable,
            ],
        ),
        DnsAddress => (
            "At least one address is public (not loopback, RFC 1918, link-local, CGNAT, ULA, documentation...).",
            "The public DNS publishes an internal address.",
            &[Remedy::PublicAddress, Remedy::MixedAddresses],
        ),
        DnsSplitHorizon => (
            "This machine's resolver (and hosts file) agree with the public resolvers (a warning).",
            "You are inside the customer's network: what you see is not what SSI sees.",
            &[Remedy::SplitHorizon],
        ),
        TcpConnect => (
            "The port accepts a TCP connection within the time budget.",
            "A firewall drops SSI's addresses (time-out), or nothing listens (refused).",
            &[
                Remedy::FirewallAllowSsi,
                Remedy::PortClosed,
                Remedy::Unreachable,
                Remedy::ProxyFailed,
                Remedy::NoRoute,
            ],
        ),
        TlsHandshake => (
            "A TLS 1.2 or 1.3 handshake completes.",
            "Plain HTTP on 443, an outdated protocol, a device that resets or stalls the handshake.",
            &[Remedy::TlsHandshake, Remedy::TimedOut],
        ),
        TlsTrust => (
            "The chain the server sends verifies to a public root.",
            "A self-signed or internal-CA certificate, or an intermediate missing from what the server sends.",
            &[Remedy::TlsChainUntrusted, Remedy::TlsIncompleteChain, Remedy::TlsSelfSigned],
        ),
        TlsName => (
            "The certificate is valid for the amurl host.",
            "The certificate names another host (the internal name, or a default certificate).",
            &[Remedy::TlsName],
        ),
        TlsValidity => (
            "The server certificate is within its validity period; a warning within 30 days of expiry.",
            "The HTTPS certificate expired and was not renewed on the reverse proxy or IIS.",
            &[Remedy::TlsValidity, Remedy::TlsRenewSoon],
        ),
        HttpAccess => (
            "An anonymous GET of the amurl gets 200 (redirects are reported, never followed).",
            "Authentication on the metadata URL (401), a pre-authenticating proxy or login page (3xx), 403, 404, 5xx.",
            &[
                Remedy::MetadataAuthentication,
                Remedy::MetadataRedirect,
                Remedy::MetadataForbidden,
                Remedy::MetadataNotFound,
                Remedy::MetadataServerError,
                Remedy::UseHttps,
                Remedy::TimedOut,
            ],
        ),
        HttpContent => (
            "The body is JSON, within 1 MiB.",
            "An HTML login or error page served with 200.",
            &[Remedy::MetadataNotJson, Remedy::MetadataTooLarge, Remedy::TimedOut],
        ),
        MetadataDocument => (
            "The JSON is an Exchange authentication metadata document (it has a `keys` array).",
            "The URL serves another JSON document (an error object, an OpenID configuration).",
            &[Remedy::MetadataNotExchange],
        ),
        MetadataKeys => (
            "A key has `keyvalue.type` x509Certificate and a parseable certificate.",
            "No auth certificate is configured, or the document is truncated.",
            &[Remedy::MetadataNoKeys],
        ),
        MetadataCertificate => (
            "Every published certificate is current and its declared `keyinfo.x5t` equals its SHA-1 thumbprint (a warning).",
            "An expired auth certificate still published beside the current one.",
            &[Remedy::MetadataCertificate],
        ),
        KeyMatch => (
            "The token's `x5t` is among the published keys (declared or computed thumbprint).",
            "The Exchange Server Auth Certificate was renewed or replaced, or the amurl points at another organisation.",
            &[Remedy::KeyNotPublished, Remedy::MetadataCertificate],
        ),
        KeyCertificate => (
            "The matching certificate (the Exchange Server Auth Certificate) is valid; a warning within 60 days of expiry.",
            "The auth certificate expired (a classic cause, five years after installation).",
            &[Remedy::AuthCertificateExpired, Remedy::AuthCertificateRenewSoon],
        ),
        KeySignature => (
            "The RS256 signature over `header.payload` verifies with that certificate's key.",
            "A token damaged in copying, or signed by another server.",
            &[Remedy::SignatureInvalid, Remedy::MetadataCertificate],
        ),
        EwsReachable => (
            "`https://<host>[:<port>]/EWS/Exchange.asmx` gives an HTTP answer (401 included).",
            "EWS is not published to the internet, or the firewall blocks SSI's addresses.",
            &[Remedy::EwsUnreachable],
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
         `pass`, `warn`, `fail` or `skip`. The verdict is the first `fail` in this order \
         (with `--strict`, the first `fail` or `warn`).\n",
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
         | 2 | usage error, or input that cannot be read |\n",
    );
    for stage in crate::report::Stage::ALL {
        out.push_str(&format!(
            "| {} | verdict in `{stage}` |\n",
            stage.exit_code()
        ));
    }
    out.push_str(
        "\n`ssi-ips --check IP` exits 0 when the address is SSI's, 1 when not. In batch mode the \
         exit code is that of the first target, in input order, whose verdict is a failure.\n\n\
         ## Schema\n\n```json\n",
    );
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
    fn the_markdown_names_every_check() {
        let md = checks_markdown();
        for id in CheckId::ALL {
            assert!(md.contains(&format!("`{id}`")), "{id} missing");
        }
    }
}
