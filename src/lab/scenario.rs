//! The `demo` scenarios: a whole Exchange on loopback (DNS, HTTPS, metadata,
//! EWS) with exactly one link broken, and a token that points at it.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use time::OffsetDateTime;

use super::authcert::{metadata_json, AuthCert, MetadataOptions};
use super::autodiscover::{
    autodiscover_path, ews_answer, openid_configuration, tenant_discovery_path, tenant_documents,
    Port443, LAB_TENANT_ID, LOGIN_HOST, ONLINE_HOST,
};
use super::dns::{DnsServer, Zone};
use super::entra::{self, EntraKey, EntraLab};
use super::https::{Behaviour, HttpsServer, Route};
use super::legacy_tls::{LegacyAnswer, LegacyTlsServer};
use super::mint::TokenMint;
use super::pki::Pki;
use crate::report::Stage;
use crate::settings::NetSettings;
use crate::target::METADATA_PATH;

/// The Exchange host every scenario's token names (`.test` is an ordinary name).
pub const HOST: &str = "mail.contoso.test";

/// The address the mailbox scenarios probe.
pub const MAILBOX: &str = "ann@contoso.test";

/// The domain of [`MAILBOX`].
const MAILBOX_DOMAIN: &str = "contoso.test";

/// One broken link (or none), as `demo` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Every link holds.
    Healthy,
    /// The token carries an internal host name.
    InternalHost,
    /// A firewall drops the connection.
    FirewallDrop,
    /// The server presents a self-signed certificate.
    SelfSigned,
    /// The server does not send its intermediate certificate.
    IncompleteChain,
    /// The front end speaks only TLS 1.0.
    Tls10,
    /// Authentication guards the metadata URL.
    Auth401,
    /// A pre-authenticating proxy redirects to a login page.
    LoginRedirect,
    /// The auth certificate was renewed; the token names the old one.
    X5tMismatch,
    /// The Exchange Server Auth Certificate expired.
    ExpiredAuthCert,
    /// The token's signature does not verify.
    BadSignature,
    /// Microsoft Entra application proxy pre-authenticates the metadata URL.
    PreauthProxy,
    /// The add-in sent a callback token (getCallbackTokenAsync) instead of the identity token.
    CallbackToken,
    /// Nested app authentication: an Entra ID access token whose chain holds.
    NaaHealthy,
    /// Nested app authentication: the add-in sent a Microsoft Graph token.
    NaaGraphToken,
    /// Nested app authentication: Entra ID rolled its keys; the token's is gone.
    NaaKeyRolled,
    /// `probe ADDRESS` of an on-premises mailbox of a hybrid organisation.
    MailboxOnPremises,
    /// `probe ADDRESS` of an Exchange Online mailbox.
    MailboxExchangeOnline,
}

impl Scenario {
    /// Every scenario, in chain order of the link it breaks.
    pub const ALL: [Scenario; 18] = [
        Scenario::Healthy,
        Scenario::CallbackToken,
        Scenario::InternalHost,
        Scenario::FirewallDrop,
        Scenario::SelfSigned,
        Scenario::IncompleteChain,
        Scenario::Tls10,
        Scenario::Auth401,
        Scenario::LoginRedirect,
        Scenario::PreauthProxy,
        Scenario::X5tMismatch,
        Scenario::ExpiredAuthCert,
        Scenario::BadSignature,
        // The NAA chain (an Entra ID token), in the order of the link each breaks.
        Scenario::NaaHealthy,
        Scenario::NaaGraphToken,
        Scenario::NaaKeyRolled,
        Scenario::MailboxOnPremises,
        Scenario::MailboxExchangeOnline,
    ];

