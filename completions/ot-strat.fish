set -l strategies mm momentum meanrev twap probe learned
complete -c ot-strat -f -n "not __fish_seen_subcommand_from $strategies" -a "$strategies"
complete -c ot-strat -l in -r -d 'Input URI'
complete -c ot-strat -l out -r -d 'Output URI'
complete -c ot-strat -l in-pattern -x -a 'pub push' -d 'ZeroMQ input pattern'
complete -c ot-strat -l out-pattern -x -a 'pub push' -d 'ZeroMQ output pattern'
complete -c ot-strat -l fills -x -d 'Executions endpoint'
complete -c ot-strat -l id-prefix -x -d 'Client order id prefix'
complete -c ot-strat -l session -x -d 'Client order id session'
complete -c ot-strat -l top-source -x -a 'bbo quote any' -d 'Top of book events'
complete -c ot-strat -l clock -x -a 'stream wall' -d 'Clock'
complete -c ot-strat -l config -r -d 'TOML parameters'
complete -c ot-strat -l strict -d 'Exit 1 if any input was dropped or refused'
complete -c ot-strat -s q -l quiet -d 'No diagnostics'
complete -c ot-strat -l stats -d 'Print counters'
for p in venue symbol qty
  complete -c ot-strat -n "__fish_seen_subcommand_from $strategies" -l $p -x
end
for p in gamma kappa sigma vol-halflife horizon max-inventory min-spread-ticks requote-ticks min-requote-ms tick reject-pause-ms
  complete -c ot-strat -n "__fish_seen_subcommand_from mm" -l $p -x
end
for p in fast slow threshold-bps warmup
  complete -c ot-strat -n "__fish_seen_subcommand_from momentum" -l $p -x
end
complete -c ot-strat -n "__fish_seen_subcommand_from momentum" -l source -x -a 'mid trades'
complete -c ot-strat -n "__fish_seen_subcommand_from momentum" -l long-only -x -a 'true false'
for p in window interval entry-z exit-z
  complete -c ot-strat -n "__fish_seen_subcommand_from meanrev" -l $p -x
end
for p in duration slices limit slippage-ticks
  complete -c ot-strat -n "__fish_seen_subcommand_from twap" -l $p -x
end
complete -c ot-strat -n "__fish_seen_subcommand_from twap" -l side -x -a 'buy sell'
complete -c ot-strat -l metrics -x -d 'Serve Prometheus metrics on HOST:PORT'
complete -c ot-strat -l metrics-symbols -x -d 'Series for at most N symbols'
complete -c ot-strat -l cpu -x -d 'Run on these CPUs only'
complete -c ot-strat -n "__fish_seen_subcommand_from learned" -l model -r -d 'Model file from ot-train'
for p in max-position threshold-bps range-tolerance warmup
  complete -c ot-strat -n "__fish_seen_subcommand_from learned" -l $p -x
end
