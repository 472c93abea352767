"""Learned strategies end to end, through ot-train, ot-backtest and the
five-program chain on a synthetic market (examples/learned/synth_market.py):

- with a planted edge the network learns it and beats the baselines out of
  sample (no trading, mm, the linear model), the linear model cannot find
  it (the edge is an interaction of two features);
- with no edge it claims none: its out-of-sample t statistic stays below 2;
- the same seed gives the same model bytes and the same evaluation; the rl
  agent too;
- the model served by ot-backtest and by `ot-strat learned` in a pipe tags
  its orders with its hash, and ot-backtest's run is repeatable;
- the guards halt the strategy on a market unlike the training data."""
import json
import os
import subprocess
import sys
import tempfile

from common import check, finish, run, tool

ROOT = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
sys.path.insert(0, os.path.join(ROOT, "examples/learned"))
import synth_market  # noqa: E402

tmp = tempfile.mkdtemp(prefix="ot-learned-")


def market(name, **kw):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        synth_market.generate(f, **kw)
    return path


def train(mode, data, out, *extra):
    r = run([tool("ot-train"), mode, "--data", data, "--venue", "paper", "--symbol", "SYNTH",
             "--out", out, "--param", "horizon=3s", "--param", "threshold_bps=1", "-q",
             *extra], timeout=600)
    assert r.returncode == 0, r.stderr.decode()
    return {json.loads(l)["policy"]: json.loads(l) for l in r.stdout.decode().splitlines()}, r.stdout


edge = market("edge.ndjson", edge=0.3, minutes=180, seed=1)
noedge = market("noedge.ndjson", edge=0.0, minutes=180, seed=1)

# --- a planted edge
model = os.path.join(tmp, "edge.model")
rep, out1 = train("supervised", edge, model, "--log", os.path.join(tmp, "edge.log"))
learned, linear = rep["learned"], rep["linear"]
print("edge:", {k: (round(v["pnl"], 3), round(v["sharpe_t"], 2), v["fills"]) for k, v in rep.items()})
check(learned["pred_corr"] > 0.15, f"edge: the network predicts the move (corr {learned['pred_corr']:.3f})")
check(abs(linear["pred_corr"]) < learned["pred_corr"] / 1.5,
      f"edge: the linear model finds less of it (corr {linear['pred_corr']:.3f})")
check(learned["pnl"] > 0 and learned["sharpe_t"] > 2,
      f"edge: out of sample the learned policy earns ({learned['pnl']:.3f}, t {learned['sharpe_t']:.2f})")
check(all(learned["pnl"] > rep[b]["pnl"] for b in ("none", "mm", "linear")),
      "edge: it beats no trading, mm and the linear model on the test window")
check(learned["fills"] > 50 and learned["turnover"] > 0, f"edge: it trades ({learned['fills']} fills)")
log = [json.loads(l) for l in open(os.path.join(tmp, "edge.log"))]
check(len(log) >= 2 and sum(e["best"] for e in log) >= 1 and
      all({"epoch", "loss", "valid_loss", "valid_corr", "best"} <= e.keys() for e in log),
      f"edge: the training log has a line per epoch ({len(log)})")
text = open(model).read()
for field in ("features v1 ", "names spread_bps", "mean ", "scale ", "lo ", "hi ", "train_from_ns",
              "data_sha256 ", "seed 1", "horizon_ns 3000000000", "sha256 "):
    check(field in text, f"model file carries '{field.strip()}'")

# --- determinism
again = os.path.join(tmp, "again.model")
rep2, out2 = train("supervised", edge, again)
check(open(model, "rb").read() == open(again, "rb").read(), "the same seed gives the same model bytes")
check(out1 == out2, "and the same evaluation")
other = os.path.join(tmp, "other.model")
train("supervised", edge, other, "--seed", "2", "--no-evaluate")
check(open(model, "rb").read() != open(other, "rb").read(), "another seed gives another model")

# --- no edge
rep, _ = train("supervised", noedge, os.path.join(tmp, "noedge.model"))
print("no edge:", {k: (round(v["pnl"], 3), round(v["sharpe_t"], 2), v["fills"]) for k, v in rep.items()})
check(rep["learned"]["sharpe_t"] < 2,
      f"no edge: no significant out-of-sample Sharpe claimed (t {rep['learned']['sharpe_t']:.2f})")
check(abs(rep["learned"]["pred_corr"]) < 0.1,
      f"no edge: no predictive correlation out of sample ({rep['learned']['pred_corr']:.3f})")