    /// The name `demo` takes.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::InternalHost => "internal-host",
            Scenario::FirewallDrop => "firewall-drop",
            Scenario::SelfSigned => "self-signed",
            Scenario::IncompleteChain => "incomplete-chain",
            Scenario::Tls10 => "tls-1.0",
            Scenario::Auth401 => "auth-401",
            Scenario::LoginRedirect => "login-redirect",
            Scenario::X5tMismatch => "x5t-mismatch",
            Scenario::ExpiredAuthCert => "expired-auth-cert",
            Scenario::BadSignature => "bad-signature",
            Scenario::PreauthProxy => "preauth-proxy",
            Scenario::CallbackToken => "callback-token",
            Scenario::NaaHealthy => "naa-healthy",
            Scenario::NaaGraphToken => "naa-graph-token",
            Scenario::NaaKeyRolled => "naa-key-rolled",
            Scenario::MailboxOnPremises => "mailbox-on-premises",
            Scenario::MailboxExchangeOnline => "mailbox-exchange-online",
        }
    }

    /// What the scenario breaks, in a line.
    pub fn about(self) -> &'static str {
        match self {
            Scenario::Healthy => "every link holds (the loopback address is a warning: allowed as --allow-private)",
            Scenario::InternalHost => "the token's amurl names an internal host (exchange01.contoso.local)",
            Scenario::FirewallDrop => "a firewall drops the connection to port 443 (tcp.connect times out)",
            Scenario::SelfSigned => "the server presents a self-signed certificate",
            Scenario::IncompleteChain => "the server sends its certificate without the intermediate",
            Scenario::Tls10 => "an old front end speaks only TLS 1.0 (it answers the ClientHello with alert protocol_version)",
            Scenario::Auth401 => "Windows authentication (Negotiate, NTLM) guards the metadata URL",
            Scenario::LoginRedirect => "a pre-authenticating reverse proxy redirects to an ADFS login page",
            Scenario::X5tMismatch => "the auth certificate was renewed: the token names one the metadata no longer publishes",
            Scenario::ExpiredAuthCert => "the Exchange Server Auth Certificate expired",
            Scenario::BadSignature => "the token's signature was damaged (one bit flipped)",
            Scenario::PreauthProxy => "Microsoft Entra application proxy pre-authenticates the metadata URL (a redirect to Entra ID sign-in)",
            Scenario::CallbackToken => "the add-in sent a callback token (getCallbackTokenAsync) instead of the identity token",
            Scenario::NaaHealthy => "nested app authentication: an Entra ID access token for SSI's API; every link holds",
            Scenario::NaaGraphToken => "nested app authentication: the add-in sent a Microsoft Graph token (a nonce in its header)",
            Scenario::NaaKeyRolled => "nested app authentication: Entra ID rolled its keys over; the token's kid is gone",
            Scenario::MailboxOnPremises => "probe ann@contoso.test, an on-premises mailbox found through hybrid Autodiscover",
            Scenario::MailboxExchangeOnline => "probe ann@contoso.test, an Exchange Online mailbox (NAA) of a tenant Entra knows",
        }
    }

    /// The e-mail address the scenario probes instead of a token, if any.
    pub fn address(self) -> Option<&'static str> {
        match self {
            Scenario::MailboxOnPremises | Scenario::MailboxExchangeOnline => Some(MAILBOX),
            _ => None,
        }
    }

    /// The stages the scenario's report names.
    pub fn stages(self) -> &'static [Stage] {
        match self {
            Scenario::MailboxOnPremises => &Stage::MAILBOX_ON_PREMISES,
            Scenario::MailboxExchangeOnline => &Stage::MAILBOX_ONLINE,
            _ => &Stage::TOKEN_CHAIN,
        }
    }

    /// The scenario called `name`.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The exit code `diagnose` gives for this scenario.
    pub fn expected_exit_code(self) -> i32 {
        match self {
            Scenario::Healthy
            | Scenario::NaaHealthy
            | Scenario::MailboxOnPremises
            | Scenario::MailboxExchangeOnline => 0,
            Scenario::NaaGraphToken => 10,
            Scenario::NaaKeyRolled => 70,
            Scenario::InternalHost => 20,
            Scenario::FirewallDrop => 30,
            Scenario::SelfSigned | Scenario::IncompleteChain | Scenario::Tls10 => 40,
            Scenario::Auth401 | Scenario::LoginRedirect | Scenario::PreauthProxy => 50,
            Scenario::CallbackToken => 10,
            Scenario::X5tMismatch | Scenario::ExpiredAuthCert | Scenario::BadSignature => 70,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a scenario could not be set up.
#[derive(Debug)]
pub struct SetupError(pub String);

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot set up the demo: {}", self.0)
    }
}

impl std::error::Error for SetupError {}

fn setup<E: fmt::Display>(what: &str) -> impl FnOnce(E) -> SetupError + '_ {
    move |e| SetupError(format!("{what}: {e}"))
}

