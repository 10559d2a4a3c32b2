//! What `explain` knows: the messages, codes and builds a ticket brings, each
//! with what it means, which chain it belongs to, what to do, what to run next
//! and the public source that says so (the `[Rn]`/`[I-n]` tags of the NAA fact
//! sheet). Adding one is an entry here and its example in the tests.

use super::Chain;

/// SSI's add-in messages (the SSI knowledge base).
const R10: &str = "[R10] https://revenuegrid.com/ssi/docs/kb/articles/identity-token-error";
/// SAP KBA 3587410, NAA authentication in Office 365.
const R1: &str = "[R1] https://userapps.support.sap.com/sap/support/knowledge/en/3587410";
/// Microsoft's NAA and legacy token FAQ.
const R2: &str =
    "[R2] https://learn.microsoft.com/office/dev/add-ins/outlook/faq-nested-app-auth-outlook-legacy-tokens";
/// Office.js error codes.
const R17: &str =
    "[R17] https://learn.microsoft.com/office/dev/add-ins/reference/javascript-api-for-office-error-codes";
/// The NestedAppAuth requirement set and its minimum builds.
const R19: &str =
    "[R19] https://learn.microsoft.com/javascript/api/requirement-sets/common/nested-app-auth-requirement-sets";
/// The NAA FAQ as of August 2025, with the channel builds.
const R3B: &str = "[R3b] https://github.com/OfficeDev/office-js-docs-pr/blob/22733fd51fac2cde283dfd9ca2e45a48e34a3b87/docs/outlook/faq-nested-app-auth-outlook-legacy-tokens.md";
/// Entra's AADSTS reference.
const R21: &str = "[R21] https://learn.microsoft.com/entra/identity-platform/reference-error-codes";
/// Enabling NAA in an add-in (redirect registration).
const R6: &str =
    "[R6] https://learn.microsoft.com/office/dev/add-ins/develop/enable-nested-app-authentication-in-your-add-in";
/// SSO in event-based activation (the allow-list file).
const R20: &str =
    "[R20] https://learn.microsoft.com/office/dev/add-ins/develop/use-sso-in-event-based-activation";
/// MSAL's mapping of bridge errors.
const R31: &str = "[R31] https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/src/naa/mapping/NestedAppAuthAdapter.ts";
/// Turning legacy Exchange Online tokens on or off.
const R5C: &str = "[R5c] https://github.com/OfficeDev/office-js-docs-pr/blob/e134af9d5e2d44c8c25e38c2e8d75ac0bf750d0c/docs/outlook/turn-exchange-tokens-on-off.md";
/// Validating Entra access tokens.
pub(super) const R23: &str =
    "[R23] https://learn.microsoft.com/entra/identity-platform/access-tokens";
/// The SSI knowledge base, for the legacy token and its amurl.
pub(super) const SSI_KB: &str = R10;
/// Microsoft's FAQ, for telling Exchange Online from on-premises mailboxes.
pub(super) const MAILBOX_SOURCE: &str = R2;

/// Where the current text of any AADSTS code is.
pub const AADSTS_LOOKUP: &str = "https://login.microsoftonline.com/error?code=";

