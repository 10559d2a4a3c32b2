//! The links of the chain and the stable check identifiers of the contract.

use std::fmt;

/// One link of the chain, in the order SSI walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Where an e-mail address's mailbox lives, and which chain applies.
    Mailbox,
    /// The pasted token itself.
    Token,
    /// Name resolution of the amurl host, as public resolvers see it.
    Dns,
    /// A TCP connection to the amurl port.
    Tcp,
    /// The TLS handshake and the server certificate.
    Tls,
    /// The anonymous GET of the amurl.
    Http,
    /// The authentication metadata document.
    Metadata,
    /// The token's signing certificate and signature.
    Key,
    /// Exchange Web Services on the amurl host, which SSI calls next.
    Ews,
}

impl Stage {
    /// Every stage in chain order.
    pub const ALL: [Stage; 9] = [
        Stage::Mailbox,
        Stage::Token,
        Stage::Dns,
        Stage::Tcp,
        Stage::Tls,
        Stage::Http,
        Stage::Metadata,
        Stage::Key,
        Stage::Ews,
    ];

    /// The stages of a chain that starts from a token, an amurl or a host
    /// (every stage but `mailbox`, which only an e-mail address starts).
    pub const TOKEN_CHAIN: [Stage; 8] = Stage::all_but(&[Stage::Mailbox]);

    /// What `probe ADDRESS` reports for an on-premises mailbox: the mailbox,
    /// then the amurl's links as `probe` walks them.
    pub const MAILBOX_ON_PREMISES: [Stage; 7] = Stage::all_but(&[Stage::Token, Stage::Key]);

    /// What `probe ADDRESS` reports for an Exchange Online mailbox: the NAA
    /// chain names the key link too (skip, as for an Entra token).
    pub const MAILBOX_ONLINE: [Stage; 8] = Stage::all_but(&[Stage::Token]);

    /// [`Stage::ALL`] without `dropped`, in chain order; `N` must be the
    /// count that remains (checked when the constant is built).
    const fn all_but<const N: usize>(dropped: &[Stage]) -> [Stage; N] {
        let mut kept = [Stage::Mailbox; N];
        let (mut i, mut n) = (0, 0);
        while i < Stage::ALL.len() {
            let stage = Stage::ALL[i];
            let mut j = 0;
            let mut keep = true;
            while j < dropped.len() {
                keep = keep && dropped[j] as u8 != stage as u8;
                j += 1;
            }
            if keep {
                kept[n] = stage;
                n += 1;
            }
            i += 1;
        }
        assert!(n == N, "the kept count is the array's length");
        kept
    }

