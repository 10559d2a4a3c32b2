//! Who answered instead of Exchange: the reverse proxies, gateways and sign-in
//! pages that stand in front of the metadata URL and EWS, recognised from the
//! answer's status, headers, cookies, `Location` and body (the contract's
//! `details.front_end`).
//!
//! Every product is one entry of [`FRONT_ENDS`], with the public source its
//! markers were learned from; adding one is an entry and a test. Entries are
//! ordered most specific first: a product that names itself (a pre-authenticating
//! gateway's own cookie or path) wins over a CDN's headers, and a bare redirect to
//! `login.microsoftonline.com` names no product at all.

use url::Url;

use super::judge::{BodyOutcome, HttpFacts};
use crate::remedy::Remedy;

/// One trace a product leaves in an answer. Texts are matched ignoring case.
#[derive(Debug, Clone, Copy)]
pub enum Marker {
    /// A header whose value contains this text (empty: the header is present).
    Header(&'static str, &'static str),
    /// A cookie set whose name starts with this text.
    Cookie(&'static str),
    /// The `Location`, resolved against the request URL, contains this text.
    Location(&'static str),
    /// The body that was read contains this text.
    Body(&'static str),
    /// The reason phrase the server sent (not the standard one) contains this text.
    Reason(&'static str),
    /// Both markers hold.
    Both(&'static Marker, &'static Marker),
}

/// A product that answers in front of Exchange.
#[derive(Debug, Clone, Copy)]
pub struct FrontEnd {
    /// The stable value of `details.front_end`.
    pub id: &'static str,
    /// The product, in words, for summaries.
    pub product: &'static str,
    /// What its admin must change so that SSI gets the document.
    pub remedy: Remedy,
    /// Any one of these names the product.
    markers: &'static [Marker],
}

/// A product recognised in an answer, and the trace that gave it away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognised {
    /// The product's entry.
    pub front_end: &'static str,
    /// The product, in words.
    pub product: &'static str,
    /// Its remedy.
    pub remedy: Remedy,
    /// The trace, in words: `Location contains msappproxy.net`.
    pub evidence: String,
}

/// The products, most specific first.
pub const FRONT_ENDS: [FrontEnd; 9] = [
    // Entra application proxy pre-authentication: a redirect to Entra ID whose
    // redirect_uri is on msappproxy.net and whose state starts `AppProxyState:`
    // (a recorded Location in AzureAD/microsoft-authentication-library-for-objc
    // issue 1187), its `x-ms-proxy-*` response headers (Microsoft's App Proxy
    // troubleshooting notes, quoted in public triage guides), or Entra's own
    // sign-in page served on the amurl's host.
    FrontEnd {
        id: "entra-app-proxy",
        product: "Microsoft Entra application proxy pre-authentication",
        remedy: Remedy::FrontEndEntraAppProxy,
        markers: &[
            Marker::Location("msappproxy.net"),
            Marker::Location("appproxystate"),
            Marker::Header("x-ms-proxy-app-id", ""),
            Marker::Header("x-ms-proxy-service-name", ""),
            Marker::Body("<title>sign in to your account</title>"),
        ],
    },
    // AD FS sign-in: WS-Federation and SAML endpoints live under /adfs/ls/
    // (Microsoft's AD FS endpoint list; Web Application Proxy pre-authentication
    // redirects there).
    FrontEnd {
        id: "adfs",
        product: "AD FS sign-in (Web Application Proxy pre-authentication)",
        remedy: Remedy::FrontEndAdfs,
        markers: &[Marker::Location("/adfs/ls"), Marker::Body("/adfs/ls/")],
    },
    // F5 BIG-IP: APM redirects to /my.policy and sets MRHSession and
    // LastMRH_Session; LTM pools set BIGipServer<pool> cookies; the box may say
    // `Server: BigIP` (wafw00f's plugins bigipapm.py and f5bigipltm.py, WhatWeb's
    // f5-big-ip.rb).
    FrontEnd {
        id: "f5-big-ip",
        product: "F5 BIG-IP (APM access policy)",
        remedy: Remedy::FrontEndF5,
        markers: &[
            Marker::Location("/my.policy"),
            Marker::Location("/vdesk/"),
            Marker::Body("/my.policy"),
            Marker::Cookie("MRHSession"),
            Marker::Cookie("LastMRH_Session"),
            Marker::Cookie("BIGipServer"),
            Marker::Header("server", "bigip"),
            Marker::Header("server", "big-ip"),
        ],
    },
    // Citrix NetScaler / ADC gateway: NSC_ cookies and `Via: NS-CACHE` (WhatWeb's
    // citrix-netscaler.rb), the gateway's /vpn/index.html and /logon/LogonPoint/
    // sign-in paths (its published logon pages).
    FrontEnd {
        id: "citrix-netscaler",
        product: "Citrix NetScaler / ADC gateway",
        remedy: Remedy::FrontEndNetscaler,
        markers: &[
            Marker::Location("/logon/logonpoint/"),
            Marker::Location("/vpn/index.html"),
            Marker::Cookie("NSC_"),
            Marker::Header("via", "ns-cache"),
            Marker::Body("/logon/logonpoint/"),
            Marker::Body("/vpn/index.html"),
        ],
    },
    // Kemp LoadMaster ESP: its form sign-in lives at /lm_auth_proxy (intrigue-core's
    // Kemp ESP fingerprint `lm_auth_proxy?LMimage=`, and clients that detect the
    // ESP form by that path before Exchange's own).
    FrontEnd {
        id: "kemp",
        product: "Kemp LoadMaster Edge Security Pack (ESP) pre-authentication",
        remedy: Remedy::FrontEndKemp,
        markers: &[
            Marker::Location("lm_auth_proxy"),
            Marker::Body("lm_auth_proxy"),
        ],
    },
    // Forefront TMG / ISA Server: forms sign-in at /CookieAuth.dll?GetLogon
    // (public OWA links through TMG), `Proxy-Support:
    // Session-Based-Authentication` beside its 401, and the explanations it
    // puts in its reason phrases and error pages: `401 Unauthorized ( The
    // server requires authorization to fulfill the request. Access to the Web
    // server is denied. … )`, `403 Forbidden ( The server denied the specified
    // Uniform Resource Locator (URL). … )` (wafw00f's isaserver.py; the TMG
    // error texts quoted in Microsoft's TMG troubleshooting articles).
    FrontEnd {
        id: "forefront-tmg",
        product: "Forefront TMG / ISA Server",
        remedy: Remedy::FrontEndTmg,
        markers: &[
            Marker::Location("/cookieauth.dll"),
            Marker::Header("proxy-support", "session-based-authentication"),
            Marker::Reason("the server requires authorization to fulfill the request"),
            Marker::Reason("denied the specified uniform resource locator"),
            Marker::Body("/cookieauth.dll"),
            Marker::Body("denied the specified uniform resource locator"),
        ],
    },
    // Cloudflare: `Server: cloudflare`, a `cf-ray` header on every answer, and
    // `cf-mitigated: challenge` on a challenge (wafw00f's cloudflare.py; Cloudflare's
    // documentation of cf-mitigated).
    FrontEnd {
        id: "cloudflare",
        product: "Cloudflare",
        remedy: Remedy::FrontEndCloudflare,
        markers: &[
            Marker::Header("cf-mitigated", ""),
            Marker::Header("cf-ray", ""),
            Marker::Header("server", "cloudflare"),
        ],
    },
    // Exchange's own forms-based sign-in: a redirect to /owa/auth/logon.aspx, or
    // the page itself with its `OwaPage = ASP.auth_logon_aspx` comment (WhatWeb's
    // outlook-web-app.rb and intrigue-core's OWA fingerprints).
    FrontEnd {
        id: "owa-forms",
        product: "Exchange's forms-based sign-in (Outlook on the web)",
        remedy: Remedy::FrontEndOwaForms,
        markers: &[
            Marker::Location("/owa/auth/logon.aspx"),
            Marker::Body("asp.auth_logon_aspx"),
            Marker::Body("/owa/auth/logon.aspx"),
        ],
    },
    // Exchange Online's front end: `X-CalculatedFETarget` (an *.internal.outlook.com
    // host) and back-end targets under outlook.com, in recorded answers of
    // outlook.office365.com in public Exchange Online tooling; on-premises Exchange
    // sends `X-FEServer` too, so that header names Exchange Online only beside a
    // redirect to Entra ID sign-in.
    FrontEnd {
        id: "exchange-online",
        product: "Exchange Online's front end",
        remedy: Remedy::FrontEndExchangeOnline,
        markers: &[
            Marker::Header("x-calculatedfetarget", ""),
            Marker::Header("x-calculatedbetarget", "outlook.com"),
            Marker::Header("x-feproxyinfo", "outlook.com"),
            Marker::Both(
                &Marker::Header("x-feserver", ""),
                &Marker::Location("login.microsoftonline.com"),
            ),
        ],
    },
];

/// How much of a body is searched for markers.
const BODY_SEARCHED: usize = 64 * 1024;

/// What the markers look at, lower-cased once.
struct Answer<'a> {
    facts: &'a HttpFacts,
    location: Option<String>,
    body: Option<String>,
}

impl Answer<'_> {
    /// The trace `marker` finds, in words, if any.
    fn find(&self, marker: &Marker) -> Option<String> {
        match marker {
            Marker::Header(name, text) => self.facts.header_all(name).find_map(|value| {
                value
                    .to_ascii_lowercase()
                    .contains(text)
                    .then(|| match *text {
                        "" => format!("a {name} header"),
                        _ => format!("{name}: {}", crate::text::excerpt(value.trim(), 60)),
                    })
            }),
            Marker::Cookie(prefix) => self.facts.header_all("set-cookie").find_map(|cookie| {
                let name = cookie.split('=').next().unwrap_or_default().trim();
                starts_with_ignore_case(name, prefix)
                    .then(|| format!("a {} cookie", crate::text::excerpt(name, 40)))
            }),
            Marker::Location(text) => self
                .location
                .as_deref()
                .filter(|location| location.contains(text))
                .map(|_| format!("a redirect whose Location contains {text}")),
            Marker::Body(text) => self
                .body
                .as_deref()
                .filter(|body| body.contains(text))
                .map(|_| format!("a page containing {text}")),
            Marker::Reason(text) => self
                .facts
                .sent_reason
                .as_deref()
                .filter(|reason| reason.to_ascii_lowercase().contains(text))
                .map(|_| format!("a reason phrase containing \"{text}\"")),
            Marker::Both(a, b) => {
                let (a, b) = (self.find(a)?, self.find(b)?);
                Some(format!("{a} and {b}"))
            }
        }
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// The `Location` resolved against the request URL, lower case (so a relative
/// `/my.policy` and an absolute one read alike).
fn resolved_location(facts: &HttpFacts) -> Option<String> {
    let location = facts.location()?.trim();
    let resolved = facts
        .url
        .join(location)
        .map(|url: Url| url.to_string())
        .unwrap_or_else(|_| location.to_string());
    Some(resolved.to_ascii_lowercase())
}

/// The product that answered, when the answer names one.
pub fn recognise(facts: &HttpFacts) -> Option<Recognised> {
    let body = match &facts.body {
        BodyOutcome::Complete(bytes) => {
            let start = &bytes[..bytes.len().min(BODY_SEARCHED)];
            Some(String::from_utf8_lossy(start).to_ascii_lowercase())
        }
        _ => None,
    };
    let answer = Answer {
        facts,
        location: resolved_location(facts),
        body,
    };
    FRONT_ENDS.iter().find_map(|front_end| {
        front_end
            .markers
            .iter()
            .find_map(|marker| answer.find(marker))
            .map(|evidence| Recognised {
                front_end: front_end.id,
                product: front_end.product,
                remedy: front_end.remedy,
                evidence,
            })
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An answer of `status` with `headers` and `body`, for judgements' tests.
    pub(crate) fn facts(status: u16, headers: &[(&str, &str)], body: Option<&str>) -> HttpFacts {
        HttpFacts {
            url: Url::parse("https://mail.contoso.com/autodiscover/metadata/json/1").expect("url"),
            version: "HTTP/1.1".into(),
            status,
            reason: String::new(),
            sent_reason: None,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.map_or(BodyOutcome::NotRead, |b| {
                BodyOutcome::Complete(b.as_bytes().to_vec())
            }),
        }
    }

    fn named(status: u16, headers: &[(&str, &str)], body: Option<&str>) -> Option<&'static str> {
        recognise(&facts(status, headers, body)).map(|r| r.front_end)
    }

    #[test]
    fn entra_app_proxy_by_its_redirect_headers_or_page() {
        let location = "https://login.microsoftonline.com/t/oauth2/authorize?response_type=code\
            &redirect_uri=https%3a%2f%2fmail-contoso.msappproxy.net%2f\
            &state=AppProxyState%3a%7b%22InvalidTokenRetry%22%3anull%7d%23EndOfStateParam%23";
        assert_eq!(
            named(302, &[("location", location)], None),
            Some("entra-app-proxy")
        );
        let own_host =
            "https://login.microsoftonline.com/t/oauth2/authorize?state=AppProxyState%3a1";
        assert_eq!(
            named(302, &[("location", own_host)], None),
            Some("entra-app-proxy")
        );
        assert_eq!(
            named(403, &[("x-ms-proxy-app-id", "5f3c")], None),
            Some("entra-app-proxy")
        );
        let page = "<html><head><title>Sign in to your account</title></head></html>";
        assert_eq!(named(200, &[], Some(page)), Some("entra-app-proxy"));
    }

    #[test]
    fn a_bare_redirect_to_entra_names_no_product() {
        let location = "https://login.microsoftonline.com/common/oauth2/authorize?client_id=x";
        assert_eq!(named(302, &[("location", location)], None), None);
    }

    #[test]
    fn a_plain_redirect_to_an_unknown_host_names_none() {
        assert_eq!(
            named(302, &[("location", "https://www.contoso.com/")], None),
            None
        );
        assert_eq!(
            named(
                401,
                &[
                    ("www-authenticate", "Negotiate"),
                    ("server", "Microsoft-IIS/10.0")
                ],
                None
            ),
            None
        );
    }

    #[test]
    fn adfs_by_its_sign_in_path() {
        let location =
            "https://sts.contoso.com/adfs/ls/?wa=wsignin1.0&wtrealm=urn%3aAppProxy%3acom";
        assert_eq!(named(302, &[("location", location)], None), Some("adfs"));
        assert_eq!(
            named(302, &[("location", "https://sts.contoso.com/adfsx/")], None),
            None
        );
    }

    #[test]
    fn f5_by_path_cookie_or_server() {
        assert_eq!(
            named(302, &[("location", "/my.policy")], None),
            Some("f5-big-ip")
        );
        assert_eq!(
            named(302, &[("set-cookie", "MRHSession=abc; path=/")], None),
            Some("f5-big-ip")
        );
        assert_eq!(
            named(
                200,
                &[(
                    "set-cookie",
                    "BIGipServerpool_exchange=1677787402.36895.0000"
                )],
                None
            ),
            Some("f5-big-ip")
        );
        assert_eq!(named(403, &[("server", "BigIP")], None), Some("f5-big-ip"));
        // A cookie merely containing the word is not F5's.
        assert_eq!(
            named(200, &[("set-cookie", "notBIGipServer=1")], None),
            None
        );
    }

    #[test]
    fn netscaler_by_path_or_cookie() {
        assert_eq!(
            named(302, &[("location", "/logon/LogonPoint/tmindex.html")], None),
            Some("citrix-netscaler")
        );
        assert_eq!(
            named(
                302,
                &[("location", "https://gw.contoso.com/vpn/index.html")],
                None
            ),
            Some("citrix-netscaler")
        );
        assert_eq!(
            named(200, &[("set-cookie", "NSC_AAAC=xyz; path=/")], None),
            Some("citrix-netscaler")
        );
    }

    #[test]
    fn kemp_by_its_sign_in_path() {
        assert_eq!(
            named(302, &[("location", "/lm_auth_proxy?LMimage=1")], None),
            Some("kemp")
        );
    }

    #[test]
    fn tmg_by_sign_in_path_or_proxy_support() {
        assert_eq!(
            named(
                302,
                &[(
                    "location",
                    "/CookieAuth.dll?GetLogon?curl=Z2Fautodiscover&reason=0&formdir=1"
                )],
                None
            ),
            Some("forefront-tmg")
        );
        assert_eq!(
            named(
                401,
                &[
                    ("www-authenticate", "NTLM"),
                    ("proxy-support", "Session-Based-Authentication")
                ],
                None
            ),
            Some("forefront-tmg")
        );
    }

    #[test]
    fn cloudflare_by_its_headers() {
        assert_eq!(
            named(403, &[("cf-mitigated", "challenge")], None),
            Some("cloudflare")
        );
        assert_eq!(
            named(
                200,
                &[("server", "cloudflare"), ("cf-ray", "8a1b-FRA")],
                None
            ),
            Some("cloudflare")
        );
    }

    #[test]
    fn owa_forms_by_redirect_or_page() {
        assert_eq!(
            named(
                302,
                &[(
                    "location",
                    "https://mail.contoso.com/owa/auth/logon.aspx?url=x&reason=0"
                )],
                None
            ),
            Some("owa-forms")
        );
        let page = "<!-- OwaPage = ASP.auth_logon_aspx --><html><title>Outlook</title></html>";
        assert_eq!(named(200, &[], Some(page)), Some("owa-forms"));
    }

    #[test]
    fn exchange_online_by_its_front_end_headers_only() {
        assert_eq!(
            named(
                401,
                &[(
                    "x-calculatedfetarget",
                    "DB3PR0102CU001.internal.outlook.com"
                )],
                None
            ),
            Some("exchange-online")
        );
        assert_eq!(
            named(
                302,
                &[
                    ("x-feserver", "AM0PR04CA0123"),
                    (
                        "location",
                        "https://login.microsoftonline.com/common/oauth2/authorize"
                    )
                ],
                None
            ),
            Some("exchange-online")
        );
        // On-premises Exchange sends X-FEServer too: alone it names nothing.
        assert_eq!(named(401, &[("x-feserver", "EXCH01")], None), None);
    }

    #[test]
    fn a_product_naming_itself_wins_over_a_cdn() {
        let both = [
            ("server", "cloudflare"),
            ("cf-ray", "1"),
            ("location", "/my.policy"),
        ];
        assert_eq!(named(302, &both, None), Some("f5-big-ip"));
    }

    #[test]
    fn every_entry_has_a_distinct_id_and_markers() {
        for (i, front_end) in FRONT_ENDS.iter().enumerate() {
            assert!(FRONT_ENDS[..i].iter().all(|f| f.id != front_end.id));
            assert!(!front_end.markers.is_empty());
        }
    }
}
