# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_idtoken_doctor_global_optspecs
    string join \n h/help V/version
end

function __fish_idtoken_doctor_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_idtoken_doctor_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_idtoken_doctor_using_subcommand
    set -l cmd (__fish_idtoken_doctor_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "decode" -d 'Decode a token offline: header, claims, appctx, lifetime, unique id'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "probe" -d 'Fetch the metadata document the way SSI does: dns, tcp, tls, http, metadata, ews'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "keys" -d 'Match the token\'s x5t against the metadata keys and verify its signature'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "diagnose" -d 'Walk the whole chain for a token and give one verdict'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "ssi-ips" -d 'The SSI egress IP ranges, for firewall allow-lists'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "demo" -d 'Run `diagnose` against an in-process server on 127.0.0.1, one scenario per broken link'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "explain" -d 'Say offline what a ticket\'s error text means: messages, codes, Outlook builds'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "completions" -d 'Print a shell completion script to standard output'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "serve" -d 'A Prometheus exporter: `GET /probe?target=AMURL|HOST` runs `probe` and answers its metrics'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -l audience -d 'The add-in URL that `aud` must equal' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -l format -d 'Report format' -r -f -a "human\t'A readable chain: one line per link that holds, the broken one with its proof'
json\t'One JSON object per target (the contract\'s report shape)'
markdown\t'A heading, a table of checks and the verdict, for a ticket'
junit\t'JUnit XML for CI systems'
prometheus\t'The Prometheus text exposition format (for node_exporter\'s textfile collector)'
reply\t'A short plain-text message for the customer: what is broken, who must do what, the commands'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -l color -d 'When to use colour (honours NO_COLOR)' -r -f -a "auto\t'Colour a terminal, unless `NO_COLOR` is set'
always\t'Always colour'
never\t'Never colour'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -l now -d 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -l output -d 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -l strict -d 'Warnings count as failures (for CI)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -l redact -d 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -s v -l verbose -d 'Human format: every check with all its details'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -l ascii -d 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand decode" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l audience -d 'The add-in URL that `aud` must equal (when TARGET is a token)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l format -d 'Report format' -r -f -a "human\t'A readable chain: one line per link that holds, the broken one with its proof'
json\t'One JSON object per target (the contract\'s report shape)'
markdown\t'A heading, a table of checks and the verdict, for a ticket'
junit\t'JUnit XML for CI systems'
prometheus\t'The Prometheus text exposition format (for node_exporter\'s textfile collector)'
reply\t'A short plain-text message for the customer: what is broken, who must do what, the commands'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l color -d 'When to use colour (honours NO_COLOR)' -r -f -a "auto\t'Colour a terminal, unless `NO_COLOR` is set'
always\t'Always colour'
never\t'Never colour'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l now -d 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l output -d 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l timeout -d 'Total network budget for one target, in seconds' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l resolve -d 'Use ADDR for HOST:PORT and skip DNS for it (curl\'s syntax; repeatable)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l dns-server -d 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l proxy -d 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l ca-file -d 'Extra trust anchors (PEM), added to the public roots' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l ews-url -d 'EWS endpoint to test instead of the one derived from the amurl host' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l batch -d 'One target per line (`-` for standard input; blank lines and # comments skipped)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l jobs -d 'With --batch: targets worked on at once' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l strict -d 'Warnings count as failures (for CI)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l redact -d 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -s v -l verbose -d 'Human format: every check with all its details'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l ascii -d 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l no-system-dns -d 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -l allow-private -d 'Probe non-public addresses too (an admin testing from inside the network)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand probe" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l metadata -d 'A saved metadata document (offline) or a URL to fetch instead of the amurl' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l audience -d 'The add-in URL that `aud` must equal' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l format -d 'Report format' -r -f -a "human\t'A readable chain: one line per link that holds, the broken one with its proof'
json\t'One JSON object per target (the contract\'s report shape)'
markdown\t'A heading, a table of checks and the verdict, for a ticket'
junit\t'JUnit XML for CI systems'
prometheus\t'The Prometheus text exposition format (for node_exporter\'s textfile collector)'
reply\t'A short plain-text message for the customer: what is broken, who must do what, the commands'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l color -d 'When to use colour (honours NO_COLOR)' -r -f -a "auto\t'Colour a terminal, unless `NO_COLOR` is set'
always\t'Always colour'
never\t'Never colour'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l now -d 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l output -d 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l timeout -d 'Total network budget for one target, in seconds' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l resolve -d 'Use ADDR for HOST:PORT and skip DNS for it (curl\'s syntax; repeatable)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l dns-server -d 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l proxy -d 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l ca-file -d 'Extra trust anchors (PEM), added to the public roots' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l ews-url -d 'EWS endpoint to test instead of the one derived from the amurl host' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l strict -d 'Warnings count as failures (for CI)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l redact -d 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -s v -l verbose -d 'Human format: every check with all its details'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l ascii -d 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l no-system-dns -d 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -l allow-private -d 'Probe non-public addresses too (an admin testing from inside the network)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand keys" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l metadata -d 'A saved metadata document or a URL to use instead of fetching the amurl' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l audience -d 'The add-in URL that `aud` must equal' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l format -d 'Report format' -r -f -a "human\t'A readable chain: one line per link that holds, the broken one with its proof'
json\t'One JSON object per target (the contract\'s report shape)'
markdown\t'A heading, a table of checks and the verdict, for a ticket'
junit\t'JUnit XML for CI systems'
prometheus\t'The Prometheus text exposition format (for node_exporter\'s textfile collector)'
reply\t'A short plain-text message for the customer: what is broken, who must do what, the commands'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l color -d 'When to use colour (honours NO_COLOR)' -r -f -a "auto\t'Colour a terminal, unless `NO_COLOR` is set'
always\t'Always colour'
never\t'Never colour'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l now -d 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l output -d 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l timeout -d 'Total network budget for one target, in seconds' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l resolve -d 'Use ADDR for HOST:PORT and skip DNS for it (curl\'s syntax; repeatable)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l dns-server -d 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l proxy -d 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l ca-file -d 'Extra trust anchors (PEM), added to the public roots' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l ews-url -d 'EWS endpoint to test instead of the one derived from the amurl host' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l batch -d 'One target per line (`-` for standard input; blank lines and # comments skipped)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l jobs -d 'With --batch: targets worked on at once' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l strict -d 'Warnings count as failures (for CI)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l redact -d 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -s v -l verbose -d 'Human format: every check with all its details'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l ascii -d 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l no-system-dns -d 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -l allow-private -d 'Probe non-public addresses too (an admin testing from inside the network)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand diagnose" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand ssi-ips" -l landscape -d 'Only this landscape (WDC, FRA, PER, or a test/mod one such as FRA-mod)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand ssi-ips" -l check -d 'Say whether this address is SSI\'s (exit 0) or not (exit 1)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand ssi-ips" -l format -d 'Output format' -r -f -a "human\t'A table of landscapes and ranges'
json\t'A JSON document'
plain\t'One CIDR per line, for firewall import'
markdown\t'A Markdown table'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand ssi-ips" -l color -d 'When to use colour (honours NO_COLOR)' -r -f -a "auto\t'Colour a terminal, unless `NO_COLOR` is set'
always\t'Always colour'
never\t'Never colour'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand ssi-ips" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand ssi-ips" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -l format -d 'Report format' -r -f -a "human\t'A readable chain: one line per link that holds, the broken one with its proof'
json\t'One JSON object per target (the contract\'s report shape)'
markdown\t'A heading, a table of checks and the verdict, for a ticket'
junit\t'JUnit XML for CI systems'
prometheus\t'The Prometheus text exposition format (for node_exporter\'s textfile collector)'
reply\t'A short plain-text message for the customer: what is broken, who must do what, the commands'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -l color -d 'When to use colour (honours NO_COLOR)' -r -f -a "auto\t'Colour a terminal, unless `NO_COLOR` is set'
always\t'Always colour'
never\t'Never colour'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -l now -d 'Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -l output -d 'Write the report to FILE (UTF-8, no byte-order mark) instead of standard output' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -l list -d 'List the scenarios and exit'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -l strict -d 'Warnings count as failures (for CI)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -l redact -d 'Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -s v -l verbose -d 'Human format: every check with all its details'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -l ascii -d 'Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand demo" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand explain" -l format -d 'Output format' -r -f -a "human\t'Each finding in words'
json\t'{"schema": "idtoken-doctor/explain/v1", "findings": [...]}'
markdown\t'One section per finding, for a ticket'"
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand explain" -l output -d 'Write to FILE (UTF-8, no byte-order mark) instead of standard output' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand explain" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand completions" -s h -l help -d 'Print help'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand completions" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l listen -d 'Address to listen on. The default answers this machine only; any other address lets whoever reaches it make this machine probe hosts of their choice (within the rules of `probe`): that is the operator\'s choice, so put a firewall or an authenticating reverse proxy in front of it' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l jobs -d 'Probes worked on at once; a request beyond them is answered 429' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l timeout -d 'Total network budget for one target, in seconds' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l resolve -d 'Use ADDR for HOST:PORT and skip DNS for it (curl\'s syntax; repeatable)' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l dns-server -d 'Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query URL is a DNS-over-HTTPS resolver' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l proxy -d 'Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like); credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l ca-file -d 'Extra trust anchors (PEM), added to the public roots' -r -F
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l ews-url -d 'EWS endpoint to test instead of the one derived from the amurl host' -r
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l strict -d 'Warnings count as failures (idtoken_doctor_success is then 0 on a warning)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l no-system-dns -d 'Do not ask the system resolver (it is asked only to detect split-horizon DNS)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -l allow-private -d 'Probe non-public addresses too (an admin testing from inside the network)'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -s h -l help -d 'Print help'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand serve" -s V -l version -d 'Print version'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "decode" -d 'Decode a token offline: header, claims, appctx, lifetime, unique id'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "probe" -d 'Fetch the metadata document the way SSI does: dns, tcp, tls, http, metadata, ews'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "keys" -d 'Match the token\'s x5t against the metadata keys and verify its signature'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "diagnose" -d 'Walk the whole chain for a token and give one verdict'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "ssi-ips" -d 'The SSI egress IP ranges, for firewall allow-lists'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "demo" -d 'Run `diagnose` against an in-process server on 127.0.0.1, one scenario per broken link'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "explain" -d 'Say offline what a ticket\'s error text means: messages, codes, Outlook builds'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "completions" -d 'Print a shell completion script to standard output'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "serve" -d 'A Prometheus exporter: `GET /probe?target=AMURL|HOST` runs `probe` and answers its metrics'
complete -c idtoken-doctor -n "__fish_idtoken_doctor_using_subcommand help; and not __fish_seen_subcommand_from decode probe keys diagnose ssi-ips demo explain completions serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c idtoken-doctor.exe -w idtoken-doctor
