# bash completion for ot-backtest
_ot_backtest() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --cpu) return ;;
    --strategy) COMPREPLY=($(compgen -W "mm momentum meanrev twap" -- "$cur")); return ;;
    --data|--config|--limits) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --store|--report) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --progress) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --db|--venue|--from|--to|--param|--symbols|--order-latency|--report-latency|--market-latency|--maker-fee|--taker-fee|--capital|--bar|--candle-venue|--candle-symbol|--seed|--fail-if|--jobs|-j) return ;;
    --instruments|--contract-size) return ;;
  esac
  COMPREPLY=($(compgen -W "--data --store --db --venue --from --to --strategy --config --param --symbols --limits --order-latency --report-latency --market-latency --maker-fee --taker-fee --capital --bar --candle-venue --candle-symbol --seed --report --fail-if --jobs --progress --instruments --contract-size --strict --quiet --cpu --help --version" -- "$cur"))
  [ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _ot_backtest ot-backtest
