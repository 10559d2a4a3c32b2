//! Judging an HTTP answer: pure functions of the facts gathered by the request.

use serde_json::{json, Map, Value};
use url::Url;

use super::client::BODY_LIMIT;
use super::front_end::{self, Recognised};
use crate::remedy::Remedy;
use crate::report::{Check, CheckId, Status};

/// The headers worth showing in a report: what the server is, what it wants,
/// and the marks reverse proxies and pre-authentication gateways leave.
const REPORTED_HEADERS: [&str; 12] = [
    "content-type",
    "content-length",
    "location",
    "www-authenticate",
    "server",
    "via",
    "x-powered-by",
    "x-aspnet-version",
    "x-feserver",
    "x-beserver",
    "x-calculatedbetarget",
    "x-owa-version",
];

/// How reading the response body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyOutcome {
    /// Not read: the status already decided the link.
    NotRead,
    /// The whole body, within 1 MiB.
    Complete(Vec<u8>),
    /// Over 1 MiB (declared by Content-Length or counted while reading).
    TooLarge {
        /// The Content-Length the server declared, if any.
        declared: Option<u64>,
    },
    /// The body stalled and the budget ran out.
    TimedOut {
        /// Bytes received before the deadline.
        received: usize,
        /// The budget, as reports quote it ("15 s").
        after: String,
    },
    /// The connection broke inside the body.
    Failed {
        /// Bytes received before it broke.
        received: usize,
        /// What went wrong.
        error: String,
    },
}

/// Everything an HTTP answer says that the judgement needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpFacts {
    /// The URL that was requested (never with credentials).
    pub url: Url,
    /// The protocol version of the answer, e.g. `HTTP/1.1`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The status's standard reason phrase (`Unauthorized`); empty for unknown codes.
    pub reason: String,
    /// The reason phrase the server sent, when it is not the standard one
    /// (untrusted text: escape before showing).
    pub sent_reason: Option<String>,
    /// The response headers in arrival order, names in lower case.
    pub headers: Vec<(String, String)>,
    /// How reading the body went.
    pub body: BodyOutcome,
}

impl HttpFacts {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (lower case), in arrival order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `Location` header, as sent.
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The `Content-Type` header, as sent.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// The media type alone, lower case (`text/html` of `text/html; charset=utf-8`).
    pub fn media_type(&self) -> Option<String> {
        self.content_type().map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The challenges of every `WWW-Authenticate` header.
    pub fn challenges(&self) -> Vec<Challenge> {
        parse_challenges(self.header_all("www-authenticate"))
    }

    /// `HTTP/1.1 200 OK`, with the reason phrase the server sent when it
    /// sent another one (escaped, and cut at 200 characters).
    pub fn status_line(&self) -> String {
        let reason = match &self.sent_reason {
            Some(sent) => crate::text::excerpt(sent, 200),
            None => self.reason.clone(),
        };
        format!("{} {} {reason}", self.version, self.status)
            .trim_end()
            .to_string()
    }

    /// `200 OK`.
    fn status_text(&self) -> String {
        format!("{} {}", self.status, self.reason)
            .trim_end()
            .to_string()
    }

    /// The reported headers as a JSON object (repeated headers as arrays).
    fn headers_detail(&self) -> Value {
        let mut map = Map::new();
        for name in REPORTED_HEADERS {
            let values: Vec<String> = self.header_all(name).map(sanitize_header).collect();
            match values.len() {
                0 => {}
                1 => {
                    map.insert(name.to_string(), Value::String(values[0].clone()));
                }
                _ => {
                    map.insert(name.to_string(), json!(values));
                }
            }
        }
        Value::Object(map)
    }

    /// Names of the cookies set, which betray pre-authentication gateways
    /// (`MRHSession` is F5 APM, `BIGipServer…` an F5 pool); values are never shown.
    fn cookie_names(&self) -> Vec<String> {
        self.header_all("set-cookie")
            .filter_map(|c| c.split('=').next())
            .map(|n| sanitize(n.trim(), 60))
            .filter(|n| !n.is_empty())
            .collect()
    }
}

/// One authentication challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme as sent: `Negotiate`, `NTLM`, `Basic`, `Bearer`, ...
    pub scheme: String,
    /// Its parameters (`realm="x"`) or token, as sent; may be empty.
    pub params: String,
}

impl Challenge {
    /// The challenge as a report shows it: `Basic realm="x"`; long tokens shortened.
    pub fn display(&self) -> String {
        if self.params.is_empty() {
            self.scheme.clone()
        } else {
            format!("{} {}", self.scheme, sanitize(&self.params, 60))
        }
    }
}

