//! Every remedy the tool gives, in one place, in the words of the SSI
//! knowledge-base article: who must change what, and where.
//!
//! Checks refer to a [`Remedy`] by name; the text lives only here, so the
//! report, the docs (`docs/checks.md`) and the tests cannot drift apart.

pub mod commands;

/// What is known of the end of EWS in Exchange Online, in one place for
/// every text that speaks of EWS on an Exchange Online host.
macro_rules! ews_retirement {
    () => {
        "EWS in Exchange Online is being blocked since 1 October 2026 and retires on 1 April 2027 (Microsoft message center posts MC1176266 and MC1227454, as secondary sources quote them)"
    };
}

/// The end of EWS in Exchange Online, for summaries.
pub const EWS_RETIREMENT: &str = ews_retirement!();

/// A remedy for a failing or warning check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Remedy {
    /// No token could be found in the input.
    PasteToken,
    /// `probe` got something that is neither a token, a URL nor a host.
    ProbeTarget,
    /// A line of a `--batch` list is a piece of a token folded over lines.
    BatchTokenPiece,
    /// The tool itself failed on one target of a batch (a defect, caught).
    InternalError,
    /// The token is damaged (bad base64url or JSON).
    TokenDamaged,
    /// The header is not that of an Exchange identity token.
    TokenHeader,
    /// An Exchange callback token was pasted (getCallbackTokenAsync).
    TokenKindCallback,
    /// An Outlook on the web attachment-download token was pasted.
    TokenKindOwaDownload,
    /// A JWT of another kind was pasted.
    TokenKindOther,
    /// appctx.version is not ExIdTok.V1.
    TokenVersion,
    /// A claim is missing or of the wrong type (a number where a string belongs).
    TokenClaims,
    /// appctx.amurl is missing or not an absolute https URL.
    TokenAmurl,
    /// The amurl path is not the usual metadata path.
    TokenAmurlPath,
    /// The token is outside its lifetime.
    TokenLifetime,
    /// aud differs from the add-in URL.
    TokenAudience,
    /// The realms of the issuer claims disagree.
    TokenIssuer,
    /// Exchange Online issues no legacy identity tokens any more.
    ExchangeOnlineDeprecation,
    /// The amurl host is an internal name.
    InternalHostName,
    /// Public resolvers do not know the host.
    PublishDnsName,
    /// Public resolvers did not answer in time.
    DnsUnanswered,
    /// No resolver could be reached from this machine (outbound DNS blocked).
    DnsResolversUnreachable,
    /// A resolver replied, but never with an answer to the question asked.
    DnsResolversGarbled,
    /// This machine has no route for the target's address family.
    NoRoute,
    /// This machine has no network connection at all.
    NoNetwork,
    /// The host has public IPv6 addresses only; SSI connects over IPv4.
    Ipv6Only,
    /// The host resolves only to non-public addresses.
    PublicAddress,
    /// Public DNS publishes internal addresses beside public ones.
    MixedAddresses,
    /// This machine resolves the host differently from the internet.
    SplitHorizon,
    /// Nothing listens on the port.
    PortClosed,
    /// A firewall drops the connection.
    FirewallAllowSsi,
    /// The network has no route to the host.
    Unreachable,
    /// The `--proxy` refused or failed the tunnel.
    ProxyFailed,
    /// The TLS handshake fails.
    TlsHandshake,
    /// The certificate chain does not verify to a public root.
    TlsChainUntrusted,
    /// The server does not send its intermediate certificates.
    TlsIncompleteChain,
    /// The server certificate is self-signed.
    TlsSelfSigned,
    /// The certificate does not name the host.
    TlsName,
    /// The server certificate is expired or not yet valid.
    TlsValidity,
    /// The server certificate expires soon.
    TlsRenewSoon,
    /// The server speaks only TLS 1.1 or older.
    TlsProtocolVersion,
    /// The server requires a client certificate (mutual TLS).
    TlsClientCertificate,
    /// The server refuses the handshake with an alert.
    TlsAlert,
    /// The server closes the connection during the handshake.
    TlsClosed,
    /// A certificate of the chain is signed with SHA-1 or MD5.
    TlsWeakSignature,
    /// A certificate of the chain has an RSA key under 2048 bits.
    TlsWeakKey,
    /// The certificate names the host only in its subject CN.
    TlsCnOnly,
    /// The server certificate is not valid yet.
    TlsNotYetValid,
    /// Authentication guards the metadata URL.
    MetadataAuthentication,
    /// A redirect (pre-authenticating proxy or login page) guards the metadata URL.
    MetadataRedirect,
    /// The metadata URL is forbidden.
    MetadataForbidden,
    /// The metadata URL does not exist on the server.
    MetadataNotFound,
    /// The server fails to produce the document.
    MetadataServerError,
    /// The answer is not JSON (a login page, say).
    MetadataNotJson,
    /// The answer is over 1 MiB.
    MetadataTooLarge,
    /// The JSON is not an auth metadata document.
    MetadataNotExchange,
    /// The document has no usable signing certificate.
    MetadataNoKeys,
    /// A published certificate is expired or its x5t is wrong.
    MetadataCertificate,
    /// The token's x5t is not published.
    KeyNotPublished,
    /// The auth certificate is expired or not yet valid.
    AuthCertificateExpired,
    /// The auth certificate expires soon.
    AuthCertificateRenewSoon,
    /// The signature does not verify.
    SignatureInvalid,
    /// EWS does not answer.
    EwsUnreachable,
    /// A plain-http URL.
    UseHttps,
    /// A URL or host name was given where a token belongs.
    UseProbe,
    /// Only part of a token was pasted.
    TokenTruncated,
    /// A decoded header or payload was pasted instead of the raw token.
    PasteRawToken,
    /// An opaque (not JWT) access token was pasted.
    OpaqueToken,
    /// Microsoft Entra application proxy pre-authenticates the URL.
    FrontEndEntraAppProxy,
    /// AD FS (Web Application Proxy) pre-authenticates the URL.
    FrontEndAdfs,
    /// An F5 BIG-IP APM access policy pre-authenticates the URL.
    FrontEndF5,
    /// Cloudflare challenges or blocks the request.
    FrontEndCloudflare,
    /// Forefront TMG / ISA Server asks for authentication.
    FrontEndTmg,
    /// Kemp LoadMaster ESP pre-authenticates the URL.
    FrontEndKemp,
    /// A Citrix NetScaler / ADC gateway pre-authenticates the URL.
    FrontEndNetscaler,
    /// Exchange's forms-based sign-in answers instead of the document.
    FrontEndOwaForms,
    /// Exchange Online's front end answered.
    FrontEndExchangeOnline,
    /// The document is Entra ID's JSON Web Key Set.
    MetadataFamilyJwks,
    /// The document is an OpenID Connect discovery document.
    MetadataFamilyOpenId,
    /// The document is Azure ACS metadata.
    MetadataFamilyAcs,
    /// The document is SharePoint's STS metadata.
    MetadataFamilySharePoint,
    /// An Entra token for a Microsoft API (Graph, Exchange Online) was sent.
    EntraMicrosoftApiToken,
    /// An Entra ID token (not an access token) was sent.
    EntraIdToken,
    /// The Entra token's header lacks RS256 or a kid.
    EntraTokenHeader,
    /// `ver` and the form of `iss` disagree.
    EntraVersion,
    /// `iss` is no Entra authority, or its tenant is not `tid`.
    EntraIssuer,
    /// Entra's discovery document or key set cannot be had or read.
    EntraDiscovery,
    /// The key set holds no RSA signing key.
    EntraNoKeys,
    /// The token's kid is not among the published keys.
    EntraKeyNotPublished,
    /// A published key's x5c certificate is outside its validity.
    EntraKeyCertificate,
    /// The RS256 signature does not verify with the Entra key.
    EntraSignature,
    /// The command ran out of its time budget.
    TimedOut,
    /// An e-mail address was given where a token belongs.
    ProbeAddress,
    /// The mailbox is in Exchange Online: no legacy identity token there.
    MailboxExchangeOnline,
    /// No Autodiscover answered from here for the address.
    AutodiscoverUnavailable,
    /// Microsoft Entra ID knows no tenant for the address's domain.
    TenantUnknown,
    /// Entra's discovery document for the domain could not be read from here.
    TenantUnavailable,
}

