# bash completion for ot-store
_ot_store() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --cpu|--metrics|--metrics-symbols) return ;;
    --dir|--spool) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --in|--out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --type) COMPREPLY=($(compgen -W "book trade quote ticker bbo depth status order cancel amend exec position greeks control" -- "$cur")); return ;;
    --capture-venue|--venue) COMPREPLY=($(compgen -W "binance binance-futures binance-delivery okx deribit paper" -- "$cur")); return ;;
    --db|--schema|--symbol|--from|--to|--segment-mb|--batch-kb|--drain-wait) return ;;
  esac
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "write read ls --cpu --help --version" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "--dir --db --schema --raw --venue --symbol --type --from --to --in --out --capture-venue --sync --segment-mb --batch-kb --spool --drain-wait --metrics --metrics-symbols --stats --json --strict --quiet --help" -- "$cur"))
}
complete -F _ot_store ot-store