/// Splits `WWW-Authenticate` values into challenges.
///
/// One header may hold several challenges separated by commas
/// (`Negotiate, NTLM`), and a challenge's parameters are separated by commas
/// too (`Bearer realm="x", error="invalid_token"`): an element that starts with
/// `name=` continues the previous challenge, anything else starts a new one.
pub fn parse_challenges<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    let mut challenges: Vec<Challenge> = Vec::new();
    for value in values {
        let mut continuing = false;
        for element in split_outside_quotes(value) {
            let element = element.trim();
            if element.is_empty() {
                continue;
            }
            let word_end = element
                .find(|c: char| c.is_whitespace() || c == '=')
                .unwrap_or(element.len());
            let is_param = element[word_end..].trim_start().starts_with('=') && word_end > 0;
            match challenges.last_mut() {
                Some(last) if is_param && continuing => {
                    if !last.params.is_empty() {
                        last.params.push_str(", ");
                    }
                    last.params.push_str(element);
                }
                _ => {
                    challenges.push(Challenge {
                        scheme: element[..word_end].to_string(),
                        params: element[word_end..].trim().to_string(),
                    });
                    continuing = true;
                }
            }
        }
    }
    challenges
}

fn split_outside_quotes(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

/// What a redirect's target looks like, when it looks like a sign-in or a
/// pre-authentication gateway.
pub fn login_hint(url: &Url) -> Option<&'static str> {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let path = url.path().to_ascii_lowercase();
    let query = url.query().unwrap_or_default().to_ascii_lowercase();
    if host.ends_with("login.microsoftonline.com") || host.ends_with("login.windows.net") {
        return Some("Microsoft Entra ID sign-in (an application proxy with pre-authentication)");
    }
    if let Some(hint) = marker_hint(&path) {
        return Some(hint);
    }
    if path.contains("saml") || path.contains("/oauth2/") || path.contains("/openid") {
        return Some("an identity provider's sign-in (SAML or OAuth)");
    }
    let generic = [
        "login", "logon", "signin", "sign-in", "sign_in", "/auth/", "/sso",
    ];
    if generic
        .iter()
        .any(|g| path.contains(g) || query.contains(g))
        || host.starts_with("login.")
    {
        return Some("a login page");
    }
    None
}

/// Markers of well-known sign-in pages and gateways, in a path or a page.
fn marker_hint(text: &str) -> Option<&'static str> {
    const MARKERS: [(&str, &str); 8] = [
        (
            "/adfs/",
            "AD FS sign-in (a pre-authenticating proxy such as Web Application Proxy)",
        ),
        (
            "/owa/auth/logon.aspx",
            "the Outlook on the web forms sign-in page (forms authentication)",
        ),
        (
            "/owa/auth.owa",
            "the Outlook on the web forms sign-in page (forms authentication)",
        ),
        (
            "/my.policy",
            "an F5 BIG-IP APM access policy (pre-authentication)",
        ),
        (
            "/vdesk/",
            "an F5 BIG-IP APM access policy (pre-authentication)",
        ),
        ("/dana-na/", "an Ivanti (Pulse) Connect Secure sign-in"),
        ("/+cscoe+/", "a Cisco ASA portal sign-in"),
        ("/nidp/", "a NetIQ Access Manager sign-in"),
    ];
    MARKERS
        .iter()
        .find(|(marker, _)| text.contains(marker))
        .map(|(_, hint)| *hint)
}

/// The verdict on `facts`: `http.access` and then `http.content`.
pub fn judge(facts: &HttpFacts) -> Vec<Check> {
    let front_end = front_end::recognise(facts);
    let access = name_front_end(judge_access(facts, front_end.is_some()), front_end.as_ref());
    let content = if access_lets_content_through(facts) {
        name_front_end(judge_content(facts), front_end.as_ref())
    } else {
        Check::skip(
            CheckId::HttpContent,
            format!(
                "not judged: the server answered {}, not the document",
                facts.status_text()
            ),
        )
    };
    vec![access, content]
}

/// The remedies a front end's own setting replaces: it is what asked for
/// authentication, redirected, refused or served a page instead of the document.
const FRONT_END_CAUSED: [Remedy; 4] = [
    Remedy::MetadataAuthentication,
    Remedy::MetadataRedirect,
    Remedy::MetadataForbidden,
    Remedy::MetadataNotJson,
];

/// Names the product that answered (the contract's `details.front_end`) in
/// `check`'s summary and details; where the product caused the failure, its
/// own remedy replaces the generic one.
pub(crate) fn name_front_end(mut check: Check, front_end: Option<&Recognised>) -> Check {
    let Some(front_end) = front_end else {
        return check;
    };
    check.summary = match check.status {
        Status::Pass | Status::Skip => format!(
            "{} (through {}: {})",
            check.summary, front_end.product, front_end.evidence
        ),
        _ => format!(
            "{}; answered by {} ({})",
            check.summary, front_end.product, front_end.evidence
        ),
    };
    if check
        .remedy
        .is_some_and(|remedy| FRONT_END_CAUSED.contains(&remedy))
    {
        check.remedy = Some(front_end.remedy);
    }
    check
        .with_detail("front_end", front_end.front_end)
        .with_detail("front_end_evidence", front_end.evidence.clone())
}

/// A 2xx carries the document (or what stands in for it); anything else is judged on its status.
fn access_lets_content_through(facts: &HttpFacts) -> bool {
    (200..300).contains(&facts.status)
}