# --- serving in ot-backtest: repeatable, tagged with the hash
model_hash = text.strip().splitlines()[-1].split()[1]
test_from = learned["from"]
bt = [tool("ot-backtest"), "--data", edge, "--strategy", "learned", "--param", f"model={model}",
      "--param", "symbol=SYNTH", "--param", "venue=paper", "--param", "threshold_bps=1",
      "--from", str(test_from)]
r1, r2 = run(bt + ["--report", os.path.join(tmp, "bt")]), run(bt)
check(r1.returncode == 0 and r1.stdout == r2.stdout, "ot-backtest --strategy learned runs the same twice")
summary = json.loads(r1.stdout)
check(abs(summary["pnl"] - learned["pnl"]) < 1e-9,
      f"ot-backtest on the test window gives ot-train's figure ({summary['pnl']} vs {learned['pnl']})")
fills = [json.loads(l) for l in open(os.path.join(tmp, "bt/fills.ndjson"))]
check(fills and all(f["strategy"] == "learned:" + model_hash[:16] for f in fills),
      f"every fill carries the model's hash (learned:{model_hash[:16]})")

# --- serving in the chain: ot-book | ot-strat learned | ot-exec paper
with tempfile.TemporaryDirectory() as d:
    fills_ep = f"ipc://{d}/fills"
    chain = (f"{tool('ot-book')} --pass-book --emit bbo --emit depth=10 < {edge}"
             f" | {tool('ot-strat')} --session e2e --fills {fills_ep} --stats learned --model {model}"
             f" --symbol SYNTH --venue paper --threshold-bps 1"
             f" | {tool('ot-exec')} --venue paper --fills-out {fills_ep}")
    r = subprocess.run(["bash", "-o", "pipefail", "-c", chain], capture_output=True, timeout=300)
    events = [json.loads(l) for l in r.stdout.decode().splitlines() if l.startswith('{"type":"exec"')]
    filled = [e for e in events if e["status"] in ("filled", "partial")]
    check(r.returncode == 0 and len(filled) > 20,
          f"ot-strat learned paper-trades in the chain ({len(filled)} fills) {r.stderr.decode()[-300:]}")
    check(all(e.get("strategy", "").startswith("learned:" + model_hash[:16]) for e in events),
          "the chain's reports carry the model's hash")

# --- guards: a market at another price level and spread than in training
wide = os.path.join(tmp, "wide.ndjson")
with open(wide, "w") as f:
    for line in open(edge).read().splitlines()[:3000]:
        e = json.loads(line)
        if e["type"] == "book":
            e["asks"] = [[f"{float(p) + 0.5:.2f}", q] for p, q in e["asks"]]
        f.write(json.dumps(e) + "\n")
r = run(["bash", "-c", f"{tool('ot-book')} < {wide} | {tool('ot-strat')} learned --model {model}"
                       f" --symbol SYNTH --warmup 1"])
halts = [json.loads(l) for l in r.stdout.decode().splitlines() if '"strategy_halted"' in l]
orders = [l for l in r.stdout.decode().splitlines() if l.startswith('{"type":"order"')]
check(len(halts) == 1 and "spread_bps" in halts[0]["detail"] and not orders,
      f"guards: a 51-tick spread halts the strategy once, with no order ({halts[:1]}, {len(orders)} orders)")
check("strategy_halted" in r.stderr.decode(), "guards: the halt is said on stderr too")

# --- rl: the agent trains in the backtest, deterministically
short = market("short.ndjson", edge=0.3, minutes=40, seed=3)
rl1, rl2 = os.path.join(tmp, "rl1.model"), os.path.join(tmp, "rl2.model")
rep, o1 = train("rl", short, rl1, "--param", "episodes=2", "--log", os.path.join(tmp, "rl.log"))
_, o2 = train("rl", short, rl2, "--param", "episodes=2")
check(open(rl1, "rb").read() == open(rl2, "rb").read() and o1 == o2,
      "rl: the same seed gives the same agent and evaluation")
rl_text = open(rl1).read()
check("kind rl" in rl_text and "actions short flat long" in rl_text, "rl: the model file is an agent's")
fields = {l.split(" ", 1)[0]: l.split(" ")[1:] for l in rl_text.splitlines()}
inv = fields["names"].index("inventory")
check([float.fromhex(fields[k][inv]) for k in ("mean", "scale", "lo", "hi")] == [0, 1, -1, 1],
      "rl: the agent's own position is an input it was trained on (inventory over [-1, 1])")
rl_log = [json.loads(l) for l in open(os.path.join(tmp, "rl.log"))]
check(len(rl_log) == 2 and all({"episode", "reward", "train_pnl", "valid_pnl"} <= e.keys() for e in rl_log),
      "rl: the log has a line per episode")
check(rep["learned"]["fills"] > 0, f"rl: the agent trades out of sample ({rep['learned']['fills']} fills)")

finish()
