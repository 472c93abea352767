# bash completion for ot-bars
_ot_bars() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --cpu|--metrics|--metrics-symbols|--size|--venue|--symbol|--max-fill|--max-instruments) return ;;
    --kind) COMPREPLY=($(compgen -W "time tick volume dollar" -- "$cur")); return ;;
    --interval) COMPREPLY=($(compgen -W "1s 10s 1m 5m 15m 1h 4h 1d" -- "$cur")); return ;;
    --source) COMPREPLY=($(compgen -W "trade mid" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "events csv" -- "$cur")); return ;;
    --empty) COMPREPLY=($(compgen -W "fill skip" -- "$cur")); return ;;
    --indicators) COMPREPLY=($(compgen -W "ema:20 sma:50 rsi:14 vol:60 vwap vwap:20" -- "$cur")); return ;;
    --in|--out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  COMPREPLY=($(compgen -W "--in --out --kind --interval --size --source --indicators --format --empty --forming --venue --symbol --max-fill --max-instruments --strict --stats --quiet --metrics --metrics-symbols --cpu --help --version" -- "$cur"))
}
complete -F _ot_bars ot-bars
