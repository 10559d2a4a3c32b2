//! `token.kind`: what kind of JWT was pasted. Real tickets bring callback
//! tokens, attachment-download tokens and Entra ID tokens as often as identity
//! tokens; each is told by its own claims, listed here with the public source
//! it was learned from, most specific first (the contract: `owa-download` over
//! `exchange-callback`, both carrying `Exchange.Callback.V1`).

use serde_json::{Map, Value};

use super::decode::Token;
use super::TOKEN_VERSION;
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};

/// One kind of JWT the tool recognises (the contract's `details.kind`).
#[derive(Debug, Clone, Copy)]
pub struct TokenKind {
    /// The stable value of `details.kind`.
    pub id: &'static str,
    /// What it is, in words, for the summary.
    pub what: &'static str,
    /// What to do when it was pasted instead of an identity token; `None` for
    /// the identity token itself.
    pub remedy: Option<Remedy>,
    /// Whether a token's header and claims show this kind.
    matches: fn(&Claims) -> bool,
}

/// The header, claims and appctx of a token, as the matchers read them.
struct Claims<'a> {
    header: &'a Map<String, Value>,
    claims: &'a Map<String, Value>,
    appctx: &'a Map<String, Value>,
}

/// Exchange's service principal: an `aud` of `<this>/<host>@<realm>` is a token
/// for Exchange itself (callback and download tokens).
const EXCHANGE_PRINCIPAL: &str = "00000002-0000-0ff1-ce00-000000000000/";

impl<'a> Claims<'a> {
    /// What the matchers read of `token`.
    fn of(token: &'a Token) -> Self {
        Claims {
            header: token.header(),
            claims: token.claims(),
            appctx: token.appctx(),
        }
    }
}

impl Claims<'_> {
    /// A string claim of the payload or of appctx, payload first.
    fn text(&self, name: &str) -> Option<&str> {
        self.claims
            .get(name)
            .or_else(|| self.appctx.get(name))
            .and_then(Value::as_str)
    }

    /// The Exchange host of an `aud` in the resource form
    /// `00000002-0000-0ff1-ce00-000000000000/<host>@<realm>`.
    fn exchange_resource(&self) -> Option<&str> {
        let aud = self.claims.get("aud").and_then(Value::as_str)?;
        let rest = aud.get(EXCHANGE_PRINCIPAL.len()..)?;
        aud[..EXCHANGE_PRINCIPAL.len()]
            .eq_ignore_ascii_case(EXCHANGE_PRINCIPAL)
            .then(|| rest.split('@').next().unwrap_or(rest))
    }

    /// Whether the header's `x5t` equals its `kid`, as in Entra ID v1 tokens
    /// (Exchange Online's identity tokens carry `kid` in hex beside a base64url `x5t`).
    fn x5t_is_kid(&self) -> bool {
        let text = |name| self.header.get(name).and_then(Value::as_str);
        matches!((text("x5t"), text("kid")), (Some(x5t), Some(kid)) if !x5t.is_empty() && x5t == kid)
    }

    /// The `iss` when it is an Entra ID issuer.
    fn entra_issuer(&self) -> Option<&str> {
        let iss = self.claims.get("iss").and_then(Value::as_str)?;
        let host = url::Url::parse(iss).ok()?.host_str()?.to_ascii_lowercase();
        crate::entra::authorities::authority(&host).map(|_| iss)
    }

    /// What an Entra ID token is, in words: its version and whether it is an
    /// access token (it grants `scp` or `roles`) or an ID token.
    fn entra_words(&self) -> String {
        let version = match self.claims.get("ver").and_then(Value::as_str) {
            Some(v) => format!("v{v}"),
            None => match self.entra_issuer() {
                Some(iss) if iss.trim_end_matches('/').ends_with("/v2.0") => "v2.0".to_string(),
                Some(_) => "v1.0".to_string(),
                None => String::new(),
            },
        };
        let what = match token_use(self.claims) {
            TokenUse::Access => "access token",
            TokenUse::Id => "ID token",
        };
        let words: Vec<&str> = ["an Entra ID", &version, what]
            .into_iter()
            .filter(|w| !w.is_empty())
            .collect();
        words.join(" ")
    }
}

/// What an Entra token is for (`details.token_use`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    /// An access token: it grants delegated scopes (`scp`) or app roles (`roles`).
    Access,
    /// An ID token: the sign-in to the client itself.
    Id,
}

impl TokenUse {
    /// The stable value of `details.token_use`.
    pub fn id(self) -> &'static str {
        match self {
            TokenUse::Access => "access",
            TokenUse::Id => "id",
        }
    }
}

/// An Entra token with `scp` or `roles` is an access token; any other an ID
/// token ("Access token claims reference": only access tokens carry them).
pub fn token_use(claims: &Map<String, Value>) -> TokenUse {
    if claims.contains_key("scp") || claims.contains_key("roles") {
        TokenUse::Access
    } else {
        TokenUse::Id
    }
}

