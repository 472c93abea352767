# bash completion for ot-strat
_ot_strat() {
  local cur prev strategy w
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  for w in "${COMP_WORDS[@]:1}"; do
    case $w in mm|momentum|meanrev|twap|probe|learned) strategy=$w ;; esac
  done
  case $prev in
    --cpu|--metrics|--metrics-symbols) return ;;
    --in|--out|--config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --in-pattern|--out-pattern) COMPREPLY=($(compgen -W "pub push" -- "$cur")); return ;;
    --top-source) COMPREPLY=($(compgen -W "bbo quote any" -- "$cur")); return ;;
    --clock) COMPREPLY=($(compgen -W "stream wall" -- "$cur")); return ;;
    --side) COMPREPLY=($(compgen -W "buy sell" -- "$cur")); return ;;
    --source) COMPREPLY=($(compgen -W "mid trades" -- "$cur")); return ;;
    --model) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --fills|--id-prefix|--session|--symbol|--venue|--qty) return ;;
  esac
  local common="--in --in-pattern --out --out-pattern --fills --id-prefix --session --top-source --clock --config --strict --quiet --stats --metrics --metrics-symbols --cpu --help --version"
  case $strategy in
    mm) COMPREPLY=($(compgen -W "$common --venue --symbol --qty --gamma --kappa --sigma --vol-halflife --horizon --max-inventory --min-spread-ticks --requote-ticks --min-requote-ms --tick --reject-pause-ms" -- "$cur")) ;;
    momentum) COMPREPLY=($(compgen -W "$common --venue --symbol --qty --fast --slow --threshold-bps --source --long-only --warmup" -- "$cur")) ;;
    meanrev) COMPREPLY=($(compgen -W "$common --venue --symbol --qty --window --interval --entry-z --exit-z" -- "$cur")) ;;
    twap) COMPREPLY=($(compgen -W "$common --venue --symbol --side --qty --duration --slices --limit --slippage-ticks" -- "$cur")) ;;
    probe) COMPREPLY=($(compgen -W "$common --venue --symbol --qty" -- "$cur")) ;;
    learned) COMPREPLY=($(compgen -W "$common --model --venue --symbol --max-position --threshold-bps --range-tolerance --warmup" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "mm momentum meanrev twap probe learned $common" -- "$cur")) ;;
  esac
}
complete -F _ot_strat ot-strat
