
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'idtoken-doctor', 'idtoken-doctor.exe', '.\idtoken-doctor.exe' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'idtoken-doctor'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'idtoken-doctor' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode a token offline: header, claims, appctx, lifetime, unique id')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Fetch the metadata document the way SSI does: dns, tcp, tls, http, metadata, ews')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Match the token''s x5t against the metadata keys and verify its signature')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'Walk the whole chain for a token and give one verdict')
            [CompletionResult]::new('ssi-ips', 'ssi-ips', [CompletionResultType]::ParameterValue, 'The SSI egress IP ranges, for firewall allow-lists')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run `diagnose` against an in-process server on 127.0.0.1, one scenario per broken link')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Say offline what a ticket''s error text means: messages, codes, Outlook builds')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to standard output')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'A Prometheus exporter: `GET /probe?target=AMURL|HOST` runs `probe` and answers its metrics')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'idtoken-doctor;decode' {
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The add-in URL that `aud` must equal')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (honours NO_COLOR)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Warnings count as failures (for CI)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idtoken-doctor;probe' {
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The add-in URL that `aud` must equal (when TARGET is a token)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (honours NO_COLOR)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Total network budget for one target, in seconds')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Use ADDR for HOST:PORT and skip DNS for it (curl''s syntax; repeatable)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trust anchors (PEM), added to the public roots')
            [CompletionResult]::new('--ews-url', '--ews-url', [CompletionResultType]::ParameterName, 'EWS endpoint to test instead of the one derived from the amurl host')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'One target per line (`-` for standard input; blank lines and # comments skipped)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'With --batch: targets worked on at once')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Warnings count as failures (for CI)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)')
            [CompletionResult]::new('--no-system-dns', '--no-system-dns', [CompletionResultType]::ParameterName, 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)')
            [CompletionResult]::new('--allow-private', '--allow-private', [CompletionResultType]::ParameterName, 'Probe non-public addresses too (an admin testing from inside the network)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idtoken-doctor;keys' {
            [CompletionResult]::new('--metadata', '--metadata', [CompletionResultType]::ParameterName, 'A saved metadata document (offline) or a URL to fetch instead of the amurl')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The add-in URL that `aud` must equal')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (honours NO_COLOR)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Total network budget for one target, in seconds')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Use ADDR for HOST:PORT and skip DNS for it (curl''s syntax; repeatable)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trust anchors (PEM), added to the public roots')
            [CompletionResult]::new('--ews-url', '--ews-url', [CompletionResultType]::ParameterName, 'EWS endpoint to test instead of the one derived from the amurl host')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Warnings count as failures (for CI)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)')
            [CompletionResult]::new('--no-system-dns', '--no-system-dns', [CompletionResultType]::ParameterName, 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)')
            [CompletionResult]::new('--allow-private', '--allow-private', [CompletionResultType]::ParameterName, 'Probe non-public addresses too (an admin testing from inside the network)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idtoken-doctor;diagnose' {
            [CompletionResult]::new('--metadata', '--metadata', [CompletionResultType]::ParameterName, 'A saved metadata document or a URL to use instead of fetching the amurl')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The add-in URL that `aud` must equal')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (honours NO_COLOR)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Total network budget for one target, in seconds')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Use ADDR for HOST:PORT and skip DNS for it (curl''s syntax; repeatable)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trust anchors (PEM), added to the public roots')
            [CompletionResult]::new('--ews-url', '--ews-url', [CompletionResultType]::ParameterName, 'EWS endpoint to test instead of the one derived from the amurl host')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'One target per line (`-` for standard input; blank lines and # comments skipped)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'With --batch: targets worked on at once')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Warnings count as failures (for CI)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)')
            [CompletionResult]::new('--no-system-dns', '--no-system-dns', [CompletionResultType]::ParameterName, 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)')
            [CompletionResult]::new('--allow-private', '--allow-private', [CompletionResultType]::ParameterName, 'Probe non-public addresses too (an admin testing from inside the network)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idtoken-doctor;ssi-ips' {
            [CompletionResult]::new('--landscape', '--landscape', [CompletionResultType]::ParameterName, 'Only this landscape (WDC, FRA, PER, or a test/mod one such as FRA-mod)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Say whether this address is SSI''s (exit 0) or not (exit 1)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (honours NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idtoken-doctor;demo' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (honours NO_COLOR)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the scenarios and exit')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Warnings count as failures (for CI)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Human format: every check with all its details')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idtoken-doctor;explain' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to FILE (UTF-8, no byte-order mark) instead of standard output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idtoken-doctor;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idtoken-doctor;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on. The default answers this machine only; any other address lets whoever reaches it make this machine probe hosts of their choice (within the rules of `probe`): that is the operator''s choice, so put a firewall or an authenticating reverse proxy in front of it')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Probes worked on at once; a request beyond them is answered 429')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Total network budget for one target, in seconds')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Use ADDR for HOST:PORT and skip DNS for it (curl''s syntax; repeatable)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trust anchors (PEM), added to the public roots')
            [CompletionResult]::new('--ews-url', '--ews-url', [CompletionResultType]::ParameterName, 'EWS endpoint to test instead of the one derived from the amurl host')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Warnings count as failures (idtoken_doctor_success is then 0 on a warning)')
            [CompletionResult]::new('--no-system-dns', '--no-system-dns', [CompletionResultType]::ParameterName, 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)')
            [CompletionResult]::new('--allow-private', '--allow-private', [CompletionResultType]::ParameterName, 'Probe non-public addresses too (an admin testing from inside the network)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'idtoken-doctor;help' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode a token offline: header, claims, appctx, lifetime, unique id')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Fetch the metadata document the way SSI does: dns, tcp, tls, http, metadata, ews')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Match the token''s x5t against the metadata keys and verify its signature')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'Walk the whole chain for a token and give one verdict')
            [CompletionResult]::new('ssi-ips', 'ssi-ips', [CompletionResultType]::ParameterValue, 'The SSI egress IP ranges, for firewall allow-lists')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run `diagnose` against an in-process server on 127.0.0.1, one scenario per broken link')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Say offline what a ticket''s error text means: messages, codes, Outlook builds')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to standard output')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'A Prometheus exporter: `GET /probe?target=AMURL|HOST` runs `probe` and answers its metrics')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'idtoken-doctor;help;decode' {
            break
        }
        'idtoken-doctor;help;probe' {
            break
        }
        'idtoken-doctor;help;keys' {
            break
        }
        'idtoken-doctor;help;diagnose' {
            break
        }
        'idtoken-doctor;help;ssi-ips' {
            break
        }
        'idtoken-doctor;help;demo' {
            break
        }
        'idtoken-doctor;help;explain' {
            break
        }
        'idtoken-doctor;help;completions' {
            break
        }
        'idtoken-doctor;help;serve' {
            break
        }
        'idtoken-doctor;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
