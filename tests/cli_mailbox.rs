//! `probe ADDRESS` end to end: Exchange Online's Autodiscover, Entra's tenant
//! discovery and the customer's Autodiscover v2 played on 127.0.0.1:443 under
//! their real names (`--resolve HOST:443:127.0.0.1`, a test CA), and the
//! legacy chain on the amurl an answer names.

mod e2e_support;
mod net_support;

use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use e2e_support::*;
use idtoken_doctor::lab::autodiscover::{
    autodiscover_path, ews_answer, no_tenant, openid_configuration, tenant_discovery_path,
    tenant_documents, Port443, LAB_TENANT_ID, LOGIN_HOST, ONLINE_HOST,
};
use idtoken_doctor::lab::dns::Zone;
use idtoken_doctor::lab::entra::EntraKey;
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Route};
use idtoken_doctor::report::Stage;
use net_support::ConnectProxy;
use serde_json::Value;

const ADDRESS: &str = "ann@contoso.test";
const CUSTOMER_AUTODISCOVER: &str = "autodiscover.contoso.test";
const DOMAIN: &str = "contoso.test";

const ON_PREMISES_STAGES: &[Stage] = &Stage::MAILBOX_ON_PREMISES;
const ONLINE_STAGES: &[Stage] = &Stage::MAILBOX_ONLINE;

/// One test at a time plays the hosts on 127.0.0.1:443.
fn port_443() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The Microsoft hosts and the customer's Autodiscover host on port 443.
fn site(lab: &Lab, hosts: &[&str], routes: Vec<Route>) -> Port443 {
    Port443::start(&lab.pki, hosts, routes).expect("a server on 127.0.0.1:443")
}

fn online(behaviour: Behaviour) -> Route {
    Route::new(&autodiscover_path(ADDRESS), behaviour).on_host(ONLINE_HOST)
}

fn customer(host: &str, behaviour: Behaviour) -> Route {
    Route::new(&autodiscover_path(ADDRESS), behaviour).on_host(host)
}

fn tenant(behaviour: Behaviour) -> Route {
    Route::new(&tenant_discovery_path(DOMAIN), behaviour).on_host(LOGIN_HOST)
}

/// Exchange Online answering `exchange_online`, and the customer's
/// Autodiscover naming `ews`.
fn on_premises(lab: &Lab, exchange_online: Behaviour, ews: &str) -> Port443 {
    site(
        lab,
        &[ONLINE_HOST, CUSTOMER_AUTODISCOVER],
        vec![
            online(exchange_online),
            customer(CUSTOMER_AUTODISCOVER, ews_answer(ews, None)),
        ],
    )
}

/// Exchange Online's answer for a mailbox of its own, and Entra's for the domain.
fn online_mailbox(lab: &Lab, entra: Behaviour) -> Port443 {
    site(
        lab,
        &[ONLINE_HOST, LOGIN_HOST],
        vec![
            online(ews_answer(
                "https://outlook.office365.com/EWS/Exchange.asmx",
                Some("EURPRD10"),
            )),
            tenant(entra),
        ]
        .into_iter()
        .chain(tenant_documents(LAB_TENANT_ID, tenant_key()))
        .collect(),
    )
}

/// The key the lab tenant publishes, made once for the whole test binary.
fn tenant_key() -> &'static EntraKey {
    static KEY: std::sync::OnceLock<EntraKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let now = time::OffsetDateTime::now_utc();
        EntraKey::generate("lab-tenant-kid", now, now + time::Duration::days(365))
            .expect("an Entra key")
    })
}

fn ews_of(server: &HttpsServer) -> String {
    server.url(HOST, EWS_PATH)
}

/// `probe ADDRESS` with the lab's flags and the site's pins.
fn probe(lab: &Lab, site: Option<&Port443>) -> Vec<String> {
    let mut args = strings(&["probe", ADDRESS, "--timeout", "10"]);
    args.extend(lab.args());
    args.extend(site.map(Port443::resolve_args).unwrap_or_default());
    args
}

fn detail<'a>(report: &'a Value, id: &str, key: &str) -> &'a Value {
    &check(report, id)["details"][key]
}

