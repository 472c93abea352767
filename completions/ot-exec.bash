# bash completion for ot-exec
_ot_exec() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --cpu|--metrics|--metrics-symbols) return ;;
    --venue) COMPREPLY=($(compgen -W "paper binance binance-futures binance-delivery okx deribit alpaca" -- "$cur")); return ;;
    --key-file|--ca-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --journal|--in|--out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --in-pattern|--out-pattern) COMPREPLY=($(compgen -W "pub push" -- "$cur")); return ;;
    --fills-out|--fills-subscribers|--fills-wait-ms|--order-latency-us|--report-latency-us|--maker-fee|--taker-fee) return ;;
    --instruments|--contract-size) return ;;
  esac
  COMPREPLY=($(compgen -W "--venue --in --in-pattern --out --out-pattern --fills-out --fills-subscribers --fills-wait-ms --journal --journal-sync --order-latency-us --report-latency-us --maker-fee --taker-fee --rest-url --ws-url --ca-file --busy-poll --key-file --recv-window-ms --orders-per-10s --linger-ms --io-thread --strict --instruments --contract-size --quiet --stats --metrics --metrics-symbols --cpu --help --version" -- "$cur"))
}
complete -F _ot_exec ot-exec
