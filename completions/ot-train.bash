# bash completion for ot-train
_ot_train() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --data|--store|--out|-o|--config|--log|--limits) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --progress) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --param) COMPREPLY=($(compgen -W "model= hidden= epochs= batch= lr= l2= patience= horizon= step= warmup= purge= train_fraction= valid_fraction= expires= episodes= gamma= inventory_penalty= eps_end= explore= replay= learn_after= target_every= max_position= threshold_bps=" -- "$cur")); return ;;
    --db|--venue|--symbol|--seed|--threads|--train-until|--valid-until|--maker-fee|--taker-fee|--latency|--candle-venue|--candle-symbol|--cpu) return ;;
  esac
  COMPREPLY=($(compgen -W "supervised rl --data --store --db --out --venue --symbol --config --param --seed --threads --train-until --valid-until --log --maker-fee --taker-fee --limits --latency --candle-venue --candle-symbol --no-evaluate --progress --quiet --cpu --help --version" -- "$cur"))
}
complete -F _ot_train ot-train