#[test]
fn an_exchange_online_mailbox_warns_and_names_its_tenant() {
    let _turn = port_443();
    let lab = Lab::new();
    let site = online_mailbox(&lab, openid_configuration(LAB_TENANT_ID));
    let report = assert_all_formats(&probe(&lab, Some(&site)), ONLINE_STAGES, Expect::Healthy);
    assert_eq!(status(&report, "mailbox.location"), "warn");
    assert_eq!(
        detail(&report, "mailbox.location", "location"),
        "exchange-online"
    );
    let said = summary(&report, "mailbox.location");
    assert!(
        said.contains("NAA") && said.contains("Unable to validate the client identity token"),
        "{said}"
    );
    assert!(check(&report, "mailbox.location")["remedy"]
        .as_str()
        .is_some_and(|r| r.contains("3587410")));
    assert_eq!(status(&report, "mailbox.amurl"), "skip");
    assert_eq!(status(&report, "mailbox.tenant"), "pass");
    assert_eq!(
        detail(&report, "mailbox.tenant", "tenant_id"),
        LAB_TENANT_ID
    );
    assert_eq!(detail(&report, "mailbox.tenant", "cloud"), "global");
    // The NAA links follow on the tenant's discovery document.
    let discovery =
        format!("https://{LOGIN_HOST}/{LAB_TENANT_ID}/v2.0/.well-known/openid-configuration");
    assert_eq!(report["target"]["amurl"], discovery.as_str());
    // Both anonymous GETs, the discovery document then its key set, pass.
    assert_eq!(status(&report, "http.access"), "pass");
    assert_eq!(
        check(&report, "http.access")["details"]["urls"][0],
        discovery.as_str()
    );
    let jwks = format!("https://{LOGIN_HOST}/{LAB_TENANT_ID}/discovery/v2.0/keys");
    assert_eq!(
        check(&report, "http.access")["details"]["urls"][1],
        jwks.as_str()
    );
    assert_eq!(status(&report, "metadata.keys"), "pass");
    assert_eq!(status(&report, "key.match"), "skip");
    assert_eq!(status(&report, "ews.reachable"), "skip");
    assert_eq!(report["verdict"]["status"], "healthy");
    // Anonymous, and exactly the contract's URLs.
    let asked: Vec<String> = site.requests().iter().map(|r| r.target.clone()).collect();
    assert!(asked.contains(&format!(
        "/autodiscover/autodiscover.json/v1.0/{ADDRESS}?Protocol=EWS&ServerLocation=true"
    )));
    assert!(site
        .requests()
        .iter()
        .all(|r| r.header("authorization").is_none() && r.header("cookie").is_none()));
}

#[test]
fn a_hybrid_mailbox_follows_exchange_onlines_redirect_once_to_the_on_premises_ews() {
    let _turn = port_443();
    let lab = Lab::new();
    let exchange = lab.healthy_exchange();
    let hybrid = format!(
        "https://{CUSTOMER_AUTODISCOVER}{}?Protocol=EWS",
        autodiscover_path(ADDRESS)
    );
    let site = on_premises(&lab, Behaviour::redirect(&hybrid), &ews_of(&exchange));
    let report = assert_all_formats(
        &probe(&lab, Some(&site)),
        ON_PREMISES_STAGES,
        Expect::Healthy,
    );
    assert_eq!(status(&report, "mailbox.location"), "pass");
    assert_eq!(
        detail(&report, "mailbox.location", "location"),
        "on-premises"
    );
    assert_eq!(
        detail(&report, "mailbox.amurl", "amurl"),
        amurl(&exchange).as_str()
    );
    assert_eq!(detail(&report, "mailbox.amurl", "source"), hybrid.as_str());
    assert!(summary(&report, "mailbox.amurl").contains("stays the authority"));
    assert_eq!(report["target"]["amurl"], amurl(&exchange).as_str());
    assert_eq!(status(&report, "ews.reachable"), "pass");
    // Four formats, each: Exchange Online once, its Location once.
    let hosts: Vec<String> = site
        .requests()
        .iter()
        .filter_map(|r| r.header("host").map(str::to_string))
        .collect();
    assert_eq!(hosts.len(), 8, "{hosts:?}");
    assert_eq!(hosts.iter().filter(|h| *h == ONLINE_HOST).count(), 4);

    // Exchange Online may name the on-premises EWS URL itself.
    let direct = self::site_with_direct_answer(&lab, &exchange, site);
    let report = assert_json(
        &probe(&lab, Some(&direct)),
        ON_PREMISES_STAGES,
        Expect::Healthy,
    );
    assert!(detail(&report, "mailbox.amurl", "source")
        .as_str()
        .is_some_and(|s| s.starts_with(&format!("https://{ONLINE_HOST}/"))));
}

