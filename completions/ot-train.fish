complete -c ot-train -f -n "not __fish_seen_subcommand_from supervised rl" -a "supervised rl"
complete -c ot-train -l data -r -d 'Captures, event files or candle CSVs'
complete -c ot-train -l store -r -d 'ot-store directory'
complete -c ot-train -l db -x -d 'ot-store database'
complete -c ot-train -s o -l out -r -d 'Model file to write'
complete -c ot-train -l config -r -d 'TOML parameters'
complete -c ot-train -l log -r -d 'Training log'
complete -c ot-train -l limits -r -d 'ot-risk limits'
complete -c ot-train -l progress -x -a 'auto always never' -d 'Progress bar'
complete -c ot-train -l no-evaluate -d 'No test-window backtests'
complete -c ot-train -s q -l quiet -d 'No diagnostics'
for p in venue symbol param seed threads train-until valid-until maker-fee taker-fee latency candle-venue candle-symbol cpu
  complete -c ot-train -l $p -x
end
