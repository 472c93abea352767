complete -c ot-feed -f -n __fish_use_subcommand -a replay -d 'Play captures through the live parsers'
complete -c ot-feed -f -n __fish_use_subcommand -a live -d 'Stream a venue live'
complete -c ot-feed -l venue -x -a 'binance binance-futures binance-delivery okx deribit' -d Venue
complete -c ot-feed -n '__fish_seen_subcommand_from replay' -l speed -x -d 'Replay pace'
complete -c ot-feed -n '__fish_seen_subcommand_from replay' -l raw -d 'Write capture lines'
complete -c ot-feed -n '__fish_seen_subcommand_from live' -l symbols -x -d Symbols
complete -c ot-feed -n '__fish_seen_subcommand_from live' -l channels -x -a 'book trade quote ticker' -d Channels
complete -c ot-feed -n '__fish_seen_subcommand_from live' -l ws-url -x -d 'WebSocket URL'
complete -c ot-feed -n '__fish_seen_subcommand_from live' -l rest-url -x -d 'REST URL'
complete -c ot-feed -n '__fish_seen_subcommand_from live' -l record -r -d 'Record frames'
complete -c ot-feed -n '__fish_seen_subcommand_from live' -l duration -x -d Seconds
complete -c ot-feed -n '__fish_seen_subcommand_from live' -l ca-file -r -d 'CA certificate'
complete -c ot-feed -n '__fish_seen_subcommand_from live' -l busy-poll -d 'Spin on the sockets, never sleep'
complete -c ot-feed -l out -r -d 'Output URI'
complete -c ot-feed -l strict -d 'Exit 1 if any input was dropped or refused'
complete -c ot-feed -l stats -d 'Print counters'
complete -c ot-feed -s q -l quiet -d 'No diagnostics'
complete -c ot-feed -l metrics -x -d 'Serve Prometheus metrics on HOST:PORT'
complete -c ot-feed -l metrics-symbols -x -d 'Series for at most N symbols'
complete -c ot-feed -l cpu -x -d 'Run on these CPUs only'