/// The kinds, most specific first; the last always matches.
pub const KINDS: [TokenKind; 5] = [
    // Outlook on the web attachment downloads: `appctxsender` OwaDownload@<tenant>,
    // `appctx.scope` OwaDownload and `aud` 00000002-…/attachments.office.net@<tenant>,
    // with `ver` Exchange.Callback.V1 too: the `token=` parameter of OWA
    // attachment URLs (`…/GetAttachmentThumbnail?id=…&token=eyJ…&animation=true`)
    // committed by mistake to public repositories on GitHub.
    TokenKind {
        id: "owa-download",
        what: "an Outlook on the web attachment-download token (appctxsender OwaDownload@…)",
        remedy: Some(Remedy::TokenKindOwaDownload),
        matches: |c| {
            c.text("appctxsender")
                .is_some_and(|s| starts_with_ignore_case(s, "OwaDownload@"))
                || c.text("scope")
                    .is_some_and(|s| s.eq_ignore_ascii_case("OwaDownload"))
                || c.exchange_resource()
                    .is_some_and(|host| host.eq_ignore_ascii_case("attachments.office.net"))
        },
    },
    // Callback tokens from getCallbackTokenAsync: `ver` Exchange.Callback.V1, `aud`
    // 00000002-0000-0ff1-ce00-000000000000/<Exchange host>@<tenant> (the resource
    // form: an identity token's aud is the add-in's URL), appctx with
    // oid/puid/smtp/upn/scope (Microsoft Learn, "Call back to Exchange from your
    // Outlook add-in"; a decoded one in OfficeDev/office-js issue 1810).
    TokenKind {
        id: "exchange-callback",
        what: "an Exchange callback token (ver Exchange.Callback.V1, from getCallbackTokenAsync)",
        remedy: Some(Remedy::TokenKindCallback),
        matches: |c| {
            c.text("ver")
                .is_some_and(|v| v.eq_ignore_ascii_case("Exchange.Callback.V1"))
                || c.exchange_resource().is_some()
                || (c.appctx.contains_key("smtp")
                    && c.appctx.contains_key("scope")
                    && !c.appctx.contains_key("amurl"))
        },
    },
    // Identity tokens from getUserIdentityTokenAsync: appctx.version ExIdTok.V1
    // (Microsoft Learn, "Inside the Exchange identity token"; the samples of an
    // on-premises and a hosted Exchange), or its shape (amurl and msexchuid) when
    // the version is damaged.
    TokenKind {
        id: "exchange-identity",
        what: "an Exchange user identity token",
        remedy: None,
        matches: |c| {
            c.appctx
                .get("version")
                .and_then(Value::as_str)
                .is_some_and(|v| v == TOKEN_VERSION)
                || (c.appctx.contains_key("amurl") && c.appctx.contains_key("msexchuid"))
        },
    },
    // Entra ID tokens: v1 `iss` https://sts.windows.net/<tid>/ (with `x5t` equal to
    // `kid`), v2 https://login.microsoftonline.com/<tid>/v2.0, the national clouds'
    // equivalents, and a `tid` claim (Microsoft identity platform, "Access token
    // claims reference"; MSAL issues on v1 and v2 issuers). Its chain is
    // walked on Entra's discovery document and keys (nested app authentication).
    TokenKind {
        id: "entra",
        what: "a Microsoft Entra ID token (nested app authentication or add-in SSO)",
        remedy: None,
        matches: |c| c.claims.contains_key("tid") || c.entra_issuer().is_some() || c.x5t_is_kid(),
    },
    TokenKind {
        id: "other-jwt",
        what: "a JWT that is not an Exchange user identity token",
        remedy: Some(Remedy::TokenKindOther),
        matches: |_| true,
    },
];

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// The kind of a decoded token: the first entry of [`KINDS`] that matches.
pub fn classify(token: &Token) -> &'static TokenKind {
    let claims = Claims::of(token);
    KINDS
        .iter()
        .find(|kind| (kind.matches)(&claims))
        .unwrap_or(&KINDS[KINDS.len() - 1])
}

/// The `details.kind` of a Microsoft Entra ID token.
pub const ENTRA: &str = "entra";