/// What a recognised piece of text is (`kind` in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A message SSI's add-in shows.
    SsiMessage,
    /// A message of Microsoft's sign-in, MSAL or Exchange Online.
    MicrosoftMessage,
    /// A code of Microsoft's sign-in pop-up ("Something went wrong. [7q6ck]").
    SigninCode,
    /// A Microsoft Entra ID error code.
    Aadsts,
    /// An Office.js error code.
    OfficeJs,
    /// An Outlook version or build.
    OutlookBuild,
    /// A JWT pasted in the text.
    Token,
    /// An authentication metadata URL.
    Amurl,
    /// An e-mail address.
    EmailAddress,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 9] = [
        Kind::SsiMessage,
        Kind::MicrosoftMessage,
        Kind::SigninCode,
        Kind::Aadsts,
        Kind::OfficeJs,
        Kind::OutlookBuild,
        Kind::Token,
        Kind::Amurl,
        Kind::EmailAddress,
    ];

    /// The stable value of `kind`.
    pub fn id(self) -> &'static str {
        match self {
            Kind::SsiMessage => "ssi-message",
            Kind::MicrosoftMessage => "microsoft-message",
            Kind::SigninCode => "signin-code",
            Kind::Aadsts => "aadsts",
            Kind::OfficeJs => "office-js",
            Kind::OutlookBuild => "outlook-build",
            Kind::Token => "token",
            Kind::Amurl => "amurl",
            Kind::EmailAddress => "email-address",
        }
    }

    /// What it is, in words, for the human format.
    pub fn words(self) -> &'static str {
        match self {
            Kind::SsiMessage => "SSI add-in message",
            Kind::MicrosoftMessage => "Microsoft message",
            Kind::SigninCode => "Microsoft sign-in pop-up code",
            Kind::Aadsts => "Microsoft Entra ID error",
            Kind::OfficeJs => "Office.js error",
            Kind::OutlookBuild => "Outlook version",
            Kind::Token => "token",
            Kind::Amurl => "authentication metadata URL",
            Kind::EmailAddress => "e-mail address",
        }
    }
}

/// One thing `explain` recognises by a phrase or a code.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// What it is.
    pub kind: Kind,
    /// The code or short name (`7q6ck`, `AADSTS700046`, `9017`, the message).
    pub code: &'static str,
    /// The phrases that recognise it, in lower case (spacing and case are
    /// ignored when matching); empty for codes matched by their number.
    pub phrases: &'static [&'static str],
    /// Which chain it belongs to.
    pub chain: Chain,
    /// What it means.
    pub meaning: &'static str,
    /// Who must do what.
    pub remedy: &'static str,
    /// What to run or look at next.
    pub next: &'static str,
    /// The public source, `[Rn] URL`.
    pub source: &'static str,
    /// The text as a ticket carries it (the tests feed every example).
    pub example: &'static str,
}

const NEXT_TOKEN: &str = "Have the user copy the identity token the add-in sends (browser developer tools, or SSI's log) and run `idtoken-doctor diagnose @token.txt`; with only the Exchange host, `idtoken-doctor probe HOST`; with only the user's address, `idtoken-doctor probe ADDRESS`.";

const NEXT_MAILBOX: &str = "`idtoken-doctor probe ADDRESS` with the user's e-mail address: it says whether the mailbox is in Exchange Online (NAA) or on-premises (legacy token) and walks that chain.";

const NEXT_ENTRA: &str = "Entra admin center > Monitoring & health > Sign-in logs: filter by the error code, read the Failure reason (the Trace ID and Correlation ID of the message find the entry).";