/// `http.access`; `named` says a front end was recognised (its name then
/// replaces the generic guess at what a redirect leads to).
fn judge_access(facts: &HttpFacts, named: bool) -> Check {
    let status = facts.status;
    let status_text = facts.status_text();
    let url = facts.url.as_str();
    let check = if facts.url.scheme() == "http" {
        let answered = match (status, facts.location()) {
            (300..=399, Some(location)) => {
                format!("{status_text} to {}", sanitize(location, 200))
            }
            _ => status_text.clone(),
        };
        Check::fail(
            CheckId::HttpAccess,
            format!(
                "{url} is plain http (it answered {answered}); SSI fetches the metadata only over https"
            ),
            Remedy::UseHttps,
        )
    } else {
        match status {
            200 => Check::pass(CheckId::HttpAccess, format!("GET {url}: {status_text}")),
            201..=299 => Check::warn(
                CheckId::HttpAccess,
                format!("GET {url}: {status_text}, not 200 OK"),
                Remedy::MetadataServerError,
            ),
            300..=399 => judge_redirect(facts, named),
            401 | 407 => judge_authentication(facts),
            403 => Check::fail(
                CheckId::HttpAccess,
                format!("GET {url}: {status_text}: anonymous access is forbidden"),
                Remedy::MetadataForbidden,
            ),
            404 | 410 => Check::fail(
                CheckId::HttpAccess,
                format!("GET {url}: {status_text}: no metadata document at this URL"),
                Remedy::MetadataNotFound,
            ),
            400..=499 => Check::fail(
                CheckId::HttpAccess,
                format!("GET {url}: {status_text}: the server refused the anonymous GET"),
                Remedy::MetadataForbidden,
            ),
            502..=504 => Check::fail(
                CheckId::HttpAccess,
                format!(
                    "GET {url}: {status_text}: a reverse proxy or load balancer could not get the document from Exchange"
                ),
                Remedy::MetadataServerError,
            ),
            500..=599 => Check::fail(
                CheckId::HttpAccess,
                format!("GET {url}: {status_text}: the server failed"),
                Remedy::MetadataServerError,
            ),
            _ => Check::fail(
                CheckId::HttpAccess,
                format!("GET {url}: non-standard status {status_text}"),
                Remedy::MetadataServerError,
            ),
        }
    };
    let mut check = check
        .with_detail("status_line", facts.status_line())
        .with_detail("headers", facts.headers_detail());
    let cookies = facts.cookie_names();
    if !cookies.is_empty() {
        check = check.with_detail("set_cookie_names", json!(cookies));
    }
    check
}

fn judge_authentication(facts: &HttpFacts) -> Check {
    let challenges = facts.challenges();
    let shown: Vec<String> = challenges.iter().map(Challenge::display).collect();
    let url = facts.url.as_str();
    let status_text = facts.status_text();
    let summary = if shown.is_empty() {
        format!("GET {url}: {status_text}: authentication is required (no WWW-Authenticate challenge sent)")
    } else {
        let windows = challenges.iter().any(|c| {
            c.scheme.eq_ignore_ascii_case("negotiate") || c.scheme.eq_ignore_ascii_case("ntlm")
        });
        let note = if windows {
            " (Windows authentication is enabled)"
        } else {
            ""
        };
        format!(
            "GET {url}: {status_text}: authentication is required; the server offers {}{note}",
            shown.join(", ")
        )
    };
    let schemes: Vec<&str> = challenges.iter().map(|c| c.scheme.as_str()).collect();
    Check::fail(CheckId::HttpAccess, summary, Remedy::MetadataAuthentication)
        .with_detail("challenges", json!(shown))
        .with_detail("schemes", json!(schemes))
}

fn judge_redirect(facts: &HttpFacts, named: bool) -> Check {
    let url = facts.url.as_str();
    let status_text = facts.status_text();
    let Some(location) = facts.location() else {
        return Check::fail(
            CheckId::HttpAccess,
            format!("GET {url}: {status_text}, a redirect without a Location header"),
            Remedy::MetadataRedirect,
        );
    };
    let shown = sanitize(location, 200);
    let mut notes: Vec<String> = Vec::new();
    let resolved = facts.url.join(location.trim()).ok();
    if let Some(target) = &resolved {
        if let Some(hint) = login_hint(target).filter(|_| !named) {
            notes.push(format!("it looks like {hint}"));
        }
        if same_resource(target, &facts.url) {
            notes.push("it redirects to itself".to_string());
        } else if target.scheme() == "http" && facts.url.scheme() == "https" {
            notes.push("it redirects to plain http".to_string());
        }
        if target.host_str() != facts.url.host_str() {
            notes.push(format!(
                "to another host, {}",
                target.host_str().unwrap_or("(none)")
            ));
        }
    } else {
        notes.push("the Location is not a valid URL".to_string());
    }
    let notes_text = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    let mut check = Check::fail(
        CheckId::HttpAccess,
        format!("GET {url}: {status_text}, redirects to {shown}{notes_text}; redirects are not followed"),
        Remedy::MetadataRedirect,
    )
    .with_detail("location", shown);
    if let Some(target) = resolved {
        check = check.with_detail("location_resolved", target.as_str());
    }
    check
}