/// `token.kind`: passes for an Exchange user identity token, and for an
/// Entra ID token, whose chain is Entra's (nested app authentication).
pub(crate) fn check(token: &Token) -> Check {
    let kind = classify(token);
    let claims = Claims::of(token);
    let check = match kind.remedy {
        None if kind.id == ENTRA => {
            let used = token_use(token.claims());
            return Check::pass(
                CheckId::TokenKind,
                format!(
                    "{} (nested app authentication): checked on Entra ID's keys",
                    claims.entra_words()
                ),
            )
            .with_detail("kind", kind.id)
            .with_detail("token_use", used.id());
        }
        None => Check::pass(CheckId::TokenKind, kind.what),
        Some(remedy) => {
            let (what, after) = match kind.id {
                "exchange-callback" | "owa-download" => (
                    kind.what.to_string(),
                    claims
                        .exchange_resource()
                        .map(|host| {
                            format!(
                                "; it is meant for calls to Exchange at {}",
                                crate::text::excerpt(host, 80)
                            )
                        })
                        .unwrap_or_default(),
                ),
                _ => (kind.what.to_string(), String::new()),
            };
            Check::fail(
                CheckId::TokenKind,
                format!(
                    "this is {what}, not the Exchange user identity token SSI validates{after}"
                ),
                remedy,
            )
        }
    };
    check.with_detail("kind", kind.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::decode::decode;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::json;

    fn token(claims: Value) -> Token {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256","x5t":"abc"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let text = format!("{header}.{payload}.c2ln");
        decode(&text).token.expect("decodes")
    }

    fn kind_of(claims: Value) -> &'static str {
        classify(&token(claims)).id
    }

    #[test]
    fn identity_token_by_version_or_shape() {
        let appctx = json!({"version": "ExIdTok.V1", "amurl": "https://x/", "msexchuid": "u"});
        assert_eq!(
            kind_of(json!({"appctx": appctx.to_string()})),
            "exchange-identity"
        );
        let shape = json!({"amurl": "https://x/", "msexchuid": "u", "version": "V2"});
        assert_eq!(kind_of(json!({ "appctx": shape })), "exchange-identity");
    }

    #[test]
    fn callback_token_by_ver() {
        let claims = json!({
            "ver": "Exchange.Callback.V1",
            "aud": "00000002-0000-0ff1-ce00-000000000000/outlook.office365.com@tenant",
            "appctx": {"oid": "o", "puid": "p", "smtp": "a@b.c", "scope": "ParentItemId:x"}
        });
        assert_eq!(kind_of(claims), "exchange-callback");
    }

    #[test]
    fn owa_download_wins_over_callback() {
        let claims = json!({
            "ver": "Exchange.Callback.V1",
            "appctxsender": "OwaDownload@tenant",
            "appctx": {"scope": "OwaDownload"}
        });
        assert_eq!(kind_of(claims), "owa-download");
    }

    #[test]
    fn entra_by_issuer_or_tid() {
        assert_eq!(
            kind_of(json!({"iss": "https://sts.windows.net/t/"})),
            "entra"
        );
        assert_eq!(
            kind_of(json!({"iss": "https://login.microsoftonline.com/t/v2.0"})),
            "entra"
        );
        assert_eq!(kind_of(json!({"tid": "t"})), "entra");
    }

    #[test]
    fn entra_v1_by_x5t_equal_to_kid_but_not_exchange_onlines_hex_kid() {
        let text = |header: &str| {
            let header = URL_SAFE_NO_PAD.encode(header);
            let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
            decode(&format!("{header}.{payload}.c2ln"))
                .token
                .expect("decodes")
        };
        let v1 = text(
            r#"{"alg":"RS256","x5t":"nOo3ZDrODXEK1jKWhXslHR_KXEg","kid":"nOo3ZDrODXEK1jKWhXslHR_KXEg"}"#,
        );
        assert_eq!(classify(&v1).id, "entra");
        let exo = text(
            r#"{"alg":"RS256","x5t":"5dLw-NqTtnCcQ6nophQ8A9YvmoA","kid":"E5D2F0F8DA93B6709C43A9E8A6143C03D62F9A80"}"#,
        );
        assert_eq!(classify(&exo).id, "other-jwt");
    }

    #[test]
    fn anything_else_is_other_jwt() {
        assert_eq!(kind_of(json!({"sub": "x"})), "other-jwt");
    }

    #[test]
    fn the_identity_token_and_entra_tokens_pass() {
        let appctx = json!({"version": "ExIdTok.V1", "amurl": "https://x/", "msexchuid": "u"});
        let pass = check(&token(json!({ "appctx": appctx })));
        assert_eq!(pass.status, crate::report::Status::Pass);
        let entra = check(&token(json!({"tid": "t", "scp": "access_as_user"})));
        assert_eq!(entra.status, crate::report::Status::Pass);
        assert_eq!(entra.details["kind"], "entra");
        assert_eq!(entra.details["token_use"], "access");
        let id_token = check(&token(json!({"tid": "t", "nonce": "n"})));
        assert_eq!(id_token.details["token_use"], "id");
        let fail = check(&token(json!({"sub": "x"})));
        assert_eq!(fail.status, crate::report::Status::Fail);
        assert_eq!(fail.remedy, Some(Remedy::TokenKindOther));
    }
}