/// Messages matched by a phrase.
pub const MESSAGES: &[Entry] = &[
    Entry {
        kind: Kind::SsiMessage,
        code: "Unable to validate the client identity token",
        phrases: &["unable to validate the client identity token"],
        chain: Chain::Legacy,
        meaning: "SSI received the Exchange user identity token but could not validate it: it could not download the authentication metadata document at the token's amurl from the internet, anonymously (an internal host, a firewall, authentication on the URL), or the key in it does not verify the token.",
        remedy: "The customer's Exchange admin makes https://HOST/autodiscover/metadata/json/1 reachable from the internet without authentication (or allows SSI's IP ranges), and lets SSI call EWS. From an Exchange Online mailbox it means the add-in still asks for the legacy token, which Microsoft turned off: update the SSI add-in (SAP KBA 3587410).",
        next: NEXT_TOKEN,
        source: R10,
        example: "Unable to validate the client identity token. Please restart the e-mail client",
    },
    Entry {
        kind: Kind::SsiMessage,
        code: "Unable to load the identity token",
        phrases: &["unable to load the identity token"],
        chain: Chain::Legacy,
        meaning: "The SSI add-in could not get or use the Exchange user identity token: the same broken chain as \"Unable to validate the client identity token\" (the metadata URL is internal, behind a firewall or needs authentication), or, for an Exchange Online mailbox, legacy tokens are off.",
        remedy: "On-premises: the Exchange admin makes the metadata URL reachable from the internet, anonymously. Exchange Online: legacy tokens are gone for good since 31 October 2025; the SSI add-in must use nested app authentication (update it, SAP KBA 3587410).",
        next: NEXT_MAILBOX,
        source: R10,
        example: "Unable to load the identity token. Please restart Microsoft Outlook",
    },
    Entry {
        kind: Kind::SsiMessage,
        code: "Looks like your login session has expired",
        phrases: &["looks like your login session has expired"],
        chain: Chain::Legacy,
        meaning: "The SSI add-in keeps refreshing its session and stops: SSI cannot validate the identity token the add-in sends (restarting Outlook and resetting the password do not help).",
        remedy: "The customer's Exchange admin makes the metadata URL named in the token reachable from the internet without authentication, or allows SSI's IP ranges (`idtoken-doctor ssi-ips`).",
        next: NEXT_TOKEN,
        source: R10,
        example: "Looks like your login session has expired. We will refresh it",
    },
    Entry {
        kind: Kind::SsiMessage,
        code: "Failed to load Identity token",
        phrases: &["failed to load identity token"],
        chain: Chain::Naa,
        meaning: "The SSI add-in shows a blank screen after this: the mailbox's tenant no longer issues legacy Exchange tokens (Microsoft began turning them off on 17 February 2025; all exemptions ended on 31 October 2025) and the add-in does not yet authenticate with nested app authentication.",
        remedy: "Update the end user's SAP add-in installation (SAP KBA 3587410, step 2); SAP's Groupware tenant uses NAA by default. Re-enabling legacy tokens (step 1 of the KBA) is no longer possible in Exchange Online.",
        next: NEXT_MAILBOX,
        source: R1,
        example: "Failed to load Identity token",
    },
    Entry {
        kind: Kind::MicrosoftMessage,
        code: "You can't get there from here",
        phrases: &["you can't get there from here", "you cannot get there from here"],
        chain: Chain::Naa,
        meaning: "Microsoft's sign-in pop-up refused the nested app authentication request because of a Conditional Access policy that restricts the client or platform (the deprecated \"approved client app\" grant, AADSTS530021 on mobile).",
        remedy: "The customer's Entra admin removes the \"approved client app\" grant from the Conditional Access policy and uses the \"application protection policy\" grant instead.",
        next: NEXT_ENTRA,
        source: R2,
        example: "You can't get there from here",
    },
    Entry {
        kind: Kind::OfficeJs,
        code: "GenericTokenError",
        phrases: &["generictokenerror"],
        chain: Chain::Legacy,
        meaning: "Office.js could not get a legacy Exchange token (getUserIdentityTokenAsync or getCallbackTokenAsync): Exchange Online has legacy tokens turned off (error 9017 or 9018, \"An internal error has occurred\").",
        remedy: "The add-in must use nested app authentication for Exchange Online mailboxes: update the SSI add-in (SAP KBA 3587410). Legacy tokens can no longer be turned back on.",
        next: NEXT_MAILBOX,
        source: R17,
        example: "GenericTokenError: An internal error has occurred.",
    },
    Entry {
        kind: Kind::MicrosoftMessage,
        code: "Legacy Exchange Online tokens are disabled",
        phrases: &["legacy exchange online tokens are disabled"],
        chain: Chain::Legacy,
        meaning: "Exchange Online's cmdlets say the tenant's legacy tokens are forced off, with no exemption: the tenant issues no identity tokens, so SSI's legacy chain cannot work there.",
        remedy: "The SSI add-in must use nested app authentication: update it (SAP KBA 3587410).",
        next: NEXT_MAILBOX,
        source: R5C,
        example: "WARNING: Legacy Exchange Online tokens are disabled. For more information, see <https://aka.ms/naafaq>.",
    },
    Entry {
        kind: Kind::MicrosoftMessage,
        code: "Nested App Auth Bridge available: false",
        phrases: &["nested app auth bridge available: false", "nested_app_auth_bridge_disabled", "nestedappauthunavailable"],
        chain: Chain::Client,
        meaning: "MSAL found no nested app authentication bridge in this Outlook: the client does not support NAA (an old build, Outlook 2016/2019, LTSC 2021, Semi-Annual Extended 2402, an Outlook.com or Gmail mailbox).",
        remedy: "Update Outlook to a build with requirement set NestedAppAuth 1.1 (paste the version from File > Office Account > About Outlook into `idtoken-doctor explain`), or use Outlook on the web.",
        next: "In Outlook: File > Office Account > About Outlook, then `idtoken-doctor explain \"Version ... (Build ...) CHANNEL\"`.",
        source: R19,
        example: "[MSAL] Nested App Auth Bridge available: false",
    },
    Entry {
        kind: Kind::MicrosoftMessage,
        code: "untrusted_origin",
        phrases: &["untrusted_origin", "the origin is not valid for nested app auth"],
        chain: Chain::Naa,
        meaning: "Nested app authentication refused the add-in's origin: in the event-based runtime the add-in's host must list its scripts in /.well-known/microsoft-officeaddins-allowed.json.",
        remedy: "The add-in's publisher (SAP) serves https://ORIGIN/.well-known/microsoft-officeaddins-allowed.json with the allowed script URLs.",
        next: "Send the message, the Outlook version and the add-in's origin to SAP support.",
        source: R20,
        example: "untrusted_origin: The origin is not valid for Nested App Auth.",
    },
    Entry {
        kind: Kind::MicrosoftMessage,
        code: "InteractionRequiredAuthError",
        phrases: &["interactionrequiredautherror", "interaction_required"],
        chain: Chain::Naa,
        meaning: "MSAL could not get a token silently: the user must sign in or consent in a pop-up (the bridge said UserInteractionRequired).",
        remedy: "Let the add-in open its sign-in pop-up; when the pop-up itself fails, its code (\"Something went wrong. [...]\" or AADSTS...) says why.",
        next: "Paste the pop-up's text into `idtoken-doctor explain`.",
        source: R31,
        example: "InteractionRequiredAuthError: interaction_required",
    },
];