/// Replaces `old` (dropped first: one server on the port) with an Exchange
/// Online that answers 200 with the on-premises EWS URL and no ServerLocation.
fn site_with_direct_answer(lab: &Lab, exchange: &HttpsServer, old: Port443) -> Port443 {
    drop(old);
    site(
        lab,
        &[ONLINE_HOST],
        vec![online(ews_answer(&ews_of(exchange), None))],
    )
}

#[test]
fn an_on_premises_mailbox_through_the_customers_autodiscover_gets_that_sites_verdict() {
    let _turn = port_443();
    let lab = Lab::new();
    let healthy = lab.healthy_exchange();
    let guarded = lab.exchange(
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        Behaviour::unauthorized(&["Negotiate"]),
    );
    for (exchange, expect) in [
        (&healthy, Expect::Healthy),
        (&guarded, Expect::Broken("http.access", 50)),
    ] {
        // Exchange Online has no mailbox for the address; autodiscover.{domain}
        // answers 404, {domain} itself names the EWS URL.
        let site = site(
            &lab,
            &[ONLINE_HOST, CUSTOMER_AUTODISCOVER, DOMAIN],
            vec![
                online(Behaviour::status(404)),
                customer(DOMAIN, ews_answer(&ews_of(exchange), None)),
            ],
        );
        let report = assert_all_formats(&probe(&lab, Some(&site)), ON_PREMISES_STAGES, expect);
        assert_eq!(
            detail(&report, "mailbox.location", "location"),
            "on-premises"
        );
        assert_eq!(
            detail(&report, "mailbox.amurl", "source"),
            format!(
                "https://{DOMAIN}{}?Protocol=EWS",
                autodiscover_path(ADDRESS)
            )
            .as_str()
        );
        let attempts = detail(&report, "mailbox.amurl", "attempts")
            .as_array()
            .expect("attempts")
            .len();
        assert_eq!(attempts, 3, "{report:#}");
    }
}