fn same_resource(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
        && a.query() == b.query()
}

fn judge_content(facts: &HttpFacts) -> Check {
    let content_type = facts
        .content_type()
        .map(sanitize_header)
        .unwrap_or_else(|| "no Content-Type".to_string());
    let check = match &facts.body {
        BodyOutcome::NotRead => Check::skip(CheckId::HttpContent, "the body was not read"),
        BodyOutcome::TooLarge { declared } => {
            let size = match declared {
                Some(len) => format!("Content-Length {len}"),
                None => "more than that was sent".to_string(),
            };
            Check::fail(
                CheckId::HttpContent,
                format!(
                    "the answer is larger than {} MiB ({size}); a metadata document is a few KiB",
                    BODY_LIMIT >> 20
                ),
                Remedy::MetadataTooLarge,
            )
        }
        BodyOutcome::TimedOut { received, after } => Check::fail(
            CheckId::HttpContent,
            format!("the body stalled: timed out after {after} with {received} bytes received"),
            Remedy::TimedOut,
        )
        .with_detail("received_bytes", *received),
        BodyOutcome::Failed { received, error } => Check::fail(
            CheckId::HttpContent,
            format!(
                "the body broke off after {received} bytes: {}",
                sanitize(error, 200)
            ),
            Remedy::MetadataServerError,
        )
        .with_detail("received_bytes", *received),
        BodyOutcome::Complete(body) => judge_body(facts, body),
    };
    check.with_detail("content_type", content_type)
}

fn judge_body(facts: &HttpFacts, body: &[u8]) -> Check {
    let document = strip_bom(body);
    if document.iter().all(u8::is_ascii_whitespace) {
        return Check::fail(
            CheckId::HttpContent,
            "the answer has an empty body, not the JSON metadata document",
            Remedy::MetadataNotJson,
        );
    }
    let media_type = facts.media_type();
    if looks_like_html(media_type.as_deref(), document) {
        let text = String::from_utf8_lossy(&document[..document.len().min(64 * 1024)]);
        let lower = text.to_ascii_lowercase();
        let title = html_title(&text);
        let mut summary = match &title {
            Some(t) => format!("the answer is an HTML page titled \"{t}\", not JSON"),
            None => "the answer is an HTML page, not JSON".to_string(),
        };
        if let Some(hint) = marker_hint(&lower) {
            summary.push_str(&format!(" (it looks like {hint})"));
        } else if lower.contains("type=\"password\"") || lower.contains("type='password'") {
            summary.push_str(" (a sign-in form)");
        }
        let mut check = Check::fail(CheckId::HttpContent, summary, Remedy::MetadataNotJson)
            .with_detail("body_start", first_bytes(document));
        if let Some(t) = title {
            check = check.with_detail("html_title", t);
        }
        return check;
    }
    match serde_json::from_slice::<Value>(document) {
        Ok(_) => {
            let mut check = Check::pass(
                CheckId::HttpContent,
                format!("JSON document, {} bytes", document.len()),
            )
            .with_detail("bytes", document.len());
            if document.len() != body.len() {
                check = check.with_detail("utf8_bom", true);
            }
            check
        }
        // Valid JSON nested deeper than the parser follows is still JSON: the
        // answer is what was asked for, and `metadata.document` names the fault.
        Err(error) if error.to_string().contains("recursion limit") => Check::pass(
            CheckId::HttpContent,
            format!(
                "JSON document, {} bytes, nested deeper than a JSON parser follows (see metadata.document)",
                document.len()
            ),
        )
        .with_detail("bytes", document.len())
        .with_detail("json_error", error.to_string()),
        // `1e99999` is a JSON number (the grammar has no limit); only the
        // parser cannot hold it. The answer is JSON, as asked for.
        Err(error) if error.to_string().contains("number out of range") => Check::pass(
            CheckId::HttpContent,
            format!(
                "JSON document, {} bytes, with a number too large for a JSON parser to hold (see metadata.document)",
                document.len()
            ),
        )
        .with_detail("bytes", document.len())
        .with_detail("json_error", error.to_string()),
        Err(error) => {
            let kind = match media_type.as_deref() {
                Some(mt) if mt.contains("xml") => format!("XML ({mt})"),
                Some(mt) => mt.to_string(),
                None => "a body with no Content-Type".to_string(),
            };
            // The request offers no compression (no Accept-Encoding); a server
            // or proxy that compresses anyway sends bytes no JSON parser reads.
            let encoding = facts
                .header("content-encoding")
                .map(str::trim)
                .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"));
            let summary = match encoding {
                Some(encoding) => format!(
                    "the answer is {kind} compressed with Content-Encoding {}, though the request offered no compression: not readable JSON as sent; it starts \"{}\"",
                    sanitize_header(encoding),
                    first_bytes(document)
                ),
                None => format!(
                    "the answer is {kind}, not JSON; it starts \"{}\"",
                    first_bytes(document)
                ),
            };
            let mut check = Check::fail(CheckId::HttpContent, summary, Remedy::MetadataNotJson)
                .with_detail("json_error", error.to_string())
                .with_detail("body_start", first_bytes(document));
            if let Some(encoding) = encoding {
                check = check.with_detail("content_encoding", sanitize_header(encoding));
            }
            check
        }
    }
}