impl Remedy {
    /// The remedy's text: who must change what, and where.
    pub fn text(self) -> &'static str {
        match self {
            Remedy::PasteToken => "Paste the whole identity token (three base64url parts separated by dots, starting with eyJ), as the add-in's log or the SSI ticket shows it.",
            Remedy::ProbeTarget => "Give probe a token (as text, @PATH or - for standard input), the metadata URL (https://<host>/autodiscover/metadata/json/1), the bare external host name, or a user's e-mail address.",
            Remedy::BatchTokenPiece => "Put each token on one line of the batch list, whole: this line is only a piece of a token that was folded over several lines, so it was neither checked nor shown.",
            Remedy::InternalError => "This is a defect in idtoken-doctor, not a fault of the target: report it with the output of `idtoken-doctor --version` and the command line (not the token); the other targets of the batch were checked.",
            Remedy::TokenDamaged => "The token was damaged in copying: copy it again from the add-in's log or the ticket, all three parts, without truncation.",
            Remedy::TokenHeader => "This is not an Exchange user identity token (typ JWT, alg RS256, with x5t): make sure the add-in calls getUserIdentityTokenAsync and that the right token was pasted.",
            Remedy::TokenKindCallback => "Whoever pasted it: this is an Exchange callback token (from getCallbackTokenAsync, meant for EWS and REST calls), not the user identity token SSI validates; paste the identity token instead (from the add-in's log, or getUserIdentityTokenAsync in Script Lab). If SSI's own add-in sent this token to SSI, that is a fault of the add-in: report it to SAP support.",
            Remedy::TokenKindOwaDownload => "This is an Outlook on the web attachment-download token, not an identity token: paste the token the add-in sends to SSI (from getUserIdentityTokenAsync), as the add-in's log or the SSI ticket shows it.",
            Remedy::TokenKindOther => "This JWT is not an Exchange user identity token: paste the token from getUserIdentityTokenAsync, as the add-in's log or the SSI ticket shows it.",
            Remedy::TokenVersion => "SSI accepts only Exchange user identity tokens (appctx.version ExIdTok.V1): paste the token from getUserIdentityTokenAsync, not a callback or other token.",
            Remedy::TokenClaims => "This token's claims do not have the form Exchange gives them: make sure the pasted token is the Exchange user identity token from getUserIdentityTokenAsync, copied unchanged (not re-encoded or edited).",
            Remedy::TokenAmurl => "Exchange admin: the token must carry the external Exchange metadata URL (https://<external host>/autodiscover/metadata/json/1); publish the external URL and check it with Get-AuthConfig and Get-WebServicesVirtualDirectory | Select name,*url* | fl.",
            Remedy::TokenAmurlPath => "Exchange admin: the metadata URL is normally https://<external host>/autodiscover/metadata/json/1; check the external URLs with Get-WebServicesVirtualDirectory | Select name,*url* | fl.",
            Remedy::TokenLifetime => "Identity tokens live for hours only: an old pasted token is expected to be expired. Take a fresh token from the add-in to test signature and lifetime, and check the Exchange server's clock.",
            Remedy::TokenAudience => "Add-in developer: aud is the add-in's URL from its manifest; make the SSI configuration and the manifest name the same add-in URL.",
            Remedy::TokenIssuer => "Exchange admin: the realms (tenant ids) in iss, appctxsender and msexchuid should agree; check the organisation's auth configuration with Get-AuthConfig.",
            Remedy::ExchangeOnlineDeprecation => "Exchange Online has issued no legacy Exchange identity tokens in any tenant since 31 October 2025 (turned off from February 2025; the last exemptions ended then), so this token is old: for Exchange Online mailboxes SSI's add-in authenticates with nested app authentication (Microsoft Entra ID tokens). Update the add-in installation (SAP KBA 3587410) and diagnose the Entra token it sends.",
            Remedy::InternalHostName => "Exchange admin: SSI downloads the metadata from the internet, and this host name exists only inside the network. Publish Exchange under an external name (set the external URLs; check with Get-WebServicesVirtualDirectory | Select name,*url* | fl) so the token carries a public amurl.",
            Remedy::PublishDnsName => "Customer DNS admin: publish the Exchange external host name in public DNS, or have Exchange issue tokens for the external URL that is published.",
            Remedy::DnsUnanswered => "Customer DNS admin: the public resolvers got no answer for this name; check that its authoritative name servers answer from the internet.",
            Remedy::DnsResolversUnreachable => "Your network: no public resolver could be reached from this machine (outbound DNS is blocked here), so nothing is known about the target's DNS. Name a resolver you can reach with --dns-server (ADDR, ADDR:PORT or a https://…/dns-query URL), or pin the address with --resolve HOST:PORT:ADDR.",
            Remedy::DnsResolversGarbled => "Your network or your resolver: the resolver replied, but never with an answer to the question asked (another id or question, or no DNS message at all: something on the path rewrites DNS, or the resolver is broken), so nothing is known about the target's DNS. Name another resolver with --dns-server (ADDR, ADDR:PORT or a https://…/dns-query URL), or pin the address with --resolve HOST:PORT:ADDR.",
            Remedy::NoNetwork => "Your machine: it has no network connection (no route to any resolver), so nothing about the target could be checked and the customer's side is not judged. Connect this machine to a network, or run idtoken-doctor on one that reaches the internet.",
            Remedy::NoRoute => "Your network: this machine has no route for the target's address family (no IPv6 here, or no network at all), so the connection could not be tried. Run the check from a machine with that connectivity; SSI connects from the internet.",
            Remedy::Ipv6Only => "Customer DNS and network admins: the name has only IPv6 addresses in public DNS, and SSI connects from IPv4 addresses (every egress range in the KB article is IPv4). Publish an A record for the host on a public IPv4 address.",
            Remedy::PublicAddress => "Exchange and network admins: the name resolves only to internal addresses, which SSI cannot reach from the internet. Publish the Exchange metadata URL on a public address (reverse proxy or NAT) and in public DNS.",
            Remedy::MixedAddresses => "Customer DNS admin: public DNS publishes internal addresses for this name beside public ones; SSI may pick an internal one and fail now and then. Remove the internal records from the public zone.",
            Remedy::SplitHorizon => "You are probably inside the customer's network: what this machine resolves is not what SSI sees. Trust the public resolvers' answer, or run the check from outside the network.",
            Remedy::PortClosed => "Network admin: nothing accepts connections on this port; publish Exchange's HTTPS endpoint (IIS, reverse proxy or load balancer) on the public address.",
            Remedy::FirewallAllowSsi => "Firewall admin: the connection is dropped, usually by a firewall, and this machine is not SSI: either the firewall does not allow the SSI IP ranges (run `idtoken-doctor ssi-ips` for the list to import; allow inbound HTTPS from them to the Exchange metadata URL and EWS), or it allows only them, which this machine cannot tell from here. Look for SSI's addresses in the firewall's log, or run the check from an address in the list.",
            Remedy::Unreachable => "Network admin: there is no route to this address from here; make the Exchange external address reachable from the internet.",
            Remedy::ProxyFailed => "Your proxy did not open the tunnel, so nothing is known about the target: check the --proxy URL (credentials go in it, http://user:password@proxy:port, and are sent to the proxy only), that the proxy is reachable and allows CONNECT to this host's address and port (the tool names the address it vetted, never the host name; --resolve HOST:PORT:ADDRESS picks the address), or run from a network with direct internet access; SSI itself connects directly.",
            Remedy::TlsHandshake => "Exchange or proxy admin: the server does not complete a TLS handshake; serve HTTPS with TLS 1.2 or 1.3 on this port (not plain HTTP, not an outdated protocol).",
            Remedy::TlsChainUntrusted => "Exchange or proxy admin: bind a certificate issued by a public certification authority to the external HTTPS endpoint; SSI trusts only public roots.",
            Remedy::TlsIncompleteChain => "Exchange or proxy admin: the server does not send the intermediate certificate(s); install the full chain (leaf and intermediates) on the endpoint's certificate binding.",
            Remedy::TlsSelfSigned => "Exchange or proxy admin: replace the self-signed certificate with one from a public certification authority; SSI cannot trust a self-signed certificate.",
            Remedy::TlsName => "Exchange or proxy admin: bind a certificate whose subject alternative names include this host, or have the token carry a host the certificate names.",
            Remedy::TlsValidity => "Exchange or proxy admin: the HTTPS certificate is outside its validity period; renew it and bind the new certificate to the endpoint.",
            Remedy::TlsRenewSoon => "Exchange or proxy admin: the HTTPS certificate expires soon; renew it before it does, or SSI will stop validating tokens.",
            Remedy::TlsProtocolVersion => "Exchange or proxy admin: the endpoint speaks only TLS 1.1 or older, and SSI needs TLS 1.2 or newer. Enable TLS 1.2 (and 1.3) on the server that terminates HTTPS (Windows: the SCHANNEL Protocols registry keys, then a restart; a reverse proxy or load balancer: its SSL/TLS profile, such as nginx's ssl_protocols).",
            Remedy::TlsClientCertificate => "Exchange or proxy admin: the endpoint requires a client certificate (mutual TLS), and SSI presents none. Set client certificates to Ignore for /autodiscover/metadata/ and /EWS/ (IIS: SSL Settings of those virtual directories), or on the reverse proxy turn off client-certificate verification for these paths (nginx: ssl_verify_client off or optional).",
            Remedy::TlsAlert => "Exchange or proxy admin: the server refuses the TLS handshake with the alert named above; check that a certificate is bound for this host name (SNI) on the HTTPS port and that TLS 1.2 or 1.3 is offered with current cipher suites (ECDHE with AES-GCM).",
            Remedy::TlsClosed => "Exchange or proxy admin: the server (or a device in front of it: load balancer, IPS, TLS-inspecting firewall) closes the connection during the TLS handshake; check that a certificate is bound for this host name (SNI) on the HTTPS port and that nothing drops TLS from the SSI IP ranges (`idtoken-doctor ssi-ips`).",
            Remedy::TlsWeakSignature => "Exchange or proxy admin: a certificate the server sends is signed with SHA-1 or MD5, which TLS clients refuse; have the certificate (or the intermediate) reissued with SHA-256 and bind the new chain.",
            Remedy::TlsWeakKey => "Exchange or proxy admin: a certificate the server sends has an RSA key under 2048 bits, which TLS clients refuse; request a new certificate with a 2048-bit (or larger) RSA or an ECDSA key and bind it with its current intermediates.",
            Remedy::TlsCnOnly => "Exchange or proxy admin: the certificate names the host only in its subject common name; TLS clients read only the subject alternative names. Reissue it with the host in its subjectAltName (DNS name) and bind it.",
            Remedy::TlsNotYetValid => "Exchange or proxy admin: the HTTPS certificate is not valid yet (its validity starts in the future); bind the certificate that is current, and check the clock of the server that issued it.",
            Remedy::MetadataAuthentication => "Exchange admin: authentication is enabled on the metadata URL; SSI downloads it anonymously. Disable authentication for /autodiscover/metadata/json/1 (enable anonymous access on that path in IIS or the reverse proxy).",
            Remedy::MetadataRedirect => "Exchange or proxy admin: the metadata URL redirects (a pre-authenticating reverse proxy or login page); publish /autodiscover/metadata/json/1 without pre-authentication and without redirect.",
            Remedy::MetadataForbidden => "Exchange or proxy admin: the metadata URL is forbidden from here; allow anonymous access from the internet (and from the SSI IP ranges, see `idtoken-doctor ssi-ips`).",
            Remedy::MetadataNotFound => "Exchange admin: the metadata document is not served at this URL; check the Autodiscover virtual directory and that the reverse proxy publishes /autodiscover/metadata/json/1.",
            Remedy::MetadataServerError => "Exchange admin: the server failed to produce the metadata document; check the Autodiscover application pool and the auth configuration (Get-AuthConfig).",
            Remedy::MetadataNotJson => "Exchange or proxy admin: the metadata URL answers with something other than the JSON document (a login page, say); publish /autodiscover/metadata/json/1 directly, anonymously.",
            Remedy::MetadataTooLarge => "Exchange or proxy admin: the answer is far larger than a metadata document; make sure the URL serves the Exchange authentication metadata document.",
            Remedy::MetadataNotExchange => "Exchange admin: this URL does not serve an Exchange authentication metadata document (no keys array); make the token's amurl point at Exchange's /autodiscover/metadata/json/1.",
            Remedy::MetadataNoKeys => "Exchange admin: the document publishes no signing certificate; configure the Exchange Server Auth Certificate (Get-AuthConfig shows CurrentCertificateThumbprint) and publish it with Set-AuthConfig.",
            Remedy::MetadataCertificate => "Exchange admin: a published certificate is expired or inconsistent; renew the Exchange Server Auth Certificate, publish it with Set-AuthConfig, and remove the old one (Microsoft's MonitorExchangeAuthCertificate script does this).",
            Remedy::KeyNotPublished => "Exchange admin: the certificate that signed this token is not in the metadata SSI downloads. The Exchange Server Auth Certificate was usually renewed or replaced (publish the current one with Set-AuthConfig and restart the Autodiscover app pool), or the amurl points at another Exchange organisation.",
            Remedy::AuthCertificateExpired => "Exchange admin: the Exchange Server Auth Certificate is expired (or not yet valid). Renew it and publish it with Set-AuthConfig (-NewCertificateThumbprint, then -PublishCertificate), or run Microsoft's MonitorExchangeAuthCertificate script.",
            Remedy::AuthCertificateRenewSoon => "Exchange admin: the Exchange Server Auth Certificate expires within 60 days; renew it now with Set-AuthConfig or Microsoft's MonitorExchangeAuthCertificate script.",
            Remedy::SignatureInvalid => "The signature does not verify with the published certificate: the token was damaged in copying (copy it again), or it was signed by another Exchange server than the amurl names.",
            Remedy::EwsUnreachable => "Exchange and firewall admins: SSI calls EWS next; publish https://<host>/EWS/Exchange.asmx to the internet and allow the SSI IP ranges (`idtoken-doctor ssi-ips`). Check the URLs with Get-WebServicesVirtualDirectory | Select name,*url* | fl.",
            Remedy::UseHttps => "Exchange admin: SSI fetches the metadata only over HTTPS; publish https://<external host>/autodiscover/metadata/json/1.",
            Remedy::UseProbe => "This is a URL or host name, not a token: to check the metadata URL the way SSI fetches it, run `idtoken-doctor probe <URL or host>`; to judge a token, paste the token itself (or pass @PATH to read it from a file).",
            Remedy::TokenTruncated => "Only part of the token was copied: copy the whole token (three base64url parts separated by dots, usually well over 1,000 characters) from the add-in's log or the ticket; line breaks inside it are joined automatically.",
            Remedy::PasteRawToken => "This is a decoded header or payload (from jwt.io, jwt.ms or a log), and the signature is gone with the encoding: nothing can be verified. Paste the raw token instead: three base64url parts starting with eyJ, separated by dots.",
            Remedy::OpaqueToken => "This is an opaque access token (EwA…/EwB…), the kind nested app authentication returns for personal Microsoft accounts (outlook.com): it is not a JWT and carries nothing SSI can validate. Test with a work or school mailbox, and paste the token the add-in sends to SSI.",
            Remedy::FrontEndEntraAppProxy => "Entra or Exchange admin: Microsoft Entra application proxy pre-authenticates the metadata URL, and SSI cannot sign in. Publish https://<host>/autodiscover/metadata/ (and /EWS/) as an application proxy application with pre-authentication set to Passthrough (a separate application for that path if the rest keeps Microsoft Entra ID pre-authentication), or publish it outside the application proxy.",
            Remedy::FrontEndAdfs => "Proxy admin: the metadata URL is published with AD FS pre-authentication (Web Application Proxy), and SSI cannot sign in. Publish https://<host>/autodiscover/metadata/ as a pass-through application (Add-WebApplicationProxyApplication -ExternalPreAuthentication PassThrough), or outside the pre-authenticating proxy.",
            Remedy::FrontEndF5 => "F5 admin: a BIG-IP APM access policy pre-authenticates the metadata URL, and SSI cannot sign in. Exempt /autodiscover/metadata/json/1 (and /EWS/) from the access policy: an iRule that calls ACCESS::disable for that path, or a virtual server without the access profile for it.",
            Remedy::FrontEndCloudflare => "Cloudflare admin: Cloudflare's WAF or bot protection challenges or blocks the anonymous GET, and SSI cannot answer a challenge. Add a WAF custom rule with the Skip action (managed rules, Bot Fight Mode, challenges) for requests from SSI's addresses (`idtoken-doctor ssi-ips --format plain`) to /autodiscover/metadata/ and /EWS/.",
            Remedy::FrontEndTmg => "TMG admin: the Forefront TMG (or ISA Server) web publishing rule asks for authentication, and SSI sends none. Add a web publishing rule for /autodiscover/metadata/* that applies to All Users and allows anonymous access (no pre-authentication, no forms), ordered above the Exchange rule; TMG is out of support, so plan its replacement.",
            Remedy::FrontEndKemp => "LoadMaster admin: the Kemp Edge Security Pack pre-authenticates the metadata URL, and SSI cannot sign in. Add /autodiscover/metadata/* to the virtual service's ESP Pre-Authorization Excluded Directories (and its Allowed Virtual Directories), or serve that path from a SubVS without ESP.",
            Remedy::FrontEndNetscaler => "NetScaler admin: the Citrix NetScaler / ADC gateway pre-authenticates the metadata URL, and SSI cannot sign in. Exempt /autodiscover/metadata/ (and /EWS/) from authentication: a content-switching policy that sends that path to a load-balancing virtual server without authentication, or an authentication policy that skips it.",
            Remedy::FrontEndOwaForms => "Exchange or proxy admin: Exchange's forms-based sign-in for Outlook on the web answers instead of the document. Make sure /autodiscover/metadata/json/1 reaches the Autodiscover virtual directory with anonymous access (Get-AutodiscoverVirtualDirectory) and that the reverse proxy does not send it to /owa.",
            Remedy::FrontEndExchangeOnline => concat!("This is Exchange Online's front end: nothing is published by the customer here. Exchange Online has issued no legacy Exchange identity tokens since 31 October 2025: for Exchange Online mailboxes SSI's add-in must use nested app authentication (Microsoft Entra ID tokens); update the add-in installation (SAP KBA 3587410). ", ews_retirement!(), "."),
            Remedy::MetadataFamilyJwks => "This is a JSON Web Key Set (Microsoft Entra ID's signing keys, say), not Exchange's: SSI needs the Exchange server's own https://<host>/autodiscover/metadata/json/1. Save that document (or point --metadata at it) instead.",
            Remedy::MetadataFamilyOpenId => "This is an OpenID Connect discovery document (an identity provider's), not Exchange's: SSI needs the Exchange server's own https://<host>/autodiscover/metadata/json/1. Save that document (or point --metadata at it) instead.",
            Remedy::MetadataFamilyAcs => "This is Azure Access Control Service (ACS) metadata, not the Exchange server's: SSI needs https://<host>/autodiscover/metadata/json/1 from the Exchange host the token's amurl names.",
            Remedy::MetadataFamilySharePoint => "This is SharePoint's STS metadata (issuer 00000003-0000-0ff1-ce00-000000000000), not Exchange's: SSI needs the Exchange server's own https://<host>/autodiscover/metadata/json/1, whose serviceName is 00000002-0000-0ff1-ce00-000000000000.",
            Remedy::ProbeAddress => "This is an e-mail address, not a token: `idtoken-doctor probe <address>` finds where the mailbox lives and checks the chain that applies to it; to judge a token, paste the token itself.",
            Remedy::MailboxExchangeOnline => "Exchange Online has issued no legacy identity tokens since 31 October 2025: SSI's add-in must use nested app authentication (NAA). If SSI says \"Unable to validate the client identity token\" for this mailbox, the add-in still asks for the legacy token: update the add-in to a release that uses NAA (SAP KBA 3587410).",
            Remedy::AutodiscoverUnavailable => "No Autodiscover answered from this machine, so where the mailbox lives is unknown: paste a token from the add-in instead (`idtoken-doctor diagnose`), or probe the amurl or the Exchange host name (`idtoken-doctor probe mail.contoso.com`).",
            Remedy::TenantUnknown => "Microsoft Entra ID knows no tenant for this domain: check the address for a typo; if the mailbox is in Exchange Online, the domain must be a verified domain of the organisation's tenant (Microsoft 365 admin center, Settings, Domains).",
            Remedy::TenantUnavailable => "Entra's discovery document for the domain could not be read from this machine: make sure https://login.microsoftonline.com is reachable from here (or use --proxy), then run the probe again.",
            Remedy::EntraMicrosoftApiToken => "Add-in developer: this token is for a Microsoft API (Microsoft Graph or Exchange Online), which only Microsoft can validate. SSI's add-in must ask nested app authentication for an access token for SSI's own API (its own scope) and send that one; for SAP's add-in, update the add-in installation (SAP KBA 3587410).",
            Remedy::EntraIdToken => "Add-in developer: an ID token proves the sign-in to the add-in itself and is not meant for a server. The add-in must send an access token for SSI's own API (nested app authentication); for SAP's add-in, update the add-in installation (SAP KBA 3587410).",
            Remedy::EntraTokenHeader => "Copy the token again from the add-in's log, whole: an Entra ID token is signed RS256 and names its key by kid, which is how SSI finds the key among Entra ID's published keys.",
            Remedy::EntraVersion => "Copy the token again from the add-in's log: Entra ID issues v1.0 tokens from https://sts.windows.net/{tenant}/ and v2.0 tokens from https://{authority}/{tenant}/v2.0, so a token whose ver and iss disagree was altered or is not Entra ID's.",
            Remedy::EntraIssuer => "The token must come from the customer's Microsoft Entra ID tenant: iss on an Entra ID authority, with the tenant in iss equal to tid. Copy the token again from the add-in, or find out which identity provider issued this one; for Exchange Online mailboxes SSI validates Entra ID tokens only.",
            Remedy::EntraDiscovery => "Microsoft Entra ID's discovery document and key set must be readable anonymously from the internet, as SSI reads them: check that the tenant in the token exists (an unknown tenant answers 400 with AADSTS90002), and that nothing between this machine and the Entra ID authority (a proxy, a firewall) rewrites or blocks the answers.",
            Remedy::EntraNoKeys => "The key set holds no RSA signing key (kty RSA with n and e, use sig): it is not Entra ID's. Check the jwks_uri of the tenant's discovery document, or the file passed as --metadata.",
            Remedy::EntraKeyNotPublished => "The key that signed the token is not published for this tenant any more, or never was: Entra ID rolled its signing keys over (the token is old: get a fresh one from the add-in; validators refetch the keys on an unknown kid), or the token belongs to another tenant or cloud than its iss says.",
            Remedy::EntraKeyCertificate => "The certificate Entra ID publishes with this key (x5c) is outside its validity: Entra ID rolls its keys over on its own schedule. Fetch the key set again, and get a fresh token signed with a current key.",
            Remedy::EntraSignature => "The RS256 signature does not verify with the Entra ID key the token names: the token was damaged in copying (copy it again, whole), or it is a token for Microsoft Graph (a nonce in its header), which no one but Microsoft can validate.",
            Remedy::TimedOut => "The server did not finish in time: check that the endpoint answers promptly from the internet (a stalled proxy or a firewall that lets the connection open but drops traffic is typical).",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_remedy_is_one_line() {
        let all = [
            Remedy::PasteToken,
            Remedy::KeyNotPublished,
            Remedy::TimedOut,
            Remedy::Ipv6Only,
            Remedy::FirewallAllowSsi,
            Remedy::ProxyFailed,
        ];
        for remedy in all {
            assert!(!remedy.text().contains('\n'));
            assert!(remedy.text().ends_with('.'));
        }
    }
}
