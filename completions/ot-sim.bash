# bash completion for ot-sim
_ot_sim() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --cpu|--metrics|--metrics-symbols) return ;;
    --venue) COMPREPLY=($(compgen -W "binance binance-futures binance-delivery okx deribit alpaca" -- "$cur")); return ;;
    --data|--port-file|--tls-cert|--tls-key) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --listen|--speed|--drop-after|--skip|--delay-ms|--malformed-every|--linger) return ;;
    --api-key|--api-secret|--api-passphrase|--reject-every|--order-delay-ms|--drop-private-after|--report-delay-ms|--maker-fee|--taker-fee|--rate-limit|--instruments|--contract-size) return ;;
    --latency-log) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  COMPREPLY=($(compgen -W "--venue --data --listen --speed --drop-after --skip --delay-ms --malformed-every --linger --busy-poll --port-file --tls-cert --tls-key --api-key --api-secret --api-passphrase --reject-every --order-delay-ms --drop-private-after --report-delay-ms --maker-fee --taker-fee --duplicate-acks --rate-limit --latency-log --instruments --contract-size --quiet --metrics --metrics-symbols --cpu --help --version" -- "$cur"))
}
complete -F _ot_sim ot-sim