    /// The stage's name as the contract spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Mailbox => "mailbox",
            Stage::Token => "token",
            Stage::Dns => "dns",
            Stage::Tcp => "tcp",
            Stage::Tls => "tls",
            Stage::Http => "http",
            Stage::Metadata => "metadata",
            Stage::Key => "key",
            Stage::Ews => "ews",
        }
    }

    /// The exit code when the verdict lies in this stage.
    pub fn exit_code(self) -> i32 {
        match self {
            Stage::Mailbox => 5,
            Stage::Token => 10,
            Stage::Dns => 20,
            Stage::Tcp => 30,
            Stage::Tls => 40,
            Stage::Http => 50,
            Stage::Metadata => 60,
            Stage::Key => 70,
            Stage::Ews => 80,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check of the contract. The declaration order is the report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckId {
    /// `mailbox.location`: Exchange Online's Autodiscover says where the mailbox lives.
    MailboxLocation,
    /// `mailbox.amurl`: the on-premises EWS URL, and the amurl on its host.
    MailboxAmurl,
    /// `mailbox.tenant`: the domain's Entra tenant (Exchange Online).
    MailboxTenant,
    /// `token.input`: a JWT was found in the input.
    TokenInput,
    /// `token.encoding`: header, payload and signature decode.
    TokenEncoding,
    /// `token.kind`: the JWT is an Exchange user identity token.
    TokenKind,
    /// `token.header`: typ JWT, alg RS256, x5t present.
    TokenHeader,
    /// `token.version`: appctx.version is ExIdTok.V1.
    TokenVersion,
    /// `token.amurl`: appctx.amurl is an absolute https URL.
    TokenAmurl,
    /// `token.lifetime`: now lies within nbf..exp.
    TokenLifetime,
    /// `token.audience`: aud equals `--audience`.
    TokenAudience,
    /// `token.issuer`: the realms of iss, appctxsender and msexchuid agree.
    TokenIssuer,
    /// `token.deprecation`: the amurl is not Exchange Online.
    TokenDeprecation,
    /// `dns.name`: the host is a public-looking name.
    DnsName,
    /// `dns.resolve`: public resolvers answer with addresses.
    DnsResolve,
    /// `dns.address`: at least one address is public.
    DnsAddress,
    /// `dns.split_horizon`: the system resolver agrees with the public ones.
    DnsSplitHorizon,
    /// `tcp.connect`: the port accepts a connection.
    TcpConnect,
    /// `tls.handshake`: a TLS handshake completes.
    TlsHandshake,
    /// `tls.trust`: the chain verifies to a public root.
    TlsTrust,
    /// `tls.name`: the certificate is valid for the host.
    TlsName,
    /// `tls.validity`: the certificate is within its validity period.
    TlsValidity,
    /// `http.access`: the anonymous GET gets 200.
    HttpAccess,
    /// `http.content`: the body is JSON within 1 MiB.
    HttpContent,
    /// `metadata.document`: the body is an Exchange auth metadata document.
    MetadataDocument,
    /// `metadata.keys`: it publishes a parseable X.509 signing certificate.
    MetadataKeys,
    /// `metadata.certificate`: the published certificates are current and consistent.
    MetadataCertificate,
    /// `key.match`: the token's x5t is among the published keys.
    KeyMatch,
    /// `key.certificate`: the matching certificate is valid.
    KeyCertificate,
    /// `key.signature`: the RS256 signature verifies.
    KeySignature,
    /// `ews.reachable`: the EWS endpoint answers over HTTP.
    EwsReachable,
}

impl CheckId {
    /// Every check in report order.
    pub const ALL: [CheckId; 31] = [
        CheckId::MailboxLocation,
        CheckId::MailboxAmurl,
        CheckId::MailboxTenant,
        CheckId::TokenInput,
        CheckId::TokenEncoding,
        CheckId::TokenKind,
        CheckId::TokenHeader,
        CheckId::TokenVersion,
        CheckId::TokenAmurl,
        CheckId::TokenLifetime,
        CheckId::TokenAudience,
        CheckId::TokenIssuer,
        CheckId::TokenDeprecation,
        CheckId::DnsName,
        CheckId::DnsResolve,
        CheckId::DnsAddress,
        CheckId::DnsSplitHorizon,
        CheckId::TcpConnect,
        CheckId::TlsHandshake,
        CheckId::TlsTrust,
        CheckId::TlsName,
        CheckId::TlsValidity,
        CheckId::HttpAccess,
        CheckId::HttpContent,
        CheckId::MetadataDocument,
        CheckId::MetadataKeys,
        CheckId::MetadataCertificate,
        CheckId::KeyMatch,
        CheckId::KeyCertificate,
        CheckId::KeySignature,
        CheckId::EwsReachable,
    ];

    /// The stable identifier, `stage.name`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::MailboxLocation => "mailbox.location",
            CheckId::MailboxAmurl => "mailbox.amurl",
            CheckId::MailboxTenant => "mailbox.tenant",
            CheckId::TokenInput => "token.input",
            CheckId::TokenEncoding => "token.encoding",
            CheckId::TokenKind => "token.kind",
            CheckId::TokenHeader => "token.header",
            CheckId::TokenVersion => "token.version",
            CheckId::TokenAmurl => "token.amurl",
            CheckId::TokenLifetime => "token.lifetime",
            CheckId::TokenAudience => "token.audience",
            CheckId::TokenIssuer => "token.issuer",
            CheckId::TokenDeprecation => "token.deprecation",
            CheckId::DnsName => "dns.name",
            CheckId::DnsResolve => "dns.resolve",
            CheckId::DnsAddress => "dns.address",
            CheckId::DnsSplitHorizon => "dns.split_horizon",
            CheckId::TcpConnect => "tcp.connect",
            CheckId::TlsHandshake => "tls.handshake",
            CheckId::TlsTrust => "tls.trust",
            CheckId::TlsName => "tls.name",
            CheckId::TlsValidity => "tls.validity",
            CheckId::HttpAccess => "http.access",
            CheckId::HttpContent => "http.content",
            CheckId::MetadataDocument => "metadata.document",
            CheckId::MetadataKeys => "metadata.keys",
            CheckId::MetadataCertificate => "metadata.certificate",
            CheckId::KeyMatch => "key.match",
            CheckId::KeyCertificate => "key.certificate",
            CheckId::KeySignature => "key.signature",
            CheckId::EwsReachable => "ews.reachable",
        }
    }

    /// The link of the chain this check belongs to.
    pub fn stage(self) -> Stage {
        let prefix = self.as_str().split('.').next().unwrap_or_default();
        Stage::ALL
            .into_iter()
            .find(|s| s.as_str() == prefix)
            .unwrap_or(Stage::Token)
    }

    /// The checks of one stage, in report order.
    pub fn of_stage(stage: Stage) -> &'static [CheckId] {
        let start = Self::ALL.iter().position(|c| c.stage() == stage);
        let end = Self::ALL.iter().rposition(|c| c.stage() == stage);
        match (start, end) {
            (Some(start), Some(end)) => &Self::ALL[start..=end],
            _ => &[],
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order_and_stage_order() {
        let mut sorted = CheckId::ALL;
        sorted.sort();
        assert_eq!(sorted, CheckId::ALL);
        assert!(CheckId::ALL
            .windows(2)
            .all(|w| w[0].stage() <= w[1].stage()));
    }

    #[test]
    fn every_id_is_stage_dot_name() {
        for id in CheckId::ALL {
            let (stage, name) = id.as_str().split_once('.').expect("a dot");
            assert_eq!(stage, id.stage().as_str());
            assert!(!name.is_empty());
        }
    }

    #[test]
    fn stages_partition_the_checks() {
        let total: usize = Stage::ALL.iter().map(|s| CheckId::of_stage(*s).len()).sum();
        assert_eq!(total, CheckId::ALL.len());
        assert_eq!(CheckId::of_stage(Stage::Ews), &[CheckId::EwsReachable]);
    }

    #[test]
    fn the_stage_lists_keep_chain_order() {
        assert_eq!(Stage::TOKEN_CHAIN[0], Stage::Token);
        assert_eq!(
            Stage::MAILBOX_ON_PREMISES,
            [
                Stage::Mailbox,
                Stage::Dns,
                Stage::Tcp,
                Stage::Tls,
                Stage::Http,
                Stage::Metadata,
                Stage::Ews
            ]
        );
        assert!(Stage::MAILBOX_ONLINE.contains(&Stage::Key));
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        let codes: Vec<i32> = Stage::ALL.iter().map(|s| s.exit_code()).collect();
        assert_eq!(codes, vec![5, 10, 20, 30, 40, 50, 60, 70, 80]);
    }
}