/// A running scenario: its servers stay up until it is dropped.
pub struct Lab {
    /// The token to diagnose.
    pub token: String,
    /// The e-mail address to probe instead, for the mailbox scenarios.
    pub address: Option<&'static str>,
    /// Network settings that reach the lab (lab DNS, lab CA, loopback allowed).
    pub net: NetSettings,
    _dns: DnsServer,
    _https: Option<HttpsServer>,
    _firewall: Option<Firewall>,
    _legacy: Option<LegacyTlsServer>,
    _port443: Option<Port443>,
    _entra: Option<EntraLab>,
}

impl fmt::Debug for Lab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lab").finish_non_exhaustive()
    }
}

/// A loopback port that drops new connections, as a firewall does: a
/// listener with a backlog of one whose queue is already full, so the kernel
/// ignores further SYNs and connecting times out.
struct Firewall {
    port: u16,
    _listener: Socket,
    _queued: Vec<TcpStream>,
}

impl Firewall {
    fn start() -> io::Result<Firewall> {
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        listener.bind(&SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0).into())?;
        listener.listen(0)?;
        let port = listener
            .local_addr()?
            .as_socket()
            .map(|a| a.port())
            .ok_or_else(|| io::Error::other("the listener has no port"))?;
        let target = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        let mut queued = Vec::new();
        // Fill the accept queue; once a connect attempt times out, it is full.
        for _ in 0..8 {
            match TcpStream::connect_timeout(&target, Duration::from_millis(200)) {
                Ok(stream) => queued.push(stream),
                Err(_) => break,
            }
        }
        Ok(Firewall {
            port,
            _listener: listener,
            _queued: queued,
        })
    }
}

/// What Microsoft Entra application proxy answers an anonymous request for
/// `path` of an application with Entra ID pre-authentication: a redirect to
/// Entra ID sign-in, back to the application's msappproxy.net address, with
/// its `AppProxyState` (the shape of a recorded one in a public MSAL issue).
fn app_proxy_redirect(path: &str) -> Behaviour {
    let location = format!(
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/authorize\
         ?response_type=code&client_id=5f3c1a0e-8d4b-4d5e-9a0f-2b1c3d4e5f60&scope=openid\
         &redirect_uri=https%3a%2f%2fmail-contoso.msappproxy.net%2f\
         &state=AppProxyState%3a%7b%22OriginalRawUrl%22%3a%22https%3a%5c%2f%5c%2fmail.contoso.test{}%22%7d%23EndOfStateParam%23",
        path.replace('/', "%5c%2f")
    );
    Behaviour::Respond(
        super::https::Response::redirect(&location)
            .header("x-ms-proxy-service-name", "proxy-appproxy-weu")
            .header("x-ms-proxy-data-center", "WEU"),
    )
}

/// Turns the identity-token mint into a callback token's, as
/// getCallbackTokenAsync returns one: `ver` Exchange.Callback.V1, the Exchange
/// resource as `aud`, and appctx with the user's ids and the item scope instead
/// of amurl and version.
fn callback_token(mint: super::mint::TokenMint, port: u16) -> super::mint::TokenMint {
    mint.claim("ver", "Exchange.Callback.V1")
        .audience(format!(
            "00000002-0000-0ff1-ce00-000000000000/{HOST}:{port}@contoso.com"
        ))
        .without_appctx_field("amurl")
        .without_appctx_field("version")
        .without_appctx_field("msexchuid")
        .appctx_field("oid", "c73b8759-34b2-4186-aa8c-04d149dcc77a")
        .appctx_field("smtp", "ann@contoso.com")
        .appctx_field("scope", "ParentItemId:AAMkADliYTYxYmU3")
}