/// Sign-in pop-up codes, matched inside brackets: `[7q6ck]`.
pub const SIGNIN_CODES: &[Entry] = &[
    Entry {
        kind: Kind::SigninCode,
        code: "7q6ck",
        phrases: &[],
        chain: Chain::Naa,
        meaning: "Microsoft's sign-in pop-up failed during nested app authentication. What 7q6ck means exactly is not published; Microsoft's FAQ ties \"Something went wrong. [code]\" to Conditional Access policies that restrict the client or platform, and SAP to legacy tokens being turned off.",
        remedy: "In this order: the Entra admin checks Conditional Access (remove the \"approved client app\" grant, use the \"application protection policy\" grant); then admin consent for SSI's add-in; then the Outlook build (NestedAppAuth 1.1). Update the SSI add-in (SAP KBA 3587410).",
        next: NEXT_ENTRA,
        source: R2,
        example: "Something went wrong. [7q6ck]",
    },
    Entry {
        kind: Kind::SigninCode,
        code: "7q6cl",
        phrases: &[],
        chain: Chain::Naa,
        meaning: "Microsoft's sign-in pop-up failed; in public reports [7q6cl] came with \"Access denied for the resource\": the app's own API permission was not consented (its exact meaning is not published).",
        remedy: "The Entra admin grants admin consent to the add-in's app and its own API scope (api://.../access_as_user), in Enterprise applications > Permissions, even when it already shows as granted.",
        next: NEXT_ENTRA,
        source: "[I-4767] https://github.com/OfficeDev/office-js/issues/4767",
        example: "Something went wrong. [7q6cl]",
    },
    Entry {
        kind: Kind::SigninCode,
        code: "9zj08",
        phrases: &[],
        chain: Chain::Naa,
        meaning: "Microsoft's sign-in pop-up failed during nested app authentication; its exact meaning is not published (one public report).",
        remedy: "Check Conditional Access, admin consent and the Outlook build, as for [7q6ck]; the sign-in log names the failure.",
        next: NEXT_ENTRA,
        source: "[I-5336] https://github.com/OfficeDev/office-js/issues/5336",
        example: "Something went wrong. [9zj08]",
    },
    Entry {
        kind: Kind::SigninCode,
        code: "5objp",
        phrases: &[],
        chain: Chain::Naa,
        meaning: "Microsoft's sign-in pop-up failed on mobile Outlook during nested app authentication; its exact meaning is not published (one public report).",
        remedy: "Check Conditional Access for mobile (the \"approved client app\" grant, Intune and Authenticator), admin consent and the Outlook app version (iOS/Android 4.2433.0 or later).",
        next: NEXT_ENTRA,
        source: "[I-6275] https://github.com/OfficeDev/office-js/issues/6275",
        example: "Something went wrong. [5objp]",
    },
];

