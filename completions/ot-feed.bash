# bash completion for ot-feed
_ot_feed() {
  local cur prev sub
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  sub=${COMP_WORDS[1]}
  local venues="binance binance-futures binance-delivery okx deribit"
  case $prev in
    --cpu|--metrics|--metrics-symbols) return ;;
    --venue) COMPREPLY=($(compgen -W "$venues" -- "$cur")); return ;;
    --channels) COMPREPLY=($(compgen -W "book trade quote ticker book,trade,quote" -- "$cur")); return ;;
    --record|--out|--ca-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --speed|--symbols|--ws-url|--rest-url|--duration) return ;;
  esac
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "replay live --cpu --help --version" -- "$cur"))
  elif [ "$sub" = replay ]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--speed --venue --raw --out --strict --stats --quiet --metrics --metrics-symbols --help" -- "$cur"))
    else
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
  elif [ "$sub" = live ]; then
    COMPREPLY=($(compgen -W "--venue --symbols --channels --ws-url --rest-url --raw --record --duration --ca-file --busy-poll --out --strict --stats --quiet --metrics --metrics-symbols --help" -- "$cur"))
  fi
}
complete -F _ot_feed ot-feed