/// The body without a UTF-8 byte order mark, which JSON parsers refuse but
/// Windows servers sometimes send.
pub fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

fn looks_like_html(media_type: Option<&str>, body: &[u8]) -> bool {
    if matches!(
        media_type,
        Some("text/html") | Some("application/xhtml+xml")
    ) {
        return true;
    }
    let start = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let trimmed = start.trim_start();
    trimmed.starts_with("<!doctype html") || start.contains("<html")
}

/// The `<title>` of an HTML page, entities decoded, whitespace collapsed, at most 80 characters.
pub fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let raw = &html[start..end];
    let decoded = raw
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ");
    let collapsed = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        None
    } else {
        Some(sanitize(&collapsed, 80))
    }
}

/// The first bytes of a body, printable and short.
fn first_bytes(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(240)]);
    sanitize(text.trim(), 80)
}

fn sanitize_header(value: &str) -> String {
    sanitize(value, 300)
}

/// Text from a server made safe for a report: control characters replaced,
/// whitespace collapsed, at most `max` characters (with an ellipsis).
pub fn sanitize(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > max {
        let cut: String = collapsed.chars().take(max).collect();
        format!("{cut}…")
    } else {
        collapsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMURL: &str = "https://mail.contoso.com/autodiscover/metadata/json/1";

    fn facts(status: u16, reason: &str, headers: &[(&str, &str)], body: BodyOutcome) -> HttpFacts {
        HttpFacts {
            url: Url::parse(AMURL).expect("url"),
            version: "HTTP/1.1".into(),
            status,
            reason: reason.into(),
            sent_reason: None,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body,
        }
    }

    fn json_body() -> BodyOutcome {
        BodyOutcome::Complete(br#"{"id":"_1","keys":[]}"#.to_vec())
    }

    fn access(f: &HttpFacts) -> Check {
        judge(f).remove(0)
    }

    fn content(f: &HttpFacts) -> Check {
        judge(f).remove(1)
    }

    #[test]
    fn a_200_with_json_passes_both_checks() {
        let f = facts(
            200,
            "OK",
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("server", "Microsoft-IIS/10.0"),
            ],
            json_body(),
        );
        let checks = judge(&f);
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].id, CheckId::HttpAccess);
        assert_eq!(checks[0].status, Status::Pass);
        assert_eq!(checks[1].id, CheckId::HttpContent);
        assert_eq!(checks[1].status, Status::Pass);
        assert_eq!(checks[0].details["status_line"], "HTTP/1.1 200 OK");
        assert_eq!(checks[0].details["headers"]["server"], "Microsoft-IIS/10.0");
    }

    #[test]
    fn a_json_body_with_a_byte_order_mark_passes_and_says_so() {
        let mut body = b"\xEF\xBB\xBF".to_vec();
        body.extend_from_slice(br#"{"keys":[]}"#);
        let f = facts(200, "OK", &[], BodyOutcome::Complete(body));
        let c = content(&f);
        assert_eq!(c.status, Status::Pass);
        assert_eq!(c.details["utf8_bom"], true);
    }

    #[test]
    fn a_401_names_every_challenge_from_every_header() {
        let f = facts(
            401,
            "Unauthorized",
            &[
                ("www-authenticate", "Negotiate"),
                ("www-authenticate", "NTLM"),
                ("www-authenticate", "Basic realm=\"mail.contoso.com\""),
            ],
            BodyOutcome::NotRead,
        );
        let a = access(&f);
        assert_eq!(a.status, Status::Fail);
        assert_eq!(a.remedy, Some(Remedy::MetadataAuthentication));
        for scheme in ["Negotiate", "NTLM", "Basic realm=\"mail.contoso.com\""] {
            assert!(a.summary.contains(scheme), "{scheme} in {}", a.summary);
        }
        assert!(a.summary.contains("Windows authentication"));
        assert_eq!(a.details["schemes"], json!(["Negotiate", "NTLM", "Basic"]));
        let c = content(&f);
        assert_eq!(c.status, Status::Skip);
    }

    #[test]
    fn comma_joined_challenges_are_split_without_breaking_parameters() {
        let parsed = parse_challenges([
            "Negotiate, NTLM",
            "Bearer realm=\"a, b\", error=\"invalid_token\", Basic realm=\"x\"",
        ]);
        let schemes: Vec<&str> = parsed.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, vec!["Negotiate", "NTLM", "Bearer", "Basic"]);
        assert_eq!(parsed[2].params, "realm=\"a, b\", error=\"invalid_token\"");
        assert_eq!(parsed[3].display(), "Basic realm=\"x\"");
        let token = parse_challenges(["Negotiate oYIBGzCCARegAwoBAaEL=="]);
        assert_eq!(token.len(), 1);
        assert_eq!(token[0].scheme, "Negotiate");
        assert_eq!(token[0].params, "oYIBGzCCARegAwoBAaEL==");
    }

    #[test]
    fn a_401_with_bearer_names_it_and_one_without_challenge_says_so() {
        let bearer = facts(
            401,
            "Unauthorized",
            &[(
                "www-authenticate",
                "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"x\"",
            )],
            BodyOutcome::NotRead,
        );
        let a = access(&bearer);
        assert!(a.summary.contains("Bearer client_id="));
        assert!(!a.summary.contains("Windows"));
        let bare = facts(401, "Unauthorized", &[], BodyOutcome::NotRead);
        assert!(access(&bare).summary.contains("no WWW-Authenticate"));
    }

    #[test]
    fn statuses_map_to_their_remedies() {
        let cases = [
            (403, "Forbidden", Remedy::MetadataForbidden),
            (404, "Not Found", Remedy::MetadataNotFound),
            (410, "Gone", Remedy::MetadataNotFound),
            (429, "Too Many Requests", Remedy::MetadataForbidden),
            (500, "Internal Server Error", Remedy::MetadataServerError),
            (503, "Service Unavailable", Remedy::MetadataServerError),
            (302, "Found", Remedy::MetadataRedirect),
            (600, "", Remedy::MetadataServerError),
        ];
        for (status, reason, remedy) in cases {
            let f = facts(status, reason, &[], BodyOutcome::NotRead);
            let checks = judge(&f);
            assert_eq!(checks[0].status, Status::Fail, "{status}");
            assert_eq!(checks[0].remedy, Some(remedy), "{status}");
            assert!(checks[0].summary.contains(&status.to_string()));
            assert_eq!(checks[1].status, Status::Skip, "{status}");
        }
        let bad_gateway = facts(502, "Bad Gateway", &[], BodyOutcome::NotRead);
        assert!(access(&bad_gateway).summary.contains("reverse proxy"));
    }

    #[test]
    fn other_2xx_warn_and_their_body_is_still_judged() {
        let f = facts(204, "No Content", &[], BodyOutcome::Complete(Vec::new()));
        let checks = judge(&f);
        assert_eq!(checks[0].status, Status::Warn);
        assert_eq!(checks[1].status, Status::Fail);
        assert!(checks[1].summary.contains("empty body"));
    }

    #[test]
    fn a_redirect_reports_the_location_and_spots_login_pages() {
        let cases = [
            (
                "https://sts.contoso.com/adfs/ls/?wa=wsignin1.0",
                "AD FS",
                Remedy::FrontEndAdfs,
            ),
            (
                "/owa/auth/logon.aspx?url=https%3a%2f%2fmail",
                "Outlook on the web",
                Remedy::FrontEndOwaForms,
            ),
            (
                "https://mail.contoso.com/my.policy",
                "F5",
                Remedy::FrontEndF5,
            ),
            (
                "https://login.microsoftonline.com/common/oauth2/authorize",
                "Entra",
                Remedy::MetadataRedirect,
            ),
            (
                "https://portal.contoso.com/login?next=/",
                "a login page",
                Remedy::MetadataRedirect,
            ),
        ];
        for (location, hint, remedy) in cases {
            let f = facts(
                302,
                "Found",
                &[("location", location)],
                BodyOutcome::NotRead,
            );
            let a = access(&f);
            assert_eq!(a.status, Status::Fail);
            assert_eq!(a.remedy, Some(remedy), "{location}");
            assert!(a.summary.contains(location), "{}", a.summary);
            assert!(a.summary.contains(hint), "{hint} in {}", a.summary);
            assert_eq!(a.details["location"], location);
        }
    }

    #[test]
    fn a_front_end_is_named_with_its_own_remedy_where_it_caused_the_failure() {
        let proxy = facts(
            302,
            "Found",
            &[(
                "location",
                "https://login.microsoftonline.com/t/oauth2/authorize?redirect_uri=https%3a%2f%2fmail-contoso.msappproxy.net%2f&state=AppProxyState%3a1",
            )],
            BodyOutcome::NotRead,
        );
        let a = access(&proxy);
        assert_eq!(a.details["front_end"], "entra-app-proxy");
        assert_eq!(a.remedy, Some(Remedy::FrontEndEntraAppProxy));
        assert!(a.summary.contains("application proxy"), "{}", a.summary);
        // A bare redirect to Entra ID names no product.
        let bare = facts(
            302,
            "Found",
            &[(
                "location",
                "https://login.microsoftonline.com/common/oauth2/authorize",
            )],
            BodyOutcome::NotRead,
        );
        assert!(!access(&bare).details.contains_key("front_end"));
        // A 404 through Cloudflare is the origin's 404: named, remedy kept.
        let not_found = facts(
            404,
            "Not Found",
            &[("server", "cloudflare"), ("cf-ray", "1-FRA")],
            BodyOutcome::NotRead,
        );
        let a = access(&not_found);
        assert_eq!(a.details["front_end"], "cloudflare");
        assert_eq!(a.remedy, Some(Remedy::MetadataNotFound));
        // Entra's sign-in page served on the amurl's own host fails http.content.
        let page = facts(
            200,
            "OK",
            &[("content-type", "text/html; charset=utf-8")],
            BodyOutcome::Complete(
                b"<html><head><title>Sign in to your account</title></head></html>".to_vec(),
            ),
        );
        let checks = judge(&page);
        assert_eq!(checks[1].status, Status::Fail);
        assert_eq!(checks[1].details["front_end"], "entra-app-proxy");
        assert_eq!(checks[1].remedy, Some(Remedy::FrontEndEntraAppProxy));
        assert_eq!(checks[0].status, Status::Pass);
        assert_eq!(checks[0].details["front_end"], "entra-app-proxy");
    }

    #[test]
    fn a_redirect_to_http_or_to_itself_is_named() {
        let to_http = facts(
            301,
            "Moved Permanently",
            &[(
                "location",
                "http://mail.contoso.com/autodiscover/metadata/json/1",
            )],
            BodyOutcome::NotRead,
        );
        assert!(access(&to_http).summary.contains("plain http"));
        let to_self = facts(302, "Found", &[("location", AMURL)], BodyOutcome::NotRead);
        assert!(access(&to_self).summary.contains("itself"));
        let elsewhere = facts(
            307,
            "Temporary Redirect",
            &[(
                "location",
                "https://other.example.net/autodiscover/metadata/json/1",
            )],
            BodyOutcome::NotRead,
        );
        let a = access(&elsewhere);
        assert!(a.summary.contains("another host, other.example.net"));
        assert!(!a.summary.contains("looks like"));
        let nowhere = facts(302, "Found", &[], BodyOutcome::NotRead);
        assert!(access(&nowhere).summary.contains("without a Location"));
    }

    #[test]
    fn an_html_login_page_is_not_json_and_its_title_is_shown() {
        let page = b"<!DOCTYPE html>\n<html><head><title>\n  Outlook &amp; Sign In </title></head>\
            <body><form action=\"/owa/auth.owa\"><input type=\"password\" name=\"password\"></form></body></html>";
        let f = facts(
            200,
            "OK",
            &[("content-type", "text/html; charset=utf-8")],
            BodyOutcome::Complete(page.to_vec()),
        );
        let c = content(&f);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.remedy, Some(Remedy::MetadataNotJson));
        assert!(
            c.summary.contains("HTML page titled \"Outlook & Sign In\""),
            "{}",
            c.summary
        );
        assert!(c.summary.contains("Outlook on the web"));
        assert_eq!(c.details["html_title"], "Outlook & Sign In");
        assert_eq!(access(&f).status, Status::Pass);
    }

    #[test]
    fn html_is_recognised_without_a_content_type_and_without_a_title() {
        let f = facts(
            200,
            "OK",
            &[],
            BodyOutcome::Complete(b"  <html><body>hello</body></html>".to_vec()),
        );
        let c = content(&f);
        assert!(
            c.summary.contains("an HTML page, not JSON"),
            "{}",
            c.summary
        );
        assert_eq!(c.details["content_type"], "no Content-Type");
    }

    #[test]
    fn long_titles_are_truncated() {
        let title = "x".repeat(200);
        let shown = html_title(&format!("<title>{title}</title>")).expect("title");
        assert_eq!(shown.chars().count(), 81);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn other_non_json_names_the_type_and_the_first_bytes_sanitised() {
        let f = facts(
            200,
            "OK",
            &[("content-type", "text/plain")],
            BodyOutcome::Complete(b"Service\x07 temporarily\r\n unavailable".to_vec()),
        );
        let c = content(&f);
        assert_eq!(c.status, Status::Fail);
        assert!(c.summary.contains("text/plain"));
        assert!(
            c.summary.contains("\"Service temporarily unavailable\""),
            "{}",
            c.summary
        );
        let xml = facts(
            200,
            "OK",
            &[("content-type", "text/xml")],
            BodyOutcome::Complete(b"<?xml version=\"1.0\"?><a/>".to_vec()),
        );
        assert!(content(&xml).summary.contains("XML (text/xml)"));
        let long = facts(200, "OK", &[], BodyOutcome::Complete(vec![b'a'; 5000]));
        let c = content(&long);
        assert!(c.summary.contains("no Content-Type"));
        assert!(c.summary.len() < 200);
    }

    #[test]
    fn a_compressed_body_says_so_and_is_not_inflated() {
        let gzip = facts(
            200,
            "OK",
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            BodyOutcome::Complete(vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0xed, 0xc1]),
        );
        let c = content(&gzip);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.summary.contains(
                "compressed with Content-Encoding gzip, though the request offered no compression"
            ),
            "{}",
            c.summary
        );
        assert_eq!(c.details["content_encoding"], "gzip");
        let identity = facts(
            200,
            "OK",
            &[("content-encoding", "identity")],
            BodyOutcome::Complete(b"nope".to_vec()),
        );
        assert!(!content(&identity).summary.contains("compressed"));
    }

    #[test]
    fn json_nested_too_deep_is_still_json_here() {
        let deep = format!("{{\"keys\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        let f = facts(
            200,
            "OK",
            &[("content-type", "application/json")],
            BodyOutcome::Complete(deep.into_bytes()),
        );
        let c = content(&f);
        assert_eq!(c.status, Status::Pass, "{}", c.summary);
        assert!(c.summary.contains("see metadata.document"), "{}", c.summary);
        let broken = facts(
            200,
            "OK",
            &[],
            BodyOutcome::Complete(b"{\"keys\":[".to_vec()),
        );
        assert_eq!(content(&broken).status, Status::Fail);
    }

    #[test]
    fn a_number_that_overflows_is_still_json() {
        let f = facts(
            200,
            "OK",
            &[("content-type", "application/json")],
            BodyOutcome::Complete(b"{\"keys\":[], \"n\": 1e99999}".to_vec()),
        );
        let c = content(&f);
        assert_eq!(c.status, Status::Pass, "{}", c.summary);
        assert!(c.summary.contains("number too large"), "{}", c.summary);
        let judged = crate::metadata::judge(
            b"{\"keys\":[], \"n\": -1e99999}",
            time::OffsetDateTime::UNIX_EPOCH,
        );
        let document = &judged.checks[0];
        assert_eq!(document.id, CheckId::MetadataDocument);
        assert!(
            document
                .summary
                .contains("is JSON, but a number in it overflows"),
            "{}",
            document.summary
        );
    }

    #[test]
    fn an_empty_body_fails() {
        let f = facts(200, "OK", &[], BodyOutcome::Complete(b" \r\n".to_vec()));
        let c = content(&f);
        assert_eq!(c.status, Status::Fail);
        assert!(c.summary.contains("empty body"));
    }

    #[test]
    fn a_too_large_body_fails_with_its_declared_size() {
        let f = facts(
            200,
            "OK",
            &[("content-length", "2097152")],
            BodyOutcome::TooLarge {
                declared: Some(2 << 20),
            },
        );
        let c = content(&f);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.remedy, Some(Remedy::MetadataTooLarge));
        assert!(c
            .summary
            .contains("larger than 1 MiB (Content-Length 2097152)"));
        let counted = facts(200, "OK", &[], BodyOutcome::TooLarge { declared: None });
        assert!(content(&counted).summary.contains("more than that"));
    }

    #[test]
    fn a_stalled_body_is_a_content_timeout() {
        let f = facts(
            200,
            "OK",
            &[],
            BodyOutcome::TimedOut {
                received: 3,
                after: "15 s".into(),
            },
        );
        let checks = judge(&f);
        assert_eq!(checks[0].status, Status::Pass);
        assert_eq!(checks[1].status, Status::Fail);
        assert_eq!(checks[1].remedy, Some(Remedy::TimedOut));
        assert!(checks[1].summary.contains("timed out after 15 s"));
        let broken = facts(
            200,
            "OK",
            &[],
            BodyOutcome::Failed {
                received: 10,
                error: "connection reset".into(),
            },
        );
        assert!(content(&broken)
            .summary
            .contains("broke off after 10 bytes"));
    }

    #[test]
    fn plain_http_fails_access_but_still_judges_the_body() {
        let mut f = facts(200, "OK", &[], json_body());
        f.url = Url::parse("http://mail.contoso.com/autodiscover/metadata/json/1").expect("url");
        let checks = judge(&f);
        assert_eq!(checks[0].status, Status::Fail);
        assert_eq!(checks[0].remedy, Some(Remedy::UseHttps));
        assert!(checks[0].summary.contains("plain http"));
        assert_eq!(checks[1].status, Status::Pass);
        let mut upgrade = facts(
            301,
            "Moved Permanently",
            &[("location", AMURL)],
            BodyOutcome::NotRead,
        );
        upgrade.url = f.url.clone();
        let a = access(&upgrade);
        assert_eq!(a.remedy, Some(Remedy::UseHttps));
        assert!(
            a.summary
                .contains(&format!("301 Moved Permanently to {AMURL}")),
            "{}",
            a.summary
        );
    }

    #[test]
    fn header_values_are_sanitised_and_cookie_values_never_shown() {
        let f = facts(
            403,
            "Forbidden",
            &[
                ("server", "BigIP\r\nInjected: yes"),
                ("via", "1.1 proxy-a"),
                ("via", "1.1 proxy-b"),
                ("set-cookie", "MRHSession=secretvalue; path=/"),
            ],
            BodyOutcome::NotRead,
        );
        let a = access(&f);
        assert_eq!(a.details["headers"]["server"], "BigIP Injected: yes");
        assert_eq!(
            a.details["headers"]["via"],
            json!(["1.1 proxy-a", "1.1 proxy-b"])
        );
        assert_eq!(a.details["set_cookie_names"], json!(["MRHSession"]));
        assert!(!serde_json::to_string(&a.details)
            .expect("json")
            .contains("secretvalue"));
    }

    #[test]
    fn login_hints_leave_ordinary_urls_alone() {
        let plain =
            Url::parse("https://mail.contoso.com/autodiscover/metadata/json/1/").expect("url");
        assert_eq!(login_hint(&plain), None);
        let f5 = Url::parse("https://mail.contoso.com/vdesk/hangup.php3").expect("url");
        assert!(login_hint(&f5).expect("hint").contains("F5"));
    }
}