/// The meaning of a pop-up code this table does not know.
pub const UNKNOWN_SIGNIN_CODE: Entry = Entry {
    kind: Kind::SigninCode,
    code: "",
    phrases: &["something went wrong"],
    chain: Chain::Naa,
    meaning: "Microsoft's sign-in pop-up failed during nested app authentication. What this code means is unknown: Microsoft publishes no list of these codes. Its FAQ ties \"Something went wrong. [code]\" to Conditional Access policies that restrict the client or platform.",
    remedy: "Check Conditional Access (the \"approved client app\" grant), then admin consent for SSI's add-in, then the Outlook build; the sign-in log names the failure.",
    next: NEXT_ENTRA,
    source: R2,
    example: "Something went wrong. [ab12x]",
};

/// AADSTS codes seen with nested app authentication.
pub const AADSTS: &[Entry] = &[
    aadsts("AADSTS50011", "The redirect URI of the request does not match the app's registration (InvalidReplyTo); with NAA, seen for a vanity Outlook on the web URL against OWA's own app.", "The add-in's publisher fixes the redirect registration; a vanity OWA URL is a known NAA limitation.", "[I-5540] https://github.com/OfficeDev/office-js/issues/5540"),
    aadsts("AADSTS700046", "Invalid reply address: nested app authentication needs a Single Page Application redirect brk-multihub://ORIGIN (origin only, no path) on the add-in's app registration; it is missing, of type Web, or has a path.", "The add-in's publisher registers the SPA redirect brk-multihub://ORIGIN for the add-in's origin.", R6),
    aadsts("AADSTS7000471", "A redirect starting with brk- was used for something other than brokering: the admin-consent URL hit the brk-multihub redirect.", "Register a normal https SPA redirect and list it first; use it in the admin-consent URL.", "[I-5196] https://github.com/OfficeDev/office-js/issues/5196"),
    aadsts("AADSTS9002326", "Cross-origin token redemption is only allowed for the SPA client type: the redirect is registered as Web. Seen on Outlook LTSC 2021, which has no NAA, so MSAL falls back to its standard flow.", "Register the redirect as Single Page Application; on LTSC 2021, update Outlook to a build with NAA.", R21),
    aadsts("AADSTS65001", "No user or admin consent for the app (DelegationDoesNotExist).", "The Entra admin grants admin consent to SSI's add-in app (Enterprise applications > app > Permissions).", R21),
    aadsts("AADSTS65002", "A Microsoft first-party app and resource need preauthorization: a Microsoft client ID is being reused.", "The add-in must use its own app registration, not a Microsoft client ID.", R21),
    aadsts("AADSTS90094", "Admin consent is required: user consent is disabled in the tenant.", "The Entra admin grants admin consent to SSI's add-in app.", R21),
    aadsts("AADSTS90095", "The admin-consent workflow interrupted sign-in: user consent is disabled and consent must be requested.", "The Entra admin approves the consent request for SSI's add-in app.", R21),
    aadsts("AADSTS700016", "The application was not found in the directory: a wrong client ID, or the wrong tenant or cloud.", "Check the add-in's client ID and the tenant (and cloud) the user signs in to.", R21),
    aadsts("AADSTS500011", "The resource principal was not found in the tenant: the API the add-in asks a token for (api://...) is not consented or provisioned in it.", "The Entra admin consents to the add-in's API in the tenant.", R21),
    aadsts("AADSTS90009", "The app asks a token for itself; it must name the resource by its GUID app ID (its own API given as an api:// URI).", "The add-in's publisher requests its own API by the GUID.", R21),
    aadsts("AADSTS53003", "Access was blocked by a Conditional Access policy.", "The Entra admin reads the sign-in log's Conditional Access tab and adjusts the policy for Outlook and the add-in.", R21),
    aadsts("AADSTS530032", "Blocked by a Conditional Access security policy.", "The Entra admin reads the sign-in log's Conditional Access tab and adjusts the policy.", R21),
    aadsts("AADSTS50105", "The signed-in user is not assigned to the application.", "The Entra admin assigns the user (or a group) to SSI's add-in app, or turns off assignment required.", R21),
    aadsts("AADSTS530021", "You can't get there from here: the \"approved client app\" Conditional Access grant on mobile, which NAA does not support.", "The Entra admin replaces the \"approved client app\" grant with the \"application protection policy\" grant.", "[I-5315] https://github.com/OfficeDev/office-js/issues/5315"),
    aadsts("AADSTS90038", "The tenant lives in another (national) cloud (NationalCloudTenantRedirection).", "Sign in to the tenant's own cloud authority.", R21),
    aadsts("AADSTS700084", "The single-page app's refresh token has a fixed lifetime and expired: a new sign-in is expected.", "Nothing to fix: the user signs in again.", R21),
];

