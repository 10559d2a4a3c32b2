
use builtin;
use str;

set edit:completion:arg-completer[idtoken-doctor] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'idtoken-doctor'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'idtoken-doctor'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand decode 'Decode a token offline: header, claims, appctx, lifetime, unique id'
            cand probe 'Fetch the metadata document the way SSI does: dns, tcp, tls, http, metadata, ews'
            cand keys 'Match the token''s x5t against the metadata keys and verify its signature'
            cand diagnose 'Walk the whole chain for a token and give one verdict'
            cand ssi-ips 'The SSI egress IP ranges, for firewall allow-lists'
            cand demo 'Run `diagnose` against an in-process server on 127.0.0.1, one scenario per broken link'
            cand explain 'Say offline what a ticket''s error text means: messages, codes, Outlook builds'
            cand completions 'Print a shell completion script to standard output'
            cand serve 'A Prometheus exporter: `GET /probe?target=AMURL|HOST` runs `probe` and answers its metrics'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'idtoken-doctor;decode'= {
            cand --audience 'The add-in URL that `aud` must equal'
            cand --format 'Report format'
            cand --color 'When to use colour (honours NO_COLOR)'
            cand --now 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)'
            cand --output 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output'
            cand --strict 'Warnings count as failures (for CI)'
            cand --redact 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
            cand -v 'Human format: every check with all its details'
            cand --verbose 'Human format: every check with all its details'
            cand --ascii 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idtoken-doctor;probe'= {
            cand --audience 'The add-in URL that `aud` must equal (when TARGET is a token)'
            cand --format 'Report format'
            cand --color 'When to use colour (honours NO_COLOR)'
            cand --now 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)'
            cand --output 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output'
            cand --timeout 'Total network budget for one target, in seconds'
            cand --resolve 'Use ADDR for HOST:PORT and skip DNS for it (curl''s syntax; repeatable)'
            cand --dns-server 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver'
            cand --proxy 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed'
            cand --ca-file 'Extra trust anchors (PEM), added to the public roots'
            cand --ews-url 'EWS endpoint to test instead of the one derived from the amurl host'
            cand --batch 'One target per line (`-` for standard input; blank lines and # comments skipped)'
            cand --jobs 'With --batch: targets worked on at once'
            cand --strict 'Warnings count as failures (for CI)'
            cand --redact 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
            cand -v 'Human format: every check with all its details'
            cand --verbose 'Human format: every check with all its details'
            cand --ascii 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
            cand --no-system-dns 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)'
            cand --allow-private 'Probe non-public addresses too (an admin testing from inside the network)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idtoken-doctor;keys'= {
            cand --metadata 'A saved metadata document (offline) or a URL to fetch instead of the amurl'
            cand --audience 'The add-in URL that `aud` must equal'
            cand --format 'Report format'
            cand --color 'When to use colour (honours NO_COLOR)'
            cand --now 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)'
            cand --output 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output'
            cand --timeout 'Total network budget for one target, in seconds'
            cand --resolve 'Use ADDR for HOST:PORT and skip DNS for it (curl''s syntax; repeatable)'
            cand --dns-server 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver'
            cand --proxy 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed'
            cand --ca-file 'Extra trust anchors (PEM), added to the public roots'
            cand --ews-url 'EWS endpoint to test instead of the one derived from the amurl host'
            cand --strict 'Warnings count as failures (for CI)'
            cand --redact 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
            cand -v 'Human format: every check with all its details'
            cand --verbose 'Human format: every check with all its details'
            cand --ascii 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
            cand --no-system-dns 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)'
            cand --allow-private 'Probe non-public addresses too (an admin testing from inside the network)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idtoken-doctor;diagnose'= {
            cand --metadata 'A saved metadata document or a URL to use instead of fetching the amurl'
            cand --audience 'The add-in URL that `aud` must equal'
            cand --format 'Report format'
            cand --color 'When to use colour (honours NO_COLOR)'
            cand --now 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)'
            cand --output 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output'
            cand --timeout 'Total network budget for one target, in seconds'
            cand --resolve 'Use ADDR for HOST:PORT and skip DNS for it (curl''s syntax; repeatable)'
            cand --dns-server 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver'
            cand --proxy 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed'
            cand --ca-file 'Extra trust anchors (PEM), added to the public roots'
            cand --ews-url 'EWS endpoint to test instead of the one derived from the amurl host'
            cand --batch 'One target per line (`-` for standard input; blank lines and # comments skipped)'
            cand --jobs 'With --batch: targets worked on at once'
            cand --strict 'Warnings count as failures (for CI)'
            cand --redact 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
            cand -v 'Human format: every check with all its details'
            cand --verbose 'Human format: every check with all its details'
            cand --ascii 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
            cand --no-system-dns 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)'
            cand --allow-private 'Probe non-public addresses too (an admin testing from inside the network)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idtoken-doctor;ssi-ips'= {
            cand --landscape 'Only this landscape (WDC, FRA, PER, or a test/mod one such as FRA-mod)'
            cand --check 'Say whether this address is SSI''s (exit 0) or not (exit 1)'
            cand --format 'Output format'
            cand --color 'When to use colour (honours NO_COLOR)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idtoken-doctor;demo'= {
            cand --format 'Report format'
            cand --color 'When to use colour (honours NO_COLOR)'
            cand --now 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)'
            cand --output 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output'
            cand --list 'List the scenarios and exit'
            cand --strict 'Warnings count as failures (for CI)'
            cand --redact 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
            cand -v 'Human format: every check with all its details'
            cand --verbose 'Human format: every check with all its details'
            cand --ascii 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idtoken-doctor;explain'= {
            cand --format 'Output format'
            cand --output 'Write to FILE (UTF-8, no byte-order mark) instead of standard output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idtoken-doctor;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idtoken-doctor;serve'= {
            cand --listen 'Address to listen on. The default answers this machine only; any other address lets whoever reaches it make this machine probe hosts of their choice (within the rules of `probe`): that is the operator''s choice, so put a firewall or an authenticating reverse proxy in front of it'
            cand --jobs 'Probes worked on at once; a request beyond them is answered 429'
            cand --timeout 'Total network budget for one target, in seconds'
            cand --resolve 'Use ADDR for HOST:PORT and skip DNS for it (curl''s syntax; repeatable)'
            cand --dns-server 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver'
            cand --proxy 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed'
            cand --ca-file 'Extra trust anchors (PEM), added to the public roots'
            cand --ews-url 'EWS endpoint to test instead of the one derived from the amurl host'
            cand --strict 'Warnings count as failures (idtoken_doctor_success is then 0 on a warning)'
            cand --no-system-dns 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)'
            cand --allow-private 'Probe non-public addresses too (an admin testing from inside the network)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'idtoken-doctor;help'= {
            cand decode 'Decode a token offline: header, claims, appctx, lifetime, unique id'
            cand probe 'Fetch the metadata document the way SSI does: dns, tcp, tls, http, metadata, ews'
            cand keys 'Match the token''s x5t against the metadata keys and verify its signature'
            cand diagnose 'Walk the whole chain for a token and give one verdict'
            cand ssi-ips 'The SSI egress IP ranges, for firewall allow-lists'
            cand demo 'Run `diagnose` against an in-process server on 127.0.0.1, one scenario per broken link'
            cand explain 'Say offline what a ticket''s error text means: messages, codes, Outlook builds'
            cand completions 'Print a shell completion script to standard output'
            cand serve 'A Prometheus exporter: `GET /probe?target=AMURL|HOST` runs `probe` and answers its metrics'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'idtoken-doctor;help;decode'= {
        }
        &'idtoken-doctor;help;probe'= {
        }
        &'idtoken-doctor;help;keys'= {
        }
        &'idtoken-doctor;help;diagnose'= {
        }
        &'idtoken-doctor;help;ssi-ips'= {
        }
        &'idtoken-doctor;help;demo'= {
        }
        &'idtoken-doctor;help;explain'= {
        }
        &'idtoken-doctor;help;completions'= {
        }
        &'idtoken-doctor;help;serve'= {
        }
        &'idtoken-doctor;help;help'= {
        }
    ]
    $completions[$command]
}
set edit:completion:arg-completer[idtoken-doctor.exe] = $edit:completion:arg-completer[idtoken-doctor]
