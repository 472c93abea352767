complete -c ot-sim -l venue -x -a 'binance binance-futures binance-delivery okx deribit alpaca' -d Venue
complete -c ot-sim -l data -r -d 'Capture file'
complete -c ot-sim -l listen -x -d HOST:PORT
complete -c ot-sim -l speed -x -d 'Replay speed'
complete -c ot-sim -l drop-after -x -d 'Drop the k-th connection after N frames'
complete -c ot-sim -l skip -x -d 'Skip timeline frame K'
complete -c ot-sim -l delay-ms -x -d 'Delay per frame'
complete -c ot-sim -l malformed-every -x -d 'Malformed frame every N'
complete -c ot-sim -l linger -x -d 'Exit S seconds after the end'
complete -c ot-sim -l port-file -r -d 'Write the bound port'
complete -c ot-sim -s q -l quiet -d 'No diagnostics'
complete -c ot-sim -l tls-cert -r -d 'TLS certificate (PEM)'
complete -c ot-sim -l tls-key -r -d 'TLS private key (PEM)'