/// An AADSTS entry (all belong to the NAA chain and point to the sign-in log).
const fn aadsts(
    code: &'static str,
    meaning: &'static str,
    remedy: &'static str,
    source: &'static str,
) -> Entry {
    Entry {
        kind: Kind::Aadsts,
        code,
        phrases: &[],
        chain: Chain::Naa,
        meaning,
        remedy,
        next: NEXT_ENTRA,
        source,
        example: code,
    }
}

/// The meaning of an AADSTS code this table does not know.
pub const UNKNOWN_AADSTS: Entry = Entry {
    kind: Kind::Aadsts,
    code: "",
    phrases: &[],
    chain: Chain::Naa,
    meaning: "A Microsoft Entra ID sign-in error: this code is not among those seen with nested app authentication that this tool knows; Microsoft's error lookup gives its current text.",
    remedy: "Read the code's text at Microsoft's lookup page and the sign-in log entry's failure reason.",
    next: NEXT_ENTRA,
    source: R21,
    example: "AADSTS123456",
};

/// Office.js error codes, matched as numbers.
pub const OFFICE_JS: &[Entry] = &[office_js("9017"), office_js("9018")];

const fn office_js(code: &'static str) -> Entry {
    Entry {
        kind: Kind::OfficeJs,
        code,
        phrases: &[],
        chain: Chain::Legacy,
        meaning: "Office.js error 9017/9018 (GenericTokenError, \"An internal error has occurred\"): getUserIdentityTokenAsync or getCallbackTokenAsync got no legacy Exchange token, because Exchange Online has legacy tokens turned off.",
        remedy: "The SSI add-in must use nested app authentication for Exchange Online mailboxes: update it (SAP KBA 3587410). Legacy tokens can no longer be turned back on.",
        next: NEXT_MAILBOX,
        source: R17,
        example: code,
    }
}

/// Where a Windows Outlook build comes from: its update channel or licence.
#[derive(Debug, Clone, Copy)]
pub struct Channel {
    /// Its name.
    pub name: &'static str,
    /// Lower-case phrases that name it in an About dialog or a ticket; the
    /// first channel whose phrase the text holds is the one (specific first).
    pub phrases: &'static [&'static str],
    /// The first version (YYMM) and build with NestedAppAuth 1.1; `None`: the
    /// channel has no NAA at all.
    pub minimum: Option<(u32, (u32, u32))>,
    /// The public source.
    pub source: &'static str,
}