#[test]
fn no_autodiscover_answering_is_inconclusive_with_a_remedy_to_paste_a_token() {
    let _turn = port_443();
    let lab = Lab::new();
    // Nothing is pinned: the lab DNS knows none of the hosts.
    let run = doctor(
        probe(&lab, None)
            .into_iter()
            .chain(strings(&["--format", "json"])),
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = run.json();
    let location = check(&report, "mailbox.location");
    assert_eq!(location["status"], "error", "{location:#}");
    assert_eq!(location["details"]["cause"], "autodiscover-unavailable");
    assert!(location["remedy"]
        .as_str()
        .is_some_and(|r| r.contains("paste a token") && r.contains("probe")));
    assert_eq!(report["verdict"]["status"], "inconclusive");
    assert_eq!(status(&report, "dns.name"), "skip");

    // Exchange Online answers (no mailbox), the customer's Autodiscover does not.
    let site = site(&lab, &[ONLINE_HOST], vec![online(Behaviour::status(404))]);
    let run = doctor(
        probe(&lab, Some(&site))
            .into_iter()
            .chain(strings(&["--format", "json"])),
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = run.json();
    assert_eq!(status(&report, "mailbox.location"), "pass");
    let amurl = check(&report, "mailbox.amurl");
    assert_eq!(amurl["status"], "error", "{amurl:#}");
    assert_eq!(amurl["details"]["cause"], "autodiscover-unavailable");
    assert_eq!(
        amurl["details"]["attempts"].as_array().map(Vec::len),
        Some(3)
    );

    let human = doctor(probe(&lab, Some(&site)));
    assert_eq!(human.code, 3);
    assert!(human.stdout.contains("paste a token"), "{}", human.stdout);
}

#[test]
fn a_domain_entra_does_not_know_fails_mailbox_tenant() {
    let _turn = port_443();
    let lab = Lab::new();
    let site = online_mailbox(&lab, no_tenant(DOMAIN));
    let report = assert_all_formats(
        &probe(&lab, Some(&site)),
        ONLINE_STAGES,
        Expect::Broken("mailbox.tenant", 5),
    );
    assert!(summary(&report, "mailbox.tenant").contains("AADSTS90002"));
    assert_eq!(status(&report, "dns.name"), "skip");
}

#[test]
fn an_address_in_a_batch_is_probed_as_a_mailbox() {
    let _turn = port_443();
    let lab = Lab::new();
    let exchange = lab.healthy_exchange();
    let site = on_premises(&lab, Behaviour::status(404), &ews_of(&exchange));
    let list = tempfile::NamedTempFile::new().expect("list");
    std::fs::write(
        list.path(),
        format!(
            "# a ticket's address, then the host\n{ADDRESS}\n{}\n",
            amurl(&exchange)
        ),
    )
    .expect("write the list");
    let mut args = strings(&["probe", "--batch"]);
    args.push(list.path().display().to_string());
    args.extend(lab.args());
    args.extend(site.resolve_args());
    args.extend(strings(&["--format", "json", "--timeout", "10"]));
    let run = doctor(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let reports = run.json_lines();
    assert_eq!(reports.len(), 2, "{}", run.stdout);
    assert_json_report(&reports[0], ON_PREMISES_STAGES, Expect::Healthy);
    assert_eq!(
        detail(&reports[0], "mailbox.amurl", "amurl"),
        amurl(&exchange).as_str()
    );
    assert_json_report(&reports[1], PROBE_STAGES, Expect::Healthy);
}

#[test]
fn an_internal_ews_host_named_by_autodiscover_is_judged_and_never_connected_to() {
    let _turn = port_443();
    // Public-looking addresses for the Autodiscover hosts: reached only
    // through the proxy, which connects to the lab on loopback. No
    // --allow-private: the private-address rule holds as for any amurl.
    let public = |ip: &str| ip.parse::<IpAddr>().expect("ip");
    let lab = Lab::with_zone(
        Zone::new()
            .address(ONLINE_HOST, public("52.96.1.1"))
            .address(CUSTOMER_AUTODISCOVER, public("20.1.2.3"))
            .address("mail.contoso.test", public("10.0.0.5")),
    );
    let proxy = ConnectProxy::start(None);
    for (ews, check_id) in [
        ("https://mail.contoso.local/EWS/Exchange.asmx", "dns.name"),
        ("https://10.0.0.5/EWS/Exchange.asmx", "dns.name"),
        ("https://mail.contoso.test/EWS/Exchange.asmx", "dns.address"),
    ] {
        let site = on_premises(&lab, Behaviour::status(404), ews);
        let mut args = strings(&["probe", ADDRESS, "--proxy", &proxy.url(None)]);
        args.extend(lab.public_args());
        args.extend(strings(&["--timeout", "10"]));
        let report = assert_json(&args, ON_PREMISES_STAGES, Expect::Broken(check_id, 20));
        assert_eq!(status(&report, "mailbox.amurl"), "pass");
        assert_eq!(status(&report, "tcp.connect"), "skip");
        drop(site);
    }
    let tunnels: Vec<String> = proxy
        .requests()
        .iter()
        .map(|head| head[0].clone())
        .collect();
    // Tunnels name the vetted address, never the host (issue 18): only the
    // Autodiscover hosts' public addresses were asked for.
    assert!(
        tunnels
            .iter()
            .all(|line| line.contains("52.96.1.1:443") || line.contains("20.1.2.3:443")),
        "only the Autodiscover hosts were tunnelled to: {tunnels:?}"
    );
    assert!(
        !tunnels.iter().any(|line| line.contains("10.0.0.5")),
        "{tunnels:?}"
    );
    assert_eq!(tunnels.len(), 6, "{tunnels:?}");
}

#[test]
fn an_ews_url_that_gives_no_amurl_is_said_and_the_customers_autodiscover_asked() {
    let _turn = port_443();
    let lab = Lab::new();
    let exchange = lab.healthy_exchange();
    let site = on_premises(
        &lab,
        ews_answer("http://mail.contoso.test/EWS/Exchange.asmx", None),
        &ews_of(&exchange),
    );
    let report = assert_json(
        &probe(&lab, Some(&site)),
        ON_PREMISES_STAGES,
        Expect::Healthy,
    );
    let attempts = detail(&report, "mailbox.amurl", "attempts").to_string();
    assert!(attempts.contains("not https"), "{attempts}");
    assert!(detail(&report, "mailbox.amurl", "source")
        .as_str()
        .is_some_and(|s| s.starts_with(&format!("https://{CUSTOMER_AUTODISCOVER}/"))));
}

#[test]
fn redact_hides_the_address_in_every_url_of_the_report() {
    let _turn = port_443();
    let lab = Lab::new();
    let site = online_mailbox(&lab, openid_configuration(LAB_TENANT_ID));
    for format in ["json", "human", "markdown", "junit"] {
        let mut args = probe(&lab, Some(&site));
        args.extend(strings(&["--redact", "-v", "--format", format]));
        let run = doctor(&args);
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert!(!run.stdout.contains("ann@"), "{format}: {}", run.stdout);
        assert!(run.stdout.contains("[redacted-email:"), "{format}");
    }
}