/// Exchange Online, Entra and the customer's Autodiscover on 127.0.0.1:443
/// for the mailbox scenarios; the customer's EWS is the lab's Exchange on `port`.
fn mailbox_site(scenario: Scenario, pki: &Pki, port: u16) -> Result<Option<Port443>, SetupError> {
    let path = autodiscover_path(MAILBOX);
    let on_premises = format!("autodiscover.{MAILBOX_DOMAIN}");
    let routes = match scenario {
        Scenario::MailboxOnPremises => vec![
            Route::new(
                &path,
                Behaviour::redirect(&format!("https://{on_premises}{path}?Protocol=EWS")),
            )
            .on_host(ONLINE_HOST),
            Route::new(
                &path,
                ews_answer(&format!("https://{HOST}:{port}/EWS/Exchange.asmx"), None),
            )
            .on_host(&on_premises),
        ],
        Scenario::MailboxExchangeOnline => vec![
            Route::new(
                &path,
                ews_answer(
                    &format!("https://{ONLINE_HOST}/EWS/Exchange.asmx"),
                    Some("EURPRD10"),
                ),
            )
            .on_host(ONLINE_HOST),
            Route::new(
                &tenant_discovery_path(MAILBOX_DOMAIN),
                openid_configuration(LAB_TENANT_ID),
            )
            .on_host(LOGIN_HOST),
        ]
        .into_iter()
        .chain(tenant_documents(LAB_TENANT_ID, &tenant_key()?))
        .collect(),
        _ => return Ok(None),
    };
    Port443::start(pki, &[ONLINE_HOST, LOGIN_HOST, &on_premises], routes)
        .map(Some)
        .map_err(setup(
            "a server on 127.0.0.1:443 (the mailbox scenarios play outlook.office365.com there: \
             run as an administrator, or where unprivileged programs may listen on port 443)",
        ))
}

impl Lab {
    /// Starts the servers of `scenario` and mints its token, valid at `now`.
    pub fn start(scenario: Scenario, now: OffsetDateTime) -> Result<Lab, SetupError> {
        if matches!(
            scenario,
            Scenario::NaaHealthy | Scenario::NaaGraphToken | Scenario::NaaKeyRolled
        ) {
            return Lab::start_naa(scenario, now);
        }
        let day = time::Duration::days(1);
        let signing = if scenario == Scenario::ExpiredAuthCert {
            AuthCert::generate(now - 5 * 365 * day, now - 12 * day)
        } else {
            AuthCert::generate(now - 200 * day, now + 3 * 365 * day)
        }
        .map_err(setup("auth certificate"))?;
        let published = if scenario == Scenario::X5tMismatch {
            AuthCert::generate(now - day, now + 5 * 365 * day)
                .map_err(setup("renewed auth certificate"))?
        } else {
            signing.clone()
        };

        let pki = Pki::new().map_err(setup("test PKI"))?;
        let leaf = match scenario {
            Scenario::SelfSigned => pki.leaf(HOST).self_signed().build(),
            Scenario::IncompleteChain => pki.leaf(HOST).without_intermediate().build(),
            _ => pki.leaf(HOST).build(),
        }
        .map_err(setup("server certificate"))?;

        let metadata = metadata_json(&[&published], &MetadataOptions::default());
        let metadata_behaviour = match scenario {
            Scenario::Auth401 => Behaviour::unauthorized(&["Negotiate", "NTLM"]),
            Scenario::LoginRedirect => Behaviour::redirect(
                "https://adfs.contoso.test/adfs/ls/?wa=wsignin1.0&wtrealm=urn%3aAppProxy%3acom",
            ),
            Scenario::PreauthProxy => app_proxy_redirect(METADATA_PATH),
            _ => Behaviour::json(metadata),
        };
        let routes = vec![
            Route::new(METADATA_PATH, metadata_behaviour),
            Route::new(
                "/EWS/Exchange.asmx",
                match scenario {
                    Scenario::PreauthProxy => app_proxy_redirect("/EWS/Exchange.asmx"),
                    _ => Behaviour::unauthorized(&["Negotiate", "NTLM"]),
                },
            ),
        ];

        let legacy = match scenario {
            Scenario::Tls10 => Some(
                LegacyTlsServer::start(LegacyAnswer::ProtocolVersionAlert)
                    .map_err(setup("TLS 1.0 server"))?,
            ),
            _ => None,
        };
        let (https, firewall, port) = match (scenario, &legacy) {
            (_, Some(legacy)) => (None, None, legacy.port()),
            (Scenario::InternalHost, _) => (None, None, 443),
            (Scenario::FirewallDrop, _) => {
                let firewall = Firewall::start().map_err(setup("simulated firewall"))?;
                let port = firewall.port;
                (None, Some(firewall), port)
            }
            (_, None) => {
                let server =
                    HttpsServer::start(leaf.identity(), routes).map_err(setup("HTTPS server"))?;
                let port = server.port();
                (Some(server), None, port)
            }
        };
        let host = if scenario == Scenario::InternalHost {
            "exchange01.contoso.local"
        } else {
            HOST
        };
        let amurl = format!("https://{host}:{port}{METADATA_PATH}");

        let dns = DnsServer::start(Zone::new().address(HOST, IpAddr::V4(Ipv4Addr::LOCALHOST)))
            .map_err(setup("DNS server"))?;
        let mut mint =
            TokenMint::new(signing.x5t.clone(), now - time::Duration::minutes(10)).amurl(amurl);
        if scenario == Scenario::BadSignature {
            mint = mint.tamper_signature();
        }
        if scenario == Scenario::CallbackToken {
            mint = callback_token(mint, port);
        }
        let token = mint
            .sign(&signing.private_key)
            .map_err(setup("signing the token"))?;

        let timeout = if scenario == Scenario::FirewallDrop {
            3.0
        } else {
            10.0
        };
        let port443 = mailbox_site(scenario, &pki, port)?;
        let net = NetSettings {
            pins: port443.as_ref().map(Port443::pins).unwrap_or_default(),
            ..lab_net(&dns, pki.ca_der(), timeout)
        };
        Ok(Lab {
            token,
            address: scenario.address(),
            net,
            _dns: dns,
            _https: https,
            _firewall: firewall,
            _legacy: legacy,
            _port443: port443,
            _entra: None,
        })
    }