/// Windows Outlook's channels and their first builds with nested app authentication.
pub const CHANNELS: &[Channel] = &[
    Channel {
        name: "Semi-Annual Enterprise Channel (Extended)",
        phrases: &[
            "semi-annual extended",
            "semi-annual enterprise channel (extended)",
            "semi annual extended",
            "extended channel",
        ],
        minimum: Some((2408, (17928, 20604))),
        source: R3B,
    },
    Channel {
        name: "Semi-Annual Enterprise Channel",
        phrases: &[
            "semi-annual enterprise channel",
            "semi annual enterprise channel",
            "semi-annual channel",
            "semi annual channel",
        ],
        minimum: Some((2408, (17928, 20392))),
        source: R3B,
    },
    Channel {
        name: "Monthly Enterprise Channel",
        phrases: &["monthly enterprise channel", "monthly enterprise"],
        minimum: Some((2409, (18025, 20000))),
        source: R19,
    },
    Channel {
        name: "Current Channel",
        phrases: &["current channel"],
        minimum: Some((2409, (18025, 20000))),
        source: R19,
    },
    Channel {
        name: "Office LTSC 2021",
        phrases: &["ltsc 2021", "ltsc2021", "office 2021"],
        minimum: None,
        source: "[I-5640] https://github.com/OfficeDev/office-js/issues/5640",
    },
    Channel {
        name: "volume-licensed LTSC 2024",
        phrases: &["ltsc 2024", "ltsc2024", "volume licens"],
        minimum: Some((2408, (17932, 20222))),
        source: R19,
    },
    Channel {
        name: "retail perpetual (Outlook 2024)",
        phrases: &["retail", "office 2024", "outlook 2024"],
        minimum: Some((2501, (18429, 20132))),
        source: R19,
    },
    Channel {
        name: "Outlook 2016",
        phrases: &["outlook 2016", "office 2016"],
        minimum: None,
        source: R2,
    },
    Channel {
        name: "Outlook 2019",
        phrases: &["outlook 2019", "office 2019"],
        minimum: None,
        source: R2,
    },
];

/// What to do for an Outlook without nested app authentication.
pub const BUILD_TOO_OLD: &str = "Update Outlook (or move it to a channel whose build has requirement set NestedAppAuth 1.1), or use Outlook on the web; until then SSI's add-in cannot use nested app authentication in it.";

/// What to do for an Outlook that has it.
pub const BUILD_SUPPORTED: &str = "The Outlook build is not the cause: look at consent, Conditional Access and the add-in version next.";

/// What to run next for an Outlook build.
pub const BUILD_NEXT: &str = "In the add-in (Script Lab or the browser console): Office.context.requirements.isSetSupported(\"NestedAppAuth\", \"1.1\"); the channel is under File > Office Account > About Outlook.";

/// The source for the requirement set and its builds.
pub const BUILD_SOURCE: &str = R19;

/// What a pasted Exchange identity token means.
pub const TOKEN_LEGACY: &str = "An Exchange user identity token (the legacy chain): SSI validates it through the amurl it names.";

/// What a pasted Entra token means.
pub const TOKEN_NAA: &str = "A Microsoft Entra ID token (nested app authentication): it is validated on the tenant's OpenID Connect document and keys.";

/// What another JWT means.
pub const TOKEN_OTHER: &str =
    "A JWT, but not the token SSI validates (see `idtoken-doctor decode` for what it is).";

/// What an amurl means.
pub const AMURL_MEANING: &str = "An Exchange authentication metadata URL (the amurl): SSI downloads it from the internet, anonymously, to validate the identity token.";

/// What an e-mail address means.
pub const EMAIL_MEANING: &str = "A user's e-mail address: where the mailbox lives decides the chain (Exchange Online: nested app authentication; on-premises: the legacy identity token).";
