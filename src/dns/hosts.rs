//! This machine's hosts file: where it lives, reading it (within a size
//! cap), and the entries that name a host.

use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;

/// The most of a hosts file that is read.
const HOSTS_FILE_LIMIT: u64 = 1 << 20;

/// One line of the hosts file that names the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HostsEntry {
    pub(super) line: usize,
    pub(super) text: String,
    pub(super) addr: IpAddr,
}

/// The lines of a hosts file that map `host` to an address.
pub(super) fn hosts_entries(text: &str, host: &str) -> Vec<HostsEntry> {
    let host = host.trim_end_matches('.');
    text.lines()
        .enumerate()
        .filter_map(|(index, raw)| {
            let content = raw.split('#').next().unwrap_or_default();
            let mut fields = content.split_whitespace();
            let addr_text = fields.next()?;
            // IPv6 link-local entries may carry a zone (`fe80::1%eth0`).
            let addr: IpAddr = addr_text.split('%').next()?.parse().ok()?;
            fields
                .any(|name| name.trim_end_matches('.').eq_ignore_ascii_case(host))
                .then(|| HostsEntry {
                    line: index + 1,
                    text: raw.trim().to_string(),
                    addr,
                })
        })
        .collect()
}

/// Where this machine's hosts file lives.
pub(super) fn hosts_file_path() -> PathBuf {
    if cfg!(windows) {
        let root = std::env::var_os("SystemRoot").unwrap_or_else(|| "C:\\Windows".into());
        PathBuf::from(root)
            .join("System32")
            .join("drivers")
            .join("etc")
            .join("hosts")
    } else {
        PathBuf::from("/etc/hosts")
    }
}

/// Reads the hosts file leniently: a byte that is not UTF-8 (an ANSI
/// `Einträge` in a German Windows comment) costs that character, not the
/// whole file, as the system resolver too reads past it.
pub(super) fn read_hosts_file(path: &PathBuf) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    // A hosts file is small; a huge one is read in part rather than at length.
    file.take(HOSTS_FILE_LIMIT).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn hosts_files_are_read_like_the_resolver_reads_them() {
        let text = "127.0.0.1 localhost\n# 10.0.0.9 mail.contoso.test\n10.0.0.5\tsmtp.contoso.test  MAIL.contoso.test. # the exchange box\nfe80::1%eth0 mail.contoso.test\nnot-an-ip mail.contoso.test\n20.1.2.3 webmail.contoso.test\n";
        let entries = hosts_entries(text, "mail.contoso.test");
        assert_eq!(
            entries.iter().map(|e| (e.line, e.addr)).collect::<Vec<_>>(),
            vec![(3, ip("10.0.0.5")), (4, ip("fe80::1"))]
        );
        assert!(entries[0].text.contains("the exchange box"));
        assert!(hosts_entries(text, "contoso.test").is_empty());
    }

    #[test]
    fn a_hosts_file_with_an_ansi_byte_is_still_read() {
        let dir = std::env::temp_dir().join(format!("idtoken-hosts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("hosts");
        // "Einträge" in Windows-1252: 0xE4 is not UTF-8.
        let bytes = b"# Eintr\xe4ge f\xfcr das Netz\r\n10.0.0.5 mail.contoso.test\r\n";
        std::fs::write(&path, bytes).expect("write");
        let text = read_hosts_file(&path).expect("read despite the ANSI byte");
        let entries = hosts_entries(&text, "mail.contoso.test");
        std::fs::remove_dir_all(&dir).expect("cleanup");
        assert_eq!(
            entries.iter().map(|e| (e.line, e.addr)).collect::<Vec<_>>(),
            vec![(2, ip("10.0.0.5"))]
        );
    }
}