    /// A lab Entra ID for the NAA scenarios: the tenant's discovery document
    /// and keys on login.microsoftonline.com (the lab DNS answers it with
    /// 127.0.0.1), and an access token from nested app authentication.
    fn start_naa(scenario: Scenario, now: OffsetDateTime) -> Result<Lab, SetupError> {
        let day = time::Duration::days(1);
        let key = |kid: &str| {
            EntraKey::generate(kid, now - 30 * day, now + 5 * 365 * day)
                .map_err(|e| SetupError(format!("Entra signing key: {e}")))
        };
        let (current, next) = (key("lab-current-kid")?, key("lab-next-kid")?);
        let signing = if scenario == Scenario::NaaKeyRolled {
            key("lab-rolled-kid")?
        } else {
            current.clone()
        };
        let (listener, documents) =
            EntraLab::documents(&[&current, &next]).map_err(setup("lab Entra ID"))?;
        let entra = EntraLab::start(listener, documents).map_err(setup("lab Entra ID"))?;
        let mut mint = entra.mint(&signing, now - time::Duration::minutes(10));
        if scenario == Scenario::NaaGraphToken {
            mint = mint
                .header_field("nonce", "kq1bVpyMkWnb3HG6RNfxtr0EVGoQ3MnBh6gHZA3xbyU")
                .audience("00000003-0000-0000-c000-000000000000")
                .claim("scp", "User.Read openid profile");
        }
        let token = mint
            .sign(&signing.cert.private_key)
            .map_err(setup("signing the token"))?;
        let dns = DnsServer::start(
            Zone::new().address(entra::AUTHORITY, IpAddr::V4(Ipv4Addr::LOCALHOST)),
        )
        .map_err(setup("DNS server"))?;
        Ok(Lab {
            token,
            address: None,
            net: lab_net(&dns, entra.pki.ca_der(), 10.0),
            _dns: dns,
            _https: None,
            _firewall: None,
            _legacy: None,
            _port443: None,
            _entra: Some(entra),
        })
    }
}

/// The key the mailbox lab's tenant publishes (valid for five years from now).
fn tenant_key() -> Result<EntraKey, SetupError> {
    let now = OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    EntraKey::generate("lab-tenant-kid", now - day, now + 5 * 365 * day)
        .map_err(|e| SetupError(format!("Entra signing key: {e}")))
}

/// Network settings that reach only the lab: its DNS server, its CA beside
/// the public roots, loopback allowed, `timeout` seconds.
fn lab_net(
    dns: &DnsServer,
    ca: rustls_pki_types::CertificateDer<'static>,
    timeout: f64,
) -> NetSettings {
    NetSettings {
        dns_servers: vec![dns.addr()],
        ..super::loopback_net(vec![ca], Duration::from_secs_f64(timeout))
    }
}
