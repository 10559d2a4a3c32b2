//! The audiences of Microsoft's own APIs. A token for one of them is in a
//! format only Microsoft can validate ("Access tokens": "don't validate
//! tokens for Microsoft Graph or other Microsoft APIs"), so a server such as
//! SSI must be sent a token for its own API instead.

/// One Microsoft API, as `aud` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MicrosoftApi {
    /// The `aud` value (an application id or the resource URL).
    pub audience: &'static str,
    /// The API's name, for the summary.
    pub name: &'static str,
    /// The public source that shows this audience.
    pub source: &'static str,
}

const ACCESS_TOKENS: &str = "https://learn.microsoft.com/entra/identity-platform/access-tokens";

/// Every Microsoft API audience the tool recognises.
pub const MICROSOFT_APIS: [MicrosoftApi; 5] = [
    MicrosoftApi {
        audience: "00000003-0000-0000-c000-000000000000",
        name: "Microsoft Graph",
        source: ACCESS_TOKENS,
    },
    MicrosoftApi {
        audience: "https://graph.microsoft.com",
        name: "Microsoft Graph",
        source: ACCESS_TOKENS,
    },
    // Exchange's service principal (also the issuer of Exchange's own tokens).
    MicrosoftApi {
        audience: "00000002-0000-0ff1-ce00-000000000000",
        name: "Exchange Online",
        source: "https://learn.microsoft.com/office/dev/add-ins/outlook/faq-nested-app-auth-outlook-legacy-tokens",
    },
    // What an NAA request with only `openid profile` came back with.
    MicrosoftApi {
        audience: "https://outlook.office.com",
        name: "Outlook (Exchange Online)",
        source: "https://github.com/OfficeDev/office-js/issues/5069",
    },
    MicrosoftApi {
        audience: "https://outlook.office365.com",
        name: "Outlook (Exchange Online)",
        source: "https://github.com/OfficeDev/office-js/issues/5069",
    },
];

/// The Microsoft API `aud` names, if it is one (case and a trailing slash
/// ignored).
pub fn microsoft_api(aud: &str) -> Option<&'static MicrosoftApi> {
    let aud = aud.trim().trim_end_matches('/');
    MICROSOFT_APIS
        .iter()
        .find(|api| api.audience.eq_ignore_ascii_case(aud))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_apis_are_recognised_and_an_add_ins_own_api_is_not() {
        assert_eq!(
            microsoft_api("00000003-0000-0000-c000-000000000000").map(|a| a.name),
            Some("Microsoft Graph")
        );
        assert!(microsoft_api("https://graph.microsoft.com/").is_some());
        assert!(microsoft_api("https://Outlook.Office.com").is_some());
        assert!(microsoft_api("api://ssi.contoso.test/5f3c1a0e").is_none());
        assert!(microsoft_api("5f3c1a0e-8d4b-4d5e-9a0f-2b1c3d4e5f60").is_none());
        for api in MICROSOFT_APIS {
            assert!(api.source.starts_with("https://"));
        }
    }
}
